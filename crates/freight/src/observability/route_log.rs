//! Per-route request counts, errors and latencies kept in process for the analyzer
//! (Prometheus has the same numbers as histograms; this keeps raw recent samples).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SAMPLES_PER_ROUTE: usize = 1024;

/// Aggregates for one route (`METHOD /path/{param}`).
#[derive(Debug, Clone, Default)]
pub struct RouteStats {
    pub count: u64,
    pub server_errors: u64,
    pub statements: u64,
    samples: Vec<u32>,
    next: usize,
}

impl RouteStats {
    /// Recent latency samples in microseconds.
    pub fn samples(&self) -> Vec<u32> {
        self.samples.clone()
    }
}

/// Process-wide route statistics.
pub struct RouteLog {
    routes: Mutex<HashMap<String, RouteStats>>,
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
    pub fn record(&self, route: &str, status: u16, elapsed: Duration, statements: u64) {
        let Ok(mut map) = self.routes.lock() else {
            return;
        };
        let stats = map.entry(route.to_string()).or_default();
        stats.count += 1;
        stats.statements += statements;
        if status >= 500 {
            stats.server_errors += 1;
        }
        let micros = elapsed.as_micros().min(u128::from(u32::MAX)) as u32;
        if stats.samples.len() < SAMPLES_PER_ROUTE {
            stats.samples.push(micros);
        } else {
            stats.samples[stats.next] = micros;
            stats.next = (stats.next + 1) % SAMPLES_PER_ROUTE;
        }
    }

    pub fn routes(&self) -> Vec<(String, RouteStats)> {
        self.routes
            .lock()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// Seconds since the log started (the process uptime, for rates).
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}
