//! Customers (shippers) of an organization.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Db, NewId, Sql};
use crate::auth::{Scope, Visibility};
use crate::domain::time::now_ms;
use crate::domain::{CustomerTier, FieldErrors, LatLon};
use crate::http::error::{ApiError, ApiResult};
use crate::http::pagination::PageRequest;

/// The writable fields of a customer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerFields {
    pub name: String,
    pub tier: CustomerTier,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

impl CustomerFields {
    pub fn check(&self) -> Result<(), Vec<crate::domain::FieldError>> {
        let mut errors = FieldErrors::new();
        errors.text("name", &self.name, 1, 200);
        if let Some(email) = &self.email {
            errors.check(
                email.contains('@') && email.len() <= 254,
                "email",
                "must be an email address",
            );
        }
        match (self.lat, self.lon) {
            (Some(lat), Some(lon)) => {
                if let Err((which, msg)) = LatLon::parse(lat, lon) {
                    errors.add(which, msg);
                }
            }
            (None, None) => {}
            _ => errors.add("lat", "lat and lon must be given together"),
        }
        errors.into_result()
    }
}

/// A customer as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromRow)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub tier: CustomerTier,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    pub version: i64,
}

const SELECT: &str =
    "SELECT id, name, tier, email, phone, address, lat, lon, created_at, version FROM customers";

fn push_scope(sql: &mut Sql, scope: &Scope) {
    sql.push(" WHERE org_id = ").bind(scope.org_id);
    match scope.visibility {
        Visibility::Organization => {}
        Visibility::Customer(id) => {
            sql.push(" AND id = ").bind(id);
        }
        Visibility::Driver(_) => {
            sql.push(" AND 1 = 0");
        }
    }
}

pub async fn list(db: &Db, scope: &Scope, page: PageRequest) -> sqlx::Result<Vec<Customer>> {
    let mut sql = Sql::new(SELECT);
    push_scope(&mut sql, scope);
    if let Some(before) = page.before_id {
        sql.push(" AND id < ").bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .bind(page.fetch_limit());
    db.fetch_all(sql.query_as()).await
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<Customer>> {
    let mut sql = Sql::new(SELECT);
    push_scope(&mut sql, scope);
    sql.push(" AND id = ").bind(id);
    db.fetch_optional(sql.query_as()).await
}

pub async fn create(db: &Db, scope: &Scope, f: &CustomerFields) -> ApiResult<Customer> {
    let now = now_ms();
    let row: NewId = db
        .fetch_one_write(
            // Not kept prepared: it binds optional floats (see "Optional floats" in `db`).
            sqlx::query_as(
                "INSERT INTO customers (org_id, name, tier, email, phone, address, lat, lon, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            )
            .persistent(false)
            .bind(scope.org_id)
            .bind(&f.name)
            .bind(f.tier.as_str())
            .bind(&f.email)
            .bind(&f.phone)
            .bind(&f.address)
            .bind(f.lat)
            .bind(f.lon)
            .bind(now),
        )
        .await?;
    get(db, scope, row.id)
        .await?
        .ok_or(ApiError::NotFound("customer"))
}

pub async fn update(
    db: &Db,
    scope: &Scope,
    id: i64,
    version: i64,
    f: &CustomerFields,
) -> ApiResult<Customer> {
    let result = db
        .execute(
            // Not kept prepared: it binds optional floats (see "Optional floats" in `db`).
            sqlx::query(
                "UPDATE customers SET name = $1, tier = $2, email = $3, phone = $4, address = $5, lat = $6, lon = $7, \
                 updated_at = $8, version = version + 1 WHERE org_id = $9 AND id = $10 AND version = $11",
            )
            .persistent(false)
            .bind(&f.name)
            .bind(f.tier.as_str())
            .bind(&f.email)
            .bind(&f.phone)
            .bind(&f.address)
            .bind(f.lat)
            .bind(f.lon)
            .bind(now_ms())
            .bind(scope.org_id)
            .bind(id)
            .bind(version),
        )
        .await?;
    let current = get(db, scope, id)
        .await?
        .ok_or(ApiError::NotFound("customer"))?;
    if result.rows_affected() == 0 {
        return Err(ApiError::PreconditionFailed {
            current_version: current.version,
        });
    }
    Ok(current)
}
