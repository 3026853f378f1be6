//! Logs and traces.
//!
//! Logs are human-readable by default and JSON with `LOG_FORMAT=json`, filtered by
//! `RUST_LOG` (default `info`). When `OTEL_EXPORTER_OTLP_ENDPOINT` is set, every span (one
//! per request, one per statement except `BEGIN`/`COMMIT`, solver runs, WebSocket batches)
//! is also exported over OTLP/HTTP to that collector (Jaeger and every OpenTelemetry collector accept it). The
//! request span joins the caller's trace when a W3C `traceparent` header arrives, and the
//! trace id appears in log lines, in problem+json bodies and in the response `traceparent`.
//!
//! Statement spans skip `tracing` and go straight to the OpenTelemetry SDK
//! ([`record_statement`]), made once the statement has finished with its measured start and
//! end. As `tracing` spans they were the larger part of what tracing cost per request:
//! registering each in the span registry, entering and leaving it on every poll of the
//! statement's future, and the layer's bookkeeping, for a span no log line ever showed.

use std::sync::RwLock;
use std::time::SystemTime;

use axum::http::{HeaderMap, HeaderValue};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{Span as _, SpanKind, Status, Tracer as _};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry::KeyValue;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tracing::{Level, Subscriber};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// Keeps the trace exporter alive; call [`Telemetry::shutdown`] before exit to flush spans.
#[derive(Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes and stops the exporter.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            let _ = provider.shutdown();
        }
    }
}

/// Installs the global subscriber (logs, and traces when configured). Later calls do nothing.
pub fn init() -> Telemetry {
    let json = std::env::var("LOG_FORMAT")
        .map(|v| v.eq_ignore_ascii_case("json"))
        .unwrap_or(false);
    let log_layer = if json {
        fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed()
    } else {
        fmt::layer().with_target(true).boxed()
    };
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty());
    let (otel, provider) = match endpoint
        .as_deref()
        .map(|e| trace_layer(&format!("{}/v1/traces", e.trim_end_matches('/'))))
    {
        Some(Ok((layer, provider))) => (Some(layer), Some(provider)),
        Some(Err(e)) => {
            eprintln!("OpenTelemetry export disabled: {e}");
            (None, None)
        }
        None => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(log_layer.with_filter(log_filter()))
        .with(otel)
        .try_init();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    Telemetry { provider }
}

/// The log filter from `RUST_LOG` (default `info,sqlx=warn`). Plain `target=level` lists
/// become a static [`Targets`] filter, which costs nothing per span entered; directives that
/// match span names or fields need an [`EnvFilter`].
fn log_filter<S>() -> Box<dyn tracing_subscriber::layer::Filter<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let spec = std::env::var("RUST_LOG")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "info,sqlx=warn".to_string());
    if let Ok(targets) = spec.parse::<Targets>() {
        return Box::new(targets);
    }
    match EnvFilter::try_new(&spec) {
        Ok(filter) => Box::new(filter),
        Err(e) => {
            eprintln!("RUST_LOG={spec:?} is not a valid filter ({e}); logging at info");
            Box::new(Targets::new().with_default(Level::INFO))
        }
    }
}

/// An OpenTelemetry layer exporting spans to `traces_url` (a full OTLP/HTTP `/v1/traces` URL),
/// and its provider (keep it to flush). Request spans are kept at `info`; statement spans go
/// to the same provider through [`record_statement`].
pub fn trace_layer<S>(
    traces_url: &str,
) -> anyhow::Result<(Box<dyn Layer<S> + Send + Sync>, SdkTracerProvider)>
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(traces_url)
        .with_timeout(std::time::Duration::from_secs(5))
        .build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name("freight").build())
        .build();
    let tracer = provider.tracer("freight");
    if let Ok(mut statements) = STATEMENT_TRACER.write() {
        *statements = Some(tracer.clone());
    }
    // Per-span extras are off: source location and thread attributes (five attributes on
    // every span), busy/idle time (two clock reads on every poll of an instrumented future)
    // and activating the OpenTelemetry context on every enter (nothing here reads it; the
    // propagation helpers below take the context from the span). Span names and the
    // `freight::…` target say where a span comes from.
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_context_activation(false)
        // Static targets rather than an `EnvFilter`: no per-span scope look-ups on every
        // enter and exit.
        .with_filter(Targets::new().with_default(Level::INFO).with_targets([
            ("sqlx", Level::WARN),
            ("h2", Level::WARN),
            ("hyper", Level::WARN),
            ("reqwest", Level::WARN),
        ]))
        .boxed();
    Ok((layer, provider))
}

/// The tracer of the installed trace layer, for statement spans.
static STATEMENT_TRACER: RwLock<Option<SdkTracer>> = RwLock::new(None);

/// Whether statements are exported as spans (a trace layer is installed); when not, callers
/// need not read the clock for [`record_statement`].
pub fn statements_traced() -> bool {
    STATEMENT_TRACER.read().is_ok_and(|tracer| tracer.is_some())
}

/// Exports one finished statement as a `db.query` client span, a child of the current span
/// (the request's, which the write lane carries along too), with its SQL in `db.statement`.
pub fn record_statement(system: &'static str, sql: &str, start: SystemTime, failed: bool) {
    let end = SystemTime::now();
    let Ok(guard) = STATEMENT_TRACER.read() else {
        return;
    };
    let Some(tracer) = guard.as_ref() else {
        return;
    };
    let parent = tracing::Span::current().context();
    let mut span = tracer
        .span_builder("db.query")
        .with_kind(SpanKind::Client)
        .with_start_time(start)
        .with_attributes([
            KeyValue::new("db.system", system),
            KeyValue::new("db.statement", sql.to_owned()),
        ])
        .start_with_context(tracer, &parent);
    if failed {
        span.set_status(Status::error("statement failed"));
    }
    span.end_with_timestamp(end);
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::try_from(key),
            HeaderValue::try_from(value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// The request span: joins the caller's trace from `traceparent` and records the trace id.
pub fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let span = tracing::info_span!(
        "request",
        http.method = request.method().as_str(),
        http.target = request.uri().path(),
        trace_id = tracing::field::Empty,
        otel.kind = "server",
    );
    if request.headers().contains_key("traceparent") {
        let parent = TraceContextPropagator::new().extract(&HeaderExtractor(request.headers()));
        let _ = span.set_parent(parent);
    }
    if let Some(id) = trace_id_of(&span) {
        span.record("trace_id", id.as_str());
    }
    span
}

fn trace_id_of(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// The trace id of the span currently entered, when tracing is exporting.
pub fn current_trace_id() -> Option<String> {
    trace_id_of(&tracing::Span::current())
}

/// Writes the current span's `traceparent` into `headers` (responses and outgoing calls).
pub fn inject_traceparent(headers: &mut HeaderMap) {
    let context = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
}
