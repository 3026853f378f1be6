//! Live fan-out across instances: two app instances on one database and the Redis on
//! 127.0.0.1:6379 (a unique channel per run). A fix, a geofence event and an ETA ingested on
//! one instance reach a live subscriber of the other, and the other's shipment JSON shows
//! the ETA. Under `CI=true` a missing Redis fails the test; elsewhere it prints NOT RUN.
//! With Redis down, ingest and the local live feed keep working.

use std::time::Duration;

use freight::config::Config;
use freight::domain::Role;
use serde_json::{json, Value};

use crate::helpers::{shipment_body, try_spawn_app_with, Backend, TestApp};
use crate::rate_limits_redis::{free_port, redis_or_not_run, unique};
use crate::tracking_support::*;

/// Waits (bounded) until `n` clients subscribe to `channel`, so nothing published is missed.
pub async fn wait_for_subscribers(redis: &str, channel: &str, n: i64) {
    let client = redis::Client::open(redis).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    for _ in 0..200 {
        let (_, count): (String, i64) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query_async(&mut conn)
            .await
            .unwrap();
        if count >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the instances never subscribed to {channel}");
}

/// Two app instances on one database whose live feeds share a fresh Redis channel, both
/// subscribed before this returns.
pub async fn two_instances_on_one_channel(redis: &str) -> (TestApp, TestApp) {
    let channel = format!("freight:test:{}", unique());
    let tweak = |c: &mut Config| {
        c.tracking.redis_url = Some(redis.to_string());
        c.tracking.redis_channel = channel.clone();
    };
    let a = try_spawn_app_with(Backend::Sqlite, tweak).await.unwrap();
    let b = a.spawn_peer(tweak).await;
    wait_for_subscribers(redis, &channel, 2).await;
    (a, b)
}

/// Reads live messages until `done` holds for the positions and events seen so far.
async fn read_until(
    ws: &mut Ws,
    done: impl Fn(&[Value], &[Value]) -> bool,
) -> (Vec<Value>, Vec<Value>) {
    let (mut positions, mut events) = (Vec::new(), Vec::new());
    while !done(&positions, &events) {
        let msg = next_json(ws).await;
        positions.extend(msg["positions"].as_array().cloned().unwrap_or_default());
        events.extend(msg["events"].as_array().cloned().unwrap_or_default());
    }
    (positions, events)
}

#[tokio::test]
async fn fixes_and_events_ingested_on_one_instance_reach_subscribers_of_another() {
    let Some(redis) = redis_or_not_run().await else {
        return;
    };
    let (a, b) = two_instances_on_one_channel(&redis).await;
    let org = a.seed_org("acme").await;
    let id = a.create_shipment(&org, shipment_body(org.customer)).await["id"]
        .as_i64()
        .unwrap();
    let token = org.token(Role::Dispatcher);
    let assign = a
        .post(
            &format!("/api/v1/shipments/{id}/assign"),
            token,
            json!({"driver_id": org.driver, "vehicle_id": org.vehicle}),
        )
        .await;
    assert_eq!(assign.status, 200, "{}", assign.body);
    let fence = a
        .post(
            "/api/v1/tracking/geofences",
            token,
            json!({"name": "Capitol", "circle": {"lat": 30.2747, "lon": -97.7404, "radius_m": 200.0}}),
        )
        .await;
    assert_eq!(fence.status, 201, "{}", fence.body);

    let mut live = ws_connect(&b, &format!("/api/v1/tracking/live?access_token={token}")).await;
    assert_eq!(next_json(&mut live).await["type"], "snapshot");
    let t0 = now_ms() - 60_000;
    let fixes = json!([
        fix_at(30.2600, -97.7400, t0),
        fix_at(30.2747, -97.7404, t0 + 30_000)
    ]);
    let reply = a
        .post("/api/v1/tracking/positions", org.token(Role::Driver), fixes)
        .await;
    assert_eq!(reply.body["accepted"], 2, "{}", reply.body);

    let (positions, events) = read_until(&mut live, |p, e| {
        p.iter()
            .any(|p| p["timestamp"].as_str().is_some() && p["lat"] == 30.2747)
            && e.iter().any(|e| e["kind"] == "enter")
            && e.iter().any(|e| e["type"] == "eta")
    })
    .await;
    let newest = positions.iter().find(|p| p["lat"] == 30.2747).unwrap();
    assert_eq!(newest["driver_id"], org.driver);
    assert!(newest["received_at"].is_string());
    let enter = events.iter().find(|e| e["kind"] == "enter").unwrap();
    assert_eq!(enter["geofence_id"], fence.body["id"]);
    let eta = events.iter().find(|e| e["type"] == "eta").unwrap();
    assert_eq!(eta["shipment_id"], id);

    // B's latest positions and shipment JSON carry what A committed.
    let latest = b.get("/api/v1/tracking/latest", token).await;
    assert_eq!(latest.body[0]["lat"], 30.2747, "{}", latest.body);
    let on_a = a.get(&format!("/api/v1/shipments/{id}"), token).await;
    let on_b = b.get(&format!("/api/v1/shipments/{id}"), token).await;
    assert_eq!(on_b.body["tracking"], on_a.body["tracking"]);
    assert_eq!(on_b.body["tracking"]["next_stop"], "pickup");
}

#[tokio::test]
async fn with_redis_down_ingest_and_the_local_live_feed_keep_working() {
    let url = format!("redis://127.0.0.1:{}/0", free_port());
    let app = try_spawn_app_with(Backend::Sqlite, |c| c.tracking.redis_url = Some(url))
        .await
        .unwrap();
    let org = app.seed_org("acme").await;
    let token = org.token(Role::Dispatcher);
    let mut live = ws_connect(&app, &format!("/api/v1/tracking/live?access_token={token}")).await;
    assert_eq!(next_json(&mut live).await["type"], "snapshot");
    let reply = app
        .post(
            "/api/v1/tracking/positions",
            org.token(Role::Driver),
            json!([fix_at(30.2600, -97.7400, now_ms() - 1000)]),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["accepted"], 1);
    let (_, p) = wait_for_driver(&mut live, org.driver).await;
    assert_eq!(p["lat"], 30.26);
    assert_eq!(stored(&app, org.driver).await, 1);
}
