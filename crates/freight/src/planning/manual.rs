//! The manual plan that an optimized plan's savings are measured against: what a
//! dispatcher does without the optimizer, simulated on the same travel model.
//!
//! - Each driver works one load at a time (a shipment's pickup, then its delivery; an
//!   inline stop is one visit), starting from their base at the start of the shift and
//!   returning to it at the end.
//! - Loads are taken in pickup-window order (window start, then the order they were
//!   given). A load already assigned to one of the planned drivers stays with that driver
//!   (so each driver does their own shipments in their current order); a load without a
//!   driver goes to the nearest available driver: the one whose vehicle can hold it and
//!   who can start it first, ties to the one closer to it.
//! - Drivers wait when they arrive before a window opens. A stop reached after its last
//!   window closed is still served (late) and counted, so the manual plan serves the same
//!   loads as the optimized plan and the two distances compare directly. Shift ends are
//!   not enforced either (a manual plan runs over rather than drops a load).

use freight_optimizer::{JobKind, Location, Problem, Stop, TransportCost};

/// Totals of the simulated manual plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ManualPlan {
    /// Distance driven, in the problem's units (metres for lat/lon).
    pub distance: f64,
    /// Stops served after their window closed.
    pub late_stops: usize,
    /// Jobs served.
    pub jobs: usize,
}

/// Where one driver is in the simulation.
#[derive(Clone, Copy)]
struct Driver {
    at: Location,
    time: f64,
    distance: f64,
    busy: bool,
}

/// Service start for a stop reached at `arrival`: the first window still open (waiting
/// if it has not opened yet), or the arrival itself when every window closed (late).
fn service_start(stop: &Stop, arrival: f64) -> (f64, bool) {
    if stop.time_windows.is_empty() {
        return (arrival, false);
    }
    match stop.time_windows.iter().find(|w| arrival <= w.end) {
        Some(w) => (arrival.max(w.start), false),
        None => (arrival, true),
    }
}

fn stops(kind: &JobKind) -> Vec<&Stop> {
    match kind {
        JobKind::Delivery { stop } | JobKind::Pickup { stop } => vec![stop],
        JobKind::PickupDelivery { pickup, delivery } => vec![pickup, delivery],
    }
}

fn window_start(stop: &Stop) -> f64 {
    stop.time_windows
        .iter()
        .map(|w| w.start)
        .fold(f64::INFINITY, f64::min)
}

/// Simulates the manual plan over the jobs with `include[j]`; `current[j]` is the index of
/// the vehicle job `j` is already assigned to, if any.
pub fn simulate(
    problem: &Problem,
    cost: &dyn TransportCost,
    current: &[Option<usize>],
    include: &[bool],
) -> ManualPlan {
    let mut drivers: Vec<Driver> = problem
        .vehicles
        .iter()
        .map(|v| Driver {
            at: v.start,
            time: v.shift.start,
            distance: 0.0,
            busy: false,
        })
        .collect();
    let mut order: Vec<usize> = (0..problem.jobs.len())
        .filter(|&j| include.get(j).copied().unwrap_or(false))
        .collect();
    // A stable sort keeps the given order among loads whose windows open together.
    order.sort_by(|&a, &b| {
        let first = |j: usize| window_start(stops(&problem.jobs[j].kind)[0]);
        first(a).total_cmp(&first(b))
    });
    let mut plan = ManualPlan {
        distance: 0.0,
        late_stops: 0,
        jobs: 0,
    };
    for job_index in order {
        let job = &problem.jobs[job_index];
        let visits = stops(&job.kind);
        let holds = |v: usize| {
            let capacity = &problem.vehicles[v].capacity.0;
            job.demand.0.iter().zip(capacity).all(|(d, c)| d <= c)
                && job
                    .skills
                    .iter()
                    .all(|s| problem.vehicles[v].skills.contains(s))
        };
        let assigned = current.get(job_index).copied().flatten();
        let chosen = assigned.filter(|&v| v < drivers.len()).or_else(|| {
            (0..drivers.len()).filter(|&v| holds(v)).min_by(|&a, &b| {
                let key = |v: usize| {
                    let d = &drivers[v];
                    let arrival = d.time + cost.duration(&d.at, &visits[0].location, d.time);
                    let start = service_start(visits[0], arrival).0;
                    (start, cost.distance(&d.at, &visits[0].location))
                };
                let (ka, kb) = (key(a), key(b));
                ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
            })
        });
        let Some(v) = chosen else {
            continue;
        };
        let driver = &mut drivers[v];
        for stop in visits {
            let arrival = driver.time + cost.duration(&driver.at, &stop.location, driver.time);
            let (start, late) = service_start(stop, arrival);
            driver.distance += cost.distance(&driver.at, &stop.location);
            driver.time = start + stop.service;
            driver.at = stop.location;
            plan.late_stops += usize::from(late);
        }
        driver.busy = true;
        plan.jobs += 1;
    }
    for (driver, vehicle) in drivers.iter().zip(&problem.vehicles) {
        if !driver.busy {
            continue;
        }
        let home = vehicle
            .end
            .map_or(0.0, |end| cost.distance(&driver.at, &end));
        plan.distance += driver.distance + home;
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use freight_optimizer::{Amount, Euclidean, Job, TimeWindow, Vehicle};

    fn at(x: f64) -> Location {
        Location::Xy { x, y: 0.0 }
    }

    fn stop(x: f64, window: (f64, f64)) -> Stop {
        Stop {
            location: at(x),
            time_windows: vec![TimeWindow::new(window.0, window.1)],
            service: 0.0,
        }
    }

    fn load(id: &str, from: f64, to: f64, window: (f64, f64)) -> Job {
        Job {
            id: id.into(),
            kind: JobKind::PickupDelivery {
                pickup: stop(from, window),
                delivery: stop(to, (window.0, window.1 + 100.0)),
            },
            demand: Amount([1, 0, 0]),
            skills: vec![],
            priority: 0,
        }
    }

    fn vehicle(id: &str, x: f64) -> Vehicle {
        let mut v = Vehicle::new(id, at(x), Amount([10, 10, 10]));
        v.end = Some(at(x));
        v
    }

    #[test]
    fn loads_go_one_at_a_time_to_the_nearest_driver_in_window_order() {
        let problem = Problem {
            vehicles: vec![vehicle("west", 0.0), vehicle("east", 100.0)],
            // Listed out of window order: the later load must be done second.
            jobs: vec![
                load("late", 10.0, 20.0, (50.0, 60.0)),
                load("early", 90.0, 80.0, (0.0, 500.0)),
            ],
        };
        let cost = Euclidean::default();
        let plan = simulate(&problem, &cost, &[None, None], &[true, true]);
        // east: 100→90→80→100 = 40; west: 0→10→20→0 = 40; nothing late.
        assert_eq!((plan.jobs, plan.late_stops), (2, 0));
        assert!((plan.distance - 80.0).abs() < 1e-9, "{plan:?}");
    }

    #[test]
    fn assigned_loads_stay_with_their_driver_and_lateness_is_counted() {
        let problem = Problem {
            vehicles: vec![vehicle("west", 0.0), vehicle("east", 100.0)],
            jobs: vec![load("far", 90.0, 80.0, (0.0, 5.0))],
        };
        let cost = Euclidean::default();
        // West owns the load: it drives 90 units and reaches the pickup after it closed.
        let plan = simulate(&problem, &cost, &[Some(0)], &[true]);
        assert_eq!((plan.jobs, plan.late_stops), (1, 1));
        assert!((plan.distance - 180.0).abs() < 1e-9, "{plan:?}");
        let skipped = simulate(&problem, &cost, &[Some(0)], &[false]);
        assert_eq!((skipped.jobs, skipped.distance), (0, 0.0));
    }
}
