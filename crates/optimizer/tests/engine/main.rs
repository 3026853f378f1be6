//! Integration tests of the optimizer: feasibility on every benchmark family, reasons,
//! re-optimization, pairs, determinism, the checker and the parsers.

mod checker;
mod families;
mod pairs;
mod parsers;
mod reasons;
mod reopt;
mod scale;
mod transport;

use std::path::PathBuf;
use std::time::Duration;

use freight_optimizer::{Amount, Job, JobKind, Location, Objective, SolveParams, Stop, TimeWindow};

pub fn data(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(relative)
}

pub fn params(millis: u64, objective: Objective) -> SolveParams {
    SolveParams {
        time_limit: Duration::from_millis(millis),
        seed: 11,
        threads: 1,
        objective,
        ..SolveParams::default()
    }
}

pub fn xy(x: f64, y: f64) -> Location {
    Location::Xy { x, y }
}

pub fn delivery(
    id: &str,
    at: Location,
    window: Option<(f64, f64)>,
    service: f64,
    demand: i64,
) -> Job {
    let time_windows = window
        .map(|(a, b)| vec![TimeWindow::new(a, b)])
        .unwrap_or_default();
    Job {
        id: id.into(),
        kind: JobKind::Delivery {
            stop: Stop {
                location: at,
                time_windows,
                service,
            },
        },
        demand: Amount::scalar(demand),
        skills: vec![],
        priority: 0,
    }
}

/// Tiny deterministic generator for test data.
pub struct TestRng(pub u64);

impl TestRng {
    pub fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}
