//! One vehicle's route with cached forward/backward data (departure times, latest
//! feasible service starts, loads and their prefix/suffix maxima), so that inserting a
//! stop or a pickup-delivery pair can be checked in O(1) / O(n) instead of re-simulating.
//!
//! Node indexing: node 0 is the vehicle start, nodes 1..=m the stops, node m+1 the end.

use super::instance::{earliest_start, latest_start, Instance, Load, EPS};

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

/// Resizes a node cache to `nodes` entries, moving its last `tail` entries to the end.
fn shift_tail<T: Copy + Default>(cache: &mut Vec<T>, nodes: usize, tail: usize) {
    let old = cache.len();
    if nodes > old {
        cache.resize(nodes, T::default());
    }
    cache.copy_within(old - tail..old, nodes - tail);
    cache.truncate(nodes);
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

    /// Makes `self` a copy of `other`, reusing its buffers (no allocation once they are
    /// large enough; the undo log keeps such copies).
    pub fn copy_from(&mut self, other: &Route) {
        self.vehicle = other.vehicle;
        self.stops.clone_from(&other.stops);
        self.locs.clone_from(&other.locs);
        self.locked_len = other.locked_len;
        self.depart.clone_from(&other.depart);
        self.latest.clone_from(&other.latest);
        self.load.clone_from(&other.load);
        self.prefix_max.clone_from(&other.prefix_max);
        self.suffix_max.clone_from(&other.suffix_max);
        self.start_sum.clone_from(&other.start_sum);
        self.arc.clone_from(&other.arc);
        self.cost = other.cost;
        self.feasible = other.feasible;
    }

    #[inline]
    pub fn node_loc(&self, _instance: &Instance, node: usize) -> usize {
        self.locs[node] as usize
    }

    /// Recomputes every cache; sets `feasible` from a full simulation.
    pub fn update(&mut self, instance: &Instance) {
        let nodes = self.stops.len() + 2;
        for cache in [&mut self.depart, &mut self.latest, &mut self.arc] {
            cache.resize(nodes, 0.0);
        }
        self.locs.resize(nodes, 0);
        let vehicle = &instance.vehicles[self.vehicle];
        self.locs[0] = vehicle.start_loc as u32;
        self.locs[nodes - 1] = vehicle.end_loc as u32;
        self.depart[0] = vehicle.shift_start;
        self.latest[nodes - 1] = vehicle.shift_end;
        self.refresh(instance, 1, 1, false);
    }

    /// Refreshes the caches after the stops changed only between the first `head` nodes
    /// and the last `tail` nodes, which are the same stops, in the same order, as when the
    /// caches were last computed (`head`, `tail` >= 1). Gives bit-for-bit the values of
    /// [`Route::update`]: the same arithmetic in the same order, only skipping what cannot
    /// change (times before `head`, latest starts after the changed stretch, and the
    /// propagation once a departure or latest start equals its old value).
    fn update_between(&mut self, instance: &Instance, head: usize, tail: usize) {
        if !self.feasible {
            // Which nodes failed is not cached: simulate everything again.
            return self.update(instance);
        }
        let nodes = self.stops.len() + 2;
        shift_tail(&mut self.locs, nodes, tail);
        shift_tail(&mut self.depart, nodes, tail);
        shift_tail(&mut self.latest, nodes, tail);
        shift_tail(&mut self.arc, nodes, tail);
        self.refresh(instance, head, tail, true);
        #[cfg(debug_assertions)]
        self.assert_matches_full_update(instance);
    }

    /// Recomputes nodes `head..nodes - tail` and everything depending on them. With
    /// `reuse`, the caches of the unchanged nodes hold valid old values (tail ones already
    /// moved to their new index), so propagation stops where a value is unchanged.
    fn refresh(&mut self, instance: &Instance, head: usize, tail: usize, reuse: bool) {
        let vehicle = &instance.vehicles[self.vehicle];
        let m = self.stops.len();
        let nodes = m + 2;
        let first_tail = nodes - tail;
        for i in head..first_tail {
            self.locs[i] = instance.stops[self.stops[i - 1] as usize].loc as u32;
        }
        for i in head..=first_tail {
            let (from, to) = (self.locs[i - 1] as usize, self.locs[i] as usize);
            self.arc[i] = instance.arc_cost(vehicle, from, to);
        }
        let mut cost = 0.0;
        for &arc in &self.arc[1..nodes] {
            cost += arc;
        }
        self.cost = if m == 0 {
            0.0
        } else {
            cost + vehicle.fixed_cost
        };

        let mut feasible = true;
        let mut settled = false;
        for i in head..nodes {
            let (from, to) = (self.locs[i - 1] as usize, self.locs[i] as usize);
            let arrival = self.depart[i - 1] + instance.time(from, to);
            let departure = if i <= m {
                let stop = &instance.stops[self.stops[i - 1] as usize];
                let start = earliest_start(&stop.windows, arrival).unwrap_or_else(|| {
                    feasible = false;
                    arrival
                });
                start + stop.service
            } else {
                arrival
            };
            if reuse && i >= first_tail && departure.to_bits() == self.depart[i].to_bits() {
                // Same departure from an unchanged stop: the rest is as before (feasible).
                settled = true;
                break;
            }
            self.depart[i] = departure;
        }
        if !settled && self.depart[m + 1] > vehicle.shift_end + EPS {
            feasible = false;
        }

        let mut settled = false;
        for i in (1..first_tail).rev() {
            let stop = &instance.stops[self.stops[i - 1] as usize];
            let next = self.locs[i + 1] as usize;
            let bound = self.latest[i + 1] - instance.time(stop.loc, next) - stop.service;
            let latest = latest_start(&stop.windows, bound);
            if reuse && i < head && latest.to_bits() == self.latest[i].to_bits() {
                settled = true;
                break;
            }
            self.latest[i] = latest;
        }
        if !settled {
            let first = self.locs[1] as usize;
            self.latest[0] = self.latest[1] - instance.time(vehicle.start_loc, first);
        }

        if !self.refresh_loads(instance, head) {
            feasible = false;
        }
        self.feasible = feasible;
    }

    /// Start-load sums from node `head` on, then loads and their prefix/suffix maxima;
    /// returns whether the capacity holds everywhere.
    fn refresh_loads(&mut self, instance: &Instance, head: usize) -> bool {
        let m = self.stops.len();
        let nodes = m + 2;
        for cache in [
            &mut self.load,
            &mut self.prefix_max,
            &mut self.suffix_max,
            &mut self.start_sum,
        ] {
            cache.resize(nodes, [0; 3]);
        }
        self.start_sum[0] = [0; 3];
        let mut sum = self.start_sum[head - 1];
        for (entry, &stop) in self.start_sum[head..=m]
            .iter_mut()
            .zip(&self.stops[head - 1..])
        {
            sum = add(&sum, &instance.stops[stop as usize].start_load);
            *entry = sum;
        }
        self.start_sum[m + 1] = sum;
        let (mut load, mut high) = (sum, sum);
        self.load[0] = load;
        self.prefix_max[0] = high;
        let forward = self.load[1..=m].iter_mut().zip(&mut self.prefix_max[1..=m]);
        for ((entry, max), &stop) in forward.zip(&self.stops) {
            load = add(&load, &instance.stops[stop as usize].delta);
            high = max_load(&high, &load);
            (*entry, *max) = (load, high);
        }
        (self.load[m + 1], self.prefix_max[m + 1]) = (load, high);
        let mut high = load;
        self.suffix_max[m + 1] = high;
        for (max, entry) in self.suffix_max[..=m].iter_mut().zip(&self.load[..=m]).rev() {
            high = max_load(&high, entry);
            *max = high;
        }
        let capacity = &instance.vehicles[self.vehicle].capacity;
        fits(&self.prefix_max[nodes - 1], &[0; 3], capacity)
    }

    #[cfg(debug_assertions)]
    fn assert_matches_full_update(&self, instance: &Instance) {
        let mut full = self.clone();
        full.update(instance);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(self.locs, full.locs);
        assert_eq!(bits(&self.depart), bits(&full.depart));
        assert_eq!(bits(&self.latest), bits(&full.latest));
        assert_eq!(bits(&self.arc[1..]), bits(&full.arc[1..]));
        assert_eq!(self.cost.to_bits(), full.cost.to_bits());
        assert_eq!(self.feasible, full.feasible);
        assert_eq!(self.load, full.load);
        assert_eq!(self.prefix_max, full.prefix_max);
        assert_eq!(self.suffix_max, full.suffix_max);
        assert_eq!(self.start_sum, full.start_sum);
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
            if !fits(&self.prefix_max[k], &info.start_load, &vehicle.capacity)
                || !fits(&self.load[k], &after_delta, &vehicle.capacity)
                || !fits(&self.suffix_max[k + 1], &after_delta, &vehicle.capacity)
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
