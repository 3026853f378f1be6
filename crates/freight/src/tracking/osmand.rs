//! The OsmAnd protocol, so existing tracker apps and devices work unchanged (Traccar's
//! port-5055 protocol): query/form fields `id, lat, lon, timestamp, speed (knots), bearing,
//! altitude, accuracy, batt`, and the JSON body used by current tracker apps
//! (`{"device_id", "location": {"timestamp", "coords": {…}, "battery": {"level"}, …}}`,
//! where `location` may also be an array). Unknown fields are kept as attributes.
//!
//! Parsing is pure: it yields the device identifier and wire fixes; the HTTP adapter resolves
//! the device and feeds the common pipeline.

use serde_json::{Map, Value};

use super::fix::{FixInput, Timestamp};
use crate::domain::time::Millis;
use crate::domain::FieldError;

/// Knots to metres per second.
pub const KNOT_MPS: f64 = 0.514_444;

/// A parsed OsmAnd request.
#[derive(Debug, Clone)]
pub struct OsmandReport {
    pub device: String,
    pub fixes: Vec<FixInput>,
}

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Parses a timestamp: unix seconds (possibly fractional), milliseconds, RFC 3339 or
/// `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn parse_time(text: &str) -> Option<Millis> {
    let text = text.trim();
    if let Ok(n) = text.parse::<f64>() {
        if !n.is_finite() {
            return None;
        }
        return Some(if n > 1e12 {
            n as Millis
        } else {
            (n * 1000.0).round() as Millis
        });
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(dt.timestamp_millis());
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|dt| dt.and_utc().timestamp_millis())
}

fn number(field: &str, text: &str) -> Result<f64, FieldError> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| err(field, format!("`{text}` is not a number")))
}

/// Parses query or form fields. `now` is used when the device sends no timestamp.
pub fn parse_fields(pairs: &[(String, String)], now: Millis) -> Result<OsmandReport, FieldError> {
    let mut device = None;
    let (mut lat, mut lon, mut time) = (None, None, None);
    let mut input = FixInput {
        lat: 0.0,
        lon: 0.0,
        speed: None,
        heading: None,
        accuracy: None,
        altitude: None,
        battery: None,
        timestamp: Some(Timestamp(now)),
        driver_id: None,
        attributes: None,
    };
    let mut attributes = Map::new();
    for (key, value) in pairs {
        match key.as_str() {
            "id" | "deviceid" => device = Some(value.trim().to_string()),
            "lat" => lat = Some(number("lat", value)?),
            "lon" => lon = Some(number("lon", value)?),
            "location" => {
                let (a, b) = value
                    .split_once(',')
                    .ok_or_else(|| err("location", "expected `lat,lon`"))?;
                lat = Some(number("location", a)?);
                lon = Some(number("location", b)?);
            }
            "timestamp" => {
                time = Some(
                    parse_time(value)
                        .ok_or_else(|| err("timestamp", "expected unix seconds or an ISO time"))?,
                )
            }
            "speed" => input.speed = Some(number("speed", value)? * KNOT_MPS),
            "bearing" | "heading" => input.heading = Some(number(key, value)?),
            "altitude" => input.altitude = Some(number("altitude", value)?),
            "accuracy" => input.accuracy = Some(number("accuracy", value)?),
            "batt" => input.battery = Some(number("batt", value)?),
            _ => {
                attributes.insert(key.clone(), Value::String(value.clone()));
            }
        }
    }
    let device = device
        .filter(|d| !d.is_empty())
        .ok_or_else(|| err("id", "required: the device identifier"))?;
    input.lat = lat.ok_or_else(|| err("lat", "required"))?;
    input.lon = lon.ok_or_else(|| err("lon", "required"))?;
    input.timestamp = Some(Timestamp(time.unwrap_or(now)));
    input.attributes = (!attributes.is_empty()).then_some(attributes);
    Ok(OsmandReport {
        device,
        fixes: vec![input],
    })
}

fn take_f64(
    map: &mut Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<f64>, FieldError> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => number(field, &s).map(Some),
        Some(_) => Err(err(field, "must be a number")),
    }
}

/// Parses the JSON body variant.
pub fn parse_json(body: Value, now: Millis) -> Result<OsmandReport, FieldError> {
    let Value::Object(mut top) = body else {
        return Err(err("body", "expected a JSON object"));
    };
    let device = match top.remove("device_id").or_else(|| top.remove("id")) {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(err("device_id", "required: the device identifier")),
    };
    let locations = match top.remove("location") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        Some(obj @ Value::Object(_)) => vec![obj],
        _ => {
            return Err(err(
                "location",
                "required: an object (or array) with coords",
            ))
        }
    };
    let top_battery = top.remove("battery");
    let many = locations.len() > 1;
    let mut fixes = Vec::with_capacity(locations.len());
    for (i, location) in locations.into_iter().enumerate() {
        let prefix = if many {
            format!("location[{i}]")
        } else {
            "location".to_string()
        };
        let Value::Object(mut loc) = location else {
            return Err(err(&prefix, "expected an object"));
        };
        let Some(Value::Object(mut coords)) = loc.remove("coords") else {
            return Err(err(
                &format!("{prefix}.coords"),
                "required: latitude and longitude",
            ));
        };
        let f = |name: &str| format!("{prefix}.coords.{name}");
        let lat = take_f64(&mut coords, "latitude", &f("latitude"))?
            .ok_or_else(|| err(&f("latitude"), "required"))?;
        let lon = take_f64(&mut coords, "longitude", &f("longitude"))?
            .ok_or_else(|| err(&f("longitude"), "required"))?;
        let speed = take_f64(&mut coords, "speed", &f("speed"))?.filter(|s| *s >= 0.0);
        let heading = take_f64(&mut coords, "heading", &f("heading"))?.filter(|h| *h >= 0.0);
        let accuracy = take_f64(&mut coords, "accuracy", &f("accuracy"))?;
        let altitude = take_f64(&mut coords, "altitude", &f("altitude"))?;
        let timestamp = match loc.remove("timestamp") {
            None | Some(Value::Null) => now,
            Some(Value::Number(n)) => parse_time(&n.to_string()).unwrap_or(now),
            Some(Value::String(s)) => parse_time(&s).ok_or_else(|| {
                err(
                    &format!("{prefix}.timestamp"),
                    "expected an ISO time or unix seconds",
                )
            })?,
            Some(_) => return Err(err(&format!("{prefix}.timestamp"), "expected an ISO time")),
        };
        let battery = match loc.remove("battery").or_else(|| top_battery.clone()) {
            Some(Value::Object(mut b)) => {
                let level = take_f64(&mut b, "level", &format!("{prefix}.battery.level"))?;
                if !b.is_empty() {
                    loc.insert("battery".into(), Value::Object(b));
                }
                // Tracker apps report 0..1; a negative level means "unknown".
                level
                    .filter(|l| *l >= 0.0)
                    .map(|l| if l <= 1.0 { l * 100.0 } else { l })
            }
            _ => None,
        };
        for (k, v) in coords {
            loc.insert(format!("coords.{k}"), v);
        }
        for (k, v) in top.iter() {
            loc.entry(k.clone()).or_insert_with(|| v.clone());
        }
        fixes.push(FixInput {
            lat,
            lon,
            speed,
            heading,
            accuracy,
            altitude,
            battery,
            timestamp: Some(Timestamp(timestamp)),
            driver_id: None,
            attributes: (!loc.is_empty()).then_some(loc),
        });
    }
    Ok(OsmandReport { device, fixes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(q.as_bytes()).into_owned().collect()
    }

    #[test]
    fn classic_query_fields_convert_knots_and_keep_extras() {
        let r = parse_fields(
            &pairs("id=864713037301317&lat=30.267153&lon=-97.743057&timestamp=1795712400&hdop=0.9&altitude=149.5&speed=10.0&bearing=271.3&batt=87&charge=true"),
            0,
        )
        .unwrap();
        assert_eq!(r.device, "864713037301317");
        let f = &r.fixes[0];
        assert_eq!(f.timestamp, Some(Timestamp(1_795_712_400_000)));
        assert!((f.speed.unwrap() - 5.14444).abs() < 1e-9);
        assert_eq!((f.heading, f.battery), (Some(271.3), Some(87.0)));
        let attrs = f.attributes.as_ref().unwrap();
        assert_eq!(attrs["hdop"], "0.9");
        assert_eq!(attrs["charge"], "true");
    }

    #[test]
    fn location_pair_and_iso_time_are_understood() {
        let r = parse_fields(
            &pairs("deviceid=abc&location=30.1,-97.2&timestamp=2026-11-26%2017:00:00"),
            0,
        )
        .unwrap();
        assert_eq!((r.fixes[0].lat, r.fixes[0].lon), (30.1, -97.2));
        assert_eq!(r.fixes[0].timestamp, Some(Timestamp(1_795_712_400_000)));
    }

    #[test]
    fn missing_or_bad_fields_are_named() {
        assert_eq!(
            parse_fields(&pairs("lat=1&lon=2"), 0).unwrap_err().field,
            "id"
        );
        assert_eq!(
            parse_fields(&pairs("id=a&lat=north&lon=2"), 0)
                .unwrap_err()
                .field,
            "lat"
        );
        assert_eq!(
            parse_fields(&pairs("id=a&lat=1"), 0).unwrap_err().field,
            "lon"
        );
    }

    #[test]
    fn json_variant_reads_coords_battery_fraction_and_keeps_the_rest() {
        let body = serde_json::json!({
            "device_id": "pixel-7-dana",
            "location": {
                "timestamp": "2026-11-26T17:00:00.000Z",
                "coords": {"latitude": 30.2672, "longitude": -97.7431, "accuracy": 8.2, "speed": 12.5,
                           "heading": 90.0, "altitude": 150.1, "ellipsoidal_altitude": 120.0},
                "is_moving": true, "odometer": 10234.5, "event": "motionchange",
                "battery": {"level": 0.64, "is_charging": false},
                "activity": {"type": "in_vehicle", "confidence": 100}
            }
        });
        let r = parse_json(body, 0).unwrap();
        let f = &r.fixes[0];
        assert_eq!(r.device, "pixel-7-dana");
        assert_eq!((f.speed, f.accuracy), (Some(12.5), Some(8.2)));
        assert!((f.battery.unwrap() - 64.0).abs() < 1e-9);
        let attrs = f.attributes.as_ref().unwrap();
        assert_eq!(attrs["is_moving"], true);
        assert_eq!(attrs["activity"]["type"], "in_vehicle");
        assert_eq!(attrs["coords.ellipsoidal_altitude"], 120.0);
        assert_eq!(attrs["battery"]["is_charging"], false);
    }

    #[test]
    fn json_errors_name_the_field() {
        let body = serde_json::json!({"device_id": "x", "location": {"coords": {"latitude": 1.0}}});
        assert_eq!(
            parse_json(body, 0).unwrap_err().field,
            "location.coords.longitude"
        );
        assert_eq!(
            parse_json(serde_json::json!({"location": {}}), 0)
                .unwrap_err()
                .field,
            "device_id"
        );
    }
}
