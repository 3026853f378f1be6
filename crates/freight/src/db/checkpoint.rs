//! SQLite WAL checkpoints off the write path.
//!
//! SQLite's default is that the connection whose commit crosses the WAL size threshold copies
//! the whole log back into the database file and syncs it, inside that commit. With one writer
//! connection that stalls every queued write for tens of milliseconds at a time, which is what
//! the tail of `freight bench load` was made of. Instead the writer never checkpoints
//! (`wal_autocheckpoint = 0`) and this task runs a `PASSIVE` checkpoint on its own connection
//! a few times a second: it copies what no reader still needs, never waits for the writer, and
//! does the file sync outside the write path. With `synchronous = NORMAL` that sync is the only
//! one, so commits stay durable to the WAL exactly as before.

use std::time::Duration;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions as _, Connection as _};
use tokio::sync::watch;

/// How often the log is copied back.
const INTERVAL: Duration = Duration::from_millis(200);

/// Log frames (4 KiB pages) above which a checkpoint that could not catch up is reported.
const BACKLOG_WARNING_FRAMES: i64 = 65_536;

/// Stops the task when dropped or told to.
pub struct Checkpointer {
    stop: watch::Sender<bool>,
}

impl Checkpointer {
    /// Opens the checkpointer's own connection and starts the task.
    pub async fn spawn(options: &AnyConnectOptions) -> anyhow::Result<Checkpointer> {
        let mut conn = options.connect().await?;
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(INTERVAL) => {}
                    // A send (close) or the sender dropping (the Db is gone) both end the task.
                    _ = stopped.changed() => break,
                }
                checkpoint(&mut conn).await;
            }
            checkpoint(&mut conn).await;
            let _ = conn.close().await;
        });
        Ok(Checkpointer { stop })
    }

    /// Ends the task after one last checkpoint.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

async fn checkpoint(conn: &mut AnyConnection) {
    let result: sqlx::Result<(i64, i64, i64)> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut *conn)
        .await;
    match result {
        Ok((_, log, copied)) if log - copied > BACKLOG_WARNING_FRAMES => {
            tracing::warn!(
                log,
                copied,
                "the SQLite log is not being copied back: long readers?"
            );
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "SQLite checkpoint failed"),
    }
}
