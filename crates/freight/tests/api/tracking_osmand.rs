//! The OsmAnd protocol with real-looking payloads: the classic query string (GET and POST,
//! as the OsmAnd app and Traccar Client send it), a form body, and the JSON body of current
//! tracker apps; unknown devices are rejected and counted; the dedicated port works.

use freight::domain::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Org, TestApp};
use crate::tracking_support::*;

both_backends!(
    osmand_query_form_and_json_reports_are_stored_with_their_attributes,
    osmand_reports_from_unknown_devices_are_rejected_counted_and_not_stored,
    devices_belong_to_one_organization,
);

const IMEI: &str = "864713037301317";

async fn register(app: &TestApp, org: &Org, identifier: &str) -> Value {
    let reply = app
        .post(
            "/api/v1/tracking/devices",
            org.token(Role::Admin),
            json!({"identifier": identifier, "name": "Cab tracker", "driver_id": org.driver, "vehicle_id": org.vehicle}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

async fn osmand_query_form_and_json_reports_are_stored_with_their_attributes(app: TestApp) {
    let org = app.seed_org("acme").await;
    register(&app, &org, IMEI).await;
    let t = now_ms() / 1000 - 600;
    // OsmAnd / Traccar Client: everything in the query string, GET or POST with an empty body.
    let query = format!(
        "/osmand?id={IMEI}&timestamp={t}&lat=30.267153&lon=-97.743057&speed=10.0&bearing=271.3&altitude=149.5&accuracy=7.0&batt=87&hdop=0.9&charge=true"
    );
    let r = app.client.get(app.url(&query)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let query2 = format!("/osmand?id={IMEI}&timestamp={}&lat=30.267500&lon=-97.743100&speed=12.0&bearing=270&batt=86.5", t + 10);
    let r = app.client.post(app.url(&query2)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Form body, ISO timestamp.
    let iso = chrono::DateTime::from_timestamp(t + 20, 0)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let r = app
        .client
        .post(app.url("/osmand"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "id={IMEI}&lat=30.2678&lon=-97.7432&timestamp={}&speed=11&altitude=150",
            iso.replace(' ', "%20")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // JSON body (background-geolocation style), speed already in m/s, battery as a fraction.
    let body = json!({
        "location": {
            "event": "motionchange",
            "is_moving": true,
            "uuid": "2b3c1a4e-52fb-4c7e-9d33-8d1f4bd3a8e0",
            "timestamp": chrono::DateTime::from_timestamp(t + 30, 0).unwrap().to_rfc3339(),
            "odometer": 10234.5,
            "coords": {"latitude": 30.2681, "longitude": -97.7434, "accuracy": 8.2, "speed": 5.3,
                       "heading": 268.4, "altitude": 151.2, "ellipsoidal_altitude": 125.0},
            "activity": {"type": "in_vehicle", "confidence": 100},
            "battery": {"is_charging": false, "level": 0.64},
            "extras": {}
        },
        "device_id": IMEI
    });
    let r = app
        .client
        .post(app.url("/osmand"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    assert_eq!(stored(&app, org.driver).await, 4);
    let rows = freight::tracking::store::track(&app.db, org.id, org.driver, 0, i64::MAX, 10)
        .await
        .unwrap();
    let first = &rows[0];
    assert_eq!(first.timestamp, t * 1000);
    assert!(
        (first.speed.unwrap() - 10.0 * 0.514444).abs() < 1e-3,
        "knots become m/s"
    );
    assert_eq!(
        (first.heading, first.battery, first.source.as_str()),
        (Some(271.3), Some(87.0), "osmand")
    );
    let attrs: Value = serde_json::from_str(first.attributes.as_deref().unwrap()).unwrap();
    assert_eq!(
        (attrs["hdop"].as_str(), attrs["charge"].as_str()),
        (Some("0.9"), Some("true"))
    );
    let last = &rows[3];
    assert_eq!((last.speed, last.accuracy), (Some(5.3), Some(8.2)));
    assert!((last.battery.unwrap() - 64.0).abs() < 1e-9);
    let attrs: Value = serde_json::from_str(last.attributes.as_deref().unwrap()).unwrap();
    assert_eq!(attrs["is_moving"], true);
    assert_eq!(attrs["activity"]["type"], "in_vehicle");
    assert_eq!(attrs["odometer"], 10234.5);
    // The device's vehicle is recorded with the fix and the live position.
    let latest = app
        .get("/api/v1/tracking/latest", org.token(Role::Dispatcher))
        .await;
    assert_eq!(latest.body[0]["vehicle_id"], org.vehicle);
    assert_eq!(latest.body[0]["lat"], 30.2681);

    // Malformed reports name the field and store nothing.
    let r = app
        .client
        .get(app.url(&format!("/osmand?id={IMEI}&lat=north&lon=-97.7")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "lat");
    let r = app
        .client
        .post(app.url("/osmand"))
        .json(&json!({"device_id": IMEI, "location": {"coords": {"latitude": 30.1}}}))
        .send()
        .await
        .unwrap();
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "location.coords.longitude");
    assert_eq!(stored(&app, org.driver).await, 4);
}

async fn osmand_reports_from_unknown_devices_are_rejected_counted_and_not_stored(app: TestApp) {
    let org = app.seed_org("acme").await;
    let t = now_ms() / 1000;
    for _ in 0..2 {
        let r = app
            .client
            .get(app.url(&format!(
                "/osmand?id=999000111&lat=30.1&lon=-97.1&timestamp={t}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "id");
    }
    let stats = app
        .get("/api/v1/tracking/stats", org.token(Role::Admin))
        .await;
    assert_eq!(stats.body["process"]["unknown_device"], 2);
    let all: freight::db::Count = app
        .db
        .fetch_one(sqlx::query_as("SELECT COUNT(*) AS n FROM positions"))
        .await
        .unwrap();
    assert_eq!(all.n, 0);
    // A retired device is unknown from then on.
    let device = register(&app, &org, "retired-1").await;
    let reply = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/tracking/devices/{}", device["id"]),
            Some(org.token(Role::Admin)),
            None,
        )
        .await;
    assert_eq!(reply.status, 204);
    let r = app
        .client
        .get(app.url(&format!(
            "/osmand?id=retired-1&lat=30.1&lon=-97.1&timestamp={t}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn devices_belong_to_one_organization(app: TestApp) {
    let acme = app.seed_org("acme").await;
    let rival = app.seed_org("rival").await;
    let device = register(&app, &acme, IMEI).await;
    // Identifiers are unique platform-wide; a rival cannot take one over or bind our driver.
    let reply = app
        .post(
            "/api/v1/tracking/devices",
            rival.token(Role::Admin),
            json!({"identifier": IMEI, "name": "x", "driver_id": rival.driver}),
        )
        .await
        .assert_problem(409);
    assert_eq!(reply.error_fields(), ["identifier"]);
    let reply = app
        .post(
            "/api/v1/tracking/devices",
            rival.token(Role::Admin),
            json!({"identifier": "other", "name": "x", "driver_id": acme.driver}),
        )
        .await
        .assert_problem(422);
    assert_eq!(reply.error_fields(), ["driver_id"]);
    let listed = app
        .get("/api/v1/tracking/devices", rival.token(Role::Admin))
        .await;
    assert_eq!(listed.body, json!([]));
    app.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/tracking/devices/{}", device["id"]),
        Some(rival.token(Role::Admin)),
        None,
    )
    .await
    .assert_problem(404);
    app.get("/api/v1/tracking/devices", acme.token(Role::Driver))
        .await
        .assert_problem(403);
}

/// The dedicated OsmAnd port (5055 in production) answers the same protocol at `/`.
#[tokio::test]
async fn the_dedicated_osmand_port_accepts_reports() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("osmand.db").display());
    let db = freight::db::Db::connect(&url, &Default::default())
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let mut config = freight::config::Config::with_database(&url);
    config.addr = "127.0.0.1:0".parse().unwrap();
    config.tracking.osmand_addr = "127.0.0.1:0".into();
    let app = freight::startup::Application::build_with_db(config, db.clone())
        .await
        .unwrap();
    let port = app
        .state()
        .tracking
        .osmand_port()
        .expect("OsmAnd port bound");
    let org = freight::db::organizations::create(&db, "acme", "acme")
        .await
        .unwrap();
    let driver: freight::db::NewId = db
        .fetch_one_write(
            sqlx::query_as(
                "INSERT INTO drivers (org_id, name, status, home_base_lat, home_base_lon, onboarded_on, created_at, updated_at) \
                 VALUES ($1, 'Dana', 'available', 30.2, -97.7, '2024-01-01', 0, 0) RETURNING id",
            )
            .bind(org),
        )
        .await
        .unwrap();
    db.execute(
        sqlx::query("INSERT INTO devices (org_id, identifier, name, driver_id, created_at) VALUES ($1, 'tracker-5055', 't', $2, 0)")
            .bind(org)
            .bind(driver.id),
    )
    .await
    .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    let t = now_ms() / 1000;
    let r = reqwest::get(format!(
        "http://127.0.0.1:{port}/?id=tracker-5055&lat=30.25&lon=-97.75&timestamp={t}&speed=3"
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        freight::tracking::store::count_positions(&db, driver.id)
            .await
            .unwrap(),
        1
    );
    let _ = tx.send(());
    server.await.unwrap().unwrap();
}
