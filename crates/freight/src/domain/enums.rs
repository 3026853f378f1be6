//! Closed vocabularies (roles, tiers, statuses, …) stored as text and spoken as snake_case JSON.
//!
//! One macro defines them all so the database text, the JSON text and the OpenAPI enum
//! can never drift apart.

/// Defines a fieldless enum that serializes as snake_case text, parses from the same text,
/// and documents itself in the OpenAPI schema.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable text used in JSON and in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown value `{other}`, expected one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, Self::Error> { s.parse() }
        }
    };
}

text_enum!(
    /// What a user may do is decided by their role (see `auth::policy`).
    Role {
        Admin => "admin",
        Dispatcher => "dispatcher",
        Driver => "driver",
        Customer => "customer",
        Analyst => "analyst",
    }
);

text_enum!(
    /// Commercial tier of a shipper; pricing and rate limits scale with it.
    CustomerTier { Standard => "standard", Premium => "premium", Enterprise => "enterprise" }
);

text_enum!(
    /// Where a driver is in their day.
    DriverStatus { OffDuty => "off_duty", Available => "available", OnRoute => "on_route", OnBreak => "on_break" }
);

text_enum!(
    /// The body of a vehicle, which decides what loads it can take.
    VehicleType {
        CargoVan => "cargo_van",
        BoxTruck => "box_truck",
        Reefer => "reefer",
        Flatbed => "flatbed",
        Tractor => "tractor",
        Pickup => "pickup",
    }
);

text_enum!(
    /// Whether a vehicle can be dispatched.
    VehicleStatus { Active => "active", Maintenance => "maintenance", Retired => "retired" }
);

text_enum!(
    /// Dispatch priority of a shipment.
    Priority { Low => "low", Normal => "normal", High => "high", Urgent => "urgent" }
);

text_enum!(
    /// Kinds of driver safety incidents, as telematics and dispatchers report them.
    IncidentKind {
        HarshBraking => "harsh_braking",
        HarshAcceleration => "harsh_acceleration",
        Speeding => "speeding",
        DistractedDriving => "distracted_driving",
        Collision => "collision",
        NearMiss => "near_miss",
        HoursOfService => "hours_of_service",
    }
);

text_enum!(
    /// How serious a safety incident is.
    Severity { Low => "low", Medium => "medium", High => "high", Critical => "critical" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_through_parse_and_json() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
            let json = serde_json::to_string(role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
    }

    #[test]
    fn unknown_text_names_the_allowed_values() {
        let err = "boss".parse::<Role>().unwrap_err();
        assert!(err.contains("boss") && err.contains("dispatcher"), "{err}");
    }
}
