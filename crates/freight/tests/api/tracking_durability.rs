//! "An acknowledged fix is durable": a real `freight serve` process receives a stream of
//! fixes over the WebSocket and is killed with SIGKILL right after an acknowledgement; every
//! fix acknowledged before the kill must be in the database when it is opened again.

use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use freight::db::{Db, NewId};

const FIXES_PER_MESSAGE: i64 = 5;

/// Creates an organization, a driver and a device API key for it; returns (driver, key).
async fn seed(db: &Db) -> (i64, String) {
    let org = freight::db::organizations::create(db, "acme", "acme")
        .await
        .unwrap();
    let driver: NewId = db
        .fetch_one_write(
            sqlx::query_as(
                "INSERT INTO drivers (org_id, name, status, home_base_lat, home_base_lon, onboarded_on, created_at, updated_at) \
                 VALUES ($1, 'Dana', 'available', 30.2, -97.7, '2024-01-01', 0, 0) RETURNING id",
            )
            .bind(org),
        )
        .await
        .unwrap();
    let key = freight::auth::api_key::generate();
    db.execute(
        sqlx::query(
            "INSERT INTO api_keys (org_id, name, prefix, key_hash, role, driver_id, created_at) \
             VALUES ($1, 'phone', $2, $3, 'driver', $4, 0)",
        )
        .bind(org)
        .bind(&key.prefix)
        .bind(&key.hash)
        .bind(driver.id),
    )
    .await
    .unwrap();
    (driver.id, key.secret)
}

async fn wait_ready(base: &str) {
    for _ in 0..300 {
        if let Ok(r) = reqwest::get(format!("{base}/api/health")).await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not start");
}

#[tokio::test]
async fn acknowledged_fixes_survive_sigkill_of_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("durable.db").display());
    let db = Db::connect(&url, &Default::default()).await.unwrap();
    db.migrate().await.unwrap();
    let (driver, key) = seed(&db).await;
    db.close().await;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_freight"))
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("FREIGHT_ADDR", format!("127.0.0.1:{port}"))
        .env("FREIGHT_OSMAND_ADDR", "off")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start freight serve");
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;

    let (ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://127.0.0.1:{port}/api/v1/tracking/ws?access_token={key}"
    ))
    .await
    .expect("connect");
    let (mut sink, mut stream) = ws.split();
    let t0 = chrono::Utc::now().timestamp_millis() - 3_600_000;
    // Keep sending while acks come back, so writes are in flight when the process dies.
    let sender = tokio::spawn(async move {
        for seq in 0..5_000i64 {
            let fixes: Vec<Value> = (0..FIXES_PER_MESSAGE)
                .map(|k| {
                    let i = seq * FIXES_PER_MESSAGE + k;
                    json!({"lat": 30.2 + i as f64 * 1e-5, "lon": -97.7, "timestamp": t0 + i * 100, "accuracy": 5.0})
                })
                .collect();
            let msg = json!({"seq": seq, "fixes": fixes}).to_string();
            if sink.send(Message::Text(msg.into())).await.is_err() {
                break;
            }
        }
    });
    let mut acked = Vec::new();
    while acked.len() < 200 {
        let msg = tokio::time::timeout(Duration::from_secs(30), stream.next())
            .await
            .expect("ack within 30 s");
        let Some(Ok(Message::Text(text))) = msg else {
            panic!("socket ended early: {msg:?}")
        };
        let v: Value = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(v["type"], "ack", "{v}");
        assert_eq!(v["accepted"], FIXES_PER_MESSAGE, "{v}");
        acked.push(v["seq"].as_i64().unwrap());
    }
    // SIGKILL: no graceful shutdown, no flush.
    child.start_kill().unwrap();
    let status = child.wait().await.unwrap();
    assert!(!status.success());
    sender.abort();

    let db = Db::connect(&url, &Default::default()).await.unwrap();
    let rows = freight::tracking::store::track(&db, 1, driver, 0, i64::MAX, 1_000_000)
        .await
        .unwrap();
    let stored: HashSet<i64> = rows.iter().map(|r| r.timestamp).collect();
    let mut missing = 0;
    for seq in &acked {
        for k in 0..FIXES_PER_MESSAGE {
            if !stored.contains(&(t0 + (seq * FIXES_PER_MESSAGE + k) * 100)) {
                missing += 1;
            }
        }
    }
    assert_eq!(
        missing,
        0,
        "{missing} acknowledged fixes lost ({} acked messages, {} rows)",
        acked.len(),
        rows.len()
    );
    assert!(rows.len() as i64 >= acked.len() as i64 * FIXES_PER_MESSAGE);
    // The acks came in sequence order.
    assert!(acked.windows(2).all(|w| w[1] == w[0] + 1));
}

/// A graceful stop answers every message it read before closing the socket, and every
/// acknowledged fix is stored.
#[tokio::test]
async fn a_graceful_stop_acknowledges_what_it_read_then_closes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("graceful.db").display());
    let db = Db::connect(&url, &Default::default()).await.unwrap();
    db.migrate().await.unwrap();
    let (driver, key) = seed(&db).await;
    let mut config = freight::config::Config::with_database(&url);
    config.addr = "127.0.0.1:0".parse().unwrap();
    let server_db = Db::connect(&url, &Default::default()).await.unwrap();
    let app = freight::startup::Application::build_with_db(config, server_db)
        .await
        .unwrap();
    let port = app.port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let (ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://127.0.0.1:{port}/api/v1/tracking/ws?access_token={key}"
    ))
    .await
    .unwrap();
    let (mut sink, mut stream) = ws.split();
    let t0 = chrono::Utc::now().timestamp_millis() - 600_000;
    for seq in 0..300i64 {
        let msg = json!({"seq": seq, "lat": 30.2 + seq as f64 * 1e-5, "lon": -97.7, "timestamp": t0 + seq * 1000});
        sink.send(Message::Text(msg.to_string().into()))
            .await
            .unwrap();
    }
    let reader = tokio::spawn(async move {
        let mut acked = 0i64;
        let mut closed = false;
        while let Some(msg) = stream.next().await {
            let msg = msg.expect("the socket ends with a close frame, not an error");
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap();
                    assert_eq!(v["type"], "ack", "{v}");
                    assert_eq!(v["seq"], acked, "acks arrive in order");
                    acked += 1;
                }
                Message::Close(_) => {
                    closed = true;
                    break;
                }
                _ => {}
            }
        }
        (acked, closed)
    });
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    let (acked, closed) = reader.await.unwrap();
    assert!(closed, "the server closes the socket itself");
    assert!(acked > 0);
    let stored = freight::tracking::store::count_positions(&db, driver)
        .await
        .unwrap();
    assert!(stored >= acked, "{stored} stored < {acked} acknowledged");
}
