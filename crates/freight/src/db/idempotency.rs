//! Remembered responses for POST requests sent with an `Idempotency-Key`.

use sqlx::FromRow;

use super::Db;
use crate::domain::time::now_ms;

/// What is stored under a key.
#[derive(Debug, FromRow)]
pub struct StoredResponse {
    pub request_hash: String,
    /// `None` while the first request is still being processed.
    pub status_code: Option<i64>,
    pub response_body: Option<String>,
}

/// Claims a key for a new request. `false` if the key is already taken.
pub async fn claim(
    db: &Db,
    org_id: i64,
    owner: &str,
    key: &str,
    request_hash: &str,
) -> sqlx::Result<bool> {
    let result = db
        .execute(
            sqlx::query(
                "INSERT INTO idempotency_keys (org_id, owner, idem_key, request_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (org_id, owner, idem_key) DO NOTHING",
            )
            .bind(org_id)
            .bind(owner)
            .bind(key)
            .bind(request_hash)
            .bind(now_ms()),
        )
        .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn find(
    db: &Db,
    org_id: i64,
    owner: &str,
    key: &str,
) -> sqlx::Result<Option<StoredResponse>> {
    db.fetch_optional(
        sqlx::query_as(
            "SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE org_id = $1 AND owner = $2 AND idem_key = $3",
        )
        .bind(org_id)
        .bind(owner)
        .bind(key),
    )
    .await
}

pub async fn complete(
    db: &Db,
    org_id: i64,
    owner: &str,
    key: &str,
    status: u16,
    body: &str,
) -> sqlx::Result<()> {
    db.execute(
        sqlx::query(
            "UPDATE idempotency_keys SET status_code = $1, response_body = $2 WHERE org_id = $3 AND owner = $4 AND idem_key = $5",
        )
        .bind(i64::from(status))
        .bind(body)
        .bind(org_id)
        .bind(owner)
        .bind(key),
    )
    .await
    .map(|_| ())
}

/// Forgets a key whose request failed on our side, so the client may retry.
pub async fn release(db: &Db, org_id: i64, owner: &str, key: &str) -> sqlx::Result<()> {
    db.execute(
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE org_id = $1 AND owner = $2 AND idem_key = $3",
        )
        .bind(org_id)
        .bind(owner)
        .bind(key),
    )
    .await
    .map(|_| ())
}

/// Deletes keys older than `max_age_ms`.
pub async fn prune(db: &Db, max_age_ms: i64) -> sqlx::Result<u64> {
    let result = db
        .execute(
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(now_ms() - max_age_ms),
        )
        .await?;
    Ok(result.rows_affected())
}
