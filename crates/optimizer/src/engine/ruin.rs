//! Ruin step of SISR (slack induction by string removals, Christiaens & Vanden Berghe
//! 2020): remove a few strings of consecutive stops from routes that are spatially
//! close to a random seed stop, sometimes keeping a sub-string in the middle ("split
//! string") so that the recreate step can re-thread stops into the gap it left.

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
}

impl Default for RuinParams {
    fn default() -> Self {
        RuinParams {
            average_removed: 10.0,
            max_string: 10.0,
            split_rate: 0.5,
            split_depth: 0.01,
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
