//! The cost model: what running the platform costs per day, by resource, from which a cost
//! per API call is derived by attributing each resource to the routes that use it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Daily costs in US dollars (defaults: a small production deployment — two app instances,
/// a managed PostgreSQL, a small Redis, hosted monitoring). Each is configurable through
/// `FREIGHT_COST_<RESOURCE>_PER_DAY`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct CostModel {
    pub compute_per_day: f64,
    pub database_per_day: f64,
    pub cache_per_day: f64,
    pub monitoring_per_day: f64,
}

impl Default for CostModel {
    fn default() -> Self {
        CostModel {
            compute_per_day: 4.80,
            database_per_day: 3.60,
            cache_per_day: 1.20,
            monitoring_per_day: 0.80,
        }
    }
}

impl CostModel {
    /// Reads overrides from the environment; unset or unparsable values keep the default.
    pub fn from_env() -> Self {
        let read = |name: &str, default: f64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| *v >= 0.0)
                .unwrap_or(default)
        };
        let d = CostModel::default();
        CostModel {
            compute_per_day: read("FREIGHT_COST_COMPUTE_PER_DAY", d.compute_per_day),
            database_per_day: read("FREIGHT_COST_DATABASE_PER_DAY", d.database_per_day),
            cache_per_day: read("FREIGHT_COST_CACHE_PER_DAY", d.cache_per_day),
            monitoring_per_day: read("FREIGHT_COST_MONITORING_PER_DAY", d.monitoring_per_day),
        }
    }

    pub fn total_per_day(&self) -> f64 {
        self.compute_per_day + self.database_per_day + self.cache_per_day + self.monitoring_per_day
    }
}

/// One route's share of the resources over the observed window.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub requests: f64,
    /// Seconds of request handling.
    pub busy_seconds: f64,
    pub statements: f64,
}

/// Cost of one call of a route: each resource's daily cost is split between routes in
/// proportion to their use of it (compute: handling time; database: statements; cache and
/// monitoring: requests), then divided by the route's calls per day at the rate observed
/// over `window_secs`. Fixed costs over little traffic make expensive calls, as they should.
pub fn cost_per_call(model: &CostModel, route: Usage, total: Usage, window_secs: f64) -> f64 {
    if route.requests == 0.0 || window_secs <= 0.0 {
        return 0.0;
    }
    let share = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
    let daily = model.compute_per_day * share(route.busy_seconds, total.busy_seconds)
        + model.database_per_day * share(route.statements, total.statements)
        + (model.cache_per_day + model.monitoring_per_day) * share(route.requests, total.requests);
    daily / calls_per_day(route.requests, window_secs)
}

/// Calls per day at the rate observed over the window.
pub fn calls_per_day(requests: f64, window_secs: f64) -> f64 {
    requests / window_secs * 86_400.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_costs_of_all_calls_add_up_to_the_daily_cost() {
        let model = CostModel::default();
        let a = Usage {
            requests: 300.0,
            busy_seconds: 3.0,
            statements: 300.0,
        };
        let b = Usage {
            requests: 100.0,
            busy_seconds: 5.0,
            statements: 900.0,
        };
        let total = Usage {
            requests: 400.0,
            busy_seconds: 8.0,
            statements: 1200.0,
        };
        let window = 3600.0;
        let spent = cost_per_call(&model, a, total, window) * calls_per_day(a.requests, window)
            + cost_per_call(&model, b, total, window) * calls_per_day(b.requests, window);
        assert!((spent - model.total_per_day()).abs() < 1e-9, "{spent}");
        assert!(cost_per_call(&model, b, total, window) > cost_per_call(&model, a, total, window));
    }
}
