//! One lazily connected Redis: opened on first use, re-opened at most once a second after a
//! failure, and every call bounded by a timeout, so an unreachable Redis costs a request at
//! most that timeout and never blocks start-up. What a failure means is decided by each
//! caller: the rate limiter fails open or closed per tier, the cache bypasses itself, and
//! revocation checks fall back to the database.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::FromRedisValue;

/// Redis could not be reached or did not answer in time.
#[derive(Debug, Clone)]
pub struct LinkError(pub String);

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A lazily connected Redis with a key prefix and a per-call timeout.
pub struct RedisLink {
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    conn: Mutex<Option<ConnectionManager>>,
    last_attempt: Mutex<Option<Instant>>,
    connect: tokio::sync::Mutex<()>,
}

impl RedisLink {
    /// Parses the URL; does not connect (the first call does).
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("REDIS_URL is not a valid Redis URL: {e}"))?;
        Ok(RedisLink {
            client,
            prefix: prefix.to_string(),
            timeout,
            conn: Mutex::new(None),
            last_attempt: Mutex::new(None),
            connect: tokio::sync::Mutex::new(()),
        })
    }

    /// `suffix` under this link's prefix.
    pub fn key(&self, suffix: std::fmt::Arguments<'_>) -> String {
        format!("{}{suffix}", self.prefix)
    }

    async fn connection(&self) -> Result<ConnectionManager, LinkError> {
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
                return Err(LinkError("Redis unreachable (retrying shortly)".into()));
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
        .map_err(|_| LinkError("Redis connection timed out".into()))?
        .map_err(|e| LinkError(format!("Redis connection failed: {e}")))?;
        *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = Some(manager.clone());
        Ok(manager)
    }

    fn cached(&self) -> Option<ConnectionManager> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Runs one command.
    pub async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, LinkError> {
        let mut conn = self.connection().await?;
        self.bounded(cmd.query_async(&mut conn)).await
    }

    /// Runs a pipeline in one round trip.
    pub async fn pipeline<T: FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<T, LinkError> {
        let mut conn = self.connection().await?;
        self.bounded(pipe.query_async(&mut conn)).await
    }

    /// Runs a Lua script (EVALSHA, loading it on first use).
    pub async fn script<T: FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, LinkError> {
        let mut conn = self.connection().await?;
        self.bounded(invocation.invoke_async(&mut conn)).await
    }

    async fn bounded<T>(
        &self,
        call: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, LinkError> {
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| LinkError("Redis call timed out".into()))?
            .map_err(|e| LinkError(format!("Redis call failed: {e}")))
    }
}
