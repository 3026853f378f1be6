//! Registered trackers: a device identifier (what an OsmAnd app sends as `id`) bound to one
//! driver, and optionally a vehicle, of one organization.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::fix::Subject;
use crate::db::{is_unique_violation, Db, NewId};
use crate::domain::time::now_ms;
use crate::domain::FieldErrors;
use crate::http::error::{ApiError, ApiResult};

/// A device to register.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    /// What the device sends as its id (OsmAnd `id` / `device_id`); unique across the platform.
    pub identifier: String,
    pub name: String,
    pub driver_id: i64,
    pub vehicle_id: Option<i64>,
}

/// A registered device.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromRow)]
pub struct Device {
    pub id: i64,
    pub identifier: String,
    pub name: String,
    pub driver_id: i64,
    pub vehicle_id: Option<i64>,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
}

#[derive(FromRow)]
struct SubjectRow {
    id: i64,
    org_id: i64,
    driver_id: i64,
    vehicle_id: Option<i64>,
}

/// Resolves an enabled device by identifier.
pub async fn subject_for(db: &Db, identifier: &str) -> sqlx::Result<Option<Subject>> {
    let row: Option<SubjectRow> = db
        .fetch_optional(
            sqlx::query_as("SELECT id, org_id, driver_id, vehicle_id FROM devices WHERE identifier = $1 AND disabled_at IS NULL")
                .bind(identifier),
        )
        .await?;
    Ok(row.map(|r| Subject {
        org_id: r.org_id,
        driver_id: r.driver_id,
        vehicle_id: r.vehicle_id,
        device_id: Some(r.id),
    }))
}

pub async fn list(db: &Db, org_id: i64) -> sqlx::Result<Vec<Device>> {
    db.fetch_all(
        sqlx::query_as(
            "SELECT id, identifier, name, driver_id, vehicle_id, created_at FROM devices \
             WHERE org_id = $1 AND disabled_at IS NULL ORDER BY id",
        )
        .bind(org_id),
    )
    .await
}

/// Registers a device after checking its driver and vehicle belong to the organization.
pub async fn create(db: &Db, org_id: i64, d: &NewDevice) -> ApiResult<Device> {
    let mut errors = FieldErrors::new();
    errors.text("identifier", &d.identifier, 1, 100);
    errors.text("name", &d.name, 1, 200);
    let exists = |table: &'static str, id: i64| async move {
        let q = format!("SELECT id FROM {table} WHERE org_id = $1 AND id = $2");
        db.fetch_optional::<NewId>(sqlx::query_as(&q).bind(org_id).bind(id))
            .await
            .map(|r| r.is_some())
    };
    if !exists("drivers", d.driver_id).await? {
        errors.add(
            "driver_id",
            format!("no driver {} in this organization", d.driver_id),
        );
    }
    if let Some(v) = d.vehicle_id {
        if !exists("vehicles", v).await? {
            errors.add("vehicle_id", format!("no vehicle {v} in this organization"));
        }
    }
    errors.into_result().map_err(ApiError::Validation)?;
    let now = now_ms();
    let row: NewId = db
        .fetch_one_write(
            sqlx::query_as(
                "INSERT INTO devices (org_id, identifier, name, driver_id, vehicle_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(org_id)
            .bind(d.identifier.trim())
            .bind(&d.name)
            .bind(d.driver_id)
            .bind(d.vehicle_id)
            .bind(now),
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::Conflict {
                    code: "device_exists",
                    detail: "a device with this identifier is already registered".into(),
                    field: Some("identifier"),
                }
            } else {
                e.into()
            }
        })?;
    Ok(Device {
        id: row.id,
        identifier: d.identifier.trim().to_string(),
        name: d.name.clone(),
        driver_id: d.driver_id,
        vehicle_id: d.vehicle_id,
        created_at: now,
    })
}

/// Disables a device; `false` when the organization has no such device.
pub async fn disable(db: &Db, org_id: i64, id: i64) -> sqlx::Result<bool> {
    let r = db
        .execute(
            sqlx::query("UPDATE devices SET disabled_at = $1 WHERE org_id = $2 AND id = $3 AND disabled_at IS NULL")
                .bind(now_ms())
                .bind(org_id)
                .bind(id),
        )
        .await?;
    Ok(r.rows_affected() > 0)
}
