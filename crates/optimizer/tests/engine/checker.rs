//! The independent checker rejects hand-made infeasible solutions, one per violation.

use freight_optimizer::check::{check, CheckReport, ViolationKind};
use freight_optimizer::{
    solve_with, Amount, Euclidean, Job, JobKind, Objective, Problem, Solution, Stop, StopAction,
    TimeWindow, Vehicle,
};

use super::{delivery, params, xy};

fn problem() -> Problem {
    let vehicles = (1..=2)
        .map(|i| {
            let mut v = Vehicle::new(format!("v{i}"), xy(0.0, 0.0), Amount::scalar(10));
            v.shift = TimeWindow::new(0.0, 500.0);
            v
        })
        .collect();
    let pair = Job {
        id: "pair".into(),
        kind: JobKind::PickupDelivery {
            pickup: Stop {
                service: 5.0,
                ..Stop::at(xy(0.0, 10.0))
            },
            delivery: Stop {
                service: 5.0,
                ..Stop::at(xy(5.0, 5.0))
            },
        },
        demand: Amount::scalar(2),
        skills: vec![],
        priority: 0,
    };
    Problem {
        vehicles,
        jobs: vec![
            delivery("a", xy(10.0, 0.0), Some((0.0, 100.0)), 5.0, 4),
            delivery("b", xy(10.0, 10.0), None, 5.0, 4),
            pair,
        ],
    }
}

fn solved() -> (Problem, Solution) {
    let problem = problem();
    let solution = solve_with(
        &problem,
        &Euclidean::default(),
        &params(100, Objective::VehiclesFirst),
    )
    .unwrap();
    assert!(check(&problem, &Euclidean::default(), &solution).ok());
    assert_eq!(solution.routes.len(), 1, "all jobs fit one vehicle");
    (problem, solution)
}

fn verdict(problem: &Problem, solution: &Solution) -> CheckReport {
    check(problem, &Euclidean::default(), solution)
}

fn position(solution: &Solution, id: &str, action: StopAction) -> usize {
    solution.routes[0]
        .stops
        .iter()
        .position(|s| s.job_id == id && s.action == action)
        .unwrap()
}

#[test]
fn rejects_duplicate_and_missing_jobs() {
    let (problem, mut solution) = solved();
    let first = solution.routes[0].stops[0].clone();
    solution.routes[0].stops.push(first);
    assert!(verdict(&problem, &solution).has(ViolationKind::JobServedTwice));
    let (problem, mut solution) = solved();
    let index = position(&solution, "a", StopAction::Delivery);
    solution.routes[0].stops.remove(index);
    assert!(verdict(&problem, &solution).has(ViolationKind::JobMissing));
}

#[test]
fn rejects_capacity_excess() {
    let (mut problem, solution) = solved();
    problem
        .vehicles
        .iter_mut()
        .for_each(|v| v.capacity = Amount::scalar(5));
    assert!(verdict(&problem, &solution).has(ViolationKind::CapacityExceeded));
}

#[test]
fn rejects_time_window_violation() {
    let (mut problem, solution) = solved();
    let start =
        solution.routes[0].stops[position(&solution, "a", StopAction::Delivery)].service_start;
    if let JobKind::Delivery { stop } = &mut problem.jobs[0].kind {
        stop.time_windows = vec![TimeWindow::new(start + 1.0, start + 50.0)];
    }
    assert!(verdict(&problem, &solution).has(ViolationKind::TimeWindowViolated));
}

#[test]
fn rejects_short_service_and_early_arrival() {
    let (problem, mut solution) = solved();
    let stop = &mut solution.routes[0].stops[0];
    stop.departure = stop.service_start + 1.0;
    assert!(verdict(&problem, &solution).has(ViolationKind::ServiceTooShort));
    let (problem, mut solution) = solved();
    let stop = &mut solution.routes[0].stops[1];
    stop.arrival = 0.0;
    stop.service_start = 0.0;
    assert!(verdict(&problem, &solution).has(ViolationKind::TravelTooShort));
}

#[test]
fn rejects_shift_end_overrun() {
    let (mut problem, solution) = solved();
    problem
        .vehicles
        .iter_mut()
        .for_each(|v| v.shift.end = solution.routes[0].end_arrival - 1.0);
    assert!(verdict(&problem, &solution).has(ViolationKind::ShiftEndExceeded));
}

#[test]
fn rejects_delivery_before_pickup_and_split_pairs() {
    let (problem, mut solution) = solved();
    let (p, d) = (
        position(&solution, "pair", StopAction::PairPickup),
        position(&solution, "pair", StopAction::PairDelivery),
    );
    solution.routes[0].stops.swap(p, d);
    assert!(verdict(&problem, &solution).has(ViolationKind::DeliveryBeforePickup));
    let (problem, mut solution) = solved();
    let d = position(&solution, "pair", StopAction::PairDelivery);
    let moved = solution.routes[0].stops.remove(d);
    let mut other = solution.routes[0].clone();
    other.vehicle_id = "v2".into();
    other.vehicle_index = 1;
    other.stops = vec![moved];
    solution.routes.push(other);
    assert!(verdict(&problem, &solution).has(ViolationKind::PairSplitAcrossVehicles));
}

#[test]
fn rejects_missing_skill_and_changed_lock() {
    let (mut problem, solution) = solved();
    problem.jobs[1].skills = vec!["crane".into()];
    assert!(verdict(&problem, &solution).has(ViolationKind::SkillMissing));
    let (mut problem, solution) = solved();
    let second = solution.routes[0]
        .stops
        .iter()
        .map(|s| s.job_id.clone())
        .find(|id| *id != solution.routes[0].stops[0].job_id)
        .unwrap();
    let vehicle = solution.routes[0].vehicle_index;
    problem.vehicles[vehicle].locked_jobs = vec![second];
    assert!(verdict(&problem, &solution).has(ViolationKind::LockedOrderChanged));
}

#[test]
fn rejects_wrong_distance_and_cost() {
    let (problem, mut solution) = solved();
    solution.routes[0].distance += 1.0;
    assert!(verdict(&problem, &solution).has(ViolationKind::DistanceMismatch));
    let (problem, mut solution) = solved();
    solution.cost += 1.0;
    assert!(verdict(&problem, &solution).has(ViolationKind::CostMismatch));
}

#[test]
fn rejects_unknown_vehicle_and_job() {
    let (problem, mut solution) = solved();
    solution.routes[0].stops[0].job_id = "ghost".into();
    assert!(verdict(&problem, &solution).has(ViolationKind::UnknownJob));
    let (problem, mut solution) = solved();
    solution.routes[0].vehicle_id = "ghost".into();
    assert!(verdict(&problem, &solution).has(ViolationKind::UnknownVehicle));
}

#[test]
fn accepts_the_published_c101_solution() {
    use freight_optimizer::cli::{load, InputFormat};
    let loaded = load(InputFormat::Solomon, &super::data("solomon/C101.txt")).unwrap();
    let text = std::fs::read_to_string(super::data("solomon/C101.best.sol")).unwrap();
    let routes: Vec<Vec<String>> = text
        .lines()
        .filter(|l| l.starts_with("Route"))
        .map(|l| {
            l.split(':')
                .nth(1)
                .unwrap()
                .split_whitespace()
                .map(String::from)
                .collect()
        })
        .collect();
    // Build the timed solution by hand (no solver code involved): leave at 0, wait.
    let mut solution = Solution::default();
    for (index, ids) in routes.iter().enumerate() {
        let vehicle = &loaded.problem.vehicles[index];
        let (mut time, mut at, mut distance) = (0.0, vehicle.start, 0.0);
        let mut stops = Vec::new();
        for id in ids {
            let job_index = loaded
                .problem
                .jobs
                .iter()
                .position(|j| &j.id == id)
                .unwrap();
            let JobKind::Delivery { stop } = &loaded.problem.jobs[job_index].kind else {
                unreachable!()
            };
            let leg = loaded.transport.distance(&at, &stop.location);
            distance += leg;
            let arrival = time + leg;
            let start = arrival.max(stop.time_windows[0].start);
            time = start + stop.service;
            at = stop.location;
            stops.push(freight_optimizer::PlannedStop {
                job_id: id.clone(),
                job_index,
                action: StopAction::Delivery,
                arrival,
                service_start: start,
                departure: time,
                load_after: Amount::default(),
                locked: false,
            });
        }
        let back = loaded.transport.distance(&at, &vehicle.start);
        distance += back;
        let end_arrival = time + back;
        solution.routes.push(freight_optimizer::RoutePlan {
            vehicle_id: vehicle.id.clone(),
            vehicle_index: index,
            departure: 0.0,
            end_arrival,
            start_load: Amount::default(),
            stops,
            distance,
            duration: end_arrival,
            cost: distance,
        });
        solution.distance += distance;
        solution.cost += distance;
    }
    let report = check(&loaded.problem, loaded.transport.as_ref(), &solution);
    assert!(report.ok(), "{:?}", report.violations);
    assert!((solution.distance - 828.94).abs() < 0.01);
}
