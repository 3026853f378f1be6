//! Independent solution checker. It shares no evaluation code with the solver: it
//! re-reads the public [`Problem`], re-simulates every reported route with the
//! [`TransportCost`] (pair by pair, with real departure times), and lists every
//! violation: duplicated or missing jobs, capacities, time windows with waiting,
//! service times, shift start/end, pickup-before-delivery on one vehicle, skills,
//! locked order, and the reported distances/costs recomputed.

mod coverage;

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{Job, JobKind, Location, Problem, Stop, Vehicle};
use crate::solution::{RoutePlan, Solution, StopAction};
use crate::transport::TransportCost;

/// Kinds of violations the checker detects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ViolationKind {
    UnknownVehicle,
    VehicleUsedTwice,
    UnknownJob,
    JobServedTwice,
    JobMissing,
    PairSplitAcrossVehicles,
    DeliveryBeforePickup,
    WrongStopAction,
    SkillMissing,
    LockedOrderChanged,
    CapacityExceeded,
    DepartureBeforeShift,
    TravelTooShort,
    ServiceBeforeArrival,
    TimeWindowViolated,
    ServiceTooShort,
    ShiftEndExceeded,
    DistanceMismatch,
    CostMismatch,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub kind: ViolationKind,
    pub message: String,
}

/// Result of a check; `ok()` when there is no violation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CheckReport {
    pub violations: Vec<Violation>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
    }
    pub fn has(&self, kind: ViolationKind) -> bool {
        self.violations.iter().any(|v| v.kind == kind)
    }
    fn add(&mut self, kind: ViolationKind, message: String) {
        self.violations.push(Violation { kind, message });
    }
}

const TOLERANCE: f64 = 1e-6;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE * (1.0 + a.abs().max(b.abs()))
}

/// Checks `solution` against `problem` using `cost` for travel.
pub fn check(problem: &Problem, cost: &dyn TransportCost, solution: &Solution) -> CheckReport {
    let mut report = CheckReport::default();
    let jobs: HashMap<&str, (usize, &Job)> = problem
        .jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.id.as_str(), (i, j)))
        .collect();
    // Where each job's stops were seen: (route number, position, action).
    let mut seen: HashMap<&str, Vec<(usize, usize, StopAction)>> = HashMap::new();
    let mut vehicles_used = vec![false; problem.vehicles.len()];
    let (mut total_distance, mut total_cost) = (0.0, 0.0);
    for (route_number, route) in problem_routes(solution) {
        let Some(vehicle) = problem.vehicles.iter().find(|v| v.id == route.vehicle_id) else {
            report.add(
                ViolationKind::UnknownVehicle,
                format!(
                    "route {route_number} uses unknown vehicle '{}'",
                    route.vehicle_id
                ),
            );
            continue;
        };
        let vehicle_index = problem
            .vehicles
            .iter()
            .position(|v| v.id == vehicle.id)
            .unwrap_or(0);
        if std::mem::replace(&mut vehicles_used[vehicle_index], true) {
            report.add(
                ViolationKind::VehicleUsedTwice,
                format!("vehicle '{}' has more than one route", vehicle.id),
            );
        }
        let mut known = Vec::new();
        for (position, stop) in route.stops.iter().enumerate() {
            match jobs.get(stop.job_id.as_str()) {
                Some(&(_, job)) => {
                    seen.entry(job.id.as_str()).or_default().push((
                        route_number,
                        position,
                        stop.action,
                    ));
                    known.push((job, stop.action));
                }
                None => report.add(
                    ViolationKind::UnknownJob,
                    format!(
                        "route of '{}' visits unknown job '{}'",
                        vehicle.id, stop.job_id
                    ),
                ),
            }
        }
        if known.len() != route.stops.len() {
            continue;
        }
        check_locked(&mut report, vehicle, route);
        check_skills(&mut report, vehicle, &known);
        check_loads(&mut report, vehicle, &known);
        let distance = check_schedule(&mut report, cost, vehicle, route, &known);
        let duration = route.end_arrival - route.departure;
        let expected_cost = vehicle.fixed_cost
            + vehicle.cost_per_distance * distance
            + vehicle.cost_per_hour * duration / 3600.0;
        if !close(distance, route.distance) {
            report.add(
                ViolationKind::DistanceMismatch,
                format!(
                    "route of '{}' reports distance {} but it is {}",
                    vehicle.id, route.distance, distance
                ),
            );
        }
        if !close(expected_cost, route.cost) {
            report.add(
                ViolationKind::CostMismatch,
                format!(
                    "route of '{}' reports cost {} but it is {}",
                    vehicle.id, route.cost, expected_cost
                ),
            );
        }
        total_distance += distance;
        total_cost += expected_cost;
    }
    if !close(total_distance, solution.distance) {
        report.add(
            ViolationKind::DistanceMismatch,
            format!(
                "total distance reported {} but routes sum to {}",
                solution.distance, total_distance
            ),
        );
    }
    if !close(total_cost, solution.cost) {
        report.add(
            ViolationKind::CostMismatch,
            format!(
                "total cost reported {} but routes sum to {}",
                solution.cost, total_cost
            ),
        );
    }
    coverage::check_job_coverage(&mut report, problem, solution, &seen);
    report
}

fn problem_routes(solution: &Solution) -> impl Iterator<Item = (usize, &RoutePlan)> {
    solution.routes.iter().enumerate()
}

fn check_locked(report: &mut CheckReport, vehicle: &Vehicle, route: &RoutePlan) {
    let mut visited: Vec<&str> = Vec::new();
    for stop in &route.stops {
        if !visited.contains(&stop.job_id.as_str()) {
            visited.push(stop.job_id.as_str());
        }
    }
    let prefix: Vec<&str> = visited
        .iter()
        .take(vehicle.locked_jobs.len())
        .copied()
        .collect();
    let locked: Vec<&str> = vehicle.locked_jobs.iter().map(String::as_str).collect();
    if prefix != locked {
        report.add(
            ViolationKind::LockedOrderChanged,
            format!(
                "vehicle '{}' must start with {:?} but starts with {:?}",
                vehicle.id, locked, prefix
            ),
        );
    }
}

fn check_skills(report: &mut CheckReport, vehicle: &Vehicle, stops: &[(&Job, StopAction)]) {
    for (job, _) in stops {
        if let Some(missing) = job.skills.iter().find(|s| !vehicle.skills.contains(s)) {
            report.add(
                ViolationKind::SkillMissing,
                format!(
                    "vehicle '{}' lacks skill '{}' for job '{}'",
                    vehicle.id, missing, job.id
                ),
            );
        }
    }
}

fn check_loads(report: &mut CheckReport, vehicle: &Vehicle, stops: &[(&Job, StopAction)]) {
    let dims = vehicle.capacity.0.len();
    let mut load = vec![0i64; dims];
    for (job, action) in stops {
        if *action == StopAction::Delivery {
            for (d, value) in load.iter_mut().enumerate() {
                *value += job.demand.0[d];
            }
        }
    }
    let mut check_now = |load: &[i64], place: &str| {
        if (0..dims).any(|d| load[d] > vehicle.capacity.0[d]) {
            report.add(
                ViolationKind::CapacityExceeded,
                format!(
                    "vehicle '{}' carries {:?} {} (capacity {:?})",
                    vehicle.id, load, place, vehicle.capacity.0
                ),
            );
            return false;
        }
        true
    };
    if !check_now(&load, "at the start") {
        return;
    }
    for (job, action) in stops {
        let sign = match action {
            StopAction::Delivery | StopAction::PairDelivery => -1,
            StopAction::Pickup | StopAction::PairPickup => 1,
        };
        for (d, value) in load.iter_mut().enumerate() {
            *value += sign * job.demand.0[d];
        }
        if !check_now(&load, &format!("after job '{}'", job.id)) {
            return;
        }
    }
}

fn stop_of(job: &Job, action: StopAction) -> &Stop {
    match (&job.kind, action) {
        (JobKind::Delivery { stop }, _) | (JobKind::Pickup { stop }, _) => stop,
        (JobKind::PickupDelivery { pickup, .. }, StopAction::PairPickup) => pickup,
        (JobKind::PickupDelivery { delivery, .. }, _) => delivery,
    }
}

/// Verifies the reported timing; returns the recomputed distance.
fn check_schedule(
    report: &mut CheckReport,
    cost: &dyn TransportCost,
    vehicle: &Vehicle,
    route: &RoutePlan,
    stops: &[(&Job, StopAction)],
) -> f64 {
    let slack = |t: f64| TOLERANCE * (1.0 + t.abs());
    if route.departure < vehicle.shift.start - slack(vehicle.shift.start) {
        report.add(
            ViolationKind::DepartureBeforeShift,
            format!(
                "vehicle '{}' leaves at {} before its shift starts at {}",
                vehicle.id, route.departure, vehicle.shift.start
            ),
        );
    }
    let mut at: Location = vehicle.start;
    let mut time = route.departure;
    let mut distance = 0.0;
    for ((job, action), planned) in stops.iter().zip(&route.stops) {
        let stop = stop_of(job, *action);
        distance += cost.distance(&at, &stop.location);
        let earliest_arrival = time + cost.duration(&at, &stop.location, time);
        if planned.arrival < earliest_arrival - slack(earliest_arrival) {
            report.add(
                ViolationKind::TravelTooShort,
                format!(
                    "job '{}' reached at {} but travel allows {} at the earliest",
                    job.id, planned.arrival, earliest_arrival
                ),
            );
        }
        if planned.service_start < planned.arrival - slack(planned.arrival) {
            report.add(
                ViolationKind::ServiceBeforeArrival,
                format!(
                    "job '{}' served at {} before arrival {}",
                    job.id, planned.service_start, planned.arrival
                ),
            );
        }
        let start = planned.service_start;
        let in_window = stop.time_windows.is_empty()
            || stop
                .time_windows
                .iter()
                .any(|w| start >= w.start - slack(w.start) && start <= w.end + slack(w.end));
        if !in_window {
            report.add(
                ViolationKind::TimeWindowViolated,
                format!(
                    "job '{}' served at {} outside its windows {:?}",
                    job.id, start, stop.time_windows
                ),
            );
        }
        if planned.departure < start + stop.service - slack(start + stop.service) {
            report.add(
                ViolationKind::ServiceTooShort,
                format!(
                    "job '{}' left at {} before service ends at {}",
                    job.id,
                    planned.departure,
                    start + stop.service
                ),
            );
        }
        time = planned.departure;
        at = stop.location;
    }
    let end_arrival = match &vehicle.end {
        Some(end) => {
            distance += cost.distance(&at, end);
            time + cost.duration(&at, end, time)
        }
        None => time,
    };
    if route.end_arrival < end_arrival - slack(end_arrival) {
        report.add(
            ViolationKind::TravelTooShort,
            format!(
                "vehicle '{}' reported at its end at {} but cannot be there before {}",
                vehicle.id, route.end_arrival, end_arrival
            ),
        );
    }
    if route.end_arrival.max(end_arrival) > vehicle.shift.end + slack(vehicle.shift.end) {
        report.add(
            ViolationKind::ShiftEndExceeded,
            format!(
                "vehicle '{}' ends at {} after its shift end {}",
                vehicle.id,
                route.end_arrival.max(end_arrival),
                vehicle.shift.end
            ),
        );
    }
    distance
}
