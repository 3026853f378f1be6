//! Builders shared by the engine's unit tests.

use crate::model::{Amount, Job, JobKind, Location, Stop, TimeWindow};

/// A delivery of one unit at (x, y) within `window`, no service time.
pub(super) fn job(id: &str, x: f64, y: f64, window: (f64, f64)) -> Job {
    let stop = Stop {
        location: Location::Xy { x, y },
        time_windows: vec![TimeWindow::new(window.0, window.1)],
        service: 0.0,
    };
    Job {
        id: id.into(),
        kind: JobKind::Delivery { stop },
        demand: Amount([1, 0, 0]),
        skills: vec![],
        priority: 0,
    }
}
