//! Full-text search finds every word a term starts, whether the term covers a few indexed
//! words (SQLite expands it to them) or more than the expansion takes (left a prefix).

use freight::domain::Role;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{shipment_body, TestApp};

both_backends!(a_term_finds_every_word_it_starts_however_many_there_are);

async fn a_term_finds_every_word_it_starts_however_many_there_are(app: TestApp) {
    let org = app.seed_org("prefixes").await;
    let token = org.token(Role::Dispatcher);
    // 21 distinct words starting with "bay": more than one expansion takes.
    for i in 0..20 {
        let mut body = shipment_body(org.customer);
        body["notes"] = json!(format!("bay{i}x door"));
        app.create_shipment(&org, body).await;
    }
    let mut body = shipment_body(org.customer);
    body["notes"] = json!("Bayside door");
    app.create_shipment(&org, body).await;
    let count = |q: &'static str| {
        let app = &app;
        async move {
            let page = app
                .get(&format!("/api/v1/shipments?q={q}&limit=100"), token)
                .await;
            assert_eq!(page.status, 200, "{}", page.body);
            page.body["data"].as_array().unwrap().len()
        }
    };
    assert_eq!(count("bay").await, 21, "a prefix of 21 words");
    assert_eq!(count("bay1").await, 11, "bay1x and bay10x to bay19x");
    assert_eq!(count("bays").await, 1);
    assert_eq!(count("bay1+door").await, 11, "every term must match");
    assert_eq!(count("bayou").await, 0);
}
