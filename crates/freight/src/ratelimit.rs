//! Tiered rate limits (issue 5): who may call how often, enforced in one middleware.
//!
//! - [`tiers`]: the tiers, the path table that classifies requests, defaults, plan multipliers.
//! - [`window`]: the sliding-window counter with burst, as pure arithmetic.
//! - [`store`] / [`redis_store`]: where counters live (in-process, or Redis when `REDIS_URL`
//!   is set so several processes share one limit).
//! - [`middleware`]: classifies, keys and checks each request, sets `RateLimit-*` headers.
//! - [`recorder`] / [`report`]: traffic counted per minute, written in batches, and the
//!   `freight ratelimit report` built from it.
//!
//! Limits resolve as: global (`FREIGHT_RATE_LIMIT_*`) → the organization's override (admin
//! endpoint) → × the customer's plan multiplier for customer users. See `docs/ARCHITECTURE.md`.

pub mod cache;
pub mod cli;
pub mod config;
pub mod middleware;
pub mod recorder;
pub mod redis_store;
pub mod report;
pub mod store;
pub mod tiers;
pub mod window;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use config::RateLimitConfig;
pub use tiers::{Tier, TierLimit};

use crate::db::{rate_limits as storage, Db};
use crate::domain::CustomerTier;
use cache::TtlCache;
use recorder::Recorder;
use store::{LimitStore, MemoryStore, StoreError};
use window::Decision;

/// Shared limiter handle, cheap to clone; lives in `AppState`.
#[derive(Clone)]
pub struct RateLimits {
    inner: Arc<Inner>,
}

struct Inner {
    config: RateLimitConfig,
    db: Db,
    store: Arc<dyn LimitStore>,
    memory: Option<Arc<MemoryStore>>,
    redis: Option<Arc<redis_store::RedisStore>>,
    overrides: TtlCache<i64, Arc<HashMap<Tier, TierLimit>>>,
    plans: TtlCache<(i64, i64), CustomerTier>,
    recorder: Recorder,
    rejections: [AtomicU64; 4],
    store_failures: AtomicU64,
    flusher: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The result of checking one request against one or more keys.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Admitted; the tightest decision among the keys (for the headers).
    Allowed(Decision),
    /// Refused by `subject`.
    Refused { decision: Decision, subject: String },
    /// The store could not answer.
    Unavailable(String),
}

impl RateLimits {
    /// Builds the limiter and starts its background flusher (needs a Tokio runtime).
    pub fn start(db: Db, config: RateLimitConfig) -> anyhow::Result<RateLimits> {
        let (store, memory, redis): (Arc<dyn LimitStore>, _, _) = match &config.redis_url {
            Some(url) if !url.trim().is_empty() => {
                let redis = Arc::new(redis_store::RedisStore::new(
                    url,
                    &config.redis_prefix,
                    Duration::from_millis(config.redis_timeout_ms.max(1)),
                )?);
                (redis.clone(), None, Some(redis))
            }
            _ => {
                let memory = Arc::new(MemoryStore::new(config.max_keys));
                (memory.clone(), Some(memory), None)
            }
        };
        let ttl = Duration::from_secs(config.cache_secs);
        let limits = RateLimits {
            inner: Arc::new(Inner {
                db,
                store,
                memory,
                redis,
                overrides: TtlCache::new(ttl, 10_000),
                plans: TtlCache::new(ttl, 100_000),
                recorder: Recorder::default(),
                rejections: Default::default(),
                store_failures: AtomicU64::new(0),
                flusher: Mutex::new(None),
                config,
            }),
        };
        let handle = tokio::spawn(flush_loop(limits.clone()));
        *limits
            .inner
            .flusher
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(handle);
        Ok(limits)
    }

    pub fn enabled(&self) -> bool {
        self.inner.config.enabled
    }

    pub fn config(&self) -> &RateLimitConfig {
        &self.inner.config
    }

    /// `memory` or `redis`.
    pub fn backend(&self) -> &'static str {
        self.inner.store.name()
    }

    /// Requests refused so far, by tier (for metrics).
    pub fn rejections(&self, tier: Tier) -> u64 {
        self.inner.rejections[tier_index(tier)].load(Ordering::Relaxed)
    }

    /// Checks that failed because the store was unavailable (for metrics).
    pub fn store_failures(&self) -> u64 {
        self.inner.store_failures.load(Ordering::Relaxed)
    }

    /// Checks Redis when configured (`Ok` for the in-process store).
    pub async fn ping(&self) -> Result<(), StoreError> {
        match &self.inner.redis {
            Some(redis) => redis.ping().await,
            None => Ok(()),
        }
    }

    /// The limits of `tier` for an organization (its override, else the global default).
    pub async fn org_limit(&self, org_id: i64, tier: Tier) -> TierLimit {
        self.org_overrides(org_id)
            .await
            .get(&tier)
            .copied()
            .unwrap_or_else(|| self.inner.config.limit(tier))
    }

    /// The organization's overrides (cached; a failed lookup falls back to the defaults).
    pub async fn org_overrides(&self, org_id: i64) -> Arc<HashMap<Tier, TierLimit>> {
        if let Some(found) = self.inner.overrides.get(&org_id) {
            return found;
        }
        let map: HashMap<Tier, TierLimit> = match storage::overrides(&self.inner.db, org_id).await {
            Ok(rows) => rows
                .into_iter()
                .filter_map(|r| {
                    let tier = r.tier.parse().ok()?;
                    let limit = TierLimit::new(
                        u64::try_from(r.limit_count).ok()?,
                        u64::try_from(r.window_secs).ok()?,
                        u64::try_from(r.burst).ok()?,
                    );
                    Some((tier, limit))
                })
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, org_id, "loading rate-limit overrides failed");
                return Arc::new(HashMap::new());
            }
        };
        let map = Arc::new(map);
        self.inner.overrides.insert(org_id, map.clone());
        map
    }

    /// Forgets the cached overrides of an organization (after an admin change).
    pub fn invalidate_org(&self, org_id: i64) {
        self.inner.overrides.remove(&org_id);
    }

    /// The plan of a customer (cached; unknown customers count as standard).
    pub async fn customer_plan(&self, org_id: i64, customer_id: i64) -> CustomerTier {
        if let Some(plan) = self.inner.plans.get(&(org_id, customer_id)) {
            return plan;
        }
        let plan = match storage::customer_plan(&self.inner.db, org_id, customer_id).await {
            Ok(found) => found
                .and_then(|t| t.parse().ok())
                .unwrap_or(CustomerTier::Standard),
            Err(e) => {
                tracing::warn!(error = %e, "loading a customer plan failed");
                return CustomerTier::Standard;
            }
        };
        self.inner.plans.insert((org_id, customer_id), plan);
        plan
    }

    /// Checks a request against every key in `subjects` (all must admit) under `limit`.
    /// Keys are checked in order and checking stops at the first refusal.
    pub async fn check(&self, tier: Tier, subjects: &[String], limit: TierLimit) -> Verdict {
        let policy = limit.policy();
        let mut tightest: Option<Decision> = None;
        for subject in subjects {
            let key = format!("{}:{subject}", tier.as_str());
            match self.inner.store.hit(&key, policy).await {
                Ok(decision) if decision.allowed => {
                    if tightest.is_none_or(|t| decision.remaining < t.remaining) {
                        tightest = Some(decision);
                    }
                }
                Ok(decision) => {
                    self.inner.rejections[tier_index(tier)].fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("freight_rate_limit_rejections_total", "tier" => tier.as_str())
                        .increment(1);
                    return Verdict::Refused {
                        decision,
                        subject: subject.clone(),
                    };
                }
                Err(e) => {
                    self.inner.store_failures.fetch_add(1, Ordering::Relaxed);
                    return Verdict::Unavailable(e.to_string());
                }
            }
        }
        match tightest {
            Some(decision) => Verdict::Allowed(decision),
            None => Verdict::Unavailable("no key to check".into()),
        }
    }

    pub(crate) fn recorder(&self) -> &Recorder {
        &self.inner.recorder
    }

    /// Writes the traffic counted so far.
    pub async fn flush(&self) {
        self.inner.recorder.flush(&self.inner.db).await;
    }

    /// Stops the background flusher and writes what is left (server shutdown).
    pub async fn stop(&self) {
        let handle = self
            .inner
            .flusher
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(handle) = handle {
            handle.abort();
        }
        self.flush().await;
    }
}

fn tier_index(tier: Tier) -> usize {
    match tier {
        Tier::General => 0,
        Tier::Auth => 1,
        Tier::Ai => 2,
        Tier::Billing => 3,
    }
}

/// Traffic is kept this long; older minutes are pruned by the flusher.
const TRAFFIC_RETENTION_MS: i64 = 30 * 24 * 3600 * 1000;

/// Flushes the recorder every `flush_secs` (or when it fills up), sweeps expired in-process
/// keys, and prunes old traffic once an hour.
async fn flush_loop(limits: RateLimits) {
    let every = Duration::from_secs(limits.inner.config.flush_secs.max(1));
    let mut last_prune = std::time::Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = limits.inner.recorder.wake.notified() => {}
        }
        limits.flush().await;
        if let Some(memory) = &limits.inner.memory {
            let now = u64::try_from(crate::domain::time::now_ms()).unwrap_or_default();
            memory.sweep(now);
        }
        if last_prune.elapsed() > Duration::from_secs(3600) {
            last_prune = std::time::Instant::now();
            let before = crate::domain::time::now_ms() - TRAFFIC_RETENTION_MS;
            if let Err(e) = storage::prune_traffic(&limits.inner.db, before).await {
                tracing::warn!(error = %e, "pruning rate-limit traffic failed");
            }
        }
    }
}
