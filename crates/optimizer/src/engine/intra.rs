//! Intra-route local search: or-opt (move a string of one to three stops elsewhere in its
//! route, possibly reversed) and 2-opt (reverse a stretch of the route). Few, long routes
//! (Solomon R2 and RC2, 25–50 stops each) are where ruin-and-recreate is weakest: it
//! re-threads at most a string of about ten stops at a time, and a route's order is
//! rarely repaired by it. Each candidate's cost change is O(1); only improving candidates
//! are simulated, over the changed stretch only (the prefix keeps its departures, the
//! suffix its latest feasible starts, and the set of stops before it, so its loads).

use super::instance::{earliest_start, Instance, EPS};
use super::route::Route;
use super::state::State;

/// Longest string moved by or-opt.
const MAX_STRING: usize = 3;

/// Improves route `r` with intra-route moves until none improves; returns whether it
/// changed.
pub(crate) fn improve_route(
    instance: &Instance,
    state: &mut State,
    r: usize,
    scratch: &mut IntraScratch,
) -> bool {
    // Late in the annealing most candidates rebuild routes seen before; skip those
    // already known to have no improving move.
    let key = sequence_key(&state.routes[r]);
    let slot = (key as usize) & (KNOWN_SLOTS - 1);
    if scratch.known.is_empty() {
        scratch.known.resize(KNOWN_SLOTS, 0);
    }
    if scratch.known[slot] == key {
        return false;
    }
    let mut changed = false;
    while let Some(stops) = best_move(instance, &state.routes[r], scratch) {
        state.set_stops(instance, r, stops);
        changed = true;
    }
    let key = sequence_key(&state.routes[r]);
    scratch.known[(key as usize) & (KNOWN_SLOTS - 1)] = key;
    changed
}

/// Size of the direct-mapped cache of route sequences without an improving move.
const KNOWN_SLOTS: usize = 1 << 14;

/// A 64-bit hash of a route's vehicle and stop sequence (never 0 for a used route).
fn sequence_key(route: &Route) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64 ^ route.vehicle as u64;
    for &stop in &route.stops {
        hash = (hash.rotate_left(5) ^ u64::from(stop)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    hash | 1
}

/// Whether serving the stops `middle` right after node `from` (departures of the prefix
/// unchanged) and then node `rejoin` (suffix unchanged) keeps windows and capacity.
fn feasible_middle(
    instance: &Instance,
    route: &Route,
    from: usize,
    middle: impl Iterator<Item = usize>,
    rejoin: usize,
) -> bool {
    let capacity = &instance.vehicles[route.vehicle].capacity;
    let (mut time, mut loc, mut load) = (
        route.depart[from],
        route.locs[from] as usize,
        route.load[from],
    );
    for node in middle {
        let stop = &instance.stops[route.stops[node - 1] as usize];
        let Some(start) = earliest_start(&stop.windows, time + instance.time(loc, stop.loc)) else {
            return false;
        };
        time = start + stop.service;
        loc = stop.loc;
        for d in 0..load.len() {
            load[d] += stop.delta[d];
            if load[d] > capacity[d] {
                return false;
            }
        }
    }
    time + instance.time(loc, route.locs[rejoin] as usize) <= route.latest[rejoin] + EPS
}

/// Nearest neighbours that define the candidate moves (granular neighbourhood): a move
/// is tried only if one of the arcs it creates joins a stop to one of these.
const GRANULAR: usize = 12;

/// Scratch buffers of the intra-route search.
#[derive(Default)]
pub(crate) struct IntraScratch {
    /// Node index of each stop in the route being improved (valid for its stops only).
    pos: Vec<u32>,
    /// Prefix sums of forward / backward arc costs along the route.
    forward: Vec<f64>,
    backward: Vec<f64>,
    candidates: Vec<usize>,
    /// Keys of route sequences known to have no improving move (see `sequence_key`).
    known: Vec<u64>,
}

/// The best improving or-opt or 2-opt move of `route`, as its new stop sequence.
#[inline(never)]
fn best_move(instance: &Instance, route: &Route, scratch: &mut IntraScratch) -> Option<Vec<u32>> {
    let m = route.stops.len();
    let first = route.locked_len + 1;
    if m < first + 1 {
        return None;
    }
    let vehicle = &instance.vehicles[route.vehicle];
    let loc = |node: usize| route.locs[node] as usize;
    let c = |a: usize, b: usize| instance.arc_cost(vehicle, loc(a), loc(b));
    scratch.pos.resize(instance.stops.len(), 0);
    scratch.forward.clear();
    scratch.backward.clear();
    scratch.forward.push(0.0);
    scratch.backward.push(0.0);
    for n in 1..=m {
        scratch.pos[route.stops[n - 1] as usize] = n as u32;
        scratch.forward.push(scratch.forward[n - 1] + c(n - 1, n));
        scratch.backward.push(scratch.backward[n - 1] + c(n, n - 1));
    }
    let (forward, backward, pos) = (&scratch.forward, &scratch.backward, &scratch.pos);
    // Nodes of this route holding one of the nearest stops of the stop at node `n`.
    let near = |n: usize| {
        let stop = route.stops[n - 1] as usize;
        instance.neighbours[stop]
            .iter()
            .skip(1)
            .take(GRANULAR)
            .filter_map(move |&s| {
                let p = pos[s as usize] as usize;
                (p >= 1 && p <= m && route.stops[p - 1] == s).then_some(p)
            })
    };
    let mut best = -1e-9 * instance.cost_scale.max(1.0);
    // (kind, a, b, k): or-opt of nodes a..=b after node k (kind 0 kept, 1 reversed),
    // or 2-opt reversal of nodes a..=b (kind 2).
    let mut found: Option<(u8, usize, usize, usize)> = None;
    let candidates = &mut scratch.candidates;

    // 2-opt: reverse nodes i..=j, creating arcs (i - 1, j) and (i, j + 1).
    for i in first..m {
        candidates.clear();
        candidates.push(m);
        if i > 1 {
            candidates.extend(near(i - 1));
        }
        candidates.extend(near(i).map(|p| p - 1));
        for &j in candidates.iter() {
            if j <= i || j > m {
                continue;
            }
            let delta = c(i - 1, j) + c(i, j + 1) - c(i - 1, i) - c(j, j + 1)
                + (backward[j] - backward[i])
                - (forward[j] - forward[i]);
            if delta < best && feasible_middle(instance, route, i - 1, (i..=j).rev(), j + 1) {
                best = delta;
                found = Some((2, i, j, 0));
            }
        }
    }

    // Or-opt: nodes a..=b moved between k and k + 1.
    for a in first..=m {
        for b in a..=(a + MAX_STRING - 1).min(m) {
            let inside_forward = forward[b] - forward[a];
            let inside_backward = backward[b] - backward[a];
            let removal = c(a - 1, b + 1) - c(a - 1, a) - c(b, b + 1);
            candidates.clear();
            candidates.extend([first - 1, m]);
            for end in [a, b] {
                for p in near(end) {
                    candidates.extend([p, p - 1]);
                }
            }
            for &k in candidates.iter() {
                if k < first - 1 || k > m || (k + 1 >= a && k <= b) {
                    continue;
                }
                let base = removal - c(k, k + 1);
                let kept = base + c(k, a) + c(b, k + 1);
                let reversed = base + c(k, b) + c(a, k + 1) + inside_backward - inside_forward;
                for (kind, delta) in [(0u8, kept), (1, reversed)] {
                    if delta >= best || (kind == 1 && a == b) {
                        continue;
                    }
                    let segment = || -> Box<dyn Iterator<Item = usize>> {
                        if kind == 0 {
                            Box::new(a..=b)
                        } else {
                            Box::new((a..=b).rev())
                        }
                    };
                    let ok = if k < a {
                        feasible_middle(instance, route, k, segment().chain(k + 1..a), b + 1)
                    } else {
                        feasible_middle(instance, route, a - 1, (b + 1..=k).chain(segment()), k + 1)
                    };
                    if ok {
                        best = delta;
                        found = Some((kind, a, b, k));
                    }
                }
            }
        }
    }

    let (kind, a, b, k) = found?;
    let node = |n: usize| route.stops[n - 1];
    let mut stops = Vec::with_capacity(m);
    if kind == 2 {
        stops.extend((1..a).map(node));
        stops.extend((a..=b).rev().map(node));
        stops.extend((b + 1..=m).map(node));
        return Some(stops);
    }
    let segment: Vec<u32> = if kind == 0 {
        (a..=b).map(node).collect()
    } else {
        (a..=b).rev().map(node).collect()
    };
    for n in 1..=m {
        if n >= a && n <= b {
            continue;
        }
        if n == k + 1 && k < a {
            stops.extend(&segment);
        }
        stops.push(node(n));
        if n == k && k > b {
            stops.extend(&segment);
        }
    }
    Some(stops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Amount, Job, JobKind, Location, Problem, Stop, TimeWindow, Vehicle};
    use crate::transport::Euclidean;

    fn job(x: f64, window: (f64, f64)) -> Job {
        Job {
            id: format!("j{x}"),
            kind: JobKind::Delivery {
                stop: Stop {
                    location: Location::Xy { x, y: 0.0 },
                    time_windows: vec![TimeWindow::new(window.0, window.1)],
                    service: 0.0,
                },
            },
            demand: Amount([1, 0, 0]),
            skills: vec![],
            priority: 0,
        }
    }

    /// One vehicle from and back to the origin; stops on a line at x = 1..=5 with the
    /// given windows, visited in `order` (indices of the stops).
    fn line(windows: [(f64, f64); 5], order: &[u32]) -> (Instance, State) {
        let depot = Location::Xy { x: 0.0, y: 0.0 };
        let mut vehicle = Vehicle::new("v", depot, Amount([10, 0, 0]));
        vehicle.end = Some(depot);
        let jobs = (0..5).map(|i| job(i as f64 + 1.0, windows[i])).collect();
        let problem = Problem {
            vehicles: vec![vehicle],
            jobs,
        };
        let instance = Instance::build(&problem, &Euclidean::default()).unwrap();
        let mut state = State::new(&instance, &[0, 1, 2, 3, 4]).unwrap();
        state.begin();
        state.absent.clear();
        state.set_stops(&instance, 0, order.to_vec());
        (instance, state)
    }

    #[test]
    fn zigzag_route_is_straightened() {
        let open = [(0.0, 1000.0); 5];
        let (instance, mut state) = line(open, &[3, 0, 4, 1, 2]);
        assert!(state.routes[0].cost > 10.0 + 1.0);
        assert!(improve_route(
            &instance,
            &mut state,
            0,
            &mut IntraScratch::default()
        ));
        let route = &state.routes[0];
        assert!(route.feasible);
        assert!(
            (route.cost - 10.0).abs() < 1e-9,
            "out and back along the line"
        );
        let mut stops = route.stops.clone();
        stops.sort();
        assert_eq!(stops, [0, 1, 2, 3, 4], "every stop exactly once");
    }

    #[test]
    fn moves_keep_every_window() {
        // x = 5 must be served first (closes at 5.5), x = 1 last (opens at 20).
        let mut windows = [(0.0, 1000.0); 5];
        windows[4] = (0.0, 5.5);
        windows[0] = (20.0, 1000.0);
        let (instance, mut state) = line(windows, &[4, 1, 3, 2, 0]);
        assert!(improve_route(
            &instance,
            &mut state,
            0,
            &mut IntraScratch::default()
        ));
        let route = &state.routes[0];
        assert!(route.feasible);
        assert!(
            (route.cost - 10.0).abs() < 1e-9,
            "out and back along the line"
        );
        let node_of = |stop: u32| 1 + route.stops.iter().position(|&s| s == stop).unwrap();
        assert!(route.depart[node_of(4)] <= 5.5, "x = 5 still served by 5.5");
        assert_eq!(route.stops[4], 0, "x = 1 still served last");
        assert!(route.depart[node_of(0)] >= 20.0);
        let mut check = route.clone();
        check.update(&instance);
        assert!(check.feasible && (check.cost - route.cost).abs() < 1e-9);
    }
}
