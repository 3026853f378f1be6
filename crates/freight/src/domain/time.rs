//! Time as the API speaks it (RFC 3339, UTC) and as storage keeps it (integer milliseconds).
//!
//! Storing epoch milliseconds keeps one portable column type across SQLite and PostgreSQL
//! and makes range scans on either engine plain integer comparisons.

use chrono::{DateTime, TimeZone, Utc};

/// Milliseconds since the Unix epoch, as stored.
pub type Millis = i64;

/// Now, in storage form.
pub fn now_ms() -> Millis {
    Utc::now().timestamp_millis()
}

/// Storage form to API form. Out-of-range values clamp to the epoch instead of panicking.
pub fn to_datetime(ms: Millis) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Serde adapter: an epoch-millisecond field travels as an RFC 3339 string.
pub mod rfc3339_ms {
    use serde::{Deserialize, Deserializer, Serializer};

    /// How every epoch-millisecond time is written: RFC 3339, UTC, millisecond precision.
    pub fn format(ms: i64) -> String {
        super::to_datetime(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    pub fn serialize<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*ms))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let dt = chrono::DateTime::<chrono::Utc>::deserialize(d)?;
        Ok(dt.timestamp_millis())
    }
}

/// Serde adapter (serialize only) for lists of epoch-millisecond times.
pub mod rfc3339_ms_list {
    use serde::Serializer;

    pub fn serialize<S: Serializer>(times: &[i64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(times.iter().map(|&ms| super::rfc3339_ms::format(ms)))
    }
}

/// Serde adapter for optional epoch-millisecond fields.
pub mod rfc3339_ms_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match ms {
            Some(ms) => super::rfc3339_ms::serialize(ms, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let dt = Option::<chrono::DateTime<chrono::Utc>>::deserialize(d)?;
        Ok(dt.map(|dt| dt.timestamp_millis()))
    }
}
