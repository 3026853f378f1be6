//! Route planning through the API: optimize, read the plan, accept it, follow a background
//! plan, and refuse what cannot be planned.

use crate::both_backends;
use crate::helpers::{Org, Reply, TestApp};
use freight::domain::Role;
use serde_json::{json, Value};

both_backends!(
    two_routes_are_optimized_and_accepting_assigns_the_shipments,
    unservable_shipments_come_back_with_reasons,
    bad_planning_requests_name_the_field,
    an_outdated_plan_is_refused_whole,
    inline_stops_are_planned_beside_shipments_and_accepted,
    bad_inline_stops_name_the_field,
);

/// Austin drop points around the test depot.
const POINTS: &[(f64, f64)] = &[
    (30.2040, -97.7140),
    (30.4020, -97.7253),
    (30.2586, -97.8078),
    (30.3051, -97.7066),
    (30.2747, -97.7404),
    (30.3905, -97.7474),
    (30.2310, -97.8190),
    (30.3570, -97.7310),
];

fn load(customer: i64, i: usize, weight: f64, hours_from_now: (i64, i64)) -> Value {
    let now = chrono::Utc::now();
    let window = |a: i64, b: i64| json!({"start": (now + chrono::Duration::hours(a)).to_rfc3339(), "end": (now + chrono::Duration::hours(b)).to_rfc3339()});
    let (p, d) = (POINTS[i % POINTS.len()], POINTS[(i * 3 + 1) % POINTS.len()]);
    json!({
        "customer_id": customer, "weight_kg": weight, "volume_m3": 2.0, "pallets": 1,
        "pickup": {"address": format!("pickup {i}"), "lat": p.0, "lon": p.1, "window": window(hours_from_now.0, hours_from_now.1), "service_minutes": 10},
        "delivery": {"address": format!("drop {i}"), "lat": d.0, "lon": d.1, "window": window(hours_from_now.0, hours_from_now.1 + 6), "service_minutes": 10}
    })
}

/// Accepts plan `plan_id`.
async fn accept(app: &TestApp, token: &str, plan_id: &str) -> Reply {
    app.post(
        &format!("/api/v1/routes/plans/{plan_id}/accept"),
        token,
        json!({}),
    )
    .await
}

async fn second_vehicle(app: &TestApp, org: &Org) -> i64 {
    let vehicle = json!({"name": "Unit 2", "plate": format!("{}-2", org.slug), "vehicle_type": "box_truck", "capacity": {"weight_kg": 7000.0, "volume_m3": 40.0, "pallets": 12}, "status": "active"});
    app.post("/api/v1/vehicles", org.token(Role::Dispatcher), vehicle)
        .await
        .body["id"]
        .as_i64()
        .unwrap()
}

async fn book(app: &TestApp, org: &Org, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            app.create_shipment(org, load(org.customer, i, 300.0, (1, 8)))
                .await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    ids
}

async fn two_routes_are_optimized_and_accepting_assigns_the_shipments(app: TestApp) {
    let org = app.seed_org("plan").await;
    let token = org.token(Role::Dispatcher);
    let vehicle2 = second_vehicle(&app, &org).await;
    let ids = book(&app, &org, 8).await;
    let request = json!({"shipment_ids": ids, "crews": [{"driver_id": org.driver, "vehicle_id": org.vehicle}, {"driver_id": org.other_driver, "vehicle_id": vehicle2}], "time_limit_seconds": 0.5});
    let plan = app.post("/api/v1/routes/optimize", token, request).await;
    assert_eq!(plan.status, 200, "{}", plan.body);
    assert_eq!(plan.body["status"], "completed");
    let result = &plan.body["result"];
    assert!(
        result["unassigned"].as_array().unwrap().is_empty(),
        "{result}"
    );
    let mut served = Vec::new();
    for route in result["routes"].as_array().unwrap() {
        let stops = route["stops"].as_array().unwrap();
        let mut last = String::new();
        for (i, stop) in stops.iter().enumerate() {
            let arrival = stop["arrival"].as_str().unwrap().to_string();
            assert!(arrival >= last, "arrival times run forward");
            last = arrival;
            if stop["action"] == "delivery" {
                let picked = stops[..i]
                    .iter()
                    .any(|s| s["shipment_id"] == stop["shipment_id"] && s["action"] == "pickup");
                assert!(picked, "pickup before delivery on the same route");
                served.push(stop["shipment_id"].as_i64().unwrap());
            }
        }
        assert!(route["distance_m"].as_f64().unwrap() > 0.0);
    }
    served.sort();
    assert_eq!(served, ids);
    let savings = &result["savings"];
    let manual = savings["manual_distance_m"].as_f64().unwrap();
    let optimized = savings["optimized_distance_m"].as_f64().unwrap();
    assert!(manual > 0.0, "{savings}");
    assert!(
        (savings["percent"].as_f64().unwrap() - (manual - optimized) / manual * 100.0).abs() < 1e-6,
        "{savings}"
    );
    if savings["manual_late_stops"] == 0 {
        // An on-time manual plan is a feasible plan, so the optimizer must not do worse.
        assert!(manual >= optimized - 1.0, "{savings}");
    }

    let plan_id = plan.body["plan_id"].as_str().unwrap();
    let fetched = app
        .get(&format!("/api/v1/routes/plans/{plan_id}"), token)
        .await;
    assert_eq!(fetched.body["result"], *result);
    let accepted = accept(&app, token, plan_id).await;
    assert_eq!(
        (accepted.status.as_u16(), accepted.body["status"].as_str()),
        (200, Some("accepted")),
        "{}",
        accepted.body
    );
    for route in result["routes"].as_array().unwrap() {
        let driver = route["driver_id"].as_i64().unwrap();
        for stop in route["stops"].as_array().unwrap() {
            let s = app
                .get(&format!("/api/v1/shipments/{}", stop["shipment_id"]), token)
                .await;
            assert_eq!(
                (s.body["status"].as_str(), s.body["driver"]["id"].as_i64()),
                (Some("assigned"), Some(driver))
            );
        }
        let list = app
            .get(&format!("/api/v1/drivers/{driver}/stops"), token)
            .await;
        let sequence: Vec<(i64, String)> = list
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["shipment_id"].as_i64().unwrap(),
                    s["action"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let planned: Vec<(i64, String)> = route["stops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["shipment_id"].as_i64().unwrap(),
                    s["action"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            sequence, planned,
            "the driver's stop list is the accepted route"
        );
    }
    let events = app
        .get(&format!("/api/v1/shipments/{}/events", ids[0]), token)
        .await;
    assert_eq!(
        events.body.as_array().unwrap().last().unwrap()["to_status"],
        "assigned"
    );
    accept(&app, token, plan_id).await.assert_problem(409);
}

async fn unservable_shipments_come_back_with_reasons(app: TestApp) {
    let org = app.seed_org("reasons").await;
    let token = org.token(Role::Dispatcher);
    let fits = app
        .create_shipment(&org, load(org.customer, 0, 500.0, (1, 8)))
        .await["id"]
        .as_i64()
        .unwrap();
    let heavy = app
        .create_shipment(&org, load(org.customer, 1, 9_000.0, (1, 8)))
        .await["id"]
        .as_i64()
        .unwrap();
    let late = app
        .create_shipment(&org, load(org.customer, 2, 100.0, (20, 21)))
        .await["id"]
        .as_i64()
        .unwrap();
    let request = json!({"shipment_ids": [fits, heavy, late], "crews": [{"driver_id": org.driver, "vehicle_id": org.vehicle}], "time_limit_seconds": 0.3});
    let plan = app.post("/api/v1/routes/optimize", token, request).await;
    assert_eq!(plan.status, 200, "{}", plan.body);
    let unassigned: Vec<(i64, String)> = plan.body["result"]["unassigned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["shipment_id"].as_i64().unwrap(),
                u["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        unassigned.contains(&(heavy, "CAPACITY_EXCEEDS_EVERY_VEHICLE".to_string())),
        "{unassigned:?}"
    );
    assert!(
        unassigned
            .iter()
            .any(|(id, reason)| *id == late && reason != "CAPACITY_EXCEEDS_EVERY_VEHICLE"),
        "a window beyond the shift: {unassigned:?}"
    );
    assert!(!unassigned.iter().any(|(id, _)| *id == fits));
}

async fn bad_planning_requests_name_the_field(app: TestApp) {
    let org = app.seed_org("badplan").await;
    let rival = app.seed_org("badplan-rival").await;
    let token = org.token(Role::Dispatcher);
    let ids = book(&app, &org, 2).await;
    let theirs = book(&app, &rival, 1).await;
    let crew = json!([{"driver_id": org.driver, "vehicle_id": org.vehicle}]);
    let cases = [
        (json!({"shipment_ids": [], "crews": crew}), "shipment_ids"),
        (json!({"shipment_ids": ids, "crews": []}), "crews"),
        (
            json!({"shipment_ids": ids, "crews": [{"driver_id": 999999, "vehicle_id": org.vehicle}]}),
            "crews[0].driver_id",
        ),
        (
            json!({"shipment_ids": ids, "crews": [{"driver_id": org.driver, "vehicle_id": 999999}]}),
            "crews[0].vehicle_id",
        ),
        (
            json!({"shipment_ids": [ids[0], theirs[0]], "crews": crew}),
            "shipment_ids",
        ),
        (
            json!({"shipment_ids": ids, "crews": crew, "time_limit_seconds": 900}),
            "time_limit_seconds",
        ),
        (
            json!({"shipment_ids": ids, "crews": crew, "objective": "fastest"}),
            "objective",
        ),
        (
            json!({"shipment_ids": [ids[0], ids[0]], "crews": crew}),
            "shipment_ids",
        ),
    ];
    for (body, field) in cases {
        let reply = app
            .post("/api/v1/routes/optimize", token, body)
            .await
            .assert_problem(422);
        assert!(
            reply.error_fields().iter().any(|f| f == field),
            "expected {field}: {}",
            reply.body
        );
    }
    app.post(
        "/api/v1/routes/optimize",
        org.token(Role::Customer),
        json!({"shipment_ids": ids, "crews": crew}),
    )
    .await
    .assert_problem(403);
    app.get("/api/v1/routes/plans/plan_nope", token)
        .await
        .assert_problem(404);
}

async fn an_outdated_plan_is_refused_whole(app: TestApp) {
    let org = app.seed_org("outdated").await;
    let token = org.token(Role::Dispatcher);
    let ids = book(&app, &org, 3).await;
    let request = json!({"shipment_ids": ids, "crews": [{"driver_id": org.driver, "vehicle_id": org.vehicle}], "time_limit_seconds": 0.3});
    let plan = app.post("/api/v1/routes/optimize", token, request).await;
    let plan_id = plan.body["plan_id"].as_str().unwrap().to_string();
    let cancel = app
        .post(
            &format!("/api/v1/shipments/{}/transitions", ids[1]),
            token,
            json!({"to": "cancelled"}),
        )
        .await;
    assert_eq!(cancel.status, 200);
    let refused = accept(&app, token, &plan_id).await.assert_problem(409);
    assert_eq!(refused.body["code"], "plan_outdated");
    for id in [ids[0], ids[2]] {
        assert_eq!(
            app.get(&format!("/api/v1/shipments/{id}"), token)
                .await
                .body["status"],
            "booked",
            "nothing half-assigned"
        );
    }
}

/// An inline stop near the test depot.
fn inline_stop(id: &str, i: usize, kind: &str) -> Value {
    let p = POINTS[i % POINTS.len()];
    json!({"id": id, "kind": kind, "address": format!("ad hoc {i}"), "lat": p.0, "lon": p.1,
           "service_minutes": 5, "weight_kg": 100.0, "pallets": 1})
}

async fn inline_stops_are_planned_beside_shipments_and_accepted(app: TestApp) {
    let org = app.seed_org("inline").await;
    let token = org.token(Role::Dispatcher);
    let ids = book(&app, &org, 2).await;
    let now = chrono::Utc::now();
    let mut windowed = inline_stop("drop-b", 4, "delivery");
    windowed["window"] = json!({"start": (now + chrono::Duration::hours(2)).to_rfc3339(),
                                "end": (now + chrono::Duration::hours(5)).to_rfc3339()});
    let stops = json!([
        inline_stop("drop-a", 3, "delivery"),
        windowed,
        inline_stop("collect-c", 6, "pickup")
    ]);
    let crew = json!([{"driver_id": org.driver, "vehicle_id": org.vehicle}]);
    let request =
        json!({"shipment_ids": ids, "stops": stops, "crews": crew, "time_limit_seconds": 0.3});
    let plan = app.post("/api/v1/routes/optimize", token, request).await;
    assert_eq!(plan.status, 200, "{}", plan.body);
    let result = &plan.body["result"];
    assert!(
        result["unassigned"].as_array().unwrap().is_empty(),
        "{result}"
    );
    let route = &result["routes"][0];
    let visits = route["stops"].as_array().unwrap();
    let mut adhoc: Vec<(&str, &str)> = visits
        .iter()
        .filter(|v| v["shipment_id"].is_null())
        .map(|v| {
            (
                v["stop_id"].as_str().unwrap(),
                v["action"].as_str().unwrap(),
            )
        })
        .collect();
    adhoc.sort();
    assert_eq!(
        adhoc,
        [
            ("collect-c", "pickup"),
            ("drop-a", "delivery"),
            ("drop-b", "delivery")
        ]
    );
    let drop_b = visits.iter().find(|v| v["stop_id"] == "drop-b").unwrap();
    let departure =
        chrono::DateTime::parse_from_rfc3339(drop_b["departure"].as_str().unwrap()).unwrap();
    assert!(
        departure >= now + chrono::Duration::hours(2),
        "served inside its window: {drop_b}"
    );

    let plan_id = plan.body["plan_id"].as_str().unwrap();
    let accepted = accept(&app, token, plan_id).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    for id in &ids {
        let s = app.get(&format!("/api/v1/shipments/{id}"), token).await;
        assert_eq!(s.body["status"], "assigned");
    }
    let list = app
        .get(&format!("/api/v1/drivers/{}/stops", org.driver), token)
        .await;
    // The stop list is the whole route in plan order: shipment visits and inline stops,
    // each with its address and planned arrival.
    let subject = |v: &Value| {
        (
            v["shipment_id"].as_i64(),
            v["stop_id"].as_str().map(String::from),
        )
    };
    let stored: Vec<(Option<i64>, Option<String>, String)> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let (shipment, stop) = subject(s);
            (shipment, stop, s["address"].as_str().unwrap().to_string())
        })
        .collect();
    let planned: Vec<(Option<i64>, Option<String>, String)> = visits
        .iter()
        .map(|v| {
            let (shipment, stop) = subject(v);
            (shipment, stop, v["address"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        stored, planned,
        "the stop list keeps every visit in plan order"
    );
    let stored_drop_b = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stop_id"] == "drop-b")
        .unwrap();
    assert_eq!(stored_drop_b["planned_arrival"], drop_b["arrival"]);
    assert_eq!(stored_drop_b["action"], "delivery");
    assert!(stored_drop_b["shipment_id"].is_null());

    // Inline stops alone are a plan too.
    let only = json!({"stops": [inline_stop("solo", 1, "delivery")], "crews": crew, "time_limit_seconds": 0.2});
    let plan = app.post("/api/v1/routes/optimize", token, only).await;
    assert_eq!(plan.status, 200, "{}", plan.body);
    assert_eq!(
        plan.body["result"]["routes"][0]["stops"][0]["stop_id"],
        "solo"
    );
    // Accepted, it replaces the driver's stop list and assigns nothing.
    let plan_id = plan.body["plan_id"].as_str().unwrap();
    let accepted = accept(&app, token, plan_id).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let list = app
        .get(&format!("/api/v1/drivers/{}/stops", org.driver), token)
        .await;
    let stops = list.body.as_array().unwrap();
    assert_eq!(stops.len(), 1, "{}", list.body);
    assert_eq!(stops[0]["stop_id"], "solo");
    assert_eq!(stops[0]["address"], "ad hoc 1");
    assert_eq!(stops[0]["plan_id"], plan_id);
}

async fn bad_inline_stops_name_the_field(app: TestApp) {
    let org = app.seed_org("badinline").await;
    let token = org.token(Role::Dispatcher);
    let crew = json!([{"driver_id": org.driver, "vehicle_id": org.vehicle}]);
    let with = |changes: Value| {
        let mut stop = inline_stop("s-1", 0, "delivery");
        for (k, v) in changes.as_object().unwrap() {
            stop[k] = v.clone();
        }
        stop
    };
    let now = chrono::Utc::now();
    let cases = [
        (json!([with(json!({"lat": 91.0}))]), "stops[0].lat"),
        (json!([with(json!({"lon": -200.0}))]), "stops[0].lon"),
        (json!([with(json!({"id": "no spaces"}))]), "stops[0].id"),
        (json!([with(json!({})), with(json!({}))]), "stops[1].id"),
        (
            json!([with(json!({"weight_kg": -1.0}))]),
            "stops[0].weight_kg",
        ),
        (json!([with(json!({"pallets": 61}))]), "stops[0].pallets"),
        (
            json!([with(json!({"service_minutes": 5000}))]),
            "stops[0].service_minutes",
        ),
        (
            json!([with(
                json!({"window": {"start": now.to_rfc3339(), "end": (now - chrono::Duration::hours(1)).to_rfc3339()}})
            )]),
            "stops[0].window.end",
        ),
    ];
    for (stops, field) in cases {
        let reply = app
            .post(
                "/api/v1/routes/optimize",
                token,
                json!({"stops": stops, "crews": crew}),
            )
            .await
            .assert_problem(422);
        assert!(
            reply.error_fields().iter().any(|f| f == field),
            "expected {field}: {}",
            reply.body
        );
    }
    let unknown = app
        .post(
            "/api/v1/routes/optimize",
            token,
            json!({"stops": [with(json!({"colour": "red"}))], "crews": crew}),
        )
        .await;
    assert!(unknown.status.is_client_error(), "{}", unknown.body);
    let nothing = app
        .post("/api/v1/routes/optimize", token, json!({"crews": crew}))
        .await
        .assert_problem(422);
    assert!(nothing.error_fields().iter().any(|f| f == "shipment_ids"));
}

#[tokio::test]
async fn a_long_plan_runs_in_the_background_with_a_result_url() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let org = app.seed_org("background").await;
    let token = org.token(Role::Dispatcher);
    let ids = book(&app, &org, 4).await;
    let request = json!({"shipment_ids": ids, "crews": [{"driver_id": org.driver, "vehicle_id": org.vehicle}], "time_limit_seconds": 5.5});
    let started = app.post("/api/v1/routes/optimize", token, request).await;
    assert_eq!(
        (started.status.as_u16(), started.body["status"].as_str()),
        (202, Some("running")),
        "{}",
        started.body
    );
    let url = started.body["result_url"].as_str().unwrap().to_string();
    let mut last = serde_json::Value::Null;
    for _ in 0..60 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        last = app.get(&url, token).await.body;
        if last["status"] != "running" {
            break;
        }
    }
    assert_eq!(last["status"], "completed", "{last}");
    assert_eq!(
        last["result"]["routes"][0]["stops"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
}
