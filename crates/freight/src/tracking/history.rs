//! Track history analysis, pure: Douglas–Peucker simplification for long ranges, and the
//! split of a track into stops (stationary longer than a threshold) and the trips between them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::geo::EARTH_RADIUS_M;
use crate::domain::time::Millis;
use crate::domain::LatLon;

/// A track point: (time, lat, lon).
pub type TrackPoint = (Millis, f64, f64);

/// Indices of the points kept by Douglas–Peucker with `tolerance_m` (first and last always).
pub fn simplify(points: &[TrackPoint], tolerance_m: f64) -> Vec<usize> {
    if points.len() <= 2 || tolerance_m <= 0.0 {
        return (0..points.len()).collect();
    }
    let origin = (points[0].1, points[0].2);
    let k = origin.0.to_radians().cos();
    let xy: Vec<(f64, f64)> = points
        .iter()
        .map(|p| {
            (
                (p.2 - origin.1).to_radians() * EARTH_RADIUS_M * k,
                (p.1 - origin.0).to_radians() * EARTH_RADIUS_M,
            )
        })
        .collect();
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0, points.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let (ax, ay) = xy[a];
        let (bx, by) = xy[b];
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let mut worst = (0.0, a);
        for (i, &(px, py)) in xy.iter().enumerate().take(b).skip(a + 1) {
            let d = if len2 == 0.0 {
                (px - ax).hypot(py - ay)
            } else {
                let t = (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0);
                (px - ax - t * dx).hypot(py - ay - t * dy)
            };
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > tolerance_m {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    keep.iter()
        .enumerate()
        .filter(|(_, k)| **k)
        .map(|(i, _)| i)
        .collect()
}

/// A period without movement.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Stop {
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub start: Millis,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub end: Millis,
    pub duration_s: i64,
    pub lat: f64,
    pub lon: f64,
}

/// Movement between two stops (or the track's ends).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Trip {
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub start: Millis,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub end: Millis,
    pub duration_s: i64,
    pub distance_m: f64,
    pub fixes: usize,
}

/// Splits a time-ordered track: a stop is a run of fixes staying within `radius_m` of its
/// first fix for at least `min_stop_ms`; trips are what lies between stops.
pub fn stops_and_trips(
    points: &[TrackPoint],
    radius_m: f64,
    min_stop_ms: Millis,
) -> (Vec<Stop>, Vec<Trip>) {
    let mut stops = Vec::new();
    let mut stop_ranges = Vec::new();
    let mut i = 0;
    while i < points.len() {
        let anchor = LatLon {
            lat: points[i].1,
            lon: points[i].2,
        };
        let mut j = i;
        while j + 1 < points.len()
            && anchor.distance_m(LatLon {
                lat: points[j + 1].1,
                lon: points[j + 1].2,
            }) <= radius_m
        {
            j += 1;
        }
        if points[j].0 - points[i].0 >= min_stop_ms {
            let n = (j - i + 1) as f64;
            let (lat, lon) = points[i..=j]
                .iter()
                .fold((0.0, 0.0), |acc, p| (acc.0 + p.1 / n, acc.1 + p.2 / n));
            stops.push(Stop {
                start: points[i].0,
                end: points[j].0,
                duration_s: (points[j].0 - points[i].0) / 1000,
                lat,
                lon,
            });
            stop_ranges.push((i, j));
            i = j + 1;
        } else {
            i += 1;
        }
    }
    let mut trips = Vec::new();
    let mut begin = 0;
    let bounds = stop_ranges
        .iter()
        .map(|&(s, e)| (Some(s), e))
        .chain(std::iter::once((None, points.len())));
    for (stop_start, stop_end) in bounds {
        let end = stop_start.unwrap_or(points.len().saturating_sub(1));
        if end > begin {
            let distance_m = points[begin..=end]
                .windows(2)
                .map(|w| {
                    LatLon {
                        lat: w[0].1,
                        lon: w[0].2,
                    }
                    .distance_m(LatLon {
                        lat: w[1].1,
                        lon: w[1].2,
                    })
                })
                .sum();
            trips.push(Trip {
                start: points[begin].0,
                end: points[end].0,
                duration_s: (points[end].0 - points[begin].0) / 1000,
                distance_m,
                fixes: end - begin + 1,
            });
        }
        begin = stop_end;
    }
    (stops, trips)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Millis = 60_000;

    #[test]
    fn a_straight_line_simplifies_to_its_ends_but_a_corner_is_kept() {
        let line: Vec<TrackPoint> = (0..100i64)
            .map(|i| (i * 1000, 30.0 + i as f64 * 1e-4, -97.0))
            .collect();
        assert_eq!(simplify(&line, 5.0), vec![0, 99]);
        let mut corner = line.clone();
        corner.extend((1..50).map(|i| (100_000 + i * 1000, 30.0099, -97.0 + i as f64 * 1e-4)));
        let kept = simplify(&corner, 5.0);
        assert_eq!(kept, vec![0, 99, corner.len() - 1]);
        assert_eq!(simplify(&corner, 0.0).len(), corner.len());
    }

    #[test]
    fn a_long_stationary_period_is_a_stop_between_two_trips() {
        let mut track: Vec<TrackPoint> = (0..10)
            .map(|i| (i * MIN, 30.0 + i as f64 * 0.001, -97.0))
            .collect();
        track.extend((10..20).map(|i| (i * MIN, 30.009, -97.0)));
        track.extend((20..30).map(|i| (i * MIN, 30.009 + (i - 19) as f64 * 0.001, -97.0)));
        let (stops, trips) = stops_and_trips(&track, 50.0, 5 * MIN);
        assert_eq!(stops.len(), 1);
        assert_eq!((stops[0].start, stops[0].end), (9 * MIN, 19 * MIN));
        assert_eq!(trips.len(), 2);
        assert_eq!((trips[0].start, trips[0].end), (0, 9 * MIN));
        assert_eq!((trips[1].start, trips[1].end), (19 * MIN, 29 * MIN));
        assert!(
            (trips[0].distance_m - 1000.0).abs() < 20.0,
            "{}",
            trips[0].distance_m
        );
        // Shorter pauses are not stops.
        let (stops, trips) = stops_and_trips(&track, 50.0, 15 * MIN);
        assert!(stops.is_empty());
        assert_eq!(trips.len(), 1);
    }
}
