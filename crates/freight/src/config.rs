//! Runtime configuration, read from flags and environment variables (see `.env.example`).
//!
//! Defaults make `freight serve` work with no configuration at all: an SQLite file in the
//! working directory, port 3001, a random signing key. Production sets `DATABASE_URL` and
//! `FREIGHT_JWT_SECRET`.

use std::net::SocketAddr;
use std::time::Duration;

/// Default database: a SQLite file next to where the binary runs.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://freight.db";
/// Default listening address.
pub const DEFAULT_ADDR: &str = "0.0.0.0:3001";

/// Settings for the HTTP service and everything it starts.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Database URL: `sqlite://path/to/file.db` (default) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// Address and port to listen on.
    #[arg(long, env = "FREIGHT_ADDR", default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,

    /// HMAC key for access tokens. When unset a random key is generated at start-up, which
    /// logs everyone out on restart and cannot be shared between instances.
    #[arg(long, env = "FREIGHT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "FREIGHT_ACCESS_TOKEN_TTL_SECS", default_value_t = 900)]
    pub access_token_ttl_secs: u64,

    /// Lifetime of refresh tokens, in seconds.
    #[arg(long, env = "FREIGHT_REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    pub refresh_token_ttl_secs: u64,

    /// Nice levels the request workers run below the database threads (0 turns it off); see
    /// `runtime.rs`.
    #[arg(long, env = "FREIGHT_WORKER_NICE", default_value_t = crate::runtime::DEFAULT_WORKER_NICE,
          value_parser = clap::value_parser!(i32).range(0..=19))]
    pub worker_nice: i32,

    /// Nice level of the SQLite database threads, 0 or below (−5 by default; below 0 needs
    /// root or `CAP_SYS_NICE`, otherwise they stay at 0); see `runtime.rs`.
    #[arg(long, env = "FREIGHT_DB_NICE", default_value_t = crate::runtime::DEFAULT_DB_NICE,
          value_parser = clap::value_parser!(i32).range(-20..=0))]
    pub db_nice: i32,

    /// Maximum database connections (PostgreSQL; SQLite readers are capped at 8).
    #[arg(long, env = "FREIGHT_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// Requests still running after this many seconds are answered with 408.
    #[arg(long, env = "FREIGHT_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// How often business gauges (on-time %, utilization) are recomputed, in seconds.
    #[arg(long, env = "FREIGHT_BUSINESS_METRICS_SECS", default_value_t = 60)]
    pub business_metrics_secs: u64,

    /// Metrics, per-statement statistics and request spans: `on` (default) or `off`
    /// (only for measuring their cost).
    #[arg(long, env = "FREIGHT_METRICS", default_value = "on")]
    pub metrics: String,

    /// Read-through cache for hot reads: `on` (default) or `off`.
    #[arg(long, env = "FREIGHT_CACHE", default_value = "on")]
    pub cache: String,

    /// Seconds a cached response may live (writes invalidate earlier).
    #[arg(long, env = "FREIGHT_CACHE_TTL_SECS", default_value_t = 30)]
    pub cache_ttl_secs: u64,

    /// Upper bound of cached bodies, in MiB.
    #[arg(long, env = "FREIGHT_CACHE_MAX_MB", default_value_t = 64)]
    pub cache_max_mb: u64,

    /// Prefix of the Redis keys of the cache generations and revoked sessions (with
    /// `REDIS_URL`; the rate limiter has its own prefix).
    #[arg(
        long = "redis-prefix",
        env = "FREIGHT_REDIS_PREFIX",
        default_value = "freight:"
    )]
    pub redis_key_prefix: String,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "FREIGHT_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// GPS tracking settings (`FREIGHT_TRACKING_*`, `FREIGHT_OSMAND_ADDR`, …).
    #[command(flatten)]
    pub tracking: crate::tracking::TrackingConfig,

    /// Rate limits (`FREIGHT_RATE_LIMITS`, `FREIGHT_RATE_LIMIT_*`, `REDIS_URL`).
    #[command(flatten)]
    pub rate_limits: crate::ratelimit::RateLimitConfig,
}

impl Config {
    /// The defaults, with the given database. Used by tests and tools that embed the app.
    pub fn with_database(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            addr: DEFAULT_ADDR.parse().expect("valid default address"),
            jwt_secret: None,
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            worker_nice: crate::runtime::DEFAULT_WORKER_NICE,
            db_nice: 0,
            db_max_connections: 16,
            request_timeout_secs: 30,
            max_body_bytes: 1024 * 1024,
            business_metrics_secs: 60,
            metrics: "on".into(),
            cache: "on".into(),
            cache_ttl_secs: 30,
            cache_max_mb: 64,
            redis_key_prefix: "freight:".into(),
            tracking: crate::tracking::TrackingConfig::default(),
            rate_limits: crate::ratelimit::RateLimitConfig::default(),
        }
    }

    pub fn metrics_enabled(&self) -> bool {
        !self.metrics.eq_ignore_ascii_case("off")
    }

    pub fn cache_enabled(&self) -> bool {
        !self.cache.eq_ignore_ascii_case("off")
    }

    pub fn access_token_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl_secs)
    }

    pub fn refresh_token_ttl(&self) -> Duration {
        Duration::from_secs(self.refresh_token_ttl_secs)
    }
}
