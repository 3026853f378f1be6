//! Turns the search state into the public [`Solution`]: timed stops computed with the
//! real (possibly time-dependent) travel times, loads, distances, durations and costs.

use super::instance::{earliest_start, Instance};
use super::state::State;
use crate::model::{Amount, JobKind, Location, Problem};
use crate::solution::{
    PlannedStop, RoutePlan, Solution, StopAction, UnassignedJob, UnassignedReason,
};
use crate::transport::TransportCost;

struct Timeline {
    departure: f64,
    stops: Vec<(f64, f64, f64)>,
    end_arrival: f64,
    feasible: bool,
}

fn simulate(
    instance: &Instance,
    problem: &Problem,
    cost: &dyn TransportCost,
    vehicle: usize,
    stops: &[u32],
    locations: &[Location],
    departure: f64,
) -> Timeline {
    let v = &problem.vehicles[vehicle];
    let mut time = departure;
    let mut at = v.start;
    let mut timed = Vec::with_capacity(stops.len());
    let mut feasible = true;
    for (&stop, location) in stops.iter().zip(locations) {
        let info = &instance.stops[stop as usize];
        let arrival = time + cost.duration(&at, location, time);
        let start = earliest_start(&info.windows, arrival).unwrap_or_else(|| {
            feasible = false;
            arrival
        });
        time = start + info.service;
        timed.push((arrival, start, time));
        at = *location;
    }
    let end_arrival = match &v.end {
        Some(end) => time + cost.duration(&at, end, time),
        None => time,
    };
    feasible &= end_arrival <= v.shift.end + 1e-7;
    Timeline {
        departure,
        stops: timed,
        end_arrival,
        feasible,
    }
}

fn stop_location(
    problem: &Problem,
    instance: &Instance,
    stop: u32,
) -> (Location, StopAction, usize) {
    let job_index = instance.stops[stop as usize].job;
    let first = instance.jobs[job_index].stops[0] == stop as usize;
    match &problem.jobs[job_index].kind {
        JobKind::Delivery { stop } => (stop.location, StopAction::Delivery, job_index),
        JobKind::Pickup { stop } => (stop.location, StopAction::Pickup, job_index),
        JobKind::PickupDelivery { pickup, delivery } => {
            if first {
                (pickup.location, StopAction::PairPickup, job_index)
            } else {
                (delivery.location, StopAction::PairDelivery, job_index)
            }
        }
    }
}

/// Builds the public solution; `excluded` are jobs set aside before the search.
pub(crate) fn build_solution(
    instance: &Instance,
    problem: &Problem,
    cost: &dyn TransportCost,
    state: &State,
    excluded: &[(usize, UnassignedReason)],
) -> Solution {
    let mut solution = Solution::default();
    for route in state.routes.iter().filter(|r| !r.stops.is_empty()) {
        let v = &problem.vehicles[route.vehicle];
        let described: Vec<(Location, StopAction, usize)> = route
            .stops
            .iter()
            .map(|&s| stop_location(problem, instance, s))
            .collect();
        let locations: Vec<Location> = described.iter().map(|d| d.0).collect();
        let mut timeline = simulate(
            instance,
            problem,
            cost,
            route.vehicle,
            &route.stops,
            &locations,
            v.shift.start,
        );
        // Leave later when the first stop would make the vehicle wait anyway.
        let (first_arrival, first_start, _) = timeline.stops[0];
        if first_start > first_arrival {
            let later = simulate(
                instance,
                problem,
                cost,
                route.vehicle,
                &route.stops,
                &locations,
                v.shift.start + first_start - first_arrival,
            );
            if later.feasible && later.end_arrival <= timeline.end_arrival + 1e-9 {
                timeline = later;
            }
        }
        let mut load = Amount::default();
        for &stop in &route.stops {
            for d in 0..load.0.len() {
                load.0[d] += instance.stops[stop as usize].start_load[d];
            }
        }
        let start_load = load;
        let mut distance = 0.0;
        let mut at = v.start;
        let mut stops = Vec::with_capacity(route.stops.len());
        for (index, (&stop, (location, action, job_index))) in
            route.stops.iter().zip(described).enumerate()
        {
            distance += cost.distance(&at, &location);
            at = location;
            for d in 0..load.0.len() {
                load.0[d] += instance.stops[stop as usize].delta[d];
            }
            let (arrival, service_start, departure) = timeline.stops[index];
            stops.push(PlannedStop {
                job_id: problem.jobs[job_index].id.clone(),
                job_index,
                action,
                arrival,
                service_start,
                departure,
                load_after: load,
                locked: index < route.locked_len,
            });
        }
        if let Some(end) = &v.end {
            distance += cost.distance(&at, end);
        }
        let duration = timeline.end_arrival - timeline.departure;
        let route_cost =
            v.fixed_cost + v.cost_per_distance * distance + v.cost_per_hour * duration / 3600.0;
        solution.distance += distance;
        solution.duration += duration;
        solution.cost += route_cost;
        solution.routes.push(RoutePlan {
            vehicle_id: v.id.clone(),
            vehicle_index: route.vehicle,
            departure: timeline.departure,
            end_arrival: timeline.end_arrival,
            start_load,
            stops,
            distance,
            duration,
            cost: route_cost,
        });
    }
    solution.vehicles_used = solution.routes.len();
    let mut unassigned: Vec<(usize, UnassignedReason)> = excluded.to_vec();
    unassigned.extend(
        state
            .absent
            .iter()
            .map(|&j| (j, UnassignedReason::FleetExhausted)),
    );
    unassigned.sort_by_key(|u| u.0);
    solution.unassigned = unassigned
        .into_iter()
        .map(|(job_index, reason)| UnassignedJob {
            job_id: problem.jobs[job_index].id.clone(),
            job_index,
            reason,
            code: reason.code().to_string(),
        })
        .collect();
    solution
}
