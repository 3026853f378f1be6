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

    /// Recomputes every cache; sets `feasible` from a full simulation.
    pub fn update(&mut self, instance: &Instance) {
        let vehicle = &instance.vehicles[self.vehicle];
        let m = self.stops.len();
        let nodes = m + 2;
        self.locs.clear();
        self.locs.push(vehicle.start_loc as u32);
        self.locs.extend(
            self.stops
                .iter()
                .map(|&s| instance.stops[s as usize].loc as u32),
        );
        self.locs.push(vehicle.end_loc as u32);
        self.depart.resize(nodes, 0.0);
        self.latest.resize(nodes, 0.0);
        self.load.resize(nodes, [0; 3]);
        self.prefix_max.resize(nodes, [0; 3]);
        self.suffix_max.resize(nodes, [0; 3]);
        self.start_sum.resize(nodes, [0; 3]);
        let mut feasible = true;
        let mut start_load = [0; 3];
        self.start_sum[0] = start_load;
        for (i, &stop) in self.stops.iter().enumerate() {
            start_load = add(&start_load, &instance.stops[stop as usize].start_load);
            self.start_sum[i + 1] = start_load;
        }
        self.start_sum[m + 1] = start_load;
        self.load[0] = start_load;
        self.depart[0] = vehicle.shift_start;
        let mut prev_loc = vehicle.start_loc;
        let mut cost = 0.0;
        for i in 1..=m {
            let stop = &instance.stops[self.stops[i - 1] as usize];
            cost += instance.arc_cost(vehicle, prev_loc, stop.loc);
            let arrival = self.depart[i - 1] + instance.time(prev_loc, stop.loc);
            let start = earliest_start(&stop.windows, arrival).unwrap_or_else(|| {
                feasible = false;
                arrival
            });
            self.depart[i] = start + stop.service;
            self.load[i] = add(&self.load[i - 1], &stop.delta);
            prev_loc = stop.loc;
        }
        cost += instance.arc_cost(vehicle, prev_loc, vehicle.end_loc);
        self.depart[m + 1] = self.depart[m] + instance.time(prev_loc, vehicle.end_loc);
        self.load[m + 1] = self.load[m];
        if self.depart[m + 1] > vehicle.shift_end + EPS {
            feasible = false;
        }
        self.latest[m + 1] = vehicle.shift_end;
        let mut next_loc = vehicle.end_loc;
        for i in (1..=m).rev() {
            let stop = &instance.stops[self.stops[i - 1] as usize];
            let bound = self.latest[i + 1] - instance.time(stop.loc, next_loc) - stop.service;
            self.latest[i] = latest_start(&stop.windows, bound);
            next_loc = stop.loc;
        }
        self.latest[0] = self.latest[1.min(m + 1)] - instance.time(vehicle.start_loc, next_loc);
        self.prefix_max[0] = self.load[0];
        for i in 1..nodes {
            self.prefix_max[i] = max_load(&self.prefix_max[i - 1], &self.load[i]);
        }
        self.suffix_max[nodes - 1] = self.load[nodes - 1];
        for i in (0..nodes - 1).rev() {
            self.suffix_max[i] = max_load(&self.suffix_max[i + 1], &self.load[i]);
        }
        if !fits(&self.prefix_max[nodes - 1], &[0; 3], &vehicle.capacity) {
            feasible = false;
        }
        self.cost = if m == 0 {
            0.0
        } else {
            cost + vehicle.fixed_cost
        };
        self.feasible = feasible;
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
        skip: &mut dyn FnMut() -> bool,
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
        let mut prev_loc = self.node_loc(instance, self.locked_len);
        for k in self.locked_len..=m {
            if self.depart[k] > last_close {
                break;
            }
            let next_loc = self.node_loc(instance, k + 1);
            let delta = opening
                + instance.arc_cost(vehicle, prev_loc, info.loc)
                + instance.arc_cost(vehicle, info.loc, next_loc)
                - instance.arc_cost(vehicle, prev_loc, next_loc);
            let current_prev = prev_loc;
            prev_loc = next_loc;
            if delta >= *best || skip() {
                continue;
            }
            if !fits(&self.prefix_max[k], &info.start_load, &vehicle.capacity)
                || !fits(&self.load[k], &after_delta, &vehicle.capacity)
                || !fits(&self.suffix_max[k + 1], &after_delta, &vehicle.capacity)
            {
                continue;
            }
            let arrival = self.depart[k] + instance.time(current_prev, info.loc);
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

    /// Applies an insertion found by `best_single`/`best_pair` and refreshes caches.
    pub fn insert(
        &mut self,
        instance: &Instance,
        stops: &[usize],
        first_after: usize,
        second_after: usize,
    ) {
        if stops.len() == 2 {
            self.stops.insert(second_after, stops[1] as u32);
            self.stops.insert(first_after, stops[0] as u32);
        } else {
            self.stops.insert(first_after, stops[0] as u32);
        }
        self.update(instance);
    }
}
