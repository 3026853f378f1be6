//! Inline stops: ad-hoc visits planned without a shipment (a drop from the driver's base, or
//! a collection brought back to it), given in the optimize request itself. They are checked
//! like shipment stops, become one-stop jobs for the optimizer, and come back in the plan
//! with their caller-given `stop_id` instead of a shipment id.

use chrono::{DateTime, Utc};
use freight_optimizer::{Job, JobKind, Location, TimeWindow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::shipment::{MAX_PALLETS, MAX_SERVICE_MINUTES, MAX_VOLUME_M3, MAX_WEIGHT_KG};
use crate::domain::{FieldErrors, LatLon, Priority};

/// Prefix of inline-stop job ids in the optimizer problem (shipment jobs are bare ids).
pub const JOB_PREFIX: &str = "stop:";

/// What happens at an inline stop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InlineKind {
    /// Goods loaded at the driver's base are dropped here.
    #[default]
    Delivery,
    /// Goods collected here travel back to the driver's base.
    Pickup,
}

/// A time window in RFC 3339 UTC.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InlineWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// An ad-hoc stop to plan without a shipment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InlineStop {
    /// The caller's reference, unique in the request: 1–64 letters, digits, '-' or '_'.
    pub id: String,
    /// `delivery` (default) or `pickup`.
    #[serde(default)]
    pub kind: InlineKind,
    /// Shown to the driver (optional, at most 300 characters).
    #[serde(default)]
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    /// When the visit may start; none = any time in the shift.
    pub window: Option<InlineWindow>,
    /// Minutes spent at the stop, 0–1440 (default 0).
    #[serde(default)]
    pub service_minutes: i64,
    #[serde(default)]
    pub weight_kg: f64,
    #[serde(default)]
    pub volume_m3: f64,
    #[serde(default)]
    pub pallets: i64,
    /// Dropped last when the crews cannot do everything (default `normal`).
    pub priority: Option<Priority>,
}

/// Checks every inline stop; field paths are `stops[i].<field>`.
pub fn check(stops: &[InlineStop], errors: &mut FieldErrors) {
    let mut seen = std::collections::HashSet::new();
    for (i, stop) in stops.iter().enumerate() {
        let field = |name: &str| format!("stops[{i}].{name}");
        let id_ok = (1..=64).contains(&stop.id.len())
            && stop
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        errors.check(
            id_ok,
            field("id"),
            "1–64 characters of letters, digits, '-' or '_'",
        );
        errors.check(
            !id_ok || seen.insert(stop.id.as_str()),
            field("id"),
            format!("stop id '{}' appears twice", stop.id),
        );
        errors.check(
            stop.address.chars().count() <= 300,
            field("address"),
            "must be at most 300 characters",
        );
        if let Err((which, message)) = LatLon::parse(stop.lat, stop.lon) {
            errors.add(field(which), message);
        }
        if let Some(window) = &stop.window {
            errors.check(
                window.end > window.start,
                field("window.end"),
                "the time window must end after it starts",
            );
        }
        errors.check(
            (0..=MAX_SERVICE_MINUTES).contains(&stop.service_minutes),
            field("service_minutes"),
            format!("must be between 0 and {MAX_SERVICE_MINUTES}"),
        );
        errors.quantity(&field("weight_kg"), stop.weight_kg, MAX_WEIGHT_KG, "kg");
        errors.quantity(&field("volume_m3"), stop.volume_m3, MAX_VOLUME_M3, "m3");
        errors.check(
            (0..=MAX_PALLETS).contains(&stop.pallets),
            field("pallets"),
            format!("must be between 0 and {MAX_PALLETS}"),
        );
    }
}

/// The optimizer job for an inline stop; times are seconds after `epoch_ms`.
pub fn job(stop: &InlineStop, epoch_ms: i64) -> Job {
    let secs = |t: DateTime<Utc>| ((t.timestamp_millis() - epoch_ms) as f64 / 1000.0).max(0.0);
    let visit = freight_optimizer::Stop {
        location: Location::LatLon {
            lat: stop.lat,
            lon: stop.lon,
        },
        time_windows: stop
            .window
            .iter()
            .map(|w| TimeWindow::new(secs(w.start), secs(w.end)))
            .collect(),
        service: stop.service_minutes as f64 * 60.0,
    };
    Job {
        id: format!("{JOB_PREFIX}{}", stop.id),
        kind: match stop.kind {
            InlineKind::Delivery => JobKind::Delivery { stop: visit },
            InlineKind::Pickup => JobKind::Pickup { stop: visit },
        },
        demand: super::problem::amount(stop.weight_kg, stop.volume_m3, stop.pallets),
        skills: vec![],
        priority: super::problem::priority_rank(stop.priority.unwrap_or(Priority::Normal)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(id: &str) -> InlineStop {
        serde_json::from_value(serde_json::json!({"id": id, "lat": 30.27, "lon": -97.74}))
            .expect("minimal stop parses")
    }

    #[test]
    fn every_broken_rule_is_reported_with_its_path() {
        let mut bad = stop("drop 1");
        bad.lat = 95.0;
        bad.service_minutes = -5;
        bad.weight_kg = -1.0;
        let mut errors = FieldErrors::new();
        check(&[stop("a"), stop("a"), bad], &mut errors);
        let fields: Vec<String> = errors
            .into_result()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "stops[1].id",
                "stops[2].id",
                "stops[2].lat",
                "stops[2].service_minutes",
                "stops[2].weight_kg"
            ]
        );
    }

    #[test]
    fn a_stop_becomes_a_one_visit_job_with_a_prefixed_id() {
        let mut pickup = stop("p-1");
        pickup.kind = InlineKind::Pickup;
        pickup.service_minutes = 15;
        let job = job(&pickup, 0);
        assert_eq!(job.id, "stop:p-1");
        match job.kind {
            JobKind::Pickup { stop } => {
                assert_eq!(stop.service, 900.0);
                assert!(stop.time_windows.is_empty());
            }
            other => panic!("expected a pickup, got {other:?}"),
        }
    }
}
