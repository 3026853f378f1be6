//! OpenTelemetry export, end to end: a real OTLP/HTTP receiver runs inside the test and
//! checks that a request produces a server span joined to the caller's trace, with its
//! statements as child spans.
//!
//! Its own test binary because it installs the process-wide tracing subscriber, which must
//! not race with the hundreds of API tests that run without one.

// The shared harness has helpers this binary does not use.
#![allow(dead_code)]

#[path = "api/helpers.rs"]
mod helpers;
#[path = "api/tracking_support.rs"]
mod tracking_support;

use std::sync::{Arc, Mutex};

use axum::extract::State as AxumState;
use freight::domain::Role;
use reqwest::Method;

type Spans = Arc<Mutex<Vec<opentelemetry_proto::tonic::trace::v1::Span>>>;

/// A real OTLP/HTTP receiver on its own thread and runtime; returns its traces URL.
fn start_otlp_receiver(spans: Spans) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            async fn receive(AxumState(spans): AxumState<Spans>, body: axum::body::Bytes) -> Vec<u8> {
                use prost::Message;
                let request = opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest::decode(body)
                    .expect("an OTLP protobuf payload");
                for resource in request.resource_spans {
                    for scope in resource.scope_spans {
                        spans.lock().unwrap().extend(scope.spans);
                    }
                }
                opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse::default().encode_to_vec()
            }
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let router = axum::Router::new().route("/v1/traces", axum::routing::post(receive)).with_state(spans);
            axum::serve(listener, router).await.unwrap();
        });
    });
    format!("http://{}/v1/traces", rx.recv().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_traced_with_its_statements_as_child_spans() {
    use tracing_subscriber::layer::SubscriberExt;
    let spans: Spans = Arc::default();
    let url = start_otlp_receiver(spans.clone());
    let (layer, provider) = freight::telemetry::trace_layer(&url).unwrap();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
        .expect("the only subscriber of this test binary");

    let app = helpers::spawn_app(helpers::Backend::Sqlite).await;
    let org = app.seed_org("traced").await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let traceparent = format!("00-{trace_id}-00f067aa0ba902b7-01");
    let reply = app
        .send_with(
            Method::GET,
            "/api/v1/shipments",
            Some(org.token(Role::Dispatcher)),
            None,
            &[("traceparent", &traceparent)],
        )
        .await;
    assert_eq!(reply.status, 200);
    let returned = reply
        .header("traceparent")
        .expect("traceparent sent back")
        .to_string();
    assert!(returned.contains(trace_id), "{returned}");
    let other_parent = format!("00-{trace_id}-00f067aa0ba90200-01");
    let problem = app
        .send_with(
            Method::GET,
            "/api/v1/shipments/0",
            Some(org.token(Role::Dispatcher)),
            None,
            &[("traceparent", &other_parent)],
        )
        .await;
    assert_eq!(
        problem.body["trace_id"], trace_id,
        "problem+json carries the trace id"
    );

    // A booking's statement runs on SQLite's write lane, another thread: the trace context
    // goes with it.
    let booking_parent = format!("00-{trace_id}-00f067aa0ba90201-01");
    let booked = app
        .send_with(
            Method::POST,
            "/api/v1/shipments",
            Some(org.token(Role::Dispatcher)),
            Some(helpers::shipment_body(org.customer)),
            &[("traceparent", &booking_parent)],
        )
        .await;
    assert_eq!(booked.status, 201, "{:?}", booked.body);

    // A tracking WebSocket message is a span from its arrival to its acknowledgement; a
    // refused one (no `seq`) is a span with an error status.
    let driver_ws = format!(
        "/api/v1/tracking/ws?access_token={}",
        org.token(Role::Driver)
    );
    let mut ws = tracking_support::ws_connect(&app, &driver_ws).await;
    let mut fix = tracking_support::fix_at(30.2672, -97.7431, tracking_support::now_ms() - 30_000);
    fix["seq"] = serde_json::json!(7);
    tracking_support::send_json(&mut ws, fix).await;
    tracking_support::send_json(&mut ws, serde_json::json!({"lat": 30.0})).await;
    assert_eq!(tracking_support::next_json(&mut ws).await["type"], "ack");
    assert_eq!(tracking_support::next_json(&mut ws).await["type"], "error");

    // A server span ends when its response body has been sent; give the server a moment.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    provider.force_flush().unwrap();
    let spans = spans.lock().unwrap().clone();
    let wanted = hex_decode(trace_id);
    let in_trace: Vec<_> = spans.iter().filter(|s| s.trace_id == wanted).collect();
    let request = in_trace
        .iter()
        .find(|s| s.name == "request" && s.parent_span_id == hex_decode("00f067aa0ba902b7"))
        .expect("the request span joins the caller's trace");
    let children: Vec<_> = in_trace
        .iter()
        .filter(|s| s.name == "db.query" && s.parent_span_id == request.span_id)
        .collect();
    assert!(
        !children.is_empty(),
        "statements are child spans of the request: {:?}",
        in_trace.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    let statements: Vec<String> = children
        .iter()
        .flat_map(|c| {
            c.attributes
                .iter()
                .filter(|a| a.key == "db.statement")
                .map(|a| format!("{:?}", a.value))
        })
        .collect();
    assert!(
        statements.iter().any(|s| s.contains("FROM shipments s")),
        "the list query is a child span: {statements:?}"
    );
    let booking = in_trace
        .iter()
        .find(|s| s.name == "request" && s.parent_span_id == hex_decode("00f067aa0ba90201"))
        .expect("the booking's request span joins the caller's trace");
    let insert = in_trace.iter().find(|s| {
        s.name == "db.query"
            && s.parent_span_id == booking.span_id
            && s.attributes.iter().any(|a| {
                a.key == "db.statement"
                    && format!("{:?}", a.value).contains("INSERT INTO shipments")
            })
    });
    assert!(
        insert.is_some(),
        "the booking's INSERT, run on the write lane, is a child of its request span"
    );
    let messages: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "tracking.ws.message")
        .collect();
    let acked = messages
        .iter()
        .find(|s| int_attribute(s, "tracking.seq") == Some(7))
        .expect("the acknowledged WebSocket message is a span");
    assert_eq!(int_attribute(acked, "tracking.accepted"), Some(1));
    assert!(
        !failed(acked),
        "an acknowledged message's span is not an error"
    );
    assert!(
        messages.iter().any(|s| failed(s)),
        "a refused message's span has an error status: {} message spans",
        messages.len()
    );
    let _ = provider.shutdown();
}

type ProtoSpan = opentelemetry_proto::tonic::trace::v1::Span;

fn int_attribute(span: &ProtoSpan, key: &str) -> Option<i64> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    let attribute = span.attributes.iter().find(|a| a.key == key)?;
    match attribute.value.as_ref()?.value.as_ref()? {
        Value::IntValue(n) => Some(*n),
        _ => None,
    }
}

fn failed(span: &ProtoSpan) -> bool {
    use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
    span.status
        .as_ref()
        .is_some_and(|s| s.code == StatusCode::Error as i32)
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
