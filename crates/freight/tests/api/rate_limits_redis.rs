//! Rate limits across processes: two real `freight serve` processes sharing one limit through
//! the Redis on 127.0.0.1:6379, the traffic report they leave behind, and what happens when
//! Redis cannot be reached (auth fails closed with 503, everything else fails open).
//!
//! The shared-limit test needs Redis: under `CI=true` it fails when Redis is unreachable;
//! elsewhere it prints NOT RUN. The Redis-down test needs nothing (it uses a closed port).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use freight::db::{organizations, users, Db, DbOptions};
use freight::domain::Role;
use freight::ratelimit::RateLimitConfig;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{try_spawn_app_with, Backend, PASSWORD};

const REDIS_ADDR: &str = "127.0.0.1:6379";
const BIN: &str = env!("CARGO_BIN_EXE_freight");

/// `Some(url)` when Redis answers; panics under CI when it does not.
pub async fn redis_or_not_run() -> Option<String> {
    let connect = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(REDIS_ADDR),
    )
    .await;
    match connect {
        Ok(Ok(_)) => Some(format!("redis://{REDIS_ADDR}/0")),
        other => {
            let why = format!("{other:?}");
            if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
                panic!("Redis is required under CI=true but {REDIS_ADDR} is unreachable: {why}");
            }
            eprintln!("NOT RUN: Redis unreachable at {REDIS_ADDR} ({why}); start redis-server");
            None
        }
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

pub fn unique() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| char::from(b'a' + rng.gen_range(0..26)))
        .collect()
}

/// One `freight serve` child process on its own loopback port.
struct Server {
    base: String,
    child: tokio::process::Child,
    log: std::path::PathBuf,
}

impl Server {
    async fn start(dir: &Path, name: &str, database_url: &str, extra: &[(&str, &str)]) -> Server {
        let port = free_port();
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let mut command = tokio::process::Command::new(BIN);
        command
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("FREIGHT_ADDR", format!("127.0.0.1:{port}"))
            .env("FREIGHT_OSMAND_ADDR", "off")
            .env(
                "FREIGHT_JWT_SECRET",
                "two-process-secret-two-process-secret-01",
            )
            .env("FREIGHT_RATE_LIMITS", "on")
            .env("FREIGHT_RATE_LIMIT_FLUSH_SECS", "1")
            .env("RUST_LOG", "warn")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("REDIS_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file.try_clone().expect("log file"))
            .kill_on_drop(true);
        for (k, v) in extra {
            command.env(k, v);
        }
        let child = command.spawn().expect("spawn freight serve");
        let server = Server {
            base: format!("http://127.0.0.1:{port}"),
            child,
            log,
        };
        server.wait_ready().await;
        server
    }

    /// Polls `/api/health` (bounded: 150 tries, 100 ms apart).
    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..150 {
            if let Ok(r) = client.get(format!("{}/api/health", self.base)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{} never became ready: {}", self.base, self.log_text());
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM and wait (bounded), so the server flushes its recorded traffic.
    async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        match tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await {
            Ok(Ok(status)) => assert!(status.success(), "{status}: {}", self.log_text()),
            _ => {
                let _ = self.child.kill().await;
                panic!("server did not stop: {}", self.log_text());
            }
        }
    }
}

async fn login(base: &str, email: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login request");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

async fn seed_user(database_url: &str, email: &str) {
    let db = Db::connect(database_url, &DbOptions::default())
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    let org_id = organizations::create(&db, "Two", "two").await.expect("org");
    let hash = freight::auth::password::hash(PASSWORD).expect("hash");
    let new = users::NewUser {
        org_id,
        email,
        name: "Ops",
        password_hash: &hash,
        role: Role::Dispatcher,
        customer_id: None,
        driver_id: None,
    };
    users::create(&db, &new).await.expect("user");
    db.close().await;
}

#[tokio::test]
async fn two_processes_share_one_limit_through_redis() {
    let Some(redis_url) = redis_or_not_run().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = format!("sqlite://{}", dir.path().join("shared.db").display());
    seed_user(&database_url, "ops@two.test").await;
    let prefix = format!("freight-test:{}:", unique());
    let env = [
        ("REDIS_URL", redis_url.as_str()),
        ("FREIGHT_RATE_LIMIT_REDIS_PREFIX", prefix.as_str()),
    ];
    let a = Server::start(dir.path(), "a", &database_url, &env).await;
    let b = Server::start(dir.path(), "b", &database_url, &env).await;

    // Five logins split across both processes draw down one shared quota.
    let mut remaining = Vec::new();
    for i in 0..5 {
        let server = if i % 2 == 0 { &a } else { &b };
        let (status, headers, body) = login(&server.base, "ops@two.test").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        remaining.push(headers["ratelimit-remaining"].to_str().unwrap().to_string());
    }
    assert_eq!(remaining, ["4", "3", "2", "1", "0"]);
    let (status, headers, body) = login(&b.base, "ops@two.test").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["tier"], "auth");
    assert!(headers.contains_key("retry-after"));
    let (status, _, _) = login(&a.base, "ops@two.test").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    a.stop().await;
    b.stop().await;

    // The report reads what both processes recorded.
    let output = tokio::process::Command::new(BIN)
        .args(["ratelimit", "report", "--json"])
        .env("DATABASE_URL", &database_url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run report");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("report JSON");
    let endpoints = report["endpoints"].as_array().unwrap();
    let logins = endpoints
        .iter()
        .find(|e| e["endpoint"] == "POST /api/v1/auth/login")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(logins["requests"], 7, "{report}");
    assert_eq!(logins["throttled"], 2, "{report}");
    assert_eq!(logins["tier"], "auth");
    let throttled = report["throttled"].as_array().unwrap();
    assert_eq!(throttled.len(), 1, "{report}");
    assert_eq!(throttled[0]["subject"], "ip:127.0.0.1");
    assert_eq!(throttled[0]["count"], 2);
    let auth = report["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["tier"] == "auth")
        .unwrap();
    assert_eq!(auth["current"]["limit"], 5);
    assert!(auth["suggested_limit"].as_u64().unwrap() >= 1);

    let text = tokio::process::Command::new(BIN)
        .args(["ratelimit", "report"])
        .env("DATABASE_URL", &database_url)
        .output()
        .await
        .expect("run report");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("POST /api/v1/auth/login") && text.contains("Suggested limits"),
        "{text}"
    );
}

#[tokio::test]
async fn when_redis_is_down_auth_fails_closed_and_the_rest_fails_open() {
    let closed = free_port();
    let app = try_spawn_app_with(Backend::Sqlite, |c| {
        c.rate_limits = RateLimitConfig::default();
        c.rate_limits.redis_url = Some(format!("redis://127.0.0.1:{closed}/0"));
        c.rate_limits.redis_timeout_ms = 200;
    })
    .await
    .expect("app");
    let login = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "anyone@down.test", "password": PASSWORD})),
        )
        .await
        .assert_problem(503);
    assert_eq!(login.body["code"], "rate_limit_unavailable");
    assert!(login.header("retry-after").is_some());

    // Other tiers are served unchecked: no limit headers, the handler answers.
    for _ in 0..3 {
        let doc = app
            .send(Method::GET, "/api/v1/openapi.json", None, None)
            .await;
        assert_eq!(doc.status, StatusCode::OK);
        assert!(doc.header("ratelimit-limit").is_none());
        let list = app.send(Method::GET, "/api/v1/shipments", None, None).await;
        assert_eq!(list.status, StatusCode::UNAUTHORIZED, "reached the handler");
    }
}

#[tokio::test]
async fn a_redis_that_stops_answering_is_bounded_by_the_timeout() {
    // A loopback listener that accepts connections and never replies.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
            if held.len() > 64 {
                break;
            }
        }
    });
    let app = try_spawn_app_with(Backend::Sqlite, |c| {
        c.rate_limits = RateLimitConfig::default();
        c.rate_limits.redis_url = Some(format!("redis://127.0.0.1:{port}/0"));
        c.rate_limits.redis_timeout_ms = 200;
    })
    .await
    .expect("app");
    let login = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "anyone@silent.test", "password": PASSWORD})),
        )
        .await
        .assert_problem(503);
    assert_eq!(login.body["code"], "rate_limit_unavailable");
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.header("ratelimit-limit").is_none());
    holder.abort();
}
