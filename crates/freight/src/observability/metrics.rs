//! The Prometheus side: one process-wide recorder, the `/metrics` endpoint, and the HTTP
//! middleware that counts and times every request and collects its statements for N+1
//! detection.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::query_log::{RequestQueries, CURRENT_REQUEST};
use crate::state::AppState;

/// Latency buckets (seconds) for request and statement histograms.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the global recorder on first call; later calls return the same handle.
pub fn install() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .expect("valid buckets")
                .set_buckets_for_metric(
                    Matcher::Full("delivery_time_hours".into()),
                    &[1.0, 2.0, 4.0, 8.0, 12.0, 24.0, 48.0, 72.0, 168.0],
                )
                .expect("valid buckets")
                .set_buckets_for_metric(
                    Matcher::Full("revenue_per_shipment_dollars".into()),
                    &[25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0],
                )
                .expect("valid buckets");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (e.g. by a test harness); then our
            // handle still renders what we record through it.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            metrics_process::Collector::default().describe();
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(
        "http_requests_total",
        "HTTP requests by method, route and status"
    );
    metrics::describe_counter!(
        "http_request_errors_total",
        "HTTP responses with status >= 500"
    );
    metrics::describe_histogram!(
        "http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP latency"
    );
    metrics::describe_histogram!(
        "db_query_duration_seconds",
        metrics::Unit::Seconds,
        "Statement latency by kind"
    );
    metrics::describe_counter!("db_query_errors_total", "Failed statements by kind");
}

/// `GET /metrics`: Prometheus text format (process metrics refreshed on each scrape).
pub async fn render(State(state): State<AppState>) -> Response {
    metrics_process::Collector::default().collect();
    metrics::gauge!("http_requests_in_flight").set(state.observability.in_flight() as f64);
    metrics::gauge!("websocket_connections", "kind" => "ingest")
        .set(state.tracking.connections() as f64);
    metrics::gauge!("websocket_connections", "kind" => "live")
        .set(state.tracking.hub().subscribers() as f64);
    let body = state.observability.prometheus.render();
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Route-level middleware: request metrics, route statistics and per-request statement shapes.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !state.config.metrics_enabled() {
        return next.run(request).await;
    }
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let queries = Arc::new(RequestQueries::default());
    let started = Instant::now();
    state.observability.request_started();
    let response = CURRENT_REQUEST
        .scope(queries.clone(), next.run(request))
        .await;
    state.observability.request_finished();
    let elapsed = started.elapsed();
    let route = matched.as_ref().map_or("unmatched", |m| m.as_str());
    let shapes = queries.take();
    let statements = shapes.values().map(|n| u64::from(*n)).sum();
    state.observability.routes.record(
        &method,
        route,
        response.status().as_u16(),
        elapsed,
        statements,
        |key| state.db.query_log().finish_request(key, shapes),
    );
    response
}
