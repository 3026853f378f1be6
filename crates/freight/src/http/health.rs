//! Liveness and readiness probes for load balancers and orchestrators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
}

/// Process status.
#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub uptime_seconds: u64,
}

/// Liveness: 200 while the process serves requests.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = Health)))]
async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        uptime_seconds: state.started_at.elapsed().as_secs(),
    })
}

/// Readiness result: the database round trip, and Redis when configured.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    pub database: &'static str,
    pub database_latency_ms: f64,
    /// `ok`, `unreachable`, or `not_configured`.
    pub redis: &'static str,
}

/// Readiness: 200 when the database (and Redis, when configured) answers, 503 otherwise.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let timeout = std::time::Duration::from_secs(2);
    let started = std::time::Instant::now();
    let database_ok = matches!(
        tokio::time::timeout(timeout, state.db.ping()).await,
        Ok(Ok(()))
    );
    let latency = started.elapsed().as_secs_f64() * 1000.0;
    metrics::gauge!("database_up").set(if database_ok { 1.0 } else { 0.0 });
    let redis = if state.rate_limits.backend() == "redis" {
        match tokio::time::timeout(timeout, state.rate_limits.ping()).await {
            Ok(Ok(())) => "ok",
            _ => "unreachable",
        }
    } else {
        "not_configured"
    };
    let ready = database_ok && redis != "unreachable";
    let body = Readiness {
        status: if ready { "ready" } else { "unavailable" },
        database: if database_ok { "ok" } else { "unreachable" },
        database_latency_ms: latency,
        redis,
    };
    (
        if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(body),
    )
}
