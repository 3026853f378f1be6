//! Authorization: roles gate functions, tenants never see each other, customers and drivers
//! see only their own shipments.

use crate::both_backends;
use crate::helpers::{shipment_body, TestApp};
use freight::domain::Role;
use reqwest::Method;
use serde_json::json;

both_backends!(
    another_tenants_ids_answer_not_found,
    roles_gate_functions,
    customers_see_only_their_own_shipments,
    drivers_see_only_their_assignments,
);

async fn another_tenants_ids_answer_not_found(app: TestApp) {
    let acme = app.seed_org("acme").await;
    let rival = app.seed_org("rival").await;
    let shipment = app
        .create_shipment(&acme, shipment_body(acme.customer))
        .await;
    let id = shipment["id"].as_i64().unwrap();
    let intruder = rival.token(Role::Admin);

    for path in [
        format!("/api/v1/shipments/{id}"),
        format!("/api/v1/shipments/{id}/events"),
        format!("/api/v1/customers/{}", acme.customer),
        format!("/api/v1/drivers/{}", acme.driver),
        format!("/api/v1/vehicles/{}", acme.vehicle),
    ] {
        let reply = app.get(&path, intruder).await.assert_problem(404);
        assert!(
            !reply.body.to_string().contains("Acme"),
            "leaked data on {path}"
        );
    }
    let patch = app
        .send_with(
            Method::PATCH,
            &format!("/api/v1/shipments/{id}"),
            Some(intruder),
            Some(json!({"notes": "x"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    patch.assert_problem(404);
    let transition = app
        .post(
            &format!("/api/v1/shipments/{id}/transitions"),
            intruder,
            json!({"to": "cancelled"}),
        )
        .await;
    transition.assert_problem(404);
    // Booking for another tenant's customer is a bad reference, not a leak.
    let foreign_customer = app
        .post("/api/v1/shipments", intruder, shipment_body(acme.customer))
        .await
        .assert_problem(422);
    assert_eq!(foreign_customer.error_fields(), ["customer_id"]);
    let assign = app
        .post(
            &format!("/api/v1/shipments/{id}/assign"),
            acme.token(Role::Dispatcher),
            json!({"driver_id": rival.driver, "vehicle_id": acme.vehicle}),
        )
        .await
        .assert_problem(422);
    assert_eq!(assign.error_fields(), ["driver_id"]);

    let rival_list = app.get("/api/v1/shipments", intruder).await;
    assert_eq!(rival_list.body["data"].as_array().unwrap().len(), 0);
    let unchanged = app
        .get(&format!("/api/v1/shipments/{id}"), acme.token(Role::Admin))
        .await;
    assert_eq!(
        (
            unchanged.body["status"].as_str(),
            unchanged.body["version"].as_i64()
        ),
        (Some("booked"), Some(1))
    );
}

async fn roles_gate_functions(app: TestApp) {
    let org = app.seed_org("roles").await;
    let body = shipment_body(org.customer);
    app.post("/api/v1/shipments", org.token(Role::Analyst), body.clone())
        .await
        .assert_problem(403);
    app.post("/api/v1/shipments", org.token(Role::Driver), body.clone())
        .await
        .assert_problem(403);
    app.get("/api/v1/drivers", org.token(Role::Customer))
        .await
        .assert_problem(403);
    app.get("/api/v1/users", org.token(Role::Dispatcher))
        .await
        .assert_problem(403);
    let shipment = app.create_shipment(&org, body).await;
    let id = shipment["id"].as_i64().unwrap();
    let assign = json!({"driver_id": org.driver, "vehicle_id": org.vehicle});
    app.post(
        &format!("/api/v1/shipments/{id}/assign"),
        org.token(Role::Driver),
        assign.clone(),
    )
    .await
    .assert_problem(403);
    app.post(
        &format!("/api/v1/shipments/{id}/assign"),
        org.token(Role::Customer),
        assign,
    )
    .await
    .assert_problem(403);
    // Allowed functions still work for the same roles.
    assert_eq!(
        app.get("/api/v1/shipments", org.token(Role::Analyst))
            .await
            .status,
        200
    );
    assert_eq!(
        app.get("/api/v1/users", org.token(Role::Admin))
            .await
            .status,
        200
    );
}

async fn customers_see_only_their_own_shipments(app: TestApp) {
    let org = app.seed_org("shippers").await;
    let mine = app.create_shipment(&org, shipment_body(org.customer)).await;
    let theirs = app
        .create_shipment(&org, shipment_body(org.other_customer))
        .await;
    let token = org.token(Role::Customer);
    let list = app.get("/api/v1/shipments", token).await;
    let ids: Vec<i64> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [mine["id"].as_i64().unwrap()]);
    app.get(&format!("/api/v1/shipments/{}", theirs["id"]), token)
        .await
        .assert_problem(404);
    app.get(&format!("/api/v1/customers/{}", org.other_customer), token)
        .await
        .assert_problem(404);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{}", org.customer), token)
            .await
            .status,
        200
    );

    // A customer books for themselves, and cannot book for someone else.
    let mut own = shipment_body(org.customer);
    own.as_object_mut().unwrap().remove("customer_id");
    let booked = app.post("/api/v1/shipments", token, own).await;
    assert_eq!(
        (booked.status.as_u16(), booked.body["customer_id"].as_i64()),
        (201, Some(org.customer))
    );
    let forged = app
        .post(
            "/api/v1/shipments",
            token,
            shipment_body(org.other_customer),
        )
        .await
        .assert_problem(422);
    assert_eq!(forged.error_fields(), ["customer_id"]);
    // Customers may cancel before pickup, but never dispatch.
    let cancel = app
        .post(
            &format!("/api/v1/shipments/{}/transitions", mine["id"]),
            token,
            json!({"to": "cancelled"}),
        )
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.body);
}

async fn drivers_see_only_their_assignments(app: TestApp) {
    let org = app.seed_org("drivers").await;
    let dispatcher = org.token(Role::Dispatcher);
    let assigned = app.create_shipment(&org, shipment_body(org.customer)).await;
    let other = app.create_shipment(&org, shipment_body(org.customer)).await;
    let id = assigned["id"].as_i64().unwrap();
    let reply = app
        .post(
            &format!("/api/v1/shipments/{id}/assign"),
            dispatcher,
            json!({"driver_id": org.driver, "vehicle_id": org.vehicle}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    let driver = org.token(Role::Driver);
    let list = app.get("/api/v1/shipments", driver).await;
    let ids: Vec<i64> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [id]);
    app.get(&format!("/api/v1/shipments/{}", other["id"]), driver)
        .await
        .assert_problem(404);
    app.get(&format!("/api/v1/drivers/{}", org.other_driver), driver)
        .await
        .assert_problem(404);
    assert_eq!(
        app.get(&format!("/api/v1/drivers/{}", org.driver), driver)
            .await
            .status,
        200
    );
    // The driver moves their own load forward but cannot cancel it.
    let picked = app
        .post(
            &format!("/api/v1/shipments/{id}/transitions"),
            driver,
            json!({"to": "picked_up"}),
        )
        .await;
    assert_eq!(picked.status, 200, "{}", picked.body);
    app.post(
        &format!("/api/v1/shipments/{id}/transitions"),
        driver,
        json!({"to": "cancelled"}),
    )
    .await
    .assert_problem(403);
}
