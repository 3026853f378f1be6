//! Counters in Redis, so every `freight serve` process pointed at the same Redis enforces one
//! limit. Each check is one atomic Lua script (read both windows, decide, count), using the
//! Redis server's clock so instances with skewed clocks still agree on window boundaries.
//!
//! The connection (lazy, bounded by a timeout) is a [`RedisLink`]; what a failure *means*
//! (fail open or closed) is decided by the caller, per tier.

use std::time::Duration;

use futures::future::BoxFuture;

use super::store::{LimitStore, StoreError};
use super::window::{decide, Counts, Decision, Policy};
use crate::redis_link::RedisLink;

/// The sliding-window check of `window.rs`, in Lua: same integer rule, same burst rule.
/// KEYS[1] = key base; ARGV = window_ms, limit, burst. Returns {prev, curr, elapsed_ms}
/// as seen *before* this request; the request was counted when the rule admitted it.
/// The window keys are derived from KEYS[1] (single-instance Redis, not Redis Cluster).
const CHECK_SCRIPT: &str = r"
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local w = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local idx = math.floor(now_ms / w)
local t = now_ms - idx * w
local ck = KEYS[1] .. ':' .. string.format('%d', idx)
local pk = KEYS[1] .. ':' .. string.format('%d', idx - 1)
local curr = tonumber(redis.call('GET', ck) or '0')
local prev = tonumber(redis.call('GET', pk) or '0')
if prev * (w - t) + (curr + 1) * w <= limit * w or curr < burst then
  redis.call('INCR', ck)
  redis.call('PEXPIRE', ck, 2 * w + 1000)
end
return {prev, curr, t}
";

/// A Redis-backed [`LimitStore`].
pub struct RedisStore {
    link: RedisLink,
    script: redis::Script,
}

impl RedisStore {
    /// Parses the URL; does not connect (the first check does).
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> anyhow::Result<Self> {
        Ok(RedisStore {
            link: RedisLink::new(url, prefix, timeout)?,
            script: redis::Script::new(CHECK_SCRIPT),
        })
    }

    async fn check(&self, key: &str, policy: Policy) -> Result<Decision, StoreError> {
        let mut invocation = self.script.key(self.link.key(format_args!("{key}")));
        invocation
            .arg(policy.window_ms.max(1))
            .arg(policy.limit)
            .arg(policy.burst);
        let (prev, curr, elapsed_ms): (u64, u64, u64) = self
            .link
            .script(&invocation)
            .await
            .map_err(|e| StoreError(e.0))?;
        Ok(decide(
            policy,
            Counts {
                prev,
                curr,
                elapsed_ms,
            },
        ))
    }

    /// One round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.link
            .query::<String>(&redis::cmd("PING"))
            .await
            .map(|_| ())
            .map_err(|e| StoreError(e.0))
    }
}

impl LimitStore for RedisStore {
    fn hit<'a>(
        &'a self,
        key: &'a str,
        policy: Policy,
    ) -> BoxFuture<'a, Result<Decision, StoreError>> {
        Box::pin(self.check(key, policy))
    }

    fn name(&self) -> &'static str {
        "redis"
    }
}
