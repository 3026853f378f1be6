//! Turning shipments and driver/vehicle pairs into the optimizer's problem, and its solution
//! back into a plan the dispatcher reads: stops with clock times, distance, duration, cost,
//! unassigned shipments with reasons, and the savings against the manual plan.
//!
//! Times are seconds after the planning instant; distances metres (haversine × road factor).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use freight_optimizer::{
    Amount, Haversine, Job, JobKind, Location, Problem, Solution, StopAction, TimeWindow,
    TransportCost, Vehicle,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::drivers::Driver;
use crate::db::shipments::Shipment;
use crate::db::vehicles::Vehicle as FleetVehicle;
use crate::domain::time::to_datetime;

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
fn amount(weight_kg: f64, volume_m3: f64, pallets: i64) -> Amount {
    Amount([
        weight_kg.ceil() as i64,
        (volume_m3 * 1000.0).ceil() as i64,
        pallets,
    ])
}

/// Builds the problem: a pickup-and-delivery job per shipment, a vehicle per crew starting
/// and ending at the driver's home base.
pub fn build(shipments: &[Shipment], crews: &[Crew], epoch_ms: i64) -> Problem {
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
                priority: match s.priority {
                    crate::domain::Priority::Urgent => 3,
                    crate::domain::Priority::High => 2,
                    crate::domain::Priority::Normal => 1,
                    crate::domain::Priority::Low => 0,
                },
            }
        })
        .collect();
    Problem { vehicles, jobs }
}

fn crew_id(crew: &Crew) -> String {
    format!("{}:{}", crew.driver.id, crew.vehicle.id)
}

/// A visit in a proposed route.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlannedVisit {
    pub shipment_id: i64,
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

/// A shipment the plan could not serve, with the engine's reason code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnassignedShipment {
    pub shipment_id: i64,
    pub reason: String,
}

/// Distance of the optimized plan against the manual one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Savings {
    /// The manual plan: each driver's shipments in their current order, one load at a time.
    pub manual_distance_m: f64,
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

/// Reads the solution back in the service's terms.
pub fn interpret(
    solution: &Solution,
    shipments: &[Shipment],
    crews: &[Crew],
    epoch_ms: i64,
) -> PlanResult {
    let by_id: HashMap<String, &Shipment> =
        shipments.iter().map(|s| (s.id.to_string(), s)).collect();
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
                    let s = by_id.get(&stop.job_id)?;
                    let pickup = matches!(stop.action, StopAction::Pickup | StopAction::PairPickup);
                    let view = if pickup { &s.pickup } else { &s.delivery };
                    Some(PlannedVisit {
                        shipment_id: s.id,
                        action: if pickup { "pickup" } else { "delivery" }.to_string(),
                        address: view.address.clone(),
                        lat: view.lat,
                        lon: view.lon,
                        arrival: when(stop.arrival),
                        departure: when(stop.departure),
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
            Some(UnassignedShipment {
                shipment_id: by_id.get(&u.job_id)?.id,
                reason: u.code.clone(),
            })
        })
        .collect();
    let manual = manual_distance(shipments, crews, &routes);
    let optimized = solution.distance;
    PlanResult {
        routes,
        unassigned,
        total_distance_m: optimized,
        total_duration_s: solution.duration,
        total_cost: solution.cost,
        savings: Savings {
            manual_distance_m: manual,
            optimized_distance_m: optimized,
            distance_saved_m: manual - optimized,
            percent: if manual > 0.0 {
                (manual - optimized) / manual * 100.0
            } else {
                0.0
            },
        },
        solver_seconds: solution.stats.elapsed_seconds,
        iterations: solution.stats.iterations,
    }
}

/// The manual plan's distance: every driver drives from home, then each of their shipments
/// (already assigned ones, else the ones the optimizer gave them) in shipment order, pickup
/// then delivery, and back home.
fn manual_distance(shipments: &[Shipment], crews: &[Crew], routes: &[ProposedRoute]) -> f64 {
    let cost = Haversine::default();
    let planned: HashMap<i64, i64> = routes
        .iter()
        .flat_map(|r| r.stops.iter().map(move |s| (s.shipment_id, r.driver_id)))
        .collect();
    let mut total = 0.0;
    for crew in crews {
        let mut mine: Vec<&Shipment> = shipments
            .iter()
            .filter(|s| {
                s.driver
                    .as_ref()
                    .map(|d| d.id)
                    .or_else(|| planned.get(&s.id).copied())
                    == Some(crew.driver.id)
            })
            .collect();
        mine.sort_by_key(|s| s.id);
        if mine.is_empty() {
            continue;
        }
        let home = at(
            crew.driver.fields.home_base.lat,
            crew.driver.fields.home_base.lon,
        );
        let mut here = home;
        for s in mine {
            for view in [&s.pickup, &s.delivery] {
                let next = at(view.lat, view.lon);
                total += cost.distance(&here, &next);
                here = next;
            }
        }
        total += cost.distance(&here, &home);
    }
    total
}
