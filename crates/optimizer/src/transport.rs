//! Travel distance and duration providers behind the [`TransportCost`] trait.
//!
//! The solver asks for a full matrix once per solve (so an external routing engine can
//! answer in one batch later); the checker asks pair by pair, with the actual departure
//! time, so that time-dependent providers are verified with real travel times.

use crate::model::Location;

/// Dense distance and planning-duration matrix over a list of locations.
#[derive(Debug, Clone)]
pub struct TravelMatrix {
    pub size: usize,
    pub distance: Vec<f64>,
    pub duration: Vec<f64>,
}

impl TravelMatrix {
    pub fn distance(&self, from: usize, to: usize) -> f64 {
        self.distance[from * self.size + to]
    }
    pub fn duration(&self, from: usize, to: usize) -> f64 {
        self.duration[from * self.size + to]
    }
}

/// Source of distances and travel times.
///
/// Contract: travel is FIFO (leaving later never arrives earlier) and
/// [`TransportCost::planning_duration`] is never shorter than
/// [`TransportCost::duration`] at any departure time. The solver plans with the
/// planning durations, so plans stay feasible under the real, time-dependent ones.
pub trait TransportCost: Send + Sync {
    /// Distance from `from` to `to` (metres for lat/lon, coordinate units for x/y).
    fn distance(&self, from: &Location, to: &Location) -> f64;

    /// Travel time when leaving `from` at `departure`.
    fn duration(&self, from: &Location, to: &Location, departure: f64) -> f64;

    /// Travel time the planner assumes (default: the duration at time zero).
    fn planning_duration(&self, from: &Location, to: &Location) -> f64 {
        self.duration(from, to, 0.0)
    }

    /// Full matrix; override to batch requests to an external routing engine.
    fn matrix(&self, locations: &[Location]) -> TravelMatrix {
        let size = locations.len();
        let mut distance = Vec::with_capacity(size * size);
        let mut duration = Vec::with_capacity(size * size);
        for from in locations {
            for to in locations {
                distance.push(self.distance(from, to));
                duration.push(self.planning_duration(from, to));
            }
        }
        TravelMatrix {
            size,
            distance,
            duration,
        }
    }
}

fn planar(location: &Location) -> (f64, f64) {
    match *location {
        Location::Xy { x, y } => (x, y),
        Location::LatLon { lat, lon } => (lon, lat),
    }
}

/// Planar Euclidean distance; duration = distance / speed. `round` applies TSPLIB
/// EUC_2D `nint` rounding (used for CVRP benchmarks).
#[derive(Debug, Clone, Copy)]
pub struct Euclidean {
    pub speed: f64,
    pub round: bool,
}

impl Default for Euclidean {
    fn default() -> Self {
        Euclidean {
            speed: 1.0,
            round: false,
        }
    }
}

impl TransportCost for Euclidean {
    fn distance(&self, from: &Location, to: &Location) -> f64 {
        let (ax, ay) = planar(from);
        let (bx, by) = planar(to);
        let exact = ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt();
        if self.round {
            (exact + 0.5).floor()
        } else {
            exact
        }
    }
    fn duration(&self, from: &Location, to: &Location, _departure: f64) -> f64 {
        self.distance(from, to) / self.speed
    }
}

/// Great-circle distance times a road factor; constant speed in metres per second.
#[derive(Debug, Clone, Copy)]
pub struct Haversine {
    pub road_factor: f64,
    pub speed_mps: f64,
}

impl Default for Haversine {
    /// Road factor 1.3 and 50 km/h average speed.
    fn default() -> Self {
        Haversine {
            road_factor: 1.3,
            speed_mps: 50.0 / 3.6,
        }
    }
}

const EARTH_RADIUS_M: f64 = 6_371_000.0;

impl TransportCost for Haversine {
    fn distance(&self, from: &Location, to: &Location) -> f64 {
        let (lon1, lat1) = planar(from);
        let (lon2, lat2) = planar(to);
        let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
        let dp = p2 - p1;
        let dl = (lon2 - lon1).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin() * self.road_factor
    }
    fn duration(&self, from: &Location, to: &Location, _departure: f64) -> f64 {
        self.distance(from, to) / self.speed_mps
    }
}

/// Time-of-day traffic: piecewise-constant speed factors over a daily profile applied
/// to a base provider. Travel time integrates the speed across period boundaries, so
/// the model is FIFO. The planner uses the slowest factor (a safe upper bound).
#[derive(Debug, Clone)]
pub struct TrafficProfile<T> {
    pub base: T,
    /// `(period start in seconds since midnight, speed factor)`, sorted by start; the
    /// first period must start at 0. Factor 0.5 means half the base speed.
    pub periods: Vec<(f64, f64)>,
}

const DAY_SECONDS: f64 = 86_400.0;

impl<T: TransportCost> TrafficProfile<T> {
    fn factor_and_period_end(&self, time: f64) -> (f64, f64) {
        let day_start = (time / DAY_SECONDS).floor() * DAY_SECONDS;
        let in_day = time - day_start;
        let index = self
            .periods
            .iter()
            .rposition(|(start, _)| *start <= in_day)
            .unwrap_or(0);
        let end = self
            .periods
            .get(index + 1)
            .map_or(DAY_SECONDS, |(start, _)| *start);
        (
            self.periods.get(index).map_or(1.0, |p| p.1),
            day_start + end,
        )
    }

    fn slowest_factor(&self) -> f64 {
        let slowest = self
            .periods
            .iter()
            .map(|p| p.1)
            .fold(f64::INFINITY, f64::min);
        slowest.clamp(1e-3, 1.0)
    }
}

impl<T: TransportCost> TransportCost for TrafficProfile<T> {
    fn distance(&self, from: &Location, to: &Location) -> f64 {
        self.base.distance(from, to)
    }
    fn duration(&self, from: &Location, to: &Location, departure: f64) -> f64 {
        // Remaining work is expressed in base-speed seconds.
        let mut remaining = self.base.duration(from, to, departure);
        let mut now = departure;
        while remaining > 1e-9 {
            let (factor, period_end) = self.factor_and_period_end(now);
            let factor = factor.max(1e-3);
            let available = period_end - now;
            if remaining / factor <= available {
                now += remaining / factor;
                remaining = 0.0;
            } else {
                remaining -= available * factor;
                now = period_end;
            }
        }
        now - departure
    }
    fn planning_duration(&self, from: &Location, to: &Location) -> f64 {
        self.base.planning_duration(from, to) / self.slowest_factor()
    }
}

/// The provider used when the caller does not choose one: haversine for lat/lon
/// problems, exact Euclidean for planar ones.
pub fn default_cost_for(locations: &[Location]) -> Box<dyn TransportCost> {
    if locations
        .iter()
        .any(|l| matches!(l, Location::LatLon { .. }))
    {
        Box::new(Haversine::default())
    } else {
        Box::new(Euclidean::default())
    }
}
