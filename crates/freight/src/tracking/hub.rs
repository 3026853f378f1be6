//! Live fan-out: every dispatch-map subscriber gets its own bounded queue that *coalesces*
//! to the newest position per driver, so a slow dashboard never blocks ingest and never
//! grows without bound: publishing only replaces an entry in a map and wakes the reader.
//!
//! Why not a `tokio::sync::broadcast`: a lagging broadcast receiver loses arbitrary messages
//! (possibly the only fix of a driver), while a coalescing map loses only positions that a
//! newer one has already superseded. Events (geofence, ETA) are not coalescible; they sit in
//! a bounded ring and the oldest are dropped (and counted) if a subscriber falls far behind.
//!
//! The locks are std mutexes held for a few map operations, never across an `.await`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use utoipa::ToSchema;

use crate::domain::time::Millis;

/// Most events a subscriber may have pending before the oldest are dropped.
const MAX_PENDING_EVENTS: usize = 1024;

/// A driver's position as the live map shows it (and as `latest_positions` stores it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct LivePosition {
    pub driver_id: i64,
    pub vehicle_id: Option<i64>,
    pub lat: f64,
    pub lon: f64,
    pub speed: Option<f64>,
    pub heading: Option<f64>,
    pub accuracy: Option<f64>,
    pub battery: Option<f64>,
    /// When the fix was taken.
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[sqlx(rename = "fix_time")]
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: Millis,
    /// When the server received it (for lag measurement).
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Millis,
}

/// A live event (geofence transition, arrival, ETA change) for one driver.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveEvent {
    pub driver_id: i64,
    pub body: serde_json::Value,
}

/// A geographic box, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl BBox {
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.min_lat..=self.max_lat).contains(&lat) && (self.min_lon..=self.max_lon).contains(&lon)
    }
}

/// What one subscriber may and wants to see. `drivers: None` means every driver of the org.
#[derive(Debug, Clone, Default)]
pub struct LiveFilter {
    pub drivers: Option<HashSet<i64>>,
    pub bbox: Option<BBox>,
}

impl LiveFilter {
    pub fn wants_driver(&self, driver_id: i64) -> bool {
        self.drivers.as_ref().is_none_or(|d| d.contains(&driver_id))
    }

    pub fn wants(&self, p: &LivePosition) -> bool {
        self.wants_driver(p.driver_id) && self.bbox.is_none_or(|b| b.contains(p.lat, p.lon))
    }
}

/// What a subscriber has not read yet.
#[derive(Debug, Default)]
pub struct Pending {
    pub positions: HashMap<i64, LivePosition>,
    pub events: VecDeque<serde_json::Value>,
    /// Events dropped because the subscriber fell behind.
    pub events_dropped: u64,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.positions.is_empty() && self.events.is_empty()
    }
}

/// One live-feed connection.
pub struct Subscriber {
    id: u64,
    org_id: i64,
    filter: LiveFilter,
    pending: Mutex<Pending>,
    notify: Notify,
}

impl Subscriber {
    /// Waits until something is pending, then takes all of it.
    pub async fn recv(&self) -> Pending {
        loop {
            {
                let mut pending = lock(&self.pending);
                if !pending.is_empty() {
                    return std::mem::take(&mut *pending);
                }
            }
            self.notify.notified().await;
        }
    }

    pub fn filter(&self) -> &LiveFilter {
        &self.filter
    }
}

/// The registry of subscribers, by organization.
#[derive(Default)]
pub struct Hub {
    orgs: RwLock<HashMap<i64, Vec<Arc<Subscriber>>>>,
    next_id: AtomicU64,
    /// Positions replaced in a queue before the subscriber read them.
    coalesced: AtomicU64,
}

/// A registration that removes itself from the hub when dropped.
pub struct Subscription {
    hub: Arc<Hub>,
    subscriber: Arc<Subscriber>,
}

impl std::ops::Deref for Subscription {
    type Target = Subscriber;
    fn deref(&self) -> &Subscriber {
        &self.subscriber
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut orgs = self.hub.orgs.write().unwrap_or_else(|e| e.into_inner());
        if let Some(subs) = orgs.get_mut(&self.subscriber.org_id) {
            subs.retain(|s| s.id != self.subscriber.id);
            if subs.is_empty() {
                orgs.remove(&self.subscriber.org_id);
            }
        }
    }
}

impl Hub {
    /// Registers a subscriber for `org_id`.
    pub fn subscribe(self: &Arc<Self>, org_id: i64, filter: LiveFilter) -> Subscription {
        let subscriber = Arc::new(Subscriber {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            org_id,
            filter,
            pending: Mutex::new(Pending::default()),
            notify: Notify::new(),
        });
        self.orgs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(org_id)
            .or_default()
            .push(subscriber.clone());
        Subscription {
            hub: self.clone(),
            subscriber,
        }
    }

    /// Number of connected subscribers.
    pub fn subscribers(&self) -> usize {
        self.orgs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(Vec::len)
            .sum()
    }

    pub fn coalesced(&self) -> u64 {
        self.coalesced.load(Ordering::Relaxed)
    }

    /// Queues positions and events for every interested subscriber of `org_id`. Never waits.
    pub fn publish(&self, org_id: i64, positions: &[LivePosition], events: &[LiveEvent]) {
        let now = crate::domain::time::now_ms();
        let lag = metrics::histogram!("tracking_fanout_lag_seconds");
        for p in positions {
            lag.record((now - p.received_at).max(0) as f64 / 1000.0);
        }
        let orgs = self.orgs.read().unwrap_or_else(|e| e.into_inner());
        let Some(subs) = orgs.get(&org_id) else {
            return;
        };
        for sub in subs {
            let mut woke = false;
            {
                let mut pending = lock(&sub.pending);
                for p in positions.iter().filter(|p| sub.filter.wants(p)) {
                    match pending.positions.get(&p.driver_id) {
                        Some(old) if old.timestamp >= p.timestamp => continue,
                        Some(_) => {
                            self.coalesced.fetch_add(1, Ordering::Relaxed);
                        }
                        None => {}
                    }
                    pending.positions.insert(p.driver_id, p.clone());
                    woke = true;
                }
                for e in events
                    .iter()
                    .filter(|e| sub.filter.wants_driver(e.driver_id))
                {
                    if pending.events.len() == MAX_PENDING_EVENTS {
                        pending.events.pop_front();
                        pending.events_dropped += 1;
                    }
                    pending.events.push_back(e.body.clone());
                    woke = true;
                }
            }
            if woke {
                sub.notify.notify_one();
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(driver_id: i64, t: Millis, lat: f64) -> LivePosition {
        LivePosition {
            driver_id,
            vehicle_id: None,
            lat,
            lon: -97.7,
            speed: None,
            heading: None,
            accuracy: None,
            battery: None,
            timestamp: t,
            received_at: t,
        }
    }

    #[tokio::test]
    async fn a_slow_subscriber_gets_only_the_newest_fix_per_driver() {
        let hub = Arc::new(Hub::default());
        let sub = hub.subscribe(1, LiveFilter::default());
        for t in 0..1000 {
            hub.publish(1, &[pos(7, t, 30.0), pos(8, t, 30.1)], &[]);
        }
        let pending = sub.recv().await;
        assert_eq!(pending.positions.len(), 2);
        assert_eq!(pending.positions[&7].timestamp, 999);
        assert_eq!(hub.coalesced(), 2 * 999);
    }

    #[tokio::test]
    async fn other_organizations_and_filtered_drivers_are_not_delivered() {
        let hub = Arc::new(Hub::default());
        let filter = LiveFilter {
            drivers: Some([7].into()),
            bbox: Some(BBox {
                min_lon: -98.0,
                min_lat: 29.0,
                max_lon: -97.0,
                max_lat: 31.0,
            }),
        };
        let sub = hub.subscribe(1, filter);
        hub.publish(2, &[pos(7, 1, 30.0)], &[]);
        hub.publish(1, &[pos(8, 1, 30.0), pos(7, 2, 45.0)], &[]);
        hub.publish(1, &[pos(7, 3, 30.0)], &[]);
        let pending = sub.recv().await;
        assert_eq!(
            pending.positions.keys().copied().collect::<Vec<_>>(),
            vec![7]
        );
        assert_eq!(pending.positions[&7].timestamp, 3);
    }

    #[test]
    fn dropping_a_subscription_unregisters_it() {
        let hub = Arc::new(Hub::default());
        let sub = hub.subscribe(1, LiveFilter::default());
        assert_eq!(hub.subscribers(), 1);
        drop(sub);
        assert_eq!(hub.subscribers(), 0);
    }
}
