//! `Idempotency-Key` on POST: a retried request gets the first response instead of
//! creating a second shipment.
//!
//! The key is scoped to the caller. The first request claims the key before it runs (so a
//! concurrent duplicate answers 409 instead of running twice), and its response is stored
//! when it finishes. Reusing a key with a different body is refused with 422. Server errors
//! are not remembered, so the client may retry them. Keys expire after 24 hours.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::auth::authenticate;
use crate::db::idempotency;
use crate::state::AppState;

/// The header clients send.
pub const HEADER: &str = "idempotency-key";
/// Set on replayed responses.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long keys are remembered.
pub const RETENTION_MS: i64 = 24 * 3600 * 1000;

/// Middleware for the `/api/v1` router.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || !req.headers().contains_key(HEADER) {
        return next.run(req).await;
    }
    match handle(state, req, next).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn handle(state: AppState, req: Request, next: Next) -> Result<Response, ApiError> {
    let key = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| {
            ApiError::field("Idempotency-Key", "must be 1–255 visible ASCII characters")
        })?
        .to_string();
    let (mut parts, body) = req.into_parts();
    let Some(principal) = authenticate(&parts, &state).await? else {
        // Unauthenticated: let the handler answer 401 as usual.
        return Ok(next.run(Request::from_parts(parts, body)).await);
    };
    let bytes = to_bytes(body, state.config.max_body_bytes)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let mut hasher = Sha256::new();
    hasher.update(parts.uri.path().as_bytes());
    hasher.update([0]);
    hasher.update(&bytes);
    let request_hash = hex::encode(hasher.finalize());
    let owner = principal.actor();
    let org_id = principal.org_id;

    if idempotency::claim(&state.db, org_id, &owner, &key, &request_hash).await? {
        parts.extensions.insert(principal);
        let response = next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
        let (parts, body) = response.into_parts();
        let body = to_bytes(body, usize::MAX)
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
        if parts.status.is_server_error() {
            idempotency::release(&state.db, org_id, &owner, &key).await?;
        } else {
            let text = String::from_utf8_lossy(&body);
            idempotency::complete(
                &state.db,
                org_id,
                &owner,
                &key,
                parts.status.as_u16(),
                &text,
            )
            .await?;
        }
        return Ok(Response::from_parts(parts, Body::from(body)));
    }

    let stored = idempotency::find(&state.db, org_id, &owner, &key)
        .await?
        .ok_or_else(|| ApiError::Conflict {
            code: "idempotency_in_progress",
            detail: "retry shortly".into(),
            field: None,
        })?;
    if stored.request_hash != request_hash {
        return Err(ApiError::field(
            "Idempotency-Key",
            "this key was already used with a different request",
        ));
    }
    let (Some(status), Some(body)) = (stored.status_code, stored.response_body) else {
        return Err(ApiError::Conflict {
            code: "idempotency_in_progress",
            detail: "a request with this Idempotency-Key is still being processed".into(),
            field: Some("Idempotency-Key"),
        });
    };
    let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
        .headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    Ok(response)
}
