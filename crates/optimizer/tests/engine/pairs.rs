//! Pickup-and-delivery pairs: same vehicle, pickup first, load counted in between.

use freight_optimizer::check::check;
use freight_optimizer::{
    solve_with, Amount, Euclidean, Job, JobKind, Objective, Problem, Stop, StopAction, TimeWindow,
    Vehicle,
};

use super::{delivery, params, xy, TestRng};

fn pair(id: &str, from: (f64, f64), to: (f64, f64), demand: i64) -> Job {
    Job {
        id: id.into(),
        kind: JobKind::PickupDelivery {
            pickup: Stop {
                service: 2.0,
                ..Stop::at(xy(from.0, from.1))
            },
            delivery: Stop {
                service: 2.0,
                ..Stop::at(xy(to.0, to.1))
            },
        },
        demand: Amount::scalar(demand),
        skills: vec![],
        priority: 0,
    }
}

#[test]
fn pairs_never_overlap_beyond_capacity() {
    let cost = Euclidean::default();
    let problem = Problem {
        vehicles: vec![Vehicle::new("v", xy(0.0, 0.0), Amount::scalar(10))],
        jobs: vec![
            pair("p1", (10.0, 0.0), (20.0, 0.0), 6),
            pair("p2", (11.0, 0.0), (21.0, 0.0), 6),
            pair("p3", (12.0, 0.0), (22.0, 0.0), 6),
        ],
    };
    let solution = solve_with(&problem, &cost, &params(200, Objective::Distance)).unwrap();
    let report = check(&problem, &cost, &solution);
    assert!(report.ok(), "{:?}", report.violations);
    assert!(solution.unassigned.is_empty());
    let route = &solution.routes[0];
    assert_eq!(route.stops.len(), 6);
    for id in ["p1", "p2", "p3"] {
        let pickup = route
            .stops
            .iter()
            .position(|s| s.job_id == id && s.action == StopAction::PairPickup)
            .unwrap();
        let drop = route
            .stops
            .iter()
            .position(|s| s.job_id == id && s.action == StopAction::PairDelivery)
            .unwrap();
        assert!(pickup < drop);
        // The demand is on board between the two stops.
        assert!(route.stops[pickup..drop]
            .iter()
            .all(|s| s.load_after.0[0] >= 6));
        assert!(route.stops.iter().all(|s| s.load_after.0[0] <= 10));
    }
}

#[test]
fn mixed_pairs_pickups_and_deliveries_with_windows() {
    let cost = Euclidean::default();
    let mut rng = TestRng(7);
    let mut jobs = Vec::new();
    for i in 0..12 {
        let mut p = pair(
            &format!("pair{i}"),
            (rng.unit() * 100.0, rng.unit() * 100.0),
            (rng.unit() * 100.0, rng.unit() * 100.0),
            1 + (rng.unit() * 20.0) as i64,
        );
        if let JobKind::PickupDelivery { delivery, .. } = &mut p.kind {
            delivery.time_windows =
                vec![TimeWindow::new(0.0, 400.0), TimeWindow::new(600.0, 900.0)];
        }
        jobs.push(p);
    }
    for i in 0..10 {
        jobs.push(delivery(
            &format!("d{i}"),
            xy(rng.unit() * 100.0, rng.unit() * 100.0),
            Some((0.0, 700.0)),
            3.0,
            10,
        ));
        jobs.push(Job {
            id: format!("u{i}"),
            kind: JobKind::Pickup {
                stop: Stop::at(xy(rng.unit() * 100.0, rng.unit() * 100.0)),
            },
            demand: Amount::scalar(8),
            skills: vec![],
            priority: 0,
        });
    }
    let vehicles = (0..3)
        .map(|i| {
            let mut v = Vehicle::new(format!("v{i}"), xy(50.0, 50.0), Amount([60, 0, 0]));
            v.shift = TimeWindow::new(0.0, 1000.0);
            v
        })
        .collect();
    let problem = Problem { vehicles, jobs };
    let solution = solve_with(&problem, &cost, &params(500, Objective::Distance)).unwrap();
    let report = check(&problem, &cost, &solution);
    assert!(report.ok(), "{:?}", report.violations);
    assert!(solution.unassigned.is_empty(), "{:?}", solution.unassigned);
    for route in &solution.routes {
        for (index, stop) in route.stops.iter().enumerate() {
            if stop.action == StopAction::PairDelivery {
                assert!(route.stops[..index]
                    .iter()
                    .any(|s| s.job_id == stop.job_id && s.action == StopAction::PairPickup));
            }
        }
    }
}
