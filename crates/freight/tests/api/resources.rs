//! CRUD for customers, drivers (with shifts), vehicles, incidents and users.

use crate::both_backends;
use crate::helpers::{TestApp, PASSWORD};
use freight::domain::Role;
use reqwest::Method;
use serde_json::json;

both_backends!(
    customers_can_be_created_read_and_edited,
    drivers_have_shifts_and_availability,
    vehicles_have_unique_plates_and_capacity_limits_assignment,
    incidents_are_recorded_per_driver,
    admins_create_users_who_can_log_in,
    optional_coordinates_may_be_absent_then_present,
);

/// Optional floats bound as NULL must not spoil the statement for the next real value (sqlx's
/// `Any` driver sends a NULL `f64` to PostgreSQL as `float4`; see `db/customers.rs`).
async fn optional_coordinates_may_be_absent_then_present(app: TestApp) {
    let org = app.seed_org("nullfloat").await;
    let token = org.token(Role::Admin);
    for i in 0..12 {
        let (lat, lon) = match i % 2 {
            0 => (json!(null), json!(null)),
            _ => (json!(30.3), json!(-97.7)),
        };
        let customer = app
            .post(
                "/api/v1/customers",
                token,
                json!({"name": format!("Shipper {i}"), "tier": "standard", "lat": lat, "lon": lon}),
            )
            .await;
        assert_eq!(customer.status, 201, "customer {i}: {}", customer.body);
        let incident = app
            .post(
                "/api/v1/incidents",
                token,
                json!({"driver_id": org.driver, "kind": "harsh_braking", "severity": "low",
                       "occurred_at": chrono::Utc::now().to_rfc3339(), "lat": lat, "lon": lon}),
            )
            .await;
        assert_eq!(incident.status, 201, "incident {i}: {}", incident.body);
    }
}

async fn customers_can_be_created_read_and_edited(app: TestApp) {
    let org = app.seed_org("cust").await;
    let token = org.token(Role::Dispatcher);
    let created = app
        .post("/api/v1/customers", token, json!({"name": "Hill Country Provisions", "tier": "enterprise", "email": "ship@hcp.example", "phone": null, "address": "1 Main", "lat": 30.3, "lon": -97.7}))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let path = format!("/api/v1/customers/{}", created.body["id"]);
    let edited = app
        .send_with(
            Method::PATCH,
            &path,
            Some(token),
            Some(json!({"tier": "standard", "phone": "+1-512-555-0100"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(
        (
            edited.body["tier"].as_str(),
            edited.body["phone"].as_str(),
            edited.body["name"].as_str()
        ),
        (
            Some("standard"),
            Some("+1-512-555-0100"),
            Some("Hill Country Provisions")
        )
    );
    let bad = app
        .send_with(
            Method::PATCH,
            &path,
            Some(token),
            Some(json!({"tier": "platinum"})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(bad.assert_problem(422).error_fields(), ["tier"]);
    let listed = app.get("/api/v1/customers", token).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 3);
    app.post(
        "/api/v1/customers",
        org.token(Role::Customer),
        json!({"name": "x", "tier": "standard"}),
    )
    .await
    .assert_problem(403);
}

async fn drivers_have_shifts_and_availability(app: TestApp) {
    let org = app.seed_org("shift").await;
    let token = org.token(Role::Dispatcher);
    let created = app
        .post("/api/v1/drivers", token, json!({"name": "Rosa Torres", "email": "rosa@example.com", "phone": null, "license_number": "TX99", "status": "off_duty", "home_base": {"address": "Austin", "lat": 30.25, "lon": -97.75}, "current_vehicle_id": org.vehicle, "onboarded_on": "2025-06-01"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    let start = app
        .post(&format!("/api/v1/drivers/{id}/sessions"), token, json!({}))
        .await;
    assert_eq!(start.status, 201, "{}", start.body);
    app.post(&format!("/api/v1/drivers/{id}/sessions"), token, json!({}))
        .await
        .assert_problem(409);
    let available = app.get("/api/v1/drivers?status=available", token).await;
    assert!(available.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == id));
    let end = app
        .post(
            &format!("/api/v1/drivers/{id}/sessions/end"),
            token,
            json!({}),
        )
        .await;
    assert_eq!(end.status, 200);
    assert!(end.body["ended_at"].is_string());
    let history = app
        .get(&format!("/api/v1/drivers/{id}/sessions"), token)
        .await;
    assert_eq!(history.body.as_array().unwrap().len(), 1);
    assert_eq!(
        app.get(&format!("/api/v1/drivers/{id}"), token).await.body["status"],
        "off_duty"
    );
    let bad = app
        .post("/api/v1/drivers", token, json!({"name": "X", "status": "sleeping", "home_base": {"lat": 1, "lon": 1}, "onboarded_on": "2025-01-01"}))
        .await;
    assert_eq!(bad.assert_problem(422).error_fields(), ["status"]);
    let bad_vehicle = app
        .post("/api/v1/drivers", token, json!({"name": "X", "status": "available", "home_base": {"lat": 1, "lon": 1}, "current_vehicle_id": 999999, "onboarded_on": "2025-01-01"}))
        .await;
    assert_eq!(
        bad_vehicle.assert_problem(422).error_fields(),
        ["current_vehicle_id"]
    );
}

async fn vehicles_have_unique_plates_and_capacity_limits_assignment(app: TestApp) {
    let org = app.seed_org("fleet").await;
    let token = org.token(Role::Dispatcher);
    let van = json!({"name": "Van 1", "plate": "VAN-0001", "vehicle_type": "cargo_van", "capacity": {"weight_kg": 800.0, "volume_m3": 10.0, "pallets": 2}, "status": "active"});
    let created = app.post("/api/v1/vehicles", token, van.clone()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let dup = app
        .post("/api/v1/vehicles", token, van)
        .await
        .assert_problem(409);
    assert_eq!(dup.error_fields(), ["plate"]);
    // The default test load weighs 1200.5 kg: too heavy for the van.
    let shipment = app
        .create_shipment(&org, crate::helpers::shipment_body(org.customer))
        .await;
    let assign = app
        .post(
            &format!("/api/v1/shipments/{}/assign", shipment["id"]),
            token,
            json!({"driver_id": org.driver, "vehicle_id": created.body["id"]}),
        )
        .await
        .assert_problem(422);
    assert_eq!(assign.error_fields(), ["vehicle_id"]);
    assert!(assign.body["detail"].as_str().is_some());
}

async fn incidents_are_recorded_per_driver(app: TestApp) {
    let org = app.seed_org("safety").await;
    let token = org.token(Role::Dispatcher);
    let incident = json!({"driver_id": org.driver, "kind": "harsh_braking", "severity": "medium", "occurred_at": "2026-01-05T14:30:00Z", "lat": 30.27, "lon": -97.74, "description": "I-35 northbound"});
    let created = app.post("/api/v1/incidents", token, incident).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let by_driver = app
        .get(
            &format!("/api/v1/incidents?driver_id={}", org.driver),
            token,
        )
        .await;
    assert_eq!(by_driver.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/api/v1/incidents", org.token(Role::Driver))
            .await
            .body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let other = app.post("/api/v1/incidents", token, json!({"driver_id": org.other_driver, "kind": "speeding", "severity": "low", "occurred_at": "2026-01-05T14:30:00Z"})).await;
    assert_eq!(other.status, 201);
    assert_eq!(
        app.get("/api/v1/incidents", org.token(Role::Driver))
            .await
            .body["data"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "drivers see their own"
    );
    let future = app.post("/api/v1/incidents", token, json!({"driver_id": org.driver, "kind": "speeding", "severity": "low", "occurred_at": "2999-01-01T00:00:00Z"})).await;
    assert_eq!(future.assert_problem(422).error_fields(), ["occurred_at"]);
}

async fn admins_create_users_who_can_log_in(app: TestApp) {
    let org = app.seed_org("users").await;
    let admin = org.token(Role::Admin);
    let created = app
        .post("/api/v1/users", admin, json!({"email": "New.Dispatcher@users.test", "name": "Nia", "password": PASSWORD, "role": "dispatcher"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["email"], "new.dispatcher@users.test");
    assert!(created.body.get("password_hash").is_none());
    app.login("new.dispatcher@users.test").await;
    let dup = app.post("/api/v1/users", admin, json!({"email": "new.dispatcher@users.test", "name": "Nia", "password": PASSWORD, "role": "dispatcher"})).await;
    assert_eq!(dup.assert_problem(409).error_fields(), ["email"]);
    let weak = app
        .post(
            "/api/v1/users",
            admin,
            json!({"email": "c@users.test", "name": "C", "password": "short", "role": "customer"}),
        )
        .await;
    assert_eq!(
        weak.assert_problem(422).error_fields(),
        ["password", "customer_id"]
    );
}
