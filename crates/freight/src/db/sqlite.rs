//! Opening an SQLite database: the single-connection write pool, the read pool, the
//! checkpointer and the write lane (see `checkpoint` and `write_lane` for why each exists).
//!
//! Every connection is opened from the write lane's thread. SQLite connections run on threads
//! of their own, and a thread inherits its creator's scheduling priority: opened from here,
//! they keep the normal priority even when the server runs its request workers at a lower one
//! (`FREIGHT_WORKER_NICE`), which is what lets a database thread run as soon as it has work.

use std::str::FromStr as _;

use anyhow::Context as _;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor as _};

use super::checkpoint::Checkpointer;
use super::write_lane::WriteLane;
use super::DbOptions;

/// The pools and helpers of one SQLite database.
pub(super) struct Opened {
    pub read: AnyPool,
    pub write: AnyPool,
    pub checkpointer: Checkpointer,
    pub lane: WriteLane,
}

pub(super) async fn open(url: &str, options: &DbOptions) -> anyhow::Result<Opened> {
    let url = sqlite_url_with_create(url);
    let connect = AnyConnectOptions::from_str(&url)?;
    let lane = WriteLane::start(options.thread_nice)?;
    let options = options.clone();
    let (read, write, checkpointer) = lane
        .run(async move {
            let write = sqlite_pool(1, &options, WRITER_PRAGMAS)
                .connect_with(connect.clone())
                .await
                .with_context(|| format!("opening SQLite database {url}"))?;
            // WAL is a property of the file: set it once, before readers open.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&write)
                .await?;
            let readers = options.max_connections.clamp(2, 8);
            let read = sqlite_pool(readers, &options, "")
                .min_connections(readers)
                .connect_with(connect.clone())
                .await?;
            let checkpointer = Checkpointer::spawn(&connect, write.clone()).await?;
            Ok::<_, anyhow::Error>((read, write, checkpointer))
        })
        .await?;
    Ok(Opened {
        read,
        write,
        checkpointer,
        lane,
    })
}

/// The writer leaves checkpoints to [`Checkpointer`]; after a checkpoint lets the
/// log restart, the file is cut back to 64 MiB.
const WRITER_PRAGMAS: &str = "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;";

fn sqlite_pool(max: u32, options: &DbOptions, extra_pragmas: &'static str) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        // Connections are opened once, from the lane (see the module header), and kept.
        .idle_timeout(None)
        .max_lifetime(None)
        // A local file cannot drop the connection; skip the ping before every checkout.
        .test_before_acquire(false)
        .acquire_timeout(options.acquire_timeout)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA cache_size = -16000; PRAGMA temp_store = MEMORY;",
                )
                .await?;
                if !extra_pragmas.is_empty() {
                    conn.execute(extra_pragmas).await?;
                }
                Ok(())
            })
        })
}

/// SQLite URLs open read-write-create unless the caller chose a mode.
fn sqlite_url_with_create(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}
