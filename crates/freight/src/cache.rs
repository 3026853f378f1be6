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
}

impl FamilyStats {
    pub fn hit_rate(&self) -> f64 {
        let total = self.hits + self.misses;
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
}

impl FamilyCounts {
    fn new(family: &'static str) -> Self {
        FamilyCounts {
            stats: FamilyStats::default(),
            hits: metrics::counter!("cache_requests_total", "family" => family, "outcome" => "hit"),
            misses: metrics::counter!("cache_requests_total", "family" => family, "outcome" => "miss"),
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
        if let Some(key) = &key {
            if let Some(hit) = self.store.get(key).await {
                if self.generations.items_current(org_id, &hit.items).await {
                    self.count(family, true);
                    return Ok(hit);
                }
            }
        }
        self.count(family, false);
        let value = load().await?;
        let body = serde_json::to_vec(&value).map_err(|e| E::from(e.into()))?;
        let described = describe(&value);
        let cached = Cached {
            etag: described.etag,
            body: Bytes::from(body),
            item_ends: Arc::default(),
            items: described.items.into(),
        };
        if let Some(key) = key {
            self.store.insert(key, cached.clone()).await;
        }
        Ok(cached)
    }

    fn count(&self, family: &'static str, hit: bool) {
        if let Ok(mut families) = self.stats.lock() {
            let entry = families
                .entry(family)
                .or_insert_with(|| FamilyCounts::new(family));
            if hit {
                entry.stats.hits += 1;
                entry.hits.increment(1);
            } else {
                entry.stats.misses += 1;
                entry.misses.increment(1);
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
            });
        total.hit_rate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(cache: &Cache, loads: &mut u32, value: u32) -> Bytes {
        let got: Result<Cached, anyhow::Error> = cache
            .get_or_load(
                "t",
                1,
                &[Subject::Fleet],
                "k".into(),
                || {
                    *loads += 1;
                    async move { Ok::<_, anyhow::Error>(vec![value]) }
                },
                |_| Describe::default(),
            )
            .await;
        got.unwrap().body
    }

    #[tokio::test]
    async fn loads_once_then_hits_until_a_generation_changes() {
        let generations = Arc::new(Generations::default());
        let cache = Cache::new(1 << 20, Duration::from_secs(60), true, generations.clone());
        let mut loads = 0;
        for _ in 0..3 {
            assert_eq!(&read(&cache, &mut loads, 1).await[..], b"[1]");
        }
        assert_eq!(loads, 1);
        generations.bump(2, &[Subject::Fleet]).await;
        assert_eq!(&read(&cache, &mut loads, 2).await[..], b"[1]", "other org");
        generations.bump(1, &[Subject::Shipments]).await;
        assert_eq!(
            &read(&cache, &mut loads, 2).await[..],
            b"[1]",
            "other subject"
        );
        generations.bump(1, &[Subject::Fleet]).await;
        assert_eq!(
            &read(&cache, &mut loads, 3).await[..],
            b"[3]",
            "a new generation misses"
        );
        let stats = cache.stats();
        assert_eq!((stats[0].1.hits, stats[0].1.misses), (4, 2));
    }

    #[tokio::test]
    async fn a_disabled_cache_always_loads() {
        let cache = Cache::new(1 << 20, Duration::from_secs(60), false, Arc::default());
        let mut loads = 0;
        for _ in 0..2 {
            read(&cache, &mut loads, 1).await;
        }
        assert_eq!(loads, 2);
        assert_eq!(cache.stats()[0].1.misses, 2);
    }
}
