//! Real vehicle traces for the simulator and the demo fleet: the CapMetro slice shipped in
//! `data/gps/` (see its README for source and license), parsed into one time-ordered trace per
//! bus, with linear interpolation between its (sparse) pings.

use std::collections::HashMap;

use crate::domain::time::Millis;
use crate::domain::LatLon;

/// The shipped slice (≈0.9 MB, 10k positions, 165 buses, 6 hours).
pub const SLICE_CSV: &str = include_str!("../../data/gps/capmetro_2016-11-25_0600-1200.csv");

/// One ping.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TracePoint {
    /// Epoch milliseconds as recorded.
    pub t: Millis,
    pub lat: f64,
    pub lon: f64,
    /// Metres per second.
    pub speed: f64,
}

/// One vehicle's pings, oldest first.
#[derive(Debug, Clone)]
pub struct Trace {
    pub vehicle: String,
    pub points: Vec<TracePoint>,
}

impl Trace {
    pub fn span(&self) -> Millis {
        match (self.points.first(), self.points.last()) {
            (Some(a), Some(b)) => b.t - a.t,
            _ => 0,
        }
    }

    /// Where the vehicle was `offset` ms after its first ping (looping), with speed and heading.
    pub fn at(&self, offset: Millis) -> (f64, f64, f64, f64) {
        let span = self.span().max(1);
        let t = self.points[0].t + offset.rem_euclid(span);
        let i = self
            .points
            .partition_point(|p| p.t <= t)
            .clamp(1, self.points.len() - 1);
        let (a, b) = (self.points[i - 1], self.points[i]);
        let f = if b.t > a.t {
            ((t - a.t) as f64 / (b.t - a.t) as f64).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (lat, lon) = (a.lat + (b.lat - a.lat) * f, a.lon + (b.lon - a.lon) * f);
        let metres = LatLon {
            lat: a.lat,
            lon: a.lon,
        }
        .distance_m(LatLon {
            lat: b.lat,
            lon: b.lon,
        });
        let speed = if b.t > a.t {
            metres / ((b.t - a.t) as f64 / 1000.0)
        } else {
            a.speed
        };
        (lat, lon, speed, bearing(a.lat, a.lon, b.lat, b.lon))
    }
}

/// Initial bearing from one point to another, degrees 0..360.
pub fn bearing(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    (y.atan2(x).to_degrees() + 360.0) % 360.0
}

/// Parses CSV in the CapMetro layout. Traces with fewer than `min_points` pings are left
/// out; the result is ordered by number of pings, longest first (stable by vehicle id).
pub fn parse(csv: &str, min_points: usize) -> Vec<Trace> {
    let mut by_vehicle: HashMap<&str, Vec<TracePoint>> = HashMap::new();
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        if cols.len() < 7 {
            continue;
        }
        let (Ok(t), Ok(lat), Ok(lon)) = (
            chrono::DateTime::parse_from_rfc3339(cols[1]),
            cols[5].parse::<f64>(),
            cols[6].parse::<f64>(),
        ) else {
            continue;
        };
        let speed = cols[2].parse::<f64>().unwrap_or(0.0);
        by_vehicle.entry(cols[0]).or_default().push(TracePoint {
            t: t.timestamp_millis(),
            lat,
            lon,
            speed,
        });
    }
    let mut traces: Vec<Trace> = by_vehicle
        .into_iter()
        .map(|(vehicle, mut points)| {
            points.sort_by_key(|p| p.t);
            points.dedup_by_key(|p| p.t);
            Trace {
                vehicle: vehicle.to_string(),
                points,
            }
        })
        .filter(|t| t.points.len() >= min_points.max(2))
        .collect();
    traces.sort_by(|a, b| {
        b.points
            .len()
            .cmp(&a.points.len())
            .then_with(|| a.vehicle.cmp(&b.vehicle))
    });
    traces
}

/// The shipped slice, parsed.
pub fn shipped() -> Vec<Trace> {
    parse(SLICE_CSV, 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_slice_parses_into_many_austin_traces() {
        let traces = shipped();
        assert!(traces.len() > 100, "{}", traces.len());
        let p = traces[0].points[0];
        assert!((30.0..30.7).contains(&p.lat) && (-98.1..-97.4).contains(&p.lon));
        assert!(traces
            .iter()
            .all(|t| t.points.windows(2).all(|w| w[0].t < w[1].t)));
    }

    #[test]
    fn interpolates_between_pings_and_loops() {
        let csv = "vehicle_id,timestamp,speed,route_id,trip_id,latitude,longitude,trip_headsign\n\
                   7,2016-11-25T06:00:00-06:00,0,1,1,30.0,-97.0,x\n\
                   7,2016-11-25T06:01:40-06:00,0,1,1,30.001,-97.0,x\n";
        let trace = &parse(csv, 2)[0];
        let (lat, _, speed, heading) = trace.at(50_000);
        assert!((lat - 30.0005).abs() < 1e-9);
        assert!((speed - 1.11).abs() < 0.01, "{speed}");
        assert!(!(1.0..=359.0).contains(&heading), "{heading}");
        assert_eq!(trace.at(100_000 + 50_000).0, lat);
    }
}
