//! The role × capability table: the one place that says which role may do what.
//!
//! Handlers name the capability they need in their signature (`Auth<ShipmentsCreate>`), and
//! the extractor consults [`allows`] before the handler body runs. Row-level limits
//! (a customer's own shipments) are applied by [`super::Scope`] in storage, not here.

use crate::domain::{Role, ShipmentStatus};

/// Everything a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ShipmentsRead,
    ShipmentsCreate,
    ShipmentsUpdate,
    ShipmentsTransition,
    ShipmentsAssign,
    CustomersRead,
    CustomersWrite,
    DriversRead,
    DriversWrite,
    VehiclesRead,
    VehiclesWrite,
    RatingsRead,
    RatingsCreate,
    IncidentsRead,
    IncidentsWrite,
    UsersManage,
    ApiKeysManage,
    /// Send GPS fixes (drivers for themselves, device keys, staff gateways).
    TrackingIngest,
    /// Live positions, tracks and geofence events (scoped to own assignments for drivers/customers).
    TrackingRead,
    GeofencesWrite,
    /// Register tracker devices and read ingest counters.
    DevicesManage,
    /// Read and change the organization's rate limits (admin only).
    RateLimitsManage,
    /// The performance analyzer and baseline (admin only).
    PerformanceRead,
}

/// Whether `role` may perform `action` at all.
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Admin => true,
        Role::Dispatcher => !matches!(
            action,
            UsersManage | ApiKeysManage | RatingsCreate | RateLimitsManage | PerformanceRead
        ),
        Role::Analyst => matches!(
            action,
            ShipmentsRead
                | CustomersRead
                | DriversRead
                | VehiclesRead
                | RatingsRead
                | IncidentsRead
                | TrackingRead
        ),
        Role::Customer => matches!(
            action,
            ShipmentsRead
                | ShipmentsCreate
                | ShipmentsTransition
                | CustomersRead
                | RatingsRead
                | RatingsCreate
                | TrackingRead
        ),
        Role::Driver => matches!(
            action,
            ShipmentsRead
                | ShipmentsTransition
                | DriversRead
                | VehiclesRead
                | IncidentsRead
                | RatingsRead
                | TrackingIngest
                | TrackingRead
        ),
    }
}

/// Which status changes a role may request by hand. Staff may make any legal change;
/// shippers may only book their drafts or cancel before pickup; drivers move their own
/// loads forward or flag an exception.
pub fn may_transition(role: Role, from: ShipmentStatus, to: ShipmentStatus) -> bool {
    use ShipmentStatus::*;
    match role {
        Role::Admin | Role::Dispatcher => true,
        Role::Customer => matches!((from, to), (Draft, Booked) | (Draft | Booked, Cancelled)),
        Role::Driver => matches!(to, PickedUp | InTransit | Delivered | Exception),
        Role::Analyst => false,
    }
}

/// A capability named at the type level, so a handler's signature states what it needs.
pub trait Capability: Send + Sync + 'static {
    const ACTION: Action;
}

macro_rules! capabilities {
    ($($name:ident),+ $(,)?) => {
        $(
            #[doc = concat!("Type-level marker for [`Action::", stringify!($name), "`].")]
            pub struct $name;
            impl Capability for $name {
                const ACTION: Action = Action::$name;
            }
        )+
    };
}

capabilities!(
    ShipmentsRead,
    ShipmentsCreate,
    ShipmentsUpdate,
    ShipmentsTransition,
    ShipmentsAssign,
    CustomersRead,
    CustomersWrite,
    DriversRead,
    DriversWrite,
    VehiclesRead,
    VehiclesWrite,
    RatingsRead,
    RatingsCreate,
    IncidentsRead,
    IncidentsWrite,
    UsersManage,
    ApiKeysManage,
    TrackingIngest,
    TrackingRead,
    GeofencesWrite,
    DevicesManage,
    RateLimitsManage,
    PerformanceRead,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_manage_users_and_keys() {
        for role in Role::ALL {
            assert_eq!(allows(*role, Action::UsersManage), *role == Role::Admin);
            assert_eq!(allows(*role, Action::ApiKeysManage), *role == Role::Admin);
        }
    }

    #[test]
    fn analysts_only_read() {
        assert!(allows(Role::Analyst, Action::ShipmentsRead));
        assert!(!allows(Role::Analyst, Action::ShipmentsCreate));
        assert!(!allows(Role::Analyst, Action::ShipmentsTransition));
    }

    #[test]
    fn customers_cannot_dispatch_or_cancel_after_pickup() {
        assert!(!allows(Role::Customer, Action::ShipmentsAssign));
        assert!(may_transition(
            Role::Customer,
            ShipmentStatus::Booked,
            ShipmentStatus::Cancelled
        ));
        assert!(!may_transition(
            Role::Customer,
            ShipmentStatus::InTransit,
            ShipmentStatus::Cancelled
        ));
    }

    #[test]
    fn drivers_cannot_cancel() {
        assert!(!may_transition(
            Role::Driver,
            ShipmentStatus::Assigned,
            ShipmentStatus::Cancelled
        ));
        assert!(may_transition(
            Role::Driver,
            ShipmentStatus::Assigned,
            ShipmentStatus::PickedUp
        ));
    }
}
