//! Step 5 of the pipeline: geofence transitions, implicit stop geofences (arrivals) and ETAs,
//! evaluated by the writer inside the same transaction as the fixes, so events are exactly
//! as durable as the positions that caused them.
//!
//! Only fixes newer than the last one evaluated for a driver move the state machine (a late
//! fix is history, not a new crossing). A driver first seen after a restart starts from the
//! stored latest position, so a restart does not produce spurious `enter` events.
//! Fences are cached per organization and reloaded after every change; active shipments are
//! re-read every few seconds (assignments change in another part of the service).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::fix::Fix;
use super::geo_store::{self, ActiveShipment, NewEvent, ShipmentTracking, TrackingUpdate};
use super::geofence::{step, Point, Presence, Shape, Transition};
use super::hub::LiveEvent;
use super::live_message::{EtaChange, FenceCrossing, LiveEventBody};
use super::TrackingConfig;
use crate::db::{Db, Tx};
use crate::domain::time::{now_ms, Millis};
use crate::domain::LatLon;

/// Road distance is longer than the straight line; a common planning factor.
pub const ROAD_FACTOR: f64 = 1.25;
const SHIPMENTS_TTL: Duration = Duration::from_secs(5);

/// An organization's active shipments, shared between evaluations.
type Shipments = Arc<Vec<ActiveShipment>>;
/// What one organization's evaluation needs: fences and active shipments.
type OrgGeo = (Arc<Vec<Fence>>, Shipments);

struct Fence {
    id: i64,
    shape: Shape,
    dwell_ms: Millis,
}

#[derive(Default)]
struct DriverGeo {
    last: Option<Point>,
    fences: HashMap<i64, Presence>,
    /// (shipment, is_delivery) → presence in the stop's implicit fence.
    stops: HashMap<(i64, bool), Presence>,
}

/// What evaluating a batch produced, applied in memory once the transaction commits.
#[derive(Default)]
pub struct Evaluation {
    /// Live events by organization.
    pub events: Vec<(i64, LiveEvent)>,
    /// New shipment facts by organization.
    pub facts: Vec<(i64, ShipmentTracking)>,
    /// Shipments (org, id) that left the active statuses: their ETA was cleared.
    pub finished: Vec<(i64, i64)>,
}

/// Geofence and ETA state.
pub struct Engine {
    dwell_ms: Millis,
    stop_radius_m: f64,
    eta_mps: f64,
    fences: Mutex<HashMap<i64, Arc<Vec<Fence>>>>,
    shipments: Mutex<HashMap<i64, (Shipments, Instant)>>,
    drivers: Mutex<HashMap<i64, DriverGeo>>,
    arrivals: Mutex<HashSet<(i64, bool)>>,
    /// Shipments (org, id) seen active at the previous reload and gone at the last one.
    departed: Mutex<Vec<(i64, i64)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Engine {
    pub fn new(config: &TrackingConfig) -> Self {
        Engine {
            dwell_ms: config.dwell_secs.max(0) * 1000,
            stop_radius_m: config.stop_radius_m,
            eta_mps: (config.eta_speed_kmh / 3.6).max(0.5),
            fences: Mutex::default(),
            shipments: Mutex::default(),
            drivers: Mutex::default(),
            arrivals: Mutex::default(),
            departed: Mutex::default(),
        }
    }

    /// Forgets an organization's cached fences (after a change through the API).
    pub fn invalidate(&self, org_id: i64) {
        lock(&self.fences).remove(&org_id);
        // Expire rather than remove, so the next reload still sees which shipments left.
        if let Some(entry) = lock(&self.shipments).get_mut(&org_id) {
            entry.1 = Instant::now().checked_sub(SHIPMENTS_TTL).unwrap_or(entry.1);
        }
    }

    async fn load(
        &self,
        db: &Db,
        org_id: i64,
    ) -> sqlx::Result<(Arc<Vec<Fence>>, Arc<Vec<ActiveShipment>>)> {
        let cached = lock(&self.fences).get(&org_id).cloned();
        let fences = match cached {
            Some(f) => f,
            None => {
                let rows = geo_store::fences(db, org_id).await?;
                let fences: Vec<Fence> = rows
                    .iter()
                    .filter_map(|r| {
                        let dwell_ms = r.dwell_secs.map_or(self.dwell_ms, |s| s * 1000);
                        r.shape().map(|shape| Fence {
                            id: r.id,
                            shape,
                            dwell_ms,
                        })
                    })
                    .collect();
                let fences = Arc::new(fences);
                lock(&self.fences).insert(org_id, fences.clone());
                fences
            }
        };
        let cached = lock(&self.shipments)
            .get(&org_id)
            .filter(|(_, at)| at.elapsed() < SHIPMENTS_TTL)
            .map(|(s, _)| s.clone());
        let shipments = match cached {
            Some(s) => s,
            None => {
                let s = Arc::new(geo_store::active_shipments(db, org_id).await?);
                let before = lock(&self.shipments).insert(org_id, (s.clone(), Instant::now()));
                if let Some((before, _)) = before {
                    let now: HashSet<i64> = s.iter().map(|a| a.id).collect();
                    lock(&self.departed).extend(
                        before
                            .iter()
                            .filter(|a| !now.contains(&a.id))
                            .map(|a| (org_id, a.id)),
                    );
                }
                s
            }
        };
        Ok((fences, shipments))
    }

    /// Evaluates a batch about to be committed; stores events and shipment facts in `tx` and
    /// returns what to apply in memory after the commit. `previous` gives a driver's last
    /// known point before this batch.
    pub async fn evaluate(
        &self,
        db: &Db,
        tx: &mut Tx,
        batch: &[Fix],
        previous: impl Fn(i64, i64) -> Option<Point>,
    ) -> anyhow::Result<Evaluation> {
        let mut by_org: HashMap<i64, OrgGeo> = HashMap::new();
        for f in batch {
            if let std::collections::hash_map::Entry::Vacant(slot) = by_org.entry(f.subject.org_id)
            {
                slot.insert(self.load(db, f.subject.org_id).await?);
            }
        }
        let mut order: Vec<&Fix> = batch.iter().collect();
        order.sort_by_key(|f| (f.subject.driver_id, f.fix_time));
        let mut events: Vec<NewEvent> = Vec::new();
        let mut updates: HashMap<i64, TrackingUpdate> = HashMap::new();
        {
            let mut drivers = lock(&self.drivers);
            let mut arrivals = lock(&self.arrivals);
            for f in order {
                let (org, driver) = (f.subject.org_id, f.subject.driver_id);
                let (fences, shipments) = &by_org[&org];
                let cur: Point = (f.fix_time, f.lat, f.lon);
                let geo = drivers.entry(driver).or_insert_with(|| {
                    let last = previous(org, driver);
                    let mut geo = DriverGeo {
                        last,
                        ..DriverGeo::default()
                    };
                    if let Some(p) = last {
                        for fence in fences.iter().filter(|fc| fc.shape.contains(p.1, p.2)) {
                            geo.fences.insert(
                                fence.id,
                                Presence {
                                    inside_since: Some(p.0),
                                    dwell_reported: false,
                                },
                            );
                        }
                    }
                    geo
                });
                if geo.last.is_some_and(|l| cur.0 <= l.0) {
                    continue; // late fix: history only
                }
                let prev = geo.last.unwrap_or(cur);
                let event = |kind: &'static str,
                             fence: Option<i64>,
                             shipment: Option<i64>,
                             p: Point| NewEvent {
                    org_id: org,
                    geofence_id: fence,
                    shipment_id: shipment,
                    driver_id: driver,
                    kind,
                    at: p.0,
                    lat: p.1,
                    lon: p.2,
                };
                for fence in fences.iter() {
                    let presence = geo.fences.entry(fence.id).or_default();
                    for (t, p) in step(&fence.shape, presence, prev, cur, fence.dwell_ms) {
                        events.push(event(t.as_str(), Some(fence.id), None, p));
                    }
                }
                for s in shipments.iter().filter(|s| s.driver_id == driver) {
                    let delivery = s.status != "assigned";
                    let (lat, lon) = if delivery {
                        (s.delivery_lat, s.delivery_lon)
                    } else {
                        (s.pickup_lat, s.pickup_lon)
                    };
                    let shape = Shape::Circle {
                        lat,
                        lon,
                        radius_m: self.stop_radius_m,
                    };
                    let presence = geo.stops.entry((s.id, delivery)).or_default();
                    let entered = step(&shape, presence, prev, cur, Millis::MAX)
                        .into_iter()
                        .find(|(t, _)| *t == Transition::Enter);
                    let recorded = if delivery {
                        s.delivery_arrived_at.is_some()
                    } else {
                        s.pickup_arrived_at.is_some()
                    };
                    let mut update = self.eta(s, cur, org);
                    if let Some((_, p)) = entered {
                        if !recorded && arrivals.insert((s.id, delivery)) {
                            let kind = if delivery {
                                "arrived_delivery"
                            } else {
                                "arrived_pickup"
                            };
                            events.push(event(kind, None, Some(s.id), p));
                            if delivery {
                                update.delivery_arrived_at = Some(p.0);
                            } else {
                                update.pickup_arrived_at = Some(p.0);
                            }
                        }
                    }
                    updates
                        .entry(s.id)
                        .and_modify(|u| {
                            let (pa, da) = (u.pickup_arrived_at, u.delivery_arrived_at);
                            *u = update.clone();
                            u.pickup_arrived_at = u.pickup_arrived_at.or(pa);
                            u.delivery_arrived_at = u.delivery_arrived_at.or(da);
                        })
                        .or_insert(update);
                }
                geo.last = Some(cur);
            }
        }
        let now = now_ms();
        let mut live = Vec::with_capacity(events.len() + updates.len());
        for e in &events {
            let id = geo_store::insert_event(tx, e, now).await?;
            let crossing = FenceCrossing {
                id,
                kind: e.kind,
                geofence_id: e.geofence_id,
                shipment_id: e.shipment_id,
                driver_id: e.driver_id,
                at: e.at,
                lat: e.lat,
                lon: e.lon,
            };
            let body = if e.geofence_id.is_some() {
                LiveEventBody::Geofence(crossing)
            } else {
                LiveEventBody::Arrival(crossing)
            }
            .to_value();
            live.push((
                e.org_id,
                LiveEvent {
                    driver_id: e.driver_id,
                    body,
                },
            ));
        }
        let mut updates: Vec<TrackingUpdate> = updates.into_values().collect();
        updates.sort_by_key(|u| u.shipment_id);
        for u in &updates {
            geo_store::upsert_tracking(tx, u, now).await?;
            let driver_id = by_org[&u.org_id]
                .1
                .iter()
                .find(|s| s.id == u.shipment_id)
                .map_or(0, |s| s.driver_id);
            let body = LiveEventBody::Eta(EtaChange {
                shipment_id: u.shipment_id,
                driver_id,
                next_stop: u.next_stop,
                eta: u.eta_at,
                distance_remaining_m: u.distance_remaining_m.round(),
                late: u.late,
            })
            .to_value();
            live.push((u.org_id, LiveEvent { driver_id, body }));
        }
        let finished = std::mem::take(&mut *lock(&self.departed));
        for (_, id) in &finished {
            geo_store::clear_eta(tx, *id, now).await?;
        }
        Ok(Evaluation {
            events: live,
            facts: updates.iter().map(|u| (u.org_id, u.facts())).collect(),
            finished,
        })
    }

    /// ETA to the next stop from `p`, and whether delivery will miss its window.
    fn eta(&self, s: &ActiveShipment, p: Point, org_id: i64) -> TrackingUpdate {
        let here = LatLon { lat: p.1, lon: p.2 };
        let pickup = LatLon {
            lat: s.pickup_lat,
            lon: s.pickup_lon,
        };
        let delivery = LatLon {
            lat: s.delivery_lat,
            lon: s.delivery_lon,
        };
        let travel_ms = |metres: f64| (metres * ROAD_FACTOR / self.eta_mps * 1000.0) as Millis;
        let (next_stop, distance, eta_at, delivery_eta) = if s.status == "assigned" {
            let d = here.distance_m(pickup);
            let at_pickup = p.0 + travel_ms(d);
            let at_delivery = at_pickup
                + s.pickup_service_minutes * 60_000
                + travel_ms(pickup.distance_m(delivery));
            (
                "pickup",
                d + pickup.distance_m(delivery),
                at_pickup,
                at_delivery,
            )
        } else {
            let d = here.distance_m(delivery);
            let at = p.0 + travel_ms(d);
            ("delivery", d, at, at)
        };
        TrackingUpdate {
            shipment_id: s.id,
            org_id,
            pickup_arrived_at: None,
            delivery_arrived_at: None,
            next_stop,
            eta_at,
            distance_remaining_m: distance * ROAD_FACTOR,
            late: delivery_eta > s.delivery_window_end,
        }
    }
}
