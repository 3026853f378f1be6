//! Helpers for handlers that answer from the read-through cache.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::auth::{Scope, Visibility};
use crate::cache::Cached;

/// The part of a cache key that captures who may see the data.
pub fn scope_key(scope: &Scope) -> String {
    match scope.visibility {
        Visibility::Organization => format!("{}:o", scope.org_id),
        Visibility::Customer(id) => format!("{}:c{id}", scope.org_id),
        Visibility::Driver(id) => format!("{}:d{id}", scope.org_id),
    }
}

/// A cached JSON body as a 200 response (with its ETag when it has one).
pub fn json_response(cached: Cached) -> Response {
    let mut response = ([(header::CONTENT_TYPE, "application/json")], cached.body).into_response();
    if let Some(etag) = cached.etag.and_then(|e| e.parse().ok()) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}
