//! The HTTP surface: one router builder used by `serve` and by the tests.
//!
//! All routes live under `/api`. Resource modules each expose a `router()` whose handlers
//! carry `#[utoipa::path]` annotations, so the OpenAPI document at `/api/v1/openapi.json` is
//! generated from the same code that routes requests.

pub mod admin;
pub mod cached;
pub mod customers;
pub mod dashboard;
pub mod drivers;
pub mod error;
pub mod extract;
pub mod feedback;
pub mod health;
pub mod idempotency;
pub mod merge_patch;
pub mod pagination;
pub mod performance;
pub mod rate_limits;
pub mod routes;
pub mod sessions;
pub mod shipment_list;
pub mod shipments;
pub mod tracking;
pub mod vehicles;
pub mod web;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::{Json, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;
use error::ApiError;

/// Builds the complete application router.
pub fn app(state: AppState) -> Router {
    app_with(state, Router::new())
}

/// The application router with `extra` routes mounted inside the same middleware (tests use
/// it to plant fixture routes, e.g. a deliberate N+1 for the analyzer).
pub fn app_with(state: AppState, extra: Router<AppState>) -> Router {
    let (router, api) = api_router(&state).split_for_parts();
    let api = std::sync::Arc::new(api);
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || async move { Json(api.as_ref().clone()) }),
        )
        .merge(tracking::osmand_routes())
        .merge(extra)
        .route(
            "/metrics",
            axum::routing::get(crate::observability::metrics::render),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::observability::metrics::track,
        ))
        // Unmatched `/api` paths answer problem+json; everything else is the web dashboard.
        .fallback(web::serve)
        // Outside the routes so unmatched paths are limited too (see `ratelimit::middleware`).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::ratelimit::middleware::layer,
        ))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // The request span, the trace id and the response `traceparent`; failures are logged
        // there too (see `telemetry::trace_request`).
        .layer(axum::middleware::from_fn(crate::telemetry::trace_request))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
        .with_state(state)
}

/// The routes with their OpenAPI description.
pub fn api_router(state: &AppState) -> OpenApiRouter<AppState> {
    let v1 = v1_routes().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        idempotency::layer,
    ));
    OpenApiRouter::with_openapi(base_document())
        .nest("/api", health::router())
        .nest("/api/v1", v1)
}

/// The OpenAPI document alone (`freight openapi`; the web dashboard's types come from it).
pub fn openapi_document() -> OpenApi {
    OpenApiRouter::<AppState>::with_openapi(base_document())
        .nest("/api", health::router())
        .nest("/api/v1", v1_routes())
        .split_for_parts()
        .1
}

fn v1_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(sessions::router())
        .merge(shipments::router())
        .merge(customers::router())
        .merge(drivers::router())
        .merge(vehicles::router())
        .merge(feedback::router())
        .merge(dashboard::router())
        .merge(performance::router())
        .merge(routes::router())
        .merge(admin::router())
        .merge(rate_limits::router())
        .merge(tracking::router())
}

fn base_document() -> OpenApi {
    let mut doc = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("Infamous Freight API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Freight operations: shipments, dispatch, fleet, tracking. Errors are RFC 9457 problem+json; \
                     lists are cursor-paginated; POST accepts Idempotency-Key; updates need If-Match.",
                ))
                .build(),
        )
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    components.add_security_scheme(
        "api_key",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
    );
    doc.security = Some(vec![
        utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new()),
        utoipa::openapi::security::SecurityRequirement::new("api_key", Vec::<String>::new()),
    ]);
    doc
}
