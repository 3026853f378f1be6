//! Seeing the running system: Prometheus metrics, per-route and per-statement statistics
//! for the performance analyzer, and business gauges kept current from the database.
//! (Logging and OpenTelemetry tracing are set up in `telemetry`.)

pub mod business;
pub mod metrics;
pub mod query_log;
pub mod route_log;
pub mod samples;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Shared handles, held in `AppState`.
#[derive(Clone)]
pub struct Observability {
    pub prometheus: metrics_exporter_prometheus::PrometheusHandle,
    pub routes: Arc<route_log::RouteLog>,
    in_flight: Arc<AtomicU64>,
}

impl Observability {
    /// Installs the process-wide metrics recorder (once) and creates the route log.
    pub fn new() -> Self {
        Observability {
            prometheus: metrics::install(),
            routes: Arc::default(),
            in_flight: Arc::default(),
        }
    }

    /// Requests being served right now.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Counts a request in; the `http_requests_in_flight` gauge is set from this count
    /// when `/metrics` is scraped, not on every request.
    pub(crate) fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn request_finished(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Default for Observability {
    fn default() -> Self {
        Self::new()
    }
}
