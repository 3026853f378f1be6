//! The API load benchmark: N concurrent connections run a mixed shipment workload against a
//! server for a fixed time, then throughput and latency percentiles are printed.
//!
//! Without `--url` it starts its own `freight serve --demo` child process on a free loopback
//! port with a fresh SQLite file (or the `DATABASE_URL` it is given), so one command measures
//! a real separate server process.

use std::time::{Duration, Instant};

use anyhow::bail;

pub use super::child_server::{spawn_server, spawn_server_with, stop_child};
use super::stats::{percentiles, Percentiles};
use super::worker::{prepare, worker_loop, Schedule, SETUP_SHIPMENT_LISTS};

/// Options for `freight bench load`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Base URL of a running server; when omitted a server is started for the run.
    #[arg(long)]
    pub url: Option<String>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Measured duration in seconds (after warm-up).
    #[arg(long, default_value_t = 20)]
    pub duration_secs: u64,
    /// Warm-up seconds, not measured.
    #[arg(long, default_value_t = 3)]
    pub warmup_secs: u64,
    /// Share of requests that write (half create, half update), in percent. The default 20 is
    /// a stress mix; a dispatch floor is closer to 2.
    #[arg(long, default_value_t = 20)]
    pub write_percent: u32,
    /// Offered load in requests per second over all connections. Without it every
    /// connection sends its next request the moment the last one is answered (a closed
    /// loop: the server runs saturated and the figures are its capacity). With it each
    /// connection sends on a fixed schedule, and a request's latency counts from when the
    /// schedule said to send it, so time spent waiting behind a slow answer is measured,
    /// not hidden (no coordinated omission).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Login used for the workload.
    #[arg(long, default_value = "dispatch@infamousfreight.demo")]
    pub email: String,
}

/// The result of a run.
#[derive(Debug, serde::Serialize)]
pub struct LoadReport {
    /// The server driven.
    pub url: String,
    pub connections: usize,
    /// The offered load (`--rate`), when the run was paced.
    pub offered_rate: Option<f64>,
    pub duration_secs: f64,
    pub requests: u64,
    pub errors: u64,
    /// Requests sent to `/api/v1/shipments…`: the workload's, warm-up included, and the
    /// set-up's one listing.
    pub sent: u64,
    pub requests_per_sec: f64,
    pub latency: Percentiles,
    /// The same, for the reads alone and for the writes (create, update) alone.
    pub read_latency: Percentiles,
    pub write_latency: Percentiles,
    /// Read-cache hit rate over the run (from the server's /metrics), when exported.
    pub cache_hit_rate: Option<f64>,
    /// Share of cache lookups that waited for a concurrent load of the same key (counted
    /// as misses in the hit rate).
    pub cache_coalesced_rate: Option<f64>,
    /// Share of cache lookups that were hits on a first page taking in new bookings from
    /// the creation log (counted in the hit rate: no query ran).
    pub cache_spliced_rate: Option<f64>,
}

/// Runs the benchmark and prints the report.
pub async fn run(args: LoadArgs) -> anyhow::Result<LoadReport> {
    let report = run_quiet(args).await?;
    print(&report);
    Ok(report)
}

/// Runs the benchmark and returns the report without printing it.
pub async fn run_quiet(args: LoadArgs) -> anyhow::Result<LoadReport> {
    let mut child = None;
    let url = match &args.url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let (c, url) = spawn_server().await?;
            child = Some(c);
            url
        }
    };
    let result = match drive(&url, &args).await {
        Ok(mut report) => {
            if let Some(rates) = cache_rates(&url).await {
                report.cache_hit_rate = Some(rates.hit);
                report.cache_coalesced_rate = Some(rates.coalesced);
                report.cache_spliced_rate = Some(rates.spliced);
            }
            Ok(report)
        }
        Err(e) => Err(e),
    };
    if let Some(mut c) = child {
        stop_child(&mut c).await;
    }
    result
}

fn print(report: &LoadReport) {
    let url = report.url.as_str();
    if report.errors * 100 > report.requests.max(1) {
        eprintln!(
            "warning: {} of {} requests failed; the figures below are not valid",
            report.errors, report.requests
        );
    }
    let pacing = match report.offered_rate {
        Some(rate) => format!(", paced at {rate:.0} req/s"),
        None => String::new(),
    };
    println!(
        "freight bench load: {} connections{pacing}, {:.0} s against {url}",
        report.connections, report.duration_secs
    );
    println!(
        "  requests {}  errors {}  throughput {:.0} req/s",
        report.requests, report.errors, report.requests_per_sec
    );
    for (label, p) in [
        ("latency", &report.latency),
        ("  reads", &report.read_latency),
        (" writes", &report.write_latency),
    ] {
        println!(
            "  {label} p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            p.p50_ms, p.p90_ms, p.p99_ms, p.max_ms
        );
    }
    if let (Some(hit), Some(coalesced), Some(spliced)) = (
        report.cache_hit_rate,
        report.cache_coalesced_rate,
        report.cache_spliced_rate,
    ) {
        println!(
            "  cache hit rate {:.1} %  (of lookups: spliced hits {:.1} %, coalesced misses {:.1} %)",
            hit * 100.0,
            spliced * 100.0,
            coalesced * 100.0
        );
    }
    if let Ok(json) = serde_json::to_string(report) {
        println!("{json}");
    }
}

async fn drive(url: &str, args: &LoadArgs) -> anyhow::Result<LoadReport> {
    let client = reqwest::Client::new();
    let fixture = std::sync::Arc::new(prepare(&client, url, &args.email).await?);
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(args.warmup_secs);
    let deadline = measure_from + Duration::from_secs(args.duration_secs);
    let mut workers = Vec::new();
    let write_percent = args.write_percent.min(100);
    if let Some(rate) = args.rate {
        if !(rate.is_finite() && rate > 0.0) {
            bail!("--rate must be a positive number of requests per second, not {rate}");
        }
    }
    for worker in 0..args.connections {
        let (url, fixture) = (url.to_string(), fixture.clone());
        workers.push(tokio::spawn(worker_loop(
            worker as u64,
            write_percent,
            url,
            fixture,
            args.rate
                .map(|rate| Schedule::new(rate, worker, args.connections, start)),
            (measure_from, deadline),
        )));
    }
    let (mut samples, mut reads, mut writes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut errors, mut sent) = (0, SETUP_SHIPMENT_LISTS);
    for w in workers {
        let (s, e, n) = w.await??;
        sent += n;
        for (op, us) in s {
            samples.push(us);
            match op.writes() {
                true => writes.push(us),
                false => reads.push(us),
            }
        }
        errors += e;
    }
    let elapsed = args.duration_secs as f64;
    let requests = samples.len() as u64;
    Ok(LoadReport {
        url: url.to_string(),
        connections: args.connections,
        offered_rate: args.rate,
        duration_secs: elapsed,
        requests,
        errors,
        sent,
        requests_per_sec: requests as f64 / elapsed,
        latency: percentiles(&mut samples),
        read_latency: percentiles(&mut reads),
        write_latency: percentiles(&mut writes),
        cache_hit_rate: None,
        cache_coalesced_rate: None,
        cache_spliced_rate: None,
    })
}

/// Shares of all cache lookups, from the server's /metrics.
struct CacheRates {
    hit: f64,
    coalesced: f64,
    spliced: f64,
}

/// Hits, coalesced misses and spliced hits over all lookups, summed over
/// `cache_requests_total` and `cache_spliced_total` on the server's /metrics.
async fn cache_rates(url: &str) -> Option<CacheRates> {
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let (mut hits, mut coalesced, mut spliced, mut all) = (0.0, 0.0, 0.0, 0.0);
    for line in text.lines() {
        let counts_lookups = line.starts_with("cache_requests_total{");
        if !counts_lookups && !line.starts_with("cache_spliced_total{") {
            continue;
        }
        let value: f64 = line.rsplit(' ').next()?.parse().ok()?;
        if !counts_lookups {
            spliced += value;
            continue;
        }
        all += value;
        if line.contains("outcome=\"hit\"") {
            hits += value;
        }
        if line.contains("outcome=\"coalesced\"") {
            coalesced += value;
        }
    }
    (all > 0.0).then(|| CacheRates {
        hit: hits / all,
        coalesced: coalesced / all,
        spliced: spliced / all,
    })
}
