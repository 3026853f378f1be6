//! A GPS fix on the wire and once admitted, and the stateless checks every fix passes before
//! anything else looks at it (coordinates, accuracy, clock).
//!
//! Fixes that fail are *dropped with a reason*, not refused as bad requests: a phone that
//! buffered an hour offline must not have its whole upload bounced because one fix was poor.
//! Only a malformed payload (wrong types, missing fields) is a 4xx.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::domain::time::Millis;

/// How far ahead of the server clock a fix may claim to be.
pub const MAX_FUTURE_MS: Millis = 5 * 60 * 1000;
/// Fixes older than this are taken as a broken device clock (2000-01-01).
pub const MIN_FIX_TIME_MS: Millis = 946_684_800_000;

/// Where a fix came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Ws,
    Http,
    Osmand,
    Demo,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Ws => "ws",
            Source::Http => "http",
            Source::Osmand => "osmand",
            Source::Demo => "demo",
        }
    }
}

/// Why a fix was not stored. Every drop is counted under its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Reported accuracy worse than the configured limit.
    Accuracy,
    /// Latitude/longitude outside WGS84 ranges, or a non-finite/negative measurement.
    OutOfRange,
    /// Timestamp more than five minutes ahead of the server clock (or before 2000).
    FutureTimestamp,
    /// Implied speed from the previous fix above the plausibility limit.
    Teleport,
    /// Same driver and timestamp as a fix already stored.
    Duplicate,
}

impl DropReason {
    pub const ALL: [DropReason; 5] = [
        DropReason::Accuracy,
        DropReason::OutOfRange,
        DropReason::FutureTimestamp,
        DropReason::Teleport,
        DropReason::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Accuracy => "accuracy",
            DropReason::OutOfRange => "out_of_range",
            DropReason::FutureTimestamp => "future_timestamp",
            DropReason::Teleport => "teleport",
            DropReason::Duplicate => "duplicate",
        }
    }

    /// The input field a drop is about, for clients that want to point at it.
    pub fn field(self) -> &'static str {
        match self {
            DropReason::Accuracy => "accuracy",
            DropReason::OutOfRange => "lat",
            DropReason::FutureTimestamp | DropReason::Duplicate => "timestamp",
            DropReason::Teleport => "lat",
        }
    }
}

/// A timestamp as clients send it: RFC 3339 text, or epoch milliseconds as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema)]
#[schema(value_type = String, format = DateTime)]
pub struct Timestamp(pub Millis);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Float(f64),
            Text(String),
        }
        match Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected an RFC 3339 time or epoch milliseconds")
        })? {
            Raw::Int(ms) => Ok(Timestamp(ms)),
            Raw::Float(ms) if ms.is_finite() => Ok(Timestamp(ms as i64)),
            Raw::Float(_) => Err(serde::de::Error::custom("timestamp must be finite")),
            Raw::Text(s) => chrono::DateTime::parse_from_rfc3339(&s)
                .map(|dt| Timestamp(dt.timestamp_millis()))
                .map_err(|e| serde::de::Error::custom(format!("not an RFC 3339 time: {e}"))),
        }
    }
}

/// One fix as a driver app sends it over WebSocket or HTTP batch.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FixInput {
    /// WGS84 degrees.
    pub lat: f64,
    pub lon: f64,
    /// Metres per second.
    pub speed: Option<f64>,
    /// Degrees clockwise from north, 0..360.
    pub heading: Option<f64>,
    /// Horizontal accuracy radius in metres.
    pub accuracy: Option<f64>,
    /// Metres above sea level.
    pub altitude: Option<f64>,
    /// Battery level in percent, 0..100.
    pub battery: Option<f64>,
    /// When the fix was taken (RFC 3339 or epoch milliseconds). Required; optional in the
    /// type only so that a missing value is reported under its own name.
    #[serde(default)]
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: Option<Timestamp>,
    /// Only for staff or gateway credentials: which driver this fix belongs to.
    pub driver_id: Option<i64>,
    /// Anything else the device reports, kept as-is.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Who a fix belongs to, resolved from the credential or device before admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub org_id: i64,
    pub driver_id: i64,
    pub vehicle_id: Option<i64>,
    pub device_id: Option<i64>,
}

/// An admitted fix, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    pub subject: Subject,
    pub source: Source,
    pub fix_time: Millis,
    pub received_at: Millis,
    pub lat: f64,
    pub lon: f64,
    pub speed: Option<f64>,
    pub heading: Option<f64>,
    pub accuracy: Option<f64>,
    pub altitude: Option<f64>,
    pub battery: Option<f64>,
    /// JSON object text of extra device fields.
    pub attributes: Option<String>,
}

impl Fix {
    /// Builds a fix from a wire input (no checks yet).
    pub fn from_input(
        input: &FixInput,
        subject: Subject,
        source: Source,
        received_at: Millis,
    ) -> Fix {
        Fix {
            subject,
            source,
            fix_time: input.timestamp.map_or(i64::MIN, |t| t.0),
            received_at,
            lat: input.lat,
            lon: input.lon,
            speed: input.speed,
            heading: input.heading,
            accuracy: input.accuracy,
            altitude: input.altitude,
            battery: input.battery,
            attributes: input
                .attributes
                .as_ref()
                .filter(|m| !m.is_empty())
                .map(|m| serde_json::Value::Object(m.clone()).to_string()),
        }
    }
}

/// The stateless checks: ranges, accuracy and clock. `max_accuracy_m` is the configured limit.
pub fn check(fix: &Fix, now: Millis, max_accuracy_m: f64) -> Result<(), DropReason> {
    let finite_non_negative = |v: Option<f64>| v.is_none_or(|v| v.is_finite() && v >= 0.0);
    if !fix.lat.is_finite()
        || !(-90.0..=90.0).contains(&fix.lat)
        || !fix.lon.is_finite()
        || !(-180.0..=180.0).contains(&fix.lon)
    {
        return Err(DropReason::OutOfRange);
    }
    if !finite_non_negative(fix.speed)
        || !fix
            .heading
            .is_none_or(|h| h.is_finite() && (0.0..=360.0).contains(&h))
        || !finite_non_negative(fix.accuracy)
        || !fix.altitude.is_none_or(f64::is_finite)
        || !fix
            .battery
            .is_none_or(|b| b.is_finite() && (0.0..=100.0).contains(&b))
    {
        return Err(DropReason::OutOfRange);
    }
    if fix.accuracy.is_some_and(|a| a > max_accuracy_m) {
        return Err(DropReason::Accuracy);
    }
    if fix.fix_time > now + MAX_FUTURE_MS || fix.fix_time < MIN_FIX_TIME_MS {
        return Err(DropReason::FutureTimestamp);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_800_000_000_000;

    fn fix(lat: f64, lon: f64, at: Millis) -> Fix {
        let subject = Subject {
            org_id: 1,
            driver_id: 1,
            vehicle_id: None,
            device_id: None,
        };
        Fix {
            subject,
            source: Source::Http,
            fix_time: at,
            received_at: NOW,
            lat,
            lon,
            speed: None,
            heading: None,
            accuracy: Some(5.0),
            altitude: None,
            battery: None,
            attributes: None,
        }
    }

    #[test]
    fn each_stateless_rule_has_its_reason() {
        assert_eq!(check(&fix(30.2, -97.7, NOW), NOW, 50.0), Ok(()));
        assert_eq!(
            check(&fix(91.0, -97.7, NOW), NOW, 50.0),
            Err(DropReason::OutOfRange)
        );
        assert_eq!(
            check(&fix(30.2, f64::NAN, NOW), NOW, 50.0),
            Err(DropReason::OutOfRange)
        );
        assert_eq!(
            check(&fix(30.2, -97.7, NOW + MAX_FUTURE_MS + 1), NOW, 50.0),
            Err(DropReason::FutureTimestamp)
        );
        assert_eq!(
            check(&fix(30.2, -97.7, NOW + MAX_FUTURE_MS - 1000), NOW, 50.0),
            Ok(())
        );
        let mut poor = fix(30.2, -97.7, NOW);
        poor.accuracy = Some(51.0);
        assert_eq!(check(&poor, NOW, 50.0), Err(DropReason::Accuracy));
        assert_eq!(check(&poor, NOW, 100.0), Ok(()));
        let mut heading = fix(30.2, -97.7, NOW);
        heading.heading = Some(400.0);
        assert_eq!(check(&heading, NOW, 50.0), Err(DropReason::OutOfRange));
    }

    #[test]
    fn timestamps_accept_rfc3339_and_epoch_millis() {
        let a: Timestamp = serde_json::from_str("\"2026-11-26T17:00:00Z\"").unwrap();
        let b: Timestamp = serde_json::from_str("1795712400000").unwrap();
        assert_eq!(a, b);
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }
}
