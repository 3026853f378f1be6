//! State shared between instances through Redis: cache generations and revoked sessions.
//!
//! Two app instances (each with its own pools, cache, generations and revoked-session set,
//! as two `freight serve` processes would have) on one database and the Redis on
//! 127.0.0.1:6379 with a unique key prefix per test. A write on one is never followed by a
//! stale read on the other, and a logout on one is refused by the other. Under `CI=true` a
//! missing Redis fails these tests; elsewhere they print NOT RUN. The Redis-down tests need
//! no Redis (a closed loopback port): the cache bypasses itself and revocation asks the
//! database.

use freight::config::Config;
use freight::domain::Role;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{shipment_body, try_spawn_app_with, Backend, TestApp};
use crate::rate_limits_redis::{free_port, redis_or_not_run, unique};

/// Two instances sharing `redis_url` (`None`: each on its own, in process).
async fn pair(backend: Backend, redis_url: Option<String>) -> Option<(TestApp, TestApp)> {
    let prefix = format!("freight-test:{}:", unique());
    let tweak = |c: &mut Config| {
        c.rate_limits.redis_url = redis_url.clone();
        c.rate_limits.redis_prefix = format!("{prefix}rl:");
        c.redis_key_prefix = prefix.clone();
    };
    let a = try_spawn_app_with(backend, tweak).await?;
    let b = a.spawn_peer(tweak).await;
    Some((a, b))
}

async fn shared_pair(backend: Backend) -> Option<(TestApp, TestApp)> {
    let redis = redis_or_not_run().await?;
    pair(backend, Some(redis)).await
}

fn count(reply: crate::helpers::Reply) -> usize {
    reply.body["data"].as_array().expect("a page").len()
}

/// Reads every cached family on `app` twice, so its cache holds them.
async fn warm(app: &TestApp, token: &str, shipment: &str) {
    for _ in 0..2 {
        for path in [
            shipment,
            "/api/v1/shipments",
            "/api/v1/shipments?status=booked",
            "/api/v1/shipments?q=liftgate",
            "/api/v1/dashboard/summary",
            "/api/v1/drivers?status=available",
        ] {
            assert_eq!(app.get(path, token).await.status, 200, "{path}");
        }
    }
}

/// Writes alternate between the instances; every read right after a write is fresh on both.
async fn writes_are_seen_by_both_instances(a: TestApp, b: TestApp) {
    let org = a.seed_org("shared").await;
    let token = org.token(Role::Dispatcher);
    let created = a.create_shipment(&org, shipment_body(org.customer)).await;
    let path = format!("/api/v1/shipments/{}", created["id"]);
    warm(&a, token, &path).await;
    warm(&b, token, &path).await;

    let edited = a
        .patch(&path, token, 1, json!({"notes": "now with liftgate"}))
        .await;
    assert_eq!(edited.status, 200);
    let read = b.get(&path, token).await;
    assert_eq!(
        (read.body["notes"].as_str(), read.header("etag")),
        (Some("now with liftgate"), Some("\"2\"")),
        "B saw A's edit"
    );
    assert_eq!(count(b.get("/api/v1/shipments?q=liftgate", token).await), 1);
    // The edit changed no filtered field: B's cached pages notice it by the shipment's version.
    for list in ["/api/v1/shipments", "/api/v1/shipments?status=booked"] {
        let page = b.get(list, token).await;
        assert_eq!(
            page.body["data"][0]["notes"], "now with liftgate",
            "{list} on B"
        );
    }

    let second = b.create_shipment(&org, shipment_body(org.customer)).await;
    assert_eq!(count(a.get("/api/v1/shipments", token).await), 2);
    assert_eq!(
        count(a.get("/api/v1/shipments?status=booked", token).await),
        2
    );

    let cancel = b
        .post(
            &format!("{path}/transitions"),
            token,
            json!({"to": "cancelled"}),
        )
        .await;
    assert_eq!(cancel.status, 200);
    assert_eq!(
        count(a.get("/api/v1/shipments?status=booked", token).await),
        1
    );
    let summary = a.get("/api/v1/dashboard/summary", token).await;
    assert_eq!(summary.body["shipments_by_status"]["cancelled"], 1);

    let second_path = format!("/api/v1/shipments/{}", second["id"]);
    warm(&b, token, &second_path).await;
    let assign = a
        .post(
            &format!("{second_path}/assign"),
            token,
            json!({"driver_id": org.driver, "vehicle_id": org.vehicle}),
        )
        .await;
    assert_eq!(assign.status, 200, "{}", assign.body);
    let read = b.get(&second_path, token).await;
    assert_eq!(read.body["status"], "assigned");
    assert_eq!(
        count(b.get("/api/v1/shipments?status=booked", token).await),
        0
    );

    // Driver availability: a shift started on A shows on B at once.
    let driver = a
        .post(
            "/api/v1/drivers",
            token,
            json!({"name": "Sam Shift", "status": "off_duty",
            "home_base": {"lat": 30.3, "lon": -97.7}, "onboarded_on": "2025-01-01"}),
        )
        .await;
    let available = |reply: crate::helpers::Reply| {
        reply.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == driver.body["id"])
    };
    assert!(!available(
        b.get("/api/v1/drivers?status=available", token).await
    ));
    let shift = a
        .post(
            &format!("/api/v1/drivers/{}/sessions", driver.body["id"]),
            token,
            json!({}),
        )
        .await;
    assert_eq!(shift.status, 201);
    assert!(available(
        b.get("/api/v1/drivers?status=available", token).await
    ));
}

#[tokio::test]
async fn a_write_on_one_instance_is_never_followed_by_a_stale_read_on_another_sqlite() {
    if let Some((a, b)) = shared_pair(Backend::Sqlite).await {
        writes_are_seen_by_both_instances(a, b).await;
    }
}

#[tokio::test]
async fn a_write_on_one_instance_is_never_followed_by_a_stale_read_on_another_postgres() {
    if let Some((a, b)) = shared_pair(Backend::Postgres).await {
        writes_are_seen_by_both_instances(a, b).await;
    }
}

/// The control: without Redis each instance caches alone, so B answers from its own cache
/// after A's write. This is what the shared generations fix, and it shows that the test
/// above exercises B's cache rather than passing because nothing was cached.
#[tokio::test]
async fn without_redis_an_instance_does_not_see_another_instances_writes_until_its_ttl() {
    let (a, b) = pair(Backend::Sqlite, None).await.unwrap();
    let org = a.seed_org("alone").await;
    let token = org.token(Role::Dispatcher);
    let created = a.create_shipment(&org, shipment_body(org.customer)).await;
    let path = format!("/api/v1/shipments/{}", created["id"]);
    warm(&b, token, &path).await;
    let edited = a
        .patch(&path, token, 1, json!({"notes": "now with liftgate"}))
        .await;
    assert_eq!(edited.status, 200);
    assert_eq!(b.get(&path, token).await.header("etag"), Some("\"1\""));
}

#[tokio::test]
async fn a_logout_on_one_instance_is_refused_by_another() {
    let Some((a, b)) = shared_pair(Backend::Sqlite).await else {
        return;
    };
    let org = a.seed_org("logout").await;
    let token = org.token(Role::Analyst);
    assert_eq!(b.get("/api/v1/auth/me", token).await.status, 200);
    assert_eq!(b.get("/api/v1/auth/me", token).await.status, 200);
    let out = a
        .send(Method::POST, "/api/v1/auth/logout", Some(token), None)
        .await;
    assert_eq!(out.status, 204);
    let refused = b.get("/api/v1/auth/me", token).await.assert_problem(401);
    assert!(refused.body["detail"]
        .as_str()
        .unwrap()
        .contains("logged out"));
    // Other sessions are untouched.
    assert_eq!(
        b.get("/api/v1/auth/me", org.token(Role::Dispatcher))
            .await
            .status,
        200
    );
}

/// Redis configured but down on B: B never serves from its cache (so never stale), B's own
/// writes still succeed, and B refuses a session logged out on A by asking the database.
#[tokio::test]
async fn with_redis_down_the_cache_is_bypassed_and_revocation_asks_the_database() {
    let a = try_spawn_app_with(Backend::Sqlite, |_| {}).await.unwrap();
    let closed = free_port();
    let b = a
        .spawn_peer(|c| c.rate_limits.redis_url = Some(format!("redis://127.0.0.1:{closed}/0")))
        .await;
    let org = a.seed_org("down").await;
    let token = org.token(Role::Dispatcher);
    let created = a.create_shipment(&org, shipment_body(org.customer)).await;
    let path = format!("/api/v1/shipments/{}", created["id"]);
    warm(&b, token, &path).await;
    let edited = a
        .patch(&path, token, 1, json!({"notes": "edited on A"}))
        .await;
    assert_eq!(edited.status, 200);
    assert_eq!(b.get(&path, token).await.body["notes"], "edited on A");
    let edited = b
        .patch(&path, token, 2, json!({"notes": "edited on B"}))
        .await;
    assert_eq!(edited.status, 200, "a write succeeds without Redis");
    assert_eq!(b.get(&path, token).await.body["notes"], "edited on B");

    let analyst = org.token(Role::Analyst);
    assert_eq!(b.get("/api/v1/auth/me", analyst).await.status, 200);
    let out = a
        .send(Method::POST, "/api/v1/auth/logout", Some(analyst), None)
        .await;
    assert_eq!(out.status, 204);
    b.get("/api/v1/auth/me", analyst).await.assert_problem(401);
}
