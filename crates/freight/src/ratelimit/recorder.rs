//! Recorded traffic for `freight ratelimit report`: every limited request is counted in
//! memory per (minute, organization, subject, tier, endpoint), and the counts are written
//! in one transaction every `flush_secs` (or sooner when the map grows large). A request
//! never waits for the database.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::Notify;

use super::tiers::Tier;
use crate::db::rate_limits::TrafficRow;
use crate::db::Db;

/// Entries held before a flush is requested early.
const FLUSH_AT: usize = 20_000;
/// Entries held at most; beyond it new keys are dropped (and counted) until the next flush.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    minute: i64,
    org_id: i64,
    subject: String,
    tier: Tier,
    endpoint: String,
}

/// The in-memory side of the traffic log.
#[derive(Default)]
pub struct Recorder {
    counts: Mutex<HashMap<Key, (i64, i64)>>,
    pub(super) wake: Notify,
    dropped: std::sync::atomic::AtomicU64,
}

impl Recorder {
    /// Counts one request (`throttled` when it was refused).
    pub fn record(
        &self,
        now_ms: i64,
        org_id: i64,
        subject: &str,
        tier: Tier,
        endpoint: &str,
        throttled: bool,
    ) {
        let key = Key {
            minute: now_ms - now_ms.rem_euclid(60_000),
            org_id,
            subject: subject.to_string(),
            tier,
            endpoint: endpoint.to_string(),
        };
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() >= MAX_ENTRIES && !counts.contains_key(&key) {
            self.dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        let entry = counts.entry(key).or_insert((0, 0));
        entry.0 += 1;
        entry.1 += i64::from(throttled);
        if counts.len() == FLUSH_AT {
            self.wake.notify_one();
        }
    }

    /// Writes what has been counted so far; on failure the batch is dropped and logged so
    /// memory stays bounded.
    pub async fn flush(&self, db: &Db) {
        let rows: Vec<TrafficRow> = {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut *counts)
        }
        .into_iter()
        .map(|(k, (requests, throttled))| TrafficRow {
            minute: k.minute,
            org_id: k.org_id,
            subject: k.subject,
            tier: k.tier.as_str().to_string(),
            endpoint: k.endpoint,
            requests,
            throttled,
        })
        .collect();
        if rows.is_empty() {
            return;
        }
        if let Err(e) = crate::db::rate_limits::record_traffic(db, &rows).await {
            tracing::warn!(error = %e, rows = rows.len(), "writing rate-limit traffic failed; batch dropped");
        }
        let dropped = self.dropped.swap(0, std::sync::atomic::Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "rate-limit traffic entries dropped (recorder full)"
            );
        }
    }
}
