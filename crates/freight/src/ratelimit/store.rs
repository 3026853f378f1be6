//! Where the counters live: one trait, an in-process store (the default) and a Redis store
//! (`REDIS_URL`) so several `freight serve` processes share one limit.

use std::collections::HashMap;
use std::sync::Mutex;

use futures::future::BoxFuture;

use super::window::{Decision, Policy, WindowState};
use crate::domain::time::now_ms;

/// The store could not answer (Redis unreachable or too slow).
#[derive(Debug, thiserror::Error)]
#[error("rate-limit store unavailable: {0}")]
pub struct StoreError(pub String);

/// Checks and counts one request against a key.
pub trait LimitStore: Send + Sync {
    /// Decides a request for `key` under `policy`; an admitted request is counted.
    fn hit<'a>(
        &'a self,
        key: &'a str,
        policy: Policy,
    ) -> BoxFuture<'a, Result<Decision, StoreError>>;

    /// Short name for logs and the readiness check (`memory`, `redis`).
    fn name(&self) -> &'static str;
}

/// Counters in this process: a map of key → two windows behind a std `Mutex` (never held
/// across an `.await`). Bounded: when full, expired keys are dropped, and if that is not
/// enough, the least recently used eighth.
pub struct MemoryStore {
    max_keys: usize,
    clock: fn() -> u64,
    inner: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    state: WindowState,
    last_seen_ms: u64,
}

fn wall_clock_ms() -> u64 {
    u64::try_from(now_ms()).unwrap_or_default()
}

impl MemoryStore {
    pub fn new(max_keys: usize) -> Self {
        Self::with_clock(max_keys, wall_clock_ms)
    }

    /// A store reading time from `clock` (milliseconds), for tests.
    pub fn with_clock(max_keys: usize, clock: fn() -> u64) -> Self {
        MemoryStore {
            max_keys: max_keys.max(16),
            clock,
            inner: Mutex::new(HashMap::new()),
        }
    }

    /// Checks one request at `now_ms`.
    pub fn hit_at(&self, key: &str, policy: Policy, now_ms: u64) -> Decision {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = map.get_mut(key) {
            entry.last_seen_ms = now_ms;
            return entry.state.hit(policy, now_ms);
        }
        if map.len() >= self.max_keys {
            evict(&mut map, self.max_keys, now_ms);
        }
        let mut entry = Entry {
            state: WindowState::new(policy.window_ms, now_ms),
            last_seen_ms: now_ms,
        };
        let decision = entry.state.hit(policy, now_ms);
        map.insert(key.to_string(), entry);
        decision
    }

    /// Drops every key whose windows are over.
    pub fn sweep(&self, now_ms: u64) -> usize {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let before = map.len();
        map.retain(|_, e| !e.state.expired(now_ms));
        before - map.len()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|m| m.len()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn evict(map: &mut HashMap<String, Entry>, max_keys: usize, now_ms: u64) {
    map.retain(|_, e| !e.state.expired(now_ms));
    if map.len() < max_keys {
        return;
    }
    let mut seen: Vec<u64> = map.values().map(|e| e.last_seen_ms).collect();
    let cut = seen.len() / 8;
    let (_, threshold, _) = seen.select_nth_unstable(cut);
    let threshold = *threshold;
    map.retain(|_, e| e.last_seen_ms > threshold);
}

impl LimitStore for MemoryStore {
    fn hit<'a>(
        &'a self,
        key: &'a str,
        policy: Policy,
    ) -> BoxFuture<'a, Result<Decision, StoreError>> {
        let now = (self.clock)();
        Box::pin(async move { Ok(self.hit_at(key, policy, now)) })
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}
