//! Collecting every field error of a request, so a client learns all its mistakes at once.

use serde::Serialize;
use utoipa::ToSchema;

/// One rejected field: a JSON path such as `pickup.lat` and a sentence saying what is wrong.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An accumulator of field errors; empty means valid.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` is invalid.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Records an error unless `ok` holds.
    pub fn check(&mut self, ok: bool, field: impl Into<String>, message: impl Into<String>) {
        if !ok {
            self.add(field, message);
        }
    }

    /// Checks that a measured quantity is finite, not negative and at most `max`.
    pub fn quantity(&mut self, field: &str, value: f64, max: f64, unit: &str) {
        if !value.is_finite() || value < 0.0 {
            self.add(field, format!("must be a non-negative number of {unit}"));
        } else if value > max {
            self.add(
                field,
                format!("{value} {unit} exceeds the maximum of {max} {unit}"),
            );
        }
    }

    /// Checks a text field's length in characters.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.trim().chars().count();
        if n < min {
            self.add(
                field,
                if min == 1 {
                    "must not be empty".to_string()
                } else {
                    format!("must be at least {min} characters")
                },
            );
        } else if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was recorded, else every error.
    pub fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_error_not_just_the_first() {
        let mut errors = FieldErrors::new();
        errors.quantity("weight_kg", -1.0, 40_000.0, "kg");
        errors.quantity("volume_m3", 1e9, 120.0, "m³");
        errors.text("notes", "", 1, 10);
        let all = errors.into_result().unwrap_err();
        let fields: Vec<_> = all.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["weight_kg", "volume_m3", "notes"]);
    }
}
