//! How the cache's lookups were answered, per key family: kept for the analyzer and the load
//! benchmark, and exported as `cache_requests_total{family,outcome}` (plus
//! `cache_spliced_total{family}` for the hits that took in new shipments).

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;

/// Hit and miss counts of one key family.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct FamilyStats {
    pub hits: u64,
    pub misses: u64,
    /// Misses that waited for a concurrent request's load of the same key instead of
    /// loading; not counted as hits.
    pub coalesced: u64,
    /// Hits on a first page that took in shipments created since it was loaded, from the
    /// creation log and without a query (`db::creations`); included in `hits`.
    pub spliced: u64,
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

    fn add(self, other: FamilyStats) -> FamilyStats {
        FamilyStats {
            hits: self.hits + other.hits,
            misses: self.misses + other.misses,
            coalesced: self.coalesced + other.coalesced,
            spliced: self.spliced + other.spliced,
        }
    }
}

/// How one lookup was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Hit,
    /// A hit whose page first took in new shipments.
    Spliced,
    Miss,
    Coalesced,
}

/// A family's counts and its metric handles (registered once, not per read).
struct FamilyCounts {
    stats: FamilyStats,
    hits: metrics::Counter,
    misses: metrics::Counter,
    coalesced: metrics::Counter,
    spliced: metrics::Counter,
}

impl FamilyCounts {
    fn new(family: &'static str) -> Self {
        FamilyCounts {
            stats: FamilyStats::default(),
            hits: metrics::counter!("cache_requests_total", "family" => family, "outcome" => "hit"),
            misses: metrics::counter!("cache_requests_total", "family" => family, "outcome" => "miss"),
            coalesced: metrics::counter!("cache_requests_total", "family" => family, "outcome" => "coalesced"),
            spliced: metrics::counter!("cache_spliced_total", "family" => family),
        }
    }
}

/// Counts per family.
#[derive(Default)]
pub(super) struct Counts(Mutex<HashMap<&'static str, FamilyCounts>>);

impl Counts {
    pub(super) fn count(&self, family: &'static str, outcome: Outcome) {
        let Ok(mut families) = self.0.lock() else {
            return;
        };
        let entry = families
            .entry(family)
            .or_insert_with(|| FamilyCounts::new(family));
        match outcome {
            Outcome::Hit | Outcome::Spliced => {
                entry.stats.hits += 1;
                entry.hits.increment(1);
                if outcome == Outcome::Spliced {
                    entry.stats.spliced += 1;
                    entry.spliced.increment(1);
                }
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

    pub(super) fn per_family(&self) -> Vec<(&'static str, FamilyStats)> {
        self.0
            .lock()
            .map(|m| m.iter().map(|(k, v)| (*k, v.stats)).collect())
            .unwrap_or_default()
    }

    pub(super) fn total(&self) -> FamilyStats {
        self.per_family()
            .into_iter()
            .fold(FamilyStats::default(), |acc, (_, s)| acc.add(s))
    }
}
