//! Driver safety incidents (harsh braking, speeding, collisions…), used by scoring and analytics.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Db, NewId, Sql};
use crate::auth::{Scope, Visibility};
use crate::domain::time::now_ms;
use crate::domain::{IncidentKind, Severity};
use crate::http::error::{ApiError, ApiResult};
use crate::http::pagination::PageRequest;

/// A safety incident as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromRow)]
pub struct Incident {
    pub id: i64,
    pub driver_id: i64,
    #[sqlx(try_from = "String")]
    pub kind: IncidentKind,
    #[sqlx(try_from = "String")]
    pub severity: Severity,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: i64,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub description: String,
}

/// A validated new incident.
pub struct NewIncident {
    pub driver_id: i64,
    pub kind: IncidentKind,
    pub severity: Severity,
    pub occurred_at: i64,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub description: String,
}

const SELECT: &str = "SELECT id, driver_id, kind, severity, occurred_at, lat, lon, description FROM safety_incidents";

fn push_scope(sql: &mut Sql, scope: &Scope) {
    sql.push(" WHERE org_id = ").bind(scope.org_id);
    match scope.visibility {
        Visibility::Organization => {}
        Visibility::Driver(id) => {
            sql.push(" AND driver_id = ").bind(id);
        }
        Visibility::Customer(_) => {
            sql.push(" AND 1 = 0");
        }
    }
}

pub async fn list(
    db: &Db,
    scope: &Scope,
    driver_id: Option<i64>,
    page: PageRequest,
) -> sqlx::Result<Vec<Incident>> {
    let mut sql = Sql::new(SELECT);
    push_scope(&mut sql, scope);
    if let Some(id) = driver_id {
        sql.push(" AND driver_id = ").bind(id);
    }
    if let Some(before) = page.before_id {
        sql.push(" AND id < ").bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .bind(page.fetch_limit());
    db.fetch_all(sql.query_as()).await
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<Incident>> {
    let mut sql = Sql::new(SELECT);
    push_scope(&mut sql, scope);
    sql.push(" AND id = ").bind(id);
    db.fetch_optional(sql.query_as()).await
}

pub async fn create(db: &Db, scope: &Scope, n: &NewIncident) -> ApiResult<Incident> {
    super::drivers::get(db, scope, n.driver_id)
        .await?
        .ok_or_else(|| {
            ApiError::field(
                "driver_id",
                format!("no driver {} in this organization", n.driver_id),
            )
        })?;
    let row: NewId = db
        .fetch_one_write(
            // Not kept prepared: it binds optional floats (see "Optional floats" in `db`).
            sqlx::query_as(
                "INSERT INTO safety_incidents (org_id, driver_id, kind, severity, occurred_at, lat, lon, description, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .persistent(false)
            .bind(scope.org_id)
            .bind(n.driver_id)
            .bind(n.kind.as_str())
            .bind(n.severity.as_str())
            .bind(n.occurred_at)
            .bind(n.lat)
            .bind(n.lon)
            .bind(&n.description)
            .bind(now_ms()),
        )
        .await?;
    get(db, scope, row.id)
        .await?
        .ok_or(ApiError::NotFound("incident"))
}
