//! Helpers shared by the tracking test modules: WebSocket clients and fix builders.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::TestApp;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket to `path` (which carries its own query, e.g. `?access_token=`).
pub async fn ws_connect(app: &TestApp, path: &str) -> Ws {
    let url = format!("{}{path}", app.base.replacen("http://", "ws://", 1));
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket connect");
    ws
}

/// The next JSON text message. A generous safety limit keeps a broken server from hanging
/// the suite; it is not a timing assertion.
pub async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("no message within 20 s")
            .expect("socket closed")
            .expect("socket error");
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).expect("JSON message");
        }
    }
}

pub async fn send_json(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into()))
        .await
        .expect("send");
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A good fix at `t` (epoch ms) near downtown Austin.
pub fn fix_at(lat: f64, lon: f64, t: i64) -> Value {
    json!({"lat": lat, "lon": lon, "timestamp": t, "speed": 8.5, "heading": 90.0, "accuracy": 6.0, "battery": 81.0})
}

/// Stored fixes of a driver.
pub async fn stored(app: &TestApp, driver: i64) -> i64 {
    freight::tracking::store::count_positions(&app.db, driver)
        .await
        .unwrap()
}

/// The stored latest position time of a driver, if any.
pub async fn stored_latest_time(app: &TestApp, driver: i64) -> Option<i64> {
    let row: Option<freight::db::Count> = app
        .db
        .fetch_optional(
            sqlx::query_as("SELECT fix_time AS n FROM latest_positions WHERE driver_id = $1")
                .bind(driver),
        )
        .await
        .unwrap();
    row.map(|r| r.n)
}

/// Reads live-feed messages until one carries a position of `driver`; returns every
/// position seen on the way (for leak checks) and that position.
pub async fn wait_for_driver(ws: &mut Ws, driver: i64) -> (Vec<Value>, Value) {
    let mut seen = Vec::new();
    loop {
        let msg = next_json(ws).await;
        for p in msg["positions"].as_array().cloned().unwrap_or_default() {
            if p["driver_id"].as_i64() == Some(driver) {
                return (seen, p);
            }
            seen.push(p);
        }
    }
}
