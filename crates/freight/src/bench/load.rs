//! The API load benchmark: N concurrent connections run a mixed shipment workload against a
//! server for a fixed time, then throughput and latency percentiles are printed.
//!
//! Without `--url` it starts its own `freight serve --demo` child process on a free loopback
//! port with a fresh SQLite file (or the `DATABASE_URL` it is given), so one command measures
//! a real separate server process.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

pub use super::child_server::{spawn_server, spawn_server_with, stop_child};
use super::stats::{percentiles, Percentiles};
use super::workload::{new_shipment, pick, Op};
use crate::seed::DEMO_PASSWORD;

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
    pub duration_secs: f64,
    pub requests: u64,
    pub errors: u64,
    pub requests_per_sec: f64,
    pub latency: Percentiles,
    /// The same, for the reads alone and for the writes (create, update) alone.
    pub read_latency: Percentiles,
    pub write_latency: Percentiles,
    /// Read-cache hit rate over the run (from the server's /metrics), when exported.
    pub cache_hit_rate: Option<f64>,
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
            report.cache_hit_rate = cache_hit_rate(&url).await;
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
    println!(
        "freight bench load: {} connections, {:.0} s against {url}",
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
    if let Some(rate) = report.cache_hit_rate {
        println!("  cache hit rate {:.1} %", rate * 100.0);
    }
    if let Ok(json) = serde_json::to_string(report) {
        println!("{json}");
    }
}

/// Data the workers share: the token and what exists to read.
struct Fixture {
    token: String,
    shipment_ids: Vec<i64>,
    customer_ids: Vec<i64>,
}

async fn prepare(client: &reqwest::Client, url: &str, email: &str) -> anyhow::Result<Fixture> {
    let login: Value = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": DEMO_PASSWORD}))
        .send()
        .await?
        .error_for_status()
        .context("login failed: is the server seeded with --demo?")?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .context("no access token")?
        .to_string();
    let ids = |v: &Value| -> Vec<i64> {
        v["data"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x["id"].as_i64()).collect())
            .unwrap_or_default()
    };
    let shipments: Value = client
        .get(format!("{url}/api/v1/shipments?limit=200"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let customers: Value = client
        .get(format!("{url}/api/v1/customers?limit=200"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let fixture = Fixture {
        token,
        shipment_ids: ids(&shipments),
        customer_ids: ids(&customers),
    };
    if fixture.shipment_ids.is_empty() || fixture.customer_ids.is_empty() {
        bail!("the server has no shipments or customers to work with");
    }
    Ok(fixture)
}

async fn drive(url: &str, args: &LoadArgs) -> anyhow::Result<LoadReport> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;
    let fixture = std::sync::Arc::new(prepare(&client, url, &args.email).await?);
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(args.warmup_secs);
    let deadline = measure_from + Duration::from_secs(args.duration_secs);
    let mut workers = Vec::new();
    let write_percent = args.write_percent.min(100);
    for worker in 0..args.connections {
        let (client, url, fixture) = (client.clone(), url.to_string(), fixture.clone());
        workers.push(tokio::spawn(async move {
            worker_loop(
                worker as u64,
                write_percent,
                client,
                url,
                fixture,
                measure_from,
                deadline,
            )
            .await
        }));
    }
    let (mut samples, mut reads, mut writes) = (Vec::new(), Vec::new(), Vec::new());
    let mut errors = 0;
    for w in workers {
        let (s, e) = w.await?;
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
        duration_secs: elapsed,
        requests,
        errors,
        requests_per_sec: requests as f64 / elapsed,
        latency: percentiles(&mut samples),
        read_latency: percentiles(&mut reads),
        write_latency: percentiles(&mut writes),
        cache_hit_rate: None,
    })
}

async fn worker_loop(
    seed: u64,
    write_percent: u32,
    client: reqwest::Client,
    url: String,
    fixture: std::sync::Arc<Fixture>,
    measure_from: Instant,
    deadline: Instant,
) -> (Vec<(Op, u32)>, u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut samples = Vec::with_capacity(16_384);
    let mut errors = 0;
    let mut own: Vec<(i64, i64)> = Vec::new(); // shipments this worker created: (id, version)
    let statuses = [
        "booked",
        "assigned",
        "in_transit",
        "delivered",
        "booked,assigned",
    ];
    let words = [
        "fragile",
        "dock",
        "liftgate",
        "IF-10",
        "widgets",
        "temperature",
    ];
    while Instant::now() < deadline {
        let op = pick(&mut rng, write_percent);
        let own_before_request = own.last().copied();
        let began = Instant::now();
        let request = match op {
            Op::List => client.get(format!("{url}/api/v1/shipments?limit=20")),
            Op::ListByStatus => {
                let s = statuses[rng.gen_range(0..statuses.len())];
                client.get(format!("{url}/api/v1/shipments?limit=20&status={s}"))
            }
            Op::Search => {
                let w = words[rng.gen_range(0..words.len())];
                client.get(format!("{url}/api/v1/shipments?limit=20&q={w}"))
            }
            Op::Get => {
                let id = fixture.shipment_ids[rng.gen_range(0..fixture.shipment_ids.len())];
                client.get(format!("{url}/api/v1/shipments/{id}"))
            }
            Op::Create => {
                let customer = fixture.customer_ids[rng.gen_range(0..fixture.customer_ids.len())];
                client
                    .post(format!("{url}/api/v1/shipments"))
                    .json(&new_shipment(&mut rng, customer))
            }
            Op::Update => match own.last() {
                Some((id, version)) => client
                    .patch(format!("{url}/api/v1/shipments/{id}"))
                    .header("If-Match", format!("\"{version}\""))
                    .json(&json!({"notes": format!("updated by load test {}", rng.gen::<u32>())})),
                None => client.get(format!("{url}/api/v1/shipments?limit=20")),
            },
        };
        let outcome = request.bearer_auth(&fixture.token).send().await;
        let ok = match outcome {
            Ok(response) if response.status().is_success() => {
                if matches!(op, Op::Create | Op::Update) && !(op == Op::Update && own.is_empty()) {
                    if let Ok(body) = response.json::<Value>().await {
                        if let (Some(id), Some(v)) = (body["id"].as_i64(), body["version"].as_i64())
                        {
                            if op == Op::Update {
                                own.pop();
                            }
                            own.push((id, v));
                        }
                    }
                } else {
                    let _ = response.bytes().await;
                }
                true
            }
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                if errors < 3 {
                    eprintln!("{op:?} answered {status}: {body:.300}");
                }
                false
            }
            Err(e) => {
                if errors < 3 {
                    eprintln!("{op:?} failed: {e:#}");
                }
                false
            }
        };
        if began >= measure_from && Instant::now() <= deadline {
            let us = began.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
            // An update before this worker created anything is sent as a list.
            let sent = match op == Op::Update && own_before_request.is_none() {
                true => Op::List,
                false => op,
            };
            samples.push((sent, us));
            if !ok {
                errors += 1;
            }
        }
    }
    (samples, errors)
}

/// Hits / (hits + misses) summed over `cache_requests_total` on the server's /metrics.
async fn cache_hit_rate(url: &str) -> Option<f64> {
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let (mut hits, mut all) = (0.0, 0.0);
    for line in text
        .lines()
        .filter(|l| l.starts_with("cache_requests_total{"))
    {
        let value: f64 = line.rsplit(' ').next()?.parse().ok()?;
        all += value;
        if line.contains("outcome=\"hit\"") {
            hits += value;
        }
    }
    (all > 0.0).then(|| hits / all)
}
