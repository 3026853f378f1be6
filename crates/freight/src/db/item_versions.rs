//! The latest committed version of each recently edited shipment, so that a cached list page
//! can check its own items instead of being thrown away by every edit in the organization.
//!
//! A page's key carries the generations of what decides which shipments are on it (creates,
//! status changes, assignments, edits of filtered fields: `Subject::Shipments` and friends).
//! An edit that changes none of those only changes the pages that show the edited shipment, so
//! it records the shipment's new version here instead of bumping the organization's
//! generation; a cached page remembers the `(id, version)` of its items and is served only
//! while none of them has a newer recorded version. Versions come from the database row
//! (`version = version + 1` in the same `UPDATE`), so a page loaded before the edit holds the
//! old version and misses from the moment the edit is recorded, which is before the edit's
//! response is sent.
//!
//! In process: a map bounded at [`MAX_LOCAL`] entries; when full it is emptied and the
//! organizations it held get their `Subject::Shipments` generation bumped, so forgetting an
//! edit never lets a page older than it through. With `REDIS_URL`: one key per edited
//! shipment, raised (never lowered) by a script so two instances recording out of order keep
//! the newest, and expiring with the other generation keys (four cache TTLs at least, so every
//! page older than the edit has expired first). Redis must not evict keys before they expire
//! (`maxmemory-policy noeviction`, its default); an unreachable Redis counts as "changed".

use std::collections::HashMap;
use std::sync::Mutex;

use redis::Script;

use crate::redis_link::RedisLink;

/// Edited shipments remembered in process before the map is emptied (about 4 MB).
pub const MAX_LOCAL: usize = 100_000;

/// The script raising a shared version (load once, see [`ItemVersions::record_shared`]).
pub(super) fn raise_script() -> Script {
    Script::new(RAISE_SCRIPT)
}

/// Raises KEYS[1] to ARGV[1] unless it already holds a higher version; ARGV[2] is the expiry.
const RAISE_SCRIPT: &str = r"
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
end
return 1
";

/// Where edited versions are kept.
#[derive(Default)]
pub(super) struct ItemVersions {
    local: Mutex<HashMap<(i64, i64), i64>>,
}

/// What an in-process record displaced when the map was full: the organizations whose
/// list generations must be bumped.
pub(super) type Forgotten = Vec<i64>;

impl ItemVersions {
    /// Records `version` of shipment `id` in process; returns the organizations to bump when
    /// the map had to be emptied first.
    pub(super) fn record_local(&self, org_id: i64, id: i64, version: i64) -> Forgotten {
        let Ok(mut map) = self.local.lock() else {
            return vec![org_id];
        };
        let mut forgotten = Vec::new();
        if map.len() >= MAX_LOCAL && !map.contains_key(&(org_id, id)) {
            forgotten = map.keys().map(|(org, _)| *org).collect();
            forgotten.sort_unstable();
            forgotten.dedup();
            map.clear();
        }
        let entry = map.entry((org_id, id)).or_insert(version);
        *entry = (*entry).max(version);
        forgotten
    }

    /// Whether every `(id, version)` is still the newest recorded in process.
    pub(super) fn current_local(&self, org_id: i64, items: &[(i64, i64)]) -> bool {
        let Ok(map) = self.local.lock() else {
            return false;
        };
        items.iter().all(|(id, version)| {
            map.get(&(org_id, *id))
                .is_none_or(|newest| newest <= version)
        })
    }

    /// Records `version` of shipment `id` in Redis.
    pub(super) async fn record_shared(
        link: &RedisLink,
        raise: &Script,
        key_ttl_secs: u64,
        org_id: i64,
        id: i64,
        version: i64,
    ) -> bool {
        let key = Self::key(link, org_id, id);
        let mut invocation = raise.prepare_invoke();
        invocation.key(key).arg(version).arg(key_ttl_secs);
        link.script::<i64>(&invocation).await.is_ok()
    }

    /// Whether every `(id, version)` is still the newest recorded in Redis (`false` when
    /// Redis cannot answer).
    pub(super) async fn current_shared(
        link: &RedisLink,
        org_id: i64,
        items: &[(i64, i64)],
    ) -> bool {
        let mut get = redis::cmd("MGET");
        for (id, _) in items {
            get.arg(Self::key(link, org_id, *id));
        }
        match link.query::<Vec<Option<i64>>>(&get).await {
            Ok(newest) if newest.len() == items.len() => items
                .iter()
                .zip(newest)
                .all(|((_, version), newest)| newest.is_none_or(|n| n <= *version)),
            _ => false,
        }
    }

    fn key(link: &RedisLink, org_id: i64, id: i64) -> String {
        link.key(format_args!("gen:{org_id}:v{id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_recorded_version_outdates_the_item() {
        let versions = ItemVersions::default();
        assert!(versions.current_local(1, &[(7, 1), (8, 3)]));
        assert!(versions.record_local(1, 7, 2).is_empty());
        assert!(!versions.current_local(1, &[(7, 1), (8, 3)]));
        assert!(versions.current_local(1, &[(7, 2), (8, 3)]));
        assert!(versions.current_local(2, &[(7, 1)]), "other organization");
        versions.record_local(1, 7, 1);
        assert!(
            !versions.current_local(1, &[(7, 1)]),
            "an older record never lowers the newest"
        );
    }
}
