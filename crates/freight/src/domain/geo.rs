//! WGS84 coordinates and great-circle distance.

use serde::{Deserialize, Serialize};

/// Mean Earth radius in metres (IUGG).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A validated point: latitude in [-90, 90], longitude in [-180, 180], both finite.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    /// Checks the ranges; the error says which coordinate is wrong.
    pub fn parse(lat: f64, lon: f64) -> Result<Self, (&'static str, String)> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(("lat", format!("latitude {lat} is outside -90..90")));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(("lon", format!("longitude {lon} is outside -180..180")));
        }
        Ok(Self { lat, lon })
    }

    /// Great-circle distance in metres (haversine).
    pub fn distance_m(self, other: LatLon) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().asin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_coordinates() {
        assert_eq!(LatLon::parse(91.0, 0.0).unwrap_err().0, "lat");
        assert_eq!(LatLon::parse(0.0, -180.5).unwrap_err().0, "lon");
        assert_eq!(LatLon::parse(f64::NAN, 0.0).unwrap_err().0, "lat");
        assert!(LatLon::parse(30.27, -97.74).is_ok());
    }

    #[test]
    fn capitol_to_airport_is_about_eleven_km() {
        let capitol = LatLon::parse(30.2747, -97.7404).unwrap();
        let airport = LatLon::parse(30.1975, -97.6664).unwrap();
        let d = capitol.distance_m(airport);
        assert!((11_000.0..12_000.0).contains(&d), "{d}");
    }
}
