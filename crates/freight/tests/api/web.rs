//! The web dashboard served by the binary: entry page, deep links, fingerprinted assets with
//! validators, and the boundary with the API (unknown `/api` paths stay problem+json).
//! Serving files touches no database, so these run on SQLite only.

use reqwest::header;

use crate::helpers::{spawn_app, Backend};

/// The committed build output the binary serves (`web/dist`).
fn dist() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist")
}

#[tokio::test]
async fn dashboard_entry_page_and_deep_links_serve_index_html() {
    let app = spawn_app(Backend::Sqlite).await;
    let index = std::fs::read_to_string(dist().join("index.html")).expect("web/dist is built");
    for path in ["/", "/shipments/42", "/map", "/login"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(
            response.headers().get("ratelimit-policy").is_none(),
            "static files are not rate limited"
        );
        assert_eq!(response.text().await.unwrap(), index, "{path}");
    }
}

#[tokio::test]
async fn fingerprinted_assets_are_immutable_and_revalidate_by_etag() {
    let app = spawn_app(Backend::Sqlite).await;
    let asset = std::fs::read_dir(dist().join("assets"))
        .expect("web/dist/assets")
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .find(|name| name.ends_with(".js"))
        .expect("a JavaScript bundle");
    let url = app.url(&format!("/assets/{asset}"));
    let first = app.client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("javascript"));
    assert_eq!(
        first.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
    let on_disk = std::fs::read(dist().join("assets").join(&asset)).unwrap();
    assert_eq!(first.bytes().await.unwrap().as_ref(), on_disk.as_slice());

    let again = app
        .client
        .get(&url)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn missing_files_and_unknown_api_paths_are_404() {
    let app = spawn_app(Backend::Sqlite).await;
    let missing = app
        .client
        .get(app.url("/assets/missing-0000.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    for path in ["/api/v1/no-such-thing", "/api/nope", "/api"] {
        let api = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(api.status(), 404, "{path}");
        assert_eq!(
            api.headers()[header::CONTENT_TYPE],
            "application/problem+json",
            "{path}"
        );
    }
    let post = app.client.post(app.url("/")).send().await.unwrap();
    assert_eq!(post.status(), 404, "only GET/HEAD reach the dashboard");
}

#[tokio::test]
async fn served_openapi_document_is_the_one_freight_openapi_prints() {
    let app = spawn_app(Backend::Sqlite).await;
    let served: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let printed = serde_json::to_value(freight::http::openapi_document()).unwrap();
    assert_eq!(served, printed);
}
