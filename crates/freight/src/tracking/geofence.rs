//! Geofence geometry and the enter/exit/dwell state machine, pure and unit-tested.
//!
//! Fixes can be minutes apart, so a fence is evaluated on the *segment* between consecutive
//! fixes, not only on the fixes: a truck that passed through a small depot between two fixes
//! still produces `enter` and `exit`, with times interpolated along the segment. Distances
//! use a local equirectangular projection (metres), accurate to well under a metre at fence
//! scales (a few km).

use serde::Serialize;

use crate::domain::geo::EARTH_RADIUS_M;
use crate::domain::time::Millis;

/// A fence's shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Circle {
        lat: f64,
        lon: f64,
        radius_m: f64,
    },
    /// Vertices as (lat, lon); the ring is closed implicitly.
    Polygon(Vec<(f64, f64)>),
}

/// A point in metres relative to an origin.
#[derive(Debug, Clone, Copy)]
struct Xy(f64, f64);

fn project(origin: (f64, f64), p: (f64, f64)) -> Xy {
    let k = origin.0.to_radians().cos();
    Xy(
        (p.1 - origin.1).to_radians() * EARTH_RADIUS_M * k,
        (p.0 - origin.0).to_radians() * EARTH_RADIUS_M,
    )
}

impl Shape {
    fn origin(&self) -> (f64, f64) {
        match self {
            Shape::Circle { lat, lon, .. } => (*lat, *lon),
            Shape::Polygon(v) => v.first().copied().unwrap_or((0.0, 0.0)),
        }
    }

    /// Whether a point is inside.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        let o = self.origin();
        match self {
            Shape::Circle { radius_m, .. } => {
                let p = project(o, (lat, lon));
                p.0.hypot(p.1) <= *radius_m
            }
            Shape::Polygon(vertices) => {
                let p = project(o, (lat, lon));
                let ring: Vec<Xy> = vertices.iter().map(|v| project(o, *v)).collect();
                let mut inside = false;
                let mut j = ring.len().saturating_sub(1);
                for i in 0..ring.len() {
                    let (a, b) = (ring[i], ring[j]);
                    if (a.1 > p.1) != (b.1 > p.1)
                        && p.0 < (b.0 - a.0) * (p.1 - a.1) / (b.1 - a.1) + a.0
                    {
                        inside = !inside;
                    }
                    j = i;
                }
                inside
            }
        }
    }

    /// Fractions in [0, 1] along a→b where the segment crosses the boundary, sorted.
    pub fn crossings(&self, a: (f64, f64), b: (f64, f64)) -> Vec<f64> {
        let o = self.origin();
        let (pa, pb) = (project(o, a), project(o, b));
        let d = Xy(pb.0 - pa.0, pb.1 - pa.1);
        let mut out = Vec::new();
        match self {
            Shape::Circle { radius_m, .. } => {
                // |pa + t d|² = r²
                let qa = d.0 * d.0 + d.1 * d.1;
                let qb = 2.0 * (pa.0 * d.0 + pa.1 * d.1);
                let qc = pa.0 * pa.0 + pa.1 * pa.1 - radius_m * radius_m;
                let disc = qb * qb - 4.0 * qa * qc;
                if qa > 0.0 && disc >= 0.0 {
                    let s = disc.sqrt();
                    out.extend([(-qb - s) / (2.0 * qa), (-qb + s) / (2.0 * qa)]);
                }
            }
            Shape::Polygon(vertices) => {
                let ring: Vec<Xy> = vertices.iter().map(|v| project(o, *v)).collect();
                for i in 0..ring.len() {
                    let (c, e) = (ring[i], ring[(i + 1) % ring.len()]);
                    let f = Xy(e.0 - c.0, e.1 - c.1);
                    let den = d.0 * f.1 - d.1 * f.0;
                    if den.abs() < 1e-12 {
                        continue;
                    }
                    let w = Xy(c.0 - pa.0, c.1 - pa.1);
                    let t = (w.0 * f.1 - w.1 * f.0) / den;
                    let u = (w.0 * d.1 - w.1 * d.0) / den;
                    if (0.0..=1.0).contains(&u) {
                        out.push(t);
                    }
                }
            }
        }
        out.retain(|t| (0.0..=1.0).contains(t));
        out.sort_by(f64::total_cmp);
        out
    }
}

/// What a fence transition was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Enter,
    Exit,
    Dwell,
}

impl Transition {
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Enter => "enter",
            Transition::Exit => "exit",
            Transition::Dwell => "dwell",
        }
    }
}

/// A driver's presence in one fence.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Presence {
    /// When the driver entered, if inside.
    pub inside_since: Option<Millis>,
    pub dwell_reported: bool,
}

/// A fix reduced to what fences need: (time, lat, lon).
pub type Point = (Millis, f64, f64);

/// Advances `presence` from `prev` to `cur` and returns the transitions with their times
/// (and positions). `dwell_ms` is the dwell threshold.
pub fn step(
    shape: &Shape,
    presence: &mut Presence,
    prev: Point,
    cur: Point,
    dwell_ms: Millis,
) -> Vec<(Transition, Point)> {
    let mut out = Vec::new();
    let at = |f: f64| -> Point {
        let t = prev.0 + ((cur.0 - prev.0) as f64 * f) as Millis;
        (
            t,
            prev.1 + (cur.1 - prev.1) * f,
            prev.2 + (cur.2 - prev.2) * f,
        )
    };
    let now_inside = shape.contains(cur.1, cur.2);
    let was_inside = presence.inside_since.is_some();
    let crossings = shape.crossings((prev.1, prev.2), (cur.1, cur.2));
    match (was_inside, now_inside) {
        (false, true) => {
            let p = crossings.first().map_or(cur, |f| at(*f));
            out.push((Transition::Enter, p));
            *presence = Presence {
                inside_since: Some(p.0),
                dwell_reported: false,
            };
        }
        (true, false) => {
            let p = crossings.last().map_or(cur, |f| at(*f));
            if !presence.dwell_reported
                && presence.inside_since.is_some_and(|s| p.0 - s >= dwell_ms)
            {
                let s = presence.inside_since.unwrap_or(p.0);
                out.push((Transition::Dwell, (s + dwell_ms, p.1, p.2)));
            }
            out.push((Transition::Exit, p));
            *presence = Presence::default();
        }
        (false, false) if crossings.len() >= 2 => {
            // Passed straight through between two fixes.
            out.push((Transition::Enter, at(crossings[0])));
            out.push((Transition::Exit, at(crossings[crossings.len() - 1])));
        }
        _ => {}
    }
    if let Some(since) = presence.inside_since {
        if !presence.dwell_reported && cur.0 - since >= dwell_ms {
            out.push((Transition::Dwell, (since + dwell_ms, cur.1, cur.2)));
            presence.dwell_reported = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPOT: Shape = Shape::Circle {
        lat: 30.2000,
        lon: -97.7000,
        radius_m: 200.0,
    };
    const MIN: Millis = 60_000;

    fn kinds(v: &[(Transition, Point)]) -> Vec<Transition> {
        v.iter().map(|(k, _)| *k).collect()
    }

    #[test]
    fn circle_and_polygon_containment() {
        assert!(DEPOT.contains(30.2010, -97.7000)); // ~111 m north
        assert!(!DEPOT.contains(30.2030, -97.7000)); // ~333 m north
        let square = Shape::Polygon(vec![
            (30.0, -98.0),
            (30.0, -97.0),
            (31.0, -97.0),
            (31.0, -98.0),
        ]);
        assert!(square.contains(30.5, -97.5));
        assert!(!square.contains(31.5, -97.5));
    }

    #[test]
    fn enter_dwell_exit_in_order() {
        let mut p = Presence::default();
        let out = step(
            &DEPOT,
            &mut p,
            (0, 30.21, -97.70),
            (MIN, 30.2001, -97.70),
            5 * MIN,
        );
        assert_eq!(kinds(&out), [Transition::Enter]);
        assert!(
            out[0].1 .0 > 0 && out[0].1 .0 < MIN,
            "entry time interpolated on the segment"
        );
        assert!(step(
            &DEPOT,
            &mut p,
            (MIN, 30.2001, -97.70),
            (3 * MIN, 30.2, -97.70),
            5 * MIN
        )
        .is_empty());
        let out = step(
            &DEPOT,
            &mut p,
            (3 * MIN, 30.2, -97.70),
            (7 * MIN, 30.2, -97.70),
            5 * MIN,
        );
        assert_eq!(kinds(&out), [Transition::Dwell]);
        let out = step(
            &DEPOT,
            &mut p,
            (7 * MIN, 30.2, -97.70),
            (8 * MIN, 30.19, -97.70),
            5 * MIN,
        );
        assert_eq!(kinds(&out), [Transition::Exit]);
    }

    #[test]
    fn a_sparse_segment_through_the_fence_counts() {
        let mut p = Presence::default();
        // Both fixes ~1.1 km either side of the depot; the straight line passes its centre.
        let out = step(
            &DEPOT,
            &mut p,
            (0, 30.19, -97.70),
            (2 * MIN, 30.21, -97.70),
            5 * MIN,
        );
        assert_eq!(kinds(&out), [Transition::Enter, Transition::Exit]);
        assert!(out[0].1 .0 < out[1].1 .0);
        assert_eq!(p, Presence::default());
        let square = Shape::Polygon(vec![
            (30.0, -98.0),
            (30.0, -97.9),
            (30.1, -97.9),
            (30.1, -98.0),
        ]);
        let out = step(
            &square,
            &mut Presence::default(),
            (0, 30.05, -98.1),
            (MIN, 30.05, -97.8),
            MIN * 10,
        );
        assert_eq!(kinds(&out), [Transition::Enter, Transition::Exit]);
        // A segment that misses it does not.
        assert!(step(
            &DEPOT,
            &mut Presence::default(),
            (0, 30.19, -97.71),
            (MIN, 30.21, -97.71),
            MIN
        )
        .is_empty());
    }
}
