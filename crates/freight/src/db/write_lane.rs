//! SQLite's writes run on a thread of their own.
//!
//! SQLite has one writer, so every write waits for the one write connection. What decides how
//! many writes a second it gives is how long each write holds it, and under load that was not
//! SQLite's time (about 0.1 ms a statement) but the time the holding task waited, after each
//! statement, for a busy runtime worker to poll it again: writes stalled behind the reads that
//! filled both workers. Here a write operation runs as a task on a single-threaded runtime
//! with nothing else to do, so it continues the moment its statement returns, and the
//! connection passes straight to the next queued write. The operating system, not the request
//! queue, decides when that thread runs, and it wakes promptly because it is mostly idle.
//!
//! PostgreSQL needs none of this (many connections, row locks), so there the operation simply
//! runs where it was called.

use std::future::Future;

use opentelemetry::trace::FutureExt as _;
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tracing::Instrument as _;

use crate::observability::query_log::CURRENT_REQUEST;

/// The writer thread; it ends when the lane is dropped.
pub struct WriteLane {
    handle: Handle,
    _stop: oneshot::Sender<()>,
}

impl WriteLane {
    /// Starts the thread at `nice` (see `runtime.rs`; 0 leaves its priority alone).
    pub fn start(nice: i32) -> std::io::Result<WriteLane> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-writes".into())
            .spawn(move || {
                crate::runtime::set_current_thread_nice(nice, "database threads");
                // Runs the spawned writes until the lane is dropped (the sender with it).
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })?;
        Ok(WriteLane {
            handle,
            _stop: stop,
        })
    }

    /// Runs `operation` on the writer thread and waits for its result. The caller's log span,
    /// trace context and per-request statement log go with it, so log lines, traces and N+1
    /// detection see the statements.
    pub async fn run<T, E>(
        &self,
        operation: impl Future<Output = Result<T, E>> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        let operation = operation
            .instrument(tracing::Span::current())
            .with_context(opentelemetry::Context::current());
        let task = match CURRENT_REQUEST.try_with(|queries| queries.clone()) {
            Ok(queries) => self.handle.spawn(CURRENT_REQUEST.scope(queries, operation)),
            Err(_) => self.handle.spawn(operation),
        };
        match task.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The lane stopped with the database (shutdown): the write did not happen.
            Err(_) => Err(sqlx::Error::PoolClosed.into()),
        }
    }
}
