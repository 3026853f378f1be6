//! The live ETA on the shipment itself: `GET /shipments/{id}` and list items carry the
//! shipment's `tracking` (next stop, ETA, late flag, recorded arrivals), fresh after every
//! fix even though those responses come from the response cache — which keeps hitting,
//! because ETA changes are merged after it rather than invalidating it.

use freight::domain::Role;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{shipment_body, Org, TestApp};
use crate::tracking_support::*;

both_backends!(shipment_json_carries_the_live_eta_without_invalidating_the_cache);

async fn post(app: &TestApp, org: &Org, fixes: Value) {
    let reply = app
        .post("/api/v1/tracking/positions", org.token(Role::Driver), fixes)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["dropped"], json!([]), "{}", reply.body);
}

/// Hits and misses of a cache family on this instance.
async fn cache_counts(app: &TestApp, org: &Org, family: &str) -> (u64, u64) {
    let report = app
        .get("/api/v1/admin/performance", org.token(Role::Admin))
        .await;
    assert_eq!(report.status, 200, "{}", report.body);
    report.body["cache"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["family"] == family)
        .map_or((0, 0), |c| {
            (c["hits"].as_u64().unwrap(), c["misses"].as_u64().unwrap())
        })
}

fn millis(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a timestamp"))
        .unwrap()
        .timestamp_millis()
}

async fn shipment_json_carries_the_live_eta_without_invalidating_the_cache(app: TestApp) {
    let org = app.seed_org("acme").await;
    let rival = app.seed_org("rival").await;
    let id = app.create_shipment(&org, shipment_body(org.customer)).await["id"]
        .as_i64()
        .unwrap();
    let other = app.create_shipment(&org, shipment_body(org.customer)).await["id"]
        .as_i64()
        .unwrap();
    let assign = app
        .post(
            &format!("/api/v1/shipments/{id}/assign"),
            org.token(Role::Dispatcher),
            json!({"driver_id": org.driver, "vehicle_id": org.vehicle}),
        )
        .await;
    assert_eq!(assign.status, 200, "{}", assign.body);
    assert!(assign.body.get("tracking").is_none(), "not tracked yet");
    let path = format!("/api/v1/shipments/{id}");
    let token = org.token(Role::Dispatcher);
    assert!(app.get(&path, token).await.body.get("tracking").is_none());

    // 850 km away in El Paso: the pickup is next and the delivery window cannot be met.
    let t0 = now_ms() - 40 * 60_000;
    post(&app, &org, json!([fix_at(31.7619, -106.4850, t0)])).await;
    let first = app.get(&path, token).await;
    let tracking = &first.body["tracking"];
    assert_eq!(tracking["next_stop"], "pickup", "{}", first.body);
    assert_eq!(tracking["late"], true);
    assert!(tracking["pickup_arrived_at"].is_null());
    let far_eta = millis(&tracking["eta_at"]);
    assert_eq!(
        first.header("etag"),
        assign.header("etag"),
        "the ETag stays the version"
    );
    let list = app.get("/api/v1/shipments?status=assigned", token).await;
    let item = |list: &Value, id: i64| -> Value {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
            .expect("listed")
    };
    assert_eq!(item(&list.body, id)["tracking"], *tracking);
    let all = app.get("/api/v1/shipments", token).await;
    assert_eq!(item(&all.body, id)["tracking"], *tracking);
    assert!(item(&all.body, other).get("tracking").is_none());
    assert_eq!(item(&all.body, other)["status"], "booked");

    // Warm caches, then more fixes: the ETA moves, the cached bodies keep hitting.
    let (get_hits, _) = cache_counts(&app, &org, "shipments.get").await;
    let (list_hits, _) = cache_counts(&app, &org, "shipments.list").await;
    post(
        &app,
        &org,
        json!([
            fix_at(30.2100, -97.7140, t0 + 20 * 60_000),
            fix_at(30.2041, -97.7141, t0 + 21 * 60_000)
        ]),
    )
    .await;
    let now = app.get(&path, token).await;
    let tracking = &now.body["tracking"];
    assert_eq!(tracking["late"], false, "{}", now.body);
    assert!(millis(&tracking["eta_at"]) < far_eta, "a fresh ETA");
    let arrived = millis(&tracking["pickup_arrived_at"]);
    assert!(arrived > t0 + 20 * 60_000 && arrived <= t0 + 21 * 60_000);
    let list = app.get("/api/v1/shipments?status=assigned", token).await;
    assert_eq!(item(&list.body, id)["tracking"], *tracking);
    assert_eq!(
        cache_counts(&app, &org, "shipments.get").await.0,
        get_hits + 1
    );
    assert_eq!(
        cache_counts(&app, &org, "shipments.list").await.0,
        list_hits + 1
    );
    // Same facts as the dedicated endpoint; the shipper sees them too, another tenant nothing.
    let dedicated = app.get(&format!("{path}/tracking"), token).await;
    assert_eq!(dedicated.body, *tracking);
    let shipper = app.get(&path, org.token(Role::Customer)).await;
    assert_eq!(shipper.body["tracking"], *tracking);
    assert_eq!(
        app.get(&path, rival.token(Role::Dispatcher)).await.status,
        404
    );
    let rival_list = app
        .get("/api/v1/shipments", rival.token(Role::Dispatcher))
        .await;
    assert!(rival_list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s.get("tracking").is_none()));

    // Delivered: the ETA goes (once tracking next reloads the active shipments), the
    // recorded arrival stays.
    for to in ["picked_up", "in_transit", "delivered"] {
        let moved = app
            .post(&format!("{path}/transitions"), token, json!({"to": to}))
            .await;
        assert_eq!(moved.status, 200, "{}", moved.body);
        assert!(moved.body["tracking"].is_object(), "{}", moved.body);
    }
    // A geofence change makes tracking reload the organization's active shipments.
    let fence = app
        .post(
            "/api/v1/tracking/geofences",
            token,
            json!({"name": "Yard", "circle": {"lat": 30.0, "lon": -97.0, "radius_m": 100.0}}),
        )
        .await;
    assert_eq!(fence.status, 201, "{}", fence.body);
    post(
        &app,
        &org,
        json!([fix_at(30.2045, -97.7141, t0 + 22 * 60_000)]),
    )
    .await;
    let done = app.get(&path, token).await;
    assert_eq!(done.body["status"], "delivered");
    assert!(done.body["tracking"]["eta_at"].is_null(), "{}", done.body);
    assert_eq!(millis(&done.body["tracking"]["pickup_arrived_at"]), arrived);
}
