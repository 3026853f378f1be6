//! Tracker devices (`/api/v1/tracking/devices`) and ingest counters (`/api/v1/tracking/stats`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::policy::DevicesManage;
use crate::auth::Auth;
use crate::http::error::{ApiError, ApiResult, Problem};
use crate::http::extract::{ApiJson, Id};
use crate::state::AppState;
use crate::tracking::counters::{Counters, OrgCounts};
use crate::tracking::devices::{self, Device, NewDevice};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_devices, create_device))
        .routes(routes!(delete_device))
        .routes(routes!(tracking_stats))
}

/// The organization's registered trackers.
#[utoipa::path(get, path = "/tracking/devices", tag = "tracking", responses((status = 200, body = Vec<Device>)))]
async fn list_devices(
    State(state): State<AppState>,
    auth: Auth<DevicesManage>,
) -> ApiResult<Json<Vec<Device>>> {
    Ok(Json(devices::list(&state.db, auth.principal.org_id).await?))
}

/// Register a tracker (its identifier is what OsmAnd sends as `id`).
#[utoipa::path(post, path = "/tracking/devices", tag = "tracking", request_body = NewDevice,
    responses((status = 201, body = Device), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_device(
    State(state): State<AppState>,
    auth: Auth<DevicesManage>,
    ApiJson(body): ApiJson<NewDevice>,
) -> ApiResult<(StatusCode, Json<Device>)> {
    let device = devices::create(&state.db, auth.principal.org_id, &body).await?;
    state.tracking.forget_devices();
    Ok((StatusCode::CREATED, Json(device)))
}

/// Retire a tracker; its reports are rejected from then on.
#[utoipa::path(delete, path = "/tracking/devices/{id}", tag = "tracking", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_device(
    State(state): State<AppState>,
    auth: Auth<DevicesManage>,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    if !devices::disable(&state.db, auth.principal.org_id, id).await? {
        return Err(ApiError::NotFound("device"));
    }
    state.tracking.forget_devices();
    Ok(StatusCode::NO_CONTENT)
}

/// Process-wide ingest figures (no tenant data).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProcessCounts {
    /// OsmAnd reports from unregistered devices (they belong to no organization).
    pub unknown_device: u64,
    pub commits: u64,
    pub committed_fixes: u64,
    pub stored_duplicates: u64,
    pub live_subscribers: usize,
    pub connections: usize,
}

/// Ingest counters.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackingStats {
    /// This organization's accepted and dropped fixes, by reason.
    pub organization: OrgCounts,
    pub process: ProcessCounts,
}

/// Accepted and dropped fixes by reason, and pipeline figures.
#[utoipa::path(get, path = "/tracking/stats", tag = "tracking", responses((status = 200, body = TrackingStats)))]
async fn tracking_stats(
    State(state): State<AppState>,
    auth: Auth<DevicesManage>,
) -> Json<TrackingStats> {
    let t = &state.tracking;
    let c = t.counters();
    Json(TrackingStats {
        organization: c.org(auth.principal.org_id),
        process: ProcessCounts {
            unknown_device: Counters::get(&c.unknown_device),
            commits: Counters::get(&c.commits),
            committed_fixes: Counters::get(&c.committed_fixes),
            stored_duplicates: Counters::get(&c.stored_duplicates),
            live_subscribers: t.hub().subscribers(),
            connections: t.connections(),
        },
    })
}
