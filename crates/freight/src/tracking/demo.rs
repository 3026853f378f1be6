//! `serve --demo` keeps the demo fleet moving on its own: every demo driver with a vehicle
//! follows one of the real bus traces shipped in `data/gps/` (at real speed, each from a
//! different phase), reporting a fix every few seconds through the same pipeline as a phone
//! would, so the live map, geofences and ETAs have something to show without any client.

use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::fix::{Fix, Source, Subject};
use super::traces::{self, Trace};
use crate::db::organizations;
use crate::domain::time::now_ms;
use crate::seed::DEMO_ORG_SLUG;
use crate::state::AppState;

/// Seconds between two fixes of one demo vehicle.
pub const INTERVAL: Duration = Duration::from_secs(5);

/// Starts the mover; it ends when the server shuts down.
pub fn spawn(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = run(state).await {
            tracing::warn!(error = %e, "demo fleet stopped");
        }
    })
}

async fn run(state: AppState) -> anyhow::Result<()> {
    let Some(org) = organizations::find_by_slug(&state.db, DEMO_ORG_SLUG).await? else {
        anyhow::bail!("no demo organization: run with --demo on a fresh database");
    };
    let traces = traces::shipped();
    let mut fleet: Vec<(Subject, &Trace, i64)> = Vec::new();
    let drivers = super::store::drivers_with_vehicles(&state.db, org.id).await?;
    for (i, driver) in drivers.iter().enumerate() {
        if let Some(subject) = state.tracking.driver_subject(org.id, *driver).await? {
            let trace = &traces[i % traces.len()];
            let phase = trace.span() * (i / traces.len()) as i64 / 3;
            fleet.push((subject, trace, phase));
        }
    }
    tracing::info!(vehicles = fleet.len(), "demo fleet moving");
    let started = Instant::now();
    let mut tick = tokio::time::interval(INTERVAL);
    let stopping = state.tracking.stopping();
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = &mut stopping => return Ok(()),
        }
        let now = now_ms();
        let elapsed = started.elapsed().as_millis() as i64;
        let fixes: Vec<Fix> = fleet
            .iter()
            .map(|(subject, trace, phase)| {
                let (lat, lon, speed, heading) = trace.at(elapsed + phase);
                Fix {
                    subject: *subject,
                    source: Source::Demo,
                    fix_time: now,
                    received_at: now,
                    lat,
                    lon,
                    speed: Some(speed),
                    heading: Some(heading),
                    accuracy: Some(5.0),
                    altitude: None,
                    battery: Some(100.0 - (elapsed as f64 / 360_000.0).min(80.0)),
                    attributes: None,
                }
            })
            .collect();
        if state.tracking.ingest(fixes).await.is_err() {
            return Ok(()); // shutting down
        }
    }
}
