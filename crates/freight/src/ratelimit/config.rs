//! Rate-limit settings (`FREIGHT_RATE_LIMIT*`, `REDIS_URL`), flattened into the service config.

use super::tiers::{Tier, TierLimit};

/// Global rate-limit settings; organizations may override the tier limits.
#[derive(Debug, Clone, clap::Args)]
pub struct RateLimitConfig {
    /// `on` (default) or `off`: with `off` no request is limited and no headers are sent.
    #[arg(long = "rate-limits", env = "FREIGHT_RATE_LIMITS", default_value = "on",
        value_parser = parse_switch, action = clap::ArgAction::Set)]
    pub enabled: bool,

    /// General tier, `LIMIT/WINDOW_SECS+BURST`.
    #[arg(
        long = "rate-limit-general",
        env = "FREIGHT_RATE_LIMIT_GENERAL",
        default_value = "100/900+10"
    )]
    pub general: TierLimit,

    /// Login and refresh, per account and per client IP.
    #[arg(
        long = "rate-limit-auth",
        env = "FREIGHT_RATE_LIMIT_AUTH",
        default_value = "5/900+0"
    )]
    pub auth: TierLimit,

    /// AI and optimization endpoints.
    #[arg(
        long = "rate-limit-ai",
        env = "FREIGHT_RATE_LIMIT_AI",
        default_value = "20/60+2"
    )]
    pub ai: TierLimit,

    /// Billing, invoices and quotes.
    #[arg(
        long = "rate-limit-billing",
        env = "FREIGHT_RATE_LIMIT_BILLING",
        default_value = "30/900+3"
    )]
    pub billing: TierLimit,

    /// Share counters through Redis (`redis://host:6379/0`); in-process when unset.
    #[arg(long = "rate-limit-redis-url", env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key the limiter writes.
    #[arg(
        long = "rate-limit-redis-prefix",
        env = "FREIGHT_RATE_LIMIT_REDIS_PREFIX",
        default_value = "freight:rl:"
    )]
    pub redis_prefix: String,

    /// Longest wait for Redis per check, in milliseconds; past it the check counts as failed.
    #[arg(
        long = "rate-limit-redis-timeout-ms",
        env = "FREIGHT_RATE_LIMIT_REDIS_TIMEOUT_MS",
        default_value_t = 250
    )]
    pub redis_timeout_ms: u64,

    /// Most keys the in-process store holds before evicting.
    #[arg(
        long = "rate-limit-max-keys",
        env = "FREIGHT_RATE_LIMIT_MAX_KEYS",
        default_value_t = 100_000
    )]
    pub max_keys: usize,

    /// Take the client IP from `X-Forwarded-For` (only behind a proxy that sets it).
    #[arg(long = "rate-limit-trust-forwarded", env = "FREIGHT_RATE_LIMIT_TRUST_FORWARDED",
        default_value = "off", value_parser = parse_switch, action = clap::ArgAction::Set)]
    pub trust_forwarded: bool,

    /// How often recorded traffic is written to the database, in seconds.
    #[arg(
        long = "rate-limit-flush-secs",
        env = "FREIGHT_RATE_LIMIT_FLUSH_SECS",
        default_value_t = 10
    )]
    pub flush_secs: u64,

    /// How long organization overrides and customer plans are cached, in seconds.
    #[arg(
        long = "rate-limit-cache-secs",
        env = "FREIGHT_RATE_LIMIT_CACHE_SECS",
        default_value_t = 30
    )]
    pub cache_secs: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: true,
            general: TierLimit::default_for(Tier::General),
            auth: TierLimit::default_for(Tier::Auth),
            ai: TierLimit::default_for(Tier::Ai),
            billing: TierLimit::default_for(Tier::Billing),
            redis_url: None,
            redis_prefix: "freight:rl:".into(),
            redis_timeout_ms: 250,
            max_keys: 100_000,
            trust_forwarded: false,
            flush_secs: 10,
            cache_secs: 30,
        }
    }
}

impl RateLimitConfig {
    /// The global limit of a tier.
    pub fn limit(&self, tier: Tier) -> TierLimit {
        match tier {
            Tier::General => self.general,
            Tier::Auth => self.auth,
            Tier::Ai => self.ai,
            Tier::Billing => self.billing,
        }
    }

    /// Every tier's limit and burst multiplied by `factor` (test harnesses, load benchmarks).
    pub fn scaled(mut self, factor: u64) -> Self {
        self.general = self.general.times(factor);
        self.auth = self.auth.times(factor);
        self.ai = self.ai.times(factor);
        self.billing = self.billing.times(factor);
        self
    }
}

fn parse_switch(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        _ => Err(format!("`{s}`: expected on or off")),
    }
}
