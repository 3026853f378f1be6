//! `/api/v1/tracking/*`, `/api/v1/drivers/{id}/track` and `/osmand`: the protocol adapters in
//! front of the one tracking pipeline (`crate::tracking`). Each adapter only parses its wire
//! format and resolves *who* the fixes belong to; validation, storage and fan-out are shared.

pub mod admin;
pub mod geofences;
pub mod history;
pub mod ingest;
pub mod live;
pub mod osmand;
pub mod shipment_view;
pub mod track_geojson;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;

use super::error::ApiError;
use crate::auth::extract::principal_for_credential;
use crate::auth::{policy, Action, Principal};
use crate::state::AppState;

/// The tracking routes under `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(ingest::router())
        .merge(live::router())
        .merge(admin::router())
        .merge(geofences::router())
        .merge(history::router())
}

/// The OsmAnd endpoint at `/osmand` (outside `/api/v1`: trackers are configured with a bare URL).
pub fn osmand_routes() -> axum::Router<AppState> {
    osmand::routes()
}

/// A stand-alone app serving only OsmAnd, for the dedicated port.
pub fn osmand_app(state: AppState) -> axum::Router {
    osmand::routes()
        .route("/", axum::routing::get(osmand::osmand).post(osmand::osmand))
        .with_state(state)
}

/// Authenticates a WebSocket request: `Authorization: Bearer …` when the client can set
/// headers, else the `access_token` query parameter (browsers cannot set headers on a
/// WebSocket). Checks the role may perform `action`.
pub async fn ws_principal(
    headers: &HeaderMap,
    query_token: Option<&str>,
    state: &AppState,
    action: Action,
) -> Result<Principal, ApiError> {
    let header_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
        .map(str::trim);
    let credential = header_token
        .or(query_token)
        .filter(|c| !c.is_empty())
        .ok_or(ApiError::Unauthorized(
            "send `Authorization: Bearer …` or `?access_token=…`",
        ))?;
    let principal = principal_for_credential(credential, state).await?;
    if !policy::allows(principal.role, action) {
        return Err(ApiError::Forbidden(format!(
            "the {} role may not perform {action:?}",
            principal.role
        )));
    }
    Ok(principal)
}

/// Deserializes a JSON value, naming the failing field (prefixed with `prefix`).
pub fn from_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let field = match (prefix.is_empty(), path.as_str()) {
            (true, ".") => "body".to_string(),
            (true, _) => path.clone(),
            (false, ".") => prefix.to_string(),
            (false, p) if p.starts_with('[') => format!("{prefix}{p}"),
            (false, p) => format!("{prefix}.{p}"),
        };
        let message = err.into_inner().to_string();
        let message = match message.find(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        // serde reports a missing field at its parent's path; name the field itself.
        let field = match message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
        {
            Some(name) if field == "body" => name.to_string(),
            Some(name) => format!("{field}.{name}"),
            None => field,
        };
        ApiError::field(field, message)
    })
}

/// A 503 problem+json: the request was fine but could not be completed now; retry.
pub fn unavailable(detail: &str) -> Response {
    let body = serde_json::json!({
        "type": "https://infamousfreight.dev/problems/unavailable",
        "title": "Service Unavailable",
        "status": 503,
        "detail": detail,
        "code": "unavailable",
    });
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}
