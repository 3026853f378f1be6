//! A driver's status follows their loads (`db::driver_duty`): a pickup puts them on route,
//! closing the last load they hold makes them available again, a break stays theirs, and
//! the cached driver lists and shipment pages show the change at once.

use freight::domain::Role;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Org, TestApp};

both_backends!(a_driver_is_on_route_while_holding_a_load_and_free_after_the_last);

async fn move_to(app: &TestApp, org: &Org, role: Role, id: i64, to: &str) -> Value {
    let reply = app
        .post(
            &format!("/api/v1/shipments/{id}/transitions"),
            org.token(role),
            json!({"to": to}),
        )
        .await;
    assert_eq!(reply.status, 200, "{to}: {}", reply.body);
    reply.body
}

/// The driver's status as their own record and the cached availability list tell it.
async fn driver_status(app: &TestApp, org: &Org) -> String {
    let token = org.token(Role::Dispatcher);
    let own = app
        .get(&format!("/api/v1/drivers/{}", org.driver), token)
        .await;
    let status = own.body["status"].as_str().unwrap().to_string();
    let available = app.get("/api/v1/drivers?status=available", token).await;
    let listed = available.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == org.driver);
    assert_eq!(listed, status == "available", "list and record agree");
    status
}

async fn a_driver_is_on_route_while_holding_a_load_and_free_after_the_last(app: TestApp) {
    let org = app.seed_org("duty").await;
    let (first, second) = (
        app.assigned_shipment(&org).await,
        app.assigned_shipment(&org).await,
    );
    assert_eq!(driver_status(&app, &org).await, "available");

    // Picking up puts the driver on route, in the answer's embedded driver too.
    let picked = move_to(&app, &org, Role::Driver, first, "picked_up").await;
    assert_eq!(picked["driver"]["status"], "on_route");
    assert_eq!(driver_status(&app, &org).await, "on_route");
    let pages = app
        .get(
            "/api/v1/shipments?status=picked_up",
            org.token(Role::Dispatcher),
        )
        .await;
    assert_eq!(pages.body["data"][0]["driver"]["status"], "on_route");
    move_to(&app, &org, Role::Driver, second, "picked_up").await;

    // Delivering one of two loads in hand keeps them on route; cancelling the other frees them.
    move_to(&app, &org, Role::Driver, first, "in_transit").await;
    let delivered = move_to(&app, &org, Role::Driver, first, "delivered").await;
    assert_eq!(delivered["driver"]["status"], "on_route");
    assert_eq!(driver_status(&app, &org).await, "on_route");
    let cancelled = move_to(&app, &org, Role::Dispatcher, second, "cancelled").await;
    assert_eq!(cancelled["driver"]["status"], "available");
    assert_eq!(driver_status(&app, &org).await, "available");

    // A break is the driver's own: closing a load does not end it.
    let third = app.assigned_shipment(&org).await;
    move_to(&app, &org, Role::Driver, third, "picked_up").await;
    let path = format!("/api/v1/drivers/{}", org.driver);
    let token = org.token(Role::Dispatcher);
    let version = app.get(&path, token).await.body["version"]
        .as_i64()
        .unwrap();
    let on_break = app
        .patch(&path, token, version, json!({"status": "on_break"}))
        .await;
    assert_eq!(on_break.status, 200, "{}", on_break.body);
    move_to(&app, &org, Role::Dispatcher, third, "exception").await;
    assert_eq!(driver_status(&app, &org).await, "on_break");
}
