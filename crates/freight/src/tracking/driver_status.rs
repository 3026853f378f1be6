//! Driver status changes on the live feed. Statuses are written by the drivers API (an edit,
//! a shift starting or ending) and by the shipment lifecycle (`db::driver_duty`: a pickup puts
//! the driver on route, closing their last load frees them), not by the GPS pipeline, but the
//! dispatch map colours each marker by status, so a change must reach the map without a
//! reload. It travels as a
//! [`LiveEventBody::DriverStatus`] event: the same per-organization hub, the same driver
//! visibility filter as fixes (a driver sees themself, a shipper the drivers of its loads),
//! and with `REDIS_URL` the same fan-out to the other instances.
//!
//! Callers announce a change only after its transaction committed, so the feed never shows a
//! status the database does not hold.

use std::collections::HashMap;

use super::fanout::OrgUpdate;
use super::hub::LiveEvent;
use super::live_message::{DriverStatusChange, LiveEventBody};
use super::Tracking;
use crate::domain::time::now_ms;
use crate::domain::DriverStatus;

impl Tracking {
    /// Tells the live-feed subscribers of `org_id` (here and, through Redis, on the other
    /// instances) that `driver_id` is now `status`. Does nothing when `before == status`.
    pub fn announce_driver_status(
        &self,
        org_id: i64,
        driver_id: i64,
        before: DriverStatus,
        status: DriverStatus,
    ) {
        if before == status {
            return;
        }
        let body = LiveEventBody::DriverStatus(DriverStatusChange {
            driver_id,
            status,
            at: now_ms(),
        });
        let event = LiveEvent {
            driver_id,
            body: body.to_value(),
        };
        self.inner
            .hub
            .publish(org_id, &[], std::slice::from_ref(&event));
        if let Some(fanout) = &self.inner.fanout {
            let update = OrgUpdate {
                events: vec![event],
                ..Default::default()
            };
            fanout.publish(HashMap::from([(org_id, update)]));
        }
    }
}
