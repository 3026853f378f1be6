//! Counters in Redis, so every `freight serve` process pointed at the same Redis enforces one
//! limit. Each check is one atomic Lua script (read both windows, decide, count), using the
//! Redis server's clock so instances with skewed clocks still agree on window boundaries.
//!
//! Connection handling: the connection is opened lazily and re-opened at most once a second
//! after a failure, and every call is bounded by a timeout, so an unreachable Redis costs a
//! request at most `timeout` and never blocks start-up. What a failure *means* (fail open or
//! closed) is decided by the caller, per tier.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::store::{LimitStore, StoreError};
use super::window::{decide, Counts, Decision, Policy};

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
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    script: redis::Script,
    conn: Mutex<Option<ConnectionManager>>,
    /// When the last connection attempt started; attempts are spaced by a second.
    last_attempt: Mutex<Option<Instant>>,
    connect: tokio::sync::Mutex<()>,
}

impl RedisStore {
    /// Parses the URL; does not connect (the first check does).
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("REDIS_URL is not a valid Redis URL: {e}"))?;
        Ok(RedisStore {
            client,
            prefix: prefix.to_string(),
            timeout,
            script: redis::Script::new(CHECK_SCRIPT),
            conn: Mutex::new(None),
            last_attempt: Mutex::new(None),
            connect: tokio::sync::Mutex::new(()),
        })
    }

    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        if let Some(conn) = self.cached() {
            return Ok(conn);
        }
        let _one_at_a_time = self.connect.lock().await;
        if let Some(conn) = self.cached() {
            return Ok(conn);
        }
        {
            let mut last = self.last_attempt.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                return Err(StoreError("Redis unreachable (retrying shortly)".into()));
            }
            *last = Some(Instant::now());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            .set_number_of_retries(1);
        let manager = tokio::time::timeout(
            self.timeout * 2,
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await
        .map_err(|_| StoreError("Redis connection timed out".into()))?
        .map_err(|e| StoreError(format!("Redis connection failed: {e}")))?;
        *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = Some(manager.clone());
        Ok(manager)
    }

    fn cached(&self) -> Option<ConnectionManager> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    async fn check(&self, key: &str, policy: Policy) -> Result<Decision, StoreError> {
        let mut conn = self.connection().await?;
        let mut invocation = self.script.key(format!("{}{key}", self.prefix));
        invocation
            .arg(policy.window_ms.max(1))
            .arg(policy.limit)
            .arg(policy.burst);
        let reply: Result<(u64, u64, u64), _> =
            tokio::time::timeout(self.timeout, invocation.invoke_async(&mut conn))
                .await
                .map_err(|_| StoreError("Redis call timed out".into()))?;
        let (prev, curr, elapsed_ms) =
            reply.map_err(|e| StoreError(format!("Redis call failed: {e}")))?;
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
        let mut conn = self.connection().await?;
        let reply: Result<String, _> =
            tokio::time::timeout(self.timeout, redis::cmd("PING").query_async(&mut conn))
                .await
                .map_err(|_| StoreError("Redis ping timed out".into()))?;
        reply
            .map(|_| ())
            .map_err(|e| StoreError(format!("Redis ping failed: {e}")))
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
