//! Login, refresh rotation, logout revocation and API keys.

use crate::both_backends;
use crate::helpers::{TestApp, PASSWORD};
use freight::domain::Role;
use reqwest::Method;
use serde_json::json;

both_backends!(
    login_issues_tokens_and_rejects_wrong_passwords,
    refresh_tokens_rotate_and_cannot_be_replayed,
    logout_revokes_the_session_immediately,
    api_keys_are_shown_once_work_and_can_be_revoked,
    requests_without_valid_credentials_are_unauthorized,
);

async fn login_issues_tokens_and_rejects_wrong_passwords(app: TestApp) {
    let org = app.seed_org("login").await;
    let ok = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "ADMIN@login.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["token_type"], "Bearer");
    assert_eq!(ok.body["role"], "admin");
    assert!(ok.body["expires_in"].as_u64().unwrap() <= 900);
    assert!(ok.body["refresh_token"].as_str().unwrap().len() > 30);
    let me = app
        .get("/api/v1/auth/me", ok.body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me.body["org_id"], org.id);

    let wrong = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "admin@login.test", "password": "nope-nope-nope"})),
        )
        .await;
    wrong.assert_problem(401);
    let unknown = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "ghost@login.test", "password": PASSWORD})),
        )
        .await;
    let unknown = unknown.assert_problem(401);
    assert_eq!(
        unknown.body["detail"], "wrong email or password",
        "unknown and wrong must look alike"
    );
}

async fn refresh_tokens_rotate_and_cannot_be_replayed(app: TestApp) {
    app.seed_org("refresh").await;
    let login = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "dispatcher@refresh.test", "password": PASSWORD})),
        )
        .await;
    let first = login.body["refresh_token"].as_str().unwrap().to_string();
    let rotated = app
        .send(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": first})),
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let second = rotated.body["refresh_token"].as_str().unwrap();
    assert_ne!(second, first);
    assert_eq!(
        app.get(
            "/api/v1/shipments",
            rotated.body["access_token"].as_str().unwrap()
        )
        .await
        .status,
        200
    );
    let replay = app
        .send(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": first})),
        )
        .await;
    replay.assert_problem(401);
}

async fn logout_revokes_the_session_immediately(app: TestApp) {
    app.seed_org("logout").await;
    let login = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "analyst@logout.test", "password": PASSWORD})),
        )
        .await;
    let access = login.body["access_token"].as_str().unwrap();
    let refresh = login.body["refresh_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/shipments", access).await.status, 200);
    let out = app
        .send(Method::POST, "/api/v1/auth/logout", Some(access), None)
        .await;
    assert_eq!(out.status, 204);
    app.get("/api/v1/shipments", access)
        .await
        .assert_problem(401);
    app.send(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await
    .assert_problem(401);
}

async fn api_keys_are_shown_once_work_and_can_be_revoked(app: TestApp) {
    let org = app.seed_org("keys").await;
    let admin = org.token(Role::Admin);
    let created = app
        .post(
            "/api/v1/api-keys",
            admin,
            json!({"name": "truck 12 tracker", "role": "driver", "driver_id": org.driver}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let secret = created.body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("fk_"));
    let id = created.body["id"].as_i64().unwrap();

    let listed = app.get("/api/v1/api-keys", admin).await;
    let text = listed.body.to_string();
    assert!(
        text.contains("truck 12 tracker") && !text.contains(&secret),
        "the secret must never be listed"
    );

    let me = app.get("/api/v1/auth/me", &secret).await;
    assert_eq!(
        (me.body["role"].as_str(), me.body["driver_id"].as_i64()),
        (Some("driver"), Some(org.driver))
    );
    let via_header = app
        .send_with(
            Method::GET,
            "/api/v1/auth/me",
            None,
            None,
            &[("x-api-key", &secret)],
        )
        .await;
    assert_eq!(via_header.status, 200);

    let revoked = app
        .send(
            Method::DELETE,
            &format!("/api/v1/api-keys/{id}"),
            Some(admin),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204);
    app.get("/api/v1/auth/me", &secret)
        .await
        .assert_problem(401);

    let dispatcher = app
        .post(
            "/api/v1/api-keys",
            org.token(Role::Dispatcher),
            json!({"name": "x", "role": "analyst"}),
        )
        .await;
    dispatcher.assert_problem(403);
}

async fn requests_without_valid_credentials_are_unauthorized(app: TestApp) {
    app.send(Method::GET, "/api/v1/shipments", None, None)
        .await
        .assert_problem(401);
    app.get("/api/v1/shipments", "not-a-token")
        .await
        .assert_problem(401);
    app.get("/api/v1/shipments", "fk_not_a_real_key_at_all")
        .await
        .assert_problem(401);
}
