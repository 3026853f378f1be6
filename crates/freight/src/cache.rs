//! Read-through cache for the hot reads (shipment lists and pages, driver availability,
//! dashboard aggregates).
//!
//! What is cached is the finished JSON response body, so a hit costs neither a query nor
//! serialization. Keys carry the caller's scope and the change generations of the data
//! they were built from (`db::generations`): a write bumps the generation, so the next read
//! misses and reloads — a write is never followed by a stale read. A booking is the one
//! write that is not a bump for first list pages: in process, such a page takes the new
//! shipment in from the creation log (`db::creations`, [`Cache::get_or_load_page`]). With
//! `REDIS_URL` the generations are shared, so that holds across instances; the bodies stay in
//! each process (a shared body store would save each instance's first load of a page per
//! generation, at the price of a round trip and the body's transfer on every local miss).
//! When the generations cannot be read (Redis down) the cache is bypassed: loaded, never
//! stored or served. Entries also expire after a TTL and the store is bounded in bytes. Hits
//! and misses per key family are exported as metrics and kept for the analyzer.

use std::fmt::Write as _;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use serde::Serialize;

use crate::db::creations::Creation;
use crate::db::generations::{Generations, Subject};
pub use stats::FamilyStats;
use stats::{Counts, Outcome};

mod stats;

/// A cached response: its body and, for single resources, its ETag.
#[derive(Clone, Debug)]
pub struct Cached {
    pub body: Bytes,
    pub etag: Option<String>,
    /// Where each item of a cached page ends, worked out once per cached body by whoever
    /// needs it (the live-tracking merge, a splice) and shared by every hit.
    pub item_ends: Arc<OnceLock<Vec<(i64, usize)>>>,
    /// `(id, version)` of the shipments a page shows: checked on every hit against the
    /// versions recorded by edits (`db::item_versions`).
    items: Arc<[(i64, i64)]>,
    /// The organization's creation sequence the page is complete up to (first pages that
    /// splice; 0 otherwise).
    created: u64,
    /// When the database was last asked: a spliced page is stored again, which restarts the
    /// store's TTL, so a page older than the TTL reloads instead of splicing.
    loaded_at: Instant,
}

impl Cached {
    /// `(id, version)` of the shipments the body shows.
    pub fn items(&self) -> &[(i64, i64)] {
        &self.items
    }
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

/// What a first page made of the shipments created since it was loaded.
#[derive(Debug)]
pub enum Spliced {
    /// None of them belongs on it: the page stands as it is.
    Unchanged,
    /// The page with them in: its new body, `(id, version)` items, and where each item
    /// ends in the body (as `Cached::item_ends`).
    Page {
        body: Vec<u8>,
        items: Vec<(i64, i64)>,
        ends: Vec<(i64, usize)>,
    },
}

/// Brings a cached first page up to date with the creations given (oldest first); `None`
/// when it cannot, and the page must be reloaded.
pub type Splice<'a> = &'a (dyn Fn(&Cached, &[Arc<Creation>]) -> Option<Spliced> + Send + Sync);

/// The cache handle (cheap to clone).
#[derive(Clone)]
pub struct Cache {
    store: moka::future::Cache<String, Cached>,
    counts: Arc<Counts>,
    generations: Arc<Generations>,
    enabled: bool,
    ttl: Duration,
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
            counts: Arc::default(),
            generations,
            enabled,
            ttl,
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
        let lookup = Lookup {
            family,
            org_id,
            splice: None,
        };
        self.serve(lookup, depends_on, key, load, describe).await
    }

    /// [`Cache::get_or_load`] for the first page of a newest-first shipment list: shipments
    /// created since the cached page was loaded do not change its key; `splice` takes them
    /// in instead (a hit without a query). Only in process; with Redis this is `get_or_load`.
    #[allow(clippy::too_many_arguments)]
    pub async fn get_or_load_page<T, E, Fut>(
        &self,
        family: &'static str,
        org_id: i64,
        depends_on: &[Subject],
        key: String,
        splice: Splice<'_>,
        load: impl FnOnce() -> Fut,
        describe: impl FnOnce(&T) -> Describe,
    ) -> Result<Cached, E>
    where
        T: Serialize,
        Fut: Future<Output = Result<T, E>>,
        E: From<anyhow::Error>,
    {
        let lookup = Lookup {
            family,
            org_id,
            splice: Some(splice),
        };
        self.serve(lookup, depends_on, key, load, describe).await
    }

    async fn serve<T, E, Fut>(
        &self,
        lookup: Lookup<'_>,
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
        let Lookup { family, org_id, .. } = lookup;
        let stamp = if self.enabled {
            let spliceable = lookup.splice.is_some();
            self.generations.stamp(org_id, depends_on, spliceable).await
        } else {
            None
        };
        let Some(stamp) = stamp else {
            self.counts.count(family, Outcome::Miss);
            return load_body(load, describe, 0).await;
        };
        let mut full = String::with_capacity(family.len() + key.len() + 24);
        full.push_str(family);
        full.push('|');
        full.push_str(&key);
        for g in &stamp.generations {
            let _ = write!(full, "|{g}");
        }
        let key = full;
        let created = stamp.created.unwrap_or(0);
        if let Some(hit) = self.store.get(&key).await {
            if let Some((current, outcome)) = self.servable(&lookup, &key, hit, created).await {
                self.counts.count(family, outcome);
                return Ok(current);
            }
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
                load_body(load, describe, created).await.map_err(|e| {
                    failure = Some(e);
                })
            })
            .await;
        match shared {
            Ok(entry) if entry.is_fresh() => {
                self.counts.count(family, Outcome::Miss);
                return Ok(entry.into_value());
            }
            // Loaded by a concurrent request with the same key (same generations); its
            // shipments must still be unedited, as for any hit.
            Ok(entry) => {
                let loaded = entry.into_value();
                if let Some((current, _)) = self.servable(&lookup, &key, loaded, created).await {
                    self.counts.count(family, Outcome::Coalesced);
                    return Ok(current);
                }
            }
            Err(_) => {
                if let Some(e) = failure {
                    self.counts.count(family, Outcome::Miss);
                    return Err(e);
                }
            }
        }
        // The shared load failed elsewhere or was stale for this request: load alone.
        self.counts.count(family, Outcome::Miss);
        let (load, describe) =
            job.ok_or_else(|| E::from(anyhow::anyhow!("cache load ran twice for {family}")))?;
        load_body(load, describe, created).await
    }

    /// [`Cache::bring_up_to_date`], keeping the store in step: a page brought up to date is
    /// stored again under `key`, one that cannot be served is dropped from it.
    async fn servable(
        &self,
        lookup: &Lookup<'_>,
        key: &str,
        cached: Cached,
        created: u64,
    ) -> Option<(Cached, Outcome)> {
        let was = cached.created;
        let Some((current, outcome)) = self.bring_up_to_date(lookup, cached, created).await else {
            self.store.invalidate(key).await;
            return None;
        };
        if current.created != was {
            self.store.insert(key.to_owned(), current.clone()).await;
        }
        Some((current, outcome))
    }

    /// A cached body as this request may serve it: taking in the shipments created since it
    /// was loaded (up to creation `created`) when it is a spliceable page, and only while
    /// none of the shipments it shows has been edited since. `None`: reload.
    async fn bring_up_to_date(
        &self,
        lookup: &Lookup<'_>,
        cached: Cached,
        created: u64,
    ) -> Option<(Cached, Outcome)> {
        let (cached, outcome) = match lookup.splice {
            Some(_) if cached.created < created && cached.loaded_at.elapsed() > self.ttl => {
                return None
            }
            Some(splice) if cached.created < created => {
                let new =
                    self.generations
                        .created_between(lookup.org_id, cached.created, created)?;
                match splice(&cached, &new)? {
                    Spliced::Unchanged => (Cached { created, ..cached }, Outcome::Hit),
                    Spliced::Page { body, items, ends } => {
                        let page = Cached {
                            body: Bytes::from(body),
                            etag: None,
                            item_ends: Arc::new(OnceLock::from(ends)),
                            items: items.into(),
                            created,
                            loaded_at: cached.loaded_at,
                        };
                        (page, Outcome::Spliced)
                    }
                }
            }
            _ => (cached, Outcome::Hit),
        };
        let current = self
            .generations
            .items_current(lookup.org_id, &cached.items)
            .await;
        current.then_some((cached, outcome))
    }

    /// Hit/miss counts per key family.
    pub fn stats(&self) -> Vec<(&'static str, FamilyStats)> {
        self.counts.per_family()
    }

    /// Overall hit rate across families.
    pub fn hit_rate(&self) -> f64 {
        self.counts.total().hit_rate()
    }
}

/// Who is asking: the family and organization, and whether the body is a first page that
/// takes in new shipments.
struct Lookup<'a> {
    family: &'static str,
    org_id: i64,
    splice: Option<Splice<'a>>,
}

/// Runs a load and turns its value into a cacheable body, complete up to creation `created`.
async fn load_body<T, E, Fut>(
    load: impl FnOnce() -> Fut,
    describe: impl FnOnce(&T) -> Describe,
    created: u64,
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
        created,
        loaded_at: Instant::now(),
    })
}

#[cfg(test)]
mod splice_tests;
#[cfg(test)]
mod tests;
