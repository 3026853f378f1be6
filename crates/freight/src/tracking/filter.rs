//! The stateful checks, per driver: exact duplicates and teleports.
//!
//! A short ring of recently seen timestamps catches re-sent fixes in memory (the common case:
//! a client retrying a batch whose ack it missed); the positions table's primary key
//! (driver_id, fix_time) catches the rest, so de-duplication survives restarts.
//!
//! The teleport rule compares a fix with the newest fix admitted for the driver. A single bad
//! anchor must not lock a driver out forever, so after [`TELEPORT_STREAK`] consecutive
//! teleports the driver is re-anchored on the new position, and fixes more than
//! [`TELEPORT_WINDOW_MS`] apart are never compared.

use std::collections::VecDeque;

use super::fix::DropReason;
use crate::domain::time::Millis;
use crate::domain::LatLon;

/// How many recent timestamps each driver remembers in memory.
const RECENT: usize = 16;
/// Consecutive implausible jumps after which the new position is believed.
pub const TELEPORT_STREAK: u8 = 3;
/// Fixes further apart than this are not compared for speed.
pub const TELEPORT_WINDOW_MS: Millis = 10 * 60 * 1000;

/// Per-driver memory of what was admitted.
#[derive(Debug, Default, Clone)]
pub struct DriverTrack {
    recent: VecDeque<Millis>,
    /// The newest admitted fix: time, lat, lon.
    newest: Option<(Millis, f64, f64)>,
    teleports: u8,
}

impl DriverTrack {
    /// Admits a fix or says why not; on success the fix is remembered.
    pub fn admit(
        &mut self,
        at: Millis,
        lat: f64,
        lon: f64,
        max_speed_mps: f64,
    ) -> Result<(), DropReason> {
        if self.recent.contains(&at) || self.newest.is_some_and(|(t, _, _)| t == at) {
            return Err(DropReason::Duplicate);
        }
        if let Some((t, plat, plon)) = self.newest {
            let dt = (at - t).abs();
            if dt <= TELEPORT_WINDOW_MS {
                let metres = LatLon { lat, lon }.distance_m(LatLon {
                    lat: plat,
                    lon: plon,
                });
                let speed = metres / (dt as f64 / 1000.0);
                if speed > max_speed_mps {
                    self.teleports += 1;
                    if self.teleports < TELEPORT_STREAK {
                        return Err(DropReason::Teleport);
                    }
                    // Believe the new position: the anchor was probably the bad one.
                    self.newest = None;
                }
            }
        }
        self.teleports = 0;
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(at);
        if self.newest.is_none_or(|(t, _, _)| at > t) {
            self.newest = Some((at, lat, lon));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_800_000_000_000;

    #[test]
    fn exact_duplicates_are_dropped() {
        let mut d = DriverTrack::default();
        assert_eq!(d.admit(T0, 30.0, -97.0, 70.0), Ok(()));
        assert_eq!(d.admit(T0, 30.0, -97.0, 70.0), Err(DropReason::Duplicate));
        assert_eq!(d.admit(T0 + 1000, 30.0001, -97.0, 70.0), Ok(()));
    }

    #[test]
    fn implausible_jumps_are_teleports_but_do_not_lock_the_driver_out() {
        let mut d = DriverTrack::default();
        d.admit(T0, 30.0, -97.0, 70.0).unwrap();
        // ~111 km in 10 s.
        assert_eq!(
            d.admit(T0 + 10_000, 31.0, -97.0, 70.0),
            Err(DropReason::Teleport)
        );
        // A plausible next fix near the anchor is fine and resets the streak.
        assert_eq!(d.admit(T0 + 20_000, 30.001, -97.0, 70.0), Ok(()));
        assert_eq!(
            d.admit(T0 + 30_000, 31.0, -97.0, 70.0),
            Err(DropReason::Teleport)
        );
        assert_eq!(
            d.admit(T0 + 40_000, 31.0001, -97.0, 70.0),
            Err(DropReason::Teleport)
        );
        // Third jump in a row: the anchor is abandoned.
        assert_eq!(d.admit(T0 + 50_000, 31.0002, -97.0, 70.0), Ok(()));
        assert_eq!(d.admit(T0 + 60_000, 31.0003, -97.0, 70.0), Ok(()));
    }

    #[test]
    fn late_fixes_are_compared_but_do_not_move_the_anchor_back() {
        let mut d = DriverTrack::default();
        d.admit(T0 + 60_000, 30.01, -97.0, 70.0).unwrap();
        assert_eq!(d.admit(T0, 30.0, -97.0, 70.0), Ok(()));
        assert_eq!(d.newest.map(|n| n.0), Some(T0 + 60_000));
        // Far apart in time: not compared.
        assert_eq!(
            d.admit(T0 - TELEPORT_WINDOW_MS - 1, 40.0, -90.0, 70.0),
            Ok(())
        );
    }
}
