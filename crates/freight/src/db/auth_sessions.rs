//! Login sessions: one per login, holding the (hashed, rotating) refresh token.

use sqlx::FromRow;

use super::Db;
use crate::domain::time::now_ms;

#[derive(Debug, FromRow)]
pub struct AuthSession {
    pub id: String,
    pub user_id: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

pub async fn create(
    db: &Db,
    id: &str,
    org_id: i64,
    user_id: i64,
    refresh_hash: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    db.execute(
        sqlx::query(
            "INSERT INTO auth_sessions (id, org_id, user_id, refresh_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(org_id)
        .bind(user_id)
        .bind(refresh_hash)
        .bind(expires_at)
        .bind(now_ms()),
    )
    .await
    .map(|_| ())
}

pub async fn find_by_refresh_hash(
    db: &Db,
    refresh_hash: &str,
) -> sqlx::Result<Option<AuthSession>> {
    db.fetch_optional(
        sqlx::query_as(
            "SELECT id, user_id, expires_at, revoked_at FROM auth_sessions WHERE refresh_hash = $1",
        )
        .bind(refresh_hash),
    )
    .await
}

/// Replaces the refresh token; only succeeds if `old_hash` is still current (no replay).
pub async fn rotate(
    db: &Db,
    id: &str,
    old_hash: &str,
    new_hash: &str,
    expires_at: i64,
) -> sqlx::Result<bool> {
    let result = db
        .execute(
            sqlx::query(
                "UPDATE auth_sessions SET refresh_hash = $1, expires_at = $2 \
                 WHERE id = $3 AND refresh_hash = $4 AND revoked_at IS NULL",
            )
            .bind(new_hash)
            .bind(expires_at)
            .bind(id)
            .bind(old_hash),
        )
        .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn revoke(db: &Db, id: &str) -> sqlx::Result<()> {
    db.execute(
        sqlx::query(
            "UPDATE auth_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(id),
    )
    .await
    .map(|_| ())
}

/// Sessions revoked after `since`, whose access tokens may still be alive.
pub async fn revoked_since(db: &Db, since: i64) -> sqlx::Result<Vec<String>> {
    #[derive(FromRow)]
    struct Id {
        id: String,
    }
    let rows: Vec<Id> = db
        .fetch_all(
            sqlx::query_as("SELECT id FROM auth_sessions WHERE revoked_at >= $1").bind(since),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Whether login session `id` has been revoked (the fallback when Redis cannot say).
pub async fn is_revoked(db: &Db, id: &str) -> sqlx::Result<bool> {
    #[derive(FromRow)]
    struct Revoked {
        n: i64,
    }
    let row: Revoked = db
        .fetch_one(
            sqlx::query_as(
                "SELECT COUNT(*) AS n FROM auth_sessions WHERE id = $1 AND revoked_at IS NOT NULL",
            )
            .bind(id),
        )
        .await?;
    Ok(row.n > 0)
}
