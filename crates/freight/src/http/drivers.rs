//! `/api/v1/drivers`: drivers, their availability and their shifts. Every status change made
//! here is announced on the live feed after it committed (`Tracking::announce_driver_status`).

use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::cached::{json_response, scope_key};
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{etag, ApiJson, ApiQuery, Id, IfMatch};
use super::merge_patch;
use super::pagination::{Page, PageRequest};
use crate::auth::policy::{DriversRead, DriversWrite};
use crate::auth::Auth;
use crate::cache::Describe;
use crate::db::drivers::{self, Driver, DriverFields, DriverFilter, DriverSession};
use crate::db::generations::Subject;
use crate::domain::DriverStatus;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_drivers, create_driver))
        .routes(routes!(get_driver, update_driver))
        .routes(routes!(list_driver_sessions, start_driver_session))
        .routes(routes!(end_driver_session))
}

/// Filters and paging for drivers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListDriversQuery {
    /// Only drivers in this status (e.g. `available`).
    status: Option<DriverStatus>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// List drivers (a driver sees only themself).
#[utoipa::path(get, path = "/drivers", tag = "drivers", params(ListDriversQuery), responses((status = 200, body = Page<Driver>)))]
async fn list_drivers(
    State(state): State<AppState>,
    auth: Auth<DriversRead>,
    RawQuery(raw_query): RawQuery,
    ApiQuery(q): ApiQuery<ListDriversQuery>,
) -> ApiResult<Response> {
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let scope = auth.scope();
    let key = format!("{}|{}", scope_key(&scope), raw_query.unwrap_or_default());
    let filter = DriverFilter { status: q.status };
    let load = || async {
        let rows = drivers::list(&state.db, &scope, &filter, page).await?;
        Ok::<_, ApiError>(Page::from_rows(rows, page, |d| d.id))
    };
    let cached = state
        .cache
        .get_or_load(
            "drivers.list",
            scope.org_id,
            &[Subject::Fleet],
            key,
            load,
            |_| Describe::default(),
        )
        .await?;
    Ok(json_response(cached))
}

/// Onboard a driver.
#[utoipa::path(post, path = "/drivers", tag = "drivers", request_body = DriverFields,
    responses((status = 201, body = Driver), (status = 422, body = Problem)))]
async fn create_driver(
    State(state): State<AppState>,
    auth: Auth<DriversWrite>,
    ApiJson(fields): ApiJson<DriverFields>,
) -> ApiResult<Response> {
    fields.check().map_err(ApiError::Validation)?;
    let driver = drivers::create(&state.db, &auth.scope(), &fields).await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag(driver.version))],
        Json(driver),
    )
        .into_response())
}

/// Get a driver.
#[utoipa::path(get, path = "/drivers/{id}", tag = "drivers", params(("id" = i64, Path)),
    responses((status = 200, body = Driver), (status = 404, body = Problem)))]
async fn get_driver(
    State(state): State<AppState>,
    auth: Auth<DriversRead>,
    Id(id): Id,
) -> ApiResult<Response> {
    let driver = drivers::get(&state.db, &auth.scope(), id)
        .await?
        .ok_or(ApiError::NotFound("driver"))?;
    Ok(([(header::ETAG, etag(driver.version))], Json(driver)).into_response())
}

/// Edit a driver (JSON merge patch) with `If-Match`.
#[utoipa::path(patch, path = "/drivers/{id}", tag = "drivers", request_body = Object,
    params(("id" = i64, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Driver), (status = 412, body = Problem)))]
async fn update_driver(
    State(state): State<AppState>,
    auth: Auth<DriversWrite>,
    Id(id): Id,
    IfMatch(version): IfMatch,
    ApiJson(patch): ApiJson<serde_json::Value>,
) -> ApiResult<Response> {
    let scope = auth.scope();
    let current = drivers::get(&state.db, &scope, id)
        .await?
        .ok_or(ApiError::NotFound("driver"))?;
    let fields = merge_patch::apply(&current.fields, patch)?;
    fields.check().map_err(ApiError::Validation)?;
    let driver = drivers::update(&state.db, &scope, id, version, &fields).await?;
    state.tracking.announce_driver_status(
        scope.org_id,
        id,
        current.fields.status,
        driver.fields.status,
    );
    Ok(([(header::ETAG, etag(driver.version))], Json(driver)).into_response())
}

/// Shift history of a driver.
#[utoipa::path(get, path = "/drivers/{id}/sessions", tag = "drivers", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<DriverSession>), (status = 404, body = Problem)))]
async fn list_driver_sessions(
    State(state): State<AppState>,
    auth: Auth<DriversRead>,
    Id(id): Id,
) -> ApiResult<Json<Vec<DriverSession>>> {
    Ok(Json(drivers::sessions(&state.db, &auth.scope(), id).await?))
}

/// Start a shift (the driver becomes available).
#[utoipa::path(post, path = "/drivers/{id}/sessions", tag = "drivers", params(("id" = i64, Path)),
    responses((status = 201, body = DriverSession), (status = 409, body = Problem)))]
async fn start_driver_session(
    State(state): State<AppState>,
    auth: Auth<DriversWrite>,
    Id(id): Id,
) -> ApiResult<(StatusCode, Json<DriverSession>)> {
    let scope = auth.scope();
    let change = drivers::start_session(&state.db, &scope, id).await?;
    state.tracking.announce_driver_status(
        scope.org_id,
        id,
        change.status_before,
        DriverStatus::Available,
    );
    Ok((StatusCode::CREATED, Json(change.session)))
}

/// End the open shift (the driver goes off duty).
#[utoipa::path(post, path = "/drivers/{id}/sessions/end", tag = "drivers", params(("id" = i64, Path)),
    responses((status = 200, body = DriverSession), (status = 409, body = Problem)))]
async fn end_driver_session(
    State(state): State<AppState>,
    auth: Auth<DriversWrite>,
    Id(id): Id,
) -> ApiResult<Json<DriverSession>> {
    let scope = auth.scope();
    let change = drivers::end_session(&state.db, &scope, id).await?;
    state.tracking.announce_driver_status(
        scope.org_id,
        id,
        change.status_before,
        DriverStatus::OffDuty,
    );
    Ok(Json(change.session))
}
