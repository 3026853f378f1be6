//! Login sessions revoked by logout while their access tokens may still be unexpired.
//!
//! Access tokens are verified without the database, so logout must reach every instance
//! that might see the token. Each process keeps the sessions it knows are revoked in memory
//! (loaded from the database at start-up, added to on logout), which answers "revoked"
//! without any I/O. With `REDIS_URL` a logout also writes `<prefix>revoked:<session>` with
//! the access-token lifetime as its expiry, and a token not known locally is checked there
//! (one `EXISTS`), so a logout on one instance is refused by all the others on their next
//! request. If Redis cannot answer, the check falls back to the database (`auth_sessions`),
//! which is the source of truth: never accept a revoked token, never turn Redis into a single
//! point of failure for authentication. A logout whose Redis write fails (the database row is
//! already revoked) is retried every second in the background for the token lifetime; an
//! instance that cannot reach Redis either asks the database, so the only gap is another
//! instance that still reaches Redis while this one cannot, until the retry lands.
//!
//! The in-memory set forgets a session one access-token lifetime after learning of its
//! revocation: a revoked session gets no new tokens (refresh is refused), so by then every
//! token it had has expired and the signature check refuses it anyway. The set therefore holds
//! at most the logouts of one token lifetime.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::db::{auth_sessions, Db};
use crate::redis_link::RedisLink;

/// The revoked-session set: in memory, shared through Redis when configured.
pub struct RevokedSessions {
    local: RwLock<Local>,
    shared: Option<Arc<RedisLink>>,
    /// The access-token lifetime: how long a revocation must be remembered.
    token_ttl: Duration,
}

/// Revoked sessions known in this process, and when each was learnt (oldest first).
#[derive(Default)]
struct Local {
    set: HashSet<String>,
    learnt: VecDeque<(Instant, String)>,
}

impl Local {
    fn remember(&mut self, session_id: &str, now: Instant, keep: Duration) {
        while let Some((at, _)) = self.learnt.front() {
            if now.saturating_duration_since(*at) <= keep {
                break;
            }
            if let Some((_, old)) = self.learnt.pop_front() {
                self.set.remove(&old);
            }
        }
        if self.set.insert(session_id.to_string()) {
            self.learnt.push_back((now, session_id.to_string()));
        }
    }
}

impl RevokedSessions {
    pub fn new(shared: Option<Arc<RedisLink>>, token_ttl: Duration) -> Self {
        RevokedSessions {
            local: RwLock::default(),
            shared,
            token_ttl,
        }
    }

    /// Marks a session revoked in this process only (loading the set at start-up).
    pub fn remember(&self, session_id: &str) {
        self.remember_at(session_id, Instant::now());
    }

    fn remember_at(&self, session_id: &str, now: Instant) {
        // A few seconds beyond the token lifetime, for clock steps between issue and check.
        let keep = self.token_ttl + Duration::from_secs(5);
        if let Ok(mut local) = self.local.write() {
            local.remember(session_id, now, keep);
        }
    }

    /// Logout: this process refuses the session at once; with Redis, every process does.
    /// Call after the database row is marked revoked.
    pub async fn revoke(&self, session_id: &str) {
        self.remember(session_id);
        let Some(link) = &self.shared else { return };
        let key = link.key(format_args!("revoked:{session_id}"));
        let ttl = self.token_ttl.as_secs() + 5;
        let set = move |key: &str| {
            let mut cmd = redis::cmd("SET");
            cmd.arg(key).arg(1).arg("EX").arg(ttl);
            cmd
        };
        if let Err(e) = link.query::<()>(&set(&key)).await {
            tracing::error!(error = %e, "logout could not reach Redis: retrying");
            let (link, until) = (link.clone(), Instant::now() + self.token_ttl);
            tokio::spawn(async move {
                while Instant::now() < until {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    if link.query::<()>(&set(&key)).await.is_ok() {
                        return;
                    }
                }
            });
        }
    }

    /// Whether the session was logged out (here, on another instance, or before a restart).
    pub async fn is_revoked(&self, session_id: &str, db: &Db) -> sqlx::Result<bool> {
        if self
            .local
            .read()
            .map_or(true, |local| local.set.contains(session_id))
        {
            return Ok(true);
        }
        let Some(link) = &self.shared else {
            return Ok(false);
        };
        let mut exists = redis::cmd("EXISTS");
        exists.arg(link.key(format_args!("revoked:{session_id}")));
        let revoked = match link.query::<bool>(&exists).await {
            Ok(revoked) => revoked,
            Err(e) => {
                metrics::counter!("auth_revocation_fallbacks_total").increment(1);
                tracing::warn!(error = %e, "revoked sessions: Redis unavailable, asking the database");
                auth_sessions::is_revoked(db, session_id).await?
            }
        };
        if revoked {
            self.remember(session_id);
        }
        Ok(revoked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revocation_is_forgotten_once_every_token_it_covers_has_expired() {
        let revoked = RevokedSessions::new(None, Duration::from_secs(900));
        let start = Instant::now();
        revoked.remember_at("old", start);
        revoked.remember_at("recent", start + Duration::from_secs(600));
        let known = |id: &str| revoked.local.read().unwrap().set.contains(id);
        assert!(known("old") && known("recent"));
        revoked.remember_at("new", start + Duration::from_secs(906));
        assert!(!known("old"), "past the token lifetime");
        assert!(known("recent") && known("new"));
        assert_eq!(revoked.local.read().unwrap().learnt.len(), 2);
    }
}
