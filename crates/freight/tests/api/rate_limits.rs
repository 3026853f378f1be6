//! Rate limits over HTTP: headers, 429 problem+json, tier classification, customer plan
//! multipliers, per-organization overrides through the admin endpoint, and the auth tier
//! keyed per account and per client IP.

use freight::config::Config;
use freight::domain::Role;
use freight::ratelimit::TierLimit;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{try_spawn_app_with, Backend, TestApp, PASSWORD};

/// An app with real (small) limits: general as given, auth roomy enough for `seed_org`'s
/// five logins unless a test lowers it, and `X-Forwarded-For` trusted so tests can play
/// several client addresses over loopback.
async fn app_with_limits(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
    try_spawn_app_with(backend, |c| {
        c.rate_limits = freight::ratelimit::RateLimitConfig::default();
        c.rate_limits.auth = TierLimit::new(50, 900, 0);
        c.rate_limits.trust_forwarded = true;
        tweak(c);
    })
    .await
}

fn num(reply: &crate::helpers::Reply, header: &str) -> u64 {
    reply
        .header(header)
        .unwrap_or_else(|| panic!("missing {header}: {reply:?}"))
        .parse()
        .unwrap()
}

async fn headers_count_down_then_429(app: TestApp) {
    let org = app.seed_org("rl-headers").await;
    let token = org.token(Role::Dispatcher);
    let mut seen = Vec::new();
    for _ in 0..5 {
        let reply = app.get("/api/v1/shipments", token).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(num(&reply, "ratelimit-limit"), 5);
        assert!(num(&reply, "ratelimit-reset") <= 900);
        assert_eq!(
            reply.header("ratelimit-policy"),
            Some("5;w=900;burst=0;policy=\"general\"")
        );
        seen.push(num(&reply, "ratelimit-remaining"));
    }
    assert_eq!(seen, vec![4, 3, 2, 1, 0]);

    let refused = app
        .get("/api/v1/shipments", token)
        .await
        .assert_problem(429);
    assert_eq!(refused.body["code"], "rate_limited");
    assert_eq!(refused.body["tier"], "general");
    let retry_after = refused.body["retry_after"].as_u64().unwrap();
    assert!((1..=1800).contains(&retry_after), "{}", refused.body);
    assert_eq!(num(&refused, "retry-after"), retry_after);
    assert_eq!(num(&refused, "ratelimit-remaining"), 0);

    // Limits are per principal: another user of the same organization is unaffected.
    let other = app.get("/api/v1/shipments", org.token(Role::Analyst)).await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(num(&other, "ratelimit-remaining"), 4);

    // Health probes are exempt: never limited, no headers.
    for _ in 0..8 {
        let health = app.send(Method::GET, "/api/health", None, None).await;
        assert_eq!(health.status, StatusCode::OK);
        assert!(health.header("ratelimit-limit").is_none());
    }
}

async fn tiers_are_classified_by_path(app: TestApp) {
    let org = app.seed_org("rl-tiers").await;
    let token = org.token(Role::Dispatcher);
    let policy_of = |reply: &crate::helpers::Reply| {
        reply.header("ratelimit-policy").map(|p| {
            p.rsplit("policy=")
                .next()
                .unwrap_or("")
                .trim_matches('"')
                .to_string()
        })
    };
    for (path, tier) in [
        ("/api/v1/shipments", Some("general")),
        ("/api/v1/auth/me", Some("general")),
        ("/api/v1/routes/optimize", Some("ai")),
        ("/api/v1/forecasts/demand", Some("ai")),
        ("/api/v1/ai", Some("ai")),
        ("/api/v1/aisles", Some("general")),
        ("/api/v1/invoices/7", Some("billing")),
        ("/api/v1/quotes", Some("billing")),
        ("/api/health/ready", None),
        ("/osmand", None),
        ("/shipments", None),
    ] {
        let reply = app.get(path, token).await;
        assert_eq!(policy_of(&reply).as_deref(), tier, "{path}: {reply:?}");
    }
    let login = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "nobody@rl-tiers.test", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(policy_of(&login).as_deref(), Some("auth"));

    // Each tier counts separately: the AI tier (20/min, burst 2) runs out on its own.
    let mut last = None;
    for _ in 0..30 {
        let reply = app.get("/api/v1/forecasts", token).await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            last = Some(reply);
            break;
        }
    }
    let refused = last
        .expect("the AI tier refuses within 30 calls")
        .assert_problem(429);
    assert_eq!(refused.body["tier"], "ai");
    assert!(num(&refused, "retry-after") <= 60);
    let general = app.get("/api/v1/shipments", token).await;
    assert_eq!(general.status, StatusCode::OK);
}

async fn customer_plans_multiply_the_limit(app: TestApp) {
    let org = app.seed_org("rl-plans").await;
    // seed_org's customer is on the premium plan: ×2; staff get the organization's limit.
    let customer = app
        .get("/api/v1/shipments", org.token(Role::Customer))
        .await;
    assert_eq!(customer.status, StatusCode::OK);
    assert_eq!(num(&customer, "ratelimit-limit"), 6);
    assert!(customer
        .header("ratelimit-policy")
        .unwrap()
        .starts_with("6;w=900;burst=0"));
    let staff = app
        .get("/api/v1/shipments", org.token(Role::Dispatcher))
        .await;
    assert_eq!(num(&staff, "ratelimit-limit"), 3);

    // An enterprise customer gets ×5 (its plan is read once and cached).
    let other = app.seed_org("rl-plans-2").await;
    app.db
        .execute(
            sqlx::query("UPDATE customers SET tier = 'enterprise' WHERE id = $1")
                .bind(other.customer),
        )
        .await
        .unwrap();
    let reply = app
        .get("/api/v1/shipments", other.token(Role::Customer))
        .await;
    assert_eq!(num(&reply, "ratelimit-limit"), 15);
}

async fn admins_override_limits_per_organization(app: TestApp) {
    let org = app.seed_org("rl-admin").await;
    let other = app.seed_org("rl-admin-other").await;
    let admin = org.token(Role::Admin);

    let current = app.get("/api/v1/admin/rate-limits", admin).await;
    assert_eq!(current.status, StatusCode::OK, "{}", current.body);
    assert_eq!(current.body["enabled"], true);
    assert_eq!(current.body["backend"], "memory");
    assert_eq!(current.body["plan_multipliers"]["enterprise"], 5);
    let general = &current.body["tiers"][0];
    assert_eq!(general["tier"], "general");
    assert_eq!(general["limit"], 100);
    assert_eq!(general["source"], "default");
    assert_eq!(current.body["version"], 0);
    let tag = current.header("etag").unwrap().to_string();
    assert_eq!(tag, "\"0\"");
    let put = |body: serde_json::Value, if_match: Option<String>| {
        let app = &app;
        async move {
            let headers: Vec<(&str, &str)> = match &if_match {
                Some(tag) => vec![("if-match", tag.as_str())],
                None => vec![],
            };
            app.send_with(
                Method::PUT,
                "/api/v1/admin/rate-limits",
                Some(admin),
                Some(body),
                &headers,
            )
            .await
        }
    };

    // Only admins.
    for role in [
        Role::Dispatcher,
        Role::Analyst,
        Role::Customer,
        Role::Driver,
    ] {
        app.get("/api/v1/admin/rate-limits", org.token(role))
            .await
            .assert_problem(403);
    }
    let body = json!({"tiers": [{"tier": "general", "limit": 2, "window_secs": 60}]});
    app.send(
        Method::PUT,
        "/api/v1/admin/rate-limits",
        Some(org.token(Role::Dispatcher)),
        Some(body.clone()),
    )
    .await
    .assert_problem(403);

    // Validation names every bad field.
    let bad = json!({"tiers": [
        {"tier": "general", "limit": 0, "window_secs": 60},
        {"tier": "ai", "limit": 5, "window_secs": 100000, "burst": 9},
        {"tier": "auth", "limit": 5, "window_secs": 60},
        {"tier": "general", "limit": 5, "window_secs": 60}
    ]});
    let reply = put(bad, Some(tag.clone())).await.assert_problem(422);
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "tiers[0].limit",
            "tiers[1].burst",
            "tiers[1].window_secs",
            "tiers[2].tier",
            "tiers[3].tier"
        ]
    );
    let unknown = json!({"tiers": [{"tier": "gold", "limit": 5, "window_secs": 60}]});
    put(unknown, Some(tag.clone())).await.assert_problem(422);

    // Optimistic concurrency: If-Match is required and must be current.
    put(body.clone(), None).await.assert_problem(428);
    put(body.clone(), Some("\"12345\"".into()))
        .await
        .assert_problem(412);
    let saved = put(body.clone(), Some(tag.clone())).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let new_tag = saved.header("etag").unwrap().to_string();
    assert_ne!(new_tag, tag);
    assert_eq!(new_tag, format!("\"{}\"", saved.body["version"]));
    let stale = put(body, Some(tag.clone())).await.assert_problem(412);
    assert_eq!(stale.body["current_version"], saved.body["version"]);
    assert_eq!(saved.body["tiers"][0]["limit"], 2);
    assert_eq!(saved.body["tiers"][0]["source"], "organization");
    assert_eq!(saved.body["tiers"][2]["source"], "default");

    let token = org.token(Role::Dispatcher);
    let first = app.get("/api/v1/shipments", token).await;
    assert_eq!(num(&first, "ratelimit-limit"), 2);
    assert_eq!(
        first.header("ratelimit-policy"),
        Some("2;w=60;burst=0;policy=\"general\"")
    );
    app.get("/api/v1/shipments", token).await;
    app.get("/api/v1/shipments", token)
        .await
        .assert_problem(429);
    // The other organization keeps the defaults.
    let elsewhere = app
        .get("/api/v1/shipments", other.token(Role::Dispatcher))
        .await;
    assert_eq!(num(&elsewhere, "ratelimit-limit"), 100);
}

async fn login_is_limited_per_account_and_per_ip(app: TestApp) {
    let org = app.seed_org("rl-auth").await;
    let login = |email: String, password: &'static str, ip: String| {
        let app = &app;
        async move {
            app.send_with(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
                &[("x-forwarded-for", ip.as_str())],
            )
            .await
        }
    };
    let victim = "dispatcher@rl-auth.test".to_string();
    // Per account: seed_org's login plus four wrong guesses from four addresses use the
    // account's five; then even the right password waits, from any address.
    for i in 0..4 {
        let reply = login(victim.clone(), "wrong-password", format!("127.0.1.{i}")).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
        assert_eq!(num(&reply, "ratelimit-limit"), 5);
    }
    let locked = login(victim.clone(), PASSWORD, "127.0.1.99".into())
        .await
        .assert_problem(429);
    assert_eq!(locked.body["tier"], "auth");
    assert!(num(&locked, "retry-after") >= 1);

    // Per IP: one address trying five different accounts is stopped at the sixth.
    for i in 0..5 {
        let reply = login(
            format!("guess{i}@rl-auth.test"),
            "wrong-password",
            "127.0.2.1".into(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    }
    login("analyst@rl-auth.test".into(), PASSWORD, "127.0.2.1".into())
        .await
        .assert_problem(429);
    // The same account from a fresh address still signs in.
    let ok = login("analyst@rl-auth.test".into(), PASSWORD, "127.0.2.2".into()).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);

    // Refresh shares the tier and the per-IP key.
    for _ in 0..5 {
        let reply = app
            .send_with(
                Method::POST,
                "/api/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": "not-a-token"})),
                &[("x-forwarded-for", "127.0.3.1")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    app.send_with(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": "another-token"})),
        &[("x-forwarded-for", "127.0.3.1")],
    )
    .await
    .assert_problem(429);
    let _ = org;
}

async fn switching_off_sends_no_headers(app: TestApp) {
    let org = app.seed_org("rl-off").await;
    for _ in 0..5 {
        let reply = app
            .get("/api/v1/shipments", org.token(Role::Dispatcher))
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.header("ratelimit-limit").is_none());
    }
}

macro_rules! limited {
    ($($name:ident => $tweak:expr),+ $(,)?) => {
        $(
            mod $name {
                use super::*;
                #[tokio::test]
                async fn sqlite() {
                    let app = app_with_limits(Backend::Sqlite, $tweak).await.unwrap();
                    super::$name(app).await;
                }
                #[tokio::test]
                async fn postgres() {
                    if let Some(app) = app_with_limits(Backend::Postgres, $tweak).await {
                        super::$name(app).await;
                    }
                }
            }
        )+
    };
}

limited!(
    headers_count_down_then_429 => |c| c.rate_limits.general = TierLimit::new(5, 900, 0),
    tiers_are_classified_by_path => |_| {},
    customer_plans_multiply_the_limit => |c| c.rate_limits.general = TierLimit::new(3, 900, 0),
    admins_override_limits_per_organization => |_| {},
    login_is_limited_per_account_and_per_ip => |c| c.rate_limits.auth = TierLimit::new(5, 900, 0),
    switching_off_sends_no_headers => |c| {
        c.rate_limits.general = TierLimit::new(2, 900, 0);
        c.rate_limits.enabled = false;
    },
);
