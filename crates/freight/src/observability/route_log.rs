//! Per-route request counts, errors and latencies kept in process for the analyzer
//! (Prometheus has the same numbers as histograms; this keeps raw recent samples), together
//! with each route's Prometheus handles, registered on the route's first request so that a
//! request costs one map look-up instead of a label set built and hashed per metric.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::Method;

use super::samples::RecentSamples;

const SAMPLES_PER_ROUTE: usize = 1024;

/// Aggregates for one route (`METHOD /path/{param}`).
#[derive(Debug, Clone, Default)]
pub struct RouteStats {
    pub count: u64,
    pub server_errors: u64,
    pub statements: u64,
    samples: RecentSamples<SAMPLES_PER_ROUTE>,
}

impl RouteStats {
    /// Recent latency samples in microseconds.
    pub fn samples(&self) -> Vec<u32> {
        self.samples.as_slice().to_vec()
    }

    fn record(&mut self, status: u16, elapsed: Duration, statements: u64) {
        self.count += 1;
        self.statements += statements;
        if status >= 500 {
            self.server_errors += 1;
        }
        self.samples.push(elapsed);
    }
}

/// One method of one route: its statistics and metric handles.
struct Entry {
    method: Method,
    /// `METHOD /path/{param}`, the analyzer's name for it.
    key: String,
    stats: RouteStats,
    duration: metrics::Histogram,
    /// `http_requests_total` by status, in order of first appearance.
    by_status: Vec<(u16, metrics::Counter)>,
}

impl Entry {
    fn new(method: &Method, route: &str) -> Entry {
        Entry {
            method: method.clone(),
            key: format!("{method} {route}"),
            stats: RouteStats::default(),
            duration: metrics::histogram!("http_request_duration_seconds",
                "method" => method.to_string(), "route" => route.to_string()),
            by_status: Vec::new(),
        }
    }

    fn requests(&mut self, status: u16, route: &str) -> &metrics::Counter {
        let at = match self.by_status.iter().position(|(s, _)| *s == status) {
            Some(at) => at,
            None => {
                let counter = metrics::counter!("http_requests_total",
                    "method" => self.method.to_string(), "route" => route.to_string(),
                    "status" => status.to_string());
                self.by_status.push((status, counter));
                self.by_status.len() - 1
            }
        };
        &self.by_status[at].1
    }
}

/// Process-wide route statistics.
pub struct RouteLog {
    /// By route template, then method.
    /// By route template (or `unmatched`): never text a client chose, so foldhash, several
    /// times faster than SipHash, is safe here.
    routes: Mutex<HashMap<String, Vec<Entry>, foldhash::fast::RandomState>>,
    started: Instant,
}

impl Default for RouteLog {
    fn default() -> Self {
        RouteLog {
            routes: Mutex::default(),
            started: Instant::now(),
        }
    }
}

impl RouteLog {
    /// Counts one finished request in the statistics and in Prometheus; `with_key` gets the
    /// route's `METHOD /path` name (for the statement log) without building it per request.
    pub fn record(
        &self,
        method: &Method,
        route: &str,
        status: u16,
        elapsed: Duration,
        statements: u64,
        with_key: impl FnOnce(&str),
    ) {
        let Ok(mut map) = self.routes.lock() else {
            return;
        };
        if !map.contains_key(route) {
            map.insert(route.to_string(), Vec::new());
        }
        let Some(methods) = map.get_mut(route) else {
            return;
        };
        let at = match methods.iter().position(|e| e.method == method) {
            Some(at) => at,
            None => {
                methods.push(Entry::new(method, route));
                methods.len() - 1
            }
        };
        let entry = &mut methods[at];
        entry.stats.record(status, elapsed, statements);
        entry.duration.record(elapsed.as_secs_f64());
        entry.requests(status, route).increment(1);
        if status >= 500 {
            metrics::counter!("http_request_errors_total",
                "method" => method.to_string(), "route" => route.to_string())
            .increment(1);
        }
        with_key(&entry.key);
    }

    /// Every route's statistics by `METHOD /path` name.
    pub fn routes(&self) -> Vec<(String, RouteStats)> {
        self.routes
            .lock()
            .map(|m| {
                m.values()
                    .flatten()
                    .map(|e| (e.key.clone(), e.stats.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Seconds since the log started (the process uptime, for rates).
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}
