//! `GET /api/v1/drivers/{id}/track`: a driver's fixes between `from` and `to` as JSON or as
//! GeoJSON (`?format=geojson`, or `Accept: application/geo+json`; see [`super::track_geojson`]),
//! optionally simplified, with the stops and trips derived from it. The query is one index
//! range scan on positions' (driver_id, fix_time) key.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::policy::TrackingRead;
use crate::auth::Auth;
use crate::db::drivers;
use crate::domain::time::now_ms;
use crate::domain::FieldErrors;
use crate::http::error::{ApiError, ApiResult, Problem};
use crate::http::extract::{ApiQuery, Id};
use crate::state::AppState;
use crate::tracking::history::{simplify, stops_and_trips, Stop, TrackPoint, Trip};
use crate::tracking::store::{self, TrackFix};

use super::track_geojson::TrackGeoJson;

/// The GeoJSON media type (RFC 7946).
const GEOJSON: &str = "application/geo+json";

/// Longest range one request may ask for.
const MAX_RANGE_MS: i64 = 31 * 24 * 3600 * 1000;
/// Most fixes read for one request; beyond it the answer says `truncated`.
const MAX_FIXES: i64 = 200_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_driver_track))
}

/// Track query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrackQuery {
    /// RFC 3339, inclusive (default: 24 h before `to`).
    from: Option<chrono::DateTime<chrono::Utc>>,
    /// RFC 3339, exclusive (default: now).
    to: Option<chrono::DateTime<chrono::Utc>>,
    /// `json` or `geojson`. Without it, `Accept: application/geo+json` asks for GeoJSON and
    /// anything else gets JSON.
    format: Option<String>,
    /// Douglas–Peucker tolerance in metres; omit for every fix.
    simplify_m: Option<f64>,
    /// Minutes stationary that make a stop (default 5).
    stop_minutes: Option<i64>,
}

/// A driver's track.
#[derive(Debug, Serialize, ToSchema)]
pub struct Track {
    pub driver_id: i64,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub from: i64,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub to: i64,
    /// Fixes stored in the range (before simplification).
    pub total_fixes: usize,
    pub simplified: bool,
    /// More than the per-request maximum were stored; only the oldest were read.
    pub truncated: bool,
    pub fixes: Vec<TrackFix>,
    pub stops: Vec<Stop>,
    pub trips: Vec<Trip>,
}

/// A driver's track: fixes, stops and trips as JSON, or as a GeoJSON FeatureCollection
/// (`format=geojson`, or `Accept: application/geo+json` without `format`).
#[utoipa::path(get, path = "/drivers/{id}/track", tag = "tracking", params(("id" = i64, Path), TrackQuery),
    responses((status = 200, description = "The track: `Track` as JSON, or `TrackGeoJson` when GeoJSON was asked for",
            content((Track = "application/json"), (TrackGeoJson = "application/geo+json"))),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn get_driver_track(
    State(state): State<AppState>,
    auth: Auth<TrackingRead>,
    Id(id): Id,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<TrackQuery>,
) -> ApiResult<Response> {
    let to = q.to.map_or_else(now_ms, |t| t.timestamp_millis());
    let from = q
        .from
        .map_or(to - 24 * 3600 * 1000, |t| t.timestamp_millis());
    let mut errors = FieldErrors::new();
    errors.check(from < to, "from", "must be before `to`");
    errors.check(
        to - from <= MAX_RANGE_MS,
        "from",
        "the range may span at most 31 days",
    );
    let geojson = match q.format.as_deref() {
        None => accepts_geojson(&headers),
        Some("json") => false,
        Some("geojson") => true,
        Some(_) => {
            errors.add("format", "expected `json` or `geojson`");
            false
        }
    };
    if let Some(t) = q.simplify_m {
        errors.check(
            t.is_finite() && (0.0..=10_000.0).contains(&t),
            "simplify_m",
            "must be 0..10000 metres",
        );
    }
    let stop_minutes = q.stop_minutes.unwrap_or(5);
    errors.check(
        (1..=24 * 60).contains(&stop_minutes),
        "stop_minutes",
        "must be 1..1440",
    );
    errors.into_result().map_err(ApiError::Validation)?;

    // Visibility is the driver's: other tenants and customers get 404, drivers only themselves.
    drivers::get(&state.db, &auth.scope(), id)
        .await?
        .ok_or(ApiError::NotFound("driver"))?;
    let rows = store::track(
        &state.db,
        auth.principal.org_id,
        id,
        from,
        to,
        MAX_FIXES + 1,
    )
    .await?;
    let truncated = rows.len() as i64 > MAX_FIXES;
    let rows = &rows[..rows.len().min(MAX_FIXES as usize)];
    let points: Vec<TrackPoint> = rows.iter().map(|r| (r.timestamp, r.lat, r.lon)).collect();
    let (stops, trips) = stops_and_trips(&points, 50.0, stop_minutes * 60_000);
    let keep = simplify(&points, q.simplify_m.unwrap_or(0.0));
    let simplified = keep.len() < rows.len();
    let fixes: Vec<TrackFix> = keep.iter().map(|&i| rows[i].clone()).collect();
    let track = Track {
        driver_id: id,
        from,
        to,
        total_fixes: rows.len(),
        simplified,
        truncated,
        fixes,
        stops,
        trips,
    };
    // The body depends on `Accept` when `format` is absent.
    let vary = [(header::VARY, HeaderValue::from_static("accept"))];
    if !geojson {
        return Ok((vary, Json(track)).into_response());
    }
    let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))];
    Ok((vary, content_type, Json(TrackGeoJson::from(track))).into_response())
}

/// Whether `Accept` names the GeoJSON media type (with a non-zero quality).
fn accepts_geojson(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            media.eq_ignore_ascii_case(GEOJSON) && !refused
        })
}
