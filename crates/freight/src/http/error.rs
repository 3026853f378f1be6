//! The API's one error type and its RFC 9457 problem+json rendering.
//!
//! Every failure a client can cause maps to a 4xx with a stable `code`, a human `detail` and,
//! where a field is at fault, an `errors` list naming it. Internal failures are logged with
//! their cause and answered with a bare 500 that leaks nothing.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::domain::{FieldError, ShipmentStatus};

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required")]
    Unauthorized(&'static str),
    #[error("forbidden")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("conflict: {detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        field: Option<&'static str>,
    },
    #[error("illegal transition")]
    InvalidTransition {
        current: ShipmentStatus,
        requested: ShipmentStatus,
        allowed: Vec<ShipmentStatus>,
    },
    #[error("version mismatch")]
    PreconditionFailed { current_version: i64 },
    #[error("If-Match required")]
    PreconditionRequired,
    #[error("body too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A rate limit refused the request; `retry_after` in seconds, `tier` as named in policies.
    #[error("too many requests")]
    TooManyRequests {
        retry_after: u64,
        tier: &'static str,
    },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl ApiError {
    /// A 422 naming a single field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Conflict { .. } | ApiError::InvalidTransition { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Validation(_) => "validation_failed",
            ApiError::BadRequest { code, .. } | ApiError::Conflict { code, .. } => code,
            ApiError::InvalidTransition { .. } => "invalid_transition",
            ApiError::PreconditionFailed { .. } => "version_conflict",
            ApiError::PreconditionRequired => "precondition_required",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::TooManyRequests { .. } => "rate_limited",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn detail_and_extra(&self) -> (String, Map<String, Value>) {
        let mut extra = Map::new();
        let detail = match self {
            ApiError::Unauthorized(why) => why.to_string(),
            ApiError::Forbidden(why) => why.clone(),
            ApiError::NotFound(what) => format!("{what} not found"),
            ApiError::Validation(errors) => {
                extra.insert("errors".into(), json!(errors));
                let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                format!("invalid field(s): {}", fields.join(", "))
            }
            ApiError::BadRequest { detail, .. } => detail.clone(),
            ApiError::Conflict { detail, field, .. } => {
                if let Some(field) = field {
                    extra.insert(
                        "errors".into(),
                        json!([{ "field": field, "message": detail }]),
                    );
                }
                detail.clone()
            }
            ApiError::InvalidTransition {
                current,
                requested,
                allowed,
            } => {
                extra.insert("current_status".into(), json!(current));
                extra.insert("requested_status".into(), json!(requested));
                extra.insert("allowed_next".into(), json!(allowed));
                let allowed: Vec<_> = allowed.iter().map(|s| s.as_str()).collect();
                format!(
                    "cannot move a {current} shipment to {requested}; allowed next: [{}]",
                    allowed.join(", ")
                )
            }
            ApiError::PreconditionFailed { current_version } => {
                extra.insert("current_version".into(), json!(current_version));
                format!("the resource was changed by someone else; its current version is {current_version}")
            }
            ApiError::PreconditionRequired => {
                "updates need an If-Match header carrying the ETag from a GET".to_string()
            }
            ApiError::PayloadTooLarge => "request body exceeds the size limit".to_string(),
            ApiError::UnsupportedMediaType => "expected Content-Type: application/json".to_string(),
            ApiError::TooManyRequests { retry_after, tier } => {
                extra.insert("retry_after".into(), json!(retry_after));
                extra.insert("tier".into(), json!(tier));
                format!("rate limit of the {tier} tier reached; retry in {retry_after} s")
            }
            ApiError::Internal(_) => "an internal error occurred".to_string(),
        };
        (detail, extra)
    }
}

/// The problem+json body, as documented in the OpenAPI schema.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code (`validation_failed`, `invalid_transition`, …).
    pub code: String,
    /// Present when fields are at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(err) = &self {
            tracing::error!(error = ?err, "request failed");
        }
        let status = self.status();
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let code = self.code();
        let (detail, extra) = self.detail_and_extra();
        let mut body = Map::new();
        body.insert(
            "type".into(),
            json!(format!(
                "https://infamousfreight.dev/problems/{}",
                code.replace('_', "-")
            )),
        );
        body.insert(
            "title".into(),
            json!(status.canonical_reason().unwrap_or("Error")),
        );
        body.insert("status".into(), json!(status.as_u16()));
        body.insert("detail".into(), json!(detail));
        body.insert("code".into(), json!(code));
        body.extend(extra);
        if let Some(trace_id) = crate::telemetry::current_trace_id() {
            body.insert("trace_id".into(), json!(trace_id));
        }
        let mut response = (status, axum::Json(Value::Object(body))).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
