//! The shipment lifecycle with its event trail, filters, search, pagination and the
//! constant number of statements per list page.

use crate::both_backends;
use crate::helpers::{shipment_body, TestApp};
use freight::domain::Role;
use serde_json::json;

both_backends!(
    a_shipment_travels_the_whole_lifecycle_with_history,
    illegal_transitions_name_the_current_and_allowed_statuses,
    lists_filter_and_search,
    cursor_pagination_visits_every_shipment_once,
    search_pages_walk_matches_newest_first_within_the_organization,
    concurrent_edits_at_one_version_let_exactly_one_through,
    listing_costs_the_same_statements_whatever_the_page_size,
);

async fn transition(app: &TestApp, token: &str, id: i64, to: &str) -> crate::helpers::Reply {
    app.post(
        &format!("/api/v1/shipments/{id}/transitions"),
        token,
        json!({"to": to, "note": format!("to {to}")}),
    )
    .await
}

async fn a_shipment_travels_the_whole_lifecycle_with_history(app: TestApp) {
    let org = app.seed_org("life").await;
    let dispatcher = org.token(Role::Dispatcher);
    let mut draft = shipment_body(org.customer);
    draft["status"] = json!("draft");
    let created = app.create_shipment(&org, draft).await;
    assert_eq!(created["status"], "draft");
    assert_eq!(
        created["declared_value"],
        json!({"amount_cents": 2500000, "currency": "USD"})
    );
    assert!(created["reference"].as_str().unwrap().starts_with("IF-"));
    let id = created["id"].as_i64().unwrap();

    assert_eq!(
        transition(&app, dispatcher, id, "booked").await.body["status"],
        "booked"
    );
    let assigned = app
        .post(
            &format!("/api/v1/shipments/{id}/assign"),
            dispatcher,
            json!({"driver_id": org.driver, "vehicle_id": org.vehicle}),
        )
        .await;
    assert_eq!(assigned.body["status"], "assigned", "{}", assigned.body);
    assert_eq!(assigned.body["driver"]["id"], org.driver);
    assert_eq!(assigned.body["vehicle"]["id"], org.vehicle);
    let driver = org.token(Role::Driver);
    for step in ["picked_up", "in_transit", "delivered"] {
        let reply = transition(&app, driver, id, step).await;
        assert_eq!(reply.body["status"], step, "{}", reply.body);
    }
    let events = app
        .get(&format!("/api/v1/shipments/{id}/events"), dispatcher)
        .await;
    let trail: Vec<(Option<&str>, &str)> = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["from_status"].as_str(), e["to_status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        trail,
        [
            (None, "draft"),
            (Some("draft"), "booked"),
            (Some("booked"), "assigned"),
            (Some("assigned"), "picked_up"),
            (Some("picked_up"), "in_transit"),
            (Some("in_transit"), "delivered"),
        ]
    );
    let actors: Vec<&str> = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(
        actors[0].starts_with("user:") && actors[3] != actors[0],
        "driver and dispatcher are different actors: {actors:?}"
    );
    assert!(events.body[5]["at"].as_str().unwrap() >= events.body[0]["at"].as_str().unwrap());

    // Delivered is terminal; the customer can now rate it once.
    let rating = app
        .post(
            "/api/v1/ratings",
            org.token(Role::Customer),
            json!({"shipment_id": id, "score": 5, "comment": "great"}),
        )
        .await;
    assert_eq!(rating.status, 201, "{}", rating.body);
    assert_eq!(rating.body["driver_id"], org.driver);
    app.post(
        "/api/v1/ratings",
        org.token(Role::Customer),
        json!({"shipment_id": id, "score": 4}),
    )
    .await
    .assert_problem(409);
}

async fn illegal_transitions_name_the_current_and_allowed_statuses(app: TestApp) {
    let org = app.seed_org("illegal").await;
    let dispatcher = org.token(Role::Dispatcher);
    let id = app.create_shipment(&org, shipment_body(org.customer)).await["id"]
        .as_i64()
        .unwrap();
    let skip = transition(&app, dispatcher, id, "delivered")
        .await
        .assert_problem(409);
    assert_eq!(skip.body["code"], "invalid_transition");
    assert_eq!(skip.body["current_status"], "booked");
    assert_eq!(
        skip.body["allowed_next"],
        json!(["assigned", "cancelled", "exception"])
    );
    assert!(skip.body["detail"].as_str().unwrap().contains("booked"));
    assert_eq!(
        transition(&app, dispatcher, id, "cancelled").await.status,
        200
    );
    let closed = transition(&app, dispatcher, id, "booked")
        .await
        .assert_problem(409);
    assert_eq!(
        (
            closed.body["current_status"].as_str(),
            closed.body["allowed_next"].as_array().unwrap().len()
        ),
        (Some("cancelled"), 0)
    );
    let unknown = transition(&app, dispatcher, id, "teleported")
        .await
        .assert_problem(422);
    assert_eq!(unknown.error_fields(), ["to"]);
    let events = app
        .get(&format!("/api/v1/shipments/{id}/events"), dispatcher)
        .await;
    assert_eq!(
        events.body.as_array().unwrap().len(),
        2,
        "refused transitions leave no event"
    );
}

async fn lists_filter_and_search(app: TestApp) {
    let org = app.seed_org("filters").await;
    let dispatcher = org.token(Role::Dispatcher);
    let mut urgent = shipment_body(org.other_customer);
    urgent["priority"] = json!("urgent");
    urgent["notes"] = json!("Liftgate required, refrigerated pharmaceuticals");
    urgent["reference"] = json!("PO-77881");
    let urgent = app.create_shipment(&org, urgent).await;
    let plain = app.create_shipment(&org, shipment_body(org.customer)).await;
    let cancelled = app.create_shipment(&org, shipment_body(org.customer)).await;
    transition(
        &app,
        dispatcher,
        cancelled["id"].as_i64().unwrap(),
        "cancelled",
    )
    .await;

    let ids = |reply: crate::helpers::Reply| -> Vec<i64> {
        reply.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect()
    };
    let id = |v: &serde_json::Value| v["id"].as_i64().unwrap();
    assert_eq!(
        ids(app
            .get("/api/v1/shipments?status=cancelled", dispatcher)
            .await),
        [id(&cancelled)]
    );
    assert_eq!(
        ids(app
            .get("/api/v1/shipments?status=booked,cancelled", dispatcher)
            .await)
        .len(),
        3
    );
    assert_eq!(
        ids(app
            .get("/api/v1/shipments?priority=urgent", dispatcher)
            .await),
        [id(&urgent)]
    );
    assert_eq!(
        ids(app
            .get(
                &format!("/api/v1/shipments?customer_id={}", org.customer),
                dispatcher
            )
            .await),
        [id(&cancelled), id(&plain)]
    );
    assert_eq!(
        ids(app
            .get("/api/v1/shipments?q=refrigerated", dispatcher)
            .await),
        [id(&urgent)]
    );
    assert_eq!(
        ids(app.get("/api/v1/shipments?q=pharma", dispatcher).await),
        [id(&urgent)],
        "prefix search"
    );
    assert_eq!(
        ids(app.get("/api/v1/shipments?q=PO-77881", dispatcher).await),
        [id(&urgent)],
        "reference search"
    );
    assert!(
        ids(app.get("/api/v1/shipments?q=%22OR%20*", dispatcher).await).is_empty(),
        "query syntax is inert"
    );
    let future = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339()
        .replace('+', "%2B");
    let past = (chrono::Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339()
        .replace('+', "%2B");
    assert!(ids(app
        .get(
            &format!("/api/v1/shipments?created_from={future}"),
            dispatcher
        )
        .await)
    .is_empty());
    assert_eq!(
        ids(app
            .get(
                &format!("/api/v1/shipments?created_from={past}&created_to={future}"),
                dispatcher
            )
            .await)
        .len(),
        3
    );
    let bad = app
        .get("/api/v1/shipments?status=lost", dispatcher)
        .await
        .assert_problem(422);
    assert_eq!(bad.error_fields(), ["status"]);
    let bad = app
        .get("/api/v1/shipments?customer_id=abc", dispatcher)
        .await
        .assert_problem(422);
    assert_eq!(bad.error_fields(), ["customer_id"]);
}

async fn cursor_pagination_visits_every_shipment_once(app: TestApp) {
    let org = app.seed_org("pages").await;
    let mut created = Vec::new();
    for _ in 0..7 {
        created.push(
            app.create_shipment(&org, shipment_body(org.customer)).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let token = org.token(Role::Admin);
    let mut seen = Vec::new();
    let mut path = "/api/v1/shipments?limit=3".to_string();
    loop {
        let page = app.get(&path, token).await;
        let data = page.body["data"].as_array().unwrap();
        assert!(data.len() <= 3);
        seen.extend(data.iter().map(|s| s["id"].as_i64().unwrap()));
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/shipments?limit=3&cursor={c}"),
            None => break,
        }
    }
    created.reverse();
    assert_eq!(seen, created, "newest first, each exactly once");
    app.get("/api/v1/shipments?cursor=bogus", token)
        .await
        .assert_problem(422);
    app.get("/api/v1/shipments?limit=1000", token)
        .await
        .assert_problem(422);
}

async fn search_pages_walk_matches_newest_first_within_the_organization(app: TestApp) {
    let org = app.seed_org("search-pages").await;
    let other = app.seed_org("search-other").await;
    let with_notes = |customer: i64, notes: &str| {
        let mut body = shipment_body(customer);
        body["notes"] = json!(notes);
        body
    };
    let mut matching = Vec::new();
    for i in 0..7 {
        let body = with_notes(org.customer, &format!("pallet {i} of widgets"));
        matching.push(
            app.create_shipment(&org, body).await["id"]
                .as_i64()
                .unwrap(),
        );
        // Interleaved: a non-matching shipment here and a matching one in another tenant.
        app.create_shipment(&org, with_notes(org.customer, "bolts"))
            .await;
        app.create_shipment(&other, with_notes(other.customer, "widgets"))
            .await;
    }
    let token = org.token(Role::Dispatcher);
    let mut seen = Vec::new();
    let mut path = "/api/v1/shipments?q=widget&limit=3".to_string();
    loop {
        let page = app.get(&path, token).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let data = page.body["data"].as_array().unwrap();
        assert!(data.len() <= 3);
        seen.extend(data.iter().map(|s| s["id"].as_i64().unwrap()));
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/shipments?q=widget&limit=3&cursor={c}"),
            None => break,
        }
    }
    matching.reverse();
    assert_eq!(
        seen, matching,
        "every match once, newest first, no other tenant's"
    );
    // Search combines with the other filters.
    let first = matching[0];
    let cancelled = transition(&app, token, first, "cancelled").await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let page = app
        .get("/api/v1/shipments?q=widgets&status=cancelled", token)
        .await;
    let ids: Vec<i64> = page.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [first]);
}

async fn concurrent_edits_at_one_version_let_exactly_one_through(app: TestApp) {
    let org = app.seed_org("races").await;
    let created = app.create_shipment(&org, shipment_body(org.customer)).await;
    let path = format!("/api/v1/shipments/{}", created["id"]);
    let token = org.token(Role::Dispatcher);
    let edits = (0..8).map(|i| app.patch(&path, token, 1, json!({"notes": format!("editor {i}")})));
    let replies = futures::future::join_all(edits).await;
    let won: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(won.len(), 1, "exactly one edit applies at version 1");
    for lost in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(lost.status, 412, "{}", lost.body);
        assert_eq!(lost.body["current_version"], 2);
    }
    let now = app.get(&path, token).await;
    assert_eq!(now.body["version"], 2);
    assert_eq!(
        now.body["notes"], won[0].body["notes"],
        "the winner's edit is stored"
    );
}

async fn listing_costs_the_same_statements_whatever_the_page_size(app: TestApp) {
    let org = app.seed_org("nplus1").await;
    let dispatcher = org.token(Role::Dispatcher);
    for i in 0..12 {
        let id = app.create_shipment(&org, shipment_body(org.customer)).await["id"]
            .as_i64()
            .unwrap();
        if i % 2 == 0 {
            let assign = json!({"driver_id": org.driver, "vehicle_id": org.vehicle});
            assert_eq!(
                app.post(
                    &format!("/api/v1/shipments/{id}/assign"),
                    dispatcher,
                    assign
                )
                .await
                .status,
                200
            );
        }
    }
    let mut costs = Vec::new();
    for limit in [2, 12] {
        let before = app.db.statements_executed();
        let page = app
            .get(&format!("/api/v1/shipments?limit={limit}"), dispatcher)
            .await;
        let after = app.db.statements_executed();
        let rows = page.body["data"].as_array().unwrap();
        assert_eq!(rows.len(), limit);
        assert!(
            rows.iter()
                .any(|s| s["driver"]["name"].is_string() && s["vehicle"]["plate"].is_string()),
            "embedded"
        );
        costs.push(after - before);
    }
    assert_eq!(
        costs[0], costs[1],
        "statements per list page must not grow with its size"
    );
    assert_eq!(
        costs[0], 1,
        "a page of shipments with drivers and vehicles is one statement"
    );
}
