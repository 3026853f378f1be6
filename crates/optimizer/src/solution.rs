//! Public result types: timed routes, totals, and unassigned jobs with reasons.

use serde::{Deserialize, Serialize};

use crate::model::Amount;

/// Why a job is not in any route. Every job is either routed or listed with one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnassignedReason {
    /// No vehicle has all the skills the job requires.
    NoVehicleWithSkills,
    /// The demand exceeds the capacity of every (skill-compatible) vehicle.
    CapacityExceedsEveryVehicle,
    /// No compatible vehicle can reach a time window of the job from its start.
    TimeWindowUnreachable,
    /// The job can be reached in time but no shift is long enough to also finish it
    /// and get to the vehicle's end location before the shift ends.
    ShiftTooShort,
    /// The job is serviceable on its own, but the fleet had no room left for it.
    FleetExhausted,
}

impl UnassignedReason {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            UnassignedReason::NoVehicleWithSkills => "NO_VEHICLE_WITH_SKILLS",
            UnassignedReason::CapacityExceedsEveryVehicle => "CAPACITY_EXCEEDS_EVERY_VEHICLE",
            UnassignedReason::TimeWindowUnreachable => "TIME_WINDOW_UNREACHABLE",
            UnassignedReason::ShiftTooShort => "SHIFT_TOO_SHORT",
            UnassignedReason::FleetExhausted => "FLEET_EXHAUSTED",
        }
    }
}

/// What happens at a planned stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopAction {
    Delivery,
    Pickup,
    PairPickup,
    PairDelivery,
}

/// One visit of a route with its schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedStop {
    pub job_id: String,
    /// Index of the job in `Problem::jobs`.
    pub job_index: usize,
    pub action: StopAction,
    pub arrival: f64,
    pub service_start: f64,
    pub departure: f64,
    /// Load on board after the stop.
    pub load_after: Amount,
    /// True when the stop was locked by the caller.
    pub locked: bool,
}

/// The plan of one used vehicle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutePlan {
    pub vehicle_id: String,
    /// Index of the vehicle in `Problem::vehicles`.
    pub vehicle_index: usize,
    pub departure: f64,
    /// Arrival at the end location (or departure from the last stop for open routes).
    pub end_arrival: f64,
    /// Load on board when leaving the start.
    pub start_load: Amount,
    pub stops: Vec<PlannedStop>,
    pub distance: f64,
    /// `end_arrival - departure`.
    pub duration: f64,
    /// fixed + per-distance × distance + per-hour × duration / 3600.
    pub cost: f64,
}

/// A job left out of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnassignedJob {
    pub job_id: String,
    pub job_index: usize,
    pub reason: UnassignedReason,
    pub code: String,
}

/// Search statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SolveStats {
    pub iterations: u64,
    pub elapsed_seconds: f64,
    pub cancelled: bool,
}

/// A complete plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    pub routes: Vec<RoutePlan>,
    pub unassigned: Vec<UnassignedJob>,
    pub cost: f64,
    pub distance: f64,
    pub duration: f64,
    pub vehicles_used: usize,
    pub stats: SolveStats,
}
