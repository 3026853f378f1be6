//! Geofences: CRUD with validation and tenancy; enter/exit/dwell from real fixes (including
//! a sparse pair of fixes whose segment crosses a fence); events pushed live; shipment stops
//! as implicit fences recording arrivals; ETA and the late flag.

use freight::domain::Role;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Org, TestApp};
use crate::tracking_support::*;

both_backends!(
    geofences_are_validated_and_scoped_to_their_organization,
    enter_dwell_and_exit_are_recorded_even_between_sparse_fixes,
    arriving_at_a_stop_is_recorded_and_the_eta_flags_late_shipments,
);

async fn fence(app: &TestApp, org: &Org, body: Value) -> i64 {
    let reply = app
        .post(
            "/api/v1/tracking/geofences",
            org.token(Role::Dispatcher),
            body,
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_i64().unwrap()
}

async fn post(app: &TestApp, org: &Org, fixes: Value) {
    let reply = app
        .post("/api/v1/tracking/positions", org.token(Role::Driver), fixes)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["dropped"], json!([]), "{}", reply.body);
}

async fn geofences_are_validated_and_scoped_to_their_organization(app: TestApp) {
    let acme = app.seed_org("acme").await;
    let rival = app.seed_org("rival").await;
    let depot = fence(
        &app,
        &acme,
        json!({"name": "Depot", "circle": {"lat": 30.2, "lon": -97.7, "radius_m": 250.0}}),
    )
    .await;
    let yard = fence(
        &app,
        &acme,
        json!({"name": "Yard", "polygon": [[-97.71, 30.21], [-97.70, 30.21], [-97.70, 30.22], [-97.71, 30.22]], "dwell_secs": 60}),
    )
    .await;
    let listed = app
        .get("/api/v1/tracking/geofences", acme.token(Role::Analyst))
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    assert_eq!(listed.body[1]["polygon"][0], json!([-97.71, 30.21]));
    for (body, field) in [
        (
            json!({"name": "x", "circle": {"lat": 30.0, "lon": -97.0, "radius_m": 0.0}}),
            "circle.radius_m",
        ),
        (
            json!({"name": "x", "circle": {"lat": 95.0, "lon": -97.0, "radius_m": 10.0}}),
            "circle.lat",
        ),
        (
            json!({"name": "x", "polygon": [[-97.0, 30.0], [-97.1, 30.0]]}),
            "polygon",
        ),
        (json!({"name": "x"}), "circle"),
        (
            json!({"name": "", "circle": {"lat": 30.0, "lon": -97.0, "radius_m": 10.0}}),
            "name",
        ),
    ] {
        let reply = app
            .post("/api/v1/tracking/geofences", acme.token(Role::Admin), body)
            .await
            .assert_problem(422);
        assert_eq!(reply.error_fields(), [field]);
    }
    app.post(
        "/api/v1/tracking/geofences",
        acme.token(Role::Driver),
        json!({"name": "x", "circle": {"lat": 30.0, "lon": -97.0, "radius_m": 10.0}}),
    )
    .await
    .assert_problem(403);
    app.get(
        &format!("/api/v1/tracking/geofences/{depot}"),
        rival.token(Role::Admin),
    )
    .await
    .assert_problem(404);
    app.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/tracking/geofences/{yard}"),
        Some(rival.token(Role::Admin)),
        None,
    )
    .await
    .assert_problem(404);
    let reply = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/tracking/geofences/{yard}"),
            Some(acme.token(Role::Admin)),
            None,
        )
        .await;
    assert_eq!(reply.status, 204);
}

async fn enter_dwell_and_exit_are_recorded_even_between_sparse_fixes(app: TestApp) {
    let org = app.seed_org("acme").await;
    let depot = fence(&app, &org, json!({"name": "Depot", "circle": {"lat": 30.2000, "lon": -97.7000, "radius_m": 200.0}, "dwell_secs": 120})).await;
    let gate = fence(
        &app,
        &org,
        json!({"name": "Gate", "circle": {"lat": 30.2300, "lon": -97.7000, "radius_m": 100.0}}),
    )
    .await;
    let mut feed = ws_connect(
        &app,
        &format!(
            "/api/v1/tracking/live?access_token={}",
            org.token(Role::Dispatcher)
        ),
    )
    .await;
    assert_eq!(next_json(&mut feed).await["type"], "snapshot");

    let t0 = now_ms() - 30 * 60_000;
    post(&app, &org, json!([fix_at(30.1950, -97.7000, t0)])).await; // ~550 m south: outside
    post(&app, &org, json!([fix_at(30.2001, -97.7000, t0 + 60_000)])).await; // inside
    post(
        &app,
        &org,
        json!([
            fix_at(30.2000, -97.7001, t0 + 240_000),
            fix_at(30.2050, -97.7000, t0 + 300_000)
        ]),
    )
    .await; // dwell, then out
            // Sparse: 3 minutes between fixes 2.2 km apart, passing straight over the gate.
    post(
        &app,
        &org,
        json!([
            fix_at(30.2200, -97.7000, t0 + 420_000),
            fix_at(30.2400, -97.7000, t0 + 600_000)
        ]),
    )
    .await;

    let events = app
        .get(
            "/api/v1/tracking/geofence-events?limit=50",
            org.token(Role::Dispatcher),
        )
        .await;
    let mut list: Vec<Value> = events.body["data"].as_array().unwrap().clone();
    list.reverse();
    let seen: Vec<(i64, String)> = list
        .iter()
        .map(|e| {
            (
                e["geofence_id"].as_i64().unwrap(),
                e["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (depot, "enter"),
            (depot, "dwell"),
            (depot, "exit"),
            (gate, "enter"),
            (gate, "exit")
        ]
        .map(|(g, k)| (g, k.to_string()))
    );
    let at = |e: &Value| {
        chrono::DateTime::parse_from_rfc3339(e["at"].as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    assert!(
        at(&list[0]) > t0 && at(&list[0]) < t0 + 60_000,
        "entry interpolated between the fixes"
    );
    assert_eq!(
        at(&list[1]),
        at(&list[0]) + 120_000,
        "dwell fires at entry + threshold"
    );
    assert!(
        at(&list[3]) > t0 + 420_000 && at(&list[4]) < t0 + 600_000 && at(&list[3]) < at(&list[4])
    );

    let filtered = app
        .get(
            &format!("/api/v1/tracking/geofence-events?geofence_id={gate}"),
            org.token(Role::Admin),
        )
        .await;
    assert_eq!(filtered.body["data"].as_array().unwrap().len(), 2);
    // The live feed pushed the same events.
    let mut kinds = Vec::new();
    while kinds.len() < 5 {
        let msg = next_json(&mut feed).await;
        for e in msg["events"].as_array().cloned().unwrap_or_default() {
            if e["type"] == "geofence" {
                kinds.push(e["kind"].as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(kinds, ["enter", "dwell", "exit", "enter", "exit"]);
}

async fn arriving_at_a_stop_is_recorded_and_the_eta_flags_late_shipments(app: TestApp) {
    let org = app.seed_org("acme").await;
    let rival = app.seed_org("rival").await;
    let id = app.assigned_shipment(&org).await;
    let t0 = now_ms() - 40 * 60_000;
    // 850 km away in El Paso: cannot make the delivery window.
    post(&app, &org, json!([fix_at(31.7619, -106.4850, t0)])).await;
    let tracking = app
        .get(
            &format!("/api/v1/shipments/{id}/tracking"),
            org.token(Role::Customer),
        )
        .await;
    assert_eq!(tracking.status, 200, "{}", tracking.body);
    assert_eq!(
        (
            tracking.body["next_stop"].as_str(),
            tracking.body["late"].as_bool()
        ),
        (Some("pickup"), Some(true))
    );
    assert!(tracking.body["pickup_arrived_at"].is_null());

    // Much later, at the pickup dock (4800 Burleson Rd): arrival recorded, no longer late.
    post(
        &app,
        &org,
        json!([
            fix_at(30.2100, -97.7140, t0 + 20 * 60_000),
            fix_at(30.2041, -97.7141, t0 + 21 * 60_000)
        ]),
    )
    .await;
    let tracking = app
        .get(
            &format!("/api/v1/shipments/{id}/tracking"),
            org.token(Role::Dispatcher),
        )
        .await;
    assert_eq!(tracking.body["late"], false, "{}", tracking.body);
    let arrived =
        chrono::DateTime::parse_from_rfc3339(tracking.body["pickup_arrived_at"].as_str().unwrap())
            .unwrap()
            .timestamp_millis();
    assert!(arrived > t0 + 20 * 60_000 && arrived <= t0 + 21 * 60_000);
    let eta = chrono::DateTime::parse_from_rfc3339(tracking.body["eta_at"].as_str().unwrap())
        .unwrap()
        .timestamp_millis();
    assert!(
        eta >= t0 + 21 * 60_000 && eta < t0 + 22 * 60_000,
        "at the stop the ETA is now-ish"
    );
    // The arrival needs the driver's confirmation to move the status.
    let current = app
        .get(
            &format!("/api/v1/shipments/{id}"),
            org.token(Role::Dispatcher),
        )
        .await;
    assert_eq!(current.body["status"], "assigned");
    // The shipper sees its arrival event; another tenant sees nothing.
    let events = app
        .get(
            "/api/v1/tracking/geofence-events",
            org.token(Role::Customer),
        )
        .await;
    assert_eq!(events.body["data"][0]["kind"], "arrived_pickup");
    assert_eq!(events.body["data"][0]["shipment_id"], id);
    app.get(
        &format!("/api/v1/shipments/{id}/tracking"),
        rival.token(Role::Admin),
    )
    .await
    .assert_problem(404);
    let theirs = app
        .get("/api/v1/tracking/geofence-events", rival.token(Role::Admin))
        .await;
    assert_eq!(theirs.body["data"], json!([]));
}
