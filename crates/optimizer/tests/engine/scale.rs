//! A 1,000-job problem with time windows and 50 vehicles yields a checked plan.

use freight_optimizer::check::check;
use freight_optimizer::{solve_with, Amount, Euclidean, Objective, Problem, TimeWindow, Vehicle};

use super::{delivery, params, xy, TestRng};

#[test]
fn thousand_jobs_fifty_vehicles() {
    let cost = Euclidean::default();
    let mut rng = TestRng(2024);
    let vehicles = (0..50)
        .map(|i| {
            let mut v = Vehicle::new(format!("v{i}"), xy(500.0, 500.0), Amount::scalar(200));
            v.shift = TimeWindow::new(0.0, 4000.0);
            v
        })
        .collect();
    let jobs = (0..1000)
        .map(|i| {
            let open = rng.unit() * 2500.0;
            delivery(
                &format!("j{i}"),
                xy(rng.unit() * 1000.0, rng.unit() * 1000.0),
                Some((open, open + 600.0)),
                10.0,
                1 + (rng.unit() * 9.0) as i64,
            )
        })
        .collect();
    let problem = Problem { vehicles, jobs };
    // How fast this is measured by `freight bench solve`, not asserted here.
    let solution = solve_with(&problem, &cost, &params(3000, Objective::Distance)).unwrap();
    let report = check(&problem, &cost, &solution);
    assert!(
        report.ok(),
        "{:?}",
        &report.violations[..report.violations.len().min(5)]
    );
    let served: usize = solution.routes.iter().map(|r| r.stops.len()).sum();
    assert_eq!(served + solution.unassigned.len(), 1000);
    assert!(
        solution.unassigned.len() < 50,
        "{} unassigned",
        solution.unassigned.len()
    );
}
