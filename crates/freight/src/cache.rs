//! Read-through cache for the hot reads (shipment lists and pages, driver availability,
//! dashboard aggregates).
//!
//! What is cached is the finished JSON response body, so a hit costs neither a query nor
//! serialization. Keys carry the caller's scope and the change generations of the data
//! they were built from (`db::generations`): a write bumps the generation, so the next read
//! misses and reloads — a write is never followed by a stale read. With `REDIS_URL` the
//! generations are shared, so that holds across instances; the bodies stay in each process
//! (a shared body store would save each instance's first load of a page per generation, at
//! the price of a round trip and the body's transfer on every local miss). When the
//! generations cannot be read (Redis down) the cache is bypassed: loaded, never stored or
//! served. Entries also expire after a TTL and the store is bounded in bytes. Hits and misses
//! per key family are exported as metrics and kept for the analyzer.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use serde::Serialize;

use crate::db::generations::{Generations, Subject};

/// A cached response: its body and, for single resources, its ETag.
#[derive(Clone, Debug)]
pub struct Cached {
    pub body: Bytes,
    pub etag: Option<String>,
    /// Where each item of a cached page ends, worked out once per cached body by whoever
    /// needs it (the live-tracking merge) and shared by every hit.
    pub item_ends: Arc<OnceLock<Vec<(i64, usize)>>>,
    /// `(id, version)` of the shipments a page shows: checked on every hit against the
    /// versions recorded by edits (`db::item_versions`).
    items: Arc<[(i64, i64)]>,
}

/// What [`Cache::get_or_load`] keeps beside a body, worked out from the loaded value.
#[derive(Debug, Default)]
pub struct Describe {
    /// The ETag of a single resource.
    pub etag: Option<String>,
    /// `(id, version)` of each shipment the body shows, for a page that edits of those
    /// shipments must invalidate without bumping a generation.
    pub items: Vec<(i64, i64)>,
}

/// Hit and miss counts of one key family.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct FamilyStats {
    pub hits: u64,
    pub misses: u64,
    /// Misses that waited for a concurrent request's load of the same key instead of
    /// loading; not counted as hits.
    pub coalesced: u64,
}

/// How one lookup was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Hit,
    Miss,
    Coalesced,
}

impl FamilyStats {
    /// Lookups of any outcome.
    pub fn lookups(&self) -> u64 {
        self.hits + self.misses + self.coalesced
    }

    /// Hits over all lookups (coalesced misses count as misses here).
    pub fn hit_rate(&self) -> f64 {
        let total = self.lookups();
        if total == 0 {
            0.0
        } else {
            self.hits as f64 / total as f64
        }
    }
}

/// A family's counts and its `cache_requests_total` handles (registered once, not per read).
struct FamilyCounts {
    stats: FamilyStats,
    hits: metrics::Counter,
    misses: metrics::Counter,
    coalesced: metrics::Counter,
}

impl FamilyCounts {
    fn new(family: &'static str) -> Self {
        FamilyCounts {
            stats: FamilyStats::default(),
            hits: metrics::counter!("cache_requests_total", "family" => family, "outcome" => "hit"),
            misses: metrics::counter!("cache_requests_total", "family" => family, "outcome" => "miss"),
            coalesced: metrics::counter!("cache_requests_total", "family" => family, "outcome" => "coalesced"),
        }
    }
}

/// The cache handle (cheap to clone).
#[derive(Clone)]
pub struct Cache {
    store: moka::future::Cache<String, Cached>,
    stats: Arc<Mutex<HashMap<&'static str, FamilyCounts>>>,
    generations: Arc<Generations>,
    enabled: bool,
}

impl Cache {
    /// A cache of at most `max_bytes` of bodies whose entries live `ttl`.
    /// Keys are stamped with `generations` (the database handle's).
    pub fn new(
        max_bytes: u64,
        ttl: Duration,
        enabled: bool,
        generations: Arc<Generations>,
    ) -> Self {
        let store = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &String, value: &Cached| {
                (key.len() + value.body.len())
                    .try_into()
                    .unwrap_or(u32::MAX)
            })
            .time_to_live(ttl)
            .build();
        Cache {
            store,
            stats: Arc::default(),
            generations,
            enabled,
        }
    }

    /// Returns the cached body for `key` within `family`, or runs `load`, serializes its
    /// value, stores and returns it. `org_id` and `depends_on` name the data the body is
    /// built from: their current generations become part of the key. `describe` names the
    /// ETag and the shipments shown; a hit whose shipments have been edited since is a miss.
    pub async fn get_or_load<T, E, Fut>(
        &self,
        family: &'static str,
        org_id: i64,
        depends_on: &[Subject],
        key: String,
        load: impl FnOnce() -> Fut,
        describe: impl FnOnce(&T) -> Describe,
    ) -> Result<Cached, E>
    where
        T: Serialize,
        Fut: Future<Output = Result<T, E>>,
        E: From<anyhow::Error>,
    {
        let stamped = match self.enabled {
            true => self.generations.current(org_id, depends_on).await,
            false => None,
        };
        let key = stamped.map(|generations| {
            let mut full = String::with_capacity(family.len() + key.len() + 24);
            full.push_str(family);
            full.push('|');
            full.push_str(&key);
            for g in generations {
                let _ = write!(full, "|{g}");
            }
            full
        });
        let Some(key) = key else {
            self.count(family, Outcome::Miss);
            return load_body(load, describe).await;
        };
        if let Some(hit) = self.store.get(&key).await {
            if self.generations.items_current(org_id, &hit.items).await {
                self.count(family, Outcome::Hit);
                return Ok(hit);
            }
            self.store.invalidate(&key).await;
        }
        // Concurrent misses of one key share one load: right after a write changed a hot
        // page's key, every reader of that page would otherwise load it at once.
        // Only the request whose future runs takes the job; the others keep theirs.
        let mut job = Some((load, describe));
        let mut failure: Option<E> = None;
        let shared = self
            .store
            .entry(key.clone())
            .or_try_insert_with(async {
                let (load, describe) = job.take().ok_or(())?;
                load_body(load, describe).await.map_err(|e| {
                    failure = Some(e);
                })
            })
            .await;
        match shared {
            Ok(entry) if entry.is_fresh() => {
                self.count(family, Outcome::Miss);
                return Ok(entry.into_value());
            }
            // Loaded by a concurrent request with the same key (same generations); its
            // shipments must still be unedited, as for any hit.
            Ok(entry) => {
                let cached = entry.into_value();
                if self.generations.items_current(org_id, &cached.items).await {
                    self.count(family, Outcome::Coalesced);
                    return Ok(cached);
                }
                self.store.invalidate(&key).await;
            }
            Err(_) => {
                if let Some(e) = failure {
                    self.count(family, Outcome::Miss);
                    return Err(e);
                }
            }
        }
        // The shared load failed elsewhere or was stale for this request: load alone.
        self.count(family, Outcome::Miss);
        let (load, describe) =
            job.ok_or_else(|| E::from(anyhow::anyhow!("cache load ran twice for {family}")))?;
        load_body(load, describe).await
    }

    fn count(&self, family: &'static str, outcome: Outcome) {
        if let Ok(mut families) = self.stats.lock() {
            let entry = families
                .entry(family)
                .or_insert_with(|| FamilyCounts::new(family));
            match outcome {
                Outcome::Hit => {
                    entry.stats.hits += 1;
                    entry.hits.increment(1);
                }
                Outcome::Miss => {
                    entry.stats.misses += 1;
                    entry.misses.increment(1);
                }
                Outcome::Coalesced => {
                    entry.stats.coalesced += 1;
                    entry.coalesced.increment(1);
                }
            }
        }
    }

    /// Hit/miss counts per key family.
    pub fn stats(&self) -> Vec<(&'static str, FamilyStats)> {
        self.stats
            .lock()
            .map(|m| m.iter().map(|(k, v)| (*k, v.stats)).collect())
            .unwrap_or_default()
    }

    /// Overall hit rate across families.
    pub fn hit_rate(&self) -> f64 {
        let total = self
            .stats()
            .into_iter()
            .fold(FamilyStats::default(), |acc, (_, s)| FamilyStats {
                hits: acc.hits + s.hits,
                misses: acc.misses + s.misses,
                coalesced: acc.coalesced + s.coalesced,
            });
        total.hit_rate()
    }
}

/// Runs a load and turns its value into a cacheable body.
async fn load_body<T, E, Fut>(
    load: impl FnOnce() -> Fut,
    describe: impl FnOnce(&T) -> Describe,
) -> Result<Cached, E>
where
    T: Serialize,
    Fut: Future<Output = Result<T, E>>,
    E: From<anyhow::Error>,
{
    let value = load().await?;
    let body = serde_json::to_vec(&value).map_err(|e| E::from(e.into()))?;
    let described = describe(&value);
    Ok(Cached {
        etag: described.etag,
        body: Bytes::from(body),
        item_ends: Arc::default(),
        items: described.items.into(),
    })
}

#[cfg(test)]
mod tests;
