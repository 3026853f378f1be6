//! The tracking tasks that run beside the HTTP server: the dedicated OsmAnd listener and the
//! retention prune. [`Background::stop`] is called after the main server has drained, and
//! flushes the writer so nothing queued is lost on a graceful shutdown.

use std::time::Duration;

use tokio::task::JoinHandle;

use super::store;
use crate::domain::time::now_ms;
use crate::state::AppState;

/// Handles of the running tracking tasks.
pub struct Background {
    state: AppState,
    osmand: Option<JoinHandle<()>>,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts the OsmAnd listener (if bound) and the hourly retention prune.
pub fn start(state: &AppState) -> Background {
    let tracking = &state.tracking;
    let osmand = tracking.take_osmand_listener().map(|listener| {
        let app = crate::http::tracking::osmand_app(state.clone());
        let stopping = tracking.stopping();
        tracing::info!(addr = ?listener.local_addr().ok(), "OsmAnd listener started");
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stopping)
                .await
            {
                tracing::error!(error = %e, "OsmAnd listener failed");
            }
        })
    });
    let mut tasks = Vec::new();
    if tracking.config().retention_days > 0 {
        tasks.push(tokio::spawn(prune_loop(state.clone())));
    }
    Background {
        state: state.clone(),
        osmand,
        tasks,
    }
}

impl Background {
    /// Stops ingest, flushes the writer and ends the tasks.
    pub async fn stop(self) {
        self.state.tracking.shutdown().await;
        if let Some(osmand) = self.osmand {
            let _ = tokio::time::timeout(Duration::from_secs(5), osmand).await;
        }
        for t in self.tasks {
            t.abort();
        }
    }
}

/// Deletes fixes older than the retention period, once an hour (and once at start).
async fn prune_loop(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let days = i64::from(state.tracking.config().retention_days);
        let cutoff = now_ms() - days * 24 * 3600 * 1000;
        state.tracking.shipments().prune_before(cutoff);
        match prune_once(&state.db, days).await {
            Ok(n) if n > 0 => {
                tracing::info!(pruned = n, retention_days = days, "old positions pruned")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning positions failed"),
        }
    }
}

/// Deletes fixes taken more than `days` days ago; returns how many.
pub async fn prune_once(db: &crate::db::Db, days: i64) -> sqlx::Result<u64> {
    store::prune_before(db, now_ms() - days * 24 * 3600 * 1000).await
}
