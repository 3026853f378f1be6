//! Recorded traffic for `freight ratelimit report`: every limited request is counted in
//! memory per (minute, organization, subject, tier, endpoint), and the counts are written
//! in one transaction every `flush_secs` (or sooner when the map grows large). A request
//! never waits for the database.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use tokio::sync::Notify;

use super::tiers::Tier;
use crate::db::rate_limits::TrafficRow;
use crate::db::Db;

/// Entries held before a flush is requested early.
const FLUSH_AT: usize = 20_000;
/// Entries held at most; beyond it new keys are dropped (and counted) until the next flush.
const MAX_ENTRIES: usize = 100_000;

/// One counted row: who, which tier and endpoint, in which minute.
#[derive(Debug)]
struct Entry {
    minute: i64,
    org_id: i64,
    subject: String,
    tier: Tier,
    endpoint: String,
    requests: i64,
    throttled: i64,
}

/// The in-memory side of the traffic log. Entries are keyed by one string joining their
/// parts, built in a reused buffer, so counting a request that was seen before this minute
/// allocates nothing.
#[derive(Default)]
pub struct Recorder {
    counts: Mutex<HashMap<String, Entry>>,
    pub(super) wake: Notify,
    dropped: std::sync::atomic::AtomicU64,
}

thread_local! {
    static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

impl Recorder {
    /// Counts one request to `endpoint` (`METHOD /route`, given as its two halves) and
    /// whether it was refused (`throttled`).
    pub fn record(
        &self,
        now_ms: i64,
        org_id: i64,
        subject: &str,
        tier: Tier,
        endpoint: (&str, &str),
        throttled: bool,
    ) {
        let minute = now_ms - now_ms.rem_euclid(60_000);
        KEY.with_borrow_mut(|key| {
            key.clear();
            let (method, route) = endpoint;
            let _ = write!(
                key,
                "{minute}|{org_id}|{}|{method} {route}|{subject}",
                tier.as_str()
            );
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(entry) = counts.get_mut(key.as_str()) {
                entry.requests += 1;
                entry.throttled += i64::from(throttled);
                return;
            }
            if counts.len() >= MAX_ENTRIES {
                self.dropped
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return;
            }
            let entry = Entry {
                minute,
                org_id,
                subject: subject.to_string(),
                tier,
                endpoint: format!("{method} {route}"),
                requests: 1,
                throttled: i64::from(throttled),
            };
            counts.insert(key.clone(), entry);
            if counts.len() == FLUSH_AT {
                self.wake.notify_one();
            }
        });
    }

    /// Writes what has been counted so far; on failure the batch is dropped and logged so
    /// memory stays bounded.
    pub async fn flush(&self, db: &Db) {
        let rows: Vec<TrafficRow> = {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut *counts)
        }
        .into_values()
        .map(|e| TrafficRow {
            minute: e.minute,
            org_id: e.org_id,
            subject: e.subject,
            tier: e.tier.as_str().to_string(),
            endpoint: e.endpoint,
            requests: e.requests,
            throttled: e.throttled,
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
