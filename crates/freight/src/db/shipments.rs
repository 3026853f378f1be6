//! Reading shipments: the read model with driver and vehicle embedded, filtered lists,
//! and full-text search (the event history is in `shipment_events`).
//!
//! A list page is one statement whatever its size: drivers and vehicles are joined, not
//! fetched per row.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

pub use super::shipment_events::{events, ShipmentEvent};
pub(crate) use super::shipment_list::push_scope;
pub use super::shipment_list::{list, ShipmentFilter};
use super::{Db, Sql};
use crate::auth::Scope;
use crate::domain::shipment::{ShipmentFields, Stop};
use crate::domain::time::to_datetime;
use crate::domain::{DriverStatus, Priority, ShipmentStatus, VehicleType};

/// Money in minor units with its currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// Integer minor units (cents).
    pub amount_cents: i64,
    /// ISO 4217 code.
    pub currency: String,
}

/// A time window in RFC 3339 UTC.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A stop as the API shows and accepts it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StopView {
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub window: Window,
    /// Minutes spent at the stop loading or unloading.
    pub service_minutes: i64,
}

impl StopView {
    pub fn to_stop(&self) -> Stop {
        Stop {
            address: self.address.clone(),
            lat: self.lat,
            lon: self.lon,
            window_start: self.window.start.timestamp_millis(),
            window_end: self.window.end.timestamp_millis(),
            service_minutes: self.service_minutes,
        }
    }

    fn from_stop(s: Stop) -> Self {
        StopView {
            address: s.address,
            lat: s.lat,
            lon: s.lon,
            window: Window {
                start: to_datetime(s.window_start),
                end: to_datetime(s.window_end),
            },
            service_minutes: s.service_minutes,
        }
    }
}

/// The assigned driver, embedded in a shipment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DriverSummary {
    pub id: i64,
    pub name: String,
    pub status: DriverStatus,
}

/// The assigned vehicle, embedded in a shipment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VehicleSummary {
    pub id: i64,
    pub plate: String,
    pub vehicle_type: VehicleType,
}

/// A shipment (load) as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Shipment {
    pub id: i64,
    pub reference: String,
    pub customer_id: i64,
    pub status: ShipmentStatus,
    pub priority: Priority,
    pub weight_kg: f64,
    pub volume_m3: f64,
    pub pallets: i64,
    pub declared_value: Money,
    pub notes: String,
    pub pickup: StopView,
    pub delivery: StopView,
    pub driver: Option<DriverSummary>,
    pub vehicle: Option<VehicleSummary>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version; also sent as the `ETag`.
    pub version: i64,
}

/// One row of `shipments` with the joined driver and vehicle columns.
#[derive(Debug, FromRow)]
pub(crate) struct ShipmentRow {
    pub id: i64,
    pub reference: String,
    pub customer_id: i64,
    #[sqlx(try_from = "String")]
    pub status: ShipmentStatus,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
    pub weight_kg: f64,
    pub volume_m3: f64,
    pub pallets: i64,
    pub declared_value_cents: i64,
    pub currency: String,
    pub notes: String,
    pub driver_id: Option<i64>,
    pub vehicle_id: Option<i64>,
    pub pickup_address: String,
    pub pickup_lat: f64,
    pub pickup_lon: f64,
    pub pickup_window_start: i64,
    pub pickup_window_end: i64,
    pub pickup_service_minutes: i64,
    pub delivery_address: String,
    pub delivery_lat: f64,
    pub delivery_lon: f64,
    pub delivery_window_start: i64,
    pub delivery_window_end: i64,
    pub delivery_service_minutes: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    pub driver_name: Option<String>,
    pub driver_status: Option<String>,
    pub vehicle_plate: Option<String>,
    pub vehicle_type: Option<String>,
}

/// The read model's columns (PostgreSQL's tsvector column is never selected), written as a
/// macro so the two `FROM` variants below can be built at compile time.
macro_rules! shipment_columns {
    () => {
        "SELECT s.id, s.reference, s.customer_id, s.status, s.priority, \
    s.weight_kg, s.volume_m3, s.pallets, s.declared_value_cents, s.currency, s.notes, s.driver_id, s.vehicle_id, \
    s.pickup_address, s.pickup_lat, s.pickup_lon, s.pickup_window_start, s.pickup_window_end, s.pickup_service_minutes, \
    s.delivery_address, s.delivery_lat, s.delivery_lon, s.delivery_window_start, s.delivery_window_end, s.delivery_service_minutes, \
    s.created_at, s.updated_at, s.version, \
    d.name AS driver_name, d.status AS driver_status, v.plate AS vehicle_plate, v.vehicle_type AS vehicle_type"
    };
}

/// The driver and vehicle embedded in every shipment.
macro_rules! fleet_joins {
    () => {
        " LEFT JOIN drivers d ON d.id = s.driver_id AND d.org_id = s.org_id \
    LEFT JOIN vehicles v ON v.id = s.vehicle_id AND v.org_id = s.org_id"
    };
}

/// Shipments with their driver and vehicle.
pub(crate) const SELECT_SHIPMENT: &str =
    concat!(shipment_columns!(), " FROM shipments s", fleet_joins!());

/// The same, driven by SQLite's full-text index: matches are walked newest first and joined
/// to their shipment, so a page of a common word reads a page of rows instead of sorting
/// every match (`CROSS JOIN` keeps SQLite from reordering the loop).
pub(super) const SELECT_SHIPMENT_BY_FTS: &str = concat!(
    shipment_columns!(),
    " FROM shipments_fts CROSS JOIN shipments s ON s.id = shipments_fts.rowid",
    fleet_joins!()
);

impl ShipmentRow {
    pub fn fields(&self) -> ShipmentFields {
        ShipmentFields {
            customer_id: self.customer_id,
            reference: self.reference.clone(),
            priority: self.priority,
            weight_kg: self.weight_kg,
            volume_m3: self.volume_m3,
            pallets: self.pallets,
            declared_value_cents: self.declared_value_cents,
            currency: self.currency.clone(),
            notes: self.notes.clone(),
            pickup: Stop {
                address: self.pickup_address.clone(),
                lat: self.pickup_lat,
                lon: self.pickup_lon,
                window_start: self.pickup_window_start,
                window_end: self.pickup_window_end,
                service_minutes: self.pickup_service_minutes,
            },
            delivery: Stop {
                address: self.delivery_address.clone(),
                lat: self.delivery_lat,
                lon: self.delivery_lon,
                window_start: self.delivery_window_start,
                window_end: self.delivery_window_end,
                service_minutes: self.delivery_service_minutes,
            },
        }
    }
}

/// The parts of a shipment that are not writable fields.
pub(crate) struct ShipmentMeta {
    pub id: i64,
    pub status: ShipmentStatus,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

impl Shipment {
    /// Builds the read model from its parts, so writes can answer without reading back.
    pub(crate) fn assemble(
        meta: ShipmentMeta,
        fields: ShipmentFields,
        driver: Option<DriverSummary>,
        vehicle: Option<VehicleSummary>,
    ) -> Shipment {
        Shipment {
            id: meta.id,
            reference: fields.reference,
            customer_id: fields.customer_id,
            status: meta.status,
            priority: fields.priority,
            weight_kg: fields.weight_kg,
            volume_m3: fields.volume_m3,
            pallets: fields.pallets,
            declared_value: Money {
                amount_cents: fields.declared_value_cents,
                currency: fields.currency,
            },
            notes: fields.notes,
            pickup: StopView::from_stop(fields.pickup),
            delivery: StopView::from_stop(fields.delivery),
            driver,
            vehicle,
            created_at: to_datetime(meta.created_at),
            updated_at: to_datetime(meta.updated_at),
            version: meta.version,
        }
    }
}

impl ShipmentRow {
    /// The embedded driver and vehicle, when assigned.
    pub(crate) fn summaries(&self) -> (Option<DriverSummary>, Option<VehicleSummary>) {
        let driver = match (self.driver_id, &self.driver_name, &self.driver_status) {
            (Some(id), Some(name), Some(status)) => Some(DriverSummary {
                id,
                name: name.clone(),
                status: status.parse().unwrap_or(DriverStatus::OffDuty),
            }),
            _ => None,
        };
        let vehicle = match (self.vehicle_id, &self.vehicle_plate, &self.vehicle_type) {
            (Some(id), Some(plate), Some(kind)) => Some(VehicleSummary {
                id,
                plate: plate.clone(),
                vehicle_type: kind.parse().unwrap_or(VehicleType::BoxTruck),
            }),
            _ => None,
        };
        (driver, vehicle)
    }

    pub(crate) fn meta(&self) -> ShipmentMeta {
        ShipmentMeta {
            id: self.id,
            status: self.status,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

impl From<ShipmentRow> for Shipment {
    fn from(row: ShipmentRow) -> Self {
        let (driver, vehicle) = row.summaries();
        Shipment::assemble(row.meta(), row.fields(), driver, vehicle)
    }
}

/// One shipment if `scope` may see it.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<Shipment>> {
    Ok(get_row(db, scope, id).await?.map(Shipment::from))
}

/// The stored row of one shipment if `scope` may see it (optimistic edits start from it).
pub(crate) async fn get_row(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<ShipmentRow>> {
    let mut sql = Sql::new(SELECT_SHIPMENT);
    push_scope(&mut sql, scope);
    sql.push(" AND s.id = ").bind(id);
    db.fetch_optional(sql.query_as()).await
}

/// The shipments among `ids` that `scope` may see (one statement).
pub async fn get_many(db: &Db, scope: &Scope, ids: &[i64]) -> sqlx::Result<Vec<Shipment>> {
    let mut sql = Sql::new(SELECT_SHIPMENT);
    push_scope(&mut sql, scope);
    sql.push(" AND s.id IN ").bind_list(ids);
    let rows: Vec<ShipmentRow> = db.fetch_all(sql.query_as()).await?;
    Ok(rows.into_iter().map(Shipment::from).collect())
}
