//! `freight simulate`: replays the shipped real bus traces against a running server over the
//! real protocols — the driver-app WebSocket and OsmAnd — time-compressed, with N devices.
//!
//! It logs in as an admin (the demo admin by default), registers one device per simulated
//! vehicle on an existing driver, then plays each trace. Fix timestamps keep the trace's real
//! spacing, anchored so the last fix lands at "now": compressing wall time must not compress
//! the fixes' own clock, or every bus would look like a teleport.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use super::traces::{self, Trace};
use crate::domain::time::now_ms;
use crate::seed::DEMO_PASSWORD;

/// Options for `freight simulate`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Base URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:3001")]
    pub url: String,
    /// Base URL for OsmAnd reports (e.g. the dedicated port `http://127.0.0.1:5055`); default: `--url`.
    #[arg(long)]
    pub osmand_url: Option<String>,
    /// Admin login used to register the simulated devices.
    #[arg(long, default_value = "admin@infamousfreight.demo")]
    pub email: String,
    #[arg(long, env = "FREIGHT_SIMULATE_PASSWORD", default_value = DEMO_PASSWORD, hide_default_value = true)]
    pub password: String,
    /// Simulated devices (at most one per driver of the organization).
    #[arg(long, default_value_t = 20)]
    pub devices: usize,
    /// Time compression: 60 plays one hour of traces in one minute.
    #[arg(long, default_value_t = 60.0)]
    pub speedup: f64,
    /// `ws`, `osmand`, or `mixed` (alternating per device).
    #[arg(long, default_value = "mixed")]
    pub protocol: String,
    /// Stop after this many seconds (default: when the traces end).
    #[arg(long)]
    pub duration_secs: Option<u64>,
}

#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    acked: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

/// Runs the simulation and prints a summary.
pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.speedup > 0.0, "--speedup must be positive");
    let base = args.url.trim_end_matches('/').to_string();
    let osmand_base = args
        .osmand_url
        .clone()
        .unwrap_or_else(|| base.clone())
        .trim_end_matches('/')
        .to_string();
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": args.email, "password": args.password}))
        .send()
        .await
        .context("reaching the server")?
        .json()
        .await?;
    let Some(token) = login["access_token"].as_str().map(str::to_string) else {
        bail!("login failed: {login}")
    };
    // Every page of drivers, until there are enough for the devices asked for.
    let mut driver_ids: Vec<i64> = Vec::new();
    let mut cursor = String::new();
    while driver_ids.len() < args.devices {
        let page: Value = client
            .get(format!("{base}/api/v1/drivers?limit=200{cursor}"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        let ids = page["data"].as_array().into_iter().flatten();
        driver_ids.extend(ids.filter_map(|d| d["id"].as_i64()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    if driver_ids.is_empty() {
        bail!("the organization has no drivers (seed it with `freight seed --demo`)");
    }
    let devices = args.devices.min(driver_ids.len());
    if devices < args.devices {
        println!(
            "only {} drivers available: simulating {devices} devices",
            driver_ids.len()
        );
    }
    let traces = traces::shipped();
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let deadline = args.duration_secs.map(|s| started + Duration::from_secs(s));
    let mut tasks = Vec::new();
    for (i, driver) in driver_ids.iter().take(devices).enumerate() {
        let trace = traces[i % traces.len()].clone();
        let identifier = format!("sim-{}-{driver}", trace.vehicle);
        let reply = client
            .post(format!("{base}/api/v1/tracking/devices"))
            .bearer_auth(&token)
            .json(&json!({"identifier": identifier, "name": format!("Simulated bus {}", trace.vehicle), "driver_id": driver}))
            .send()
            .await?;
        if !(reply.status().is_success() || reply.status() == reqwest::StatusCode::CONFLICT) {
            bail!(
                "registering {identifier}: {} {}",
                reply.status(),
                reply.text().await.unwrap_or_default()
            );
        }
        let use_ws = match args.protocol.as_str() {
            "ws" => true,
            "osmand" => false,
            "mixed" => i % 2 == 0,
            other => bail!("unknown --protocol {other} (ws, osmand, mixed)"),
        };
        let device = Device {
            identifier,
            trace,
            speedup: args.speedup,
            deadline,
            tally: tally.clone(),
        };
        tasks.push(if use_ws {
            let url = format!(
                "{}/api/v1/tracking/ws?access_token={token}&device={}",
                base.replacen("http", "ws", 1),
                device.identifier
            );
            tokio::spawn(device.play_ws(url))
        } else {
            tokio::spawn(device.play_osmand(client.clone(), osmand_base.clone()))
        });
    }
    println!(
        "simulating {devices} devices ({}) at {}x against {base}",
        args.protocol, args.speedup
    );
    for t in tasks {
        if let Ok(Err(e)) = t.await {
            eprintln!("device stopped: {e:#}");
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let sent = tally.sent.load(Ordering::Relaxed);
    println!(
        "sent {sent} fixes in {secs:.1} s ({:.0}/s): stored {}, dropped {}, failed {}",
        sent as f64 / secs,
        tally.acked.load(Ordering::Relaxed),
        tally.dropped.load(Ordering::Relaxed),
        tally.failed.load(Ordering::Relaxed)
    );
    Ok(())
}

struct Device {
    identifier: String,
    trace: Trace,
    speedup: f64,
    deadline: Option<Instant>,
    tally: Arc<Tally>,
}

impl Device {
    /// Waits for each ping's compressed moment; yields (fix timestamp, ping).
    async fn next(
        &self,
        start: Instant,
        anchor: i64,
        i: usize,
    ) -> Option<(i64, traces::TracePoint)> {
        let p = *self.trace.points.get(i)?;
        let offset = p.t - self.trace.points[0].t;
        let due = start + Duration::from_secs_f64(offset as f64 / 1000.0 / self.speedup);
        if self.deadline.is_some_and(|d| due > d) {
            return None;
        }
        tokio::time::sleep_until(due.into()).await;
        Some((anchor + offset, p))
    }

    async fn play_ws(self, url: String) -> anyhow::Result<()> {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .context("WebSocket connect")?;
        let (mut sink, mut stream) = ws.split();
        let tally = self.tally.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(text) = msg else { continue };
                let v: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                if v["type"] == "ack" {
                    tally
                        .acked
                        .fetch_add(v["accepted"].as_u64().unwrap_or(0), Ordering::Relaxed);
                    tally.dropped.fetch_add(
                        v["dropped"].as_array().map_or(0, |d| d.len() as u64),
                        Ordering::Relaxed,
                    );
                } else {
                    tally.failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        let start = Instant::now();
        let anchor = now_ms() - self.trace.span();
        let mut seq = 0u64;
        while let Some((t, p)) = self.next(start, anchor, seq as usize).await {
            let msg = json!({"seq": seq, "lat": p.lat, "lon": p.lon, "speed": p.speed, "accuracy": 10.0, "timestamp": t});
            sink.send(Message::Text(msg.to_string().into())).await?;
            self.tally.sent.fetch_add(1, Ordering::Relaxed);
            seq += 1;
        }
        // Give the last acks a moment, then close.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let _ = sink.send(Message::Close(None)).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
        Ok(())
    }

    async fn play_osmand(self, client: reqwest::Client, base: String) -> anyhow::Result<()> {
        let start = Instant::now();
        let anchor = now_ms() - self.trace.span();
        let mut i = 0;
        while let Some((t, p)) = self.next(start, anchor, i).await {
            let url = format!(
                "{base}/osmand?id={}&lat={}&lon={}&timestamp={}&speed={:.2}&accuracy=10",
                self.identifier,
                p.lat,
                p.lon,
                t / 1000,
                p.speed / super::osmand::KNOT_MPS
            );
            self.tally.sent.fetch_add(1, Ordering::Relaxed);
            match client.get(url).send().await {
                Ok(r) if r.status().is_success() => {
                    self.tally.acked.fetch_add(1, Ordering::Relaxed)
                }
                _ => self.tally.failed.fetch_add(1, Ordering::Relaxed),
            };
            i += 1;
        }
        Ok(())
    }
}
