//! GPS ingest over HTTP batch and WebSocket, and the live feed: the pipeline's correctness
//! rules (drops with reasons, duplicates, latest never moving back) and tenancy.

use freight::domain::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::tracking_support::*;

both_backends!(
    batch_upload_stores_good_fixes_and_counts_each_drop_reason,
    malformed_batch_names_the_field_and_stores_nothing,
    late_fixes_enter_history_but_never_move_latest_back,
    gateways_must_name_a_driver_of_their_own_organization,
    websocket_acknowledges_each_sequence_once_durable,
    live_feed_sends_a_snapshot_then_deltas_of_the_callers_org_only,
    drivers_and_shippers_see_only_their_own_drivers_live,
    fixes_with_and_without_optional_readings_store_alike,
);

/// Speed, heading, altitude and battery are optional. Batches of one statement shape that
/// alternate between having them and not must all store (on PostgreSQL a NULL float once
/// spoiled the prepared statement for the next real value; see `tracking/store.rs`).
async fn fixes_with_and_without_optional_readings_store_alike(app: TestApp) {
    let org = app.seed_org("bare").await;
    let token = org.token(Role::Driver);
    let t = now_ms() - 300_000;
    for i in 0..10i64 {
        let mut fix = fix_at(30.2672 + i as f64 * 0.0001, -97.7431, t + i * 10_000);
        if i % 2 == 0 {
            let readings = fix.as_object_mut().unwrap();
            for key in ["speed", "heading", "battery"] {
                readings.remove(key);
            }
        } else {
            fix["altitude"] = json!(150.0);
        }
        let reply = app
            .post("/api/v1/tracking/positions", token, json!([fix]))
            .await;
        assert_eq!(reply.status, 200, "fix {i}: {}", reply.body);
        assert_eq!(reply.body["accepted"], 1, "fix {i}: {}", reply.body);
    }
    assert_eq!(stored(&app, org.driver).await, 10);
}

async fn batch_upload_stores_good_fixes_and_counts_each_drop_reason(app: TestApp) {
    let org = app.seed_org("acme").await;
    let token = org.token(Role::Driver);
    let t = now_ms() - 60_000;
    let mut poor = fix_at(30.2672, -97.7431, t + 1_000);
    poor["accuracy"] = json!(120.0);
    let batch = json!([
        fix_at(30.2672, -97.7431, t),                    // 0 ok
        poor,                                            // 1 accuracy
        fix_at(95.0, -97.7431, t + 2_000),               // 2 out of range
        fix_at(30.2673, -97.7431, now_ms() + 3_600_000), // 3 future
        fix_at(30.2672, -97.7431, t),                    // 4 duplicate of 0
        fix_at(31.2672, -97.7431, t + 5_000),            // 5 teleport (~111 km in 5 s)
        fix_at(30.2680, -97.7431, t + 10_000),           // 6 ok
    ]);
    let reply = app.post("/api/v1/tracking/positions", token, batch).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["accepted"], 2);
    let reasons: Vec<(u64, String)> = reply.body["dropped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["index"].as_u64().unwrap(),
                d["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (1, "accuracy"),
            (2, "out_of_range"),
            (3, "future_timestamp"),
            (4, "duplicate"),
            (5, "teleport")
        ]
        .map(|(i, r)| (i, r.to_string()))
    );
    assert_eq!(stored(&app, org.driver).await, 2);

    // Re-sending an acknowledged fix (a client that missed the ack) stores nothing new.
    let again = app
        .post(
            "/api/v1/tracking/positions",
            token,
            json!([fix_at(30.2680, -97.7431, t + 10_000)]),
        )
        .await;
    assert_eq!(again.body["dropped"][0]["reason"], "duplicate");
    assert_eq!(stored(&app, org.driver).await, 2);

    let stats = app
        .get("/api/v1/tracking/stats", org.token(Role::Admin))
        .await;
    let counts = &stats.body["organization"];
    assert_eq!(counts["accepted"], 2);
    assert_eq!(
        counts["dropped"],
        json!({"accuracy": 1, "out_of_range": 1, "future_timestamp": 1, "teleport": 1, "duplicate": 2})
    );
}

async fn malformed_batch_names_the_field_and_stores_nothing(app: TestApp) {
    let org = app.seed_org("acme").await;
    let token = org.token(Role::Driver);
    let t = now_ms();
    let reply = app
        .post(
            "/api/v1/tracking/positions",
            token,
            json!([fix_at(30.1, -97.1, t), {"lat": "north", "lon": -97.0, "timestamp": t}]),
        )
        .await
        .assert_problem(422);
    assert_eq!(reply.error_fields(), ["[1].lat"]);
    let reply = app
        .post(
            "/api/v1/tracking/positions",
            token,
            json!({"positions": [{"lat": 30.1, "lon": -97.1}]}),
        )
        .await
        .assert_problem(422);
    assert_eq!(
        reply.error_fields(),
        ["positions[0].timestamp"],
        "{}",
        reply.body
    );
    app.post("/api/v1/tracking/positions", token, json!([]))
        .await
        .assert_problem(422);
    assert_eq!(stored(&app, org.driver).await, 0);
    // Roles without ingest rights are refused.
    app.post(
        "/api/v1/tracking/positions",
        org.token(Role::Customer),
        json!([fix_at(30.1, -97.1, t)]),
    )
    .await
    .assert_problem(403);
}

async fn late_fixes_enter_history_but_never_move_latest_back(app: TestApp) {
    let org = app.seed_org("acme").await;
    let token = org.token(Role::Driver);
    let t = now_ms() - 120_000;
    let newest = app
        .post(
            "/api/v1/tracking/positions",
            token,
            json!([fix_at(30.30, -97.70, t + 60_000)]),
        )
        .await;
    assert_eq!(newest.body["accepted"], 1);
    // Arrives later but was taken earlier (an offline buffer flushing).
    let late = app
        .post(
            "/api/v1/tracking/positions",
            token,
            json!([fix_at(30.29, -97.70, t)]),
        )
        .await;
    assert_eq!(late.body["accepted"], 1);
    assert_eq!(stored(&app, org.driver).await, 2);
    assert_eq!(stored_latest_time(&app, org.driver).await, Some(t + 60_000));
    let latest = app
        .get("/api/v1/tracking/latest", org.token(Role::Dispatcher))
        .await;
    assert_eq!(latest.status, 200, "{}", latest.body);
    let mine: Vec<&Value> = latest
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["driver_id"] == org.driver)
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["lat"], 30.30);
}

async fn gateways_must_name_a_driver_of_their_own_organization(app: TestApp) {
    let acme = app.seed_org("acme").await;
    let rival = app.seed_org("rival").await;
    let admin = acme.token(Role::Admin);
    let t = now_ms();
    let reply = app
        .post(
            "/api/v1/tracking/positions",
            admin,
            json!([fix_at(30.1, -97.1, t)]),
        )
        .await
        .assert_problem(422);
    assert_eq!(reply.error_fields(), ["[0].driver_id"]);
    let mut foreign = fix_at(30.1, -97.1, t);
    foreign["driver_id"] = json!(rival.driver);
    let reply = app
        .post("/api/v1/tracking/positions", admin, json!([foreign]))
        .await
        .assert_problem(422);
    assert_eq!(reply.error_fields(), ["[0].driver_id"]);
    assert_eq!(stored(&app, rival.driver).await, 0);
    // A driver cannot send for a colleague.
    let mut colleague = fix_at(30.1, -97.1, t);
    colleague["driver_id"] = json!(acme.other_driver);
    app.post(
        "/api/v1/tracking/positions",
        acme.token(Role::Driver),
        json!([colleague]),
    )
    .await
    .assert_problem(422);
    let mut own = fix_at(30.1, -97.1, t);
    own["driver_id"] = json!(acme.other_driver);
    let reply = app
        .post("/api/v1/tracking/positions", admin, json!([own]))
        .await;
    assert_eq!(reply.body["accepted"], 1, "{}", reply.body);
    assert_eq!(stored(&app, acme.other_driver).await, 1);
}

async fn websocket_acknowledges_each_sequence_once_durable(app: TestApp) {
    let org = app.seed_org("acme").await;
    let token = org.token(Role::Driver);
    let mut ws = ws_connect(&app, &format!("/api/v1/tracking/ws?access_token={token}")).await;
    let t = now_ms() - 30_000;
    let mut one = fix_at(30.2672, -97.7431, t);
    one["seq"] = json!(1);
    send_json(&mut ws, one).await;
    let mut poor = fix_at(30.2673, -97.7431, t + 2_000);
    poor["accuracy"] = json!(500.0);
    send_json(
        &mut ws,
        json!({"seq": 2, "fixes": [fix_at(30.2672, -97.7432, t + 1_000), poor]}),
    )
    .await;
    send_json(
        &mut ws,
        json!({"seq": 3, "fixes": [{"lat": 30.0, "timestamp": t}]}),
    )
    .await;
    send_json(&mut ws, json!({"lat": 30.0, "lon": -97.0, "timestamp": t})).await;

    let ack1 = next_json(&mut ws).await;
    assert_eq!(
        (
            ack1["type"].as_str(),
            ack1["seq"].as_u64(),
            ack1["accepted"].as_u64()
        ),
        (Some("ack"), Some(1), Some(1))
    );
    let ack2 = next_json(&mut ws).await;
    assert_eq!(
        (
            ack2["type"].as_str(),
            ack2["seq"].as_u64(),
            ack2["accepted"].as_u64()
        ),
        (Some("ack"), Some(2), Some(1))
    );
    assert_eq!(ack2["dropped"], json!([{"index": 1, "reason": "accuracy"}]));
    let err3 = next_json(&mut ws).await;
    assert_eq!(
        (err3["type"].as_str(), err3["seq"].as_u64()),
        (Some("error"), Some(3))
    );
    assert_eq!(err3["errors"][0]["field"], "fixes[0].lon");
    let err4 = next_json(&mut ws).await;
    assert_eq!(err4["errors"][0]["field"], "seq");
    // An ack means stored: both acknowledged fixes are in the table right now.
    assert_eq!(stored(&app, org.driver).await, 2);

    // Credentials are required, and other tenants' devices/drivers are not reachable.
    let bad = tokio_tungstenite::connect_async(format!(
        "{}/api/v1/tracking/ws",
        app.base.replacen("http", "ws", 1)
    ))
    .await;
    assert!(bad.is_err());
    let rival = app.seed_org("rival").await;
    let reply = app
        .send(
            Method::GET,
            &format!(
                "/api/v1/tracking/ws?access_token={}&driver_id={}",
                org.token(Role::Admin),
                rival.driver
            ),
            None,
            None,
        )
        .await;
    assert!(reply.status.is_client_error(), "{:?}", reply.status);
}

async fn live_feed_sends_a_snapshot_then_deltas_of_the_callers_org_only(app: TestApp) {
    let acme = app.seed_org("acme").await;
    let rival = app.seed_org("rival").await;
    let t = now_ms() - 10_000;
    app.post(
        "/api/v1/tracking/positions",
        acme.token(Role::Driver),
        json!([fix_at(30.25, -97.75, t)]),
    )
    .await;
    let mut feed = ws_connect(
        &app,
        &format!(
            "/api/v1/tracking/live?access_token={}",
            acme.token(Role::Dispatcher)
        ),
    )
    .await;
    let snapshot = next_json(&mut feed).await;
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(snapshot["positions"].as_array().unwrap().len(), 1);
    assert_eq!(snapshot["positions"][0]["driver_id"], acme.driver);

    // A rival fix first, then ours: if the rival's leaked it would show up before ours.
    let reply = app
        .post(
            "/api/v1/tracking/positions",
            rival.token(Role::Driver),
            json!([fix_at(30.40, -97.70, t + 1_000)]),
        )
        .await;
    assert_eq!(reply.body["accepted"], 1);
    let before = now_ms();
    app.post(
        "/api/v1/tracking/positions",
        acme.token(Role::Driver),
        json!([fix_at(30.2505, -97.75, t + 1_000)]),
    )
    .await;
    let (others, mine) = wait_for_driver(&mut feed, acme.driver).await;
    assert!(
        others.iter().all(|p| p["driver_id"] != rival.driver),
        "rival leaked: {others:?}"
    );
    assert_eq!(mine["lat"], 30.2505);
    let received = chrono::DateTime::parse_from_rfc3339(mine["received_at"].as_str().unwrap())
        .unwrap()
        .timestamp_millis();
    assert!(
        received >= before - 1,
        "received_at is the server receive time"
    );

    // Filters must parse: the handshake is refused with 422.
    let url = format!(
        "{}/api/v1/tracking/live?access_token={}&bbox=1,2,3",
        app.base.replacen("http", "ws", 1),
        acme.token(Role::Admin)
    );
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 422)
        }
        other => panic!("expected a refused handshake, got {other:?}"),
    }
}

async fn drivers_and_shippers_see_only_their_own_drivers_live(app: TestApp) {
    let acme = app.seed_org("acme").await;
    let t = now_ms() - 10_000;
    let admin = acme.token(Role::Admin);
    for d in [acme.driver, acme.other_driver] {
        let mut f = fix_at(30.25, -97.75, t);
        f["driver_id"] = json!(d);
        app.post("/api/v1/tracking/positions", admin, json!([f]))
            .await;
    }
    let ids = |v: &Value| -> Vec<i64> {
        let mut ids: Vec<i64> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["driver_id"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    let staff = app
        .get("/api/v1/tracking/latest", acme.token(Role::Analyst))
        .await;
    assert_eq!(ids(&staff.body).len(), 2);
    let driver = app
        .get("/api/v1/tracking/latest", acme.token(Role::Driver))
        .await;
    assert_eq!(ids(&driver.body), [acme.driver]);
    // The shipper sees no one until one of its shipments is assigned to a driver.
    let shipper = app
        .get("/api/v1/tracking/latest", acme.token(Role::Customer))
        .await;
    assert!(ids(&shipper.body).is_empty());
    app.assigned_shipment(&acme).await;
    let shipper = app
        .get("/api/v1/tracking/latest", acme.token(Role::Customer))
        .await;
    assert_eq!(ids(&shipper.body), [acme.driver]);
    let mut feed = ws_connect(
        &app,
        &format!(
            "/api/v1/tracking/live?access_token={}",
            acme.token(Role::Customer)
        ),
    )
    .await;
    let snapshot = next_json(&mut feed).await;
    assert_eq!(ids(&snapshot["positions"]), [acme.driver]);
}
