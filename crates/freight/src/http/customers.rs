//! `/api/v1/customers`: the shippers an organization works for.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{etag, ApiJson, ApiQuery, Id, IfMatch};
use super::merge_patch;
use super::pagination::{Page, PageRequest};
use crate::auth::policy::{CustomersRead, CustomersWrite};
use crate::auth::Auth;
use crate::db::customers::{self, Customer, CustomerFields};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(get_customer, update_customer))
}

/// Paging for simple lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// List customers.
#[utoipa::path(get, path = "/customers", tag = "customers", params(PageQuery), responses((status = 200, body = Page<Customer>)))]
async fn list_customers(
    State(state): State<AppState>,
    auth: Auth<CustomersRead>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Customer>>> {
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let rows = customers::list(&state.db, &auth.scope(), page).await?;
    Ok(Json(Page::from_rows(rows, page, |c| c.id)))
}

/// Create a customer.
#[utoipa::path(post, path = "/customers", tag = "customers", request_body = CustomerFields,
    responses((status = 201, body = Customer), (status = 422, body = Problem)))]
async fn create_customer(
    State(state): State<AppState>,
    auth: Auth<CustomersWrite>,
    ApiJson(fields): ApiJson<CustomerFields>,
) -> ApiResult<Response> {
    fields.check().map_err(ApiError::Validation)?;
    let customer = customers::create(&state.db, &auth.scope(), &fields).await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag(customer.version))],
        Json(customer),
    )
        .into_response())
}

/// Get a customer.
#[utoipa::path(get, path = "/customers/{id}", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, body = Customer), (status = 404, body = Problem)))]
async fn get_customer(
    State(state): State<AppState>,
    auth: Auth<CustomersRead>,
    Id(id): Id,
) -> ApiResult<Response> {
    let customer = customers::get(&state.db, &auth.scope(), id)
        .await?
        .ok_or(ApiError::NotFound("customer"))?;
    Ok(([(header::ETAG, etag(customer.version))], Json(customer)).into_response())
}

/// Edit a customer (JSON merge patch) with `If-Match`.
#[utoipa::path(patch, path = "/customers/{id}", tag = "customers", request_body = Object,
    params(("id" = i64, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Customer), (status = 412, body = Problem)))]
async fn update_customer(
    State(state): State<AppState>,
    auth: Auth<CustomersWrite>,
    Id(id): Id,
    IfMatch(version): IfMatch,
    ApiJson(patch): ApiJson<serde_json::Value>,
) -> ApiResult<Response> {
    let scope = auth.scope();
    let current = customers::get(&state.db, &scope, id)
        .await?
        .ok_or(ApiError::NotFound("customer"))?;
    let fields = CustomerFields {
        name: current.name,
        tier: current.tier,
        email: current.email,
        phone: current.phone,
        address: current.address,
        lat: current.lat,
        lon: current.lon,
    };
    let fields = merge_patch::apply(&fields, patch)?;
    fields.check().map_err(ApiError::Validation)?;
    let customer = customers::update(&state.db, &scope, id, version, &fields).await?;
    Ok(([(header::ETAG, etag(customer.version))], Json(customer)).into_response())
}
