//! SQL for geofences, geofence events, the active shipments tracking watches, and the
//! per-shipment tracking facts (arrivals, ETA, late flag).

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::geofence::Shape;
use crate::auth::{Scope, Visibility};
use crate::db::{Db, NewId, Sql, Tx};
use crate::domain::time::Millis;

/// A stored geofence.
#[derive(Debug, Clone, FromRow)]
pub struct FenceRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub center_lat: Option<f64>,
    pub center_lon: Option<f64>,
    pub radius_m: Option<f64>,
    pub polygon: Option<String>,
    pub dwell_secs: Option<i64>,
    pub created_at: i64,
}

impl FenceRow {
    /// The geometry, if the row is well-formed.
    pub fn shape(&self) -> Option<Shape> {
        match self.kind.as_str() {
            "circle" => Some(Shape::Circle {
                lat: self.center_lat?,
                lon: self.center_lon?,
                radius_m: self.radius_m?,
            }),
            "polygon" => {
                let pts: Vec<[f64; 2]> = serde_json::from_str(self.polygon.as_deref()?).ok()?;
                Some(Shape::Polygon(
                    pts.into_iter().map(|[lon, lat]| (lat, lon)).collect(),
                ))
            }
            _ => None,
        }
    }
}

const FENCE_COLUMNS: &str =
    "id, name, kind, center_lat, center_lon, radius_m, polygon, dwell_secs, created_at";

pub async fn fences(db: &Db, org_id: i64) -> sqlx::Result<Vec<FenceRow>> {
    db.fetch_all(
        sqlx::query_as(&format!(
            "SELECT {FENCE_COLUMNS} FROM geofences WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org_id),
    )
    .await
}

pub async fn fence(db: &Db, org_id: i64, id: i64) -> sqlx::Result<Option<FenceRow>> {
    db.fetch_optional(
        sqlx::query_as(&format!(
            "SELECT {FENCE_COLUMNS} FROM geofences WHERE org_id = $1 AND id = $2"
        ))
        .bind(org_id)
        .bind(id),
    )
    .await
}

/// Inserts a fence; `polygon` is the JSON `[[lon, lat], …]` text.
#[allow(clippy::too_many_arguments)]
pub async fn insert_fence(
    db: &Db,
    org_id: i64,
    name: &str,
    kind: &str,
    center: Option<(f64, f64, f64)>,
    polygon: Option<String>,
    dwell_secs: Option<i64>,
    now: Millis,
) -> sqlx::Result<i64> {
    let row: NewId = db
        .fetch_one_write(
            sqlx::query_as(
                "INSERT INTO geofences (org_id, name, kind, center_lat, center_lon, radius_m, polygon, dwell_secs, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            )
            // It binds optional floats (see "Optional floats" in `db`).
            .persistent(false)
            .bind(org_id)
            .bind(name)
            .bind(kind)
            .bind(center.map(|c| c.0))
            .bind(center.map(|c| c.1))
            .bind(center.map(|c| c.2))
            .bind(polygon)
            .bind(dwell_secs)
            .bind(now),
        )
        .await?;
    Ok(row.id)
}

pub async fn delete_fence(db: &Db, org_id: i64, id: i64) -> sqlx::Result<bool> {
    let r = db
        .execute(
            sqlx::query("DELETE FROM geofences WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(id),
        )
        .await?;
    Ok(r.rows_affected() > 0)
}

/// An event to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub org_id: i64,
    pub geofence_id: Option<i64>,
    pub shipment_id: Option<i64>,
    pub driver_id: i64,
    pub kind: &'static str,
    pub at: Millis,
    pub lat: f64,
    pub lon: f64,
}

pub async fn insert_event(tx: &mut Tx, e: &NewEvent, now: Millis) -> sqlx::Result<i64> {
    let row: NewId = tx
        .fetch_one(
            sqlx::query_as(
                "INSERT INTO geofence_events (org_id, geofence_id, shipment_id, driver_id, kind, at, lat, lon, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(e.org_id)
            .bind(e.geofence_id)
            .bind(e.shipment_id)
            .bind(e.driver_id)
            .bind(e.kind)
            .bind(e.at)
            .bind(e.lat)
            .bind(e.lon)
            .bind(now),
        )
        .await?;
    Ok(row.id)
}

/// A stored event as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromRow)]
pub struct GeofenceEvent {
    pub id: i64,
    pub geofence_id: Option<i64>,
    pub shipment_id: Option<i64>,
    pub driver_id: i64,
    /// enter | exit | dwell | arrived_pickup | arrived_delivery
    pub kind: String,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub at: i64,
    pub lat: f64,
    pub lon: f64,
}

/// Filters for the events query.
#[derive(Debug, Default)]
pub struct EventFilter {
    pub geofence_id: Option<i64>,
    pub driver_id: Option<i64>,
    pub shipment_id: Option<i64>,
    pub from: Option<Millis>,
    pub to: Option<Millis>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Events visible to `scope`, newest first.
pub async fn events(db: &Db, scope: &Scope, f: &EventFilter) -> sqlx::Result<Vec<GeofenceEvent>> {
    let mut sql = Sql::new("SELECT id, geofence_id, shipment_id, driver_id, kind, at, lat, lon FROM geofence_events WHERE org_id = ");
    sql.bind(scope.org_id);
    match scope.visibility {
        Visibility::Organization => {}
        Visibility::Driver(id) => {
            sql.push(" AND driver_id = ").bind(id);
        }
        Visibility::Customer(id) => {
            sql.push(" AND shipment_id IN (SELECT id FROM shipments WHERE org_id = ")
                .bind(scope.org_id);
            sql.push(" AND customer_id = ").bind(id).push(")");
        }
    }
    for (column, value) in [
        ("geofence_id", f.geofence_id),
        ("driver_id", f.driver_id),
        ("shipment_id", f.shipment_id),
    ] {
        if let Some(v) = value {
            sql.push(&format!(" AND {column} = ")).bind(v);
        }
    }
    if let Some(from) = f.from {
        sql.push(" AND at >= ").bind(from);
    }
    if let Some(to) = f.to {
        sql.push(" AND at < ").bind(to);
    }
    if let Some(before) = f.before_id {
        sql.push(" AND id < ").bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ").bind(f.limit);
    db.fetch_all(sql.query_as()).await
}

/// An active shipment with a driver: what stop geofences and ETAs work from.
#[derive(Debug, Clone, FromRow)]
pub struct ActiveShipment {
    pub id: i64,
    pub driver_id: i64,
    pub status: String,
    pub pickup_lat: f64,
    pub pickup_lon: f64,
    pub pickup_window_end: i64,
    pub pickup_service_minutes: i64,
    pub delivery_lat: f64,
    pub delivery_lon: f64,
    pub delivery_window_end: i64,
    pub pickup_arrived_at: Option<i64>,
    pub delivery_arrived_at: Option<i64>,
}

pub async fn active_shipments(db: &Db, org_id: i64) -> sqlx::Result<Vec<ActiveShipment>> {
    db.fetch_all(
        sqlx::query_as(
            "SELECT s.id, s.driver_id, s.status, s.pickup_lat, s.pickup_lon, s.pickup_window_end, s.pickup_service_minutes, \
             s.delivery_lat, s.delivery_lon, s.delivery_window_end, t.pickup_arrived_at, t.delivery_arrived_at \
             FROM shipments s LEFT JOIN shipment_tracking t ON t.shipment_id = s.id \
             WHERE s.org_id = $1 AND s.driver_id IS NOT NULL AND s.status IN ('assigned', 'picked_up', 'in_transit')",
        )
        .bind(org_id),
    )
    .await
}

/// New tracking facts about a shipment. Arrival times are only ever set once.
#[derive(Debug, Clone)]
pub struct TrackingUpdate {
    pub shipment_id: i64,
    pub org_id: i64,
    pub pickup_arrived_at: Option<i64>,
    pub delivery_arrived_at: Option<i64>,
    pub next_stop: &'static str,
    pub eta_at: i64,
    pub distance_remaining_m: f64,
    pub late: bool,
}

impl TrackingUpdate {
    /// The facts as the API shows them (arrivals only when this update records them).
    pub fn facts(&self) -> ShipmentTracking {
        ShipmentTracking {
            shipment_id: self.shipment_id,
            pickup_arrived_at: self.pickup_arrived_at,
            delivery_arrived_at: self.delivery_arrived_at,
            next_stop: Some(self.next_stop.to_string()),
            eta_at: Some(self.eta_at),
            distance_remaining_m: Some(self.distance_remaining_m),
            late: i64::from(self.late),
        }
    }
}

/// Clears the ETA of a shipment that left the active statuses (arrivals and `late` stay).
pub async fn clear_eta(tx: &mut Tx, shipment_id: i64, now: Millis) -> sqlx::Result<()> {
    tx.execute(
        sqlx::query(
            "UPDATE shipment_tracking SET next_stop = NULL, eta_at = NULL, distance_remaining_m = NULL, \
             updated_at = $2 WHERE shipment_id = $1",
        )
        .bind(shipment_id)
        .bind(now),
    )
    .await
    .map(|_| ())
}

pub async fn upsert_tracking(tx: &mut Tx, u: &TrackingUpdate, now: Millis) -> sqlx::Result<()> {
    tx.execute(
        sqlx::query(
            "INSERT INTO shipment_tracking (shipment_id, org_id, pickup_arrived_at, delivery_arrived_at, next_stop, eta_at, \
             distance_remaining_m, late, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (shipment_id) DO UPDATE SET \
             pickup_arrived_at = COALESCE(shipment_tracking.pickup_arrived_at, excluded.pickup_arrived_at), \
             delivery_arrived_at = COALESCE(shipment_tracking.delivery_arrived_at, excluded.delivery_arrived_at), \
             next_stop = excluded.next_stop, eta_at = excluded.eta_at, distance_remaining_m = excluded.distance_remaining_m, \
             late = excluded.late, updated_at = excluded.updated_at",
        )
        .bind(u.shipment_id)
        .bind(u.org_id)
        .bind(u.pickup_arrived_at)
        .bind(u.delivery_arrived_at)
        .bind(u.next_stop)
        .bind(u.eta_at)
        .bind(u.distance_remaining_m)
        .bind(i64::from(u.late))
        .bind(now),
    )
    .await
    .map(|_| ())
}

/// A shipment's tracking facts as the API shows them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromRow)]
pub struct ShipmentTracking {
    pub shipment_id: i64,
    #[serde(with = "crate::domain::time::rfc3339_ms_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub pickup_arrived_at: Option<i64>,
    #[serde(with = "crate::domain::time::rfc3339_ms_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivery_arrived_at: Option<i64>,
    /// pickup | delivery
    pub next_stop: Option<String>,
    /// Estimated arrival at the next stop.
    #[serde(with = "crate::domain::time::rfc3339_ms_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub eta_at: Option<i64>,
    pub distance_remaining_m: Option<f64>,
    /// 1 when the ETA passes the end of the delivery window (0/1 for portability).
    #[serde(serialize_with = "as_bool", deserialize_with = "from_bool")]
    #[schema(value_type = bool)]
    pub late: i64,
}

fn as_bool<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(*v != 0)
}

fn from_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(i64::from(bool::deserialize(d)?))
}

#[derive(FromRow)]
struct StoredTracking {
    org_id: i64,
    updated_at: i64,
    #[sqlx(flatten)]
    facts: ShipmentTracking,
}

/// Every shipment's facts changed since `since`, with its organization and change time
/// (loaded once at start).
pub async fn load_tracking(
    db: &Db,
    since: Millis,
) -> sqlx::Result<Vec<(i64, ShipmentTracking, Millis)>> {
    let rows: Vec<StoredTracking> = db
        .fetch_all(
            sqlx::query_as(
                "SELECT org_id, updated_at, shipment_id, pickup_arrived_at, delivery_arrived_at, next_stop, eta_at, \
                 distance_remaining_m, late FROM shipment_tracking WHERE updated_at >= $1",
            )
            .bind(since),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.org_id, r.facts, r.updated_at))
        .collect())
}

pub async fn shipment_tracking(
    db: &Db,
    org_id: i64,
    shipment_id: i64,
) -> sqlx::Result<Option<ShipmentTracking>> {
    db.fetch_optional(
        sqlx::query_as(
            "SELECT shipment_id, pickup_arrived_at, delivery_arrived_at, next_stop, eta_at, distance_remaining_m, late \
             FROM shipment_tracking WHERE org_id = $1 AND shipment_id = $2",
        )
        .bind(org_id)
        .bind(shipment_id),
    )
    .await
}
