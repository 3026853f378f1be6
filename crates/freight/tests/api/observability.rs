//! Metrics, traces, the cache and the performance analyzer, observed from outside.

use std::sync::{Arc, Mutex};

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

type Spans = Arc<Mutex<Vec<opentelemetry_proto::tonic::trace::v1::Span>>>;

/// A real OTLP/HTTP receiver on its own thread and runtime; returns its traces URL.
fn start_otlp_receiver(spans: Spans) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            async fn receive(AxumState(spans): AxumState<Spans>, body: axum::body::Bytes) -> Vec<u8> {
                use prost::Message;
                let request = opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest::decode(body)
                    .expect("an OTLP protobuf payload");
                for resource in request.resource_spans {
                    for scope in resource.scope_spans {
                        spans.lock().unwrap().extend(scope.spans);
                    }
                }
                opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse::default().encode_to_vec()
            }
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let router = axum::Router::new().route("/v1/traces", axum::routing::post(receive)).with_state(spans);
            axum::serve(listener, router).await.unwrap();
        });
    });
    format!("http://{}/v1/traces", rx.recv().unwrap())
}

#[tokio::test]
async fn a_request_is_traced_with_its_statements_as_child_spans() {
    use tracing_subscriber::layer::SubscriberExt;
    let spans: Spans = Arc::default();
    let url = start_otlp_receiver(spans.clone());
    let (layer, provider) = freight::telemetry::trace_layer(&url).unwrap();
    // Current-thread test runtime: the server's tasks run on this thread and see this subscriber.
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));

    let app = crate::helpers::spawn_app(Backend::Sqlite).await;
    let org = app.seed_org("traced").await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let traceparent = format!("00-{trace_id}-00f067aa0ba902b7-01");
    let reply = app
        .send_with(
            Method::GET,
            "/api/v1/shipments",
            Some(org.token(Role::Dispatcher)),
            None,
            &[("traceparent", &traceparent)],
        )
        .await;
    assert_eq!(reply.status, 200);
    let returned = reply
        .header("traceparent")
        .expect("traceparent sent back")
        .to_string();
    assert!(returned.contains(trace_id), "{returned}");
    let other_parent = format!("00-{trace_id}-00f067aa0ba90200-01");
    let problem = app
        .send_with(
            Method::GET,
            "/api/v1/shipments/0",
            Some(org.token(Role::Dispatcher)),
            None,
            &[("traceparent", &other_parent)],
        )
        .await;
    assert_eq!(
        problem.body["trace_id"], trace_id,
        "problem+json carries the trace id"
    );

    // A server span ends when its response body has been sent; give the server a moment.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    provider.force_flush().unwrap();
    let spans = spans.lock().unwrap().clone();
    let wanted = hex_decode(trace_id);
    let in_trace: Vec<_> = spans.iter().filter(|s| s.trace_id == wanted).collect();
    let request = in_trace
        .iter()
        .find(|s| s.name == "request" && s.parent_span_id == hex_decode("00f067aa0ba902b7"))
        .expect("the request span joins the caller's trace");
    let children: Vec<_> = in_trace
        .iter()
        .filter(|s| s.name == "db.query" && s.parent_span_id == request.span_id)
        .collect();
    assert!(
        !children.is_empty(),
        "statements are child spans of the request: {:?}",
        in_trace.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    let statements: Vec<String> = children
        .iter()
        .flat_map(|c| {
            c.attributes
                .iter()
                .filter(|a| a.key == "db.statement")
                .map(|a| format!("{:?}", a.value))
        })
        .collect();
    assert!(
        statements.iter().any(|s| s.contains("FROM shipments s")),
        "the list query is a child span: {statements:?}"
    );
    let _ = provider.shutdown();
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
