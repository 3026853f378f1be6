//! Problem validation: collects every input issue (not just the first) with a stable
//! `E1xxx` code, so API clients can show them all at once.
//!
//! Codes: E1001 no vehicles, E1002 job id empty/duplicate, E1003 vehicle id
//! empty/duplicate, E1004 invalid job time window, E1005 invalid shift, E1006 negative
//! demand, E1007 negative capacity, E1008 invalid service time, E1009 invalid cost
//! parameter, E1010 invalid coordinates, E1011 mixed coordinate kinds, E1012 locked job
//! unknown, E1013 locked job listed twice. File format codes (E11xx) live in `formats`.

use std::collections::HashSet;

use crate::error::InputIssue;
use crate::model::{Location, Problem, Stop, TimeWindow};

/// Returns all issues found in `problem` (empty when it is valid).
pub fn validate(problem: &Problem) -> Vec<InputIssue> {
    let mut issues = Vec::new();
    if problem.vehicles.is_empty() {
        issues.push(InputIssue::new(
            "E1001",
            "vehicles",
            "the problem has no vehicles",
            "add at least one vehicle",
        ));
    }
    check_ids(problem, &mut issues);
    let mut kinds = HashSet::new();
    for (index, vehicle) in problem.vehicles.iter().enumerate() {
        let path = format!("vehicles[{index}]");
        check_location(
            &vehicle.start,
            &format!("{path}.start"),
            &mut kinds,
            &mut issues,
        );
        if let Some(end) = &vehicle.end {
            check_location(end, &format!("{path}.end"), &mut kinds, &mut issues);
        }
        if !window_ok(&vehicle.shift) {
            issues.push(InputIssue::new(
                "E1005",
                format!("{path}.shift"),
                format!(
                    "shift [{}, {}] is empty or not a number",
                    vehicle.shift.start, vehicle.shift.end
                ),
                "give a shift with start <= end",
            ));
        }
        if vehicle.capacity.0.iter().any(|c| *c < 0) {
            issues.push(InputIssue::new(
                "E1007",
                format!("{path}.capacity"),
                "capacity is negative",
                "use non-negative capacities",
            ));
        }
        for (name, value) in [
            ("fixed_cost", vehicle.fixed_cost),
            ("cost_per_distance", vehicle.cost_per_distance),
            ("cost_per_hour", vehicle.cost_per_hour),
        ] {
            if !value.is_finite() || value < 0.0 {
                issues.push(InputIssue::new(
                    "E1009",
                    format!("{path}.{name}"),
                    format!("{name} = {value} is negative or not finite"),
                    "use a finite, non-negative cost",
                ));
            }
        }
    }
    for (index, job) in problem.jobs.iter().enumerate() {
        let path = format!("jobs[{index}]");
        if job.demand.0.iter().any(|d| *d < 0) {
            issues.push(InputIssue::new(
                "E1006",
                format!("{path}.demand"),
                "demand is negative",
                "use non-negative demands; model returns as pickups",
            ));
        }
        for (stop_index, stop) in job.stops().into_iter().enumerate() {
            check_stop(
                stop,
                &format!("{path}.stops[{stop_index}]"),
                &mut kinds,
                &mut issues,
            );
        }
    }
    if kinds.len() > 1 {
        issues.push(InputIssue::new(
            "E1011",
            "locations",
            "lat/lon and x/y locations are mixed",
            "use one coordinate kind for the whole problem",
        ));
    }
    check_locks(problem, &mut issues);
    issues
}

fn window_ok(window: &TimeWindow) -> bool {
    !window.start.is_nan()
        && !window.end.is_nan()
        && window.start <= window.end
        && window.start.is_finite()
}

fn check_ids(problem: &Problem, issues: &mut Vec<InputIssue>) {
    let mut seen = HashSet::new();
    for (index, job) in problem.jobs.iter().enumerate() {
        if job.id.is_empty() || !seen.insert(job.id.as_str()) {
            issues.push(InputIssue::new(
                "E1002",
                format!("jobs[{index}].id"),
                format!("job id '{}' is empty or used twice", job.id),
                "give every job a unique, non-empty id",
            ));
        }
    }
    let mut seen = HashSet::new();
    for (index, vehicle) in problem.vehicles.iter().enumerate() {
        if vehicle.id.is_empty() || !seen.insert(vehicle.id.as_str()) {
            issues.push(InputIssue::new(
                "E1003",
                format!("vehicles[{index}].id"),
                format!("vehicle id '{}' is empty or used twice", vehicle.id),
                "give every vehicle a unique, non-empty id",
            ));
        }
    }
}

fn check_stop(stop: &Stop, path: &str, kinds: &mut HashSet<u8>, issues: &mut Vec<InputIssue>) {
    check_location(&stop.location, &format!("{path}.location"), kinds, issues);
    for (index, window) in stop.time_windows.iter().enumerate() {
        if !window_ok(window) {
            issues.push(InputIssue::new(
                "E1004",
                format!("{path}.time_windows[{index}]"),
                format!(
                    "window [{}, {}] is empty or not a number",
                    window.start, window.end
                ),
                "give windows with a finite start <= end",
            ));
        }
    }
    if !stop.service.is_finite() || stop.service < 0.0 {
        issues.push(InputIssue::new(
            "E1008",
            format!("{path}.service"),
            format!("service time {} is negative or not finite", stop.service),
            "use a finite, non-negative service time",
        ));
    }
}

fn check_location(
    location: &Location,
    path: &str,
    kinds: &mut HashSet<u8>,
    issues: &mut Vec<InputIssue>,
) {
    let ok = match *location {
        Location::LatLon { lat, lon } => {
            kinds.insert(0);
            lat.is_finite()
                && lon.is_finite()
                && (-90.0..=90.0).contains(&lat)
                && (-180.0..=180.0).contains(&lon)
        }
        Location::Xy { x, y } => {
            kinds.insert(1);
            x.is_finite() && y.is_finite()
        }
    };
    if !ok {
        issues.push(InputIssue::new(
            "E1010",
            path,
            format!("invalid coordinates {location:?}"),
            "use lat in [-90, 90] and lon in [-180, 180], or finite x/y",
        ));
    }
}

fn check_locks(problem: &Problem, issues: &mut Vec<InputIssue>) {
    let ids: HashSet<&str> = problem.jobs.iter().map(|j| j.id.as_str()).collect();
    let mut locked = HashSet::new();
    for (index, vehicle) in problem.vehicles.iter().enumerate() {
        for (position, job_id) in vehicle.locked_jobs.iter().enumerate() {
            let path = format!("vehicles[{index}].locked_jobs[{position}]");
            if !ids.contains(job_id.as_str()) {
                issues.push(InputIssue::new(
                    "E1012",
                    path,
                    format!("locked job '{job_id}' is not in the job list"),
                    "add the job to `jobs` or remove the lock",
                ));
            } else if !locked.insert(job_id.as_str()) {
                issues.push(InputIssue::new(
                    "E1013",
                    path,
                    format!("job '{job_id}' is locked more than once"),
                    "lock each job on one vehicle only",
                ));
            }
        }
    }
}
