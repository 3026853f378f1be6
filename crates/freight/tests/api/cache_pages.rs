//! Cached shipment list pages, edits and bookings: an edit refreshes every page that shows
//! the edited shipment and leaves the other pages cached; an edit of a field lists filter on
//! moves the shipment between pages at once; a booking joins every cached first page whose
//! filter and viewer it matches without a query (spliced from the in-process creation log),
//! each exactly as a reload builds it. Whether a read was served from cache is seen from the
//! statement counter of the app's database handle (a cached page runs no statement).

use freight::db::generations::Subject;
use freight::domain::Role;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{shipment_body, Org, TestApp};

both_backends!(
    an_edit_refreshes_the_pages_showing_it_and_spares_the_others,
    an_edit_of_a_filtered_field_moves_the_shipment_between_pages,
    bookings_join_cached_first_pages_exactly_as_a_reload_shows_them
);

/// Reads `path` and says how many statements the read ran.
async fn read(app: &TestApp, token: &str, path: &str) -> (Value, u64) {
    let before = app.db.statements_executed();
    let reply = app.get(path, token).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    (reply.body, app.db.statements_executed() - before)
}

fn ids(page: &Value) -> Vec<i64> {
    page["data"]
        .as_array()
        .expect("a page")
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect()
}

async fn an_edit_refreshes_the_pages_showing_it_and_spares_the_others(app: TestApp) {
    let org = app.seed_org("pages").await;
    let token = org.token(Role::Dispatcher);
    let older = app.create_shipment(&org, shipment_body(org.customer)).await;
    let edited = app.create_shipment(&org, shipment_body(org.customer)).await;
    let (older_id, edited_id) = (
        older["id"].as_i64().unwrap(),
        edited["id"].as_i64().unwrap(),
    );
    // Page 1 (limit 1) shows the newer shipment, page 2 the older one.
    let first = "/api/v1/shipments?limit=1";
    let (page, _) = read(&app, token, first).await;
    let second = format!(
        "/api/v1/shipments?limit=1&cursor={}",
        page["next_cursor"].as_str().expect("a second page")
    );
    let booked = "/api/v1/shipments?status=booked";
    for path in [first, second.as_str(), booked] {
        read(&app, token, path).await;
        assert_eq!(read(&app, token, path).await.1, 0, "{path} is cached");
    }
    assert_eq!(ids(&read(&app, token, first).await.0), [edited_id]);
    assert_eq!(ids(&read(&app, token, &second).await.0), [older_id]);

    // Weight is shown on the pages but filtered on by none of them.
    let path = format!("/api/v1/shipments/{edited_id}");
    let reply = app
        .patch(&path, token, 1, json!({"weight_kg": 777.0}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    let (page, statements) = read(&app, token, first).await;
    assert_eq!(page["data"][0]["weight_kg"], 777.0, "the page showing it");
    assert!(statements > 0, "reloaded");
    let (page, _) = read(&app, token, booked).await;
    let shown: Vec<&Value> = page["data"].as_array().unwrap().iter().collect();
    assert_eq!(shown.len(), 2);
    assert!(shown
        .iter()
        .all(|s| s["id"] != edited_id || s["weight_kg"] == 777.0));
    let (page, statements) = read(&app, token, &second).await;
    assert_eq!(ids(&page), [older_id]);
    assert_eq!(
        statements, 0,
        "a page without the edited shipment stays cached"
    );
}

async fn an_edit_of_a_filtered_field_moves_the_shipment_between_pages(app: TestApp) {
    let org = app.seed_org("moves").await;
    let token = org.token(Role::Dispatcher);
    let created = app.create_shipment(&org, shipment_body(org.customer)).await;
    let id = created["id"].as_i64().unwrap();
    let priority = created["priority"].as_str().unwrap().to_string();
    let other = if priority == "urgent" {
        "low"
    } else {
        "urgent"
    };
    let from = format!("/api/v1/shipments?priority={priority}");
    let to = format!("/api/v1/shipments?priority={other}&status=booked");
    for _ in 0..2 {
        assert_eq!(ids(&read(&app, token, &from).await.0), [id]);
        assert!(ids(&read(&app, token, &to).await.0).is_empty());
    }
    let path = format!("/api/v1/shipments/{id}");
    let reply = app.patch(&path, token, 1, json!({"priority": other})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(ids(&read(&app, token, &from).await.0).is_empty(), "left");
    assert_eq!(ids(&read(&app, token, &to).await.0), [id], "arrived");
}

async fn book(app: &TestApp, org: &Org, customer: i64, priority: &str, status: &str) -> i64 {
    let mut body = shipment_body(customer);
    body["priority"] = json!(priority);
    body["status"] = json!(status);
    app.create_shipment(org, body).await["id"].as_i64().unwrap()
}

async fn bookings_join_cached_first_pages_exactly_as_a_reload_shows_them(app: TestApp) {
    let org = app.seed_org("splice").await;
    let dispatcher = org.token(Role::Dispatcher);
    let customer = org.token(Role::Customer);
    let driver = org.token(Role::Driver);
    let mine_high = book(&app, &org, org.customer, "high", "booked").await;
    book(&app, &org, org.other_customer, "normal", "booked").await;
    book(&app, &org, org.customer, "low", "draft").await;
    let since = (chrono::Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (first, _) = read(&app, dispatcher, "/api/v1/shipments?limit=2").await;
    let second = format!(
        "/api/v1/shipments?limit=2&cursor={}",
        first["next_cursor"].as_str().expect("a second page")
    );
    let by_customer = format!("/api/v1/shipments?customer_id={}", org.customer);
    let since = format!("/api/v1/shipments?created_from={since}&status=booked,draft");
    // (viewer, page, the ids the two bookings below add to it)
    let pages: Vec<(&str, &str, bool)> = vec![
        (dispatcher, "/api/v1/shipments?limit=2", true),
        (dispatcher, "/api/v1/shipments?status=booked", true),
        (dispatcher, "/api/v1/shipments?status=draft", true),
        (dispatcher, "/api/v1/shipments?status=in_transit", false),
        (dispatcher, &by_customer, true),
        (dispatcher, "/api/v1/shipments?priority=high", true),
        (dispatcher, "/api/v1/shipments?priority=urgent", false),
        (dispatcher, &since, true),
        (dispatcher, &second, false),
        (dispatcher, "/api/v1/shipments?q=glassware", true),
        (customer, "/api/v1/shipments", true),
        (driver, "/api/v1/shipments", false),
    ];
    for (token, path, _) in &pages {
        read(&app, token, path).await;
        assert_eq!(read(&app, token, path).await.1, 0, "{path} is cached");
    }
    let before: Vec<Value> = {
        let mut out = Vec::new();
        for (token, path, _) in &pages {
            out.push(read(&app, token, path).await.0);
        }
        out
    };

    let booked = book(&app, &org, org.customer, "high", "booked").await;
    let drafted = book(&app, &org, org.customer, "normal", "draft").await;
    book(&app, &org, org.other_customer, "high", "booked").await;

    let mut spliced = Vec::new();
    for ((token, path, changes), old) in pages.iter().zip(&before) {
        let (page, statements) = read(&app, token, path).await;
        let first_page = !path.contains("cursor") && !path.contains("q=");
        if first_page {
            assert_eq!(statements, 0, "{path}: served from cache");
        }
        assert_eq!(&page != old, *changes, "{path}: {page}");
        spliced.push(page);
    }
    // What they show, spot-checked.
    let shown = |i: usize| ids(&spliced[i]);
    assert_eq!(shown(0).len(), 2);
    assert!(shown(1).contains(&booked) && !shown(1).contains(&drafted));
    assert!(shown(2).contains(&drafted) && !shown(2).contains(&booked));
    assert!(shown(4).contains(&booked) && shown(4).contains(&drafted));
    assert!(shown(5).contains(&booked) && !shown(5).contains(&drafted));
    assert!(shown(5).contains(&mine_high));
    assert!(shown(10).iter().all(|id| ids(&spliced[4]).contains(id)));
    assert_eq!(
        shown(10).len(),
        ids(&spliced[4]).len(),
        "the customer's own"
    );
    assert_eq!(spliced[1]["next_cursor"], Value::Null);

    // A fleet change changes every page's key: all reload, and must show the same.
    app.db.generations().bump(org.id, &[Subject::Fleet]).await;
    for ((token, path, _), seen) in pages.iter().zip(&spliced) {
        let (page, statements) = read(&app, token, path).await;
        assert!(statements > 0, "{path}: reloaded");
        assert_eq!(&page, seen, "{path}: the cached page is the reloaded one");
    }
}
