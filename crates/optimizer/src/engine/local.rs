//! Local search applied to each recreated solution: 2-opt* (exchange the tails of two
//! routes). Ruin-and-recreate moves stops one job at a time, so it rarely finds the
//! exchange of two long route ends that crosses over; on few, long routes (Solomon R2 and
//! RC2) that exchange is what closes the last percent. Each candidate is checked in O(1)
//! from the routes' caches (departures, latest starts, load prefix/suffix maxima).

use super::instance::{Instance, Load, EPS};
use super::route::Route;
use super::state::State;

/// Improves the routes touched since `begin` (and the routes they exchange with) until
/// no improving tail exchange is left. Returns whether anything changed.
pub(crate) fn improve(instance: &Instance, state: &mut State, queue: &mut Vec<usize>) -> bool {
    if instance.has_pairs {
        return false;
    }
    queue.clear();
    queue.extend(state.touched_routes());
    let mut changed = false;
    while let Some(r1) = queue.pop() {
        let Some((r2, i, j)) = best_exchange(instance, state, r1) else {
            continue;
        };
        apply(instance, state, r1, i, r2, j);
        changed = true;
        for r in [r1, r2] {
            if !queue.contains(&r) {
                queue.push(r);
            }
        }
    }
    changed
}

fn shifted_fits(max: &Load, shift: &Load, capacity: &Load) -> bool {
    (0..max.len()).all(|d| max[d] + shift[d] <= capacity[d])
}

fn sub(a: &Load, b: &Load) -> Load {
    std::array::from_fn(|d| a[d] - b[d])
}

fn add(a: &Load, b: &Load) -> Load {
    std::array::from_fn(|d| a[d] + b[d])
}

/// Whether route `a` can keep its nodes 0..=i and take `b`'s nodes after j.
#[inline]
fn fits(instance: &Instance, a: &Route, i: usize, b: &Route, j: usize) -> bool {
    let (ma, mb) = (a.stops.len(), b.stops.len());
    let arrival = a.depart[i] + instance.time(a.locs[i] as usize, b.locs[j + 1] as usize);
    if arrival > b.latest[j + 1] + EPS {
        return false;
    }
    let capacity = &instance.vehicles[a.vehicle].capacity;
    let total_a = &a.start_sum[ma + 1];
    let start = add(&a.start_sum[i], &sub(&b.start_sum[mb + 1], &b.start_sum[j]));
    let head_shift = sub(&start, total_a);
    if !shifted_fits(&a.prefix_max[i], &head_shift, capacity) {
        return false;
    }
    let tail_shift = sub(&add(&start, &a.load[i]), &add(total_a, &b.load[j]));
    shifted_fits(&b.suffix_max[j + 1], &tail_shift, capacity)
}

/// The best improving tail exchange of `r1` with another used route of the same type:
/// (r2, i, j) = r1 keeps nodes 0..=i and takes r2's nodes after j, and vice versa.
fn best_exchange(instance: &Instance, state: &State, r1: usize) -> Option<(usize, usize, usize)> {
    let a = &state.routes[r1];
    if a.stops.is_empty() {
        return None;
    }
    let vehicle = &instance.vehicles[a.vehicle];
    let ma = a.stops.len();
    let mut best = -1e-9 * instance.cost_scale.max(1.0);
    let mut found = None;
    for (r2, b) in state.routes.iter().enumerate() {
        if r2 == r1 || b.stops.is_empty() || instance.vehicles[b.vehicle].type_id != vehicle.type_id
        {
            continue;
        }
        let mb = b.stops.len();
        let forward = instance.forward_times;
        let first = b.locked_len;
        for i in a.locked_len..=ma {
            let (ai, ai1) = (a.locs[i] as usize, a.locs[i + 1] as usize);
            // Cached arc costs: `b` has the same type, hence the same cost rates.
            let removed_a = a.arc[i + 1];
            let (a_departure, a_latest) = (a.depart[i], a.latest[i + 1]);
            let tails = (b.depart[first..=mb].iter())
                .zip(&b.latest[first + 1..])
                .zip(&b.locs[first..])
                .zip(&b.locs[first + 1..])
                .zip(&b.arc[first + 1..]);
            for (offset, ((((&departure, &latest), &bj), &bj1), &removed_b)) in tails.enumerate() {
                let j = first + offset;
                // `b` leaves node j no earlier than node j - 1: once it leaves after the
                // latest start of a's node i + 1, no later j can take a's tail (`fits`).
                if forward && departure > a_latest + EPS {
                    break;
                }
                // Nor can a's head (it leaves node i too late for b's node j + 1).
                if forward && a_departure > latest + EPS {
                    continue;
                }
                if (i == 0 && j == 0) || (i == ma && j == mb) {
                    continue;
                }
                let (bj, bj1) = (bj as usize, bj1 as usize);
                let mut delta = instance.arc_cost(vehicle, ai, bj1)
                    + instance.arc_cost(vehicle, bj, ai1)
                    - removed_a
                    - removed_b;
                if (i == 0 && j == mb) || (j == 0 && i == ma) {
                    delta -= vehicle.fixed_cost;
                }
                if delta >= best {
                    continue;
                }
                if fits(instance, a, i, b, j) && fits(instance, b, j, a, i) {
                    best = delta;
                    found = Some((r2, i, j));
                }
            }
        }
    }
    found
}

fn apply(instance: &Instance, state: &mut State, r1: usize, i: usize, r2: usize, j: usize) {
    let (a, b) = (&state.routes[r1].stops, &state.routes[r2].stops);
    let new_a: Vec<u32> = a[..i].iter().chain(&b[j..]).copied().collect();
    let new_b: Vec<u32> = b[..j].iter().chain(&a[i..]).copied().collect();
    state.set_stops(instance, r1, new_a);
    state.set_stops(instance, r2, new_b);
}

#[cfg(test)]
mod tests {
    use super::super::test_support::job;
    use super::*;
    use crate::model::{Amount, Location, Problem, Vehicle};
    use crate::transport::Euclidean;

    /// Two crossing routes around a depot at the origin: p→q and `second` (r, t).
    fn crossing(window_t: (f64, f64), second: [u32; 2]) -> (Instance, State) {
        let depot = Location::Xy { x: 0.0, y: 0.0 };
        let mut vehicle = Vehicle::new("v", depot, Amount([10, 0, 0]));
        vehicle.end = Some(depot);
        let mut other = vehicle.clone();
        other.id = "w".into();
        let problem = Problem {
            vehicles: vec![vehicle, other],
            jobs: vec![
                job("p", 0.0, 5.0, (0.0, 1000.0)),
                job("q", 10.0, -5.0, (0.0, 1000.0)),
                job("r", 0.0, -5.0, (0.0, 1000.0)),
                job("t", 10.0, 5.0, window_t),
            ],
        };
        let instance = Instance::build(&problem, &Euclidean::default()).unwrap();
        let mut state = State::new(&instance, &[0, 1, 2, 3]).unwrap();
        state.begin();
        state.absent.clear();
        state.set_stops(&instance, 0, vec![0, 1]);
        state.set_stops(&instance, 1, second.to_vec());
        (instance, state)
    }

    fn assert_consistent(instance: &Instance, state: &State) {
        let mut all: Vec<u32> = state.routes.iter().flat_map(|r| r.stops.clone()).collect();
        all.sort();
        assert_eq!(all, [0, 1, 2, 3], "every stop exactly once");
        for (index, route) in state.routes.iter().enumerate() {
            assert!(route.feasible);
            let mut check = route.clone();
            check.update(instance);
            assert!((check.cost - route.cost).abs() < 1e-9);
            for &stop in &route.stops {
                assert_eq!(state.route_of[stop as usize], index as u32);
            }
        }
    }

    #[test]
    fn crossing_tails_are_exchanged() {
        let (instance, mut state) = crossing((0.0, 1000.0), [2, 3]);
        let before = state.objective(&instance);
        assert!(improve(&instance, &mut state, &mut Vec::new()));
        assert!(state.objective(&instance) < before - 1.0);
        assert_consistent(&instance, &state);
    }

    #[test]
    fn exchanges_keep_every_window() {
        // t closes at 11.5: only reachable straight from the depot (11.18).
        let (instance, mut state) = crossing((0.0, 11.5), [3, 2]);
        let before = state.objective(&instance);
        assert!(improve(&instance, &mut state, &mut Vec::new()));
        assert!(state.objective(&instance) < before - 1.0);
        assert_consistent(&instance, &state);
        let route = &state.routes[state.route_of[3] as usize];
        assert_eq!(route.stops[0], 3, "t is still served first");
    }
}
