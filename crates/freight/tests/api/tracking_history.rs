//! Track history: JSON and GeoJSON, simplification, stops and trips, visibility, retention.

use freight::domain::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::openapi_conformance::{conforms, document};
use crate::tracking_support::*;

both_backends!(
    a_track_has_its_fixes_stops_and_trips_as_json_and_geojson,
    old_fixes_are_pruned_after_the_retention_period
);

fn rfc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        .replace('+', "%2B")
}

async fn a_track_has_its_fixes_stops_and_trips_as_json_and_geojson(app: TestApp) {
    let org = app.seed_org("acme").await;
    let rival = app.seed_org("rival").await;
    let t0 = now_ms() - 3 * 3600 * 1000;
    let min = 60_000;
    // Drive north 10 minutes, wait 12 minutes at a dock, drive on 10 minutes.
    let mut fixes: Vec<Value> = (0..10)
        .map(|i| fix_at(30.20 + i as f64 * 0.004, -97.70, t0 + i * min))
        .collect();
    fixes.extend((10..22).map(|i| fix_at(30.236, -97.70, t0 + i * min)));
    fixes.extend((22..32).map(|i| fix_at(30.236 + (i - 21) as f64 * 0.004, -97.70, t0 + i * min)));
    let reply = app
        .post(
            "/api/v1/tracking/positions",
            org.token(Role::Driver),
            json!(fixes),
        )
        .await;
    assert_eq!(reply.body["accepted"], 32, "{}", reply.body);

    let path = format!(
        "/api/v1/drivers/{}/track?from={}&to={}",
        org.driver,
        rfc(t0),
        rfc(t0 + 60 * min)
    );
    let track = app.get(&path, org.token(Role::Dispatcher)).await;
    assert_eq!(track.status, 200, "{}", track.body);
    assert_eq!(track.body["total_fixes"], 32);
    assert_eq!(track.body["fixes"].as_array().unwrap().len(), 32);
    assert_eq!(track.body["stops"].as_array().unwrap().len(), 1);
    assert_eq!(track.body["stops"][0]["duration_s"], 12 * 60);
    assert_eq!(track.body["trips"].as_array().unwrap().len(), 2);
    let km = track.body["trips"][0]["distance_m"].as_f64().unwrap() / 1000.0;
    assert!((3.8..4.2).contains(&km), "{km} km");

    // Simplified: the straight legs collapse to their corners.
    let simple = app
        .get(
            &format!("{path}&simplify_m=25"),
            org.token(Role::Dispatcher),
        )
        .await;
    assert_eq!(simple.body["simplified"], true);
    assert!(
        simple.body["fixes"].as_array().unwrap().len() <= 4,
        "{}",
        simple.body["fixes"]
    );

    let geo = app
        .get(&format!("{path}&format=geojson"), org.token(Role::Driver))
        .await;
    assert_eq!(geo.header("content-type"), Some("application/geo+json"));
    assert_eq!(geo.body["type"], "FeatureCollection");
    let line = &geo.body["features"][0];
    assert_eq!(line["geometry"]["type"], "LineString");
    assert_eq!(line["geometry"]["coordinates"][0], json!([-97.70, 30.20]));
    assert_eq!(
        line["geometry"]["coordinates"].as_array().unwrap().len(),
        32
    );
    // One timestamp per coordinate, index for index.
    let times = line["properties"]["timestamps"].as_array().unwrap();
    assert_eq!(times.len(), 32);
    assert_eq!(times[0], rfc(t0));
    assert_eq!(times[31], rfc(t0 + 31 * min));
    assert_eq!(line["properties"]["total_fixes"], 32);
    assert_eq!(geo.body["features"][1]["properties"]["kind"], "stop");
    assert_eq!(geo.body["features"][1]["properties"]["duration_s"], 12 * 60);

    // Without `format`, `Accept: application/geo+json` asks for the same GeoJSON; `format`
    // wins over `Accept`, and a refused (q=0) GeoJSON is not chosen.
    let token = org.token(Role::Dispatcher);
    let by_accept = app
        .send_with(
            Method::GET,
            &path,
            Some(token),
            None,
            &[("accept", "application/geo+json")],
        )
        .await;
    assert_eq!(
        by_accept.header("content-type"),
        Some("application/geo+json")
    );
    assert_eq!(by_accept.header("vary"), Some("accept"));
    assert_eq!(by_accept.body, geo.body);
    let json_wins = app
        .send_with(
            Method::GET,
            &format!("{path}&format=json"),
            Some(token),
            None,
            &[("accept", "application/geo+json")],
        )
        .await;
    assert_eq!(json_wins.header("content-type"), Some("application/json"));
    assert_eq!(json_wins.body["total_fixes"], 32);
    let refused = app
        .send_with(
            Method::GET,
            &path,
            Some(token),
            None,
            &[("accept", "application/json, application/geo+json;q=0")],
        )
        .await;
    assert_eq!(refused.header("content-type"), Some("application/json"));

    // The OpenAPI document describes both bodies, each under its media type.
    let doc = document(&app).await;
    let ok = &doc["paths"]["/api/v1/drivers/{id}/track"]["get"]["responses"]["200"]["content"];
    for (media, body) in [
        ("application/json", &track.body),
        ("application/geo+json", &geo.body),
    ] {
        if let Err(why) = conforms(&doc, &ok[media]["schema"], body) {
            panic!("{media}: {why}");
        }
    }
    assert!(conforms(&doc, &ok["application/json"]["schema"], &geo.body).is_err());

    // A window with nothing in it, bad parameters, and callers who may not see the driver.
    let empty = app
        .get(
            &format!(
                "/api/v1/drivers/{}/track?from={}&to={}",
                org.driver,
                rfc(t0 - 10 * min),
                rfc(t0)
            ),
            org.token(Role::Admin),
        )
        .await;
    assert_eq!(empty.body["total_fixes"], 0);
    let bad = app
        .get(
            &format!(
                "/api/v1/drivers/{}/track?from={}&to={}",
                org.driver,
                rfc(t0),
                rfc(t0)
            ),
            org.token(Role::Admin),
        )
        .await
        .assert_problem(422);
    assert_eq!(bad.error_fields(), ["from"]);
    app.get(&format!("{path}&format=kml"), org.token(Role::Admin))
        .await
        .assert_problem(422);
    app.get(&path, rival.token(Role::Admin))
        .await
        .assert_problem(404);
    app.get(&path, org.token(Role::Customer))
        .await
        .assert_problem(404);
    let colleague = format!("/api/v1/drivers/{}/track", org.other_driver);
    app.get(&colleague, org.token(Role::Driver))
        .await
        .assert_problem(404);
}

async fn old_fixes_are_pruned_after_the_retention_period(app: TestApp) {
    let org = app.seed_org("acme").await;
    let day = 24 * 3600 * 1000;
    let reply = app
        .post(
            "/api/v1/tracking/positions",
            org.token(Role::Driver),
            json!([
                fix_at(30.2, -97.7, now_ms() - 120 * day),
                fix_at(30.2, -97.7, now_ms() - 10 * day),
                fix_at(30.2, -97.7, now_ms())
            ]),
        )
        .await;
    assert_eq!(reply.body["accepted"], 3, "{}", reply.body);
    let pruned = freight::tracking::background::prune_once(&app.db, 90)
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(stored(&app, org.driver).await, 2);
    // Pruning history never touches the latest position.
    let latest = app
        .get("/api/v1/tracking/latest", org.token(Role::Dispatcher))
        .await;
    assert_eq!(latest.body.as_array().unwrap().len(), 1);
}
