//! `/api/v1/dashboard/summary`: the dispatch header numbers, served from the cache.

use axum::extract::State;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::cached::{json_response, scope_key};
use super::error::{ApiError, ApiResult};
use crate::auth::policy::ShipmentsRead;
use crate::auth::Auth;
use crate::cache::Describe;
use crate::db::dashboard::{self, DashboardSummary};
use crate::db::generations::Subject;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dashboard_summary))
}

/// Shipments and drivers by status, and on-time performance over 30 days.
#[utoipa::path(get, path = "/dashboard/summary", tag = "dashboard", responses((status = 200, body = DashboardSummary)))]
async fn dashboard_summary(
    State(state): State<AppState>,
    auth: Auth<ShipmentsRead>,
) -> ApiResult<Response> {
    let scope = auth.scope();
    let key = scope_key(&scope);
    let load = || async { Ok::<_, ApiError>(dashboard::summary(&state.db, &scope).await?) };
    Ok(json_response(
        state
            .cache
            .get_or_load(
                "dashboard.summary",
                scope.org_id,
                &[Subject::Shipments, Subject::Fleet],
                key,
                load,
                |_| Describe::default(),
            )
            .await?,
    ))
}
