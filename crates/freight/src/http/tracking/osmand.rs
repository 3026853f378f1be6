//! `GET|POST /osmand` (and `/` on the dedicated OsmAnd port): unauthenticated like Traccar's
//! port 5055 — the registered device identifier is what admits a fix. A request from an
//! unknown device is rejected (422 naming `id`) and counted, and nothing is stored.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::domain::time::now_ms;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tracking::fix::{Fix, Source};
use crate::tracking::osmand::{parse_fields, parse_json, OsmandReport};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/osmand", get(osmand).post(osmand))
}

/// Accepts one OsmAnd report (query string, form body or JSON body).
pub async fn osmand(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let now = now_ms();
    let report = parse(query.as_deref().unwrap_or(""), &headers, &body, now)?;
    let Some(subject) = state.tracking.device_subject(&report.device).await? else {
        state.tracking.count_unknown_device();
        tracing::info!(device = %report.device, "OsmAnd report from an unknown device rejected");
        return Err(ApiError::field(
            "id",
            format!("no registered device has the id `{}`", report.device),
        ));
    };
    let fixes = report
        .fixes
        .iter()
        .map(|f| Fix::from_input(f, subject, Source::Osmand, now))
        .collect();
    match state.tracking.ingest(fixes).await {
        Ok(_) => Ok(StatusCode::OK.into_response()),
        Err(_) => Ok(super::unavailable(
            "the position could not be stored; retry",
        )),
    }
}

fn parse(query: &str, headers: &HeaderMap, body: &[u8], now: i64) -> ApiResult<OsmandReport> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let trimmed = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &body[i..])
        .unwrap_or(&[]);
    let result = if content_type.contains("json") || trimmed.first() == Some(&b'{') {
        let value = serde_json::from_slice(trimmed).map_err(|e| ApiError::BadRequest {
            code: "malformed_json",
            detail: format!("malformed JSON: {e}"),
        })?;
        parse_json(value, now)
    } else {
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        pairs.extend(form_urlencoded::parse(trimmed).into_owned());
        parse_fields(&pairs, now)
    };
    result.map_err(|e| ApiError::Validation(vec![e]))
}
