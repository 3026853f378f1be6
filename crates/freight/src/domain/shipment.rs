//! The writable content of a shipment and the rules it must satisfy, whoever writes it.
//!
//! Both creation and partial updates end in [`ShipmentFields::check`], so an update can never
//! produce a shipment that creation would have refused.

use super::time::Millis;
use super::{FieldErrors, LatLon, Priority};
use crate::domain::validation::FieldError;

/// Heaviest load we accept, in kg (a fully loaded 53' trailer carries about 20 t; this leaves
/// room for heavy-haul permits while still catching unit mistakes).
pub const MAX_WEIGHT_KG: f64 = 45_000.0;
/// Largest load volume, in m³ (a 53' trailer holds about 110 m³).
pub const MAX_VOLUME_M3: f64 = 150.0;
/// Most pallets on one load.
pub const MAX_PALLETS: i64 = 60;
/// Largest declared value: $100M in cents.
pub const MAX_DECLARED_VALUE_CENTS: i64 = 10_000_000_000;
/// Longest service time at a stop, in minutes.
pub const MAX_SERVICE_MINUTES: i64 = 24 * 60;

/// A pickup or delivery stop.
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub window_start: Millis,
    pub window_end: Millis,
    pub service_minutes: i64,
}

/// Everything about a shipment that a client may write.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentFields {
    pub customer_id: i64,
    pub reference: String,
    pub priority: Priority,
    pub weight_kg: f64,
    pub volume_m3: f64,
    pub pallets: i64,
    pub declared_value_cents: i64,
    pub currency: String,
    pub notes: String,
    pub pickup: Stop,
    pub delivery: Stop,
}

impl ShipmentFields {
    /// Checks every rule and reports every violation with its JSON field path.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = FieldErrors::new();
        let reference_ok = !self.reference.is_empty()
            && self.reference.len() <= 64
            && self
                .reference
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        errors.check(
            reference_ok,
            "reference",
            "1–64 characters of letters, digits, '-' or '_'",
        );
        errors.quantity("weight_kg", self.weight_kg, MAX_WEIGHT_KG, "kg");
        errors.quantity("volume_m3", self.volume_m3, MAX_VOLUME_M3, "m3");
        errors.check(
            (0..=MAX_PALLETS).contains(&self.pallets),
            "pallets",
            format!("must be between 0 and {MAX_PALLETS}"),
        );
        errors.check(
            (0..=MAX_DECLARED_VALUE_CENTS).contains(&self.declared_value_cents),
            "declared_value.amount_cents",
            format!("must be between 0 and {MAX_DECLARED_VALUE_CENTS} cents"),
        );
        errors.check(
            self.currency.len() == 3 && self.currency.chars().all(|c| c.is_ascii_uppercase()),
            "declared_value.currency",
            "must be an ISO 4217 code such as USD",
        );
        errors.check(
            self.notes.chars().count() <= 2000,
            "notes",
            "must be at most 2000 characters",
        );
        check_stop(&mut errors, "pickup", &self.pickup);
        check_stop(&mut errors, "delivery", &self.delivery);
        errors.check(
            self.delivery.window_end >= self.pickup.window_start,
            "delivery.window.end",
            "the delivery window ends before the pickup window starts",
        );
        errors.into_result()
    }
}

fn check_stop(errors: &mut FieldErrors, name: &str, stop: &Stop) {
    errors.text(&format!("{name}.address"), &stop.address, 1, 300);
    if let Err((which, message)) = LatLon::parse(stop.lat, stop.lon) {
        errors.add(format!("{name}.{which}"), message);
    }
    errors.check(
        stop.window_end > stop.window_start,
        format!("{name}.window.end"),
        "the time window must end after it starts",
    );
    errors.check(
        (0..=MAX_SERVICE_MINUTES).contains(&stop.service_minutes),
        format!("{name}.service_minutes"),
        format!("must be between 0 and {MAX_SERVICE_MINUTES}"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn valid() -> ShipmentFields {
        let stop = |start: i64| Stop {
            address: "1100 Congress Ave, Austin, TX".into(),
            lat: 30.2747,
            lon: -97.7404,
            window_start: start,
            window_end: start + 2 * HOUR,
            service_minutes: 15,
        };
        ShipmentFields {
            customer_id: 1,
            reference: "IF-1".into(),
            priority: Priority::Normal,
            weight_kg: 500.0,
            volume_m3: 3.0,
            pallets: 2,
            declared_value_cents: 150_000,
            currency: "USD".into(),
            notes: String::new(),
            pickup: stop(0),
            delivery: stop(4 * HOUR),
        }
    }

    fn fields(result: Result<(), Vec<FieldError>>) -> Vec<String> {
        result.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_realistic_load_is_accepted() {
        assert!(valid().check().is_ok());
    }

    #[test]
    fn absurd_quantities_are_named() {
        let mut s = valid();
        s.weight_kg = -3.0;
        s.volume_m3 = 9_999.0;
        s.pallets = 1000;
        assert_eq!(fields(s.check()), ["weight_kg", "volume_m3", "pallets"]);
    }

    #[test]
    fn windows_must_be_ordered() {
        let mut s = valid();
        s.pickup.window_end = s.pickup.window_start - 1;
        assert_eq!(fields(s.check()), ["pickup.window.end"]);

        let mut s = valid();
        s.delivery.window_start = -10 * HOUR;
        s.delivery.window_end = -9 * HOUR;
        assert_eq!(fields(s.check()), ["delivery.window.end"]);
    }

    #[test]
    fn coordinates_out_of_range_are_named() {
        let mut s = valid();
        s.delivery.lat = 123.0;
        s.pickup.lon = 200.0;
        assert_eq!(fields(s.check()), ["pickup.lon", "delivery.lat"]);
    }
}
