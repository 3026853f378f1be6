//! `/api/v1/admin/performance` and `/api/v1/admin/baseline`: the analyzer's report and the
//! baseline snapshot, from this instance's live statistics.

use axum::extract::State;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::analyze::{self, Baseline, CostModel, Report};
use crate::auth::policy::PerformanceRead;
use crate::auth::Auth;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(performance_report))
        .routes(routes!(performance_baseline))
}

/// Slow statements, N+1 patterns, cache and rate-limit effectiveness, cost per call, and
/// ranked bottlenecks with recommendations.
#[utoipa::path(get, path = "/admin/performance", tag = "admin", responses((status = 200, body = Report)))]
async fn performance_report(
    State(state): State<AppState>,
    _auth: Auth<PerformanceRead>,
) -> Json<Report> {
    Json(analyze::build(&state, &CostModel::from_env()))
}

/// Uptime, error rate, latency percentiles, query time, cache hit rate, throughput and daily costs.
#[utoipa::path(get, path = "/admin/baseline", tag = "admin", responses((status = 200, body = Baseline)))]
async fn performance_baseline(
    State(state): State<AppState>,
    _auth: Auth<PerformanceRead>,
) -> Json<Baseline> {
    let in_flight = state.observability.in_flight();
    Json(analyze::baseline(&state, &CostModel::from_env(), in_flight))
}
