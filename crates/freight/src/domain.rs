//! The freight domain: value types and rules with no knowledge of HTTP or SQL.
//!
//! Everything here can be unit-tested without a database. Handlers parse requests into
//! these types and the storage layer persists them; neither re-implements a rule.

pub mod enums;
pub mod geo;
pub mod lifecycle;
pub mod shipment;
pub mod time;
pub mod validation;

pub use enums::*;
pub use geo::LatLon;
pub use lifecycle::ShipmentStatus;
pub use validation::{FieldError, FieldErrors};
