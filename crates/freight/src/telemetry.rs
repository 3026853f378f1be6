//! Logs and traces.
//!
//! Logs are human-readable by default and JSON with `LOG_FORMAT=json`, filtered by
//! `RUST_LOG` (default `info`). When `OTEL_EXPORTER_OTLP_ENDPOINT` is set, every span (one
//! per request, one per statement except `BEGIN`/`COMMIT`, solver runs, one per tracking
//! WebSocket message from its arrival to its acknowledgement)
//! is also exported over OTLP/HTTP to that collector (Jaeger and every OpenTelemetry collector accept it). The
//! request span joins the caller's trace when a W3C `traceparent` header arrives, and the
//! trace id appears in log lines, in problem+json bodies and in the response `traceparent`.
//!
//! Request, statement and WebSocket message spans skip `tracing` and go straight to the
//! OpenTelemetry SDK ([`trace_request`], [`record_span`]); the request's context rides on its future, and
//! a statement's span is made once it has finished, with its measured start and end. As
//! `tracing` spans exported through `tracing-opentelemetry` they were most of what tracing
//! cost per request: registering each in the span registry, the layer's bookkeeping on
//! every enter and exit of every poll, and reading the OpenTelemetry context back out.
//! Other spans (solver runs) still go through the `tracing` layer.

use std::sync::{Arc, RwLock};
use std::time::{Instant, SystemTime};

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{FutureExt as _, Span as _, SpanKind, Status, Tracer as _};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry::{Context as OtelContext, KeyValue};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tracing::{Instrument as _, Level, Subscriber};
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
    if let Ok(mut statements) = TRACER.write() {
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
        .with_filter(
            Targets::new()
                .with_default(Level::INFO)
                .with_targets([
                    ("sqlx", Level::WARN),
                    ("h2", Level::WARN),
                    ("hyper", Level::WARN),
                    ("reqwest", Level::WARN),
                ])
                // Requests are exported by `trace_request` itself; this span is for log lines.
                .with_target(
                    "freight::request",
                    tracing_subscriber::filter::LevelFilter::OFF,
                ),
        )
        .boxed();
    Ok((layer, provider))
}

/// The tracer of the installed trace layer, for request and statement spans.
static TRACER: RwLock<Option<SdkTracer>> = RwLock::new(None);

/// Whether spans are exported (a trace layer is installed); when not, callers need not read
/// the clock for [`record_span`].
pub fn exporting() -> bool {
    TRACER.read().is_ok_and(|tracer| tracer.is_some())
}

/// Exports one finished operation as a span: a child of the current context (the request's,
/// which the write lane carries along too), from `start` to now, with an error status
/// described by `error` when it failed.
pub fn record_span(
    name: &'static str,
    kind: SpanKind,
    start: SystemTime,
    attributes: impl IntoIterator<Item = KeyValue>,
    error: Option<&'static str>,
) {
    let end = SystemTime::now();
    let Ok(guard) = TRACER.read() else {
        return;
    };
    let Some(tracer) = guard.as_ref() else {
        return;
    };
    let mut span = tracer
        .span_builder(name)
        .with_kind(kind)
        .with_start_time(start)
        .with_attributes(attributes)
        .start_with_context(tracer, &OtelContext::current());
    if let Some(description) = error {
        span.set_status(Status::error(description));
    }
    span.end_with_timestamp(end);
}

/// Exports one finished statement as a `db.query` client span with its shape in
/// `db.statement`: the SQL with literals and placeholders as `?` and whitespace squeezed
/// (the statement log's normalized text, shared rather than copied per span).
pub fn record_statement(system: &'static str, shape: Arc<str>, start: SystemTime, failed: bool) {
    record_span(
        "db.query",
        SpanKind::Client,
        start,
        [
            KeyValue::new("db.system", system),
            KeyValue::new("db.statement", shape),
        ],
        failed.then_some("statement failed"),
    );
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

/// `axum::middleware::from_fn(telemetry::trace_request)`: every request's span, its trace
/// id in log lines, the response `traceparent`, and a log line for server errors.
///
/// When exporting, the request span is made directly with the OpenTelemetry SDK and its
/// context attached to the request's future (set as current on every poll, a thread-local
/// swap), where statement spans find their parent. The `tracing` span of the same name is
/// for log lines only (target `freight::request`, which the export layer ignores): it
/// exists when the log filter wants it, and then carries the trace id. As a `tracing` span
/// exported through `tracing-opentelemetry` the request cost several times more: the layer's
/// bookkeeping on every enter and exit of every poll, and its context read back for the
/// trace id, for the response header and for every statement's parent.
pub async fn trace_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let exported = start_request_span(&request);
    let log_span = tracing::info_span!(
        target: "freight::request",
        "request",
        http.method = request.method().as_str(),
        http.target = request.uri().path(),
        trace_id = tracing::field::Empty,
    );
    if let Some((context, _)) = exported.as_ref().filter(|_| !log_span.is_disabled()) {
        if let Some(trace_id) = trace_id_of(context) {
            log_span.record("trace_id", trace_id.as_str());
        }
    }
    let work = async move {
        let response = next.run(request).await;
        let status = response.status();
        if status.is_server_error() {
            tracing::error!(
                status = status.as_u16(),
                latency_ms = started.elapsed().as_millis() as u64,
                "response failed"
            );
        }
        response
    }
    .instrument(log_span);
    let Some((context, traceparent)) = exported else {
        return work.await;
    };
    let mut response = work.with_context(context.clone()).await;
    let span = context.span();
    let status = response.status().as_u16();
    span.set_attribute(KeyValue::new("http.status_code", i64::from(status)));
    if status >= 500 {
        span.set_status(Status::error("server error"));
    }
    span.end();
    if let Some(value) = traceparent {
        response.headers_mut().insert(TRACEPARENT, value);
    }
    response
}

const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// When exporting: the started request span (joined to the caller's trace when a
/// `traceparent` arrives) as a context, and the `traceparent` that names it.
fn start_request_span(request: &Request) -> Option<(OtelContext, Option<HeaderValue>)> {
    let guard = TRACER.read().ok()?;
    let tracer = guard.as_ref()?;
    let parent = if request.headers().contains_key(TRACEPARENT) {
        TraceContextPropagator::new().extract(&HeaderExtractor(request.headers()))
    } else {
        OtelContext::new()
    };
    let span = tracer
        .span_builder("request")
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.method", method_value(request.method())),
            KeyValue::new("http.target", request.uri().path().to_owned()),
        ])
        .start_with_context(tracer, &parent);
    let traceparent = traceparent_of(span.span_context());
    Some((parent.with_span(span), traceparent))
}

/// A request method as an attribute value: the standard ones are static text, not a copy
/// per request.
fn method_value(method: &Method) -> opentelemetry::Value {
    let name = match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => return method.as_str().to_owned().into(),
    };
    name.into()
}

/// The W3C `traceparent` naming a span: `00-<trace id>-<span id>-<flags>` in lower-case hex.
fn traceparent_of(ids: &opentelemetry::trace::SpanContext) -> Option<HeaderValue> {
    let mut text = *b"00-00000000000000000000000000000000-0000000000000000-00";
    hex::encode_to_slice(ids.trace_id().to_bytes(), &mut text[3..35]).ok()?;
    hex::encode_to_slice(ids.span_id().to_bytes(), &mut text[36..52]).ok()?;
    hex::encode_to_slice([ids.trace_flags().to_u8()], &mut text[53..55]).ok()?;
    HeaderValue::from_bytes(&text).ok()
}

/// The trace id of the request being served, when tracing is exporting.
pub fn current_trace_id() -> Option<String> {
    trace_id_of(&OtelContext::current())
}

/// The trace id of `context`'s span in hex, when it has a valid one.
fn trace_id_of(context: &OtelContext) -> Option<String> {
    let span = context.span();
    let ids = span.span_context();
    ids.is_valid()
        .then(|| hex::encode(ids.trace_id().to_bytes()))
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};

    use super::*;

    #[test]
    fn traceparent_names_the_span_in_w3c_form() {
        let ids = SpanContext::new(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        );
        let header = traceparent_of(&ids).expect("a valid header value");
        assert_eq!(
            header.to_str().unwrap(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        );
    }

    #[test]
    fn standard_methods_are_static_attribute_values() {
        assert_eq!(method_value(&Method::PATCH).as_str(), "PATCH");
        let custom = Method::from_bytes(b"PURGE").unwrap();
        assert_eq!(method_value(&custom).as_str(), "PURGE");
    }
}
