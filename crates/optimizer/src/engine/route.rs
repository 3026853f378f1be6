//! One vehicle's route with cached forward/backward data (departure times, latest
//! feasible service starts, loads and their prefix/suffix maxima), so that inserting a
//! stop or a pickup-delivery pair can be checked in O(1) / O(n) instead of re-simulating.
//!
//! Node indexing: node 0 is the vehicle start, nodes 1..=m the stops, node m+1 the end.
//! The caches are recomputed by the `caches` submodule (incrementally after an insertion
//! or a removal).

mod caches;

use super::instance::{earliest_start, Instance, Load, EPS};

#[derive(Clone)]
pub(crate) struct Route {
    pub vehicle: usize,
    pub stops: Vec<u32>,
    /// Location of every node (start, stops, end), refreshed by `update`.
    pub locs: Vec<u32>,
    /// Number of leading stops that are locked (never removed, nothing inserted before).
    pub locked_len: usize,
    pub depart: Vec<f64>,
    pub latest: Vec<f64>,
    pub load: Vec<Load>,
    pub prefix_max: Vec<Load>,
    pub suffix_max: Vec<Load>,
    /// Sum of the start loads of nodes 0..=k (goods carried from the start for them).
    pub start_sum: Vec<Load>,
    /// Cost of the arc into each node (index 0 unused): the route cost is summed from
    /// these in route order, so a refresh only looks up the arcs that changed.
    pub arc: Vec<f64>,
    pub cost: f64,
    pub feasible: bool,
}

/// A candidate insertion: positions are "after node k" in the current route.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Insertion {
    pub route: usize,
    pub first_after: usize,
    /// For pairs: delivery goes after this node (>= first_after).
    pub second_after: usize,
}

fn add(a: &Load, b: &Load) -> Load {
    std::array::from_fn(|d| a[d] + b[d])
}

fn max_load(a: &Load, b: &Load) -> Load {
    std::array::from_fn(|d| a[d].max(b[d]))
}

fn fits(load: &Load, extra: &Load, capacity: &Load) -> bool {
    (0..load.len()).all(|d| load[d] + extra[d] <= capacity[d])
}

impl Route {
    pub fn new(instance: &Instance, vehicle: usize) -> Route {
        let mut route = Route {
            vehicle,
            stops: Vec::new(),
            locs: Vec::new(),
            locked_len: 0,
            depart: Vec::new(),
            latest: Vec::new(),
            load: Vec::new(),
            prefix_max: Vec::new(),
            suffix_max: Vec::new(),
            start_sum: Vec::new(),
            arc: Vec::new(),
            cost: 0.0,
            feasible: true,
        };
        route.update(instance);
        route
    }

    #[inline]
    pub fn node_loc(&self, _instance: &Instance, node: usize) -> usize {
        self.locs[node] as usize
    }

    /// Service departure after inserting `stop` after node `k`, if its window allows.
    #[inline]
    fn departure_after(&self, instance: &Instance, k: usize, stop: usize) -> Option<f64> {
        let info = &instance.stops[stop];
        let arrival = self.depart[k] + instance.time(self.node_loc(instance, k), info.loc);
        earliest_start(&info.windows, arrival).map(|start| start + info.service)
    }

    /// Cheapest feasible insertion of a one-stop job; `skip` implements blinks.
    pub fn best_single(
        &self,
        instance: &Instance,
        stop: usize,
        best: &mut f64,
        skip: &mut impl FnMut() -> bool,
    ) -> Option<usize> {
        let vehicle = &instance.vehicles[self.vehicle];
        let info = &instance.stops[stop];
        let opening = if self.stops.is_empty() {
            vehicle.fixed_cost
        } else {
            0.0
        };
        let after_delta = add(&info.start_load, &info.delta);
        let m = self.stops.len();
        let mut found = None;
        // Departures only grow along a route: once the vehicle leaves node k after the
        // stop's last window closed, no later position can serve it.
        let last_close = info.windows[info.windows.len() - 1].1 + EPS;
        // The stop fits at every position when even the route's peak load leaves room.
        let extra = max_load(&info.start_load, &after_delta);
        let roomy = fits(&self.prefix_max[m + 1], &extra, &vehicle.capacity);
        let first = self.locked_len;
        let locs = &self.locs[first..];
        let arcs = &self.arc[first + 1..];
        // Cost of the arc into the stop from node k (from the previous position's arc out
        // of the stop when the matrices are symmetric).
        let mut into = instance.arc_cost(vehicle, locs[0] as usize, info.loc);
        let positions = self.depart[first..=m].iter().zip(locs.windows(2)).zip(arcs);
        for (offset, ((&departure, pair), &arc)) in positions.enumerate() {
            if departure > last_close {
                break;
            }
            let (prev_loc, next_loc) = (pair[0] as usize, pair[1] as usize);
            if !instance.symmetric {
                into = instance.arc_cost(vehicle, prev_loc, info.loc);
            }
            let out = instance.arc_cost(vehicle, info.loc, next_loc);
            // `arc` is the cached arc_cost(prev_loc, next_loc).
            let delta = opening + into + out - arc;
            into = out;
            if delta >= *best || skip() {
                continue;
            }
            let k = first + offset;
            if !roomy
                && (!fits(&self.prefix_max[k], &info.start_load, &vehicle.capacity)
                    || !fits(&self.load[k], &after_delta, &vehicle.capacity)
                    || !fits(&self.suffix_max[k + 1], &after_delta, &vehicle.capacity))
            {
                continue;
            }
            let arrival = departure + instance.time(prev_loc, info.loc);
            let Some(start) = earliest_start(&info.windows, arrival) else {
                continue;
            };
            let next_arrival = start + info.service + instance.time(info.loc, next_loc);
            if next_arrival <= self.latest[k + 1] + EPS {
                *best = delta;
                found = Some(k);
            }
        }
        found
    }

    /// Cheapest feasible insertion of a pickup-delivery pair: (after_k1, after_k2).
    pub fn best_pair(
        &self,
        instance: &Instance,
        pickup: usize,
        delivery: usize,
        best: &mut f64,
        skip: &mut dyn FnMut() -> bool,
    ) -> Option<(usize, usize)> {
        let vehicle = &instance.vehicles[self.vehicle];
        let (p, d) = (&instance.stops[pickup], &instance.stops[delivery]);
        let opening = if self.stops.is_empty() {
            vehicle.fixed_cost
        } else {
            0.0
        };
        let amount = p.delta;
        let m = self.stops.len();
        let cost = |a: usize, b: usize| instance.arc_cost(vehicle, a, b);
        let mut found = None;
        for k1 in self.locked_len..=m {
            if skip() || !fits(&self.load[k1], &amount, &vehicle.capacity) {
                continue;
            }
            let (loc1, next1) = (self.node_loc(instance, k1), self.node_loc(instance, k1 + 1));
            let pickup_delta = opening + cost(loc1, p.loc) + cost(p.loc, next1) - cost(loc1, next1);
            if pickup_delta >= *best {
                continue;
            }
            let Some(pickup_departure) = self.departure_after(instance, k1, pickup) else {
                continue;
            };
            // Delivery right after the pickup.
            let direct = opening + cost(loc1, p.loc) + cost(p.loc, d.loc) + cost(d.loc, next1)
                - cost(loc1, next1);
            if direct < *best {
                let arrival = pickup_departure + instance.time(p.loc, d.loc);
                if let Some(start) = earliest_start(&d.windows, arrival) {
                    if start + d.service + instance.time(d.loc, next1) <= self.latest[k1 + 1] + EPS
                    {
                        *best = direct;
                        found = Some((k1, k1));
                    }
                }
            }
            // Delivery after a later node j: walk forward with the pickup in place.
            let (mut prev_loc, mut prev_departure) = (p.loc, pickup_departure);
            for j in k1 + 1..=m {
                let stop = &instance.stops[self.stops[j - 1] as usize];
                let arrival = prev_departure + instance.time(prev_loc, stop.loc);
                if arrival > self.latest[j] + EPS
                    || !fits(&self.load[j], &amount, &vehicle.capacity)
                {
                    break;
                }
                let Some(start) = earliest_start(&stop.windows, arrival) else {
                    break;
                };
                prev_departure = start + stop.service;
                prev_loc = stop.loc;
                let next = self.node_loc(instance, j + 1);
                let delta =
                    pickup_delta + cost(stop.loc, d.loc) + cost(d.loc, next) - cost(stop.loc, next);
                if delta >= *best {
                    continue;
                }
                let arrival_d = prev_departure + instance.time(stop.loc, d.loc);
                let Some(start_d) = earliest_start(&d.windows, arrival_d) else {
                    continue;
                };
                if start_d + d.service + instance.time(d.loc, next) <= self.latest[j + 1] + EPS {
                    *best = delta;
                    found = Some((k1, j));
                }
            }
        }
        found
    }

    /// Removes the stops for which `remove` returns true (called once per stop, in route
    /// order) and refreshes the caches.
    pub fn remove_where(&mut self, instance: &Instance, mut remove: impl FnMut(u32) -> bool) {
        let old_nodes = self.stops.len() + 2;
        let (mut first, mut last) = (usize::MAX, 0);
        let mut index = 0;
        self.stops.retain(|&stop| {
            let gone = remove(stop);
            if gone {
                first = first.min(index);
                last = index;
            }
            index += 1;
            !gone
        });
        if first != usize::MAX {
            // Stops before `first` and after `last` (old indices) are unchanged.
            self.update_between(instance, first + 1, old_nodes - last - 2);
        }
    }

    /// Applies an insertion found by `best_single`/`best_pair` and refreshes caches.
    pub fn insert(
        &mut self,
        instance: &Instance,
        stops: &[usize],
        first_after: usize,
        second_after: usize,
    ) {
        let old_nodes = self.stops.len() + 2;
        if stops.len() == 2 {
            self.stops.insert(second_after, stops[1] as u32);
            self.stops.insert(first_after, stops[0] as u32);
        } else {
            self.stops.insert(first_after, stops[0] as u32);
        }
        // Nodes 0..=first_after and the old nodes after second_after are unchanged.
        self.update_between(instance, first_after + 1, old_nodes - second_after - 1);
    }
}
