//! Re-optimization: locked stops keep their order, vehicles start mid-route, new jobs
//! are inserted into the existing plan.

use freight_optimizer::check::check;
use freight_optimizer::{
    reoptimize, solve_with, Amount, Euclidean, Objective, PlannedRoute, Problem, Solution,
    TimeWindow, Vehicle,
};

use super::{delivery, params, xy, TestRng};

fn base_problem(jobs: usize) -> Problem {
    let mut rng = TestRng(42);
    let mut vehicles = Vec::new();
    for i in 0..3 {
        let mut v = Vehicle::new(format!("v{i}"), xy(50.0, 50.0), Amount::scalar(100));
        v.shift = TimeWindow::new(0.0, 1000.0);
        vehicles.push(v);
    }
    let jobs = (0..jobs)
        .map(|i| {
            let open = rng.unit() * 400.0;
            delivery(
                &format!("j{i}"),
                xy(rng.unit() * 100.0, rng.unit() * 100.0),
                Some((open, open + 200.0)),
                5.0,
                10,
            )
        })
        .collect();
    Problem { vehicles, jobs }
}

fn route_ids(solution: &Solution, vehicle: &str) -> Vec<String> {
    solution
        .routes
        .iter()
        .find(|r| r.vehicle_id == vehicle)
        .map(|r| r.stops.iter().map(|s| s.job_id.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn locked_stops_stay_in_order_and_new_jobs_are_inserted() {
    let cost = Euclidean::default();
    let problem = base_problem(18);
    let first = solve_with(&problem, &cost, &params(300, Objective::Distance)).unwrap();
    assert!(check(&problem, &cost, &first).ok());
    // Mid-route: every used vehicle has done nothing yet but committed to its first two
    // stops (locked, in order); the rest of its plan is the warm start.
    let mut next = problem.clone();
    let mut current = Vec::new();
    let mut locked = Vec::new();
    for route in &first.routes {
        let ids: Vec<String> = route.stops.iter().map(|s| s.job_id.clone()).collect();
        let lock: Vec<String> = ids.iter().take(2).cloned().collect();
        let vehicle = next
            .vehicles
            .iter_mut()
            .find(|v| v.id == route.vehicle_id)
            .unwrap();
        vehicle.locked_jobs = lock.clone();
        locked.push((route.vehicle_id.clone(), lock));
        current.push(PlannedRoute {
            vehicle_id: route.vehicle_id.clone(),
            job_ids: ids.into_iter().skip(2).collect(),
        });
    }
    next.jobs.push(delivery(
        "new-1",
        xy(20.0, 80.0),
        Some((0.0, 900.0)),
        5.0,
        5,
    ));
    next.jobs
        .push(delivery("new-2", xy(70.0, 30.0), None, 5.0, 5));
    for time_ms in [0, 200] {
        let solution = reoptimize(
            &next,
            &cost,
            &current,
            &params(time_ms, Objective::Distance),
        )
        .unwrap();
        let report = check(&next, &cost, &solution);
        assert!(report.ok(), "{:?}", report.violations);
        for (vehicle, lock) in &locked {
            let ids = route_ids(&solution, vehicle);
            assert_eq!(
                &ids[..lock.len()],
                &lock[..],
                "locked prefix of {vehicle} changed"
            );
        }
        for new in ["new-1", "new-2"] {
            assert!(
                solution
                    .routes
                    .iter()
                    .any(|r| r.stops.iter().any(|s| s.job_id == new)),
                "{new} not inserted"
            );
        }
        assert!(solution.unassigned.is_empty());
        if time_ms == 0 {
            // Pure insertion keeps every existing route's order (new jobs inserted only).
            for planned in &current {
                let ids = route_ids(&solution, &planned.vehicle_id);
                let kept: Vec<&String> = ids.iter().filter(|id| !id.starts_with("new")).collect();
                let lock_len = locked
                    .iter()
                    .find(|l| l.0 == planned.vehicle_id)
                    .unwrap()
                    .1
                    .len();
                let expected: Vec<&String> = locked
                    .iter()
                    .find(|l| l.0 == planned.vehicle_id)
                    .unwrap()
                    .1
                    .iter()
                    .chain(planned.job_ids.iter())
                    .collect();
                assert_eq!(kept, expected);
                assert!(ids.len() >= lock_len);
            }
        }
    }
}

#[test]
fn vehicle_mid_route_starts_at_its_position_and_time() {
    let cost = Euclidean::default();
    let mut problem = base_problem(6);
    problem.vehicles.truncate(1);
    problem.vehicles[0].start = xy(0.0, 0.0);
    problem.vehicles[0].shift = TimeWindow::new(120.0, 2000.0);
    problem.vehicles[0].locked_jobs = vec!["j3".into(), "j1".into()];
    for job in &mut problem.jobs {
        if let freight_optimizer::JobKind::Delivery { stop } = &mut job.kind {
            stop.time_windows.clear();
        }
    }
    let solution = reoptimize(&problem, &cost, &[], &params(100, Objective::Distance)).unwrap();
    assert!(check(&problem, &cost, &solution).ok());
    let route = &solution.routes[0];
    assert!(route.departure >= 120.0);
    assert_eq!(route.stops[0].job_id, "j3");
    assert_eq!(route.stops[1].job_id, "j1");
    assert!(route.stops[0].locked && route.stops[1].locked && !route.stops[2].locked);
    assert_eq!(route.stops.len(), 6);
}

#[test]
fn infeasible_locked_sequence_is_an_input_error() {
    let mut problem = base_problem(3);
    problem.jobs[0] = delivery("j0", xy(500.0, 500.0), Some((0.0, 1.0)), 0.0, 1);
    problem.vehicles[0].locked_jobs = vec!["j0".into()];
    let error = reoptimize(
        &problem,
        &Euclidean::default(),
        &[],
        &params(50, Objective::Distance),
    )
    .unwrap_err();
    assert_eq!(error.issues()[0].code, "E1015");
}
