//! `Idempotency-Key` on POST and optimistic concurrency on updates.

use crate::both_backends;
use crate::helpers::{shipment_body, TestApp};
use freight::domain::Role;
use reqwest::Method;
use serde_json::json;

both_backends!(
    a_retried_post_with_the_same_key_creates_one_shipment,
    reusing_a_key_for_a_different_request_is_refused,
    updates_need_the_current_version,
);

async fn a_retried_post_with_the_same_key_creates_one_shipment(app: TestApp) {
    let org = app.seed_org("idem").await;
    let token = org.token(Role::Dispatcher);
    let body = shipment_body(org.customer);
    let before = app.shipment_count().await;
    let key = [("idempotency-key", "booking-7f3a")];
    let first = app
        .send_with(
            Method::POST,
            "/api/v1/shipments",
            Some(token),
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = app
        .send_with(
            Method::POST,
            "/api/v1/shipments",
            Some(token),
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(second.status, 201);
    assert_eq!(second.body, first.body, "the replay is the first response");
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.shipment_count().await, before + 1);
    // The key belongs to the caller: another user with the same key makes their own booking.
    let other = app
        .send_with(
            Method::POST,
            "/api/v1/shipments",
            Some(org.token(Role::Admin)),
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(other.status, 201);
    assert_ne!(other.body["id"], first.body["id"]);
    // Without a key, every POST creates.
    app.create_shipment(&org, body.clone()).await;
    app.create_shipment(&org, body).await;
    assert_eq!(app.shipment_count().await, before + 4);
}

async fn reusing_a_key_for_a_different_request_is_refused(app: TestApp) {
    let org = app.seed_org("idem2").await;
    let token = org.token(Role::Dispatcher);
    let key = [("idempotency-key", "k-1")];
    let first = app
        .send_with(
            Method::POST,
            "/api/v1/shipments",
            Some(token),
            Some(shipment_body(org.customer)),
            &key,
        )
        .await;
    assert_eq!(first.status, 201);
    let mut changed = shipment_body(org.customer);
    changed["weight_kg"] = json!(99);
    let reply = app
        .send_with(
            Method::POST,
            "/api/v1/shipments",
            Some(token),
            Some(changed),
            &key,
        )
        .await
        .assert_problem(422);
    assert_eq!(reply.error_fields(), ["Idempotency-Key"]);
    // Failed validations are remembered too: the same bad request replays its 422.
    let bad_key = [("idempotency-key", "k-2")];
    let mut bad = shipment_body(org.customer);
    bad["weight_kg"] = json!(-1);
    let one = app
        .send_with(
            Method::POST,
            "/api/v1/shipments",
            Some(token),
            Some(bad.clone()),
            &bad_key,
        )
        .await
        .assert_problem(422);
    let two = app
        .send_with(
            Method::POST,
            "/api/v1/shipments",
            Some(token),
            Some(bad),
            &bad_key,
        )
        .await
        .assert_problem(422);
    assert_eq!(one.body, two.body);
}

async fn updates_need_the_current_version(app: TestApp) {
    let org = app.seed_org("occ").await;
    let token = org.token(Role::Dispatcher);
    let created = app.create_shipment(&org, shipment_body(org.customer)).await;
    let path = format!("/api/v1/shipments/{}", created["id"]);
    let got = app.get(&path, token).await;
    assert_eq!(got.header("etag"), Some("\"1\""));

    let missing = app
        .send(
            Method::PATCH,
            &path,
            Some(token),
            Some(json!({"notes": "a"})),
        )
        .await
        .assert_problem(428);
    assert_eq!(missing.body["code"], "precondition_required");
    let first = app
        .send_with(
            Method::PATCH,
            &path,
            Some(token),
            Some(json!({"notes": "first editor"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(
        (first.body["version"].as_i64(), first.header("etag")),
        (Some(2), Some("\"2\""))
    );
    let stale = app
        .send_with(
            Method::PATCH,
            &path,
            Some(token),
            Some(json!({"notes": "second editor"})),
            &[("if-match", "\"1\"")],
        )
        .await
        .assert_problem(412);
    assert_eq!(stale.body["current_version"], 2);
    let now = app.get(&path, token).await;
    assert_eq!(
        now.body["notes"], "first editor",
        "the stale write changed nothing"
    );

    // The same holds for other resources (JSON merge patch).
    let vehicle = format!("/api/v1/vehicles/{}", org.vehicle);
    let v = app
        .send_with(
            Method::PATCH,
            &vehicle,
            Some(token),
            Some(json!({"capacity": {"pallets": 10}})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(
        (
            v.status.as_u16(),
            v.body["capacity"]["pallets"].as_i64(),
            v.body["capacity"]["weight_kg"].as_f64()
        ),
        (200, Some(10), Some(7000.0))
    );
    app.send_with(
        Method::PATCH,
        &vehicle,
        Some(token),
        Some(json!({"name": "x"})),
        &[("if-match", "\"1\"")],
    )
    .await
    .assert_problem(412);
}
