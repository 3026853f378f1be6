//! A driver's status follows their loads, as a dispatch board expects: picking a load up (or
//! moving it in transit) puts its driver on route, and closing the last load they hold
//! (delivered, cancelled, or stopped by an exception) makes an on-route driver available
//! again. It runs inside the shipment's status-change transaction, so a shipment and its
//! driver never disagree. Breaks and shifts stay the driver's own: only an on-route driver
//! is released, and a driver on a break or off duty is put on route only by a pickup.

use super::drivers::set_status;
use super::tx::Tx;
use crate::domain::{DriverStatus, ShipmentStatus};

/// A driver status moved by a shipment's status change, announced on the live feed once
/// the transaction has committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DutyChange {
    pub driver_id: i64,
    pub before: DriverStatus,
    pub after: DriverStatus,
}

/// Moves `driver_id`'s status (`before`, as read with the shipment's locked row) after
/// their shipment `shipment_id` became `to`, if it should.
pub(crate) async fn follow_load(
    tx: &mut Tx,
    org_id: i64,
    shipment_id: i64,
    (driver_id, before): (i64, DriverStatus),
    to: ShipmentStatus,
) -> sqlx::Result<Option<DutyChange>> {
    use ShipmentStatus::*;
    let holds_load = matches!(to, PickedUp | InTransit);
    let releases = matches!(to, Delivered | Cancelled | Exception);
    if !holds_load && !releases {
        return Ok(None);
    }
    let after = match holds_load {
        true => DriverStatus::OnRoute,
        false if before != DriverStatus::OnRoute => return Ok(None),
        false => {
            let (others,): (i64,) = tx
                .fetch_one(
                    sqlx::query_as(
                        "SELECT COUNT(*) FROM shipments WHERE org_id = $1 AND driver_id = $2 \
                         AND id <> $3 AND status IN ('picked_up', 'in_transit')",
                    )
                    .bind(org_id)
                    .bind(driver_id)
                    .bind(shipment_id),
                )
                .await?;
            if others > 0 {
                return Ok(None);
            }
            DriverStatus::Available
        }
    };
    if after == before {
        return Ok(None);
    }
    set_status(tx, org_id, driver_id, after).await?;
    Ok(Some(DutyChange {
        driver_id,
        before,
        after,
    }))
}
