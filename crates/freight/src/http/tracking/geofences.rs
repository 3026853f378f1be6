//! Geofences (`/api/v1/tracking/geofences`), their events, and a shipment's tracking facts
//! (`/api/v1/shipments/{id}/tracking`: stop arrivals, ETA to the next stop, late flag).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::policy::{GeofencesWrite, TrackingRead};
use crate::auth::Auth;
use crate::db::shipments;
use crate::domain::time::now_ms;
use crate::domain::{FieldErrors, LatLon};
use crate::http::error::{ApiError, ApiResult, Problem};
use crate::http::extract::{ApiJson, ApiQuery, Id};
use crate::http::pagination::{Page, PageRequest};
use crate::state::AppState;
use crate::tracking::geo_store::{self, EventFilter, FenceRow, GeofenceEvent, ShipmentTracking};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_geofences, create_geofence))
        .routes(routes!(get_geofence, delete_geofence))
        .routes(routes!(list_geofence_events))
        .routes(routes!(get_shipment_tracking))
}

/// A circle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Circle {
    pub lat: f64,
    pub lon: f64,
    /// 1 m .. 100 km.
    pub radius_m: f64,
}

/// A new geofence: exactly one of `circle` or `polygon` (`[[lon, lat], …]`, 3..1000 vertices).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGeofence {
    pub name: String,
    pub circle: Option<Circle>,
    pub polygon: Option<Vec<[f64; 2]>>,
    /// Seconds inside before a `dwell` event (default: server setting).
    pub dwell_secs: Option<i64>,
}

/// A geofence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Geofence {
    pub id: i64,
    pub name: String,
    /// circle | polygon
    pub kind: String,
    pub circle: Option<Circle>,
    pub polygon: Option<Vec<[f64; 2]>>,
    pub dwell_secs: Option<i64>,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
}

impl From<FenceRow> for Geofence {
    fn from(r: FenceRow) -> Self {
        let circle = match (r.center_lat, r.center_lon, r.radius_m) {
            (Some(lat), Some(lon), Some(radius_m)) => Some(Circle { lat, lon, radius_m }),
            _ => None,
        };
        let polygon = r
            .polygon
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok());
        Geofence {
            id: r.id,
            name: r.name,
            kind: r.kind,
            circle,
            polygon,
            dwell_secs: r.dwell_secs,
            created_at: r.created_at,
        }
    }
}

impl NewGeofence {
    fn check(&self) -> Result<(), Vec<crate::domain::FieldError>> {
        let mut errors = FieldErrors::new();
        errors.text("name", &self.name, 1, 200);
        match (&self.circle, &self.polygon) {
            (Some(c), None) => {
                if let Err((which, msg)) = LatLon::parse(c.lat, c.lon) {
                    errors.add(format!("circle.{which}"), msg);
                }
                errors.check(
                    c.radius_m.is_finite() && (1.0..=100_000.0).contains(&c.radius_m),
                    "circle.radius_m",
                    "must be 1..100000 metres",
                );
            }
            (None, Some(p)) => {
                errors.check(
                    (3..=1000).contains(&p.len()),
                    "polygon",
                    "needs 3 to 1000 [lon, lat] vertices",
                );
                for (i, [lon, lat]) in p.iter().enumerate() {
                    if let Err((which, msg)) = LatLon::parse(*lat, *lon) {
                        errors.add(format!("polygon[{i}].{which}"), msg);
                    }
                }
            }
            _ => errors.add("circle", "give exactly one of `circle` or `polygon`"),
        }
        if let Some(d) = self.dwell_secs {
            errors.check(
                (0..=7 * 24 * 3600).contains(&d),
                "dwell_secs",
                "must be 0..604800 seconds",
            );
        }
        errors.into_result()
    }
}

/// The organization's geofences.
#[utoipa::path(get, path = "/tracking/geofences", tag = "tracking", responses((status = 200, body = Vec<Geofence>)))]
async fn list_geofences(
    State(state): State<AppState>,
    auth: Auth<TrackingRead>,
) -> ApiResult<Json<Vec<Geofence>>> {
    let rows = geo_store::fences(&state.db, auth.principal.org_id).await?;
    Ok(Json(rows.into_iter().map(Geofence::from).collect()))
}

/// Create a circle or polygon geofence.
#[utoipa::path(post, path = "/tracking/geofences", tag = "tracking", request_body = NewGeofence,
    responses((status = 201, body = Geofence), (status = 422, body = Problem)))]
async fn create_geofence(
    State(state): State<AppState>,
    auth: Auth<GeofencesWrite>,
    ApiJson(body): ApiJson<NewGeofence>,
) -> ApiResult<(StatusCode, Json<Geofence>)> {
    body.check().map_err(ApiError::Validation)?;
    let org = auth.principal.org_id;
    let (kind, center, polygon) = match (&body.circle, &body.polygon) {
        (Some(c), _) => ("circle", Some((c.lat, c.lon, c.radius_m)), None),
        (None, p) => (
            "polygon",
            None,
            p.as_ref()
                .map(|p| serde_json::to_string(p).unwrap_or_default()),
        ),
    };
    let id = geo_store::insert_fence(
        &state.db,
        org,
        body.name.trim(),
        kind,
        center,
        polygon,
        body.dwell_secs,
        now_ms(),
    )
    .await?;
    state.tracking.geo().invalidate(org);
    let row = geo_store::fence(&state.db, org, id)
        .await?
        .ok_or(ApiError::NotFound("geofence"))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// One geofence.
#[utoipa::path(get, path = "/tracking/geofences/{id}", tag = "tracking", params(("id" = i64, Path)),
    responses((status = 200, body = Geofence), (status = 404, body = Problem)))]
async fn get_geofence(
    State(state): State<AppState>,
    auth: Auth<TrackingRead>,
    Id(id): Id,
) -> ApiResult<Json<Geofence>> {
    let row = geo_store::fence(&state.db, auth.principal.org_id, id)
        .await?
        .ok_or(ApiError::NotFound("geofence"))?;
    Ok(Json(row.into()))
}

/// Delete a geofence (its past events stay).
#[utoipa::path(delete, path = "/tracking/geofences/{id}", tag = "tracking", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_geofence(
    State(state): State<AppState>,
    auth: Auth<GeofencesWrite>,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    if !geo_store::delete_fence(&state.db, auth.principal.org_id, id).await? {
        return Err(ApiError::NotFound("geofence"));
    }
    state.tracking.geo().invalidate(auth.principal.org_id);
    Ok(StatusCode::NO_CONTENT)
}

/// Filters for geofence events.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    geofence_id: Option<i64>,
    driver_id: Option<i64>,
    shipment_id: Option<i64>,
    /// RFC 3339; inclusive.
    from: Option<chrono::DateTime<chrono::Utc>>,
    /// RFC 3339; exclusive.
    to: Option<chrono::DateTime<chrono::Utc>>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// Geofence events (enter, exit, dwell) and stop arrivals, newest first.
#[utoipa::path(get, path = "/tracking/geofence-events", tag = "tracking", params(EventsQuery),
    responses((status = 200, body = Page<GeofenceEvent>), (status = 422, body = Problem)))]
async fn list_geofence_events(
    State(state): State<AppState>,
    auth: Auth<TrackingRead>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Json<Page<GeofenceEvent>>> {
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let filter = EventFilter {
        geofence_id: q.geofence_id,
        driver_id: q.driver_id,
        shipment_id: q.shipment_id,
        from: q.from.map(|t| t.timestamp_millis()),
        to: q.to.map(|t| t.timestamp_millis()),
        before_id: page.before_id,
        limit: page.fetch_limit(),
    };
    let rows = geo_store::events(&state.db, &auth.scope(), &filter).await?;
    Ok(Json(Page::from_rows(rows, page, |e| e.id)))
}

/// A shipment's tracking: arrivals at its stops, ETA to the next stop and the late flag.
#[utoipa::path(get, path = "/shipments/{id}/tracking", tag = "tracking", params(("id" = i64, Path)),
    responses((status = 200, body = ShipmentTracking), (status = 404, body = Problem)))]
async fn get_shipment_tracking(
    State(state): State<AppState>,
    auth: Auth<TrackingRead>,
    Id(id): Id,
) -> ApiResult<Json<ShipmentTracking>> {
    // Visibility is the shipment's: other tenants, other shippers and other drivers get 404.
    shipments::get(&state.db, &auth.scope(), id)
        .await?
        .ok_or(ApiError::NotFound("shipment"))?;
    let tracking = geo_store::shipment_tracking(&state.db, auth.principal.org_id, id)
        .await?
        .unwrap_or(ShipmentTracking {
            shipment_id: id,
            pickup_arrived_at: None,
            delivery_arrived_at: None,
            next_stop: None,
            eta_at: None,
            distance_remaining_m: None,
            late: 0,
        });
    Ok(Json(tracking))
}
