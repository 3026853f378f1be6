//! Freight optimizer: a pure, synchronous, deterministic vehicle routing engine.
//!
//! It plans routes for a heterogeneous fleet (multi-dimensional capacities, shifts,
//! start/end locations, fixed/distance/time costs, skills) serving deliveries,
//! pickups and pickup-and-delivery pairs with multiple time windows, service times and
//! priorities. Jobs that cannot be served are returned with a reason code. Plans can be
//! re-optimized with vehicles mid-route and locked stops. Every solution can be
//! verified by the independent [`check`] module.
//!
//! ```
//! use std::time::Duration;
//! use freight_optimizer::{solve, Amount, Job, JobKind, Location, Problem, SolveParams, Stop, TimeWindow, Vehicle};
//!
//! let depot = Location::LatLon { lat: 52.52, lon: 13.40 };
//! let mut truck = Vehicle::new("truck-1", depot, Amount([1000, 20, 6]));
//! truck.shift = TimeWindow::new(8.0 * 3600.0, 18.0 * 3600.0);
//! let stop = Stop {
//!     location: Location::LatLon { lat: 52.50, lon: 13.45 },
//!     time_windows: vec![TimeWindow::new(9.0 * 3600.0, 11.0 * 3600.0)],
//!     service: 300.0,
//! };
//! let job = Job { id: "order-7".into(), kind: JobKind::Delivery { stop }, demand: Amount([120, 1, 1]), skills: vec![], priority: 0 };
//! let problem = Problem { vehicles: vec![truck], jobs: vec![job] };
//! let params = SolveParams { time_limit: Duration::from_millis(200), seed: 7, ..SolveParams::default() };
//! let solution = solve(&problem, &params).expect("valid problem");
//! assert_eq!(solution.routes[0].stops[0].job_id, "order-7");
//! // distance in metres, times in seconds (haversine × 1.3 road factor at 50 km/h)
//! assert!(solution.routes[0].stops[0].service_start >= 9.0 * 3600.0);
//! let report = freight_optimizer::check::check(&problem, &freight_optimizer::Haversine::default(), &solution);
//! assert!(report.ok());
//! ```

pub mod check;
pub mod cli;
mod engine;
mod error;
pub mod formats;
mod model;
mod solution;
pub mod transport;
mod validate;

pub use engine::{
    explain_unserviceable, reoptimize, solve, solve_with, Objective, PlannedRoute, Progress,
    ProgressCallback, SolveParams,
};
pub use error::{Error, InputIssue};
pub use model::{Amount, Job, JobKind, Location, Problem, Stop, TimeWindow, Vehicle, DIMENSIONS};
pub use solution::{
    PlannedStop, RoutePlan, Solution, SolveStats, StopAction, UnassignedJob, UnassignedReason,
};
pub use transport::{Euclidean, Haversine, TrafficProfile, TransportCost, TravelMatrix};
pub use validate::validate;
