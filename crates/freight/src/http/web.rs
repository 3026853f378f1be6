//! The web dashboard's files, served by the binary itself so `serve --demo` is the whole setup.
//!
//! `web/dist` (built from `web/` by Vite and committed) is embedded into release builds; debug
//! builds read it from disk at request time, so rebuilding the front end needs no Rust rebuild.
//! Any GET outside `/api` that names no file answers `index.html`, which routes in the browser.
//! Unknown `/api` paths keep answering problem+json.

use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::{EmbeddedFile, RustEmbed};

use super::error::ApiError;

#[derive(RustEmbed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Dist;

/// Fingerprinted bundles never change under the same name; everything else is revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// The router's fallback: a dashboard file, the dashboard's entry page, or a 404.
pub async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if is_api(path) || (method != Method::GET && method != Method::HEAD) {
        return ApiError::NotFound("route").into_response();
    }
    let name = path.trim_start_matches('/');
    let name = if name.is_empty() { "index.html" } else { name };
    if let Some(file) = Dist::get(name) {
        return file_response(name, file, &headers);
    }
    // A path with an extension is a missing file; anything else is a page of the dashboard.
    let last_segment = name.rsplit('/').next().unwrap_or(name);
    if last_segment.contains('.') {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    match Dist::get("index.html") {
        Some(index) => file_response("index.html", index, &headers),
        None => (
            StatusCode::NOT_FOUND,
            "The web dashboard is not built: npm --prefix web ci && npm --prefix web run build",
        )
            .into_response(),
    }
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/metrics"
}

fn file_response(name: &str, file: EmbeddedFile, request: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let cache_control = if name.starts_with("assets/") {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        file.data.into_owned().into_response()
    };
    let headers = response.headers_mut();
    if let Ok(mime) = HeaderValue::from_str(file.metadata.mimetype()) {
        headers.insert(header::CONTENT_TYPE, mime);
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
