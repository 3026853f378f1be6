//! Per-job serviceability check before the search: a job no vehicle could serve even
//! alone is set aside with the reason (skills, capacity, time window, shift), so the
//! caller learns why instead of the job silently disappearing.

use super::instance::{earliest_start, Instance, EPS};
use super::route::Route;
use crate::solution::UnassignedReason;

/// How far a job got when tried alone on one vehicle; higher is closer to feasible.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Skills,
    Capacity,
    TimeWindow,
    Shift,
    Feasible,
}

fn stage_on(instance: &Instance, job: usize, vehicle: usize, empty: &Route) -> Stage {
    let info = &instance.jobs[job];
    let v = &instance.vehicles[vehicle];
    if info.skills & !v.skills != 0 {
        return Stage::Skills;
    }
    if !(0..info.demand.len()).all(|d| info.demand[d] <= v.capacity[d]) {
        return Stage::Capacity;
    }
    let mut best = f64::INFINITY;
    let mut never_skip = || false;
    let fits = if info.stops.len() == 1 {
        empty
            .best_single(instance, info.stops[0], &mut best, &mut never_skip)
            .is_some()
    } else {
        empty
            .best_pair(
                instance,
                info.stops[0],
                info.stops[1],
                &mut best,
                &mut never_skip,
            )
            .is_some()
    };
    if fits {
        return Stage::Feasible;
    }
    // Can the stops be reached inside their windows, ignoring the way back?
    let mut time = v.shift_start;
    let mut at = v.start_loc;
    for &stop in &info.stops {
        let s = &instance.stops[stop];
        match earliest_start(&s.windows, time + instance.time(at, s.loc)) {
            Some(start) if start <= v.shift_end + EPS => {
                time = start + s.service;
                at = s.loc;
            }
            _ => return Stage::TimeWindow,
        }
    }
    Stage::Shift
}

/// `None` when some vehicle can serve the job alone, otherwise the best reason.
pub(crate) fn unserviceable_reason(
    instance: &Instance,
    job: usize,
    empty_routes: &[Route],
) -> Option<UnassignedReason> {
    let mut seen_types = vec![false; instance.vehicle_types];
    let mut best = None;
    for (v, vehicle) in instance.vehicles.iter().enumerate() {
        if std::mem::replace(&mut seen_types[vehicle.type_id], true) {
            continue;
        }
        best = best.max(Some(stage_on(instance, job, v, &empty_routes[v])));
    }
    let best = best?;
    match best {
        Stage::Skills => Some(UnassignedReason::NoVehicleWithSkills),
        Stage::Capacity => Some(UnassignedReason::CapacityExceedsEveryVehicle),
        Stage::TimeWindow => Some(UnassignedReason::TimeWindowUnreachable),
        Stage::Shift => Some(UnassignedReason::ShiftTooShort),
        Stage::Feasible => None,
    }
}
