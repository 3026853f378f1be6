//! Rate-limit storage: per-organization tier overrides, customer plans as the limiter needs
//! them, and the traffic log written in batches by the recorder and read by the report.

use sqlx::FromRow;

use super::Db;
use crate::domain::time::now_ms;

/// One organization's override of one tier.
#[derive(Debug, Clone, FromRow)]
pub struct OverrideRow {
    pub tier: String,
    pub limit_count: i64,
    pub window_secs: i64,
    pub burst: i64,
}

/// The organization's overrides, by tier name.
pub async fn overrides(db: &Db, org_id: i64) -> sqlx::Result<Vec<OverrideRow>> {
    db.fetch_all(
        sqlx::query_as(
            "SELECT tier, limit_count, window_secs, burst FROM rate_limit_overrides \
             WHERE org_id = $1 ORDER BY tier",
        )
        .bind(org_id),
    )
    .await
}

const VERSION_SQL: &str =
    "SELECT COALESCE(MAX(updated_at), 0) AS n FROM rate_limit_overrides WHERE org_id = $1";

/// The version of the organization's override set: when it was last replaced (epoch ms),
/// 0 when it has none.
pub async fn overrides_version(db: &Db, org_id: i64) -> sqlx::Result<i64> {
    let row: super::Count = db
        .fetch_one(sqlx::query_as(VERSION_SQL).bind(org_id))
        .await?;
    Ok(row.n)
}

/// Replaces the organization's overrides with `rows`, in one transaction, if the set is
/// still at `expected_version`. `Ok(Err(current))` when someone changed it first.
pub async fn replace_overrides(
    db: &Db,
    org_id: i64,
    rows: &[OverrideRow],
    actor: &str,
    expected_version: i64,
) -> sqlx::Result<Result<i64, i64>> {
    let mut tx = db.begin().await?;
    let current: super::Count = tx
        .fetch_one(sqlx::query_as(VERSION_SQL).bind(org_id))
        .await?;
    if current.n != expected_version {
        return Ok(Err(current.n));
    }
    tx.execute(sqlx::query("DELETE FROM rate_limit_overrides WHERE org_id = $1").bind(org_id))
        .await?;
    // Strictly increasing, even for two changes within one millisecond.
    let now = now_ms().max(current.n + 1);
    for row in rows {
        tx.execute(
            sqlx::query(
                "INSERT INTO rate_limit_overrides \
                 (org_id, tier, limit_count, window_secs, burst, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(org_id)
            .bind(row.tier.clone())
            .bind(row.limit_count)
            .bind(row.window_secs)
            .bind(row.burst)
            .bind(now)
            .bind(actor.to_string()),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Ok(if rows.is_empty() { 0 } else { now }))
}

#[derive(FromRow)]
struct TierText {
    tier: String,
}

/// A customer's commercial tier (`standard`, `premium`, `enterprise`).
pub async fn customer_plan(db: &Db, org_id: i64, customer_id: i64) -> sqlx::Result<Option<String>> {
    let row: Option<TierText> = db
        .fetch_optional(
            sqlx::query_as("SELECT tier FROM customers WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(customer_id),
        )
        .await?;
    Ok(row.map(|r| r.tier))
}

/// Requests of one subject on one endpoint in one minute.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct TrafficRow {
    /// Start of the minute, epoch milliseconds.
    pub minute: i64,
    /// 0 for unauthenticated callers.
    pub org_id: i64,
    /// `user:7`, `api_key:3`, `ip:203.0.113.9`, `account:a@b.c`.
    pub subject: String,
    pub tier: String,
    /// `METHOD /route/template`.
    pub endpoint: String,
    /// Every request seen, admitted or not.
    pub requests: i64,
    /// Of those, how many were refused.
    pub throttled: i64,
}

/// Adds a batch of counts (upsert per key), in one transaction.
pub async fn record_traffic(db: &Db, rows: &[TrafficRow]) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    for row in rows {
        tx.execute(
            sqlx::query(
                "INSERT INTO rate_limit_traffic \
                 (minute, org_id, subject, tier, endpoint, requests, throttled) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (minute, org_id, subject, tier, endpoint) DO UPDATE SET \
                 requests = rate_limit_traffic.requests + excluded.requests, \
                 throttled = rate_limit_traffic.throttled + excluded.throttled",
            )
            .bind(row.minute)
            .bind(row.org_id)
            .bind(row.subject.clone())
            .bind(row.tier.clone())
            .bind(row.endpoint.clone())
            .bind(row.requests)
            .bind(row.throttled),
        )
        .await?;
    }
    tx.commit().await
}

/// Every recorded row from `since_ms` on, oldest first.
pub async fn traffic_since(db: &Db, since_ms: i64) -> sqlx::Result<Vec<TrafficRow>> {
    db.fetch_all(
        sqlx::query_as(
            "SELECT minute, org_id, subject, tier, endpoint, requests, throttled \
             FROM rate_limit_traffic WHERE minute >= $1 ORDER BY minute",
        )
        .bind(since_ms),
    )
    .await
}

/// Forgets traffic older than `before_ms`.
pub async fn prune_traffic(db: &Db, before_ms: i64) -> sqlx::Result<u64> {
    let done = db
        .execute(sqlx::query("DELETE FROM rate_limit_traffic WHERE minute < $1").bind(before_ms))
        .await?;
    Ok(done.rows_affected())
}
