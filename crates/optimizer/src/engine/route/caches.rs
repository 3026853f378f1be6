//! Keeps a route's caches in step with its stops: the full recomputation, the
//! incremental refresh after an insertion or a removal (only the changed stretch and
//! what propagates from it, with bit-for-bit the same values), and copies that reuse
//! buffers for the undo log.

use super::{fits, Route};
use crate::engine::instance::{earliest_start, latest_start, Instance, Load, EPS};
use crate::model::DIMENSIONS;

/// `a + b` in the first `D` dimensions; the others are taken from `a`.
#[inline]
fn add_dims<const D: usize>(a: &Load, b: &Load) -> Load {
    let mut sum = *a;
    for d in 0..D {
        sum[d] += b[d];
    }
    sum
}

/// Maximum of `a` and `b` in the first `D` dimensions; the others are taken from `a`.
#[inline]
fn max_dims<const D: usize>(a: &Load, b: &Load) -> Load {
    let mut max = *a;
    for d in 0..D {
        max[d] = max[d].max(b[d]);
    }
    max
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

impl Route {
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
    pub(super) fn update_between(&mut self, instance: &Instance, head: usize, tail: usize) {
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
        match instance.load_dims {
            0 | 1 => self.refresh_load_dims::<1>(instance, head),
            2 => self.refresh_load_dims::<2>(instance, head),
            _ => self.refresh_load_dims::<DIMENSIONS>(instance, head),
        }
    }

    /// [`Route::refresh_loads`] over the first `D` load dimensions (no stop changes the
    /// others, so they stay 0 in every cache).
    fn refresh_load_dims<const D: usize>(&mut self, instance: &Instance, head: usize) -> bool {
        let m = self.stops.len();
        let nodes = m + 2;
        for cache in [
            &mut self.load,
            &mut self.prefix_max,
            &mut self.suffix_max,
            &mut self.start_sum,
        ] {
            cache.resize(nodes, [0; DIMENSIONS]);
        }
        self.start_sum[0] = [0; DIMENSIONS];
        let mut sum = self.start_sum[head - 1];
        for (entry, &stop) in self.start_sum[head..=m]
            .iter_mut()
            .zip(&self.stops[head - 1..])
        {
            sum = add_dims::<D>(&sum, &instance.stops[stop as usize].start_load);
            *entry = sum;
        }
        self.start_sum[m + 1] = sum;
        let (mut load, mut high) = (sum, sum);
        self.load[0] = load;
        self.prefix_max[0] = high;
        let forward = self.load[1..=m].iter_mut().zip(&mut self.prefix_max[1..=m]);
        for ((entry, max), &stop) in forward.zip(&self.stops) {
            load = add_dims::<D>(&load, &instance.stops[stop as usize].delta);
            high = max_dims::<D>(&high, &load);
            (*entry, *max) = (load, high);
        }
        (self.load[m + 1], self.prefix_max[m + 1]) = (load, high);
        let mut high = load;
        self.suffix_max[m + 1] = high;
        for (max, entry) in self.suffix_max[..=m].iter_mut().zip(&self.load[..=m]).rev() {
            high = max_dims::<D>(&high, entry);
            *max = high;
        }
        let capacity = &instance.vehicles[self.vehicle].capacity;
        fits(&self.prefix_max[nodes - 1], &[0; DIMENSIONS], capacity)
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
}
