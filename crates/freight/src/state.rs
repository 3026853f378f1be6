//! The state shared by every request handler and background task.

use std::sync::Arc;
use std::time::Instant;

use crate::auth::revoked::RevokedSessions;
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::db::Db;

/// Shared by every request: cloning it (axum does, per request and per extractor) is one
/// reference count, and its parts are reached through `Deref` (`state.db`, `state.cache`).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// What the state holds.
pub struct Services {
    pub db: Db,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenKeys>,
    pub revoked: Arc<RevokedSessions>,
    pub started_at: Instant,
    /// Read-through cache for hot reads.
    pub cache: crate::cache::Cache,
    /// Metrics recorder handle and the analyzer's route statistics.
    pub observability: crate::observability::Observability,
    /// GPS ingest pipeline, latest positions and live fan-out.
    pub tracking: crate::tracking::Tracking,
    /// Tiered rate limits: counters (in-process or Redis), overrides, traffic recorder.
    pub rate_limits: crate::ratelimit::RateLimits,
}
