//! `/api/v1/tracking/live`: the dispatch map's WebSocket. On connect it sends a snapshot of
//! every visible driver's latest position, then deltas (coalesced to the newest fix per
//! driver) and events. Staff see the organization; a driver sees themself; a shipper sees the
//! drivers of its active shipments (fixed at connect). `drivers` and `bbox` narrow it further.

use std::collections::HashSet;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ws_principal;
use crate::auth::policy::TrackingRead;
use crate::auth::Auth;
use crate::auth::{Action, Principal, Visibility};
use crate::domain::time::now_ms;
use crate::http::error::{ApiError, ApiResult, Problem};
use crate::http::extract::ApiQuery;
use crate::state::AppState;
use crate::tracking::hub::{BBox, LiveFilter, LivePosition};
use crate::tracking::live_message::LiveMessage;
use crate::tracking::{store, ConnectionGuard};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(live_feed))
        .routes(routes!(latest_positions))
}

/// Narrowing of the live feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LiveQuery {
    /// Credential for browsers, which cannot set headers on a WebSocket.
    access_token: Option<String>,
    /// Comma-separated driver ids.
    drivers: Option<String>,
    /// `min_lon,min_lat,max_lon,max_lat`.
    bbox: Option<String>,
}

/// Parses the query into a filter, before visibility is applied.
pub fn parse_filter(q: &LiveQuery) -> Result<LiveFilter, ApiError> {
    let drivers = match q.drivers.as_deref().filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(list) => Some(
            list.split(',')
                .map(|s| s.trim().parse::<i64>())
                .collect::<Result<HashSet<i64>, _>>()
                .map_err(|_| ApiError::field("drivers", "expected comma-separated driver ids"))?,
        ),
    };
    let bbox = match q.bbox.as_deref() {
        None => None,
        Some(text) => {
            let v: Vec<f64> = text
                .split(',')
                .filter_map(|s| s.trim().parse().ok())
                .collect();
            let ok = v.len() == 4
                && v.iter().all(|x| x.is_finite())
                && (-180.0..=180.0).contains(&v[0])
                && (-180.0..=180.0).contains(&v[2])
                && (-90.0..=90.0).contains(&v[1])
                && (-90.0..=90.0).contains(&v[3])
                && v[0] <= v[2]
                && v[1] <= v[3];
            if !ok {
                return Err(ApiError::field(
                    "bbox",
                    "expected min_lon,min_lat,max_lon,max_lat in degrees",
                ));
            }
            Some(BBox {
                min_lon: v[0],
                min_lat: v[1],
                max_lon: v[2],
                max_lat: v[3],
            })
        }
    };
    Ok(LiveFilter { drivers, bbox })
}

/// Applies the caller's visibility to a requested filter.
async fn visible(
    state: &AppState,
    principal: &Principal,
    mut filter: LiveFilter,
) -> ApiResult<LiveFilter> {
    let allowed: Option<HashSet<i64>> = match principal.scope().visibility {
        Visibility::Organization => None,
        Visibility::Driver(id) => Some([id].into()),
        Visibility::Customer(id) => Some(
            store::drivers_of_customer(&state.db, principal.org_id, id)
                .await?
                .into_iter()
                .collect(),
        ),
    };
    if let Some(allowed) = allowed {
        filter.drivers = Some(match filter.drivers {
            Some(asked) => asked.intersection(&allowed).copied().collect(),
            None => allowed,
        });
    }
    Ok(filter)
}

/// The latest position of every visible driver (the live feed's snapshot, over plain HTTP).
#[utoipa::path(get, path = "/tracking/latest", tag = "tracking", params(LiveQuery),
    responses((status = 200, body = Vec<LivePosition>), (status = 422, body = Problem)))]
async fn latest_positions(
    State(state): State<AppState>,
    auth: Auth<TrackingRead>,
    ApiQuery(q): ApiQuery<LiveQuery>,
) -> ApiResult<Json<Vec<LivePosition>>> {
    let filter = visible(&state, &auth.principal, parse_filter(&q)?).await?;
    Ok(Json(
        state.tracking.snapshot(auth.principal.org_id, &filter),
    ))
}

/// Live positions and events over WebSocket: `{"type":"snapshot","positions":[…]}` first,
/// then `{"type":"delta","positions":[…],"events":[…]}`. Every position carries the server's
/// `received_at`.
#[utoipa::path(get, path = "/tracking/live", tag = "tracking", params(LiveQuery),
    responses((status = 101, description = "WebSocket; every message is a LiveMessage", body = LiveMessage),
        (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn live_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LiveQuery>,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    let principal = ws_principal(
        &headers,
        q.access_token.as_deref(),
        &state,
        Action::TrackingRead,
    )
    .await?;
    let filter = visible(&state, &principal, parse_filter(&q)?).await?;
    let guard = state.tracking.connection();
    // Subscribers only read; keep the inbound buffer small.
    let ws = ws.read_buffer_size(4 * 1024).max_message_size(64 * 1024);
    Ok(ws.on_upgrade(move |socket| live_socket(state, principal.org_id, filter, socket, guard)))
}

/// A delta message ([`LiveMessage::Delta`] on the wire), encoded in one pass from the hub's
/// already-encoded events.
#[derive(Serialize)]
struct Delta<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    positions: &'a [LivePosition],
    events: &'a std::collections::VecDeque<serde_json::Value>,
    events_dropped: u64,
}

async fn live_socket(
    state: AppState,
    org_id: i64,
    filter: LiveFilter,
    socket: WebSocket,
    _guard: ConnectionGuard,
) {
    let (mut sink, mut stream) = socket.split();
    // Subscribe before the snapshot so nothing published in between is missed.
    let subscription = state.tracking.subscribe(org_id, filter.clone());
    let snapshot = state.tracking.snapshot(org_id, &filter);
    let first = LiveMessage::Snapshot {
        server_time: now_ms(),
        positions: snapshot,
    };
    let Ok(first) = serde_json::to_string(&first) else {
        return;
    };
    if sink.send(Message::Text(first.into())).await.is_err() {
        return;
    }
    let stopping = state.tracking.stopping();
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            pending = subscription.recv() => {
                let mut positions: Vec<_> = pending.positions.into_values().collect();
                positions.sort_by_key(|p| p.driver_id);
                let delta = Delta {
                    kind: "delta",
                    positions: &positions,
                    events: &pending.events,
                    events_dropped: pending.events_dropped,
                };
                let Ok(text) = serde_json::to_string(&delta) else { break };
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            msg = stream.next() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = &mut stopping => {
                let _ = sink.send(Message::Close(None)).await;
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::live_message::{EtaChange, LiveEventBody};

    #[test]
    fn delta_encoder_writes_what_the_documented_message_says() {
        let position = LivePosition {
            driver_id: 7,
            vehicle_id: Some(3),
            lat: 30.27,
            lon: -97.74,
            speed: Some(12.0),
            heading: None,
            accuracy: Some(5.0),
            battery: None,
            timestamp: 1_790_000_000_000,
            received_at: 1_790_000_000_040,
        };
        let event = LiveEventBody::Eta(EtaChange {
            shipment_id: 11,
            driver_id: 7,
            next_stop: "delivery",
            eta: 1_790_000_900_000,
            distance_remaining_m: 4200.0,
            late: false,
        });
        let events = std::collections::VecDeque::from([event.to_value()]);
        let encoded = serde_json::to_value(Delta {
            kind: "delta",
            positions: std::slice::from_ref(&position),
            events: &events,
            events_dropped: 2,
        })
        .unwrap();
        let documented = serde_json::to_value(LiveMessage::Delta {
            positions: vec![position],
            events: vec![event],
            events_dropped: 2,
        })
        .unwrap();
        assert_eq!(encoded, documented);
        assert_eq!(encoded["events"][0]["type"], "eta");
    }
}
