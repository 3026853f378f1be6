//! Storage: one portable code path over SQLite (embedded default) and PostgreSQL.
//!
//! We use sqlx's `Any` driver with hand-written SQL that both engines accept: `$n`
//! placeholders, `RETURNING`, `ON CONFLICT`, integer/real/text columns only (timestamps are
//! epoch milliseconds, see `domain::time`). The few places where the engines really differ
//! (full-text search) branch on [`Backend`] inside this module. All SQL lives under `db/`;
//! handlers never see it.
//!
//! Every statement goes through [`Db`] or [`Tx`], which count it. The count backs the
//! "constant queries per list" guarantee and, later, the performance analyzer.
//!
//! **Optional floats.** sqlx's `Any` driver sends a NULL `f64` to PostgreSQL typed `float4`
//! (sqlx-core 0.8.6 swaps `Real` and `Double` for nulls), and a statement prepared that way
//! then rejects the next real `f64`. Statements that bind an `Option<f64>` are therefore run
//! with `.persistent(false)` on PostgreSQL (customers, incidents, geofences, position batches).
//!
//! SQLite allows one writer at a time, so writes use a single-connection pool: writers queue
//! inside the process instead of failing with `SQLITE_BUSY`, and readers keep going under WAL.

pub mod api_keys;
pub mod auth_sessions;
mod checkpoint;
pub mod creations;
pub mod customers;
pub mod dashboard;
pub mod driver_duty;
pub mod drivers;
pub mod generations;
pub mod idempotency;
pub mod incidents;
pub mod item_versions;
pub mod organizations;
pub mod rate_limits;
pub mod ratings;
pub mod route_plans;
pub mod search;
mod shipment_assignment;
mod shipment_edits;
pub mod shipment_events;
pub mod shipment_list;
pub mod shipment_writes;
pub mod shipments;
pub mod sql;
mod sqlite;
mod statement_kinds;
mod tx;
pub mod users;
pub mod vehicles;
mod write_lane;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sqlx::any::{AnyPoolOptions, AnyQueryResult, AnyRow};
use sqlx::{Any, AnyPool, Executor, FromRow};

pub use sql::Sql;
pub use tx::Tx;

use statement_kinds::{statement_kind, StatementMetrics, KINDS};

use crate::observability::query_log::QueryLog;

/// A statement without typed output.
pub type Query<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;
/// A statement whose rows map to `O`.
pub type QueryAs<'q, O> = sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments<'q>>;

/// Which engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The OpenTelemetry `db.system` name.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// SQLite: nice level of the database threads (see `runtime.rs`); 0 leaves them alone.
    pub thread_nice: i32,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            thread_nice: 0,
        }
    }
}

/// Shared handle to the database: cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    statements: AtomicU64,
    log: QueryLog,
    generations: Arc<generations::Generations>,
    /// SQLite only: copies the WAL back into the database file off the write path.
    checkpointer: Option<checkpoint::Checkpointer>,
    /// SQLite only: the thread write operations run on (see [`Db::write`]).
    write_lane: Option<write_lane::WriteLane>,
    /// Whether statements are timed into metrics, the query log and spans.
    instrumented: std::sync::atomic::AtomicBool,
    /// Registered with the process recorder when instrumentation is switched on.
    metrics: std::sync::OnceLock<StatementMetrics>,
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://…`). A SQLite file is created if missing.
    pub async fn connect(url: &str, options: &DbOptions) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres: (got `{url}`)");
        };
        let (read, write, checkpointer, write_lane) = match backend {
            Backend::Sqlite => {
                let opened = sqlite::open(url, options).await?;
                (
                    opened.read,
                    opened.write,
                    Some(opened.checkpointer),
                    Some(opened.lane),
                )
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(options.acquire_timeout)
                    // A ping before every checkout doubles the round trips of short queries;
                    // a dead connection surfaces as one failed statement and is replaced.
                    .test_before_acquire(false)
                    .connect(url)
                    .await
                    .context("connecting to PostgreSQL")?;
                (pool.clone(), pool, None, None)
            }
        };
        Ok(Db {
            inner: Arc::new(Inner {
                read,
                write,
                backend,
                statements: AtomicU64::new(0),
                log: QueryLog::default(),
                generations: Default::default(),
                checkpointer,
                write_lane,
                instrumented: std::sync::atomic::AtomicBool::new(true),
                metrics: std::sync::OnceLock::new(),
            }),
        })
    }

    /// Applies pending migrations for this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend() {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        migrator
            .run(&self.inner.write)
            .await
            .context("running migrations")?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// Number of statements run through this handle since start.
    pub fn statements_executed(&self) -> u64 {
        self.inner.statements.load(Ordering::Relaxed)
    }

    /// Runs one statement's future, timing it into the statement log, the metrics and a
    /// `db.query` span (a child of the request span in traces, recorded when the statement
    /// has finished: see `telemetry::record_statement`). Transaction control (`BEGIN`,
    /// `COMMIT`, `ROLLBACK`) is timed and logged but gets no span of its own: it would double
    /// the spans of every write for no information the trace lacks (the time shows as the
    /// gap between the request span and its statement spans).
    async fn run<T>(
        &self,
        sql: &str,
        fut: impl Future<Output = sqlx::Result<T>>,
    ) -> sqlx::Result<T> {
        if !self.inner.instrumented.load(Ordering::Relaxed) {
            self.inner.statements.fetch_add(1, Ordering::Relaxed);
            return fut.await;
        }
        let kind = statement_kind(sql);
        let traced = (kind != 4 && crate::telemetry::exporting()).then(std::time::SystemTime::now);
        let started = Instant::now();
        let result = fut.await;
        let elapsed = started.elapsed();
        self.inner.statements.fetch_add(1, Ordering::Relaxed);
        let shape = self.inner.log.record(sql, elapsed);
        if let Some(start) = traced {
            crate::telemetry::record_statement(
                self.inner.backend.name(),
                shape,
                start,
                result.is_err(),
            );
        }
        match self.inner.metrics.get() {
            Some(m) => {
                m.duration[kind].record(elapsed.as_secs_f64());
                if result.is_err() {
                    m.errors[kind].increment(1);
                }
            }
            None => {
                metrics::histogram!("db_query_duration_seconds", "kind" => KINDS[kind])
                    .record(elapsed.as_secs_f64());
                if result.is_err() {
                    metrics::counter!("db_query_errors_total", "kind" => KINDS[kind]).increment(1);
                }
            }
        }
        result
    }

    /// Change generations for cache invalidation; writes bump them after committing.
    pub fn generations(&self) -> &Arc<generations::Generations> {
        &self.inner.generations
    }

    /// Turns statement timing (metrics, query log, spans) on or off; on by default.
    pub fn set_instrumented(&self, on: bool) {
        if on {
            crate::observability::metrics::install();
            self.inner.metrics.get_or_init(StatementMetrics::register);
        }
        self.inner.instrumented.store(on, Ordering::Relaxed);
    }

    /// Per-statement statistics for the performance analyzer.
    pub fn query_log(&self) -> &QueryLog {
        &self.inner.log
    }

    /// One round trip, for readiness checks.
    pub async fn ping(&self) -> sqlx::Result<()> {
        self.run("SELECT 1", self.inner.read.execute("SELECT 1"))
            .await
            .map(|_| ())
    }

    pub async fn fetch_all<'q, O>(&self, q: QueryAs<'q, O>) -> sqlx::Result<Vec<O>>
    where
        O: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let sql = sqlx::Execute::sql(&q);
        self.run(sql, q.fetch_all(&self.inner.read)).await
    }

    pub async fn fetch_optional<'q, O>(&self, q: QueryAs<'q, O>) -> sqlx::Result<Option<O>>
    where
        O: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let sql = sqlx::Execute::sql(&q);
        self.run(sql, q.fetch_optional(&self.inner.read)).await
    }

    pub async fn fetch_one<'q, O>(&self, q: QueryAs<'q, O>) -> sqlx::Result<O>
    where
        O: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let sql = sqlx::Execute::sql(&q);
        self.run(sql, q.fetch_one(&self.inner.read)).await
    }

    /// A single `INSERT … RETURNING` outside a transaction.
    pub async fn fetch_one_write<'q, O>(&self, q: QueryAs<'q, O>) -> sqlx::Result<O>
    where
        O: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let sql = sqlx::Execute::sql(&q);
        self.run(sql, q.fetch_one(&self.inner.write)).await
    }

    /// A single write statement outside a transaction that may return a row.
    pub async fn fetch_optional_write<'q, O>(&self, q: QueryAs<'q, O>) -> sqlx::Result<Option<O>>
    where
        O: Send + Unpin + for<'r> FromRow<'r, AnyRow>,
    {
        let sql = sqlx::Execute::sql(&q);
        self.run(sql, q.fetch_optional(&self.inner.write)).await
    }

    /// A single write statement outside a transaction.
    pub async fn execute<'q>(&self, q: Query<'q>) -> sqlx::Result<AnyQueryResult> {
        let sql = sqlx::Execute::sql(&q);
        self.run(sql, q.execute(&self.inner.write)).await
    }

    /// Runs a write operation (everything it does while it needs the write connection) on
    /// SQLite's writer thread; on PostgreSQL, right here. Hot write paths use this so the
    /// single SQLite writer is never held by a task waiting for a busy worker.
    pub async fn write<T, E>(
        &self,
        operation: impl Future<Output = Result<T, E>> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        match &self.inner.write_lane {
            Some(lane) => lane.run(operation).await,
            None => operation.await,
        }
    }

    /// Starts a write transaction. Multi-row writes always happen inside one.
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        let tx = self.run("BEGIN", self.inner.write.begin()).await?;
        Ok(Tx {
            tx,
            db: self.clone(),
        })
    }

    /// Closes both pools, waiting for checked-out connections to return.
    pub async fn close(&self) {
        self.inner.read.close().await;
        self.inner.write.close().await;
        if let Some(checkpointer) = &self.inner.checkpointer {
            checkpointer.stop();
        }
    }
}

/// The id of a row just inserted with `RETURNING id`.
#[derive(FromRow)]
pub struct NewId {
    pub id: i64,
}

/// A single integer result (`COUNT(*)`, `CAST(SUM(..) AS BIGINT)`).
#[derive(FromRow)]
pub struct Count {
    pub n: i64,
}

/// Whether an error is a unique-constraint violation (duplicate plate, reference, email…).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}
