//! Public problem model: what a caller describes (vehicles, jobs, windows, capacities).
//!
//! These types are the stable input contract of the engine and of the JSON problem
//! format; the solver compiles them into its own dense representation before searching.

use serde::{Deserialize, Serialize};

/// Number of capacity dimensions (weight, volume, pallets).
pub const DIMENSIONS: usize = 3;

/// A multi-dimensional quantity (weight, volume, pallets) in integer caller units.
/// Serialized as a JSON array of up to three integers (missing entries are zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<i64>", into = "Vec<i64>")]
pub struct Amount(pub [i64; DIMENSIONS]);

impl Amount {
    /// A one-dimensional amount (the other dimensions are zero).
    pub fn scalar(value: i64) -> Self {
        Amount([value, 0, 0])
    }

    /// True when every dimension of `self` is at most the one of `limit`.
    pub fn fits_in(&self, limit: &Amount) -> bool {
        self.0.iter().zip(limit.0.iter()).all(|(a, b)| a <= b)
    }
}

impl TryFrom<Vec<i64>> for Amount {
    type Error = String;
    fn try_from(values: Vec<i64>) -> Result<Self, Self::Error> {
        if values.len() > DIMENSIONS {
            return Err(format!(
                "at most {DIMENSIONS} capacity dimensions are supported"
            ));
        }
        let mut out = [0; DIMENSIONS];
        out[..values.len()].copy_from_slice(&values);
        Ok(Amount(out))
    }
}

impl From<Amount> for Vec<i64> {
    fn from(amount: Amount) -> Self {
        amount.0.to_vec()
    }
}

/// A point: geographic (degrees) or planar (benchmark coordinates).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Location {
    /// WGS84 latitude/longitude in degrees; distances in metres, durations in seconds.
    LatLon { lat: f64, lon: f64 },
    /// Planar coordinates; distance is Euclidean in the same unit.
    Xy { x: f64, y: f64 },
}

/// A closed interval `[start, end]` of allowed service start times.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeWindow {
    pub start: f64,
    pub end: f64,
}

impl TimeWindow {
    /// A window that never constrains.
    pub const ALWAYS: TimeWindow = TimeWindow {
        start: 0.0,
        end: f64::INFINITY,
    };

    pub fn new(start: f64, end: f64) -> Self {
        TimeWindow { start, end }
    }
}

/// One place a vehicle has to visit for a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    pub location: Location,
    /// Allowed service start windows; empty means "any time within the shift".
    #[serde(default)]
    pub time_windows: Vec<TimeWindow>,
    /// Service duration at the stop.
    #[serde(default)]
    pub service: f64,
}

impl Stop {
    pub fn at(location: Location) -> Self {
        Stop {
            location,
            time_windows: Vec::new(),
            service: 0.0,
        }
    }
}

/// What a job does with its demand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobKind {
    /// Goods loaded at the route start and dropped at the stop.
    Delivery { stop: Stop },
    /// Goods collected at the stop and carried to the route end.
    Pickup { stop: Stop },
    /// Goods collected at `pickup` and dropped at `delivery` by the same vehicle.
    PickupDelivery { pickup: Stop, delivery: Stop },
}

/// A unit of work: served completely by one vehicle or reported unassigned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    #[serde(flatten)]
    pub kind: JobKind,
    #[serde(default)]
    pub demand: Amount,
    /// Skills the vehicle must have (all of them).
    #[serde(default)]
    pub skills: Vec<String>,
    /// Higher priority jobs are dropped last when the fleet cannot serve everything.
    #[serde(default)]
    pub priority: u32,
}

impl Job {
    /// The job's stops in visiting order (one, or pickup then delivery).
    pub fn stops(&self) -> Vec<&Stop> {
        match &self.kind {
            JobKind::Delivery { stop } | JobKind::Pickup { stop } => vec![stop],
            JobKind::PickupDelivery { pickup, delivery } => vec![pickup, delivery],
        }
    }
}

/// A vehicle with its shift, capacity, costs and (for re-optimization) committed stops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vehicle {
    pub id: String,
    /// Where the vehicle is when the plan starts (depot, or current position mid-route).
    pub start: Location,
    /// Where it must finish; `None` means the route ends at its last stop.
    #[serde(default)]
    pub end: Option<Location>,
    /// Earliest departure and latest arrival at the end.
    #[serde(default = "default_shift")]
    pub shift: TimeWindow,
    pub capacity: Amount,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub fixed_cost: f64,
    #[serde(default = "default_cost_per_distance")]
    pub cost_per_distance: f64,
    #[serde(default)]
    pub cost_per_hour: f64,
    /// Job ids already committed to this vehicle, visited first and in this order.
    /// The optimizer never removes or reorders them; new work is planned after them.
    /// For a job whose pickup was already done, list it as a delivery job here.
    #[serde(default)]
    pub locked_jobs: Vec<String>,
}

fn default_shift() -> TimeWindow {
    TimeWindow::ALWAYS
}

fn default_cost_per_distance() -> f64 {
    1.0
}

impl Vehicle {
    /// A vehicle returning to its start, with unit distance cost and no other costs.
    pub fn new(id: impl Into<String>, depot: Location, capacity: Amount) -> Self {
        Vehicle {
            id: id.into(),
            start: depot,
            end: Some(depot),
            shift: TimeWindow::ALWAYS,
            capacity,
            skills: Vec::new(),
            fixed_cost: 0.0,
            cost_per_distance: 1.0,
            cost_per_hour: 0.0,
            locked_jobs: Vec::new(),
        }
    }
}

/// A complete routing problem.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Problem {
    pub vehicles: Vec<Vehicle>,
    pub jobs: Vec<Job>,
}
