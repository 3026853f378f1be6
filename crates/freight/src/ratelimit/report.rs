//! `freight ratelimit report`: per-endpoint demand, who was throttled, and suggested limits,
//! computed from the recorded traffic (the roadmap's "optimize rate limits" script).
//!
//! Suggested limit for a tier: group each subject's requests into that tier's windows, take
//! the 99th percentile of those per-window counts, multiply by the headroom (default 1.5) and
//! round up to a readable number (a multiple of 5 below 100, of 10 below 1,000, else of 100).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Serialize;

use super::config::RateLimitConfig;
use super::tiers::{Tier, TierLimit};
use crate::db::rate_limits::TrafficRow;

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub since_ms: i64,
    pub rows: usize,
    pub endpoints: Vec<EndpointDemand>,
    pub throttled: Vec<Throttled>,
    pub suggestions: Vec<Suggestion>,
}

/// Demand on one endpoint, over the minutes in which it was called.
#[derive(Debug, Serialize)]
pub struct EndpointDemand {
    pub endpoint: String,
    pub tier: String,
    pub requests: i64,
    pub throttled: i64,
    pub active_minutes: usize,
    pub per_minute_p50: i64,
    pub per_minute_p95: i64,
    pub per_minute_max: i64,
}

/// One caller that was refused.
#[derive(Debug, Serialize)]
pub struct Throttled {
    /// 0 when the caller was not authenticated.
    pub org_id: i64,
    pub subject: String,
    pub tier: String,
    pub count: i64,
}

/// A proposed limit for one tier.
#[derive(Debug, Serialize)]
pub struct Suggestion {
    pub tier: String,
    pub current: TierLimit,
    /// Distinct (subject, window) samples behind the figure.
    pub samples: usize,
    pub p99_per_window: i64,
    /// `None` when the tier saw no traffic.
    pub suggested_limit: Option<u64>,
}

/// Builds the report from rows (oldest first) read since `since_ms`.
pub fn build(
    rows: &[TrafficRow],
    since_ms: i64,
    config: &RateLimitConfig,
    headroom: f64,
) -> Report {
    Report {
        since_ms,
        rows: rows.len(),
        endpoints: endpoints(rows),
        throttled: throttled(rows),
        suggestions: Tier::ALL
            .iter()
            .map(|&tier| suggest(rows, tier, config.limit(tier), headroom))
            .collect(),
    }
}

fn endpoints(rows: &[TrafficRow]) -> Vec<EndpointDemand> {
    // (endpoint, tier) → minute → (requests, throttled)
    type PerMinute = BTreeMap<i64, (i64, i64)>;
    let mut by_endpoint: BTreeMap<(&str, &str), PerMinute> = BTreeMap::new();
    for r in rows {
        let minute = by_endpoint
            .entry((&r.endpoint, &r.tier))
            .or_default()
            .entry(r.minute)
            .or_default();
        minute.0 += r.requests;
        minute.1 += r.throttled;
    }
    let mut out: Vec<EndpointDemand> = by_endpoint
        .into_iter()
        .map(|((endpoint, tier), minutes)| {
            let mut per_minute: Vec<i64> = minutes.values().map(|m| m.0).collect();
            per_minute.sort_unstable();
            EndpointDemand {
                endpoint: endpoint.to_string(),
                tier: tier.to_string(),
                requests: per_minute.iter().sum(),
                throttled: minutes.values().map(|m| m.1).sum(),
                active_minutes: per_minute.len(),
                per_minute_p50: percentile(&per_minute, 0.50),
                per_minute_p95: percentile(&per_minute, 0.95),
                per_minute_max: per_minute.last().copied().unwrap_or_default(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.requests
            .cmp(&a.requests)
            .then(a.endpoint.cmp(&b.endpoint))
    });
    out
}

fn throttled(rows: &[TrafficRow]) -> Vec<Throttled> {
    let mut counts: HashMap<(i64, &str, &str), i64> = HashMap::new();
    for r in rows.iter().filter(|r| r.throttled > 0) {
        *counts.entry((r.org_id, &r.subject, &r.tier)).or_default() += r.throttled;
    }
    let mut out: Vec<Throttled> = counts
        .into_iter()
        .map(|((org_id, subject, tier), count)| Throttled {
            org_id,
            subject: subject.to_string(),
            tier: tier.to_string(),
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.subject.cmp(&b.subject)));
    out
}

fn suggest(rows: &[TrafficRow], tier: Tier, current: TierLimit, headroom: f64) -> Suggestion {
    let window_ms = i64::try_from(current.window_secs.max(1) * 1000).unwrap_or(i64::MAX);
    let mut per_window: HashMap<(i64, &str, i64), i64> = HashMap::new();
    for r in rows.iter().filter(|r| r.tier == tier.as_str()) {
        *per_window
            .entry((r.org_id, &r.subject, r.minute.div_euclid(window_ms)))
            .or_default() += r.requests;
    }
    let mut samples: Vec<i64> = per_window.into_values().collect();
    samples.sort_unstable();
    let p99 = percentile(&samples, 0.99);
    Suggestion {
        tier: tier.as_str().to_string(),
        current,
        samples: samples.len(),
        p99_per_window: p99,
        suggested_limit: (!samples.is_empty()).then(|| round_up_nicely(p99 as f64 * headroom)),
    }
}

/// Nearest-rank percentile of sorted values (0 for none).
pub fn percentile(sorted: &[i64], q: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Rounds up to a multiple of 5 (< 100), 10 (< 1,000) or 100; at least 1.
pub fn round_up_nicely(x: f64) -> u64 {
    let x = x.max(1.0).ceil() as u64;
    let step = match x {
        0..=9 => 1,
        10..=99 => 5,
        100..=999 => 10,
        _ => 100,
    };
    x.div_ceil(step) * step
}

/// The report as a terminal table.
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    let since = crate::domain::time::to_datetime(report.since_ms).to_rfc3339();
    let _ = writeln!(
        out,
        "Rate-limit report since {since} ({} recorded rows)\n",
        report.rows
    );
    let _ = writeln!(
        out,
        "Per-endpoint demand (requests/min over active minutes)"
    );
    let _ = writeln!(
        out,
        "  {:<46} {:<8} {:>8} {:>9} {:>5} {:>5} {:>5}",
        "endpoint", "tier", "requests", "throttled", "p50", "p95", "max"
    );
    for e in &report.endpoints {
        let _ = writeln!(
            out,
            "  {:<46} {:<8} {:>8} {:>9} {:>5} {:>5} {:>5}",
            e.endpoint,
            e.tier,
            e.requests,
            e.throttled,
            e.per_minute_p50,
            e.per_minute_p95,
            e.per_minute_max
        );
    }
    let _ = writeln!(out, "\nThrottled callers");
    if report.throttled.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for t in &report.throttled {
        let _ = writeln!(
            out,
            "  org {:<5} {:<40} {:<8} {:>6}",
            t.org_id, t.subject, t.tier, t.count
        );
    }
    let _ = writeln!(
        out,
        "\nSuggested limits (p99 per-caller demand per window x headroom)"
    );
    for s in &report.suggestions {
        let suggested = s
            .suggested_limit
            .map(|l| format!("{l}/{}s", s.current.window_secs))
            .unwrap_or_else(|| "no traffic".into());
        let _ = writeln!(
            out,
            "  {:<8} current {:>12}  p99 {:>6}  samples {:>5}  suggested {}",
            s.tier,
            format!("{}/{}s", s.current.limit, s.current.window_secs),
            s.p99_per_window,
            s.samples,
            suggested
        );
    }
    out
}
