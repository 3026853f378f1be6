//! `/api/v1/ratings` and `/api/v1/incidents`: the raw material of driver scores and
//! safety analytics.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::customers::PageQuery;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, ApiQuery, Id};
use super::pagination::{Page, PageRequest};
use crate::auth::policy::{IncidentsRead, IncidentsWrite, RatingsCreate, RatingsRead};
use crate::auth::Auth;
use crate::db::incidents::{self, Incident, NewIncident};
use crate::db::ratings::{self, Rating};
use crate::domain::{FieldErrors, IncidentKind, LatLon, Severity};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_ratings, create_rating))
        .routes(routes!(list_incidents, create_incident))
        .routes(routes!(get_incident))
}

/// List ratings (customers see theirs, drivers the ones about them).
#[utoipa::path(get, path = "/ratings", tag = "ratings", params(PageQuery), responses((status = 200, body = Page<Rating>)))]
async fn list_ratings(
    State(state): State<AppState>,
    auth: Auth<RatingsRead>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Rating>>> {
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let rows = ratings::list(&state.db, &auth.scope(), page).await?;
    Ok(Json(Page::from_rows(rows, page, |r| r.id)))
}

/// A customer's rating of a delivered shipment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRating {
    shipment_id: i64,
    /// 1 (poor) to 5 (excellent).
    score: i64,
    #[serde(default)]
    comment: String,
}

/// Rate a delivered shipment (once).
#[utoipa::path(post, path = "/ratings", tag = "ratings", request_body = CreateRating,
    responses((status = 201, body = Rating), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_rating(
    State(state): State<AppState>,
    auth: Auth<RatingsCreate>,
    ApiJson(body): ApiJson<CreateRating>,
) -> ApiResult<(StatusCode, Json<Rating>)> {
    let mut errors = FieldErrors::new();
    errors.check(
        (1..=5).contains(&body.score),
        "score",
        "must be between 1 and 5",
    );
    errors.check(
        body.comment.chars().count() <= 1000,
        "comment",
        "must be at most 1000 characters",
    );
    errors.into_result().map_err(ApiError::Validation)?;
    let rating = ratings::create(
        &state.db,
        &auth.scope(),
        body.shipment_id,
        body.score,
        &body.comment,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(rating)))
}

/// Filters for incidents.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListIncidentsQuery {
    driver_id: Option<i64>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// List safety incidents.
#[utoipa::path(get, path = "/incidents", tag = "incidents", params(ListIncidentsQuery), responses((status = 200, body = Page<Incident>)))]
async fn list_incidents(
    State(state): State<AppState>,
    auth: Auth<IncidentsRead>,
    ApiQuery(q): ApiQuery<ListIncidentsQuery>,
) -> ApiResult<Json<Page<Incident>>> {
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let rows = incidents::list(&state.db, &auth.scope(), q.driver_id, page).await?;
    Ok(Json(Page::from_rows(rows, page, |i| i.id)))
}

/// A reported safety incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncident {
    driver_id: i64,
    kind: IncidentKind,
    severity: Severity,
    occurred_at: DateTime<Utc>,
    lat: Option<f64>,
    lon: Option<f64>,
    #[serde(default)]
    description: String,
}

/// Report a safety incident.
#[utoipa::path(post, path = "/incidents", tag = "incidents", request_body = CreateIncident,
    responses((status = 201, body = Incident), (status = 422, body = Problem)))]
async fn create_incident(
    State(state): State<AppState>,
    auth: Auth<IncidentsWrite>,
    ApiJson(body): ApiJson<CreateIncident>,
) -> ApiResult<(StatusCode, Json<Incident>)> {
    let mut errors = FieldErrors::new();
    match (body.lat, body.lon) {
        (Some(lat), Some(lon)) => {
            if let Err((which, msg)) = LatLon::parse(lat, lon) {
                errors.add(which, msg);
            }
        }
        (None, None) => {}
        _ => errors.add("lat", "lat and lon must be given together"),
    }
    errors.check(
        body.occurred_at <= Utc::now() + chrono::Duration::minutes(5),
        "occurred_at",
        "must not be in the future",
    );
    errors.check(
        body.description.chars().count() <= 2000,
        "description",
        "must be at most 2000 characters",
    );
    errors.into_result().map_err(ApiError::Validation)?;
    let incident = NewIncident {
        driver_id: body.driver_id,
        kind: body.kind,
        severity: body.severity,
        occurred_at: body.occurred_at.timestamp_millis(),
        lat: body.lat,
        lon: body.lon,
        description: body.description,
    };
    Ok((
        StatusCode::CREATED,
        Json(incidents::create(&state.db, &auth.scope(), &incident).await?),
    ))
}

/// Get one incident.
#[utoipa::path(get, path = "/incidents/{id}", tag = "incidents", params(("id" = i64, Path)),
    responses((status = 200, body = Incident), (status = 404, body = Problem)))]
async fn get_incident(
    State(state): State<AppState>,
    auth: Auth<IncidentsRead>,
    Id(id): Id,
) -> ApiResult<Json<Incident>> {
    Ok(Json(
        incidents::get(&state.db, &auth.scope(), id)
            .await?
            .ok_or(ApiError::NotFound("incident"))?,
    ))
}
