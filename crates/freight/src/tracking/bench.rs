//! `freight bench ingest`: measures the tracking pipeline end to end against a real
//! `freight serve` child process on this machine — HTTP batch ingest (fixes/s), WebSocket
//! ingest from many connected devices (acknowledged fixes/s), fan-out lag to a live
//! subscriber (p50/p99 of delivery time − server receive time), and server memory per
//! connected device (RSS delta / devices). Prints figures; asserts nothing.

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::bench::stats::percentiles;
use crate::db::{Db, DbOptions};
use crate::domain::time::now_ms;

/// Options for `freight bench ingest`.
#[derive(Debug, Clone, clap::Args)]
pub struct IngestArgs {
    /// Simulated devices (each is one driver; for the WebSocket phase, one connection).
    #[arg(long, default_value_t = 10_000)]
    pub devices: usize,
    /// Measured seconds per phase.
    #[arg(long, default_value_t = 15)]
    pub duration_secs: u64,
    /// Fixes per HTTP batch request.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// Concurrent HTTP batch uploaders.
    #[arg(long, default_value_t = 8)]
    pub http_connections: usize,
    /// Fixes per device per second in the WebSocket phase.
    #[arg(long, default_value_t = 1.0)]
    pub ws_rate: f64,
    /// Phases to run: `http`, `ws`, or both (comma-separated).
    #[arg(long, default_value = "http,ws")]
    pub phases: String,
    /// `sqlite` (a fresh temp file, default) or a PostgreSQL server URL (a fresh database is created on it).
    #[arg(long, default_value = "sqlite")]
    pub database: String,
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: IngestArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("freight-bench-ingest-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = if args.database == "sqlite" {
        format!("sqlite://{}", dir.join("ingest.db").display())
    } else {
        fresh_postgres(&args.database).await?
    };
    let (drivers, key) = prepare(&url, args.devices).await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("FREIGHT_ADDR", format!("127.0.0.1:{port}"))
        .env("FREIGHT_OSMAND_ADDR", "off")
        .env("FREIGHT_MAX_BODY_BYTES", (16 * 1024 * 1024).to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting freight serve")?;
    let pid = child.id().unwrap_or_default();
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await?;
    let backend = if url.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    println!(
        "freight bench ingest: {} devices, {} s per phase, {backend}, server pid {pid}",
        drivers.len(),
        args.duration_secs
    );
    let mut report = serde_json::Map::new();
    if args.phases.contains("http") {
        report.insert(
            "http".into(),
            http_phase(&base, &key, &drivers, &args).await?,
        );
    }
    if args.phases.contains("ws") {
        report.insert(
            "ws".into(),
            ws_phase(&base, &key, &drivers, &args, pid).await?,
        );
    }
    child.start_kill().ok();
    let _ = child.wait().await;
    let _ = std::fs::remove_dir_all(&dir);
    if args.database != "sqlite" {
        drop_postgres(&args.database, &url).await;
    }
    println!("{}", Value::Object(report));
    Ok(())
}

async fn fresh_postgres(admin_url: &str) -> anyhow::Result<String> {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .context("connecting to PostgreSQL")?;
    let name = format!("freight_bench_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

/// Drops the database the run created (best effort).
async fn drop_postgres(admin_url: &str, url: &str) {
    use sqlx::Connection as _;
    let Some((_, name)) = url.rsplit_once('/') else {
        return;
    };
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

/// Creates an organization with `devices` drivers and an admin API key (a gateway credential).
async fn prepare(url: &str, devices: usize) -> anyhow::Result<(Vec<i64>, String)> {
    let db = Db::connect(url, &DbOptions::default()).await?;
    db.migrate().await?;
    let org =
        crate::db::organizations::create(&db, "Bench Freight", &format!("bench-{}", now_ms()))
            .await?;
    let mut tx = db.begin().await?;
    for chunk in (0..devices).collect::<Vec<_>>().chunks(500) {
        let mut sql = String::from(
            "INSERT INTO drivers (org_id, name, status, home_base_lat, home_base_lon, onboarded_on, created_at, updated_at) VALUES ",
        );
        for (k, i) in chunk.iter().enumerate() {
            if k > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "({org}, 'Bench driver {i}', 'available', 30.27, -97.74, '2024-01-01', 0, 0)"
            ));
        }
        tx.execute(sqlx::query(&sql)).await?;
    }
    let key = crate::auth::api_key::generate();
    tx.execute(
        sqlx::query("INSERT INTO api_keys (org_id, name, prefix, key_hash, role, created_at) VALUES ($1, 'bench', $2, $3, 'admin', 0)")
            .bind(org)
            .bind(&key.prefix)
            .bind(&key.hash),
    )
    .await?;
    tx.commit().await?;
    let ids: Vec<crate::db::NewId> = db
        .fetch_all(sqlx::query_as("SELECT id FROM drivers WHERE org_id = $1 ORDER BY id").bind(org))
        .await?;
    db.close().await;
    Ok((ids.into_iter().map(|r| r.id).collect(), key.secret))
}

async fn wait_ready(base: &str) -> anyhow::Result<()> {
    for _ in 0..600 {
        if let Ok(r) = reqwest::get(format!("{base}/api/health")).await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the server did not become ready")
}

/// The `step`-th fix of a driver: one second and about one metre after the previous one.
fn fix(driver: i64, t: i64, step: i64) -> Value {
    json!({"driver_id": driver, "lat": 30.2 + (step % 100_000) as f64 * 1e-5, "lon": -97.7, "timestamp": t,
           "speed": 1.1, "accuracy": 5.0})
}

async fn http_phase(
    base: &str,
    key: &str,
    drivers: &[i64],
    args: &IngestArgs,
) -> anyhow::Result<Value> {
    let accepted = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::<u32>::new()));
    let deadline = Instant::now() + Duration::from_secs(args.duration_secs);
    let t0 = now_ms() - 24 * 3600 * 1000;
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..args.http_connections.max(1) {
        let mine: Vec<i64> = drivers
            .iter()
            .copied()
            .skip(c)
            .step_by(args.http_connections.max(1))
            .collect();
        let (client, url, key, accepted, latencies, batch) = (
            client.clone(),
            format!("{base}/api/v1/tracking/positions"),
            key.to_string(),
            accepted.clone(),
            latencies.clone(),
            args.batch,
        );
        tasks.push(tokio::spawn(async move {
            let mut k: i64 = 0;
            while Instant::now() < deadline {
                let body: Vec<Value> = (0..batch as i64)
                    .map(|j| {
                        let n = k + j;
                        let driver = mine[(n as usize) % mine.len()];
                        let step = n / mine.len() as i64;
                        fix(driver, t0 + step * 1000, step)
                    })
                    .collect();
                k += batch as i64;
                let sent = Instant::now();
                let Ok(r) = client
                    .post(&url)
                    .header("x-api-key", &key)
                    .json(&body)
                    .send()
                    .await
                else {
                    continue;
                };
                let v: Value = r.json().await.unwrap_or_default();
                latencies
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(sent.elapsed().as_micros() as u32);
                accepted.fetch_add(v["accepted"].as_u64().unwrap_or(0), Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let secs = started.elapsed().as_secs_f64();
    let n = accepted.load(Ordering::Relaxed);
    let lat = percentiles(&mut latencies.lock().unwrap_or_else(|e| e.into_inner()));
    println!(
        "  HTTP batch: {n} fixes in {secs:.1} s = {:.0} fixes/s ({} uploaders x {} fixes/request; request p50 {:.1} ms p99 {:.1} ms)",
        n as f64 / secs,
        args.http_connections,
        args.batch,
        lat.p50_ms,
        lat.p99_ms
    );
    Ok(
        json!({"fixes": n, "seconds": secs, "fixes_per_sec": n as f64 / secs, "request_latency": lat}),
    )
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn ws_phase(
    base: &str,
    key: &str,
    drivers: &[i64],
    args: &IngestArgs,
    pid: u32,
) -> anyhow::Result<Value> {
    let ws_base = base.replacen("http", "ws", 1);
    let rss_before = rss_kb(pid);
    // The live subscriber measuring fan-out lag.
    let (live, _) = tokio_tungstenite::connect_async(format!(
        "{ws_base}/api/v1/tracking/live?access_token={key}"
    ))
    .await?;
    let (_live_tx, mut live_rx) = live.split();
    let lags = Arc::new(Mutex::new(Vec::<u32>::new()));
    let measuring = Arc::new(AtomicBool::new(false));
    let (lags2, measuring2) = (lags.clone(), measuring.clone());
    let subscriber = tokio::spawn(async move {
        while let Some(Ok(msg)) = live_rx.next().await {
            let Message::Text(text) = msg else { continue };
            let now = now_ms();
            let v: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
            if v["type"] != "delta" || !measuring2.load(Ordering::Relaxed) {
                continue;
            }
            let mut lags = lags2.lock().unwrap_or_else(|e| e.into_inner());
            for p in v["positions"].as_array().into_iter().flatten() {
                if let Some(r) = p["received_at"]
                    .as_str()
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                {
                    lags.push(((now - r.timestamp_millis()).max(0) * 1000) as u32);
                }
            }
        }
    });
    // Connect every device.
    let connect_started = Instant::now();
    let acked = Arc::new(AtomicU64::new(0));
    let (go_tx, go) = tokio::sync::watch::channel(false);
    let stop = Arc::new(AtomicBool::new(false));
    let sem = Arc::new(tokio::sync::Semaphore::new(200));
    let t0 = now_ms() - 12 * 3600 * 1000;
    let period = Duration::from_secs_f64(1.0 / args.ws_rate.max(0.01));
    let mut tasks = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<bool>(drivers.len().max(1));
    for (i, &driver) in drivers.iter().enumerate() {
        let url = format!("{ws_base}/api/v1/tracking/ws?access_token={key}&driver_id={driver}");
        let (acked, mut go, stop, sem, ready) = (
            acked.clone(),
            go.clone(),
            stop.clone(),
            sem.clone(),
            ready_tx.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let permit = sem.acquire_owned().await;
            let conn = tokio_tungstenite::connect_async(url).await;
            drop(permit);
            let Ok((ws, _)) = conn else {
                let _ = ready.send(false).await;
                return;
            };
            let _ = ready.send(true).await;
            let (mut tx, mut rx) = ws.split();
            let reader = tokio::spawn(async move {
                while let Some(Ok(msg)) = rx.next().await {
                    if let Message::Text(text) = msg {
                        if let Some(i) = text.as_str().find("\"accepted\":") {
                            let n: String = text.as_str()[i + 11..]
                                .chars()
                                .take_while(char::is_ascii_digit)
                                .collect();
                            acked.fetch_add(n.parse().unwrap_or(0), Ordering::Relaxed);
                        }
                    }
                }
            });
            let _ = go.wait_for(|go| *go).await;
            // Spread devices over the period so load is even.
            tokio::time::sleep(period.mul_f64((i % 1000) as f64 / 1000.0)).await;
            let mut tick = tokio::time::interval(period);
            let mut seq: i64 = 0;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let mut f = fix(driver, t0 + seq * 1000, seq);
                f["seq"] = json!(seq);
                if tx.send(Message::Text(f.to_string().into())).await.is_err() {
                    break;
                }
                seq += 1;
            }
            let _ = tx.send(Message::Close(None)).await;
            reader.abort();
        }));
    }
    drop(ready_tx);
    let (mut connected, mut failed) = (0usize, 0usize);
    while let Some(ok) = ready_rx.recv().await {
        if ok {
            connected += 1
        } else {
            failed += 1
        }
        if connected + failed == drivers.len() {
            break;
        }
    }
    let connect_secs = connect_started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_connected = rss_kb(pid);
    let per_device_kb = (rss_connected.saturating_sub(rss_before)) as f64 / connected.max(1) as f64;
    println!(
        "  WebSocket: {connected} devices connected in {connect_secs:.1} s ({failed} failed); server RSS {} MB -> {} MB = {per_device_kb:.1} KB per connected device",
        rss_before / 1024,
        rss_connected / 1024
    );
    go_tx.send_replace(true);
    tokio::time::sleep(Duration::from_secs(3)).await; // warm-up
    measuring.store(true, Ordering::Relaxed);
    let start_acked = acked.load(Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.duration_secs)).await;
    let n = acked.load(Ordering::Relaxed) - start_acked;
    let secs = started.elapsed().as_secs_f64();
    measuring.store(false, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let rss_loaded = rss_kb(pid);
    let lag = percentiles(&mut lags.lock().unwrap_or_else(|e| e.into_inner()));
    let samples = lags.lock().unwrap_or_else(|e| e.into_inner()).len();
    println!(
        "  WebSocket: {n} acknowledged fixes in {secs:.1} s = {:.0} fixes/s (target {:.0}/s = {connected} x {})",
        n as f64 / secs,
        connected as f64 * args.ws_rate,
        args.ws_rate
    );
    println!(
        "  live fan-out lag (received -> delivered, {samples} samples): p50 {:.0} ms  p99 {:.0} ms  max {:.0} ms; RSS under load {} MB",
        lag.p50_ms,
        lag.p99_ms,
        lag.max_ms,
        rss_loaded / 1024
    );
    for t in tasks {
        t.abort();
    }
    subscriber.abort();
    Ok(json!({
        "devices_connected": connected, "connect_failures": failed, "connect_seconds": connect_secs,
        "fixes": n, "seconds": secs, "fixes_per_sec": n as f64 / secs, "target_per_sec": connected as f64 * args.ws_rate,
        "lag": lag, "lag_samples": samples, "rss_kb_before": rss_before, "rss_kb_connected": rss_connected,
        "rss_kb_loaded": rss_loaded, "kb_per_device": per_device_kb,
    }))
}
