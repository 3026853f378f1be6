//! `/api/v1/routes/*`: plan multi-stop routes with the optimizer, follow a background plan,
//! accept it (assigning the shipments), and read a driver's stop list.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, Id};
use crate::auth::policy::{DriversRead, ShipmentsAssign};
use crate::auth::Auth;
use crate::db::route_plans::{self, DriverStop};
use crate::planning::service::{self, OptimizeRequest, PlanView};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(optimize_routes))
        .routes(routes!(get_plan))
        .routes(routes!(accept_plan))
        .routes(routes!(list_driver_stops))
}

/// Plan routes for shipments with the given drivers and vehicles. Small problems answer 200
/// with the plan; larger ones answer 202 and run in the background (poll `result_url`).
#[utoipa::path(post, path = "/routes/optimize", tag = "routes", request_body = OptimizeRequest,
    responses((status = 200, body = PlanView), (status = 202, body = PlanView), (status = 422, body = Problem)))]
async fn optimize_routes(
    State(state): State<AppState>,
    auth: Auth<ShipmentsAssign>,
    ApiJson(request): ApiJson<OptimizeRequest>,
) -> ApiResult<(StatusCode, Json<PlanView>)> {
    let plan = service::optimize(&state, &auth.scope(), &auth.principal.actor(), request).await?;
    let status = if plan.status == "running" {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(plan)))
}

/// A plan: progress while running, the proposed routes once completed.
#[utoipa::path(get, path = "/routes/plans/{plan_id}", tag = "routes", params(("plan_id" = String, Path)),
    responses((status = 200, body = PlanView), (status = 404, body = Problem)))]
async fn get_plan(
    State(state): State<AppState>,
    auth: Auth<ShipmentsAssign>,
    Path(plan_id): Path<String>,
) -> ApiResult<Json<PlanView>> {
    let row = route_plans::get(&state.db, &auth.scope(), &plan_id)
        .await?
        .ok_or(ApiError::NotFound("route plan"))?;
    Ok(Json(PlanView::from_row(row)))
}

/// Accept a completed plan: its shipments are assigned to the routes' drivers and vehicles,
/// and each driver's stop list becomes the route's sequence.
#[utoipa::path(post, path = "/routes/plans/{plan_id}/accept", tag = "routes", params(("plan_id" = String, Path)),
    responses((status = 200, body = PlanView), (status = 409, body = Problem), (status = 404, body = Problem)))]
async fn accept_plan(
    State(state): State<AppState>,
    auth: Auth<ShipmentsAssign>,
    Path(plan_id): Path<String>,
) -> ApiResult<Json<PlanView>> {
    let scope = auth.scope();
    route_plans::accept(&state.db, &scope, &plan_id, &auth.principal.actor()).await?;
    crate::observability::business::record_recommendation("accepted");
    let row = route_plans::get(&state.db, &scope, &plan_id)
        .await?
        .ok_or(ApiError::NotFound("route plan"))?;
    Ok(Json(PlanView::from_row(row)))
}

/// A driver's stop list from the last accepted plan, in visiting order.
#[utoipa::path(get, path = "/drivers/{id}/stops", tag = "routes", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<DriverStop>), (status = 404, body = Problem)))]
async fn list_driver_stops(
    State(state): State<AppState>,
    auth: Auth<DriversRead>,
    Id(id): Id,
) -> ApiResult<Json<Vec<DriverStop>>> {
    Ok(Json(
        route_plans::driver_stops(&state.db, &auth.scope(), id).await?,
    ))
}
