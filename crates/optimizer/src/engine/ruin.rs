//! Ruin step of SISR (slack induction by string removals, Christiaens & Vanden Berghe
//! 2020): remove a few strings of consecutive stops from routes that are spatially
//! close to a random seed stop, sometimes keeping a sub-string in the middle ("split
//! string") so that the recreate step can re-thread stops into the gap it left. On long
//! routes a share of the ruins first exchanges two routes' tails at the seed (`cross`).

use super::instance::Instance;
use super::rng::Rng;
use super::state::{State, ABSENT};

/// Tunables of the string removal.
#[derive(Clone, Copy)]
pub(crate) struct RuinParams {
    /// Average number of removed stops.
    pub average_removed: f64,
    /// Maximum string length.
    pub max_string: f64,
    /// Probability of the split-string variant.
    pub split_rate: f64,
    /// Per-step stop probability when growing the preserved sub-string.
    pub split_depth: f64,
    /// Probability of first exchanging the tails of the seed's route and a nearby route.
    pub cross_rate: f64,
}

impl Default for RuinParams {
    fn default() -> Self {
        RuinParams {
            average_removed: 10.0,
            max_string: 10.0,
            split_rate: 0.5,
            split_depth: 0.01,
            cross_rate: 0.0,
        }
    }
}

/// Removes strings around a seed stop (a random routed one unless `seed_hint` is given,
/// e.g. an absent stop whose neighbourhood should be freed); returns the removed jobs.
pub(crate) fn ruin(
    instance: &Instance,
    state: &mut State,
    params: &RuinParams,
    seed_hint: Option<usize>,
    rng: &mut Rng,
    removed: &mut Vec<usize>,
) {
    removed.clear();
    let mut routed_free = 0usize;
    let mut used = 0usize;
    for route in &state.routes {
        if route.stops.len() > route.locked_len {
            routed_free += route.stops.len() - route.locked_len;
            used += 1;
        }
    }
    if routed_free == 0 {
        return;
    }
    let average_cardinality = routed_free as f64 / used as f64;
    let max_len = params.max_string.min(average_cardinality);
    let max_strings = (4.0 * params.average_removed / (1.0 + max_len) - 1.0).max(1.0);
    let strings = (1.0 + rng.unit() * max_strings).floor() as usize;

    // Seed: a random routed, unlocked stop.
    let seed = seed_hint.unwrap_or_else(|| loop {
        let candidate = rng.below(instance.stops.len());
        let route = state.route_of[candidate];
        if route != ABSENT {
            let r = &state.routes[route as usize];
            if r.stops[r.locked_len..].contains(&(candidate as u32)) {
                break candidate;
            }
        }
    });
    if params.cross_rate > 0.0
        && seed_hint.is_none()
        && !instance.has_pairs
        && rng.unit() < params.cross_rate
    {
        cross(instance, state, seed, rng, removed);
    }
    let mut ruined_routes: Vec<u32> = Vec::with_capacity(strings);
    let mut buffer: Vec<u32> = Vec::new();
    for &neighbour in &instance.neighbours[seed] {
        if ruined_routes.len() >= strings {
            break;
        }
        let route_index = state.route_of[neighbour as usize];
        if route_index == ABSENT || ruined_routes.contains(&route_index) {
            continue;
        }
        let route = &state.routes[route_index as usize];
        let Some(position) = route.stops[route.locked_len..]
            .iter()
            .position(|&s| s == neighbour)
        else {
            continue;
        };
        let free = route.stops.len() - route.locked_len;
        let cap = (free as f64).min(max_len).max(1.0);
        let length = ((1.0 + rng.unit() * cap).floor() as usize).clamp(1, free);
        buffer.clear();
        let free_stops = &route.stops[route.locked_len..];
        if rng.unit() < params.split_rate && length < free {
            // Split string: a window of length + kept stops, the kept block preserved.
            let mut kept = 1;
            while length + kept < free && rng.unit() > params.split_depth {
                kept += 1;
            }
            let window = length + kept;
            let start = string_start(position, window, free, rng);
            let kept_start = start + rng.below(length + 1);
            for (offset, &stop) in free_stops[start..start + window].iter().enumerate() {
                let index = start + offset;
                if index < kept_start || index >= kept_start + kept {
                    buffer.push(stop);
                }
            }
        } else {
            let start = string_start(position, length, free, rng);
            buffer.extend_from_slice(&free_stops[start..start + length]);
        }
        ruined_routes.push(route_index);
        let stops = std::mem::take(&mut buffer);
        state.remove_stops(instance, route_index as usize, &stops, removed);
        buffer = stops;
    }
}

/// Random start of a string of `length` inside `free` stops that contains `position`.
fn string_start(position: usize, length: usize, free: usize, rng: &mut Rng) -> usize {
    let low = (position + 1).saturating_sub(length);
    let high = position.min(free - length);
    rng.between(low, high)
}

/// Joins the seed stop to the nearest stop of another route by exchanging the two
/// routes' tails (the seed's route keeps its stops up to the seed and continues with the
/// other route's stops from the neighbour on), then drops stops at each junction until
/// both routes are feasible again. 2-opt* descends only to feasible, improving exchanges;
/// this one is followed by the string removals around the seed and the recreate, so an
/// exchange that only pays once a few stops move elsewhere can still be reached.
fn cross(
    instance: &Instance,
    state: &mut State,
    seed: usize,
    rng: &mut Rng,
    removed: &mut Vec<usize>,
) {
    let ra = state.route_of[seed] as usize;
    let type_id = instance.vehicles[state.routes[ra].vehicle].type_id;
    let Some((rb, neighbour)) = instance.neighbours[seed].iter().take(10).find_map(|&n| {
        let r = state.route_of[n as usize];
        (r != ABSENT
            && r as usize != ra
            && instance.vehicles[state.routes[r as usize].vehicle].type_id == type_id)
            .then_some((r as usize, n))
    }) else {
        return;
    };
    let (a, b) = (&state.routes[ra], &state.routes[rb]);
    let p = a
        .stops
        .iter()
        .position(|&s| s as usize == seed)
        .expect("seed in its route");
    let Some(q) = b.stops.iter().position(|&s| s == neighbour) else {
        return;
    };
    if q < b.locked_len {
        return;
    }
    let new_a: Vec<u32> = a.stops[..=p].iter().chain(&b.stops[q..]).copied().collect();
    let new_b: Vec<u32> = b.stops[..q]
        .iter()
        .chain(&a.stops[p + 1..])
        .copied()
        .collect();
    state.set_stops(instance, ra, new_a);
    state.set_stops(instance, rb, new_b);
    // `junction`: index of the first stop taken from the other route.
    for (route, mut junction) in [(ra, p + 1), (rb, q)] {
        let mut tail_first = rng.unit() < 0.5;
        while !state.routes[route].feasible {
            let r = &state.routes[route];
            let head_free = junction > r.locked_len;
            let tail_free = junction < r.stops.len();
            let index = match (head_free, tail_free) {
                (false, false) => break,
                (true, false) => junction - 1,
                (false, true) => junction,
                (true, true) if tail_first => junction,
                (true, true) => junction - 1,
            };
            if index < junction {
                junction -= 1;
            }
            tail_first = !tail_first;
            let stop = r.stops[index];
            state.remove_stops(instance, route, &[stop], removed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::job;
    use super::*;
    use crate::model::{Amount, Location, Problem, Vehicle};
    use crate::transport::Euclidean;

    /// Two routes from a depot at the origin: up the y axis (stops 0, 1, 2) and along the
    /// x axis (stops 3, 4, 5); `window_q1` is the window of stop 3 at (5, 0).
    fn two_routes(window_q1: (f64, f64)) -> (Instance, State) {
        let depot = Location::Xy { x: 0.0, y: 0.0 };
        let mut vehicle = Vehicle::new("v", depot, Amount([10, 0, 0]));
        vehicle.end = Some(depot);
        let mut other = vehicle.clone();
        other.id = "w".into();
        let open = (0.0, 1000.0);
        let problem = Problem {
            vehicles: vec![vehicle, other],
            jobs: vec![
                job("p1", 0.0, 5.0, open),
                job("p2", 0.0, 10.0, open),
                job("p3", 0.0, 15.0, open),
                job("q1", 5.0, 0.0, window_q1),
                job("q2", 10.0, 0.0, open),
                job("q3", 15.0, 0.0, open),
            ],
        };
        let instance = Instance::build(&problem, &Euclidean::default()).unwrap();
        let mut state = State::new(&instance, &[0, 1, 2, 3, 4, 5]).unwrap();
        state.begin();
        state.absent.clear();
        state.set_stops(&instance, 0, vec![0, 1, 2]);
        state.set_stops(&instance, 1, vec![3, 4, 5]);
        state.commit();
        (instance, state)
    }

    /// Every stop is in exactly one feasible route or removed, and `route_of` agrees.
    fn assert_accounted(instance: &Instance, state: &State, removed: &[usize]) {
        let mut seen: Vec<usize> = removed.to_vec();
        for (index, route) in state.routes.iter().enumerate() {
            assert!(route.feasible, "route {index} is feasible");
            for &stop in &route.stops {
                assert_eq!(state.route_of[stop as usize], index as u32);
                seen.push(instance.stops[stop as usize].job);
            }
        }
        for &job in removed {
            assert_eq!(state.route_of[instance.jobs[job].stops[0]], ABSENT);
        }
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 2, 3, 4, 5], "each job once");
    }

    #[test]
    fn cross_joins_the_seed_to_the_nearest_stop_of_another_route() {
        let (instance, mut state) = two_routes((0.0, 1000.0));
        let mut removed = Vec::new();
        state.begin();
        cross(&instance, &mut state, 0, &mut Rng::new(1), &mut removed);
        // p1's nearest stop on the other route is q1: p1 q1 q2 q3 and p2 p3.
        assert_eq!(state.routes[0].stops, [0, 3, 4, 5]);
        assert_eq!(state.routes[1].stops, [1, 2]);
        assert!(removed.is_empty(), "both routes stay feasible");
        assert_accounted(&instance, &state, &removed);
        state.rollback();
        assert_eq!(state.routes[0].stops, [0, 1, 2], "the exchange rolls back");
        assert_eq!(state.routes[1].stops, [3, 4, 5]);
    }

    #[test]
    fn cross_drops_junction_stops_until_the_routes_are_feasible() {
        // q1 must be served by t = 6: straight from the depot (5) only.
        for seed in 1..20 {
            let (instance, mut state) = two_routes((0.0, 6.0));
            let mut removed = Vec::new();
            state.begin();
            cross(&instance, &mut state, 0, &mut Rng::new(seed), &mut removed);
            assert!(!removed.is_empty(), "p1 then q1 misses q1's window");
            assert!(removed.len() <= 2, "only junction stops leave: {removed:?}");
            assert!(removed.contains(&0) || removed.contains(&3));
            assert_accounted(&instance, &state, &removed);
        }
    }
}
