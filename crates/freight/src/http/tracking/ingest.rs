//! Ingest from driver apps: `POST /api/v1/tracking/positions` (offline-buffered batches) and
//! the `/api/v1/tracking/ws` WebSocket, which acknowledges each message by sequence number
//! once its fixes are durable, so the app knows what it may discard.

use std::collections::HashMap;
use std::time::SystemTime;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::stream::FuturesOrdered;
use futures::{SinkExt, StreamExt};
use opentelemetry::trace::SpanKind;
use opentelemetry::KeyValue;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{from_value, ws_principal};
use crate::auth::policy::TrackingIngest;
use crate::auth::{Action, Auth, Principal};
use crate::domain::time::now_ms;
use crate::domain::FieldErrors;
use crate::domain::Role;
use crate::http::error::{ApiError, ApiResult, Problem};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::telemetry;
use crate::tracking::fix::{DropReason, Fix, FixInput, Source, Subject, Timestamp};
use crate::tracking::{ConnectionGuard, Tracking};

/// Largest batch accepted in one request or message.
pub const MAX_BATCH: usize = 10_000;
/// Messages a WebSocket client may have awaiting acknowledgement before we stop reading.
const MAX_IN_FLIGHT: usize = 64;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_positions))
        .routes(routes!(tracking_ws))
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

/// Who the WebSocket session sends for, when the credential is not a driver's.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsQuery {
    /// Credential for clients that cannot set headers.
    access_token: Option<String>,
    /// A registered device identifier (staff or gateway credentials).
    device: Option<String>,
    /// A driver of the organization (staff or gateway credentials).
    driver_id: Option<i64>,
}

/// WebSocket ingest. Send `{"seq": n, ...fix}` or `{"seq": n, "fixes": [...]}`; the server
/// answers `{"type":"ack","seq":n,"accepted":k,"dropped":[...]}` once the fixes are durable,
/// in order. A malformed message gets `{"type":"error","seq":n,"errors":[...]}` and is not stored.
#[utoipa::path(get, path = "/tracking/ws", tag = "tracking", params(WsQuery),
    responses((status = 101, description = "WebSocket"), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn tracking_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<WsQuery>,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    let principal = ws_principal(
        &headers,
        q.access_token.as_deref(),
        &state,
        Action::TrackingIngest,
    )
    .await?;
    let staff = matches!(principal.role, Role::Admin | Role::Dispatcher);
    let subject = if let Some(identifier) = q.device.as_deref() {
        let device = state.tracking.device_subject(identifier).await?;
        device
            .filter(|d| {
                d.org_id == principal.org_id && (staff || principal.driver_id == Some(d.driver_id))
            })
            .ok_or(ApiError::NotFound("device"))?
    } else if let Some(driver) = principal.driver_id.or(q.driver_id.filter(|_| staff)) {
        state
            .tracking
            .driver_subject(principal.org_id, driver)
            .await?
            .ok_or(ApiError::NotFound("driver"))?
    } else {
        return Err(ApiError::field(
            "driver_id",
            "name the driver (driver_id) or device this session sends for",
        ));
    };
    // Counted from before the upgrade, so a shutdown starting meanwhile still waits for it.
    let guard = state.tracking.connection();
    // Small buffers: a device sends a few hundred bytes at a time and there may be 10,000 of
    // them (tungstenite's defaults reserve 128 KiB per connection).
    let ws = ws
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_message_size(4 * 1024 * 1024);
    Ok(ws.on_upgrade(move |socket| ingest_socket(state, principal, subject, socket, guard)))
}

type Pending = std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>>;

async fn ingest_socket(
    state: AppState,
    principal: Principal,
    subject: Subject,
    socket: WebSocket,
    _guard: ConnectionGuard,
) {
    let (mut sink, mut stream) = socket.split();
    let mut pending: FuturesOrdered<Pending> = FuturesOrdered::new();
    let stopping = state.tracking.stopping();
    tokio::pin!(stopping);
    let mut stop = false;
    loop {
        if stop && pending.is_empty() {
            // Closing handshake: discard what the client sent meanwhile (never acknowledged,
            // so it will resend) until its Close, so the socket is not reset with unread data.
            if sink.send(Message::Close(None)).await.is_ok() {
                let drain = async {
                    while let Some(Ok(m)) = stream.next().await {
                        if matches!(m, Message::Close(_)) {
                            break;
                        }
                    }
                };
                let _ = tokio::time::timeout(std::time::Duration::from_secs(2), drain).await;
            }
            break;
        }
        tokio::select! {
            Some(reply) = pending.next(), if !pending.is_empty() => {
                if sink.send(Message::Text(reply.into())).await.is_err() {
                    break;
                }
            }
            msg = stream.next(), if !stop && pending.len() < MAX_IN_FLIGHT => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Binary(b))) => match String::from_utf8(b.to_vec()) {
                        Ok(t) => t.into(),
                        Err(_) => continue,
                    },
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                        stop = true;
                        continue;
                    }
                    Some(Ok(_)) => continue,
                };
                let started = telemetry::exporting().then(SystemTime::now);
                pending.push_back(
                    handle_message(&state, &principal, subject, text.as_str(), started).await,
                );
            }
            _ = &mut stopping, if !stop => stop = true,
        }
    }
}

/// Parses and admits one message; the returned future resolves to its ack (or error) reply.
/// With `started` (when traces are exported) the message becomes a span, from its arrival
/// to its acknowledgement.
async fn handle_message(
    state: &AppState,
    principal: &Principal,
    subject: Subject,
    text: &str,
    started: Option<SystemTime>,
) -> Pending {
    // The common message, one fix with its `seq`, in one typed pass; anything else (or a
    // failure) takes the general path below, which names the failing field.
    if !text.contains("\"fixes\"") {
        if let Ok(one) = serde_json::from_str::<SingleFix>(text) {
            let (seq, fix) = one.into_input();
            return admit_and_store(state, principal, subject, seq, vec![fix], started).await;
        }
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return rejected(
                started,
                json!({"type": "error", "seq": null, "code": "malformed_json", "detail": e.to_string()}),
            )
        }
    };
    let seq = value.get("seq").cloned().unwrap_or(Value::Null);
    let Some(seq_number) = seq.as_u64() else {
        return rejected(
            started,
            error_reply(
                &seq,
                ApiError::field("seq", "required: a non-negative integer"),
            ),
        );
    };
    let parsed: Result<Vec<FixInput>, ApiError> = match value {
        Value::Object(mut m) if m.contains_key("fixes") => {
            from_value(m.remove("fixes").unwrap_or_default(), "fixes")
        }
        other => from_value::<FixInput>(other, "").map(|f| vec![f]),
    };
    match parsed {
        Ok(inputs) => admit_and_store(state, principal, subject, seq_number, inputs, started).await,
        Err(e) => rejected(started, error_reply(&seq, e)),
    }
}

/// One fix with its sequence number, as most devices send it (the fields of [`FixInput`]
/// plus `seq`, read directly: `#[serde(flatten)]` would buffer the message first).
#[derive(Deserialize)]
struct SingleFix {
    seq: u64,
    lat: f64,
    lon: f64,
    speed: Option<f64>,
    heading: Option<f64>,
    accuracy: Option<f64>,
    altitude: Option<f64>,
    battery: Option<f64>,
    timestamp: Option<Timestamp>,
    driver_id: Option<i64>,
    attributes: Option<serde_json::Map<String, Value>>,
}

impl SingleFix {
    fn into_input(self) -> (u64, FixInput) {
        let fix = FixInput {
            lat: self.lat,
            lon: self.lon,
            speed: self.speed,
            heading: self.heading,
            accuracy: self.accuracy,
            altitude: self.altitude,
            battery: self.battery,
            timestamp: self.timestamp,
            driver_id: self.driver_id,
            attributes: self.attributes,
        };
        (self.seq, fix)
    }
}

/// Resolves, admits and queues parsed fixes; the returned future resolves to the reply.
async fn admit_and_store(
    state: &AppState,
    principal: &Principal,
    subject: Subject,
    seq: u64,
    inputs: Vec<FixInput>,
    started: Option<SystemTime>,
) -> Pending {
    let received = inputs.len();
    let fixes = resolve(
        &state.tracking,
        principal,
        Some(subject),
        &inputs,
        "fixes",
        Source::Ws,
    )
    .await;
    let fixes = match fixes {
        Ok(f) => f,
        Err(e) => return rejected(started, error_reply(&Value::from(seq), e)),
    };
    let (kept, drops) = state.tracking.admit(fixes, now_ms());
    let accepted = kept.len();
    let stored = state.tracking.store(kept);
    Box::pin(async move {
        let stored = stored.await;
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        record_message(
            started,
            [
                KeyValue::new("tracking.seq", i64::try_from(seq).unwrap_or(i64::MAX)),
                KeyValue::new("tracking.fixes", count(received)),
                KeyValue::new("tracking.accepted", count(accepted)),
                KeyValue::new("tracking.dropped", count(drops.len())),
            ],
            stored.is_err().then_some("positions could not be stored"),
        );
        match stored {
            // Written directly: one ack per fix is the hottest reply of the server.
            Ok(()) if drops.is_empty() => {
                format!(r#"{{"type":"ack","seq":{seq},"accepted":{accepted},"dropped":[]}}"#)
            }
            Ok(()) => {
                json!({"type": "ack", "seq": seq, "accepted": accepted, "dropped": dropped(drops)})
                    .to_string()
            }
            Err(_) => json!({"type": "error", "seq": seq, "code": "store_failed", "retry": true,
                             "detail": "positions could not be stored; resend this message"})
            .to_string(),
        }
    })
}

/// A refused message's error reply; its span, when traced, has an error status.
fn rejected(started: Option<SystemTime>, reply: Value) -> Pending {
    record_message(started, [], Some("message refused"));
    ready(reply.to_string())
}

/// Exports one message's `tracking.ws.message` span, from its arrival (`started`, set only
/// when traces are exported) to now.
fn record_message<const N: usize>(
    started: Option<SystemTime>,
    attributes: [KeyValue; N],
    error: Option<&'static str>,
) {
    if let Some(start) = started {
        telemetry::record_span(
            "tracking.ws.message",
            SpanKind::Consumer,
            start,
            attributes,
            error,
        );
    }
}

fn ready(reply: String) -> Pending {
    Box::pin(async move { reply })
}

fn error_reply(seq: &Value, e: ApiError) -> Value {
    let errors = match &e {
        ApiError::Validation(list) => json!(list),
        _ => json!([]),
    };
    json!({"type": "error", "seq": seq, "code": "validation_failed", "detail": e.to_string(), "errors": errors})
}
