//! Shipments created recently, kept in process so a cached first page of a newest-first list
//! can take them in without asking the database again.
//!
//! A booking changes exactly one thing about a list: the new shipment goes on top of every
//! first page whose filter it matches. Throwing those pages away made every booking cost a
//! reload of each hot list (at the 20 % write mix of `bench load`, most of the cache's
//! misses). Instead the write path hands the new shipment over here, numbered by a
//! per-organization creation sequence, and `cache` splices it into cached first pages
//! ([`crate::http::pagination::take_in_created`]); pages that cannot splice (search, later
//! pages, aggregates) depend on the sequence through their key and miss as before.
//!
//! The log is bounded ([`MAX_PER_ORG`] creations per organization); a page older than the
//! oldest creation still held reloads. Only in-process generations use it: with Redis, other
//! instances book too and their shipments never reach this process, so there a creation
//! bumps the shared generations instead (`db::generations::Generations::created`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;

use crate::domain::time::Millis;
use crate::domain::{Priority, ShipmentStatus};

/// Creations remembered per organization (about 1.5 MB at the demo's shipment size).
pub const MAX_PER_ORG: usize = 1024;

/// A shipment just created: what list filters look at, and its list item as JSON.
#[derive(Debug)]
pub struct Creation {
    pub id: i64,
    pub customer_id: i64,
    pub status: ShipmentStatus,
    pub priority: Priority,
    pub created_at: Millis,
    /// The version a list shows for it (1: nothing has edited it yet).
    pub version: i64,
    /// Exactly the bytes a freshly loaded list page holds for this shipment.
    pub item: Bytes,
}

/// One organization's recent creations, oldest first, and the sequence number of the newest.
#[derive(Default)]
struct OrgLog {
    last_seq: u64,
    entries: VecDeque<Arc<Creation>>,
}

/// Recent creations per organization.
#[derive(Default)]
pub(super) struct CreationLog {
    orgs: Mutex<HashMap<i64, OrgLog>>,
}

impl CreationLog {
    /// Appends a creation; returns its sequence number (1, 2, … per organization).
    pub(super) fn push(&self, org_id: i64, creation: Creation) -> u64 {
        let mut orgs = self.orgs.lock().unwrap_or_else(|e| e.into_inner());
        let log = orgs.entry(org_id).or_default();
        log.last_seq += 1;
        log.entries.push_back(Arc::new(creation));
        if log.entries.len() > MAX_PER_ORG {
            log.entries.pop_front();
        }
        log.last_seq
    }

    /// The creations numbered `after + 1 ..= upto`, oldest first; `None` when some of them
    /// are no longer held.
    pub(super) fn between(&self, org_id: i64, after: u64, upto: u64) -> Option<Vec<Arc<Creation>>> {
        if upto <= after {
            return Some(Vec::new());
        }
        let orgs = self.orgs.lock().unwrap_or_else(|e| e.into_inner());
        let log = orgs.get(&org_id)?;
        let held_from = log.last_seq + 1 - log.entries.len() as u64;
        if after + 1 < held_from || upto > log.last_seq {
            return None;
        }
        let start = usize::try_from(after + 1 - held_from).ok()?;
        let count = usize::try_from(upto - after).ok()?;
        Some(log.entries.range(start..start + count).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creation(id: i64) -> Creation {
        Creation {
            id,
            customer_id: 1,
            status: ShipmentStatus::Booked,
            priority: Priority::Normal,
            created_at: 0,
            version: 1,
            item: Bytes::from(format!("{{\"id\":{id}}}")),
        }
    }

    fn ids(found: Option<Vec<Arc<Creation>>>) -> Option<Vec<i64>> {
        found.map(|v| v.iter().map(|c| c.id).collect())
    }

    #[test]
    fn numbers_creations_per_organization_and_returns_a_range() {
        let log = CreationLog::default();
        assert_eq!(log.push(1, creation(10)), 1);
        assert_eq!(log.push(1, creation(11)), 2);
        assert_eq!(log.push(2, creation(12)), 1);
        assert_eq!(log.push(1, creation(13)), 3);
        assert_eq!(ids(log.between(1, 1, 3)), Some(vec![11, 13]));
        assert_eq!(ids(log.between(1, 0, 1)), Some(vec![10]));
        assert_eq!(ids(log.between(2, 0, 1)), Some(vec![12]));
        assert_eq!(ids(log.between(1, 3, 3)), Some(vec![]));
        // Numbers not yet handed out are unknown, not empty.
        assert_eq!(ids(log.between(1, 2, 4)), None);
        assert_eq!(ids(log.between(3, 0, 1)), None);
    }

    #[test]
    fn a_range_reaching_past_what_is_held_is_unknown() {
        let log = CreationLog::default();
        for id in 0..(MAX_PER_ORG as i64 + 5) {
            log.push(1, creation(id));
        }
        let last = MAX_PER_ORG as u64 + 5;
        // Creations 1..=5 were dropped: a page stamped 4 cannot be brought up to date.
        assert_eq!(ids(log.between(1, 4, last)), None);
        let from_five = log.between(1, 5, last).expect("6.. are held");
        assert_eq!(from_five.len(), MAX_PER_ORG);
        assert_eq!(from_five[0].id, 5);
    }
}
