//! `freight bench history`: is a week of history for 1,000 vehicles at one fix per 10 s
//! (60 million rows) still fast to query on PostgreSQL?
//!
//! It creates its own database on the given server, applies the migrations, and generates
//! the volume *server-side* with `generate_series`, one hour of fixes per statement in time
//! order (vehicles interleaved within each second, as live ingest writes them, so one
//! driver's fixes are spread over the heap as in production rather than clustered). Then it
//! times the track query the API runs (`tracking::store::track`) for random drivers over 1 h
//! and 1 day ranges: a first pass (PostgreSQL's buffers cold for those pages; the OS page
//! cache may still hold them) and a second pass over the same ranges (warm). It prints the
//! plan of one day-range query, the table and index sizes, and drops the database unless
//! `--keep`. Generation stops early at `--max-minutes`, and the figures then say how many
//! rows were really there.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use rand::Rng;
use serde_json::json;
use sqlx::Connection as _;

use crate::bench::stats::percentiles;
use crate::db::{Db, DbOptions};
use crate::domain::time::now_ms;

/// Options for `freight bench history`.
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// A PostgreSQL server URL; a fresh database is created on it (and dropped afterwards).
    #[arg(
        long,
        default_value = "postgres://postgres@127.0.0.1:5432/postgres",
        env = "FREIGHT_BENCH_POSTGRES_URL"
    )]
    pub database_url: String,
    /// Vehicles (one driver each).
    #[arg(long, default_value_t = 1000)]
    pub vehicles: i64,
    /// Days of history.
    #[arg(long, default_value_t = 7)]
    pub days: i64,
    /// Seconds between two fixes of a vehicle.
    #[arg(long, default_value_t = 10)]
    pub interval_secs: i64,
    /// Timed queries per range and pass.
    #[arg(long, default_value_t = 50)]
    pub queries: usize,
    /// Stop generating after this long and measure what is there.
    #[arg(long, default_value_t = 60)]
    pub max_minutes: u64,
    /// Keep the database afterwards (its name is printed).
    #[arg(long)]
    pub keep: bool,
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: HistoryArgs) -> anyhow::Result<()> {
    let mut admin = sqlx::PgConnection::connect(&args.database_url)
        .await
        .context("connecting to PostgreSQL")?;
    let name = format!("freight_history_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    let base = args
        .database_url
        .rsplit_once('/')
        .map_or(args.database_url.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    let result = measure(&url, &args).await;
    if args.keep {
        println!("kept database {url}");
    } else {
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
    }
    println!("{}", result?);
    Ok(())
}

async fn measure(url: &str, args: &HistoryArgs) -> anyhow::Result<serde_json::Value> {
    let db = Db::connect(url, &DbOptions::default()).await?;
    db.migrate().await?;
    let org = crate::db::organizations::create(&db, "History Bench", "history-bench").await?;
    let step = args.interval_secs.max(1) * 1000;
    let hour = 3600 * 1000;
    // Whole hours ending at the last full hour, so every range below is fully populated.
    let end = now_ms() / hour * hour;
    let start = end - args.days.max(1) * 24 * hour;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    for setting in ["SET synchronous_commit = off", "SET work_mem = '256MB'"] {
        sqlx::query(setting).execute(&mut conn).await?;
    }
    println!(
        "freight bench history: {} vehicles x {} days at one fix per {} s = {} rows target",
        args.vehicles,
        args.days,
        args.interval_secs,
        args.vehicles * (end - start) / step
    );
    let generating = Instant::now();
    let deadline = generating + Duration::from_secs(args.max_minutes * 60);
    let mut loaded_to = start;
    while loaded_to < end && Instant::now() < deadline {
        sqlx::query(
            "INSERT INTO positions (driver_id, fix_time, org_id, vehicle_id, device_id, source, received_at, lat, lon, \
             speed, heading, accuracy, altitude, battery, attributes) \
             SELECT d, t, $1, d, NULL, 'ws', t + 400, 30.1 + (d % 50) * 0.006 + sin(t / 600000.0) * 0.02, \
             -97.9 + (d / 50) * 0.01 + cos(t / 600000.0) * 0.02, 12.5, (t / 1000) % 360, 5.0, 150.0, 80.0, NULL \
             FROM generate_series($2::bigint, $3::bigint, $4::bigint) AS t(t), generate_series(1::bigint, $5::bigint) AS d(d) \
             ORDER BY t, d",
        )
        .bind(org)
        .bind(loaded_to)
        .bind(loaded_to + hour - step)
        .bind(step)
        .bind(args.vehicles)
        .execute(&mut conn)
        .await?;
        loaded_to += hour;
        if (loaded_to - start) % (24 * hour) == 0 {
            println!(
                "  day {} loaded after {:.0} s",
                (loaded_to - start) / (24 * hour),
                generating.elapsed().as_secs_f64()
            );
        }
    }
    let load_secs = generating.elapsed().as_secs_f64();
    sqlx::query("ANALYZE positions").execute(&mut conn).await?;
    let (rows, table, index): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM positions), pg_table_size('positions'), pg_indexes_size('positions')",
    )
    .fetch_one(&mut conn)
    .await?;
    println!(
        "  {rows} rows in {load_secs:.0} s ({:.0} rows/s); table {} MB, indexes {} MB{}",
        rows as f64 / load_secs,
        table >> 20,
        index >> 20,
        if loaded_to < end {
            " (stopped at --max-minutes)"
        } else {
            ""
        }
    );
    let mut report = serde_json::Map::new();
    report.insert(
        "volume".into(),
        json!({"rows": rows, "load_seconds": load_secs, "table_bytes": table, "index_bytes": index,
               "vehicles": args.vehicles, "hours": (loaded_to - start) / hour}),
    );
    let mut rng = rand::thread_rng();
    for (label, range) in [("1h", hour), ("1d", 24 * hour)] {
        let windows: Vec<(i64, i64)> = (0..args.queries.max(1))
            .map(|_| {
                let from = rng.gen_range(start..(loaded_to - range).max(start + 1)) / step * step;
                (rng.gen_range(1..=args.vehicles), from)
            })
            .collect();
        let mut passes = serde_json::Map::new();
        for pass in ["first", "warm"] {
            let (mut samples, mut fixes) = (Vec::new(), 0usize);
            for &(driver, from) in &windows {
                let started = Instant::now();
                let track =
                    super::store::track(&db, org, driver, from, from + range, 200_000).await?;
                samples.push(started.elapsed().as_micros() as u32);
                fixes += track.len();
            }
            let lat = percentiles(&mut samples);
            println!(
                "  {label} track, {pass} pass: {} queries, {} fixes each, p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
                windows.len(),
                fixes / windows.len(),
                lat.p50_ms,
                lat.p99_ms,
                lat.max_ms
            );
            passes.insert(
                pass.into(),
                json!({"latency": lat, "fixes_per_query": fixes / windows.len()}),
            );
        }
        report.insert(label.into(), serde_json::Value::Object(passes));
    }
    let (driver, from) = (args.vehicles / 2 + 1, loaded_to - 24 * hour);
    let explain = format!("EXPLAIN (ANALYZE, BUFFERS) {}", super::store::TRACK_SQL);
    let plan: Vec<(String,)> = sqlx::query_as(&explain)
        .bind(driver)
        .bind(from)
        .bind(loaded_to)
        .bind(org)
        .bind(200_000i64)
        .fetch_all(&mut conn)
        .await?;
    println!("  plan of a 1-day track query:");
    for (line,) in &plan {
        println!("    {line}");
    }
    db.close().await;
    Ok(serde_json::Value::Object(report))
}
