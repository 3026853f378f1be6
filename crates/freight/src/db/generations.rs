//! Change counters that make cached reads safe: every write bumps the generation of what it
//! changed, and cache keys include the generations they were computed from, so after a
//! write the next read on this node can only miss, never see stale data.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::domain::ShipmentStatus;

/// What a generation counts changes of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// Any shipment of the organization (lists, aggregates).
    Shipments,
    /// One shipment, by id.
    Shipment(i64),
    /// Shipments currently in one status (status-filtered lists).
    Status(ShipmentStatus),
    /// Any driver or vehicle of the organization (availability lists, and the driver and
    /// vehicle embedded in shipments).
    Fleet,
}

/// Per-organization change counters, in process.
#[derive(Default)]
pub struct Generations(Mutex<HashMap<(i64, Subject), u64>>);

impl Generations {
    pub fn get(&self, org_id: i64, subject: Subject) -> u64 {
        self.0
            .lock()
            .map(|m| m.get(&(org_id, subject)).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    pub fn bump(&self, org_id: i64, subjects: &[Subject]) {
        if let Ok(mut map) = self.0.lock() {
            for subject in subjects {
                *map.entry((org_id, *subject)).or_insert(0) += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps_are_per_organization_and_subject() {
        let g = Generations::default();
        g.bump(1, &[Subject::Shipments, Subject::Shipment(7)]);
        assert_eq!(g.get(1, Subject::Shipments), 1);
        assert_eq!(g.get(1, Subject::Shipment(7)), 1);
        assert_eq!(g.get(1, Subject::Shipment(8)), 0);
        assert_eq!(g.get(2, Subject::Shipments), 0);
    }
}
