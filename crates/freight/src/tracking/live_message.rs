//! What `/api/v1/tracking/live` sends, as types: the event bodies are built from these, and the
//! OpenAPI document (hence the dashboard's generated TypeScript) describes them, so the wire
//! format and its description cannot drift apart. Driver status changes ride on the same feed
//! as events (see `tracking::driver_status`), since the map colours its markers by status.

use serde::Serialize;
use utoipa::ToSchema;

use super::hub::LivePosition;
use crate::domain::time::Millis;
use crate::domain::DriverStatus;

/// One event on the live feed, tagged by `type`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEventBody {
    /// A driver entered, left or dwelt in one of the organization's geofences.
    Geofence(FenceCrossing),
    /// A driver arrived at a pickup or delivery stop of an active shipment.
    Arrival(FenceCrossing),
    /// A shipment's ETA to its next stop changed.
    Eta(EtaChange),
    /// A driver's status changed (drivers API, or a shift started or ended).
    DriverStatus(DriverStatusChange),
}

/// A stored geofence or stop event (`GET /tracking/geofence-events` lists the same).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FenceCrossing {
    pub id: i64,
    /// `enter`, `exit` or `dwell` for geofences; `arrived_pickup` or `arrived_delivery` for stops.
    pub kind: &'static str,
    pub geofence_id: Option<i64>,
    pub shipment_id: Option<i64>,
    pub driver_id: i64,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Millis,
    pub lat: f64,
    pub lon: f64,
}

/// A shipment's live ETA.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EtaChange {
    pub shipment_id: i64,
    pub driver_id: i64,
    /// `pickup` or `delivery`.
    pub next_stop: &'static str,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub eta: Millis,
    pub distance_remaining_m: f64,
    /// The ETA is after the end of the stop's window.
    pub late: bool,
}

/// A driver's new status, as written to the driver.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DriverStatusChange {
    pub driver_id: i64,
    pub status: DriverStatus,
    /// When the change was committed.
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Millis,
}

/// A message on the live feed: one `snapshot` on connect, then `delta`s.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    Snapshot {
        /// Server clock, epoch milliseconds.
        server_time: Millis,
        /// Latest position of every visible driver.
        positions: Vec<LivePosition>,
    },
    Delta {
        /// Drivers that moved since the last message (newest fix each).
        positions: Vec<LivePosition>,
        events: Vec<LiveEventBody>,
        /// Events this subscriber missed because it read too slowly.
        events_dropped: u64,
    },
}

impl LiveEventBody {
    /// The body as stored in the hub's queues (encoded once, fanned out to many subscribers).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
