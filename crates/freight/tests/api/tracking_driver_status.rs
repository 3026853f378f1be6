//! Driver status on the live feed: every way the API changes a driver's status (an edit, a
//! shift starting or ending) reaches the live subscribers of that organization allowed to see
//! the driver, once per actual change, and never another organization's; with Redis, a change
//! made on one instance reaches a subscriber of another.

use freight::domain::Role;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Org, TestApp};
use crate::openapi_conformance::{conforms, document, schema};
use crate::rate_limits_redis::redis_or_not_run;
use crate::tracking_support::*;

both_backends!(status_changes_reach_live_subscribers_of_the_same_org_only);

/// Reads the feed until `n` driver-status events arrived; returns them as (driver, status).
/// Every message must be what the OpenAPI document's `LiveMessage` describes.
async fn status_events(doc: &Value, ws: &mut Ws, n: usize) -> Vec<(i64, String)> {
    let mut seen = Vec::new();
    while seen.len() < n {
        let msg = next_json(ws).await;
        if let Err(why) = conforms(doc, &schema("LiveMessage"), &msg) {
            panic!("{why}\n{msg}");
        }
        for e in msg["events"].as_array().cloned().unwrap_or_default() {
            if e["type"] == "driver_status" {
                seen.push((
                    e["driver_id"].as_i64().unwrap(),
                    e["status"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    seen
}

/// Opens the live feed as `role` of `org` and reads past the snapshot.
async fn subscribe(app: &TestApp, org: &Org, role: Role) -> Ws {
    let mut ws = ws_connect(
        app,
        &format!("/api/v1/tracking/live?access_token={}", org.token(role)),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["type"], "snapshot");
    ws
}

/// Edits a driver with a merge patch (reading its ETag first).
async fn patch_driver(app: &TestApp, org: &Org, driver: i64, patch: Value) {
    let path = format!("/api/v1/drivers/{driver}");
    let token = org.token(Role::Dispatcher);
    let version = app.get(&path, token).await.body["version"]
        .as_i64()
        .unwrap();
    let reply = app.patch(&path, token, version, patch).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// Starts (`"start"`) or ends (`"end"`) a driver's shift; returns the status code.
async fn shift(app: &TestApp, org: &Org, driver: i64, action: &str) -> u16 {
    let path = match action {
        "start" => format!("/api/v1/drivers/{driver}/sessions"),
        _ => format!("/api/v1/drivers/{driver}/sessions/end"),
    };
    app.post(&path, org.token(Role::Dispatcher), json!({}))
        .await
        .status
        .as_u16()
}

async fn status_changes_reach_live_subscribers_of_the_same_org_only(app: TestApp) {
    let acme = app.seed_org("acme").await;
    let rival = app.seed_org("rival").await;
    let doc = document(&app).await;
    let mut dispatch = subscribe(&app, &acme, Role::Dispatcher).await;
    let mut own_driver = subscribe(&app, &acme, Role::Driver).await;
    let mut rival_dispatch = subscribe(&app, &rival, Role::Dispatcher).await;

    // Both seeded drivers are available. An edit, then shifts: starting one for an available
    // driver changes nothing; ending it takes them off duty, starting again makes them available.
    patch_driver(&app, &acme, acme.driver, json!({"status": "on_break"})).await;
    assert_eq!(shift(&app, &acme, acme.other_driver, "start").await, 201);
    assert_eq!(shift(&app, &acme, acme.other_driver, "end").await, 200);
    assert_eq!(shift(&app, &acme, acme.other_driver, "start").await, 201);
    // An edit that leaves the status alone sends nothing; the next one does.
    patch_driver(
        &app,
        &acme,
        acme.driver,
        json!({"phone": "+1 512 555 0100"}),
    )
    .await;
    patch_driver(&app, &acme, acme.driver, json!({"status": "on_route"})).await;

    let expected = |d: i64, s: &str| (d, s.to_string());
    assert_eq!(
        status_events(&doc, &mut dispatch, 4).await,
        [
            expected(acme.driver, "on_break"),
            expected(acme.other_driver, "off_duty"),
            expected(acme.other_driver, "available"),
            expected(acme.driver, "on_route"),
        ]
    );
    // A driver's feed carries only their own status.
    assert_eq!(
        status_events(&doc, &mut own_driver, 2).await,
        [
            expected(acme.driver, "on_break"),
            expected(acme.driver, "on_route")
        ]
    );
    // The rival's first status event is its own change, made after all of acme's: had any of
    // acme's leaked, it would have come first.
    patch_driver(&app, &rival, rival.driver, json!({"status": "off_duty"})).await;
    assert_eq!(
        status_events(&doc, &mut rival_dispatch, 1).await,
        [expected(rival.driver, "off_duty")]
    );
}

#[tokio::test]
async fn a_status_change_on_one_instance_reaches_subscribers_of_another() {
    let Some(redis) = redis_or_not_run().await else {
        return;
    };
    let (a, b) = crate::tracking_redis::two_instances_on_one_channel(&redis).await;
    let acme = a.seed_org("acme").await;
    let rival = a.seed_org("rival").await;
    let doc = document(&b).await;
    let mut on_b = subscribe(&b, &acme, Role::Dispatcher).await;
    let mut rival_on_b = subscribe(&b, &rival, Role::Dispatcher).await;

    patch_driver(&a, &acme, acme.driver, json!({"status": "on_break"})).await;
    assert_eq!(
        status_events(&doc, &mut on_b, 1).await,
        [(acme.driver, "on_break".to_string())]
    );
    patch_driver(&a, &rival, rival.driver, json!({"status": "off_duty"})).await;
    assert_eq!(
        status_events(&doc, &mut rival_on_b, 1).await,
        [(rival.driver, "off_duty".to_string())]
    );
}
