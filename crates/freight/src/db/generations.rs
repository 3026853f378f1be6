//! Change generations that make cached reads safe: every write changes the generation of
//! what it changed, and cache keys include the generations they were computed from, so
//! after a write the next read can only miss, never see stale data.
//!
//! In process by default (a counter per organization and subject). With `REDIS_URL` the
//! generations live in Redis, so a write on one instance changes the keys every instance
//! computes: reads fetch the generations they need in one round trip (a Lua script) and a
//! write replaces them before its response is sent. A shared generation is a random 63-bit
//! token rather than a counter: when Redis loses a key (restart, eviction, expiry) the next
//! reader installs a fresh token instead of restarting from a number an old cache entry
//! might still carry.
//!
//! Redis down: a read gets `None` and the cache bypasses itself (loads from the database,
//! stores nothing), so nothing possibly stale is served. A write whose bump cannot reach
//! Redis has already committed; the bump is retried every second in the background until it
//! lands or the cache TTL has passed (after which no entry older than the write can exist).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rand::Rng;

pub use text::{search_subject, text_subjects, Bucket};

use super::creations::{Creation, CreationLog};
use super::item_versions::ItemVersions;
use crate::domain::ShipmentStatus;
use crate::redis_link::RedisLink;

/// What a generation counts changes of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// Which shipments the organization's lists hold and its aggregates: bumped by creates,
    /// status changes, assignments and edits of a field lists filter on. An edit of any other
    /// field records the shipment's version instead ([`Generations::edited`]), which only the
    /// pages showing that shipment notice. Bumping it without naming the [`Subject::Text`]
    /// buckets of the changed shipments also bumps [`Subject::AnyText`].
    Shipments,
    /// One shipment, by id.
    Shipment(i64),
    /// Which shipments are in one status (status-filtered lists).
    Status(ShipmentStatus),
    /// Any driver or vehicle of the organization (availability lists, and the driver and
    /// vehicle embedded in shipments).
    Fleet,
    /// Shipments whose reference or notes hold a word starting with this bucket (full-text
    /// search pages). See [`search_subject`].
    Text(Bucket),
    /// Shipments whose words cannot be bucketed (non-ASCII), or a write that did not name
    /// its buckets: every search page depends on it.
    AnyText,
    /// Shipments created, in process only: the organization's creation sequence
    /// (`db::creations`). A creation bumps it instead of [`Subject::Shipments`] and the
    /// `draft`/`booked` statuses, so every key depending on those gets it added
    /// ([`Generations::current`]) except first list pages, which splice new shipments in
    /// ([`Generations::current_spliceable`]).
    Created,
}

impl Subject {
    /// Whether a creation changes what this subject's dependents show (in process, where
    /// creations bump [`Subject::Created`] instead).
    fn sees_creations(self) -> bool {
        matches!(
            self,
            Subject::Shipments | Subject::Status(ShipmentStatus::Draft | ShipmentStatus::Booked)
        )
    }

    fn write_key(self, out: &mut String) {
        let _ = match self {
            Subject::Shipments => write!(out, "s"),
            Subject::Shipment(id) => write!(out, "s{id}"),
            Subject::Status(status) => write!(out, "st:{}", status.as_str()),
            Subject::Fleet => write!(out, "f"),
            Subject::Text(bucket) => write!(out, "t:{}", bucket.as_str()),
            Subject::AnyText => write!(out, "t*"),
            Subject::Created => write!(out, "c"),
        };
    }
}

/// Reads the generations of KEYS, installing ARGV[i + 1] (a fresh random token) for a key
/// that does not exist; ARGV[1] is the expiry of installed keys in seconds.
const READ_SCRIPT: &str = r"
local ttl = tonumber(ARGV[1])
local out = {}
for i, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if not v then
    v = ARGV[i + 1]
    redis.call('SET', k, v, 'EX', ttl)
  end
  out[i] = v
end
return out
";

/// Generations in Redis.
struct Shared {
    link: Arc<RedisLink>,
    read: redis::Script,
    raise: redis::Script,
    /// Expiry of generation keys: a lost key only costs misses, so this bounds memory.
    key_ttl_secs: u64,
    /// How long a failed bump is retried: the cache TTL.
    retry_for: Duration,
}

/// Per-organization change generations, in process or shared through Redis.
#[derive(Default)]
pub struct Generations {
    local: Mutex<HashMap<(i64, Subject), u64>>,
    shared: OnceLock<Shared>,
    items: ItemVersions,
    creations: CreationLog,
}

/// The generations a key is stamped with.
#[derive(Debug, PartialEq, Eq)]
pub struct Stamp {
    /// One per subject asked for, in order.
    pub generations: Vec<u64>,
    /// The organization's creation sequence when the caller can take creations in itself
    /// (in process only); `None` when creations change the generations instead.
    pub created: Option<u64>,
}

fn token() -> u64 {
    rand::thread_rng().gen_range(1..i64::MAX as u64)
}

impl Generations {
    /// Keeps the generations in Redis from now on (set once, at start-up).
    pub fn share_through(&self, link: Arc<RedisLink>, cache_ttl: Duration) {
        let _ = self.shared.set(Shared {
            link,
            read: redis::Script::new(READ_SCRIPT),
            raise: super::item_versions::raise_script(),
            key_ttl_secs: (cache_ttl.as_secs() * 4).max(3600),
            retry_for: cache_ttl,
        });
    }

    /// Whether generations live in Redis.
    pub fn is_shared(&self) -> bool {
        self.shared.get().is_some()
    }

    fn redis_keys(link: &RedisLink, org_id: i64, subjects: &[Subject]) -> Vec<String> {
        subjects
            .iter()
            .map(|subject| {
                let mut key = link.key(format_args!("gen:{org_id}:"));
                subject.write_key(&mut key);
                key
            })
            .collect()
    }

    /// The current generations of `subjects`, in order; `None` when they cannot be known
    /// (Redis configured but unreachable), in which case nothing may be served from cache.
    /// In process, a key depending on shipments or new statuses also gets the creation
    /// sequence appended.
    pub async fn current(&self, org_id: i64, subjects: &[Subject]) -> Option<Vec<u64>> {
        self.stamp(org_id, subjects, false)
            .await
            .map(|s| s.generations)
    }

    /// What a key on `subjects` is stamped with, as [`Generations::current`] gives it, or,
    /// when `spliceable` (a first page that takes shipments created since its stamp in
    /// itself, [`Generations::created_between`]), with the creation sequence apart. With
    /// Redis `created` is always `None`: there creations change the generations instead.
    pub async fn stamp(
        &self,
        org_id: i64,
        subjects: &[Subject],
        spliceable: bool,
    ) -> Option<Stamp> {
        let Some(shared) = self.shared.get() else {
            let map = self.local.lock().ok()?;
            let of = |s: &Subject| map.get(&(org_id, *s)).copied().unwrap_or(0);
            let mut generations: Vec<u64> = subjects.iter().map(of).collect();
            let created = of(&Subject::Created);
            if spliceable {
                return Some(Stamp {
                    generations,
                    created: Some(created),
                });
            }
            if subjects.iter().any(|s| s.sees_creations()) {
                generations.push(created);
            }
            return Some(Stamp {
                generations,
                created: None,
            });
        };
        let keys = Self::redis_keys(&shared.link, org_id, subjects);
        let mut invocation = shared.read.prepare_invoke();
        for key in &keys {
            invocation.key(key.as_str());
        }
        invocation.arg(shared.key_ttl_secs);
        for _ in &keys {
            invocation.arg(token());
        }
        match shared.link.script::<Vec<u64>>(&invocation).await {
            Ok(generations) if generations.len() == subjects.len() => Some(Stamp {
                generations,
                created: None,
            }),
            Ok(_) => None,
            Err(e) => {
                metrics::counter!("cache_redis_failures_total", "op" => "read").increment(1);
                tracing::warn!(error = %e, "cache generations unavailable: bypassing the cache");
                None
            }
        }
    }

    /// Records a new shipment (call after committing, and await it before answering). In
    /// process it joins the creation log and bumps the creation sequence and its text
    /// buckets; with Redis it bumps the organization's shipments, its status and its buckets.
    ///
    /// A write that reached the shipment between its commit and this call (its own
    /// generation is no longer 0: someone who saw it in a list changed it) may already have
    /// left pages loaded without it that a splice of the creation would wrongly complete, so
    /// then it is not logged and bumps like any other write.
    pub async fn created(&self, org_id: i64, creation: Creation, texts: &[Subject]) {
        let status = Subject::Status(creation.status);
        let own = Subject::Shipment(creation.id);
        if !self.is_shared() {
            if let Ok(mut map) = self.local.lock() {
                if map.get(&(org_id, own)).copied().unwrap_or(0) == 0 {
                    let seq = self.creations.push(org_id, creation);
                    for subject in texts {
                        *map.entry((org_id, *subject)).or_insert(0) += 1;
                    }
                    let created = map.entry((org_id, Subject::Created)).or_insert(0);
                    *created = (*created).max(seq);
                    return;
                }
            }
        }
        let subjects = [texts, &[Subject::Shipments, status]].concat();
        self.bump(org_id, &subjects).await;
    }

    /// The shipments created after creation `after` up to `upto` (two values of
    /// [`Stamp::created`]), oldest first; `None` when they are no longer all held.
    pub fn created_between(
        &self,
        org_id: i64,
        after: u64,
        upto: u64,
    ) -> Option<Vec<Arc<Creation>>> {
        self.creations.between(org_id, after, upto)
    }

    /// Records that shipment `id` now has `version`, after an edit that moved it in or out of
    /// no list (see `db::item_versions`). Call after committing, and await it before answering.
    pub async fn edited(&self, org_id: i64, id: i64, version: i64) {
        let Some(shared) = self.shared.get() else {
            for org in self.items.record_local(org_id, id, version) {
                self.bump(org, &[Subject::Shipments]).await;
            }
            return;
        };
        let (link, raise, ttl) = (&shared.link, &shared.raise, shared.key_ttl_secs);
        if !ItemVersions::record_shared(link, raise, ttl, org_id, id, version).await {
            metrics::counter!("cache_redis_failures_total", "op" => "edit").increment(1);
            // Invalidate every list page of the organization instead (retried until it lands).
            self.bump(org_id, &[Subject::Shipments]).await;
        }
    }

    /// Whether the `(id, version)` items a cached page was built from are all still the
    /// newest (`false` when that cannot be known).
    pub async fn items_current(&self, org_id: i64, items: &[(i64, i64)]) -> bool {
        match self.shared.get() {
            _ if items.is_empty() => true,
            None => self.items.current_local(org_id, items),
            Some(shared) => ItemVersions::current_shared(&shared.link, org_id, items).await,
        }
    }

    /// Records that `subjects` changed. Call after committing, and await it before answering,
    /// so that any read that starts after the write's response misses.
    pub async fn bump(&self, org_id: i64, subjects: &[Subject]) {
        let unnamed_texts = subjects.contains(&Subject::Shipments)
            && !subjects
                .iter()
                .any(|s| matches!(s, Subject::Text(_) | Subject::AnyText));
        let with_any_text;
        let subjects = if unnamed_texts {
            with_any_text = [subjects, &[Subject::AnyText]].concat();
            &with_any_text[..]
        } else {
            subjects
        };
        let Some(shared) = self.shared.get() else {
            if let Ok(mut map) = self.local.lock() {
                for subject in subjects {
                    *map.entry((org_id, *subject)).or_insert(0) += 1;
                }
            }
            return;
        };
        let keys = Self::redis_keys(&shared.link, org_id, subjects);
        let pipe = bump_pipeline(&keys, shared.key_ttl_secs);
        if let Err(e) = shared.link.pipeline::<()>(&pipe).await {
            metrics::counter!("cache_redis_failures_total", "op" => "bump").increment(1);
            tracing::error!(error = %e, org_id, "cache invalidation could not reach Redis: retrying");
            let (link, ttl, until) = (
                shared.link.clone(),
                shared.key_ttl_secs,
                Instant::now() + shared.retry_for,
            );
            tokio::spawn(async move {
                while Instant::now() < until {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    if link
                        .pipeline::<()>(&bump_pipeline(&keys, ttl))
                        .await
                        .is_ok()
                    {
                        tracing::info!(org_id, "delayed cache invalidation reached Redis");
                        return;
                    }
                }
            });
        }
    }
}

/// Replaces each key's token with a fresh one.
fn bump_pipeline(keys: &[String], ttl_secs: u64) -> redis::Pipeline {
    let mut pipe = redis::pipe();
    for key in keys {
        pipe.cmd("SET")
            .arg(key)
            .arg(token())
            .arg("EX")
            .arg(ttl_secs)
            .ignore();
    }
    pipe
}

mod text;

#[cfg(test)]
mod tests;
