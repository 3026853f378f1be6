//! Health probes, the OpenAPI document, demo seeding and graceful shutdown.

use crate::both_backends;
use crate::helpers::TestApp;
use reqwest::Method;

both_backends!(
    health_reports_version_and_readiness,
    openapi_document_describes_the_api,
    demo_seed_builds_a_realistic_organization
);

async fn health_reports_version_and_readiness(app: TestApp) {
    let live = app.send(Method::GET, "/api/health", None, None).await;
    assert_eq!(live.status, 200);
    assert_eq!(live.body["version"], env!("CARGO_PKG_VERSION"));
    assert!(live.body["uptime_seconds"].is_u64());
    let ready = app.send(Method::GET, "/api/health/ready", None, None).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["database"], "ok");
}

async fn openapi_document_describes_the_api(app: TestApp) {
    let doc = app
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(doc.status, 200);
    assert!(
        doc.body["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc.body["openapi"]
    );
    let paths = doc.body["paths"].as_object().unwrap();
    for path in [
        "/api/v1/shipments",
        "/api/v1/shipments/{id}/transitions",
        "/api/v1/auth/login",
        "/api/health",
    ] {
        assert!(paths.contains_key(path), "missing {path}");
    }
    assert!(doc.body["components"]["schemas"]["Shipment"].is_object());
}

async fn demo_seed_builds_a_realistic_organization(app: TestApp) {
    assert!(freight::seed::seed_demo(&app.db).await.unwrap());
    assert!(
        !freight::seed::seed_demo(&app.db).await.unwrap(),
        "seeding twice must be a no-op"
    );
    let token = app
        .login_with(
            "dispatch@infamousfreight.demo",
            freight::seed::DEMO_PASSWORD,
        )
        .await;
    let mut statuses = std::collections::HashSet::new();
    let mut count = 0;
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!("/api/v1/shipments?limit=200{cursor}"), &token)
            .await;
        for s in page.body["data"].as_array().unwrap() {
            count += 1;
            statuses.insert(s["status"].as_str().unwrap().to_string());
            let lat = s["pickup"]["lat"].as_f64().unwrap();
            let lon = s["pickup"]["lon"].as_f64().unwrap();
            assert!(
                (30.0..30.7).contains(&lat) && (-98.0..-97.5).contains(&lon),
                "not in Austin: {lat},{lon}"
            );
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(count, 300);
    assert_eq!(statuses.len(), 8, "{statuses:?}");
    let drivers = app.get("/api/v1/drivers?limit=200", &token).await;
    assert_eq!(drivers.body["data"].as_array().unwrap().len(), 50);
    let vehicles = app.get("/api/v1/vehicles?limit=200", &token).await;
    assert_eq!(vehicles.body["data"].as_array().unwrap().len(), 40);
    let customers = app.get("/api/v1/customers?limit=200", &token).await;
    assert_eq!(customers.body["data"].as_array().unwrap().len(), 20);
    let events = app.get("/api/v1/shipments/1/events", &token).await;
    assert!(
        events.body.as_array().unwrap().len() >= 2,
        "history per shipment"
    );
    let fences = app.get("/api/v1/tracking/geofences", &token).await;
    let fences = fences
        .body
        .as_array()
        .unwrap_or_else(|| panic!("{fences:?}"));
    assert_eq!(fences.len(), 4, "the demo map shows its geofences");
    for (_, email) in freight::seed::DEMO_LOGINS {
        app.login_with(email, freight::seed::DEMO_PASSWORD).await;
    }
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let mut app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let org = app.seed_org("graceful").await;
    let token = org.token(freight::domain::Role::Dispatcher).to_string();
    // Hold SQLite's only writer connection so the booking below is provably in flight
    // (waiting inside the server) when shutdown begins.
    let writer = app.db.begin().await.unwrap();
    let request = {
        let (client, url) = (app.client.clone(), app.url("/api/v1/shipments"));
        let body = crate::helpers::shipment_body(org.customer);
        tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await?;
            Ok::<_, reqwest::Error>((
                response.status(),
                response.json::<serde_json::Value>().await?,
            ))
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.signal_stop();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    drop(writer);
    let (status, body) = request
        .await
        .unwrap()
        .expect("the in-flight request was cut off");
    assert_eq!(status, 201, "the in-flight booking completed: {body}");
    assert!(body["id"].is_i64());
    app.stop().await;
    assert!(
        app.client.get(app.url("/api/health")).send().await.is_err(),
        "the server still accepts connections"
    );
}
