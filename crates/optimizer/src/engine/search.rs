//! The search driver: initial construction, optional fleet minimization (vehicles
//! first), then simulated annealing over SISR ruin-and-recreate moves. Stops on the
//! deadline, the iteration budget or the cancel flag and returns the best state seen.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::instance::Instance;
use super::recreate::{recreate, FleetLimit, Scratch};
use super::rng::Rng;
use super::ruin::{ruin, RuinParams};
use super::state::State;
use super::{Objective, Progress};
use fleet::minimize_fleet;

mod fleet;

/// Start temperature, in multiples of the average nearest-neighbour distance.
const START_TEMPERATURE: f64 = 10.0;
/// Final temperature, same unit.
const FINAL_TEMPERATURE: f64 = 0.05;
/// Final temperature when the routes average at least `LONG_ROUTE_STOPS` stops when the
/// annealing starts. On few, long routes (Solomon R2 and RC2) a warmer end gave 0.16–0.17
/// points lower average gaps over 18 seeds at a fixed iteration budget; on many short
/// routes (RC1 minimizing distance) and on CVRP X-n120-k6 (18 stops per route) it was
/// worse (README, "Tuning at a fixed iteration budget").
const LONG_ROUTE_FINAL_TEMPERATURE: f64 = 0.2;
const LONG_ROUTE_STOPS: f64 = 20.0;
/// Share of the ruins that first exchange two routes' tails at the seed stop, when the
/// routes are long (same rule as the final temperature). Independent restarts on Solomon
/// R2 and RC2 end in basins that differ by a multi-route head/tail rearrangement no
/// single 2-opt* or string removal reaches; at 450,000 iterations, seeds 1–6, the
/// average gap fell from 0.55 to 0.43 % on R2 and from 0.49 to 0.26 % on RC2 (RC201 at
/// the BKS with 9 of 12 seeds instead of 3). Three-seed screens on short routes (R1,
/// RC1, CVRP) were mixed, within the noise between seeds, so they keep plain string
/// removals and the exact results they had (README, "Tail exchange inside the ruin").
const LONG_ROUTE_CROSS_RATE: f64 = 0.1;
/// Start temperature multiplier when polishing the best solution of earlier restarts.
const POLISH_HEAT: f64 = 0.3;
/// Share of fleet-minimization moves whose ruin is centred on an absent job.
const ABSENT_SEED_RATE: f64 = 0.5;
/// Candidates up to this many average nearest-neighbour distances above the acceptance
/// threshold get the local search.
const LOCAL_SEARCH_MARGIN: f64 = 2.0;
/// Local search starts once this share of the annealing schedule has passed (hot phases
/// accept nearly everything, so polishing there buys nothing).
const LOCAL_SEARCH_PHASE: f64 = 0.5;
/// Probability of skipping an insertion position.
const BLINK_RATE: f64 = 0.01;

pub(crate) struct SearchConfig<'a> {
    pub started: Instant,
    pub deadline: Instant,
    pub max_iterations: Option<u64>,
    pub cancel: Option<Arc<AtomicBool>>,
    pub objective: Objective,
    pub seed: u64,
    pub progress: Option<&'a (dyn Fn(&Progress) + Sync)>,
    /// The state is a complete solution to polish: no fleet minimization, cooler start.
    pub polish: bool,
    /// Route count an earlier restart already reached: fleet minimization stops there
    /// instead of spending its stall budget trying to go lower again (0 = unknown).
    pub fleet_floor: usize,
    /// First of several restarts: fleet minimization may take most of its budget.
    pub fleet_first: bool,
}

pub(crate) struct SearchResult {
    pub state: State,
    pub iterations: u64,
    pub cancelled: bool,
}

struct Budget<'a> {
    config: &'a SearchConfig<'a>,
    iterations: u64,
    cancelled: bool,
}

impl Budget<'_> {
    /// Fraction of the whole budget used, in [0, 1].
    fn used(&self) -> f64 {
        let by_time = {
            let total = self
                .config
                .deadline
                .saturating_duration_since(self.config.started)
                .as_secs_f64();
            if total <= 0.0 {
                1.0
            } else {
                self.config.started.elapsed().as_secs_f64() / total
            }
        };
        match self.config.max_iterations {
            // With an iteration budget the schedule depends on iterations only, so runs
            // are reproducible for a seed whatever the machine speed.
            Some(max) => self.iterations as f64 / max.max(1) as f64,
            None => by_time,
        }
        .min(1.0)
    }

    fn exhausted(&mut self) -> bool {
        if let Some(cancel) = &self.config.cancel {
            if cancel.load(Ordering::Relaxed) {
                self.cancelled = true;
                return true;
            }
        }
        if self
            .config
            .max_iterations
            .is_some_and(|max| self.iterations >= max)
        {
            return true;
        }
        Instant::now() >= self.config.deadline
    }
}

/// Runs the whole search from `state` (locked stops placed, other jobs absent).
pub(crate) fn search(instance: &Instance, mut state: State, config: &SearchConfig) -> SearchResult {
    let mut rng = Rng::new(config.seed);
    let mut scratch = Scratch::new(instance);
    let all_vehicles = FleetLimit {
        max_routes: instance.vehicles.len(),
    };
    let mut jobs = std::mem::take(&mut state.absent);
    state.begin();
    recreate(
        instance,
        &mut state,
        &mut jobs,
        0.0,
        all_vehicles,
        &mut scratch,
        &mut rng,
    );
    state.commit();
    let mut budget = Budget {
        config,
        iterations: 0,
        cancelled: false,
    };
    let mut limit = all_vehicles;
    let mut heat = 1.0;
    if config.polish {
        heat = POLISH_HEAT;
        if config.objective == Objective::VehiclesFirst {
            limit.max_routes = state.used_routes();
        }
    } else if config.objective == Objective::VehiclesFirst && state.absent.is_empty() {
        state = minimize_fleet(
            instance,
            state,
            config.fleet_floor,
            &mut budget,
            &mut scratch,
            &mut rng,
        );
        limit.max_routes = state.used_routes();
    }
    let state = anneal(
        instance,
        state,
        limit,
        heat,
        &mut budget,
        &mut scratch,
        &mut rng,
    );
    SearchResult {
        state,
        iterations: budget.iterations,
        cancelled: budget.cancelled,
    }
}

fn report(config: &SearchConfig, state: &State, instance: &Instance, iterations: u64) {
    if let Some(progress) = config.progress {
        progress(&Progress {
            iterations,
            elapsed_seconds: config.started.elapsed().as_secs_f64(),
            best_objective: state.objective(instance),
            vehicles: state.used_routes(),
            unassigned: state.absent.len(),
        });
    }
}

/// Simulated annealing over ruin-and-recreate moves; returns the best state.
fn anneal(
    instance: &Instance,
    mut state: State,
    limit: FleetLimit,
    heat: f64,
    budget: &mut Budget,
    scratch: &mut Scratch,
    rng: &mut Rng,
) -> State {
    let start_fraction = budget.used();
    let hot = START_TEMPERATURE * instance.cost_scale * heat;
    let long_routes = long_routes(&state);
    let params = RuinParams {
        cross_rate: cross_rate(long_routes),
        ..RuinParams::default()
    };
    let final_temperature = if long_routes {
        LONG_ROUTE_FINAL_TEMPERATURE
    } else {
        FINAL_TEMPERATURE
    };
    let cold = final_temperature * instance.cost_scale;
    let mut current = state.objective(instance);
    let mut best = state.clone();
    let mut best_cost = current;
    let mut removed = Vec::new();
    let mut queue = Vec::new();
    while !budget.exhausted() {
        budget.iterations += 1;
        let phase =
            ((budget.used() - start_fraction) / (1.0 - start_fraction).max(1e-9)).clamp(0.0, 1.0);
        let temperature = hot * (cold / hot).powf(phase);
        ruin_and_recreate(
            instance,
            &mut state,
            &params,
            limit,
            scratch,
            rng,
            &mut removed,
        );
        let threshold = current - temperature * rng.unit().max(1e-300).ln();
        let mut candidate = state.objective(instance);
        // Local search only on candidates close to acceptance: most recreated solutions
        // are rejected, and polishing those would only cost time.
        if phase >= LOCAL_SEARCH_PHASE
            && candidate < threshold + LOCAL_SEARCH_MARGIN * instance.cost_scale
        {
            super::local::improve(instance, &mut state, &mut queue);
            candidate = state.objective(instance);
        }
        if candidate < threshold {
            state.commit();
            current = candidate;
            if candidate < best_cost - 1e-9 {
                best_cost = candidate;
                best.clone_from(&state);
                report(budget.config, &best, instance, budget.iterations);
            }
        } else {
            state.rollback();
        }
    }
    best
}

/// One move: ruin (half of the time centred on an absent job, to free its neighbourhood)
/// and recreate the removed and the absent jobs. Begins recording changes for a rollback.
fn ruin_and_recreate(
    instance: &Instance,
    state: &mut State,
    params: &RuinParams,
    limit: FleetLimit,
    scratch: &mut Scratch,
    rng: &mut Rng,
    removed: &mut Vec<usize>,
) {
    state.begin();
    let hint = (!state.absent.is_empty() && rng.unit() < ABSENT_SEED_RATE)
        .then(|| instance.jobs[state.absent[rng.below(state.absent.len())]].stops[0]);
    ruin(instance, state, params, hint, rng, removed);
    removed.append(&mut state.absent);
    recreate(instance, state, removed, BLINK_RATE, limit, scratch, rng);
}

/// Whether the used routes average at least `LONG_ROUTE_STOPS` stops.
fn long_routes(state: &State) -> bool {
    averages_long(routed_stops(state), state.used_routes())
}

fn routed_stops(state: &State) -> usize {
    state.routes.iter().map(|r| r.stops.len()).sum()
}

/// Whether `stops` on `routes` routes average at least `LONG_ROUTE_STOPS` per route.
fn averages_long(stops: usize, routes: usize) -> bool {
    routes > 0 && stops as f64 >= LONG_ROUTE_STOPS * routes as f64
}

/// Share of ruins that start with a tail exchange, on long routes or on others.
fn cross_rate(long_routes: bool) -> f64 {
    if long_routes {
        LONG_ROUTE_CROSS_RATE
    } else {
        0.0
    }
}
