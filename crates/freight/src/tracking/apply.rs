//! Steps 4 and 6 of the pipeline, after a commit: move latest positions forward, record
//! shipments' tracking facts, fan out to local subscribers, and hand the same update to the
//! other instances; and the mirror image for updates that other instances committed.

use std::collections::HashMap;

use super::fanout::OrgUpdate;
use super::fix::Fix;
use super::hub::LivePosition;
use super::{geo, geo_store, store, Inner};
use crate::domain::time::now_ms;

impl Inner {
    /// Steps 4 and 6 after a commit: move latest positions forward, record shipment facts,
    /// fan out locally, then hand the same update to the other instances.
    pub(super) fn after_commit(&self, batch: &[Fix], eval: geo::Evaluation) {
        let now = now_ms();
        let mut by_org: HashMap<i64, OrgUpdate> = HashMap::new();
        {
            let mut latest = self.latest.write().unwrap_or_else(|e| e.into_inner());
            for f in batch {
                let org = latest.entry(f.subject.org_id).or_default();
                if org
                    .get(&f.subject.driver_id)
                    .is_some_and(|p| p.timestamp >= f.fix_time)
                {
                    continue;
                }
                let p = LivePosition::from(f);
                org.insert(f.subject.driver_id, p.clone());
                by_org
                    .entry(f.subject.org_id)
                    .or_default()
                    .positions
                    .push(p);
            }
        }
        for (org, e) in eval.events {
            by_org.entry(org).or_default().events.push(e);
        }
        for (org, facts) in eval.facts {
            self.shipments.apply(org, facts.clone(), now);
            by_org.entry(org).or_default().facts.push(facts);
        }
        for (org, id) in eval.finished {
            self.shipments.finish(org, id, now);
            by_org.entry(org).or_default().finished.push(id);
        }
        for (org, u) in &by_org {
            self.hub.publish(*org, &u.positions, &u.events);
        }
        if let Some(fanout) = &self.fanout {
            fanout.publish(by_org);
        }
    }

    /// Applies an update committed by another instance (received over Redis): latest
    /// positions move forward only, facts are recorded, local subscribers get it.
    pub(super) fn apply_remote(&self, org_id: i64, mut u: OrgUpdate) {
        let now = now_ms();
        {
            let mut latest = self.latest.write().unwrap_or_else(|e| e.into_inner());
            let org = latest.entry(org_id).or_default();
            u.positions.retain(|p| {
                let newer = org
                    .get(&p.driver_id)
                    .is_none_or(|old| p.timestamp > old.timestamp);
                if newer {
                    org.insert(p.driver_id, p.clone());
                }
                newer
            });
        }
        for facts in u.facts {
            self.shipments.apply(org_id, facts, now);
        }
        for id in u.finished {
            self.shipments.finish(org_id, id, now);
        }
        self.hub.publish(org_id, &u.positions, &u.events);
    }

    /// After a Redis outage: re-reads what other instances committed meanwhile.
    pub(super) async fn resync(&self) -> sqlx::Result<()> {
        for (org, p) in store::load_latest(&self.db).await? {
            let u = OrgUpdate {
                positions: vec![p],
                ..Default::default()
            };
            self.apply_remote(org, u);
        }
        let since = now_ms() - 24 * 3600 * 1000;
        for (org, facts, at) in geo_store::load_tracking(&self.db, since).await? {
            self.shipments.apply(org, facts, at);
        }
        Ok(())
    }
}

impl From<&Fix> for LivePosition {
    fn from(f: &Fix) -> Self {
        LivePosition {
            driver_id: f.subject.driver_id,
            vehicle_id: f.subject.vehicle_id,
            lat: f.lat,
            lon: f.lon,
            speed: f.speed,
            heading: f.heading,
            accuracy: f.accuracy,
            battery: f.battery,
            timestamp: f.fix_time,
            received_at: f.received_at,
        }
    }
}
