//! The test harness: `spawn_app(backend)` starts the real application on a random port with
//! a fresh database (a temp SQLite file, or a new PostgreSQL database), and `seed_org`
//! creates a tenant with one user per role.
//!
//! PostgreSQL tests use `FREIGHT_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). When it cannot be reached they fail under
//! `CI=true`; elsewhere they print that they did not run.

use std::sync::OnceLock;

use freight::auth::password;
use freight::config::Config;
use freight::db::{organizations, users, Db, DbOptions};
use freight::domain::Role;
use freight::startup::Application;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Connection;

/// Which database engine a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running application and a client for it.
pub struct TestApp {
    pub base: String,
    /// The database URL (shared by peers from [`TestApp::spawn_peer`]).
    pub url: String,
    pub client: reqwest::Client,
    pub db: Db,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
}

/// The password of every test user.
pub const PASSWORD: &str = "correct-horse-battery";

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash(PASSWORD).expect("hashing"))
}

fn postgres_admin_url() -> String {
    std::env::var("FREIGHT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Creates a fresh PostgreSQL database, or explains why it cannot.
async fn fresh_postgres_database() -> Result<String, String> {
    sqlx::any::install_default_drivers();
    let admin = postgres_admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .map_err(|e| format!("{admin}: {e}"))?;
    let name = format!("freight_test_{}", uuid_like());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin);
    Ok(format!("{base}/{name}"))
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| char::from(b'a' + rng.gen_range(0..26)))
        .collect()
}

/// Starts the app on `backend`. `None` only when PostgreSQL is unreachable outside CI.
pub async fn try_spawn_app(backend: Backend) -> Option<TestApp> {
    try_spawn_app_with(backend, |_| {}).await
}

/// Like [`try_spawn_app`], with `tweak` applied to the config last. Rate limits are raised
/// 1000× by default so the suite is never throttled; rate-limit tests tweak them back.
pub async fn try_spawn_app_with(
    backend: Backend,
    tweak: impl FnOnce(&mut Config),
) -> Option<TestApp> {
    try_spawn_app_with_routes(backend, tweak, axum::Router::new()).await
}

/// Like [`try_spawn_app_with`], with `extra` fixture routes mounted inside the app's middleware.
pub async fn try_spawn_app_with_routes(
    backend: Backend,
    tweak: impl FnOnce(&mut Config),
    extra: axum::Router<freight::state::AppState>,
) -> Option<TestApp> {
    let (url, dir) = fresh_database(backend).await?;
    Some(start(url, dir, tweak, extra).await)
}

/// A fresh database URL for `backend` (and the directory holding a SQLite file); `None`
/// only when PostgreSQL is unreachable outside CI.
async fn fresh_database(backend: Backend) -> Option<(String, Option<tempfile::TempDir>)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            Some((url, Some(dir)))
        }
        Backend::Postgres => match fresh_postgres_database().await {
            Ok(url) => Some((url, None)),
            Err(why) => {
                if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
                    panic!("PostgreSQL is required under CI=true but is unreachable: {why}");
                }
                eprintln!("NOT RUN: PostgreSQL unreachable ({why}); set FREIGHT_TEST_POSTGRES_URL or start it");
                None
            }
        },
    }
}

/// Starts one instance on an existing database URL (migrating it if needed).
async fn start(
    url: String,
    dir: Option<tempfile::TempDir>,
    tweak: impl FnOnce(&mut Config),
    extra: axum::Router<freight::state::AppState>,
) -> TestApp {
    let mut config = Config::with_database(&url);
    config.addr = "127.0.0.1:0".parse().unwrap();
    config.jwt_secret = Some("test-secret-test-secret-test-secret-0123".into());
    config.max_body_bytes = 64 * 1024;
    config.db_max_connections = 5;
    config.rate_limits = config.rate_limits.scaled(1000);
    tweak(&mut config);
    let db = Db::connect(
        &url,
        &DbOptions {
            max_connections: 5,
            ..DbOptions::default()
        },
    )
    .await
    .expect("connect");
    db.migrate().await.expect("migrate");
    let app = Application::build_with_db(config, db.clone())
        .await
        .expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let (tx, rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(app.run_until_stopped_with(extra, async {
        let _ = rx.await;
    }));
    TestApp {
        base,
        url,
        client: reqwest::Client::new(),
        db,
        shutdown: Some(tx),
        server: Some(server),
        _dir: dir,
    }
}

impl TestApp {
    /// A second instance on this app's database (as another `freight serve` process would
    /// be), with `tweak` applied to its config. It must not outlive this app.
    pub async fn spawn_peer(&self, tweak: impl FnOnce(&mut Config)) -> TestApp {
        start(self.url.clone(), None, tweak, axum::Router::new()).await
    }
}

/// Starts the app; PostgreSQL must be reachable.
pub async fn spawn_app(backend: Backend) -> TestApp {
    try_spawn_app(backend)
        .await
        .expect("PostgreSQL unreachable")
}

/// Runs a test body against SQLite and against PostgreSQL, as `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await;
                    super::$name(app).await;
                }
                #[tokio::test]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::try_spawn_app($crate::helpers::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            }
        )+
    };
}

/// A response: status, headers and JSON body (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `field` of every entry in a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts the status and a problem+json body; returns self for more checks.
    pub fn assert_problem(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{self:?}"
        );
        assert_eq!(self.body["status"].as_u64(), Some(u64::from(status)));
        assert!(
            self.body["code"].is_string() && self.body["detail"].is_string(),
            "{}",
            self.body
        );
        self
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request with optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.send_with(method, path, token, body, &[]).await
    }

    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let response = req.send().await.expect("request failed");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    /// A merge-patch sent with `If-Match` for `version`.
    pub async fn patch(&self, path: &str, token: &str, version: i64, body: Value) -> Reply {
        let etag = format!("\"{version}\"");
        self.send_with(
            Method::PATCH,
            path,
            Some(token),
            Some(body),
            &[("if-match", &etag)],
        )
        .await
    }

    /// Logs in with the test password and returns the access token.
    pub async fn login(&self, email: &str) -> String {
        self.login_with(email, PASSWORD).await
    }

    /// Logs in and returns the access token.
    pub async fn login_with(&self, email: &str, password: &str) -> String {
        let reply = self
            .send(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login {email}: {}",
            reply.body
        );
        reply.body["access_token"].as_str().unwrap().to_string()
    }

    /// Creates a tenant with a customer, driver, vehicle and one login per role.
    pub async fn seed_org(&self, slug: &str) -> Org {
        let org_id = organizations::create(&self.db, slug, slug).await.unwrap();
        let scope = freight::auth::Scope::system(org_id);
        let customer =
            freight::db::customers::create(&self.db, &scope, &customer_fields("Acme Shipper"))
                .await
                .unwrap()
                .id;
        let other_customer =
            freight::db::customers::create(&self.db, &scope, &customer_fields("Other Shipper"))
                .await
                .unwrap()
                .id;
        let vehicle =
            freight::db::vehicles::create(&self.db, &scope, &vehicle_fields(&format!("{slug}-1")))
                .await
                .unwrap()
                .id;
        let driver = freight::db::drivers::create(
            &self.db,
            &scope,
            &driver_fields("Dana Driver", Some(vehicle)),
        )
        .await
        .unwrap()
        .id;
        let other_driver =
            freight::db::drivers::create(&self.db, &scope, &driver_fields("Otto Other", None))
                .await
                .unwrap()
                .id;
        let mut tokens = std::collections::HashMap::new();
        for (role, customer_id, driver_id) in [
            (Role::Admin, None, None),
            (Role::Dispatcher, None, None),
            (Role::Analyst, None, None),
            (Role::Customer, Some(customer), None),
            (Role::Driver, None, Some(driver)),
        ] {
            let email = format!("{}@{slug}.test", role.as_str());
            let new = users::NewUser {
                org_id,
                email: &email,
                name: role.as_str(),
                password_hash: password_hash(),
                role,
                customer_id,
                driver_id,
            };
            users::create(&self.db, &new).await.unwrap();
            tokens.insert(role, self.login(&email).await);
        }
        Org {
            id: org_id,
            slug: slug.to_string(),
            customer,
            other_customer,
            driver,
            other_driver,
            vehicle,
            tokens,
        }
    }

    /// Creates a booked shipment through the API as the dispatcher and returns its JSON.
    pub async fn create_shipment(&self, org: &Org, body: Value) -> Value {
        let reply = self
            .post("/api/v1/shipments", org.token(Role::Dispatcher), body)
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body
    }

    /// Books a shipment and assigns it to the org's first driver and vehicle; returns its id.
    pub async fn assigned_shipment(&self, org: &Org) -> i64 {
        let id = self.create_shipment(org, shipment_body(org.customer)).await["id"]
            .as_i64()
            .unwrap();
        let assign = self
            .post(
                &format!("/api/v1/shipments/{id}/assign"),
                org.token(Role::Dispatcher),
                json!({"driver_id": org.driver, "vehicle_id": org.vehicle}),
            )
            .await;
        assert_eq!(assign.status, StatusCode::OK, "{}", assign.body);
        id
    }

    /// Number of shipments stored across all tenants.
    pub async fn shipment_count(&self) -> i64 {
        let row: freight::db::Count = self
            .db
            .fetch_one(sqlx::query_as("SELECT COUNT(*) AS n FROM shipments"))
            .await
            .unwrap();
        row.n
    }

    /// Asks the server to stop (graceful: in-flight requests finish) without waiting.
    pub fn signal_stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server result");
        }
    }
}

/// A seeded tenant.
pub struct Org {
    pub id: i64,
    pub slug: String,
    pub customer: i64,
    pub other_customer: i64,
    pub driver: i64,
    pub other_driver: i64,
    pub vehicle: i64,
    pub tokens: std::collections::HashMap<Role, String>,
}

impl Org {
    pub fn token(&self, role: Role) -> &str {
        &self.tokens[&role]
    }
}

fn customer_fields(name: &str) -> freight::db::customers::CustomerFields {
    serde_json::from_value(
        json!({"name": name, "tier": "premium", "email": "ops@example.com",
        "phone": null, "address": "4800 Burleson Rd, Austin, TX", "lat": 30.204, "lon": -97.714}),
    )
    .unwrap()
}

fn vehicle_fields(plate: &str) -> freight::db::vehicles::VehicleFields {
    serde_json::from_value(
        json!({"name": "Unit 7", "plate": plate, "vehicle_type": "box_truck",
        "capacity": {"weight_kg": 7000.0, "volume_m3": 40.0, "pallets": 12}, "status": "active"}),
    )
    .unwrap()
}

fn driver_fields(name: &str, vehicle: Option<i64>) -> freight::db::drivers::DriverFields {
    serde_json::from_value(
        json!({"name": name, "email": null, "phone": null, "license_number": "TX1234",
        "status": "available", "home_base": {"address": "Austin", "lat": 30.27, "lon": -97.74},
        "current_vehicle_id": vehicle, "onboarded_on": "2024-03-01"}),
    )
    .unwrap()
}

/// A valid shipment body for `customer_id`, with windows starting `hours_ahead` from now.
pub fn shipment_body(customer_id: i64) -> Value {
    let start = chrono::Utc::now() + chrono::Duration::hours(4);
    let window = |from: chrono::DateTime<chrono::Utc>, hours: i64| json!({"start": from.to_rfc3339(), "end": (from + chrono::Duration::hours(hours)).to_rfc3339()});
    json!({
        "customer_id": customer_id,
        "priority": "high",
        "weight_kg": 1200.5,
        "volume_m3": 6.0,
        "pallets": 4,
        "declared_value": {"amount_cents": 2500000, "currency": "USD"},
        "notes": "Fragile glassware, dock 4",
        "pickup": {"address": "4800 Burleson Rd, Austin, TX 78744", "lat": 30.2040, "lon": -97.7140,
                   "window": window(start, 2), "service_minutes": 20},
        "delivery": {"address": "11410 Century Oaks Terrace, Austin, TX 78758", "lat": 30.4020, "lon": -97.7253,
                     "window": window(start + chrono::Duration::hours(3), 3), "service_minutes": 15}
    })
}
