//! The `/api/v1/tracking/ws` WebSocket: each message carries a sequence number and is
//! acknowledged, in order, once its fixes are durable, so the app knows what it may
//! discard; a slow store stops the reading instead of buffering without bound.

use std::time::SystemTime;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures::stream::FuturesOrdered;
use futures::{SinkExt, StreamExt};
use opentelemetry::trace::SpanKind;
use opentelemetry::KeyValue;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::super::{from_value, ws_principal};
use super::{dropped, resolve};
use crate::auth::{Action, Principal};
use crate::domain::time::now_ms;
use crate::domain::Role;
use crate::http::error::{ApiError, ApiResult, Problem};
use crate::http::extract::ApiQuery;
use crate::state::AppState;
use crate::telemetry;
use crate::tracking::fix::{FixInput, Source, Subject, Timestamp};
use crate::tracking::ConnectionGuard;

/// Messages a WebSocket client may have awaiting acknowledgement before we stop reading.
const MAX_IN_FLIGHT: usize = 64;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(tracking_ws))
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
