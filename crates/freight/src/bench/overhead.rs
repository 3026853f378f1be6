//! `freight bench overhead`: what metrics, tracing and rate limiting cost in throughput.
//!
//! Runs the API load benchmark twice against fresh servers of the same build: once with
//! metrics on, OpenTelemetry exporting every span to a local OTLP receiver (inside this
//! process) and rate limiting on (limits set high so that the accounting runs but nothing is
//! refused), and once with all three off. Prints both throughputs and the difference.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::load::{self, LoadArgs, LoadReport};

/// Options for `freight bench overhead`.
#[derive(Debug, Clone, clap::Args)]
pub struct OverheadArgs {
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    #[arg(long, default_value_t = 15)]
    pub duration_secs: u64,
}

/// Starts a receiver that accepts OTLP/HTTP trace exports and counts the bytes.
async fn start_sink() -> anyhow::Result<(String, Arc<AtomicU64>)> {
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(body.len() as u64, Ordering::Relaxed);
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, received))
}

async fn measure(env: &[(&str, &str)], args: &OverheadArgs) -> anyhow::Result<LoadReport> {
    let (mut child, url) = load::spawn_server_with(env).await?;
    let load_args = LoadArgs {
        url: Some(url),
        connections: args.connections,
        duration_secs: args.duration_secs,
        warmup_secs: 3,
        write_percent: 20,
        email: "dispatch@infamousfreight.demo".into(),
    };
    let report = load::run(load_args).await;
    load::stop_child(&mut child).await;
    report
}

/// Runs both configurations and prints the comparison.
pub async fn run(args: OverheadArgs) -> anyhow::Result<()> {
    let (sink, received) = start_sink().await?;
    let high = "10000000/900+0";
    println!("== with metrics, tracing (OTLP to {sink}) and rate limiting");
    let on = measure(
        &[
            ("FREIGHT_METRICS", "on"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &sink),
            ("FREIGHT_RATE_LIMITS", "on"),
            ("FREIGHT_RATE_LIMIT_GENERAL", high),
            ("FREIGHT_RATE_LIMIT_AUTH", high),
        ],
        &args,
    )
    .await?;
    println!("== with all three off");
    let off = measure(
        &[
            ("FREIGHT_METRICS", "off"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
            ("FREIGHT_RATE_LIMITS", "off"),
        ],
        &args,
    )
    .await?;
    let cost = (off.requests_per_sec - on.requests_per_sec) / off.requests_per_sec * 100.0;
    println!();
    println!(
        "on : {:>8.0} req/s  p50 {:.2} ms  p99 {:.2} ms",
        on.requests_per_sec, on.latency.p50_ms, on.latency.p99_ms
    );
    println!(
        "off: {:>8.0} req/s  p50 {:.2} ms  p99 {:.2} ms",
        off.requests_per_sec, off.latency.p50_ms, off.latency.p99_ms
    );
    println!("throughput cost of metrics + tracing + rate limiting: {cost:.1} %");
    println!(
        "OTLP bytes received by the local collector: {}",
        received.load(Ordering::Relaxed)
    );
    Ok(())
}
