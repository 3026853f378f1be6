//! Recreate step: greedy cheapest insertion with "blinks" (randomly skipped positions),
//! in one of several randomly chosen job orders, as in SISR. Also used to build the
//! initial solution and to insert new jobs into an existing plan.

use super::instance::Instance;
use super::rng::Rng;
use super::route::Insertion;
use super::state::State;

/// Limits on opening routes during recreate.
#[derive(Clone, Copy)]
pub(crate) struct FleetLimit {
    /// Maximum number of non-empty routes.
    pub max_routes: usize,
}

/// Scratch buffers reused across recreate calls.
pub(crate) struct Scratch {
    type_stamp: Vec<u64>,
    stamp: u64,
}

impl Scratch {
    pub fn new(instance: &Instance) -> Scratch {
        Scratch {
            type_stamp: vec![0; instance.vehicle_types],
            stamp: 0,
        }
    }
}

fn order_jobs(instance: &Instance, jobs: &mut [usize], rng: &mut Rng) {
    rng.shuffle(jobs);
    let first_stop = |j: usize| &instance.stops[instance.jobs[j].stops[0]];
    let window = |j: usize| {
        let w = &first_stop(j).windows;
        (w[0].0, w[w.len() - 1].1)
    };
    let demand = |j: usize| instance.jobs[j].demand.iter().sum::<i64>();
    match rng.below(15) {
        0..=3 => {}
        4..=7 => jobs.sort_by_key(|&j| std::cmp::Reverse(demand(j))),
        8..=9 => jobs.sort_by(|&a, &b| far(instance, b).total_cmp(&far(instance, a))),
        10 => jobs.sort_by(|&a, &b| far(instance, a).total_cmp(&far(instance, b))),
        11..=12 => jobs.sort_by(|&a, &b| {
            let (wa, wb) = (window(a), window(b));
            (wa.1 - wa.0).total_cmp(&(wb.1 - wb.0))
        }),
        13 => jobs.sort_by(|&a, &b| window(a).0.total_cmp(&window(b).0)),
        _ => jobs.sort_by(|&a, &b| window(b).1.total_cmp(&window(a).1)),
    }
}

fn far(instance: &Instance, job: usize) -> f64 {
    instance.depot_distance[instance.jobs[job].stops[0]]
}

/// Cheapest feasible insertion of `job` over all routes, with blink rate `blink`.
pub(crate) fn best_insertion(
    instance: &Instance,
    state: &State,
    job: usize,
    blink: f64,
    may_open_route: bool,
    scratch: &mut Scratch,
    rng: &mut Rng,
) -> Option<Insertion> {
    let info = &instance.jobs[job];
    scratch.stamp += 1;
    let mut best = f64::INFINITY;
    let mut found: Option<Insertion> = None;
    let mut skip = || blink > 0.0 && rng.unit() < blink;
    for (index, route) in state.routes.iter().enumerate() {
        let vehicle = &instance.vehicles[route.vehicle];
        // Only one empty route per vehicle type is tried (checked first: most of a large
        // fleet is idle).
        let empty = route.stops.is_empty();
        if empty && (!may_open_route || scratch.type_stamp[vehicle.type_id] == scratch.stamp) {
            continue;
        }
        if info.skills & !vehicle.skills != 0
            || !(0..info.demand.len()).all(|d| info.demand[d] <= vehicle.capacity[d])
        {
            continue;
        }
        if empty {
            scratch.type_stamp[vehicle.type_id] = scratch.stamp;
        }
        if info.stops.len() == 1 {
            if let Some(k) = route.best_single(instance, info.stops[0], &mut best, &mut skip) {
                found = Some(Insertion {
                    route: index,
                    first_after: k,
                    second_after: k,
                });
            }
        } else if let Some((k1, k2)) =
            route.best_pair(instance, info.stops[0], info.stops[1], &mut best, &mut skip)
        {
            found = Some(Insertion {
                route: index,
                first_after: k1,
                second_after: k2,
            });
        }
    }
    found
}

/// Inserts `jobs` (in a random SISR order) plus nothing else; jobs that fit nowhere are
/// appended to `state.absent`.
pub(crate) fn recreate(
    instance: &Instance,
    state: &mut State,
    jobs: &mut [usize],
    blink: f64,
    limit: FleetLimit,
    scratch: &mut Scratch,
    rng: &mut Rng,
) {
    order_jobs(instance, jobs, rng);
    let mut used = state.used_routes();
    for &job in jobs.iter() {
        match best_insertion(
            instance,
            state,
            job,
            blink,
            used < limit.max_routes,
            scratch,
            rng,
        ) {
            Some(insertion) => {
                if state.routes[insertion.route].stops.is_empty() {
                    used += 1;
                }
                state.insert_job(instance, job, &insertion);
            }
            None => state.absent.push(job),
        }
    }
}
