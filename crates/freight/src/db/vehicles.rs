//! Vehicles of an organization's fleet.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::generations::Subject;
use super::{is_unique_violation, Db, NewId, Sql, Tx};
use crate::auth::{Scope, Visibility};
use crate::domain::time::now_ms;
use crate::domain::{FieldError, FieldErrors, VehicleStatus, VehicleType};
use crate::http::error::{ApiError, ApiResult};
use crate::http::pagination::PageRequest;

/// What a vehicle can carry.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct Capacity {
    pub weight_kg: f64,
    pub volume_m3: f64,
    pub pallets: i64,
}

/// The writable fields of a vehicle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VehicleFields {
    pub name: String,
    pub plate: String,
    pub vehicle_type: VehicleType,
    pub capacity: Capacity,
    pub status: VehicleStatus,
}

impl VehicleFields {
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = FieldErrors::new();
        errors.text("name", &self.name, 1, 100);
        errors.text("plate", &self.plate, 2, 16);
        errors.quantity(
            "capacity.weight_kg",
            self.capacity.weight_kg,
            45_000.0,
            "kg",
        );
        errors.quantity("capacity.volume_m3", self.capacity.volume_m3, 150.0, "m3");
        errors.check(
            (0..=60).contains(&self.capacity.pallets),
            "capacity.pallets",
            "must be between 0 and 60",
        );
        errors.into_result()
    }
}

/// A vehicle as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Vehicle {
    pub id: i64,
    pub name: String,
    pub plate: String,
    pub vehicle_type: VehicleType,
    pub capacity: Capacity,
    pub status: VehicleStatus,
    pub version: i64,
}

#[derive(FromRow)]
struct VehicleRow {
    id: i64,
    name: String,
    plate: String,
    #[sqlx(try_from = "String")]
    vehicle_type: VehicleType,
    capacity_weight_kg: f64,
    capacity_volume_m3: f64,
    capacity_pallets: i64,
    #[sqlx(try_from = "String")]
    status: VehicleStatus,
    version: i64,
}

impl From<VehicleRow> for Vehicle {
    fn from(r: VehicleRow) -> Self {
        Vehicle {
            id: r.id,
            name: r.name,
            plate: r.plate,
            vehicle_type: r.vehicle_type,
            capacity: Capacity {
                weight_kg: r.capacity_weight_kg,
                volume_m3: r.capacity_volume_m3,
                pallets: r.capacity_pallets,
            },
            status: r.status,
            version: r.version,
        }
    }
}

const SELECT: &str = "SELECT id, name, plate, vehicle_type, capacity_weight_kg, capacity_volume_m3, capacity_pallets, \
    status, version FROM vehicles";

fn push_scope(sql: &mut Sql, scope: &Scope) {
    sql.push(" WHERE org_id = ").bind(scope.org_id);
    if let Visibility::Customer(_) = scope.visibility {
        sql.push(" AND 1 = 0");
    }
}

pub async fn list(db: &Db, scope: &Scope, page: PageRequest) -> sqlx::Result<Vec<Vehicle>> {
    let mut sql = Sql::new(SELECT);
    push_scope(&mut sql, scope);
    if let Some(before) = page.before_id {
        sql.push(" AND id < ").bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .bind(page.fetch_limit());
    let rows: Vec<VehicleRow> = db.fetch_all(sql.query_as()).await?;
    Ok(rows.into_iter().map(Vehicle::from).collect())
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<Vehicle>> {
    let mut sql = Sql::new(SELECT);
    push_scope(&mut sql, scope);
    sql.push(" AND id = ").bind(id);
    let row: Option<VehicleRow> = db.fetch_optional(sql.query_as()).await?;
    Ok(row.map(Vehicle::from))
}

/// Reads a vehicle inside a write transaction (used when assigning loads).
pub async fn get_in_tx(tx: &mut Tx, org_id: i64, id: i64) -> sqlx::Result<Option<Vehicle>> {
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE org_id = ")
        .bind(org_id)
        .push(" AND id = ")
        .bind(id);
    let row: Option<VehicleRow> = tx.fetch_optional(sql.query_as()).await?;
    Ok(row.map(Vehicle::from))
}

fn duplicate_plate(plate: &str) -> ApiError {
    ApiError::Conflict {
        code: "duplicate_plate",
        detail: format!("plate `{plate}` is already registered"),
        field: Some("plate"),
    }
}

pub async fn create(db: &Db, scope: &Scope, f: &VehicleFields) -> ApiResult<Vehicle> {
    let now = now_ms();
    let inserted: Result<NewId, _> = db
        .fetch_one_write(
            sqlx::query_as(
                "INSERT INTO vehicles (org_id, name, plate, vehicle_type, capacity_weight_kg, capacity_volume_m3, \
                 capacity_pallets, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            )
            .bind(scope.org_id)
            .bind(&f.name)
            .bind(&f.plate)
            .bind(f.vehicle_type.as_str())
            .bind(f.capacity.weight_kg)
            .bind(f.capacity.volume_m3)
            .bind(f.capacity.pallets)
            .bind(f.status.as_str())
            .bind(now),
        )
        .await;
    let id = match inserted {
        Ok(row) => row.id,
        Err(e) if is_unique_violation(&e) => return Err(duplicate_plate(&f.plate)),
        Err(e) => return Err(e.into()),
    };
    db.generations().bump(scope.org_id, &[Subject::Fleet]).await;
    get(db, scope, id)
        .await?
        .ok_or(ApiError::NotFound("vehicle"))
}

pub async fn update(
    db: &Db,
    scope: &Scope,
    id: i64,
    version: i64,
    f: &VehicleFields,
) -> ApiResult<Vehicle> {
    let result = db
        .execute(
            sqlx::query(
                "UPDATE vehicles SET name = $1, plate = $2, vehicle_type = $3, capacity_weight_kg = $4, \
                 capacity_volume_m3 = $5, capacity_pallets = $6, status = $7, updated_at = $8, version = version + 1 \
                 WHERE org_id = $9 AND id = $10 AND version = $11",
            )
            .bind(&f.name)
            .bind(&f.plate)
            .bind(f.vehicle_type.as_str())
            .bind(f.capacity.weight_kg)
            .bind(f.capacity.volume_m3)
            .bind(f.capacity.pallets)
            .bind(f.status.as_str())
            .bind(now_ms())
            .bind(scope.org_id)
            .bind(id)
            .bind(version),
        )
        .await;
    let result = match result {
        Ok(r) => r,
        Err(e) if is_unique_violation(&e) => return Err(duplicate_plate(&f.plate)),
        Err(e) => return Err(e.into()),
    };
    let current = get(db, scope, id)
        .await?
        .ok_or(ApiError::NotFound("vehicle"))?;
    db.generations().bump(scope.org_id, &[Subject::Fleet]).await;
    if result.rows_affected() == 0 {
        return Err(ApiError::PreconditionFailed {
            current_version: current.version,
        });
    }
    Ok(current)
}

/// The rows among `ids` that `scope` may see (one statement).
pub async fn get_many(db: &Db, scope: &Scope, ids: &[i64]) -> sqlx::Result<Vec<Vehicle>> {
    let mut sql = Sql::new(SELECT);
    push_scope(&mut sql, scope);
    sql.push(" AND id IN ").bind_list(ids);
    let rows: Vec<VehicleRow> = db.fetch_all(sql.query_as()).await?;
    Ok(rows.into_iter().map(Vehicle::from).collect())
}
