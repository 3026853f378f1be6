//! Compiles a public [`Problem`] into the dense, index-based form the search works on:
//! stops with sorted windows and load effects, vehicles with skill bitmasks, one travel
//! matrix, and distance-sorted neighbour lists for the ruin step.

use std::collections::HashMap;

use crate::error::{Error, InputIssue};
use crate::model::{JobKind, Location, Problem, Stop, DIMENSIONS};
use crate::transport::TransportCost;

pub(crate) type Load = [i64; DIMENSIONS];
pub(crate) const EPS: f64 = 1e-7;
const NEIGHBOURS_KEPT: usize = 120;

pub(crate) struct StopInfo {
    pub loc: usize,
    /// Sorted, merged `(open, close)` windows of the service start; never empty.
    pub windows: Vec<(f64, f64)>,
    pub service: f64,
    /// Load added to the route start because the goods travel from the start.
    pub start_load: Load,
    /// Load change when the stop is served.
    pub delta: Load,
    pub job: usize,
}

pub(crate) struct JobInfo {
    /// One stop, or pickup then delivery.
    pub stops: Vec<usize>,
    pub skills: u128,
    pub demand: Load,
    /// Objective penalty when the job is left out (grows with priority).
    pub penalty: f64,
}

pub(crate) struct VehicleInfo {
    pub start_loc: usize,
    pub end_loc: usize,
    pub shift_start: f64,
    pub shift_end: f64,
    pub capacity: Load,
    pub skills: u128,
    pub fixed_cost: f64,
    pub cost_per_distance: f64,
    pub cost_per_second: f64,
    /// Vehicles with the same type are interchangeable when empty.
    pub type_id: usize,
    /// Locked job indices, visited first in this order.
    pub locked_jobs: Vec<usize>,
}

pub(crate) struct Instance {
    pub stops: Vec<StopInfo>,
    pub jobs: Vec<JobInfo>,
    pub vehicles: Vec<VehicleInfo>,
    pub size: usize,
    pub distance: Vec<f64>,
    pub duration: Vec<f64>,
    pub neighbours: Vec<Vec<u32>>,
    /// Distance of each stop from the first vehicle's start (used by insertion orders).
    pub depot_distance: Vec<f64>,
    /// Typical short-arc cost, used to scale annealing temperatures.
    pub cost_scale: f64,
    pub vehicle_types: usize,
    /// No vehicle pays for time, so an arc costs `cost_per_distance × distance` (saves
    /// a lookup in the hottest loop).
    pub distance_only: bool,
    /// Some job is a pickup-and-delivery pair (tail exchanges could split it).
    pub has_pairs: bool,
    /// Both matrices are exactly (bitwise) symmetric, so an arc costs exactly what its
    /// reverse costs: the insertion scan then looks up one arc per position, not two.
    pub symmetric: bool,
    /// No travel time is negative (or NaN), so departures never decrease along a route.
    pub forward_times: bool,
    /// Number of leading load dimensions some stop changes; the others are 0 in every
    /// load cache, so the route caches only add those.
    pub load_dims: usize,
}

impl Instance {
    #[inline]
    pub fn dist(&self, a: usize, b: usize) -> f64 {
        self.distance[a * self.size + b]
    }
    #[inline]
    pub fn time(&self, a: usize, b: usize) -> f64 {
        self.duration[a * self.size + b]
    }
    #[inline]
    pub fn arc_cost(&self, vehicle: &VehicleInfo, a: usize, b: usize) -> f64 {
        let index = a * self.size + b;
        if self.distance_only {
            return vehicle.cost_per_distance * self.distance[index];
        }
        vehicle.cost_per_distance * self.distance[index]
            + vehicle.cost_per_second * self.duration[index]
    }

    pub fn build(problem: &Problem, cost: &dyn TransportCost) -> Result<Instance, Error> {
        let mut locations: Vec<Location> = Vec::new();
        let skill_bits = skill_bits(problem)?;
        let mask = |skills: &[String]| skills.iter().fold(0u128, |m, s| m | skill_bits[s.as_str()]);
        let job_index: HashMap<&str, usize> = problem
            .jobs
            .iter()
            .enumerate()
            .map(|(i, j)| (j.id.as_str(), i))
            .collect();

        let mut stops = Vec::new();
        let mut jobs = Vec::new();
        for (job_id, job) in problem.jobs.iter().enumerate() {
            let demand = job.demand.0;
            let negated = demand.map(|d| -d);
            let effects: Vec<(&Stop, Load, Load)> = match &job.kind {
                JobKind::Delivery { stop } => vec![(stop, demand, negated)],
                JobKind::Pickup { stop } => vec![(stop, [0; DIMENSIONS], demand)],
                JobKind::PickupDelivery { pickup, delivery } => {
                    vec![
                        (pickup, [0; DIMENSIONS], demand),
                        (delivery, [0; DIMENSIONS], negated),
                    ]
                }
            };
            let mut stop_ids = Vec::new();
            for (stop, start_load, delta) in effects {
                locations.push(stop.location);
                stop_ids.push(stops.len());
                stops.push(StopInfo {
                    loc: locations.len() - 1,
                    windows: normalized_windows(stop),
                    service: stop.service,
                    start_load,
                    delta,
                    job: job_id,
                });
            }
            jobs.push(JobInfo {
                stops: stop_ids,
                skills: mask(&job.skills),
                demand,
                penalty: 0.0,
            });
        }

        let mut vehicles = Vec::new();
        let mut open_end_needed = false;
        for vehicle in &problem.vehicles {
            locations.push(vehicle.start);
            let start_loc = locations.len() - 1;
            let end_loc = match vehicle.end {
                Some(end) => {
                    locations.push(end);
                    locations.len() - 1
                }
                None => {
                    open_end_needed = true;
                    usize::MAX
                }
            };
            let locked_jobs = vehicle
                .locked_jobs
                .iter()
                .map(|id| job_index[id.as_str()])
                .collect();
            vehicles.push(VehicleInfo {
                start_loc,
                end_loc,
                shift_start: vehicle.shift.start,
                shift_end: vehicle.shift.end,
                capacity: vehicle.capacity.0,
                skills: mask(&vehicle.skills),
                fixed_cost: vehicle.fixed_cost,
                cost_per_distance: vehicle.cost_per_distance,
                cost_per_second: vehicle.cost_per_hour / 3600.0,
                type_id: 0,
                locked_jobs,
            });
        }
        let vehicle_types = assign_types(problem, &mut vehicles);

        let matrix = cost.matrix(&locations);
        let real = matrix.size;
        // One extra "anywhere" location with zero travel, used as the end of open routes.
        let size = real + usize::from(open_end_needed);
        let mut distance = vec![0.0; size * size];
        let mut duration = vec![0.0; size * size];
        for a in 0..real {
            for b in 0..real {
                distance[a * size + b] = matrix.distance(a, b);
                duration[a * size + b] = matrix.duration(a, b);
            }
        }
        for vehicle in &mut vehicles {
            if vehicle.end_loc == usize::MAX {
                vehicle.end_loc = real;
            }
        }

        let mut instance = Instance {
            stops,
            jobs,
            vehicles,
            size,
            distance,
            duration,
            neighbours: Vec::new(),
            depot_distance: Vec::new(),
            cost_scale: 1.0,
            vehicle_types,
            distance_only: false,
            has_pairs: false,
            symmetric: false,
            forward_times: false,
            load_dims: DIMENSIONS,
        };
        instance.has_pairs = instance.jobs.iter().any(|j| j.stops.len() > 1);
        instance.distance_only = instance.vehicles.iter().all(|v| v.cost_per_second == 0.0);
        instance.load_dims = (0..DIMENSIONS)
            .rev()
            .find(|&d| (instance.stops.iter()).any(|s| s.start_load[d] != 0 || s.delta[d] != 0))
            .map_or(0, |d| d + 1);
        instance.forward_times = instance.duration.iter().all(|&t| t >= 0.0);
        instance.symmetric = [&instance.distance, &instance.duration].iter().all(|m| {
            (0..size)
                .all(|a| (0..a).all(|b| m[a * size + b].to_bits() == m[b * size + a].to_bits()))
        });
        instance.prepare_derived(problem);
        Ok(instance)
    }

    fn prepare_derived(&mut self, problem: &Problem) {
        let n = self.stops.len();
        let mut scale_sum = 0.0;
        self.neighbours = (0..n)
            .map(|a| {
                let mut others: Vec<u32> = (0..n as u32).collect();
                let la = self.stops[a].loc;
                let key = |s: &u32| {
                    self.dist(la, self.stops[*s as usize].loc)
                        + if *s as usize == a { -1.0 } else { 0.0 }
                };
                let keep = NEIGHBOURS_KEPT.min(n);
                if keep < n {
                    others.select_nth_unstable_by(keep - 1, |x, y| key(x).total_cmp(&key(y)));
                    others.truncate(keep);
                }
                others.sort_by(|x, y| key(x).total_cmp(&key(y)).then(x.cmp(y)));
                if let Some(nearest) = others.get(1) {
                    scale_sum += self.dist(la, self.stops[*nearest as usize].loc);
                }
                others
            })
            .collect();
        self.cost_scale = if n > 1 {
            (scale_sum / n as f64).max(1e-6)
        } else {
            1.0
        };
        let depot = self.vehicles.first().map_or(0, |v| v.start_loc);
        self.depot_distance = self.stops.iter().map(|s| self.dist(depot, s.loc)).collect();
        let largest_arc = self
            .distance
            .iter()
            .chain(self.duration.iter())
            .cloned()
            .fold(0.0, f64::max);
        let max_fixed = self
            .vehicles
            .iter()
            .map(|v| v.fixed_cost)
            .fold(0.0, f64::max);
        let max_rate = self
            .vehicles
            .iter()
            .map(|v| v.cost_per_distance + v.cost_per_second)
            .fold(0.0, f64::max);
        let base = 1000.0 + 4.0 * (largest_arc * max_rate.max(1.0) + max_fixed);
        for (info, job) in self.jobs.iter_mut().zip(&problem.jobs) {
            info.penalty = base * (1.0 + job.priority as f64);
        }
    }
}

fn normalized_windows(stop: &Stop) -> Vec<(f64, f64)> {
    let mut windows: Vec<(f64, f64)> = stop.time_windows.iter().map(|w| (w.start, w.end)).collect();
    if windows.is_empty() {
        return vec![(f64::NEG_INFINITY, f64::INFINITY)];
    }
    windows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(windows.len());
    for (open, close) in windows {
        match merged.last_mut() {
            Some(last) if open <= last.1 => last.1 = last.1.max(close),
            _ => merged.push((open, close)),
        }
    }
    merged
}

fn skill_bits(problem: &Problem) -> Result<HashMap<&str, u128>, Error> {
    let mut bits = HashMap::new();
    let all = problem
        .jobs
        .iter()
        .flat_map(|j| j.skills.iter())
        .chain(problem.vehicles.iter().flat_map(|v| v.skills.iter()));
    for skill in all {
        let next = bits.len();
        bits.entry(skill.as_str()).or_insert(next);
    }
    if bits.len() > 128 {
        return Err(Error::Invalid(vec![InputIssue::new(
            "E1014",
            "skills",
            format!("{} distinct skills, at most 128 are supported", bits.len()),
            "merge rarely used skills",
        )]));
    }
    Ok(bits.into_iter().map(|(k, v)| (k, 1u128 << v)).collect())
}

fn assign_types(problem: &Problem, vehicles: &mut [VehicleInfo]) -> usize {
    let mut keys: Vec<String> = Vec::new();
    for (info, vehicle) in vehicles.iter_mut().zip(&problem.vehicles) {
        let key = if vehicle.locked_jobs.is_empty() {
            format!(
                "{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}|{}",
                vehicle.start,
                vehicle.end,
                vehicle.shift,
                vehicle.capacity,
                info.skills,
                vehicle.fixed_cost,
                vehicle.cost_per_distance,
                vehicle.cost_per_hour
            )
        } else {
            format!("locked:{}", vehicle.id)
        };
        info.type_id = match keys.iter().position(|k| *k == key) {
            Some(existing) => existing,
            None => {
                keys.push(key);
                keys.len() - 1
            }
        };
    }
    keys.len()
}

/// Earliest service start at or after `arrival`, or `None` when every window closed.
#[inline]
pub(crate) fn earliest_start(windows: &[(f64, f64)], arrival: f64) -> Option<f64> {
    windows
        .iter()
        .find(|w| arrival <= w.1 + EPS)
        .map(|w| arrival.max(w.0))
}

/// Latest service start not after `bound`, or -inf when no window opens before it.
#[inline]
pub(crate) fn latest_start(windows: &[(f64, f64)], bound: f64) -> f64 {
    windows
        .iter()
        .rev()
        .find(|w| w.0 <= bound + EPS)
        .map_or(f64::NEG_INFINITY, |w| bound.min(w.1).max(w.0))
}
