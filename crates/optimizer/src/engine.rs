//! The solver entry points: validate, compile, set aside unserviceable jobs, run the
//! (multi-threaded) search, and report a timed [`Solution`].
//!
//! Algorithm: greedy insertion construction, then for [`Objective::VehiclesFirst`] a
//! fleet-minimization phase, then simulated annealing over SISR ruin-and-recreate
//! moves (string removals + cheapest insertion with blinks), with a 2-opt* descent on
//! candidates close to acceptance late in the schedule. Each thread runs an
//! independent search with its own seed; the best result wins (ties: lowest thread).

mod instance;
mod local;
mod precheck;
mod recreate;
mod report;
mod rng;
mod route;
mod ruin;
mod search;
mod state;
#[cfg(test)]
mod test_support;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, InputIssue};
use crate::model::Problem;
use crate::solution::{Solution, UnassignedReason};
use crate::transport::{default_cost_for, TransportCost};
use instance::Instance;
use search::{search, SearchConfig};
use state::State;

/// What the search minimizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Total cost (fixed + distance + time costs of the vehicles).
    #[default]
    Distance,
    /// Number of vehicles first, then total cost (Solomon convention).
    VehiclesFirst,
}

/// Snapshot passed to the progress callback when the best solution improves.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub iterations: u64,
    pub elapsed_seconds: f64,
    /// Internal objective (costs with travel time instead of route duration, plus
    /// penalties for unassigned jobs).
    pub best_objective: f64,
    pub vehicles: usize,
    pub unassigned: usize,
}

/// Progress callback, shared with the search threads.
pub type ProgressCallback = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How to run the search.
#[derive(Clone)]
pub struct SolveParams {
    pub time_limit: Duration,
    /// Optional iteration budget per thread. When set, the annealing schedule follows
    /// iterations (not the clock), so results are identical for a seed as long as
    /// the budget is reached before the time limit.
    pub max_iterations: Option<u64>,
    pub seed: u64,
    /// Independent search threads (at least one).
    pub threads: usize,
    pub objective: Objective,
    /// Set to `true` to stop early; the best solution so far is returned.
    pub cancel: Option<Arc<AtomicBool>>,
    pub progress: Option<ProgressCallback>,
}

impl Default for SolveParams {
    fn default() -> Self {
        SolveParams {
            time_limit: Duration::from_secs(5),
            max_iterations: None,
            seed: 1,
            threads: 1,
            objective: Objective::Distance,
            cancel: None,
            progress: None,
        }
    }
}

/// An existing plan for warm starts: unlocked jobs a vehicle currently plans to do
/// (after its locked jobs), in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedRoute {
    pub vehicle_id: String,
    pub job_ids: Vec<String>,
}

/// Solves with the default transport model (haversine for lat/lon, Euclidean for x/y).
pub fn solve(problem: &Problem, params: &SolveParams) -> Result<Solution, Error> {
    let locations: Vec<_> = problem
        .vehicles
        .iter()
        .map(|v| v.start)
        .chain(
            problem
                .jobs
                .iter()
                .flat_map(|j| j.stops().into_iter().map(|s| s.location)),
        )
        .collect();
    let cost = default_cost_for(&locations);
    solve_with(problem, cost.as_ref(), params)
}

/// Solves with a caller-chosen [`TransportCost`].
pub fn solve_with(
    problem: &Problem,
    cost: &dyn TransportCost,
    params: &SolveParams,
) -> Result<Solution, Error> {
    reoptimize(problem, cost, &[], params)
}

/// Re-optimization: vehicles carry their current position/time (`start`, `shift.start`)
/// and locked jobs; `current` is the existing plan of unlocked jobs. Existing routes are
/// kept as a warm start, new jobs are inserted where cheapest, and the remaining time
/// is spent improving everything except the locked stops (a zero time limit returns
/// the insertion result immediately).
pub fn reoptimize(
    problem: &Problem,
    cost: &dyn TransportCost,
    current: &[PlannedRoute],
    params: &SolveParams,
) -> Result<Solution, Error> {
    let started = Instant::now();
    let issues = crate::validate::validate(problem);
    if !issues.is_empty() {
        return Err(Error::Invalid(issues));
    }
    let instance = Instance::build(problem, cost)?;
    let empty_routes: Vec<route::Route> = (0..instance.vehicles.len())
        .map(|v| route::Route::new(&instance, v))
        .collect();
    let locked: std::collections::HashSet<usize> = instance
        .vehicles
        .iter()
        .flat_map(|v| v.locked_jobs.iter().copied())
        .collect();
    let mut excluded = Vec::new();
    let mut plannable = Vec::new();
    for job in 0..instance.jobs.len() {
        if locked.contains(&job) {
            continue;
        }
        match precheck::unserviceable_reason(&instance, job, &empty_routes) {
            Some(reason) => excluded.push((job, reason)),
            None => plannable.push(job),
        }
    }
    let mut state = State::new(&instance, &plannable).map_err(|bad| {
        Error::Invalid(bad.into_iter().map(|v| locked_issue(problem, v)).collect())
    })?;
    warm_start(&instance, problem, &mut state, current);

    let threads = params.threads.max(1);
    let segments = restart_segments(instance.jobs.len(), params);
    let progress = params
        .progress
        .as_deref()
        .map(|p| p as &(dyn Fn(&Progress) + Sync));
    let better = |a: &search::SearchResult, b: &search::SearchResult| {
        rank(&instance, params.objective, a) < rank(&instance, params.objective, b)
    };
    // One thread = a few independent restarts that share its time (or iteration)
    // budget; SISR runs on small instances land in different basins, so the best of
    // several shorter runs is both better on average and far less variable.
    let run = |thread: usize| {
        let mut best: Option<search::SearchResult> = None;
        let (mut iterations, mut cancelled) = (0, false);
        for segment in 0..segments {
            // The last of several restarts polishes the best solution found so far.
            let polish = segments > 2 && segment + 1 == segments;
            let config = SearchConfig {
                started: Instant::now(),
                // An iteration budget is split in the same shares as the time, and
                // then only the whole time limit stops a restart (reproducible runs).
                deadline: started
                    + params.time_limit.mul_f64(match params.max_iterations {
                        Some(_) => 1.0,
                        None => segment_end(segment, segments, params),
                    }),
                max_iterations: params.max_iterations.map(|m| {
                    let share = segment_end(segment, segments, params)
                        - segment
                            .checked_sub(1)
                            .map_or(0.0, |previous| segment_end(previous, segments, params));
                    ((m as f64 * share) as u64).max(1)
                }),
                cancel: params.cancel.clone(),
                objective: params.objective,
                seed: params
                    .seed
                    .wrapping_add((thread as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
                    .wrapping_add((segment as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)),
                progress,
                polish,
                fleet_floor: match &best {
                    Some(b) if b.state.absent.is_empty() => b.state.used_routes(),
                    _ => 0,
                },
                fleet_first: segments > 1 && segment == 0,
            };
            let start = match (&best, polish) {
                (Some(b), true) => b.state.clone(),
                _ => state.clone(),
            };
            let result = search(&instance, start, &config);
            iterations += result.iterations;
            cancelled |= result.cancelled;
            if best.as_ref().is_none_or(|b| better(&result, b)) {
                best = Some(result);
            }
            if cancelled {
                break;
            }
        }
        let mut best = best.expect("at least one segment");
        best.iterations = iterations;
        best.cancelled = cancelled;
        best
    };
    let results: Vec<search::SearchResult> = if threads == 1 {
        vec![run(0)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|t| scope.spawn(move || run(t))).collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("search thread panicked"))
                .collect()
        })
    };
    let iterations = results.iter().map(|r| r.iterations).sum();
    let cancelled = results.iter().any(|r| r.cancelled);
    let mut best_index = 0;
    for (index, result) in results.iter().enumerate() {
        if better(result, &results[best_index]) {
            best_index = index;
        }
    }
    let best = &results[best_index];
    let mut solution = report::build_solution(&instance, problem, cost, &best.state, &excluded);
    solution.stats.iterations = iterations;
    solution.stats.cancelled = cancelled;
    solution.stats.elapsed_seconds = started.elapsed().as_secs_f64();
    Ok(solution)
}

/// Sequential restarts per thread: small instances profit from the best of several
/// runs of at least `RESTART_SECONDS` each (up to `MAX_RESTARTS`); large instances use
/// one run. The count depends on the time limit only, so an iteration-budgeted run
/// (reproducible) has the same structure as a timed run of that limit.
fn restart_segments(jobs: usize, params: &SolveParams) -> usize {
    if jobs > RESTART_MAX_JOBS {
        return 1;
    }
    let by_time = (params.time_limit.as_secs_f64() / RESTART_SECONDS).floor() as usize;
    by_time.clamp(1, MAX_RESTARTS)
}

/// Where restart `segment` of `segments` ends, as a share of the time limit. In
/// vehicles-first mode the first restart, which alone searches for the route count, gets
/// a double share.
fn segment_end(segment: usize, segments: usize, params: &SolveParams) -> f64 {
    let first = if params.objective == Objective::VehiclesFirst && segments > 1 {
        2.0
    } else {
        1.0
    };
    let total = first + (segments - 1) as f64;
    (first + segment as f64) / total
}

const RESTART_MAX_JOBS: usize = 300;
const RESTART_SECONDS: f64 = 2.0;
const MAX_RESTARTS: usize = 5;

/// Ordering key of a search result: penalties of absent jobs, then routes (vehicles
/// first only), then the objective.
fn rank(
    instance: &Instance,
    objective: Objective,
    result: &search::SearchResult,
) -> (f64, usize, f64) {
    let penalties: f64 = result
        .state
        .absent
        .iter()
        .map(|&j| instance.jobs[j].penalty)
        .sum();
    let routes = if objective == Objective::VehiclesFirst {
        result.state.used_routes()
    } else {
        0
    };
    (penalties, routes, result.state.objective(instance))
}

fn locked_issue(problem: &Problem, vehicle: usize) -> InputIssue {
    InputIssue::new(
        "E1015",
        format!("vehicles[{vehicle}].locked_jobs"),
        format!("the locked jobs of vehicle '{}' cannot be served in this order within their windows, the shift or the capacity", problem.vehicles[vehicle].id),
        "update the vehicle's current position/time or unlock the late jobs",
    )
}

/// Appends the jobs of an existing plan to their vehicles' routes while feasible;
/// anything that no longer fits stays absent and is re-inserted by the search.
fn warm_start(instance: &Instance, problem: &Problem, state: &mut State, current: &[PlannedRoute]) {
    let job_index: std::collections::HashMap<&str, usize> = problem
        .jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.id.as_str(), i))
        .collect();
    state.begin();
    for planned in current {
        let Some(vehicle) = problem
            .vehicles
            .iter()
            .position(|v| v.id == planned.vehicle_id)
        else {
            continue;
        };
        for id in &planned.job_ids {
            let Some(&job) = job_index.get(id.as_str()) else {
                continue;
            };
            let Some(slot) = state.absent.iter().position(|&j| j == job) else {
                continue;
            };
            let info = &instance.jobs[job];
            let route = &state.routes[vehicle];
            let end = route.stops.len();
            let insertion = route::Insertion {
                route: vehicle,
                first_after: end,
                second_after: end,
            };
            state.insert_job(instance, job, &insertion);
            if state.routes[vehicle].feasible
                && info.skills & !instance.vehicles[vehicle].skills == 0
            {
                state.absent.swap_remove(slot);
            } else {
                let stops: Vec<u32> = info.stops.iter().map(|&s| s as u32).collect();
                let mut removed = Vec::new();
                state.remove_stops(instance, vehicle, &stops, &mut removed);
            }
        }
    }
    state.commit();
}

/// Exposes the unserviceable reasons check for a single job (used by tests and the
/// service to explain a rejected job without solving).
pub fn explain_unserviceable(
    problem: &Problem,
    cost: &dyn TransportCost,
    job_index: usize,
) -> Result<Option<UnassignedReason>, Error> {
    let mut issues = crate::validate::validate(problem);
    if job_index >= problem.jobs.len() {
        issues.push(InputIssue::new(
            "E1016",
            "job_index",
            format!(
                "job index {job_index} is out of range ({} jobs)",
                problem.jobs.len()
            ),
            "pass the index of a job in `Problem::jobs`",
        ));
    }
    if !issues.is_empty() {
        return Err(Error::Invalid(issues));
    }
    let instance = Instance::build(problem, cost)?;
    let empty: Vec<route::Route> = (0..instance.vehicles.len())
        .map(|v| route::Route::new(&instance, v))
        .collect();
    Ok(precheck::unserviceable_reason(&instance, job_index, &empty))
}
