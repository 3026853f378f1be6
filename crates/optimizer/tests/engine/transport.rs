//! Transport models: haversine distances, traffic profile FIFO and planning bound,
//! a solve under traffic verified by the checker with real travel times, and an
//! asymmetric matrix taking the general insertion scan with the symmetric result.

use freight_optimizer::check::check;
use freight_optimizer::{
    solve_with, Amount, Haversine, Location, Objective, Problem, Stop, TimeWindow, TrafficProfile,
    TransportCost, Vehicle,
};

use super::{params, TestRng};

fn ll(lat: f64, lon: f64) -> Location {
    Location::LatLon { lat, lon }
}

#[test]
fn haversine_matches_known_distance() {
    let plain = Haversine {
        road_factor: 1.0,
        speed_mps: 10.0,
    };
    let berlin_paris = plain.distance(&ll(52.5200, 13.4050), &ll(48.8566, 2.3522));
    assert!((berlin_paris - 877_500.0).abs() < 3_000.0, "{berlin_paris}");
    assert!(
        (plain.duration(&ll(52.5200, 13.4050), &ll(48.8566, 2.3522), 0.0) - berlin_paris / 10.0)
            .abs()
            < 1e-6
    );
}

#[test]
fn traffic_profile_is_fifo_and_bounded_by_planning() {
    let traffic = TrafficProfile {
        base: Haversine::default(),
        periods: vec![(0.0, 1.0), (7.0 * 3600.0, 0.5), (9.0 * 3600.0, 1.0)],
    };
    let (a, b) = (ll(52.52, 13.40), ll(52.45, 13.30));
    let free = traffic.duration(&a, &b, 3.0 * 3600.0);
    let peak = traffic.duration(&a, &b, 8.0 * 3600.0);
    assert!((peak - 2.0 * free).abs() < 1e-6);
    let planning = traffic.planning_duration(&a, &b);
    let mut last_arrival = f64::NEG_INFINITY;
    for step in 0..400 {
        let departure = 6.0 * 3600.0 + step as f64 * 30.0;
        let travel = traffic.duration(&a, &b, departure);
        assert!(travel <= planning + 1e-6);
        assert!(
            departure + travel >= last_arrival - 1e-6,
            "FIFO violated at {departure}"
        );
        last_arrival = departure + travel;
    }
}

#[test]
fn solve_under_traffic_is_checked_with_real_times() {
    let traffic = TrafficProfile {
        base: Haversine::default(),
        periods: vec![(0.0, 1.0), (7.0 * 3600.0, 0.6), (9.5 * 3600.0, 1.0)],
    };
    let mut rng = TestRng(5);
    let depot = ll(52.52, 13.40);
    let vehicles = (0..3)
        .map(|i| {
            let mut v = Vehicle::new(format!("van{i}"), depot, Amount([500, 10, 4]));
            v.shift = TimeWindow::new(6.0 * 3600.0, 18.0 * 3600.0);
            v.cost_per_hour = 20.0;
            v.fixed_cost = 30.0;
            v
        })
        .collect();
    let jobs = (0..25)
        .map(|i| {
            let open = (7.0 + rng.unit() * 6.0) * 3600.0;
            freight_optimizer::Job {
                id: format!("o{i}"),
                kind: freight_optimizer::JobKind::Delivery {
                    stop: Stop {
                        location: ll(52.45 + rng.unit() * 0.15, 13.25 + rng.unit() * 0.3),
                        time_windows: vec![TimeWindow::new(open, open + 7200.0)],
                        service: 300.0,
                    },
                },
                demand: Amount([20 + (rng.unit() * 40.0) as i64, 1, 0]),
                skills: vec![],
                priority: 0,
            }
        })
        .collect();
    let problem = Problem { vehicles, jobs };
    let solution = solve_with(&problem, &traffic, &params(400, Objective::Distance)).unwrap();
    let report = check(&problem, &traffic, &solution);
    assert!(report.ok(), "{:?}", report.violations);
    assert!(solution.unassigned.is_empty(), "{:?}", solution.unassigned);
    assert!(solution.routes.iter().all(|r| r.cost > 30.0));
}

/// Euclidean travel, except that leaving `odd` is quicker than arriving there.
struct OneWayFaster {
    inner: freight_optimizer::Euclidean,
    odd: Location,
}

impl TransportCost for OneWayFaster {
    fn distance(&self, from: &Location, to: &Location) -> f64 {
        self.inner.distance(from, to)
    }
    fn duration(&self, from: &Location, to: &Location, departure: f64) -> f64 {
        let plain = self.inner.duration(from, to, departure);
        if *from == self.odd {
            plain * 0.5
        } else {
            plain
        }
    }
}

#[test]
fn asymmetric_matrices_take_the_general_insertion_path_with_the_same_result() {
    // A job no vehicle can serve makes the duration matrix asymmetric only in entries the
    // search never reads, so the general (asymmetric) insertion scan must give exactly
    // the result of the symmetric one.
    let loaded = freight_optimizer::cli::load(
        freight_optimizer::cli::InputFormat::Solomon,
        &super::data("solomon/R201.txt"),
    )
    .unwrap();
    let mut problem = loaded.problem.clone();
    let odd = Location::Xy {
        x: 1000.5,
        y: -7.25,
    };
    let mut unserviceable = super::delivery("odd", odd, None, 0.0, 1);
    unserviceable.skills = vec!["nobody-has-it".into()];
    problem.jobs.push(unserviceable);
    let mut run = params(600_000, Objective::VehiclesFirst);
    run.max_iterations = Some(3_000);
    let symmetric = freight_optimizer::Euclidean::default();
    let asymmetric = OneWayFaster {
        inner: symmetric,
        odd,
    };
    let a = solve_with(&problem, &symmetric, &run).unwrap();
    let b = solve_with(&problem, &asymmetric, &run).unwrap();
    assert_eq!(a.distance.to_bits(), b.distance.to_bits());
    let stops = |s: &freight_optimizer::Solution| -> Vec<Vec<usize>> {
        (s.routes.iter())
            .map(|r| r.stops.iter().map(|p| p.job_index).collect())
            .collect()
    };
    assert_eq!(stops(&a), stops(&b));
    assert_eq!(a.unassigned.len(), 1);
    assert!(check(&problem, &asymmetric, &b).ok());
}
