//! Counters for every fix outcome, per organization, so "dropped with a counted reason" and
//! "unknown device rejected and counted" can be observed (and asserted by tests) through
//! `GET /api/v1/tracking/stats`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;
use utoipa::ToSchema;

use super::fix::DropReason;

/// Drops by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct DropCounts {
    pub accuracy: u64,
    pub out_of_range: u64,
    pub future_timestamp: u64,
    pub teleport: u64,
    pub duplicate: u64,
}

impl DropCounts {
    fn slot(&mut self, reason: DropReason) -> &mut u64 {
        match reason {
            DropReason::Accuracy => &mut self.accuracy,
            DropReason::OutOfRange => &mut self.out_of_range,
            DropReason::FutureTimestamp => &mut self.future_timestamp,
            DropReason::Teleport => &mut self.teleport,
            DropReason::Duplicate => &mut self.duplicate,
        }
    }
}

/// One organization's ingest counts.
#[derive(Debug, Default, Clone, Copy, Serialize, ToSchema)]
pub struct OrgCounts {
    /// Fixes that passed every check and were handed to storage.
    pub accepted: u64,
    pub dropped: DropCounts,
}

/// All counters of one process.
#[derive(Default)]
pub struct Counters {
    orgs: Mutex<HashMap<i64, OrgCounts>>,
    /// OsmAnd requests naming a device nobody registered (no organization to file them under).
    pub unknown_device: AtomicU64,
    /// Group-commit transactions and the fixes they stored.
    pub commits: AtomicU64,
    pub committed_fixes: AtomicU64,
    /// Fixes the positions table already held (caught by the primary key, not in memory).
    pub stored_duplicates: AtomicU64,
}

impl Counters {
    pub fn record(&self, org_id: i64, accepted: u64, drops: &[DropReason]) {
        let mut orgs = self.orgs.lock().unwrap_or_else(|e| e.into_inner());
        let counts = orgs.entry(org_id).or_default();
        counts.accepted += accepted;
        metrics::counter!("tracking_fixes_total", "outcome" => "accepted", "reason" => "")
            .increment(accepted);
        for reason in drops {
            *counts.dropped.slot(*reason) += 1;
            metrics::counter!("tracking_fixes_total", "outcome" => "dropped", "reason" => reason.as_str()).increment(1);
        }
    }

    pub fn org(&self, org_id: i64) -> OrgCounts {
        self.orgs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&org_id)
            .copied()
            .unwrap_or_default()
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
