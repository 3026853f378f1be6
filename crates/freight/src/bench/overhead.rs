//! `freight bench overhead`: what metrics, tracing and rate limiting cost in throughput.
//!
//! Starts two servers of the same build: one with metrics on, OpenTelemetry exporting every
//! span to a local OTLP receiver (inside this process) and rate limiting on (limits set high
//! so that the accounting runs but nothing is refused), and one with all three off. After a
//! warm-up of each, the API load benchmark drives them in alternating slices of a few seconds
//! (on/off, then off/on, …), so that the two shared cores speeding up or slowing down over a
//! run (they swing by ±15 % between runs tens of seconds apart) weighs on both alike. Besides
//! throughput it prints the server's own CPU time per request (from `/proc/<pid>/stat` on
//! Linux), which the client's share of the cores does not blur.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;

use super::load::{self, LoadArgs, LoadReport};

/// Options for `freight bench overhead`.
#[derive(Debug, Clone, clap::Args)]
pub struct OverheadArgs {
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Measured seconds per configuration, split into slices.
    #[arg(long, default_value_t = 20)]
    pub duration_secs: u64,
    /// Seconds per slice.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub slice_secs: u64,
}

/// One server under test and what its slices added up to.
struct Server {
    name: &'static str,
    child: tokio::process::Child,
    url: String,
    requests: u64,
    /// Requests sent to `/api/v1/shipments…` over the whole run, warm-up included.
    sent: u64,
    seconds: f64,
    cpu_seconds: Option<f64>,
    last: Option<LoadReport>,
}

/// What the local OTLP receiver got: the request bodies, kept as they came and decoded only
/// after the run, so that counting spans costs the measured cores nothing.
#[derive(Default)]
struct Received {
    bodies: Mutex<Vec<Bytes>>,
}

/// Spans counted in what the receiver got.
#[derive(Debug, Default)]
struct SpanCount {
    bytes: u64,
    spans: u64,
    statements: u64,
    /// Server spans of requests to `/api/v1/shipments…` (the workload's routes).
    shipment_requests: u64,
    undecodable: u64,
}

impl Received {
    fn count(&self) -> SpanCount {
        use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
        use opentelemetry_proto::tonic::common::v1::any_value::Value;
        use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
        use prost::Message as _;
        let bodies = self.bodies.lock().map(|b| b.clone()).unwrap_or_default();
        let mut count = SpanCount::default();
        for body in bodies {
            count.bytes += body.len() as u64;
            let Ok(export) = ExportTraceServiceRequest::decode(body) else {
                count.undecodable += 1;
                continue;
            };
            let spans = export
                .resource_spans
                .into_iter()
                .flat_map(|r| r.scope_spans)
                .flat_map(|s| s.spans);
            for span in spans {
                count.spans += 1;
                if span.kind == SpanKind::Client as i32 && span.name == "db.query" {
                    count.statements += 1;
                }
                let shipments = span.attributes.iter().any(|a| {
                    a.key == "http.target"
                        && matches!(
                            a.value.as_ref().and_then(|v| v.value.as_ref()),
                            Some(Value::StringValue(path)) if path.starts_with("/api/v1/shipments")
                        )
                });
                if span.kind == SpanKind::Server as i32 && shipments {
                    count.shipment_requests += 1;
                }
            }
        }
        count
    }
}

/// Starts a receiver that accepts OTLP/HTTP trace exports and keeps them. It runs on a
/// thread of its own: the load generator's runtime has one thread, and the receiver's work
/// must not delay the instrumented server's requests on it.
async fn start_sink() -> anyhow::Result<(String, Arc<Received>)> {
    let received = Arc::new(Received::default());
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: Bytes| {
            let kept = kept.clone();
            async move {
                if let Ok(mut bodies) = kept.bodies.lock() {
                    bodies.push(body);
                }
                ""
            }
        }),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let url = format!("http://{}", listener.local_addr()?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("otlp-receiver".into())
        .spawn(move || {
            runtime.block_on(async move {
                if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                    let _ = axum::serve(listener, app).await;
                }
            })
        })?;
    Ok((url, received))
}

/// User plus system CPU time of a process in seconds (Linux `/proc`), `None` elsewhere.
fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let per_second = rustix::param::clock_ticks_per_second() as f64;
    Some(ticks / per_second)
}

impl Server {
    async fn start(name: &'static str, env: &[(&str, &str)]) -> anyhow::Result<Server> {
        let (child, url) = load::spawn_server_with(env).await?;
        Ok(Server {
            name,
            child,
            url,
            requests: 0,
            sent: 0,
            seconds: 0.0,
            cpu_seconds: Some(0.0),
            last: None,
        })
    }

    fn load_args(&self, args: &OverheadArgs, duration_secs: u64) -> LoadArgs {
        LoadArgs {
            url: Some(self.url.clone()),
            connections: args.connections,
            duration_secs,
            warmup_secs: 0,
            write_percent: 20,
            rate: None,
            email: "dispatch@infamousfreight.demo".into(),
        }
    }

    /// Drives the server for one slice and adds it to the totals.
    async fn slice(&mut self, args: &OverheadArgs) -> anyhow::Result<()> {
        let before = cpu_seconds(self.child.id());
        let report = load::run_quiet(self.load_args(args, args.slice_secs)).await?;
        let after = cpu_seconds(self.child.id());
        if report.errors * 100 > report.requests.max(1) {
            anyhow::bail!(
                "{}: {} of {} requests failed",
                self.name,
                report.errors,
                report.requests
            );
        }
        self.requests += report.requests;
        self.sent += report.sent;
        self.seconds += report.duration_secs;
        self.cpu_seconds = match (self.cpu_seconds, before, after) {
            (Some(total), Some(b), Some(a)) => Some(total + a - b),
            _ => None,
        };
        println!("  {:<3} {}", self.name, describe(&report));
        self.last = Some(report);
        Ok(())
    }

    fn requests_per_sec(&self) -> f64 {
        self.requests as f64 / self.seconds.max(f64::MIN_POSITIVE)
    }

    fn cpu_us_per_request(&self) -> Option<f64> {
        let cpu = self.cpu_seconds?;
        (self.requests > 0).then(|| cpu * 1e6 / self.requests as f64)
    }
}

fn describe(report: &LoadReport) -> String {
    format!(
        "{:>7.0} req/s  p50 {:.2} ms  p99 {:.2} ms  cache hit {:.1} %",
        report.requests_per_sec,
        report.latency.p50_ms,
        report.latency.p99_ms,
        report.cache_hit_rate.unwrap_or(f64::NAN) * 100.0
    )
}

/// Runs both configurations in alternating slices and prints the comparison.
pub async fn run(args: OverheadArgs) -> anyhow::Result<()> {
    let (sink, received) = start_sink().await?;
    let high = "10000000/900+0";
    let on_env = [
        ("FREIGHT_METRICS", "on"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", sink.as_str()),
        ("FREIGHT_RATE_LIMITS", "on"),
        ("FREIGHT_RATE_LIMIT_GENERAL", high),
        ("FREIGHT_RATE_LIMIT_AUTH", high),
    ];
    let off_env = [
        ("FREIGHT_METRICS", "off"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
        ("FREIGHT_RATE_LIMITS", "off"),
    ];
    println!("on  = metrics, tracing (OTLP to {sink}) and rate limiting; off = all three off");
    let mut on = Server::start("on", &on_env).await?;
    let mut off = Server::start("off", &off_env).await?;
    let outcome = alternate(&mut on, &mut off, &args).await;
    load::stop_child(&mut on.child).await;
    load::stop_child(&mut off.child).await;
    outcome?;
    let (on_rps, off_rps) = (on.requests_per_sec(), off.requests_per_sec());
    println!();
    for server in [&on, &off] {
        let cpu = server
            .cpu_us_per_request()
            .map(|us| format!("  server CPU {us:.0} µs/request"))
            .unwrap_or_default();
        println!(
            "{:<3}: {:>7.0} req/s over {:.0} s{cpu}",
            server.name,
            server.requests_per_sec(),
            server.seconds
        );
    }
    println!(
        "throughput cost of metrics + tracing + rate limiting: {:.1} %",
        (off_rps - on_rps) / off_rps * 100.0
    );
    if let (Some(a), Some(b)) = (on.cpu_us_per_request(), off.cpu_us_per_request()) {
        println!("server CPU per request: {:+.1} %", (a - b) / b * 100.0);
    }
    // The instrumented server has stopped, and flushed its last spans on the way out.
    let count = received.count();
    println!(
        "OTLP received by the local collector: {} bytes, {} spans ({} database statements)",
        count.bytes, count.spans, count.statements
    );
    println!(
        "request spans for /api/v1/shipments: {} for {} such requests sent{}",
        count.shipment_requests,
        on.sent,
        match (count.shipment_requests >= on.sent, count.undecodable) {
            (true, 0) => " (none lost)".to_string(),
            (false, _) => " (SPANS WERE LOST)".to_string(),
            (true, n) => format!(" ({n} exports could not be decoded)"),
        }
    );
    Ok(())
}

/// Warms both servers, then drives them in slices, swapping the order every round.
async fn alternate(on: &mut Server, off: &mut Server, args: &OverheadArgs) -> anyhow::Result<()> {
    for server in [&mut *on, &mut *off] {
        let warm_up = load::run_quiet(server.load_args(args, 3)).await?;
        server.sent += warm_up.sent;
    }
    let rounds = args.duration_secs.div_ceil(args.slice_secs).max(1);
    for round in 0..rounds {
        println!("slice {} of {rounds}", round + 1);
        if round % 2 == 0 {
            on.slice(args).await?;
            off.slice(args).await?;
        } else {
            off.slice(args).await?;
            on.slice(args).await?;
        }
    }
    Ok(())
}
