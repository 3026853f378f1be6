//! API keys for integrations and tracking devices (stored as SHA-256 digests).

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Db, NewId};
use crate::auth::tokens::digest;
use crate::auth::Principal;
use crate::domain::time::now_ms;
use crate::domain::Role;
use crate::http::error::{ApiError, ApiResult};

/// A key as listed (the secret itself is never shown again).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromRow)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub driver_id: Option<i64>,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    #[serde(with = "crate::domain::time::rfc3339_ms_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<i64>,
}

/// An active key resolved from its secret.
#[derive(Debug, FromRow)]
pub struct ActiveKey {
    pub id: i64,
    pub org_id: i64,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub driver_id: Option<i64>,
}

impl ActiveKey {
    pub fn principal(&self) -> Principal {
        Principal {
            org_id: self.org_id,
            role: self.role,
            user_id: None,
            api_key_id: Some(self.id),
            customer_id: None,
            driver_id: self.driver_id,
            session_id: None,
        }
    }
}

pub async fn find_active_by_secret(db: &Db, secret: &str) -> sqlx::Result<Option<ActiveKey>> {
    db.fetch_optional(
        sqlx::query_as("SELECT id, org_id, role, driver_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
            .bind(digest(secret)),
    )
    .await
}

const SELECT: &str =
    "SELECT id, name, prefix, role, driver_id, created_at, revoked_at FROM api_keys";

pub async fn list(db: &Db, org_id: i64) -> sqlx::Result<Vec<ApiKey>> {
    db.fetch_all(
        sqlx::query_as(&format!("{SELECT} WHERE org_id = $1 ORDER BY id DESC")).bind(org_id),
    )
    .await
}

/// A key to store: who it acts as, and the digest of its secret.
pub struct NewApiKey<'a> {
    pub org_id: i64,
    pub name: &'a str,
    pub role: Role,
    /// Binds a device key to one driver.
    pub driver_id: Option<i64>,
    pub created_by: Option<i64>,
    pub prefix: &'a str,
    pub hash: &'a str,
}

/// Stores a new key.
pub async fn create(db: &Db, key: &NewApiKey<'_>) -> ApiResult<ApiKey> {
    let NewApiKey {
        org_id,
        name,
        role,
        driver_id,
        created_by,
        prefix,
        hash,
    } = *key;
    if let Some(id) = driver_id {
        let found: Option<NewId> = db
            .fetch_optional(
                sqlx::query_as("SELECT id FROM drivers WHERE org_id = $1 AND id = $2")
                    .bind(org_id)
                    .bind(id),
            )
            .await?;
        if found.is_none() {
            return Err(ApiError::field(
                "driver_id",
                format!("no driver {id} in this organization"),
            ));
        }
    }
    let now = now_ms();
    let row: NewId = db
        .fetch_one_write(
            sqlx::query_as(
                "INSERT INTO api_keys (org_id, name, prefix, key_hash, role, driver_id, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(org_id)
            .bind(name)
            .bind(prefix)
            .bind(hash)
            .bind(role.as_str())
            .bind(driver_id)
            .bind(created_by)
            .bind(now),
        )
        .await?;
    Ok(ApiKey {
        id: row.id,
        name: name.into(),
        prefix: prefix.into(),
        role,
        driver_id,
        created_at: now,
        revoked_at: None,
    })
}

/// Revokes a key; `false` if no such key exists in the organization.
pub async fn revoke(db: &Db, org_id: i64, id: i64) -> sqlx::Result<bool> {
    let result = db
        .execute(
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(org_id)
                .bind(id),
        )
        .await?;
    Ok(result.rows_affected() > 0)
}
