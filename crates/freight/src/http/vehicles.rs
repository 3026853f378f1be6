//! `/api/v1/vehicles`: the fleet.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::customers::PageQuery;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{etag, ApiJson, ApiQuery, Id, IfMatch};
use super::merge_patch;
use super::pagination::{Page, PageRequest};
use crate::auth::policy::{VehiclesRead, VehiclesWrite};
use crate::auth::Auth;
use crate::db::vehicles::{self, Vehicle, VehicleFields};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_vehicles, create_vehicle))
        .routes(routes!(get_vehicle, update_vehicle))
}

/// List vehicles.
#[utoipa::path(get, path = "/vehicles", tag = "vehicles", params(PageQuery), responses((status = 200, body = Page<Vehicle>)))]
async fn list_vehicles(
    State(state): State<AppState>,
    auth: Auth<VehiclesRead>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Vehicle>>> {
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let rows = vehicles::list(&state.db, &auth.scope(), page).await?;
    Ok(Json(Page::from_rows(rows, page, |v| v.id)))
}

/// Register a vehicle.
#[utoipa::path(post, path = "/vehicles", tag = "vehicles", request_body = VehicleFields,
    responses((status = 201, body = Vehicle), (status = 422, body = Problem), (status = 409, body = Problem)))]
async fn create_vehicle(
    State(state): State<AppState>,
    auth: Auth<VehiclesWrite>,
    ApiJson(fields): ApiJson<VehicleFields>,
) -> ApiResult<Response> {
    fields.check().map_err(ApiError::Validation)?;
    let vehicle = vehicles::create(&state.db, &auth.scope(), &fields).await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag(vehicle.version))],
        Json(vehicle),
    )
        .into_response())
}

/// Get a vehicle.
#[utoipa::path(get, path = "/vehicles/{id}", tag = "vehicles", params(("id" = i64, Path)),
    responses((status = 200, body = Vehicle), (status = 404, body = Problem)))]
async fn get_vehicle(
    State(state): State<AppState>,
    auth: Auth<VehiclesRead>,
    Id(id): Id,
) -> ApiResult<Response> {
    let vehicle = vehicles::get(&state.db, &auth.scope(), id)
        .await?
        .ok_or(ApiError::NotFound("vehicle"))?;
    Ok(([(header::ETAG, etag(vehicle.version))], Json(vehicle)).into_response())
}

/// Edit a vehicle (JSON merge patch) with `If-Match`.
#[utoipa::path(patch, path = "/vehicles/{id}", tag = "vehicles", request_body = Object,
    params(("id" = i64, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Vehicle), (status = 412, body = Problem)))]
async fn update_vehicle(
    State(state): State<AppState>,
    auth: Auth<VehiclesWrite>,
    Id(id): Id,
    IfMatch(version): IfMatch,
    ApiJson(patch): ApiJson<serde_json::Value>,
) -> ApiResult<Response> {
    let scope = auth.scope();
    let current = vehicles::get(&state.db, &scope, id)
        .await?
        .ok_or(ApiError::NotFound("vehicle"))?;
    let fields = VehicleFields {
        name: current.name,
        plate: current.plate,
        vehicle_type: current.vehicle_type,
        capacity: current.capacity,
        status: current.status,
    };
    let fields = merge_patch::apply(&fields, patch)?;
    fields.check().map_err(ApiError::Validation)?;
    let vehicle = vehicles::update(&state.db, &scope, id, version, &fields).await?;
    Ok(([(header::ETAG, etag(vehicle.version))], Json(vehicle)).into_response())
}
