//! Building the analyzer report and the baseline snapshot from the live statistics.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::costs::{calls_per_day, cost_per_call, CostModel, Usage};
use crate::observability::query_log::N_PLUS_ONE_THRESHOLD;
use crate::ratelimit::tiers::Tier;
use crate::state::AppState;

/// Statements slower than this at p95 are reported (milliseconds).
pub const SLOW_STATEMENT_MS: f64 = 20.0;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SlowStatement {
    /// Normalized SQL (values replaced by `?`).
    pub statement: String,
    pub count: u64,
    pub p95_ms: f64,
    pub mean_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NPlusOneFinding {
    /// `METHOD /route/{param}` that ran the statement repeatedly.
    pub route: String,
    pub statement: String,
    /// Requests in which it happened.
    pub requests: u64,
    /// Most repetitions seen in one request.
    pub max_repeats: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CacheFamily {
    pub family: String,
    pub hits: u64,
    pub misses: u64,
    /// Misses that waited for a concurrent load of the same key (not hits).
    #[serde(default)]
    pub coalesced: u64,
    /// Hits on first pages that took in new shipments without a query (part of `hits`).
    #[serde(default)]
    pub spliced: u64,
    pub hit_rate: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RateLimitTier {
    pub tier: String,
    pub limit: u64,
    pub window_secs: u64,
    pub rejections: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RouteCost {
    pub route: String,
    pub requests: u64,
    pub error_rate: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub statements_per_request: f64,
    /// US dollars per call under the cost model at the observed traffic.
    pub cost_per_call_usd: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Bottleneck {
    pub rank: usize,
    /// `slow_statement`, `n_plus_one`, `slow_route`, `errors`, `cache`.
    pub kind: String,
    pub subject: String,
    /// Estimated time spent per day at the observed rate, in seconds (for ranking).
    pub impact_seconds_per_day: f64,
    pub recommendation: String,
}

/// `performance-analysis-<date>.json`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub generated_at: DateTime<Utc>,
    pub window_seconds: f64,
    pub requests_per_second: f64,
    pub slow_statements: Vec<SlowStatement>,
    pub n_plus_one: Vec<NPlusOneFinding>,
    pub cache: Vec<CacheFamily>,
    pub cache_hit_rate: f64,
    pub rate_limits: Vec<RateLimitTier>,
    pub routes: Vec<RouteCost>,
    pub cost_model: CostModel,
    pub bottlenecks: Vec<Bottleneck>,
}

/// The `q` quantile of sorted microsecond samples, in milliseconds.
fn percentile(samples: &[u32], q: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    f64::from(samples[((samples.len() as f64 - 1.0) * q).round() as usize]) / 1000.0
}

/// Builds the report from everything this process has observed.
pub fn build(state: &AppState, cost_model: &CostModel) -> Report {
    let window = state.observability.routes.uptime().as_secs_f64().max(1.0);
    let routes = state.observability.routes.routes();
    // Each route's use of the resources; handling time is the mean of recent samples × calls.
    // Each route's recent latency samples, sorted once for the percentiles below.
    let samples: Vec<Vec<u32>> = routes
        .iter()
        .map(|(_, r)| {
            let mut samples = r.samples();
            samples.sort_unstable();
            samples
        })
        .collect();
    let usages: Vec<Usage> = routes
        .iter()
        .zip(&samples)
        .map(|((_, r), samples)| {
            let mean_s = samples.iter().map(|s| f64::from(*s) / 1e6).sum::<f64>()
                / samples.len().max(1) as f64;
            Usage {
                requests: r.count as f64,
                busy_seconds: mean_s * r.count as f64,
                statements: r.statements as f64,
            }
        })
        .collect();
    let total = usages.iter().fold(Usage::default(), |acc, u| Usage {
        requests: acc.requests + u.requests,
        busy_seconds: acc.busy_seconds + u.busy_seconds,
        statements: acc.statements + u.statements,
    });
    let mut route_costs: Vec<RouteCost> = routes
        .iter()
        .zip(usages.iter().zip(&samples))
        .map(|((name, r), (usage, samples))| RouteCost {
            route: name.clone(),
            requests: r.count,
            error_rate: r.server_errors as f64 / r.count.max(1) as f64,
            p50_ms: percentile(samples, 0.50),
            p95_ms: percentile(samples, 0.95),
            p99_ms: percentile(samples, 0.99),
            statements_per_request: r.statements as f64 / r.count.max(1) as f64,
            cost_per_call_usd: cost_per_call(cost_model, *usage, total, window),
        })
        .collect();
    route_costs.sort_by_key(|r| std::cmp::Reverse(r.requests));

    let statements = state.db.query_log().statements();
    let mut slow: Vec<SlowStatement> = statements
        .iter()
        .map(|(statement, s)| SlowStatement {
            statement: statement.clone(),
            count: s.count,
            p95_ms: s.p95_ms(),
            mean_ms: s.mean_ms(),
            max_ms: s.max.as_secs_f64() * 1000.0,
        })
        .filter(|s| s.p95_ms >= SLOW_STATEMENT_MS)
        .collect();
    slow.sort_by(|a, b| (b.mean_ms * b.count as f64).total_cmp(&(a.mean_ms * a.count as f64)));

    let mean_of = |shape: &str| {
        statements
            .iter()
            .find(|(s, _)| s == shape)
            .map(|(_, s)| s.mean_ms())
            .unwrap_or(0.0)
    };
    let n_plus_one: Vec<NPlusOneFinding> = state
        .db
        .query_log()
        .n_plus_one()
        .into_iter()
        .map(|(p, requests, max_repeats)| NPlusOneFinding {
            route: p.route,
            statement: p.statement,
            requests,
            max_repeats,
        })
        .collect();

    let cache: Vec<CacheFamily> = state
        .cache
        .stats()
        .into_iter()
        .map(|(family, s)| CacheFamily {
            family: family.to_string(),
            hits: s.hits,
            misses: s.misses,
            coalesced: s.coalesced,
            spliced: s.spliced,
            hit_rate: s.hit_rate(),
        })
        .collect();

    let rate_limits = Tier::ALL
        .iter()
        .map(|tier| {
            let limit = state.rate_limits.config().limit(*tier);
            RateLimitTier {
                tier: tier.as_str().to_string(),
                limit: limit.limit,
                window_secs: limit.window_secs,
                rejections: state.rate_limits.rejections(*tier),
            }
        })
        .collect();

    let per_day = |count: f64| calls_per_day(count, window);
    let mut bottlenecks = Vec::new();
    for s in &slow {
        bottlenecks.push(Bottleneck {
            rank: 0,
            kind: "slow_statement".into(),
            subject: s.statement.clone(),
            impact_seconds_per_day: per_day(s.count as f64) * s.mean_ms / 1000.0,
            recommendation: format!(
                "p95 {:.1} ms over {} runs: check EXPLAIN for a sequential scan and add an index on the filtered columns, \
                 or cache the result if it is read-mostly",
                s.p95_ms, s.count
            ),
        });
    }
    for n in &n_plus_one {
        let mean = mean_of(&n.statement);
        bottlenecks.push(Bottleneck {
            rank: 0,
            kind: "n_plus_one".into(),
            subject: format!("{}: {}", n.route, n.statement),
            impact_seconds_per_day: per_day(n.requests as f64) * f64::from(n.max_repeats) * mean / 1000.0,
            recommendation: format!(
                "{} runs the same statement up to {} times per request (threshold {N_PLUS_ONE_THRESHOLD}): \
                 load the rows in one query (JOIN or `IN (…)`) instead of one per item",
                n.route, n.max_repeats
            ),
        });
    }
    for r in &route_costs {
        if r.p95_ms >= 200.0 {
            bottlenecks.push(Bottleneck {
                rank: 0,
                kind: "slow_route".into(),
                subject: r.route.clone(),
                impact_seconds_per_day: per_day(r.requests as f64) * r.p50_ms / 1000.0,
                recommendation: format!(
                    "p95 {:.0} ms: profile the handler; {:.1} statements per request",
                    r.p95_ms, r.statements_per_request
                ),
            });
        }
        if r.error_rate > 0.01 {
            bottlenecks.push(Bottleneck {
                rank: 0,
                kind: "errors".into(),
                subject: r.route.clone(),
                impact_seconds_per_day: per_day(r.requests as f64 * r.error_rate) * r.p50_ms
                    / 1000.0,
                recommendation: format!(
                    "{:.1} % server errors: read the logs by trace id",
                    r.error_rate * 100.0
                ),
            });
        }
    }
    for c in &cache {
        if c.hits + c.misses + c.coalesced >= 100 && c.hit_rate < 0.5 {
            bottlenecks.push(Bottleneck {
                rank: 0,
                kind: "cache".into(),
                subject: c.family.clone(),
                impact_seconds_per_day: per_day(c.misses as f64) * 0.001,
                recommendation: format!(
                    "hit rate {:.0} %: writes invalidate this family too often or keys vary too much; narrow the invalidation",
                    c.hit_rate * 100.0
                ),
            });
        }
    }
    bottlenecks.sort_by(|a, b| {
        b.impact_seconds_per_day
            .total_cmp(&a.impact_seconds_per_day)
    });
    for (i, b) in bottlenecks.iter_mut().enumerate() {
        b.rank = i + 1;
    }

    Report {
        generated_at: Utc::now(),
        window_seconds: window,
        requests_per_second: total.requests / window,
        slow_statements: slow,
        n_plus_one,
        cache_hit_rate: state.cache.hit_rate(),
        cache,
        rate_limits,
        routes: route_costs,
        cost_model: *cost_model,
        bottlenecks,
    }
}

/// `performance-baseline.json`, in the roadmap's shape.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Baseline {
    pub timestamp: DateTime<Utc>,
    pub uptime_seconds: f64,
    pub error_rate: f64,
    pub p95_latency_ms: f64,
    pub p99_latency_ms: f64,
    pub average_query_time_ms: f64,
    pub cache_hit_rate: f64,
    pub requests_per_second: f64,
    pub active_connections: u64,
    pub daily_costs: DailyCosts,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DailyCosts {
    pub compute: f64,
    pub database: f64,
    pub cache: f64,
    pub monitoring: f64,
    pub total: f64,
}

/// Builds the baseline snapshot from live statistics.
pub fn baseline(state: &AppState, cost_model: &CostModel, active_connections: u64) -> Baseline {
    let routes = state.observability.routes.routes();
    let mut samples: Vec<u32> = routes.iter().flat_map(|(_, r)| r.samples()).collect();
    samples.sort_unstable();
    let requests: u64 = routes.iter().map(|(_, r)| r.count).sum();
    let errors: u64 = routes.iter().map(|(_, r)| r.server_errors).sum();
    let statements = state.db.query_log().statements();
    let (count, total_ms) = statements.iter().fold((0u64, 0f64), |(n, t), (_, s)| {
        (n + s.count, t + s.total.as_secs_f64() * 1000.0)
    });
    let uptime = state.observability.routes.uptime().as_secs_f64().max(1.0);
    Baseline {
        timestamp: Utc::now(),
        uptime_seconds: state.started_at.elapsed().as_secs_f64(),
        error_rate: errors as f64 / requests.max(1) as f64,
        p95_latency_ms: percentile(&samples, 0.95),
        p99_latency_ms: percentile(&samples, 0.99),
        average_query_time_ms: if count == 0 {
            0.0
        } else {
            total_ms / count as f64
        },
        cache_hit_rate: state.cache.hit_rate(),
        requests_per_second: requests as f64 / uptime,
        active_connections,
        daily_costs: DailyCosts {
            compute: cost_model.compute_per_day,
            database: cost_model.database_per_day,
            cache: cost_model.cache_per_day,
            monitoring: cost_model.monitoring_per_day,
            total: cost_model.total_per_day(),
        },
    }
}
