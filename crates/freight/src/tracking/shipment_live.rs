//! Shipments' live tracking facts (arrivals, ETA to the next stop, late flag), kept in memory
//! and merged into shipment JSON *after* the response cache.
//!
//! Why merge instead of bumping cache generations: an ETA changes with every fix of the
//! driver (every 1–30 s), so bumping would make every cached page that shows a moving
//! shipment miss. The cached body stays the shipment as stored; [`LiveShipments::merge_one`]
//! and [`LiveShipments::merge_page`] splice a pre-encoded `"tracking":{…}` member into it in
//! one pass over the bytes, with no query and no JSON parse. A shipment never tracked has no
//! `tracking` member, and an organization with no tracked shipment skips the pass entirely.
//!
//! Where the facts come from: the writer applies each committed batch (after `COMMIT`, so
//! nothing uncommitted is ever shown); at start they are loaded from `shipment_tracking`;
//! with Redis, facts committed by other instances arrive over the fan-out channel
//! ([`super::fanout`]). When a shipment leaves the active statuses its ETA is cleared and its
//! recorded arrivals and late flag stay.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use super::geo_store::ShipmentTracking;
use crate::domain::time::Millis;
use crate::http::pagination::item_ends;

struct Entry {
    facts: ShipmentTracking,
    /// `facts` as JSON, encoded once per change rather than once per response.
    json: Arc<str>,
    updated_at: Millis,
}

/// Live facts per organization and shipment.
#[derive(Default)]
pub struct LiveShipments {
    orgs: RwLock<HashMap<i64, HashMap<i64, Entry>>>,
}

impl LiveShipments {
    /// Records new facts. Arrival times are set once and never replaced (as in the table).
    pub fn apply(&self, org_id: i64, mut facts: ShipmentTracking, at: Millis) {
        let mut orgs = self.orgs.write().unwrap_or_else(|e| e.into_inner());
        let shipments = orgs.entry(org_id).or_default();
        if let Some(old) = shipments.get(&facts.shipment_id) {
            facts.pickup_arrived_at = old.facts.pickup_arrived_at.or(facts.pickup_arrived_at);
            facts.delivery_arrived_at = old.facts.delivery_arrived_at.or(facts.delivery_arrived_at);
        }
        let json: Arc<str> = serde_json::to_string(&facts)
            .unwrap_or_else(|_| "null".into())
            .into();
        shipments.insert(
            facts.shipment_id,
            Entry {
                facts,
                json,
                updated_at: at,
            },
        );
    }

    /// A shipment left the active statuses: its ETA no longer means anything.
    pub fn finish(&self, org_id: i64, shipment_id: i64, at: Millis) {
        let current = self.get(org_id, shipment_id);
        if let Some(mut facts) = current {
            facts.next_stop = None;
            facts.eta_at = None;
            facts.distance_remaining_m = None;
            self.apply(org_id, facts, at);
        }
    }

    /// The facts of one shipment, if it was ever tracked.
    pub fn get(&self, org_id: i64, shipment_id: i64) -> Option<ShipmentTracking> {
        let orgs = self.orgs.read().unwrap_or_else(|e| e.into_inner());
        orgs.get(&org_id)?
            .get(&shipment_id)
            .map(|e| e.facts.clone())
    }

    /// Forgets facts last changed before `cutoff` (the retention prune).
    pub fn prune_before(&self, cutoff: Millis) {
        let mut orgs = self.orgs.write().unwrap_or_else(|e| e.into_inner());
        for shipments in orgs.values_mut() {
            shipments.retain(|_, e| e.updated_at >= cutoff);
        }
        orgs.retain(|_, s| !s.is_empty());
    }

    /// One shipment's JSON object with its `tracking` member, or `None` when it has none
    /// (the body is then served unchanged).
    pub fn merge_one(&self, org_id: i64, shipment_id: i64, body: &[u8]) -> Option<Vec<u8>> {
        let orgs = self.orgs.read().unwrap_or_else(|e| e.into_inner());
        let entry = orgs.get(&org_id)?.get(&shipment_id)?;
        let end = body.iter().rposition(|&b| b == b'}')?;
        let mut out = Vec::with_capacity(body.len() + entry.json.len() + 12);
        out.extend_from_slice(&body[..end]);
        out.extend_from_slice(b",\"tracking\":");
        out.extend_from_slice(entry.json.as_bytes());
        out.extend_from_slice(&body[end..]);
        Some(out)
    }

    /// A page `{"data":[{"id":…},…],…}` with `tracking` added to each tracked item, or `None`
    /// when nothing on it is tracked.
    /// `item_ends` caches where `body`'s items end, so a cached page is scanned once.
    pub fn merge_page(
        &self,
        org_id: i64,
        body: &[u8],
        item_ends_of_body: &OnceLock<Vec<(i64, usize)>>,
    ) -> Option<Vec<u8>> {
        let orgs = self.orgs.read().unwrap_or_else(|e| e.into_inner());
        let shipments = orgs.get(&org_id).filter(|s| !s.is_empty())?;
        let inserts: Vec<(usize, &str)> = item_ends_of_body
            .get_or_init(|| item_ends(body))
            .iter()
            .filter_map(|(id, end)| shipments.get(id).map(|e| (*end, &*e.json)))
            .collect();
        if inserts.is_empty() {
            return None;
        }
        let extra: usize = inserts.iter().map(|(_, j)| j.len() + 12).sum();
        let mut out = Vec::with_capacity(body.len() + extra);
        let mut from = 0;
        for (end, json) in inserts {
            out.extend_from_slice(&body[from..end]);
            out.extend_from_slice(b",\"tracking\":");
            out.extend_from_slice(json.as_bytes());
            from = end;
        }
        out.extend_from_slice(&body[from..]);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: i64, eta: Option<i64>, pickup: Option<i64>) -> ShipmentTracking {
        ShipmentTracking {
            shipment_id: id,
            pickup_arrived_at: pickup,
            delivery_arrived_at: None,
            next_stop: eta.map(|_| "delivery".into()),
            eta_at: eta,
            distance_remaining_m: eta.map(|_| 1200.0),
            late: 0,
        }
    }

    #[test]
    fn pages_get_tracking_on_tracked_items_only() {
        let live = LiveShipments::default();
        live.apply(1, facts(7, Some(1_800_000_000_000), None), 0);
        let body = br#"{"data":[{"id":9,"notes":"a } in \"text\" {","driver":{"id":7}},{"id":7,"pickup":{"lat":1.0}}],"next_cursor":null}"#;
        let merged = live
            .merge_page(1, body, &OnceLock::new())
            .expect("one item is tracked");
        let v: serde_json::Value = serde_json::from_slice(&merged).unwrap();
        assert!(v["data"][0].get("tracking").is_none());
        assert_eq!(v["data"][1]["tracking"]["next_stop"], "delivery");
        assert_eq!(v["data"][1]["pickup"]["lat"], 1.0);
        assert!(
            live.merge_page(2, body, &OnceLock::new()).is_none(),
            "other organizations"
        );
        assert!(live.merge_one(2, 7, br#"{"id":7}"#).is_none());
        let one = live.merge_one(1, 7, br#"{"id":7,"x":{}}"#).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&one).unwrap();
        assert_eq!(v["tracking"]["shipment_id"], 7);
    }

    #[test]
    fn arrivals_stay_and_finishing_clears_the_eta() {
        let live = LiveShipments::default();
        live.apply(1, facts(7, Some(10), Some(5)), 0);
        live.apply(1, facts(7, Some(20), None), 1);
        live.finish(1, 7, 2);
        let f = live.get(1, 7).unwrap();
        assert_eq!(
            (f.pickup_arrived_at, f.eta_at, f.next_stop),
            (Some(5), None, None)
        );
        live.prune_before(3);
        assert!(live.get(1, 7).is_none());
    }
}
