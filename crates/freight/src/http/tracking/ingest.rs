//! Ingest from driver apps: `POST /api/v1/tracking/positions` (offline-buffered batches) and
//! the `/api/v1/tracking/ws` WebSocket (`socket`), which acknowledges each message by
//! sequence number once its fixes are durable, so the app knows what it may discard. Both
//! resolve who each fix is for the same way (`resolve`).

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::from_value;
use crate::auth::policy::TrackingIngest;
use crate::auth::{Auth, Principal};
use crate::domain::time::now_ms;
use crate::domain::FieldErrors;
use crate::domain::Role;
use crate::http::error::{ApiError, ApiResult, Problem};
use crate::http::extract::ApiJson;
use crate::state::AppState;
use crate::tracking::fix::{DropReason, Fix, FixInput, Source, Subject};
use crate::tracking::Tracking;

mod socket;

/// Largest batch accepted in one request or message.
pub const MAX_BATCH: usize = 10_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_positions))
        .merge(socket::router())
}

/// One dropped fix.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dropped {
    /// Position in the submitted array.
    pub index: usize,
    pub reason: DropReason,
}

/// What happened to a batch. Accepted fixes are durable when this is returned.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestReply {
    pub accepted: usize,
    pub dropped: Vec<Dropped>,
}

fn dropped(list: Vec<(usize, DropReason)>) -> Vec<Dropped> {
    list.into_iter()
        .map(|(index, reason)| Dropped { index, reason })
        .collect()
}

/// Upload buffered fixes: a JSON array of fixes (or `{"positions": [...]}`).
///
/// Drivers and device keys send their own fixes; staff credentials (gateways) name the
/// `driver_id` of each fix. Malformed fixes fail the whole request (422 naming the field);
/// well-formed but implausible fixes are dropped with a reason and the rest are stored.
#[utoipa::path(post, path = "/tracking/positions", tag = "tracking", request_body = Vec<FixInput>,
    responses((status = 200, body = IngestReply), (status = 422, body = Problem), (status = 503, body = Problem)))]
async fn post_positions(
    State(state): State<AppState>,
    auth: Auth<TrackingIngest>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Response> {
    let (inputs, prefix) = match body {
        Value::Object(mut m) if m.contains_key("positions") => {
            (m.remove("positions").unwrap_or_default(), "positions")
        }
        other => (other, ""),
    };
    let inputs: Vec<FixInput> = from_value(inputs, prefix)?;
    let fixes = resolve(
        &state.tracking,
        &auth.principal,
        None,
        &inputs,
        prefix,
        Source::Http,
    )
    .await?;
    match state.tracking.ingest(fixes).await {
        Ok(outcome) => Ok(Json(IngestReply {
            accepted: outcome.accepted,
            dropped: dropped(outcome.dropped),
        })
        .into_response()),
        Err(_) => Ok(super::unavailable(
            "positions could not be stored; retry with the same fixes",
        )),
    }
}

/// Maps inputs to fixes with their subject. `fixed` is the subject of a WebSocket session.
async fn resolve(
    tracking: &Tracking,
    principal: &Principal,
    fixed: Option<Subject>,
    inputs: &[FixInput],
    prefix: &str,
    source: Source,
) -> ApiResult<Vec<Fix>> {
    let mut errors = FieldErrors::new();
    if inputs.is_empty() || inputs.len() > MAX_BATCH {
        let field = if prefix.is_empty() { "body" } else { prefix };
        errors.add(field, format!("send between 1 and {MAX_BATCH} fixes"));
        return Err(ApiError::Validation(errors.into_result().unwrap_err()));
    }
    let own = match (fixed, principal.driver_id) {
        (Some(s), _) => Some(s),
        (None, Some(driver)) => tracking.driver_subject(principal.org_id, driver).await?,
        (None, None) => None,
    };
    let staff = matches!(principal.role, Role::Admin | Role::Dispatcher);
    let mut subjects: HashMap<i64, Option<Subject>> = HashMap::new();
    let received_at = now_ms();
    let mut fixes = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        if input.timestamp.is_none() {
            errors.add(
                format!("{prefix}[{i}].timestamp"),
                "required: when the fix was taken",
            );
        }
        let field = || format!("{prefix}[{i}].driver_id");
        let subject = match (own, input.driver_id) {
            (Some(s), None) => Some(s),
            (Some(s), Some(d)) if d == s.driver_id => Some(s),
            (Some(_), Some(_)) => {
                errors.add(
                    field(),
                    "a driver or device may only send its own positions",
                );
                None
            }
            (None, Some(d)) if staff => {
                if let std::collections::hash_map::Entry::Vacant(slot) = subjects.entry(d) {
                    slot.insert(tracking.driver_subject(principal.org_id, d).await?);
                }
                let s = subjects[&d];
                if s.is_none() {
                    errors.add(field(), format!("no driver {d} in this organization"));
                }
                s
            }
            (None, _) => {
                errors.add(
                    field(),
                    "required: this credential is not bound to a driver",
                );
                None
            }
        };
        if let Some(subject) = subject {
            fixes.push(Fix::from_input(input, subject, source, received_at));
        }
    }
    errors.into_result().map_err(ApiError::Validation)?;
    Ok(fixes)
}
