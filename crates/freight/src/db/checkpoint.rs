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
//!
//! The log only starts over from its beginning when a write begins while every frame has been
//! copied back and no reader still needs it, which under steady writes rarely happens by
//! itself: the file grew by gigabytes, and the kernel zeroing its new blocks cost 10 % of the
//! CPU. So once the log passes [`RESTART_FRAMES`] and has been copied back, the checkpointer
//! takes the write connection for a `RESTART` checkpoint: little is left to copy, it waits
//! for the readers of the old log to finish (milliseconds), and the next write reuses the file
//! from the start (cut back to `journal_size_limit`).

use std::time::Duration;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, AnyPool, ConnectOptions as _, Connection as _};
use tokio::sync::watch;

/// How often the log is copied back.
const INTERVAL: Duration = Duration::from_millis(200);

/// Log frames (4 KiB pages) above which a checkpoint that could not catch up is reported.
const BACKLOG_WARNING_FRAMES: i64 = 65_536;

/// Log frames (4 KiB pages, so 32 MiB) after which the log is restarted.
const RESTART_FRAMES: i64 = 8_192;

/// Stops the task when dropped or told to.
pub struct Checkpointer {
    stop: watch::Sender<bool>,
}

impl Checkpointer {
    /// Opens the checkpointer's own connection and starts the task; `writer` is the
    /// single-connection write pool, borrowed for restarts.
    pub async fn spawn(
        options: &AnyConnectOptions,
        writer: AnyPool,
    ) -> anyhow::Result<Checkpointer> {
        let mut conn = options.connect().await?;
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(INTERVAL) => {}
                    // A send (close) or the sender dropping (the Db is gone) both end the task.
                    _ = stopped.changed() => break,
                }
                if let Some((log, copied)) = checkpoint(&mut conn).await {
                    if log >= RESTART_FRAMES && log - copied < RESTART_FRAMES / 8 {
                        restart(&writer).await;
                    }
                }
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

/// A passive checkpoint; returns the log's length and how much of it is copied back.
async fn checkpoint(conn: &mut AnyConnection) -> Option<(i64, i64)> {
    let result: sqlx::Result<(i64, i64, i64)> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut *conn)
        .await;
    match result {
        Ok((_, log, copied)) => {
            if log - copied > BACKLOG_WARNING_FRAMES {
                tracing::warn!(
                    log,
                    copied,
                    "the SQLite log is not being copied back: long readers?"
                );
            }
            Some((log, copied))
        }
        Err(e) => {
            tracing::warn!(error = %e, "SQLite checkpoint failed");
            None
        }
    }
}

/// Copies the rest back on the write connection and lets the next write start the log over.
async fn restart(writer: &AnyPool) {
    let result: sqlx::Result<(i64, i64, i64)> = sqlx::query_as("PRAGMA wal_checkpoint(RESTART)")
        .fetch_one(writer)
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "SQLite log restart failed");
    }
}
