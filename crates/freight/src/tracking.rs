//! Live GPS tracking: one pipeline behind three ingest protocols (WebSocket, HTTP batch,
//! OsmAnd), and the live feed for the dispatch map.
//!
//! Every fix goes through the same steps, in this order:
//! 1. **validate** ([`fix::check`]): ranges, accuracy, clock — a failure is a counted drop;
//! 2. **de-duplicate and plausibility** ([`filter::DriverTrack`]): exact duplicates, teleports;
//! 3. **store** ([`writer`]): group commit; the caller's acknowledgement waits for `COMMIT`;
//! 4. **latest position**: moved forward only (SQL guard + in-memory check), never back;
//! 5. **geofences and ETAs** ([`geo`]): evaluated inside the same transaction;
//! 6. **fan-out** ([`hub`]): bounded, coalescing per-subscriber queues; with `REDIS_URL`,
//!    also to the other instances ([`fanout`]).
//!
//! Shipments' arrivals, ETAs and late flags are also kept in memory ([`shipment_live`]) and
//! merged into shipment JSON after the response cache.
//!
//! [`Tracking`] is the handle kept in `AppState`; protocol adapters live in `http::tracking`.

mod apply;
pub mod background;
pub mod bench;
pub mod bench_history;
pub mod config;
pub mod counters;
pub mod demo;
pub mod devices;
mod driver_status;
pub mod fanout;
pub mod filter;
pub mod fix;
pub mod geo;
pub mod geo_store;
pub mod geofence;
pub mod history;
pub mod hub;
pub mod live_message;
pub mod osmand;
pub mod shipment_live;
pub mod simulate;
pub mod store;
pub mod traces;
pub mod writer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};

pub use config::TrackingConfig;
use counters::Counters;
use filter::DriverTrack;
use fix::{DropReason, Fix, Subject};
use hub::{Hub, LiveFilter, LivePosition, Subscription};
use writer::WriterMsg;

use crate::db::Db;
use crate::domain::time::{now_ms, Millis};

/// How long a resolved driver or device stays cached (vehicle changes show up after this).
const SUBJECT_TTL: Duration = Duration::from_secs(60);

/// Why a batch could not be stored (the database failed or the server is stopping).
#[derive(Debug, thiserror::Error)]
#[error("positions could not be stored; retry later")]
pub struct StoreError;

/// The result of ingesting a batch: what was kept and what was dropped, by input index.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub accepted: usize,
    pub dropped: Vec<(usize, DropReason)>,
}

/// The tracking handle: cheap to clone.
#[derive(Clone)]
pub struct Tracking {
    inner: Arc<Inner>,
}

pub struct Inner {
    db: Db,
    config: TrackingConfig,
    tracks: Mutex<HashMap<i64, DriverTrack>>,
    latest: RwLock<HashMap<i64, HashMap<i64, LivePosition>>>,
    hub: Arc<Hub>,
    counters: Counters,
    geo: geo::Engine,
    writer: mpsc::Sender<WriterMsg>,
    writer_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    drivers: Mutex<HashMap<i64, (Option<store::DriverRef>, Instant)>>,
    devices: Mutex<HashMap<String, (Option<Subject>, Instant)>>,
    stop: watch::Sender<bool>,
    connections: AtomicUsize,
    osmand_listener: Mutex<Option<tokio::net::TcpListener>>,
    shipments: shipment_live::LiveShipments,
    fanout: Option<fanout::Fanout>,
}

impl Tracking {
    /// Loads the latest positions, binds the dedicated OsmAnd port if configured, and starts
    /// the writer.
    pub async fn start(db: Db, config: TrackingConfig) -> anyhow::Result<Tracking> {
        let mut latest: HashMap<i64, HashMap<i64, LivePosition>> = HashMap::new();
        let mut tracks = HashMap::new();
        for (org, p) in store::load_latest(&db).await? {
            let mut track = DriverTrack::default();
            let _ = track.admit(p.timestamp, p.lat, p.lon, f64::INFINITY);
            tracks.insert(p.driver_id, track);
            latest.entry(org).or_default().insert(p.driver_id, p);
        }
        // SQLite's `wal_autocheckpoint = 16384` (set on every connection in `db.rs`) matters
        // here: every group commit rewrites the newest leaf page of each moving driver, and a
        // larger checkpoint interval lets one checkpoint absorb many commits' rewrites.
        let osmand_listener = match config.osmand_socket() {
            Some(addr) => match tokio::net::TcpListener::bind(addr).await {
                Ok(l) => Some(l),
                Err(e) => {
                    tracing::warn!(addr, error = %e, "OsmAnd port unavailable; OsmAnd stays on /osmand of the main port");
                    None
                }
            },
            None => None,
        };
        let shipments = shipment_live::LiveShipments::default();
        for (org, facts, at) in geo_store::load_tracking(&db, retention_cutoff(&config)).await? {
            shipments.apply(org, facts, at);
        }
        let fanout = fanout::Fanout::new(config.redis_url.as_deref(), &config.redis_channel)?;
        let (tx, rx) = mpsc::channel(config.queue_depth.max(1));
        let batch_max = config.batch_max_fixes.max(1);
        let inner = Arc::new(Inner {
            geo: geo::Engine::new(&config),
            db,
            config,
            tracks: Mutex::new(tracks),
            latest: RwLock::new(latest),
            hub: Arc::new(Hub::default()),
            counters: Counters::default(),
            writer: tx,
            writer_task: Mutex::new(None),
            drivers: Mutex::new(HashMap::new()),
            devices: Mutex::new(HashMap::new()),
            stop: watch::channel(false).0,
            connections: AtomicUsize::new(0),
            osmand_listener: Mutex::new(osmand_listener),
            shipments,
            fanout,
        });
        let task = tokio::spawn(writer::run(inner.clone(), rx, batch_max));
        *lock(&inner.writer_task) = Some(task);
        if let Some(fanout) = &inner.fanout {
            fanout.start(Arc::downgrade(&inner), inner.stop.subscribe());
        }
        Ok(Tracking { inner })
    }

    pub fn config(&self) -> &TrackingConfig {
        &self.inner.config
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.inner.hub
    }

    pub fn geo(&self) -> &geo::Engine {
        &self.inner.geo
    }

    /// Shipments' live tracking facts (merged into shipment JSON).
    pub fn shipments(&self) -> &shipment_live::LiveShipments {
        &self.inner.shipments
    }

    /// The Redis fan-out, when `REDIS_URL` is set.
    pub fn fanout(&self) -> Option<&fanout::Fanout> {
        self.inner.fanout.as_ref()
    }

    /// Steps 1–2: checks each fix; returns the admitted fixes and the drops (by input index).
    /// Drops are counted per organization.
    pub fn admit(&self, fixes: Vec<Fix>, now: Millis) -> (Vec<Fix>, Vec<(usize, DropReason)>) {
        let mut kept = Vec::with_capacity(fixes.len());
        let mut dropped = Vec::new();
        {
            let mut tracks = lock(&self.inner.tracks);
            for (i, f) in fixes.into_iter().enumerate() {
                let verdict =
                    fix::check(&f, now, self.inner.config.max_accuracy_m).and_then(|()| {
                        tracks.entry(f.subject.driver_id).or_default().admit(
                            f.fix_time,
                            f.lat,
                            f.lon,
                            self.inner.config.max_speed_mps,
                        )
                    });
                match verdict {
                    Ok(()) => kept.push(f),
                    Err(reason) => dropped.push((i, reason, f.subject.org_id)),
                }
            }
        }
        let mut by_org: HashMap<i64, (u64, Vec<DropReason>)> = HashMap::new();
        for f in &kept {
            by_org.entry(f.subject.org_id).or_default().0 += 1;
        }
        for (_, reason, org) in &dropped {
            by_org.entry(*org).or_default().1.push(*reason);
        }
        for (org, (accepted, drops)) in by_org {
            self.inner.counters.record(org, accepted, &drops);
        }
        (kept, dropped.into_iter().map(|(i, r, _)| (i, r)).collect())
    }

    /// Step 3 onwards: hands admitted fixes to the writer and resolves once they are durable.
    pub fn store(
        &self,
        fixes: Vec<Fix>,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send + 'static {
        let writer = self.inner.writer.clone();
        async move {
            if fixes.is_empty() {
                return Ok(());
            }
            let (done, wait) = oneshot::channel();
            writer
                .send(WriterMsg::Fixes { fixes, done })
                .await
                .map_err(|_| StoreError)?;
            wait.await.map_err(|_| StoreError)?.map_err(|()| StoreError)
        }
    }

    /// The whole pipeline for one batch: admit, then store and wait for durability.
    pub async fn ingest(&self, fixes: Vec<Fix>) -> Result<Outcome, StoreError> {
        let (kept, dropped) = self.admit(fixes, now_ms());
        let accepted = kept.len();
        self.store(kept).await?;
        Ok(Outcome { accepted, dropped })
    }

    /// The latest position of every driver of `org_id` the filter lets through.
    pub fn snapshot(&self, org_id: i64, filter: &LiveFilter) -> Vec<LivePosition> {
        let latest = self.inner.latest.read().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<LivePosition> = latest
            .get(&org_id)
            .map(|m| m.values().filter(|p| filter.wants(p)).cloned().collect())
            .unwrap_or_default();
        out.sort_by_key(|p| p.driver_id);
        out
    }

    /// The latest known position of one driver.
    pub fn latest_of(&self, org_id: i64, driver_id: i64) -> Option<LivePosition> {
        let latest = self.inner.latest.read().unwrap_or_else(|e| e.into_inner());
        latest.get(&org_id).and_then(|m| m.get(&driver_id)).cloned()
    }

    pub fn subscribe(&self, org_id: i64, filter: LiveFilter) -> Subscription {
        self.inner.hub.subscribe(org_id, filter)
    }

    /// The subject for a driver of `org_id`, or `None` if no such driver is in that org.
    pub async fn driver_subject(
        &self,
        org_id: i64,
        driver_id: i64,
    ) -> sqlx::Result<Option<Subject>> {
        let cached = lock(&self.inner.drivers)
            .get(&driver_id)
            .filter(|(_, at)| at.elapsed() < SUBJECT_TTL)
            .map(|(d, _)| *d);
        let found = match cached {
            Some(found) => found,
            None => {
                let found = store::driver_ref(&self.inner.db, driver_id).await?;
                lock(&self.inner.drivers).insert(driver_id, (found, Instant::now()));
                found
            }
        };
        Ok(found.filter(|d| d.org_id == org_id).map(|d| Subject {
            org_id,
            driver_id,
            vehicle_id: d.current_vehicle_id,
            device_id: None,
        }))
    }

    /// The subject of a registered, enabled device identifier.
    pub async fn device_subject(&self, identifier: &str) -> sqlx::Result<Option<Subject>> {
        let cached = lock(&self.inner.devices)
            .get(identifier)
            .filter(|(_, at)| at.elapsed() < SUBJECT_TTL)
            .map(|(s, _)| *s);
        if let Some(found) = cached {
            return Ok(found);
        }
        let found = devices::subject_for(&self.inner.db, identifier).await?;
        let mut cache = lock(&self.inner.devices);
        if cache.len() > 100_000 {
            cache.clear();
        }
        cache.insert(identifier.to_string(), (found, Instant::now()));
        Ok(found)
    }

    /// Forgets cached device resolutions (after registering or removing a device).
    pub fn forget_devices(&self) {
        lock(&self.inner.devices).clear();
    }

    /// Counts a request from a device nobody registered.
    pub fn count_unknown_device(&self) {
        metrics::counter!("tracking_fixes_total", "outcome" => "rejected", "reason" => "unknown_device").increment(1);
        self.inner
            .counters
            .unknown_device
            .fetch_add(1, Ordering::Relaxed);
    }

    /// A future that resolves when shutdown begins.
    pub fn stopping(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.inner.stop.subscribe();
        async move {
            let _ = rx.wait_for(|stopping| *stopping).await;
        }
    }

    /// Wraps the server's shutdown future so tracking connections learn about it too.
    pub fn on_shutdown(
        &self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let stop = self.inner.stop.clone();
        async move {
            shutdown.await;
            stop.send_replace(true);
        }
    }

    /// Registers a live connection (WebSocket) so shutdown can wait for its last acks.
    pub fn connection(&self) -> ConnectionGuard {
        self.inner.connections.fetch_add(1, Ordering::SeqCst);
        ConnectionGuard(self.inner.clone())
    }

    pub fn connections(&self) -> usize {
        self.inner.connections.load(Ordering::SeqCst)
    }

    /// Takes the bound dedicated OsmAnd listener (once).
    pub fn take_osmand_listener(&self) -> Option<tokio::net::TcpListener> {
        lock(&self.inner.osmand_listener).take()
    }

    /// The dedicated OsmAnd port, if bound and not yet serving.
    pub fn osmand_port(&self) -> Option<u16> {
        lock(&self.inner.osmand_listener)
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port())
    }

    /// Stops ingest: tells connections, waits (bounded) for them to send their last acks,
    /// then lets the writer commit everything queued and exit.
    pub async fn shutdown(&self) {
        self.inner.stop.send_replace(true);
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.connections() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (reply, done) = oneshot::channel();
        if self.inner.writer.send(WriterMsg::Stop(reply)).await.is_ok() {
            let _ = done.await;
        }
        let task = lock(&self.inner.writer_task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Inner {
    /// A driver's latest known point (before the batch being written).
    fn latest_point(&self, org_id: i64, driver_id: i64) -> Option<geofence::Point> {
        let latest = self.latest.read().unwrap_or_else(|e| e.into_inner());
        latest
            .get(&org_id)
            .and_then(|m| m.get(&driver_id))
            .map(|p| (p.timestamp, p.lat, p.lon))
    }

    fn is_newer_than_latest(&self, f: &Fix) -> bool {
        let latest = self.latest.read().unwrap_or_else(|e| e.into_inner());
        latest
            .get(&f.subject.org_id)
            .and_then(|m| m.get(&f.subject.driver_id))
            .is_none_or(|p| f.fix_time > p.timestamp)
    }
}

/// Oldest change kept: the retention period (everything when retention is off).
fn retention_cutoff(config: &TrackingConfig) -> Millis {
    match config.retention_days {
        0 => 0,
        days => now_ms() - i64::from(days) * 24 * 3600 * 1000,
    }
}

/// Held by a live connection; shutdown waits until every guard is dropped.
pub struct ConnectionGuard(Arc<Inner>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::SeqCst);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
