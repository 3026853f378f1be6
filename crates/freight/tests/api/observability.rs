//! Metrics, traces, the cache and the performance analyzer, observed from outside.

use axum::extract::State as AxumState;
use axum::routing::get;
use freight::domain::Role;
use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{shipment_body, try_spawn_app_with_routes, Backend, TestApp};

both_backends!(
    metrics_endpoint_serves_parseable_prometheus_text,
    a_write_is_never_followed_by_a_stale_read
);

async fn metrics_endpoint_serves_parseable_prometheus_text(app: TestApp) {
    let org = app.seed_org("metrics").await;
    let token = org.token(Role::Dispatcher);
    app.get("/api/v1/shipments", token).await;
    app.get("/api/v1/shipments", token).await;
    app.get("/api/v1/shipments/999999", token).await;
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    let samples = crate::prom_text::parse(&text).expect("valid exposition format");
    let has = |name: &str, labels: &[(&str, &str)]| {
        samples.iter().any(|s| {
            s.metric == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    };
    assert!(has(
        "http_requests_total",
        &[
            ("route", "/api/v1/shipments"),
            ("method", "GET"),
            ("status", "200")
        ]
    ));
    assert!(
        has(
            "http_requests_total",
            &[("route", "/api/v1/shipments/{id}"), ("status", "404")]
        ),
        "{:?}",
        samples
            .iter()
            .filter(|s| s.metric == "http_requests_total")
            .map(|s| &s.labels)
            .collect::<Vec<_>>()
    );
    assert!(has(
        "http_request_duration_seconds_count",
        &[("route", "/api/v1/shipments")]
    ));
    assert!(has(
        "db_query_duration_seconds_count",
        &[("kind", "select")]
    ));
    assert!(has(
        "cache_requests_total",
        &[("family", "shipments.list"), ("outcome", "hit")]
    ));
    assert!(has(
        "cache_requests_total",
        &[("family", "shipments.list"), ("outcome", "miss")]
    ));
    assert!(
        samples
            .iter()
            .any(|s| s.metric == "process_resident_memory_bytes" && s.value > 0.0),
        "process metrics"
    );
    freight::observability::business::refresh(&app.db)
        .await
        .unwrap();
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("driver_utilization_percent{org=\"metrics\"}"),
        "business gauges"
    );
}

async fn a_write_is_never_followed_by_a_stale_read(app: TestApp) {
    let org = app.seed_org("fresh").await;
    let token = org.token(Role::Dispatcher);
    let created = app.create_shipment(&org, shipment_body(org.customer)).await;
    let path = format!("/api/v1/shipments/{}", created["id"]);
    for _ in 0..3 {
        assert_eq!(
            app.get(&path, token).await.body["notes"],
            "Fragile glassware, dock 4"
        );
        assert_eq!(
            app.get("/api/v1/shipments?status=booked", token).await.body["data"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    // Search pages depend on the words they can match: both are cached before the edit.
    let found = |q: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/shipments?q={q}"), token)
                .await
                .body["data"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    for _ in 0..2 {
        assert_eq!((found("liftgate").await, found("glass").await), (0, 1));
    }
    let edited = app
        .send_with(
            Method::PATCH,
            &path,
            Some(token),
            Some(json!({"notes": "now with liftgate"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(edited.status, 200);
    assert_eq!((found("liftgate").await, found("glass").await), (1, 0));
    let read = app.get(&path, token).await;
    assert_eq!(
        (read.body["notes"].as_str(), read.header("etag")),
        (Some("now with liftgate"), Some("\"2\""))
    );
    let cancel = app
        .post(
            &format!("{path}/transitions"),
            token,
            json!({"to": "cancelled"}),
        )
        .await;
    assert_eq!(cancel.status, 200);
    assert!(
        app.get("/api/v1/shipments?status=booked", token).await.body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.get("/api/v1/dashboard/summary", token).await.body["shipments_by_status"]["cancelled"],
        1
    );
    // Driver availability: a shift start shows immediately.
    let driver = app
        .post("/api/v1/drivers", token, json!({"name": "Sam Shift", "status": "off_duty", "home_base": {"lat": 30.3, "lon": -97.7}, "onboarded_on": "2025-01-01"}))
        .await;
    let driver_id = driver.body["id"].clone();
    let available = |reply: crate::helpers::Reply| {
        reply.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == driver_id)
    };
    assert!(!available(
        app.get("/api/v1/drivers?status=available", token).await
    ));
    assert_eq!(
        app.post(
            &format!("/api/v1/drivers/{driver_id}/sessions"),
            token,
            json!({})
        )
        .await
        .status,
        201
    );
    assert!(available(
        app.get("/api/v1/drivers?status=available", token).await
    ));
    // Another tenant's cached pages are never served to this one.
    let other = app.seed_org("fresh-other").await;
    assert!(app
        .get(
            "/api/v1/shipments?status=cancelled",
            other.token(Role::Dispatcher)
        )
        .await
        .body["data"]
        .as_array()
        .unwrap()
        .is_empty());
}

/// A deliberately bad fixture route: one statement per shipment (the N+1 shape).
async fn n_plus_one_fixture(AxumState(state): AxumState<freight::state::AppState>) -> &'static str {
    for id in 1..=12i64 {
        let _: Option<freight::db::NewId> = state
            .db
            .fetch_optional(sqlx::query_as("SELECT id FROM shipments WHERE id = $1").bind(id))
            .await
            .unwrap();
    }
    "done"
}

#[tokio::test]
async fn the_analyzer_names_a_planted_n_plus_one_and_prices_routes() {
    let routes = axum::Router::new().route("/api/v1/test/n-plus-one", get(n_plus_one_fixture));
    let app = try_spawn_app_with_routes(Backend::Sqlite, |_| {}, routes)
        .await
        .unwrap();
    let org = app.seed_org("analyzer").await;
    for _ in 0..3 {
        assert_eq!(
            app.client
                .get(app.url("/api/v1/test/n-plus-one"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        app.get("/api/v1/shipments", org.token(Role::Dispatcher))
            .await;
    }
    app.get("/api/v1/admin/performance", org.token(Role::Dispatcher))
        .await
        .assert_problem(403);
    let report = app
        .get("/api/v1/admin/performance", org.token(Role::Admin))
        .await;
    assert_eq!(report.status, 200, "{}", report.body);
    let found = report.body["n_plus_one"].as_array().unwrap();
    let planted = found
        .iter()
        .find(|f| f["route"] == "GET /api/v1/test/n-plus-one")
        .expect("planted N+1 not named");
    assert_eq!(
        planted["statement"],
        "SELECT id FROM shipments WHERE id = ?"
    );
    assert_eq!(
        (
            planted["requests"].as_u64(),
            planted["max_repeats"].as_u64()
        ),
        (Some(3), Some(12))
    );
    assert!(
        !found.iter().any(|f| f["route"] == "GET /api/v1/shipments"),
        "a list page is not an N+1"
    );
    let bottleneck = report.body["bottlenecks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["kind"] == "n_plus_one")
        .unwrap();
    assert!(bottleneck["recommendation"]
        .as_str()
        .unwrap()
        .contains("one query"));
    let routes = report.body["routes"].as_array().unwrap();
    let list = routes
        .iter()
        .find(|r| r["route"] == "GET /api/v1/shipments")
        .unwrap();
    assert!(list["cost_per_call_usd"].as_f64().unwrap() > 0.0);
    let per_request = list["statements_per_request"].as_f64().unwrap();
    assert!(
        per_request > 0.0 && per_request <= 1.0,
        "one statement per page, fewer with cache hits: {per_request}"
    );
    let baseline = app
        .get("/api/v1/admin/baseline", org.token(Role::Admin))
        .await;
    for field in [
        "uptime_seconds",
        "error_rate",
        "p95_latency_ms",
        "p99_latency_ms",
        "average_query_time_ms",
        "cache_hit_rate",
        "requests_per_second",
        "active_connections",
    ] {
        assert!(
            baseline.body[field].is_number(),
            "{field}: {}",
            baseline.body
        );
    }
    assert!(baseline.body["daily_costs"]["total"].as_f64().unwrap() > 0.0);
}
