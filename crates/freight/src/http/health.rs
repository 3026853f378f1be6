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

/// Readiness result, with the database round trip.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    pub database: &'static str,
    pub database_latency_ms: f64,
}

/// Readiness: 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let started = std::time::Instant::now();
    let ping = tokio::time::timeout(std::time::Duration::from_secs(2), state.db.ping()).await;
    let latency = started.elapsed().as_secs_f64() * 1000.0;
    metrics::gauge!("database_up").set(if matches!(ping, Ok(Ok(()))) { 1.0 } else { 0.0 });
    match ping {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(Readiness {
                status: "ready",
                database: "ok",
                database_latency_ms: latency,
            }),
        ),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Readiness {
                status: "unavailable",
                database: "unreachable",
                database_latency_ms: latency,
            }),
        ),
    }
}
