//! Live fan-out between instances over Redis pub/sub (when `REDIS_URL` is set).
//!
//! Each instance publishes what its writer committed — positions that moved a driver's
//! latest position forward, geofence/arrival/ETA events, shipments' new tracking facts — as
//! one message per commit on one channel, and applies the messages of the other instances
//! as if they had been committed locally (latest positions still only move forward). Local
//! subscribers are always served straight from the in-process hub, never through Redis.
//!
//! **Redis down.** Ingest never waits for Redis: the writer hands the update to a bounded
//! queue and returns. While Redis is unreachable each instance keeps serving its own
//! fixes to its own subscribers; updates for the other instances are dropped and counted
//! (`tracking_fanout_redis_total{outcome="dropped"}`), not queued, since stale positions are
//! worth nothing. The subscriber reconnects every second, and after every (re)subscription
//! reloads latest positions and shipment facts from the database, so what the others
//! committed during the outage shows up at once. Events of that gap (enter/exit…) are not
//! replayed live; they are stored and queryable (`/tracking/geofence-events`).
//!
//! Only committed data is published, so Redis never shows a fix the database might lose.
//! Geofence state stays per instance: a device's session is expected to stay on one instance
//! (WebSockets do), which is where its fixes are evaluated.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Weak};
use std::time::Duration;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use super::geo_store::ShipmentTracking;
use super::hub::{LiveEvent, LivePosition};
use super::Inner;

/// Commits waiting to be published before newer ones are dropped.
const QUEUE: usize = 256;
/// Bound on every Redis call and connection attempt.
const TIMEOUT: Duration = Duration::from_secs(1);
const RETRY: Duration = Duration::from_secs(1);

/// What one commit changed for one organization.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct OrgUpdate {
    pub positions: Vec<LivePosition>,
    pub events: Vec<LiveEvent>,
    pub facts: Vec<ShipmentTracking>,
    /// Shipments that left the active statuses (ETA cleared).
    pub finished: Vec<i64>,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    /// The publishing instance, so it can skip its own messages.
    origin: u64,
    orgs: Vec<(i64, OrgUpdate)>,
}

/// Counts of the Redis fan-out, for tests and metrics.
#[derive(Debug, Default)]
pub struct FanoutStats {
    pub published: AtomicU64,
    pub dropped: AtomicU64,
    pub received: AtomicU64,
    pub subscriptions: AtomicU64,
}

/// The Redis side of the live fan-out.
pub struct Fanout {
    client: redis::Client,
    channel: String,
    origin: u64,
    queue: mpsc::Sender<HashMap<i64, OrgUpdate>>,
    pending: Mutex<Option<mpsc::Receiver<HashMap<i64, OrgUpdate>>>>,
    stats: FanoutStats,
}

impl Fanout {
    /// Parses the URL (no connection yet); `None` without a URL.
    pub fn new(url: Option<&str>, channel: &str) -> anyhow::Result<Option<Fanout>> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("REDIS_URL is not a valid Redis URL: {e}"))?;
        let (queue, pending) = mpsc::channel(QUEUE);
        Ok(Some(Fanout {
            client,
            channel: channel.to_string(),
            origin: rand::random(),
            queue,
            pending: Mutex::new(Some(pending)),
            stats: FanoutStats::default(),
        }))
    }

    pub fn stats(&self) -> &FanoutStats {
        &self.stats
    }

    /// Starts the publisher and the subscriber (once).
    pub(super) fn start(&self, inner: Weak<Inner>, stop: watch::Receiver<bool>) {
        let Some(pending) = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return;
        };
        tokio::spawn(publisher(inner.clone(), pending, stop.clone()));
        tokio::spawn(subscriber(inner, stop));
    }

    /// Hands a commit's update to the publisher; never waits.
    pub(super) fn publish(&self, update: HashMap<i64, OrgUpdate>) {
        if update.is_empty() {
            return;
        }
        if self.queue.try_send(update).is_err() {
            self.count("dropped", &self.stats.dropped, 1);
        }
    }

    fn count(&self, outcome: &'static str, counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
        metrics::counter!("tracking_fanout_redis_total", "outcome" => outcome).increment(n);
    }
}

/// Publishes queued updates; while Redis is unreachable, drops them (counted).
async fn publisher(
    inner: Weak<Inner>,
    mut rx: mpsc::Receiver<HashMap<i64, OrgUpdate>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut conn: Option<redis::aio::MultiplexedConnection> = None;
    let mut next_attempt = tokio::time::Instant::now();
    loop {
        let update = tokio::select! {
            u = rx.recv() => match u { Some(u) => u, None => return },
            _ = stop.wait_for(|s| *s) => return,
        };
        let Some(inner) = inner.upgrade() else { return };
        let Some(fanout) = inner.fanout.as_ref() else {
            return;
        };
        if conn.is_none() && tokio::time::Instant::now() >= next_attempt {
            next_attempt = tokio::time::Instant::now() + RETRY;
            let config = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(TIMEOUT)
                .set_response_timeout(TIMEOUT);
            match fanout
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await
            {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "live fan-out: Redis unreachable; serving local subscribers only")
                }
            }
        }
        let Some(c) = conn.as_mut() else {
            fanout.count("dropped", &fanout.stats.dropped, 1);
            continue;
        };
        let wire = Wire {
            origin: fanout.origin,
            orgs: update.into_iter().collect(),
        };
        let payload = match serde_json::to_vec(&wire) {
            Ok(p) => p,
            Err(_) => continue,
        };
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(&fanout.channel)
            .arg(payload)
            .query_async(c)
            .await;
        match sent {
            Ok(_) => fanout.count("published", &fanout.stats.published, 1),
            Err(e) => {
                tracing::warn!(error = %e, "live fan-out: publish failed");
                fanout.count("dropped", &fanout.stats.dropped, 1);
                conn = None;
            }
        }
    }
}

/// Subscribes (retrying every second), resynchronizes from the database after each
/// subscription, then applies the other instances' updates.
async fn subscriber(inner: Weak<Inner>, mut stop: watch::Receiver<bool>) {
    loop {
        let Some((client, channel, origin)) = inner.upgrade().and_then(|i| {
            let f = i.fanout.as_ref()?;
            Some((f.client.clone(), f.channel.clone(), f.origin))
        }) else {
            return;
        };
        let connected = tokio::time::timeout(TIMEOUT, async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            redis::RedisResult::Ok(pubsub)
        })
        .await;
        match connected {
            Ok(Ok(pubsub)) => {
                if let Some(inner) = inner.upgrade() {
                    if let Some(f) = inner.fanout.as_ref() {
                        f.stats.subscriptions.fetch_add(1, Ordering::Relaxed);
                    }
                    if let Err(e) = inner.resync().await {
                        tracing::warn!(error = %e, "live fan-out: resync from the database failed");
                    }
                }
                let mut messages = pubsub.into_on_message();
                loop {
                    let msg = tokio::select! {
                        m = messages.next() => m,
                        _ = stop.wait_for(|s| *s) => return,
                    };
                    let Some(msg) = msg else { break };
                    let Some(inner) = inner.upgrade() else { return };
                    let Ok(wire) = serde_json::from_slice::<Wire>(msg.get_payload_bytes()) else {
                        continue;
                    };
                    if wire.origin == origin {
                        continue;
                    }
                    if let Some(f) = inner.fanout.as_ref() {
                        f.count("received", &f.stats.received, 1);
                    }
                    for (org, update) in wire.orgs {
                        inner.apply_remote(org, update);
                    }
                }
                tracing::warn!("live fan-out: Redis subscription lost; reconnecting");
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "live fan-out: cannot subscribe"),
            Err(_) => tracing::warn!("live fan-out: subscribing to Redis timed out"),
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
