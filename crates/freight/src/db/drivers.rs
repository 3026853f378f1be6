//! Drivers and their shift sessions.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::generations::Subject;
use super::{Db, NewId, Sql, Tx};
use crate::auth::{Scope, Visibility};
use crate::domain::time::now_ms;
use crate::domain::{DriverStatus, FieldError, FieldErrors, LatLon};
use crate::http::error::{ApiError, ApiResult};
use crate::http::pagination::PageRequest;

/// Where a driver starts and ends their day.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HomeBase {
    pub address: Option<String>,
    pub lat: f64,
    pub lon: f64,
}

/// The writable fields of a driver.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DriverFields {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub license_number: Option<String>,
    pub status: DriverStatus,
    pub home_base: HomeBase,
    pub current_vehicle_id: Option<i64>,
    /// Date the driver joined, `YYYY-MM-DD`.
    pub onboarded_on: chrono::NaiveDate,
}

impl DriverFields {
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = FieldErrors::new();
        errors.text("name", &self.name, 1, 200);
        if let Some(email) = &self.email {
            errors.check(
                email.contains('@') && email.len() <= 254,
                "email",
                "must be an email address",
            );
        }
        if let Err((which, msg)) = LatLon::parse(self.home_base.lat, self.home_base.lon) {
            errors.add(format!("home_base.{which}"), msg);
        }
        errors.into_result()
    }
}

/// A driver as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Driver {
    pub id: i64,
    #[serde(flatten)]
    pub fields: DriverFields,
    pub version: i64,
}

#[derive(FromRow)]
struct DriverRow {
    id: i64,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    license_number: Option<String>,
    #[sqlx(try_from = "String")]
    status: DriverStatus,
    home_base_address: Option<String>,
    home_base_lat: f64,
    home_base_lon: f64,
    current_vehicle_id: Option<i64>,
    onboarded_on: String,
    version: i64,
}

impl From<DriverRow> for Driver {
    fn from(r: DriverRow) -> Self {
        Driver {
            id: r.id,
            fields: DriverFields {
                name: r.name,
                email: r.email,
                phone: r.phone,
                license_number: r.license_number,
                status: r.status,
                home_base: HomeBase {
                    address: r.home_base_address,
                    lat: r.home_base_lat,
                    lon: r.home_base_lon,
                },
                current_vehicle_id: r.current_vehicle_id,
                onboarded_on: r.onboarded_on.parse().unwrap_or_default(),
            },
            version: r.version,
        }
    }
}

const SELECT: &str =
    "SELECT id, name, email, phone, license_number, status, home_base_address, home_base_lat, \
    home_base_lon, current_vehicle_id, onboarded_on, version FROM drivers";

fn push_scope(sql: &mut Sql, scope: &Scope) {
    sql.push(" WHERE org_id = ").bind(scope.org_id);
    match scope.visibility {
        Visibility::Organization => {}
        Visibility::Driver(id) => {
            sql.push(" AND id = ").bind(id);
        }
        Visibility::Customer(_) => {
            sql.push(" AND 1 = 0");
        }
    }
}

/// Filter for driver lists.
#[derive(Debug, Default)]
pub struct DriverFilter {
    pub status: Option<DriverStatus>,
}

pub async fn list(
    db: &Db,
    scope: &Scope,
    filter: &DriverFilter,
    page: PageRequest,
) -> sqlx::Result<Vec<Driver>> {
    let mut sql = Sql::new(SELECT);
    push_scope(&mut sql, scope);
    if let Some(status) = filter.status {
        sql.push(" AND status = ").bind(status.as_str());
    }
    if let Some(before) = page.before_id {
        sql.push(" AND id < ").bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .bind(page.fetch_limit());
    let rows: Vec<DriverRow> = db.fetch_all(sql.query_as()).await?;
    Ok(rows.into_iter().map(Driver::from).collect())
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<Driver>> {
    let mut sql = Sql::new(SELECT);
    push_scope(&mut sql, scope);
    sql.push(" AND id = ").bind(id);
    let row: Option<DriverRow> = db.fetch_optional(sql.query_as()).await?;
    Ok(row.map(Driver::from))
}

async fn ensure_vehicle(tx: &mut Tx, org_id: i64, vehicle_id: Option<i64>) -> ApiResult<()> {
    let Some(id) = vehicle_id else { return Ok(()) };
    let found: Option<NewId> = tx
        .fetch_optional(
            sqlx::query_as("SELECT id FROM vehicles WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(id),
        )
        .await?;
    found.map(|_| ()).ok_or_else(|| {
        ApiError::field(
            "current_vehicle_id",
            format!("no vehicle {id} in this organization"),
        )
    })
}

pub async fn create(db: &Db, scope: &Scope, f: &DriverFields) -> ApiResult<Driver> {
    let mut tx = db.begin().await?;
    ensure_vehicle(&mut tx, scope.org_id, f.current_vehicle_id).await?;
    let now = now_ms();
    let row: NewId = tx
        .fetch_one(
            sqlx::query_as(
                "INSERT INTO drivers (org_id, name, email, phone, license_number, status, home_base_address, \
                 home_base_lat, home_base_lon, current_vehicle_id, onboarded_on, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
            )
            .bind(scope.org_id)
            .bind(&f.name)
            .bind(&f.email)
            .bind(&f.phone)
            .bind(&f.license_number)
            .bind(f.status.as_str())
            .bind(&f.home_base.address)
            .bind(f.home_base.lat)
            .bind(f.home_base.lon)
            .bind(f.current_vehicle_id)
            .bind(f.onboarded_on.to_string())
            .bind(now),
        )
        .await?;
    tx.commit().await?;
    db.generations()
        .bump(scope.org_id, &[Subject::Fleet, Subject::Shipments])
        .await;
    get(db, scope, row.id)
        .await?
        .ok_or(ApiError::NotFound("driver"))
}

pub async fn update(
    db: &Db,
    scope: &Scope,
    id: i64,
    version: i64,
    f: &DriverFields,
) -> ApiResult<Driver> {
    let mut tx = db.begin().await?;
    ensure_vehicle(&mut tx, scope.org_id, f.current_vehicle_id).await?;
    let result = tx
        .execute(
            sqlx::query(
                "UPDATE drivers SET name = $1, email = $2, phone = $3, license_number = $4, status = $5, \
                 home_base_address = $6, home_base_lat = $7, home_base_lon = $8, current_vehicle_id = $9, \
                 onboarded_on = $10, updated_at = $11, version = version + 1 \
                 WHERE org_id = $12 AND id = $13 AND version = $14",
            )
            .bind(&f.name)
            .bind(&f.email)
            .bind(&f.phone)
            .bind(&f.license_number)
            .bind(f.status.as_str())
            .bind(&f.home_base.address)
            .bind(f.home_base.lat)
            .bind(f.home_base.lon)
            .bind(f.current_vehicle_id)
            .bind(f.onboarded_on.to_string())
            .bind(now_ms())
            .bind(scope.org_id)
            .bind(id)
            .bind(version),
        )
        .await?;
    tx.commit().await?;
    db.generations()
        .bump(scope.org_id, &[Subject::Fleet, Subject::Shipments])
        .await;
    let current = get(db, scope, id)
        .await?
        .ok_or(ApiError::NotFound("driver"))?;
    if result.rows_affected() == 0 {
        return Err(ApiError::PreconditionFailed {
            current_version: current.version,
        });
    }
    Ok(current)
}

/// One shift of a driver.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromRow)]
pub struct DriverSession {
    pub id: i64,
    pub driver_id: i64,
    pub vehicle_id: Option<i64>,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: i64,
    #[serde(with = "crate::domain::time::rfc3339_ms_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<i64>,
}

/// Shift history of a driver, newest first.
pub async fn sessions(db: &Db, scope: &Scope, driver_id: i64) -> ApiResult<Vec<DriverSession>> {
    get(db, scope, driver_id)
        .await?
        .ok_or(ApiError::NotFound("driver"))?;
    Ok(db
        .fetch_all(
            sqlx::query_as(
                "SELECT id, driver_id, vehicle_id, started_at, ended_at FROM driver_sessions \
                 WHERE org_id = $1 AND driver_id = $2 ORDER BY started_at DESC LIMIT 200",
            )
            .bind(scope.org_id)
            .bind(driver_id),
        )
        .await?)
}

/// A shift that started or ended, and the driver's status before it (so the caller can
/// announce the change on the live feed once committed).
#[derive(Debug)]
pub struct ShiftChange {
    pub session: DriverSession,
    pub status_before: DriverStatus,
}

/// Starts a shift: the driver becomes available. One open shift at a time.
pub async fn start_session(db: &Db, scope: &Scope, driver_id: i64) -> ApiResult<ShiftChange> {
    let driver = get(db, scope, driver_id)
        .await?
        .ok_or(ApiError::NotFound("driver"))?;
    let mut tx = db.begin().await?;
    let open: Option<NewId> = tx
        .fetch_optional(
            sqlx::query_as("SELECT id FROM driver_sessions WHERE org_id = $1 AND driver_id = $2 AND ended_at IS NULL")
                .bind(scope.org_id)
                .bind(driver_id),
        )
        .await?;
    if open.is_some() {
        return Err(ApiError::Conflict {
            code: "shift_open",
            detail: "the driver already has an open shift".into(),
            field: None,
        });
    }
    let now = now_ms();
    let row: NewId = tx
        .fetch_one(
            sqlx::query_as(
                "INSERT INTO driver_sessions (org_id, driver_id, vehicle_id, started_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(scope.org_id)
            .bind(driver_id)
            .bind(driver.fields.current_vehicle_id)
            .bind(now),
        )
        .await?;
    set_status(&mut tx, scope.org_id, driver_id, DriverStatus::Available).await?;
    tx.commit().await?;
    db.generations()
        .bump(scope.org_id, &[Subject::Fleet, Subject::Shipments])
        .await;
    Ok(ShiftChange {
        session: DriverSession {
            id: row.id,
            driver_id,
            vehicle_id: driver.fields.current_vehicle_id,
            started_at: now,
            ended_at: None,
        },
        status_before: driver.fields.status,
    })
}

/// Ends the open shift: the driver goes off duty.
pub async fn end_session(db: &Db, scope: &Scope, driver_id: i64) -> ApiResult<ShiftChange> {
    let driver = get(db, scope, driver_id)
        .await?
        .ok_or(ApiError::NotFound("driver"))?;
    let mut tx = db.begin().await?;
    let open: Option<DriverSession> = tx
        .fetch_optional(
            sqlx::query_as(
                "SELECT id, driver_id, vehicle_id, started_at, ended_at FROM driver_sessions \
                 WHERE org_id = $1 AND driver_id = $2 AND ended_at IS NULL",
            )
            .bind(scope.org_id)
            .bind(driver_id),
        )
        .await?;
    let mut session = open.ok_or(ApiError::Conflict {
        code: "no_open_shift",
        detail: "the driver has no open shift".into(),
        field: None,
    })?;
    let now = now_ms();
    tx.execute(
        sqlx::query("UPDATE driver_sessions SET ended_at = $1 WHERE id = $2")
            .bind(now)
            .bind(session.id),
    )
    .await?;
    set_status(&mut tx, scope.org_id, driver_id, DriverStatus::OffDuty).await?;
    tx.commit().await?;
    db.generations()
        .bump(scope.org_id, &[Subject::Fleet, Subject::Shipments])
        .await;
    session.ended_at = Some(now);
    Ok(ShiftChange {
        session,
        status_before: driver.fields.status,
    })
}

pub(super) async fn set_status(
    tx: &mut Tx,
    org_id: i64,
    driver_id: i64,
    status: DriverStatus,
) -> sqlx::Result<()> {
    tx.execute(
        sqlx::query("UPDATE drivers SET status = $1, updated_at = $2, version = version + 1 WHERE org_id = $3 AND id = $4")
            .bind(status.as_str())
            .bind(now_ms())
            .bind(org_id)
            .bind(driver_id),
    )
    .await
    .map(|_| ())
}

/// The rows among `ids` that `scope` may see (one statement).
pub async fn get_many(db: &Db, scope: &Scope, ids: &[i64]) -> sqlx::Result<Vec<Driver>> {
    let mut sql = Sql::new(SELECT);
    push_scope(&mut sql, scope);
    sql.push(" AND id IN ").bind_list(ids);
    let rows: Vec<DriverRow> = db.fetch_all(sql.query_as()).await?;
    Ok(rows.into_iter().map(Driver::from).collect())
}
