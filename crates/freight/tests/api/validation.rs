//! Bad input: every case answers 4xx problem+json naming the field, and writes nothing.

use crate::both_backends;
use crate::helpers::{shipment_body, Reply, TestApp};
use freight::domain::Role;
use reqwest::Method;
use serde_json::{json, Value};

both_backends!(
    bad_shipments_are_refused_naming_the_field_and_nothing_is_written,
    malformed_and_oversized_bodies_are_refused,
    unknown_ids_are_not_found
);

fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    *body
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}")) = value;
    body
}

async fn bad_shipments_are_refused_naming_the_field_and_nothing_is_written(app: TestApp) {
    let org = app.seed_org("bad").await;
    let token = org.token(Role::Dispatcher);
    let good = shipment_body(org.customer);
    let pickup_start = good["pickup"]["window"]["start"].clone();
    let long_ago = json!("2020-01-01T00:00:00Z");
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "wrong type",
            with(good.clone(), "/weight_kg", json!("heavy")),
            "weight_kg",
        ),
        (
            "unknown enum",
            with(good.clone(), "/priority", json!("asap")),
            "priority",
        ),
        (
            "latitude out of range",
            with(good.clone(), "/pickup/lat", json!(91.5)),
            "pickup.lat",
        ),
        (
            "longitude out of range",
            with(good.clone(), "/delivery/lon", json!(-181)),
            "delivery.lon",
        ),
        (
            "negative weight",
            with(good.clone(), "/weight_kg", json!(-5)),
            "weight_kg",
        ),
        (
            "absurd weight",
            with(good.clone(), "/weight_kg", json!(9.0e9)),
            "weight_kg",
        ),
        (
            "absurd volume",
            with(good.clone(), "/volume_m3", json!(12_000)),
            "volume_m3",
        ),
        (
            "window ends before it starts",
            with(good.clone(), "/pickup/window/end", long_ago.clone()),
            "pickup.window.end",
        ),
        (
            "delivery window before pickup window",
            with(
                with(
                    good.clone(),
                    "/delivery/window/start",
                    json!("2020-01-01T00:00:00Z"),
                ),
                "/delivery/window/end",
                json!("2020-01-01T02:00:00Z"),
            ),
            "delivery.window.end",
        ),
        (
            "bad timestamp",
            with(good.clone(), "/pickup/window/start", json!("tomorrow-ish")),
            "pickup.window.start",
        ),
        (
            "missing field",
            {
                let mut b = good.clone();
                b.as_object_mut().unwrap().remove("delivery");
                b
            },
            "delivery",
        ),
        (
            "unknown field",
            with(good.clone(), "/priority", json!("high"))
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("colour".into(), json!("red"));
                    Value::Object(o)
                })
                .unwrap(),
            "colour",
        ),
        (
            "bad currency",
            with(good.clone(), "/declared_value/currency", json!("dollars")),
            "declared_value.currency",
        ),
        (
            "negative value",
            with(good.clone(), "/declared_value/amount_cents", json!(-1)),
            "declared_value.amount_cents",
        ),
        (
            "unknown customer",
            with(good.clone(), "/customer_id", json!(987654)),
            "customer_id",
        ),
        (
            "empty address",
            with(good.clone(), "/pickup/address", json!("  ")),
            "pickup.address",
        ),
        (
            "fractional pallets",
            with(good.clone(), "/pallets", json!(2.5)),
            "pallets",
        ),
    ];
    assert_eq!(pickup_start, good["pickup"]["window"]["start"]);
    let before = app.shipment_count().await;
    for (what, body, field) in cases {
        let reply = app.post("/api/v1/shipments", token, body).await;
        let reply = reply.assert_problem(422);
        assert!(
            reply.error_fields().iter().any(|f| f == field),
            "{what}: expected field {field}, got {}",
            reply.body
        );
    }
    // Several mistakes at once are all reported.
    let many = with(
        with(good.clone(), "/weight_kg", json!(-1)),
        "/pickup/lat",
        json!(100),
    );
    let reply = app
        .post("/api/v1/shipments", token, many)
        .await
        .assert_problem(422);
    assert_eq!(reply.error_fields(), ["weight_kg", "pickup.lat"]);
    assert_eq!(
        app.shipment_count().await,
        before,
        "a refused request must not write anything"
    );

    // Edits are checked the same way and leave the shipment untouched.
    let created = app.create_shipment(&org, good).await;
    let id = created["id"].as_i64().unwrap();
    let reply = app
        .send_with(
            Method::PATCH,
            &format!("/api/v1/shipments/{id}"),
            Some(token),
            Some(json!({"weight_kg": -3})),
            &[("if-match", "\"1\"")],
        )
        .await
        .assert_problem(422);
    assert_eq!(reply.error_fields(), ["weight_kg"]);
    let after = app.get(&format!("/api/v1/shipments/{id}"), token).await;
    assert_eq!(
        (
            after.body["weight_kg"].as_f64(),
            after.body["version"].as_i64()
        ),
        (Some(1200.5), Some(1))
    );

    // Other resources validate too.
    let vehicle = json!({"name": "x", "plate": "AB-1", "vehicle_type": "spaceship", "capacity": {"weight_kg": 1, "volume_m3": 1, "pallets": 1}, "status": "active"});
    assert_eq!(
        app.post("/api/v1/vehicles", token, vehicle)
            .await
            .assert_problem(422)
            .error_fields(),
        ["vehicle_type"]
    );
    let rating = app
        .post(
            "/api/v1/ratings",
            org.token(Role::Customer),
            json!({"shipment_id": id, "score": 9}),
        )
        .await;
    assert_eq!(rating.assert_problem(422).error_fields(), ["score"]);
}

async fn malformed_and_oversized_bodies_are_refused(app: TestApp) {
    let org = app.seed_org("malformed").await;
    let token = org.token(Role::Dispatcher);
    let before = app.shipment_count().await;
    let raw = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/shipments"))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
    };
    let reply = to_reply(
        raw("{\"weight_kg\": ", "application/json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.assert_problem(400).body["code"], "malformed_json");
    let reply = to_reply(
        raw("weight=5", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap(),
    )
    .await;
    reply.assert_problem(415);
    let huge = json!({"notes": "x".repeat(200 * 1024)});
    let reply = app.post("/api/v1/shipments", token, huge).await;
    reply.assert_problem(413);
    assert_eq!(app.shipment_count().await, before);
}

async fn to_reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

async fn unknown_ids_are_not_found(app: TestApp) {
    let org = app.seed_org("unknown").await;
    let token = org.token(Role::Admin);
    for path in [
        "/api/v1/shipments/424242",
        "/api/v1/shipments/abc",
        "/api/v1/drivers/0",
        "/api/v1/vehicles/-1",
        "/api/v1/nope",
    ] {
        app.get(path, token).await.assert_problem(404);
    }
    let reply = app
        .post(
            "/api/v1/shipments/424242/transitions",
            token,
            json!({"to": "cancelled"}),
        )
        .await;
    reply.assert_problem(404);
}
