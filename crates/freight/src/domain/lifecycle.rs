//! The shipment status lifecycle: which status may follow which.
//!
//! draft → booked → assigned → picked_up → in_transit → delivered, with `cancelled` and
//! `exception` reachable from every open status. An exception is resolved by moving the
//! shipment back into the flow (booked, assigned or in_transit) or by cancelling it.
//! Unassigning an assigned shipment returns it to `booked`.

use crate::text_enum;

text_enum!(
    /// Where a shipment is in its life.
    ShipmentStatus {
        Draft => "draft",
        Booked => "booked",
        Assigned => "assigned",
        PickedUp => "picked_up",
        InTransit => "in_transit",
        Delivered => "delivered",
        Cancelled => "cancelled",
        Exception => "exception",
    }
);

impl ShipmentStatus {
    /// Statuses from which nothing may follow.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Delivered | Self::Cancelled)
    }

    /// Statuses in which a driver is (or should be) working the shipment.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Assigned | Self::PickedUp | Self::InTransit)
    }

    /// The statuses that may follow this one, in a stable order.
    pub fn allowed_next(self) -> Vec<ShipmentStatus> {
        use ShipmentStatus::*;
        let mut next = match self {
            Draft => vec![Booked],
            Booked => vec![Assigned],
            Assigned => vec![PickedUp, Booked],
            PickedUp => vec![InTransit],
            InTransit => vec![Delivered],
            Exception => vec![Booked, Assigned, InTransit],
            Delivered | Cancelled => vec![],
        };
        if !self.is_terminal() {
            next.push(Cancelled);
            if self != Exception {
                next.push(Exception);
            }
        }
        next
    }

    /// Whether `self → to` is a legal transition.
    pub fn can_become(self, to: ShipmentStatus) -> bool {
        self.allowed_next().contains(&to)
    }
}

#[cfg(test)]
mod tests {
    use super::ShipmentStatus::*;
    use super::*;

    #[test]
    fn the_happy_path_is_allowed_step_by_step() {
        let path = [Draft, Booked, Assigned, PickedUp, InTransit, Delivered];
        for pair in path.windows(2) {
            assert!(
                pair[0].can_become(pair[1]),
                "{:?} -> {:?}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn steps_cannot_be_skipped_or_reversed() {
        assert!(!Booked.can_become(Delivered));
        assert!(!InTransit.can_become(PickedUp));
        assert!(!Draft.can_become(Assigned));
    }

    #[test]
    fn every_open_status_can_be_cancelled_or_fail() {
        for s in ShipmentStatus::ALL.iter().filter(|s| !s.is_terminal()) {
            assert!(s.can_become(Cancelled), "{s:?}");
            assert!(*s == Exception || s.can_become(Exception), "{s:?}");
        }
    }

    #[test]
    fn terminal_statuses_have_no_successor() {
        assert!(Delivered.allowed_next().is_empty());
        assert!(Cancelled.allowed_next().is_empty());
    }
}
