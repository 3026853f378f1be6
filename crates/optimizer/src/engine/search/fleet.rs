//! Fleet minimization for the vehicles-first objective (SISR style): empty a route, then
//! ruin-and-recreate until its jobs fit in the others, and repeat until the demand lower
//! bound, the route count an earlier restart reached, or the budget stops it.

use super::super::instance::Instance;
use super::super::recreate::{FleetLimit, Scratch};
use super::super::rng::Rng;
use super::super::ruin::RuinParams;
use super::super::state::{State, ABSENT};
use super::{averages_long, cross_rate, report, routed_stops, ruin_and_recreate, Budget};

/// Share of the budget the fleet minimization may use in vehicles-first mode.
const FLEET_SHARE: f64 = 0.5;
/// Fleet minimization gives up when removing one more route failed for this share.
const FLEET_STALL_SHARE: f64 = 0.2;
/// The same two shares for the first of several restarts, which alone searches for the
/// route count (the later ones stop at the count it reached and anneal for longer).
const FIRST_FLEET_SHARE: f64 = 0.8;
const FIRST_FLEET_STALL_SHARE: f64 = 0.4;

/// Lower bound on routes from total delivered and picked-up amounts.
fn route_lower_bound(instance: &Instance, state: &State) -> usize {
    let mut bound = 1;
    for d in 0..3 {
        let largest = instance
            .vehicles
            .iter()
            .map(|v| v.capacity[d])
            .max()
            .unwrap_or(0);
        if largest <= 0 {
            continue;
        }
        let (mut delivered, mut picked) = (0i64, 0i64);
        for (index, stop) in instance.stops.iter().enumerate() {
            if state.route_of[index] == ABSENT {
                continue;
            }
            delivered += stop.start_load[d];
            if stop.start_load[d] == 0 && stop.delta[d] > 0 {
                picked += stop.delta[d];
            }
        }
        let needed = delivered.max(picked);
        bound = bound.max(((needed + largest - 1) / largest) as usize);
    }
    bound
}

/// Fleet minimization (SISR style): empty a route, then ruin-and-recreate, accepting
/// moves that reduce the number of absent jobs or the sum of their absence counters.
pub(super) fn minimize_fleet(
    instance: &Instance,
    mut state: State,
    floor: usize,
    budget: &mut Budget,
    scratch: &mut Scratch,
    rng: &mut Rng,
) -> State {
    let lower_bound = route_lower_bound(instance, &state).max(floor);
    // The routes will be long if the fleet gets near its lower bound: tail exchanges
    // while it shrinks give the annealing more varied starts (RC201 at 450,000
    // iterations: the BKS with 9 of 12 seeds, against 5 when they start only once the
    // routes are long). The fleet never shrinks below the bound, so routes that are long
    // on the way down always pass this test.
    let params = RuinParams {
        cross_rate: cross_rate(averages_long(routed_stops(&state), lower_bound)),
        ..RuinParams::default()
    };
    let mut absences = vec![0u64; instance.jobs.len()];
    let mut best = state.clone();
    let mut limit = FleetLimit {
        max_routes: state.used_routes(),
    };
    let mut removed = Vec::new();
    let (share, stall) = if budget.config.fleet_first {
        (FIRST_FLEET_SHARE, FIRST_FLEET_STALL_SHARE)
    } else {
        (FLEET_SHARE, FLEET_STALL_SHARE)
    };
    let mut last_success = budget.used();
    loop {
        if state.absent.is_empty() {
            last_success = budget.used();
            best.clone_from(&state);
            report(budget.config, &best, instance, budget.iterations);
            if state.used_routes() <= lower_bound {
                break;
            }
            let Some(route) = pick_route_to_remove(&state, rng) else {
                break;
            };
            state.begin();
            state.clear_route(instance, route);
            state.commit();
            limit.max_routes = state.used_routes();
        }
        let used = budget.used();
        if budget.exhausted() || used >= share || used - last_success > stall {
            break;
        }
        budget.iterations += 1;
        let before_count = state.absent.len();
        let before_sum: u64 = state.absent.iter().map(|&j| absences[j]).sum();
        ruin_and_recreate(
            instance,
            &mut state,
            &params,
            limit,
            scratch,
            rng,
            &mut removed,
        );
        let after_sum: u64 = state.absent.iter().map(|&j| absences[j]).sum();
        if state.absent.len() < before_count || after_sum < before_sum {
            state.commit();
        } else {
            state.rollback();
        }
        for &job in &state.absent {
            absences[job] += 1;
        }
    }
    best
}

/// A route without locked stops: usually the one with the fewest stops, sometimes random.
fn pick_route_to_remove(state: &State, rng: &mut Rng) -> Option<usize> {
    let candidates: Vec<usize> = (0..state.routes.len())
        .filter(|&r| !state.routes[r].stops.is_empty() && state.routes[r].locked_len == 0)
        .collect();
    if candidates.is_empty() {
        return None;
    }
    if rng.unit() < 0.5 {
        return Some(candidates[rng.below(candidates.len())]);
    }
    candidates
        .iter()
        .copied()
        .min_by_key(|&r| (state.routes[r].stops.len(), rng.below(1000)))
}
