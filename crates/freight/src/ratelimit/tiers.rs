//! The tiers, the one path table that classifies requests into them, their roadmap
//! defaults, and the customer-plan multipliers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::window::Policy;
use crate::domain::CustomerTier;

/// A family of endpoints sharing one limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Everything not listed below.
    General,
    /// Login and token refresh: keyed per account and per client IP.
    Auth,
    /// Route optimization, AI, forecasts: expensive compute.
    Ai,
    /// Billing, invoices, quotes.
    Billing,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Tier::General, Tier::Auth, Tier::Ai, Tier::Billing];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::General => "general",
            Tier::Auth => "auth",
            Tier::Ai => "ai",
            Tier::Billing => "billing",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Tier::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown tier `{s}` (general, auth, ai, billing)"))
    }
}

/// How a request is limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Limited(Tier),
    /// Not limited here: health probes, metrics, GPS ingest (which has its own flow
    /// control: batch size limits and a bounded in-flight window per connection), and the
    /// web dashboard's static files (everything outside `/api`).
    Exempt,
}

/// Path prefixes under `/api` and their class, first match wins. A prefix matches the path itself and
/// anything below it (`/api/v1/ai` matches `/api/v1/ai/chat`, not `/api/v1/aisles`).
pub const PATH_TABLE: &[(&str, Class)] = &[
    ("/api/health", Class::Exempt),
    ("/api/v1/tracking/positions", Class::Exempt),
    ("/api/v1/tracking/ws", Class::Exempt),
    ("/api/v1/auth/login", Class::Limited(Tier::Auth)),
    ("/api/v1/auth/refresh", Class::Limited(Tier::Auth)),
    ("/api/v1/routes/optimize", Class::Limited(Tier::Ai)),
    ("/api/v1/optimize", Class::Limited(Tier::Ai)),
    ("/api/v1/ai", Class::Limited(Tier::Ai)),
    ("/api/v1/forecasts", Class::Limited(Tier::Ai)),
    ("/api/v1/predictions", Class::Limited(Tier::Ai)),
    ("/api/v1/availability/predict", Class::Limited(Tier::Ai)),
    ("/api/v1/pricing/quote", Class::Limited(Tier::Billing)),
    ("/api/v1/billing", Class::Limited(Tier::Billing)),
    ("/api/v1/invoices", Class::Limited(Tier::Billing)),
    ("/api/v1/quotes", Class::Limited(Tier::Billing)),
];

/// The class of a request path (everything unlisted is [`Tier::General`]).
pub fn classify(path: &str) -> Class {
    if path != "/api" && !path.starts_with("/api/") {
        // `/metrics`, `/osmand` ingest and the dashboard's static files (browser-cached,
        // needed before anyone logs in).
        return Class::Exempt;
    }
    PATH_TABLE
        .iter()
        .find(|(prefix, _)| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .map(|(_, class)| *class)
        .unwrap_or(Class::Limited(Tier::General))
}

/// A tier's limit as configured: `limit` per `window_secs`, `burst` always available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TierLimit {
    pub limit: u64,
    pub window_secs: u64,
    pub burst: u64,
}

impl TierLimit {
    pub const fn new(limit: u64, window_secs: u64, burst: u64) -> Self {
        TierLimit {
            limit,
            window_secs,
            burst,
        }
    }

    /// The roadmap defaults; burst is 10 % of the limit, none for auth (password guessing).
    pub fn default_for(tier: Tier) -> TierLimit {
        match tier {
            Tier::General => TierLimit::new(100, 15 * 60, 10),
            Tier::Auth => TierLimit::new(5, 15 * 60, 0),
            Tier::Ai => TierLimit::new(20, 60, 2),
            Tier::Billing => TierLimit::new(30, 15 * 60, 3),
        }
    }

    /// Limit and burst multiplied (saturating); the window is unchanged.
    pub fn times(self, factor: u64) -> TierLimit {
        TierLimit {
            limit: self.limit.saturating_mul(factor),
            burst: self.burst.saturating_mul(factor),
            ..self
        }
    }

    pub fn policy(self) -> Policy {
        Policy {
            limit: self.limit,
            window_ms: self.window_secs.saturating_mul(1000),
            burst: self.burst.min(self.limit),
        }
    }

    /// Problems with these values, as `(field, message)` (field relative to the limit).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !(1..=MAX_LIMIT).contains(&self.limit) {
            out.push(("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        if !(1..=MAX_WINDOW_SECS).contains(&self.window_secs) {
            out.push((
                "window_secs",
                format!("must be between 1 and {MAX_WINDOW_SECS} (one day)"),
            ));
        }
        if self.burst > self.limit {
            out.push(("burst", "must not exceed limit".to_string()));
        }
        out
    }
}

/// Largest limit accepted per window.
pub const MAX_LIMIT: u64 = 10_000_000;
/// Longest window accepted, in seconds.
pub const MAX_WINDOW_SECS: u64 = 86_400;

impl fmt::Display for TierLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}+{}", self.limit, self.window_secs, self.burst)
    }
}

impl FromStr for TierLimit {
    type Err = String;
    /// `LIMIT/WINDOW_SECS` or `LIMIT/WINDOW_SECS+BURST`, e.g. `100/900+10`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}`: expected LIMIT/WINDOW_SECS[+BURST], e.g. 100/900+10");
        let (limit, rest) = s.trim().split_once('/').ok_or_else(bad)?;
        let (window, burst) = rest.split_once('+').unwrap_or((rest, "0"));
        let value = TierLimit {
            limit: limit.trim().parse().map_err(|_| bad())?,
            window_secs: window.trim().parse().map_err(|_| bad())?,
            burst: burst.trim().parse().map_err(|_| bad())?,
        };
        match value.problems().first() {
            Some((field, why)) => Err(format!("`{s}`: {field} {why}")),
            None => Ok(value),
        }
    }
}

/// How many times the organization's limits a customer user gets, by the customer's plan.
pub fn plan_multiplier(plan: CustomerTier) -> u64 {
    match plan {
        CustomerTier::Standard => 1,
        CustomerTier::Premium => 2,
        CustomerTier::Enterprise => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_whole_segments() {
        assert_eq!(classify("/api/v1/ai"), Class::Limited(Tier::Ai));
        assert_eq!(classify("/api/v1/ai/chat"), Class::Limited(Tier::Ai));
        assert_eq!(classify("/api/v1/aisles"), Class::Limited(Tier::General));
        assert_eq!(classify("/api/health/ready"), Class::Exempt);
        assert_eq!(classify("/osmand"), Class::Exempt);
        assert_eq!(classify("/assets/index-1a2b.js"), Class::Exempt);
        assert_eq!(classify("/shipments/7"), Class::Exempt);
        assert_eq!(classify("/api/v1/auth/me"), Class::Limited(Tier::General));
    }

    #[test]
    fn limits_parse_and_validate() {
        assert_eq!("100/900+10".parse(), Ok(TierLimit::new(100, 900, 10)));
        assert_eq!("5/900".parse(), Ok(TierLimit::new(5, 900, 0)));
        assert!("5/900+6".parse::<TierLimit>().is_err());
        assert!("0/900".parse::<TierLimit>().is_err());
        assert!("abc".parse::<TierLimit>().is_err());
    }
}
