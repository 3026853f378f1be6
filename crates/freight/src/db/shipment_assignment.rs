//! Assigning a driver and vehicle to a shipment: the checks a dispatcher expects (the driver
//! and vehicle belong to the organization and can take the load) and the move to
//! `assigned`, atomic with its event. Runs on the write lane through
//! [`super::shipment_writes::assign`].

use super::generations::{text_subjects, Subject};
use super::shipment_writes::{lock_row, record_event, Actor};
use super::shipments::{DriverSummary, Shipment, ShipmentMeta, VehicleSummary};
use super::{Db, Sql};
use crate::auth::Scope;
use crate::domain::time::now_ms;
use crate::domain::{DriverStatus, ShipmentStatus, VehicleStatus};
use crate::http::error::{ApiError, ApiResult};

/// Assigns a driver and vehicle, moving a booked shipment to `assigned`.
pub(super) async fn assign_now(
    db: &Db,
    scope: &Scope,
    id: i64,
    driver_id: i64,
    vehicle_id: i64,
    actor: Actor<'_>,
) -> ApiResult<Shipment> {
    let mut tx = db.begin().await?;
    let current = lock_row(&mut tx, scope, id)
        .await?
        .ok_or(ApiError::NotFound("shipment"))?;
    let from = current.status;
    let assignable = matches!(
        from,
        ShipmentStatus::Booked | ShipmentStatus::Assigned | ShipmentStatus::Exception
    );
    if !assignable {
        return Err(ApiError::InvalidTransition {
            current: from,
            requested: ShipmentStatus::Assigned,
            allowed: from.allowed_next(),
        });
    }
    #[derive(sqlx::FromRow)]
    struct DriverRow {
        id: i64,
        name: String,
        #[sqlx(try_from = "String")]
        status: DriverStatus,
    }
    let driver: DriverRow = tx
        .fetch_optional(
            sqlx::query_as("SELECT id, name, status FROM drivers WHERE org_id = $1 AND id = $2")
                .bind(scope.org_id)
                .bind(driver_id),
        )
        .await?
        .ok_or_else(|| {
            ApiError::field(
                "driver_id",
                format!("no driver {driver_id} in this organization"),
            )
        })?;
    let driver = DriverSummary {
        id: driver.id,
        name: driver.name,
        status: driver.status,
    };
    let vehicle = super::vehicles::get_in_tx(&mut tx, scope.org_id, vehicle_id)
        .await?
        .ok_or_else(|| {
            ApiError::field(
                "vehicle_id",
                format!("no vehicle {vehicle_id} in this organization"),
            )
        })?;
    if vehicle.status != VehicleStatus::Active {
        return Err(ApiError::field(
            "vehicle_id",
            format!("vehicle {} is {}", vehicle.plate, vehicle.status),
        ));
    }
    let fields = current.fields();
    let over = [
        (fields.weight_kg > vehicle.capacity.weight_kg, "weight"),
        (fields.volume_m3 > vehicle.capacity.volume_m3, "volume"),
        (fields.pallets > vehicle.capacity.pallets, "pallets"),
    ];
    if let Some((_, what)) = over.iter().find(|(exceeded, _)| *exceeded) {
        return Err(ApiError::field(
            "vehicle_id",
            format!(
                "the load exceeds vehicle {}'s {what} capacity",
                vehicle.plate
            ),
        ));
    }
    let now = now_ms();
    let mut sql = Sql::new("UPDATE shipments SET status = 'assigned', driver_id = ");
    sql.bind(driver_id)
        .push(", vehicle_id = ")
        .bind(vehicle_id)
        .push(", updated_at = ")
        .bind(now);
    sql.push(", version = version + 1 WHERE org_id = ")
        .bind(scope.org_id)
        .push(" AND id = ")
        .bind(id);
    tx.execute(sql.query()).await?;
    let note = format!("assigned to driver {driver_id} with vehicle {vehicle_id}");
    record_event(
        &mut tx,
        scope.org_id,
        id,
        Some(from),
        ShipmentStatus::Assigned,
        actor.0,
        &note,
        now,
    )
    .await?;
    let vehicle = VehicleSummary {
        id: vehicle.id,
        plate: vehicle.plate,
        vehicle_type: vehicle.vehicle_type,
    };
    let meta = ShipmentMeta {
        status: ShipmentStatus::Assigned,
        updated_at: now,
        version: current.version + 1,
        ..current.meta()
    };
    let mut changed = text_subjects(&[&fields.reference, &fields.notes]);
    changed.extend([
        Subject::Shipments,
        Subject::Shipment(id),
        Subject::Status(from),
        Subject::Status(ShipmentStatus::Assigned),
    ]);
    let shipment = Shipment::assemble(meta, fields, Some(driver), Some(vehicle));
    tx.commit().await?;
    db.generations().bump(scope.org_id, &changed).await;
    Ok(shipment)
}
