//! Users: people who log in, each with one role in one organization.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{is_unique_violation, Db, NewId};
use crate::auth::Principal;
use crate::domain::time::now_ms;
use crate::domain::Role;
use crate::http::error::{ApiError, ApiResult};

/// A user as the API shows it (never with the password hash).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub customer_id: Option<i64>,
    pub driver_id: Option<i64>,
}

/// What login needs: the user plus their hash and tenant.
#[derive(Debug, FromRow)]
pub struct Credentials {
    pub id: i64,
    pub org_id: i64,
    pub password_hash: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub customer_id: Option<i64>,
    pub driver_id: Option<i64>,
    pub disabled_at: Option<i64>,
}

impl Credentials {
    pub fn principal(&self) -> Principal {
        Principal {
            org_id: self.org_id,
            role: self.role,
            user_id: Some(self.id),
            api_key_id: None,
            customer_id: self.customer_id,
            driver_id: self.driver_id,
            session_id: None,
        }
    }
}

/// A validated new user.
pub struct NewUser<'a> {
    pub org_id: i64,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub customer_id: Option<i64>,
    pub driver_id: Option<i64>,
}

pub async fn credentials_by_email(db: &Db, email: &str) -> sqlx::Result<Option<Credentials>> {
    db.fetch_optional(
        sqlx::query_as(
            "SELECT id, org_id, password_hash, role, customer_id, driver_id, disabled_at FROM users WHERE email = $1",
        )
        .bind(email.trim().to_lowercase()),
    )
    .await
}

pub async fn credentials_by_id(db: &Db, id: i64) -> sqlx::Result<Option<Credentials>> {
    db.fetch_optional(
        sqlx::query_as("SELECT id, org_id, password_hash, role, customer_id, driver_id, disabled_at FROM users WHERE id = $1")
            .bind(id),
    )
    .await
}

pub async fn list(db: &Db, org_id: i64) -> sqlx::Result<Vec<User>> {
    db.fetch_all(
        sqlx::query_as("SELECT id, email, name, role, customer_id, driver_id FROM users WHERE org_id = $1 ORDER BY id")
            .bind(org_id),
    )
    .await
}

pub async fn get(db: &Db, org_id: i64, id: i64) -> sqlx::Result<Option<User>> {
    db.fetch_optional(
        sqlx::query_as("SELECT id, email, name, role, customer_id, driver_id FROM users WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id),
    )
    .await
}

/// Creates a user after checking that their customer or driver belongs to the organization.
pub async fn create(db: &Db, u: &NewUser<'_>) -> ApiResult<User> {
    let mut tx = db.begin().await?;
    let links = [
        (
            "customer_id",
            "customer",
            "SELECT id FROM customers WHERE org_id = $1 AND id = $2",
            u.customer_id,
        ),
        (
            "driver_id",
            "driver",
            "SELECT id FROM drivers WHERE org_id = $1 AND id = $2",
            u.driver_id,
        ),
    ];
    for (field, what, sql, id) in links {
        let Some(id) = id else { continue };
        let found: Option<NewId> = tx
            .fetch_optional(sqlx::query_as(sql).bind(u.org_id).bind(id))
            .await?;
        if found.is_none() {
            return Err(ApiError::field(
                field,
                format!("no {what} {id} in this organization"),
            ));
        }
    }
    let email = u.email.trim().to_lowercase();
    let inserted: Result<NewId, _> = tx
        .fetch_one(
            sqlx::query_as(
                "INSERT INTO users (org_id, email, name, password_hash, role, customer_id, driver_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(u.org_id)
            .bind(&email)
            .bind(u.name)
            .bind(u.password_hash)
            .bind(u.role.as_str())
            .bind(u.customer_id)
            .bind(u.driver_id)
            .bind(now_ms()),
        )
        .await;
    let id = match inserted {
        Ok(row) => row.id,
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::Conflict {
                code: "duplicate_email",
                detail: format!("{email} is already registered"),
                field: Some("email"),
            })
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    get(db, u.org_id, id)
        .await?
        .ok_or(ApiError::NotFound("user"))
}
