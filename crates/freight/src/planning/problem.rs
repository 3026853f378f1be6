//! Turning shipments and driver/vehicle pairs into the optimizer's problem, and its solution
//! back into a plan the dispatcher reads: stops with clock times, distance, duration, cost,
//! unassigned shipments with reasons, and the savings against the manual plan.
//!
//! Times are seconds after the planning instant; distances metres (haversine × road factor).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use freight_optimizer::{
    Amount, Haversine, Job, JobKind, Location, Problem, Solution, StopAction, TimeWindow, Vehicle,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::drivers::Driver;
use crate::db::shipments::Shipment;
use crate::db::vehicles::Vehicle as FleetVehicle;
use crate::domain::time::to_datetime;
use crate::planning::inline::{self, InlineStop};
use crate::planning::manual;

/// How long a planned shift lasts from the planning instant.
pub const SHIFT_SECONDS: f64 = 14.0 * 3600.0;

/// One driver with the vehicle they will drive.
pub struct Crew {
    pub driver: Driver,
    pub vehicle: FleetVehicle,
}

fn at(lat: f64, lon: f64) -> Location {
    Location::LatLon { lat, lon }
}

/// Seconds from `epoch_ms` to `ms`.
fn secs(ms: i64, epoch_ms: i64) -> f64 {
    (ms - epoch_ms) as f64 / 1000.0
}

/// Demand or capacity: kg, litres, pallets.
pub(crate) fn amount(weight_kg: f64, volume_m3: f64, pallets: i64) -> Amount {
    Amount([
        weight_kg.ceil() as i64,
        (volume_m3 * 1000.0).ceil() as i64,
        pallets,
    ])
}

/// The optimizer's priority scale (higher is dropped last).
pub(crate) fn priority_rank(priority: crate::domain::Priority) -> u32 {
    match priority {
        crate::domain::Priority::Urgent => 3,
        crate::domain::Priority::High => 2,
        crate::domain::Priority::Normal => 1,
        crate::domain::Priority::Low => 0,
    }
}

/// Builds the problem: a pickup-and-delivery job per shipment, then a one-visit job per
/// inline stop, and a vehicle per crew starting and ending at the driver's home base.
pub fn build(
    shipments: &[Shipment],
    stops: &[InlineStop],
    crews: &[Crew],
    epoch_ms: i64,
) -> Problem {
    let vehicles = crews
        .iter()
        .map(|crew| {
            let base = at(
                crew.driver.fields.home_base.lat,
                crew.driver.fields.home_base.lon,
            );
            let c = crew.vehicle.capacity;
            let mut v = Vehicle::new(
                crew_id(crew),
                base,
                amount(c.weight_kg, c.volume_m3, c.pallets),
            );
            v.end = Some(base);
            v.shift = TimeWindow::new(0.0, SHIFT_SECONDS);
            // Plans minimize distance (the savings the roadmap asks for); time only constrains.
            v.cost_per_distance = 0.001; // dollars per metre (≈ $1.61 per mile)
            v.cost_per_hour = 0.0;
            v
        })
        .collect();
    let jobs = shipments
        .iter()
        .map(|s| {
            let stop = |view: &crate::db::shipments::StopView| freight_optimizer::Stop {
                location: at(view.lat, view.lon),
                time_windows: vec![TimeWindow::new(
                    secs(view.window.start.timestamp_millis(), epoch_ms).max(0.0),
                    secs(view.window.end.timestamp_millis(), epoch_ms).max(0.0),
                )],
                service: view.service_minutes as f64 * 60.0,
            };
            Job {
                id: s.id.to_string(),
                kind: JobKind::PickupDelivery {
                    pickup: stop(&s.pickup),
                    delivery: stop(&s.delivery),
                },
                demand: amount(s.weight_kg, s.volume_m3, s.pallets),
                skills: vec![],
                priority: priority_rank(s.priority),
            }
        })
        .chain(stops.iter().map(|stop| inline::job(stop, epoch_ms)))
        .collect();
    Problem { vehicles, jobs }
}

fn crew_id(crew: &Crew) -> String {
    format!("{}:{}", crew.driver.id, crew.vehicle.id)
}

/// A visit in a proposed route: a shipment's pickup or delivery, or an inline stop.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlannedVisit {
    /// The shipment, or null for an inline stop.
    pub shipment_id: Option<i64>,
    /// The inline stop's `id` from the request, or null for a shipment.
    #[serde(default)]
    pub stop_id: Option<String>,
    /// `pickup` or `delivery`.
    pub action: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub arrival: DateTime<Utc>,
    pub departure: DateTime<Utc>,
}

/// One driver's proposed route.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProposedRoute {
    pub driver_id: i64,
    pub vehicle_id: i64,
    pub stops: Vec<PlannedVisit>,
    pub distance_m: f64,
    pub duration_s: f64,
    pub cost: f64,
}

/// A shipment or inline stop the plan could not serve, with the engine's reason code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnassignedShipment {
    /// The shipment, or null for an inline stop.
    pub shipment_id: Option<i64>,
    /// The inline stop's `id`, or null for a shipment.
    #[serde(default)]
    pub stop_id: Option<String>,
    pub reason: String,
}

/// Distance of the optimized plan against the manual one, over the same loads.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Savings {
    /// The manual plan over the loads the optimized plan serves: each driver does their
    /// assigned shipments one at a time in pickup-window order; loads without a driver go,
    /// in the same order, to the nearest available driver (see `planning::manual`).
    pub manual_distance_m: f64,
    /// Stops the manual plan reaches after their window closed (served late).
    #[serde(default)]
    pub manual_late_stops: usize,
    pub optimized_distance_m: f64,
    pub distance_saved_m: f64,
    pub percent: f64,
}

/// The proposed plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanResult {
    pub routes: Vec<ProposedRoute>,
    pub unassigned: Vec<UnassignedShipment>,
    pub total_distance_m: f64,
    pub total_duration_s: f64,
    pub total_cost: f64,
    pub savings: Savings,
    pub solver_seconds: f64,
    pub iterations: u64,
}

/// Reads the solution of `problem` (built from these shipments, stops and crews) back in
/// the service's terms.
pub fn interpret(
    problem: &Problem,
    solution: &Solution,
    shipments: &[Shipment],
    stops: &[InlineStop],
    crews: &[Crew],
    epoch_ms: i64,
) -> PlanResult {
    let by_id: HashMap<String, &Shipment> =
        shipments.iter().map(|s| (s.id.to_string(), s)).collect();
    let inline_by_id: HashMap<String, &InlineStop> = stops
        .iter()
        .map(|s| (format!("{}{}", inline::JOB_PREFIX, s.id), s))
        .collect();
    let when = |t: f64| to_datetime(epoch_ms + (t * 1000.0) as i64);
    let routes: Vec<ProposedRoute> = solution
        .routes
        .iter()
        .filter(|r| !r.stops.is_empty())
        .map(|r| {
            let crew = &crews[r.vehicle_index];
            let stops = r
                .stops
                .iter()
                .filter_map(|stop| {
                    let pickup = matches!(stop.action, StopAction::Pickup | StopAction::PairPickup);
                    let action = if pickup { "pickup" } else { "delivery" }.to_string();
                    let (arrival, departure) = (when(stop.arrival), when(stop.departure));
                    if let Some(adhoc) = inline_by_id.get(&stop.job_id) {
                        return Some(PlannedVisit {
                            shipment_id: None,
                            stop_id: Some(adhoc.id.clone()),
                            action,
                            address: adhoc.address.clone(),
                            lat: adhoc.lat,
                            lon: adhoc.lon,
                            arrival,
                            departure,
                        });
                    }
                    let s = by_id.get(&stop.job_id)?;
                    let view = if pickup { &s.pickup } else { &s.delivery };
                    Some(PlannedVisit {
                        shipment_id: Some(s.id),
                        stop_id: None,
                        action,
                        address: view.address.clone(),
                        lat: view.lat,
                        lon: view.lon,
                        arrival,
                        departure,
                    })
                })
                .collect();
            ProposedRoute {
                driver_id: crew.driver.id,
                vehicle_id: crew.vehicle.id,
                stops,
                distance_m: r.distance,
                duration_s: r.duration,
                cost: r.cost,
            }
        })
        .collect();
    let unassigned = solution
        .unassigned
        .iter()
        .filter_map(|u| {
            let (shipment_id, stop_id) = match inline_by_id.get(&u.job_id) {
                Some(adhoc) => (None, Some(adhoc.id.clone())),
                None => (Some(by_id.get(&u.job_id)?.id), None),
            };
            Some(UnassignedShipment {
                shipment_id,
                stop_id,
                reason: u.code.clone(),
            })
        })
        .collect();
    let manual = manual_plan(problem, solution, shipments, crews);
    let optimized = solution.distance;
    PlanResult {
        routes,
        unassigned,
        total_distance_m: optimized,
        total_duration_s: solution.duration,
        total_cost: solution.cost,
        savings: Savings {
            manual_distance_m: manual.distance,
            manual_late_stops: manual.late_stops,
            optimized_distance_m: optimized,
            distance_saved_m: manual.distance - optimized,
            percent: if manual.distance > 0.0 {
                (manual.distance - optimized) / manual.distance * 100.0
            } else {
                0.0
            },
        },
        solver_seconds: solution.stats.elapsed_seconds,
        iterations: solution.stats.iterations,
    }
}

/// The manual plan over the jobs the optimized plan serves (so both serve the same loads):
/// shipments already assigned to one of the crews' drivers stay with that driver.
fn manual_plan(
    problem: &Problem,
    solution: &Solution,
    shipments: &[Shipment],
    crews: &[Crew],
) -> manual::ManualPlan {
    let served: std::collections::HashSet<&str> = solution
        .routes
        .iter()
        .flat_map(|r| r.stops.iter().map(|s| s.job_id.as_str()))
        .collect();
    let include: Vec<bool> = problem
        .jobs
        .iter()
        .map(|j| served.contains(j.id.as_str()))
        .collect();
    // Shipment jobs come first, in the same order as `shipments`; inline stops have no driver.
    let current: Vec<Option<usize>> = (0..problem.jobs.len())
        .map(|j| {
            let driver = shipments.get(j)?.driver.as_ref()?.id;
            crews.iter().position(|c| c.driver.id == driver)
        })
        .collect();
    manual::simulate(problem, &Haversine::default(), &current, &include)
}
