//! `GET /shipments`: the filtered, newest-first shipment list, served through the response
//! cache. A first page takes new bookings in without a query (`db::creations`); live
//! tracking facts are merged after the cache.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::cached::{json_response, scope_key};
use super::error::{ApiError, ApiResult, Problem};
use super::extract::ApiQuery;
use super::pagination::{self, Page, PageRequest};
use super::tracking::shipment_view::{self, TrackedShipment};
use crate::auth::policy::ShipmentsRead;
use crate::auth::Auth;
use crate::cache::{Cached, Describe};
use crate::db::creations::Creation;
use crate::db::generations::{self, Subject};
use crate::db::search;
use crate::db::shipments::{self, Shipment, ShipmentFilter};
use crate::state::AppState;

/// Filters and paging for the shipment list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListShipmentsQuery {
    /// Comma-separated statuses, e.g. `booked,assigned`.
    status: Option<String>,
    /// Comma-separated priorities.
    priority: Option<String>,
    customer_id: Option<i64>,
    driver_id: Option<i64>,
    /// Created at or after (RFC 3339).
    created_from: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    created_to: Option<DateTime<Utc>>,
    /// Words to find in the reference or notes.
    q: Option<String>,
    /// Page size, 1–200 (default 50).
    limit: Option<u32>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

fn parse_list<T: std::str::FromStr<Err = String>>(
    field: &str,
    raw: Option<&str>,
) -> ApiResult<Vec<T>> {
    raw.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<T>().map_err(|e| ApiError::field(field, e)))
        .collect()
}

/// List shipments visible to the caller, newest first.
#[utoipa::path(get, path = "/shipments", tag = "shipments", params(ListShipmentsQuery),
    responses((status = 200, body = Page<TrackedShipment>), (status = 422, body = Problem)))]
pub(super) async fn list_shipments(
    State(state): State<AppState>,
    auth: Auth<ShipmentsRead>,
    RawQuery(raw_query): RawQuery,
    ApiQuery(query): ApiQuery<ListShipmentsQuery>,
) -> ApiResult<Response> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    if let (Some(from), Some(to)) = (query.created_from, query.created_to) {
        if to <= from {
            return Err(ApiError::field("created_to", "must be after created_from"));
        }
    }
    let filter = ShipmentFilter {
        statuses: parse_list("status", query.status.as_deref())?,
        priorities: parse_list("priority", query.priority.as_deref())?,
        customer_id: query.customer_id,
        driver_id: query.driver_id,
        created_from: query.created_from.map(|t| t.timestamp_millis()),
        created_to: query.created_to.map(|t| t.timestamp_millis()),
        q: query.q.filter(|q| !q.trim().is_empty()),
    };
    let scope = auth.scope();
    let mut depends_on = list_depends_on(&filter);
    depends_on.push(Subject::Fleet);
    let key = format!("{}|{}", scope_key(&scope), raw_query.unwrap_or_default());
    let load = || async {
        let rows = shipments::list(&state.db, &scope, &filter, page).await?;
        Ok::<_, ApiError>(Page::from_rows(rows, page, |s| s.id))
    };
    let describe = |page: &Page<Shipment>| Describe {
        items: page.data.iter().map(|s| (s.id, s.version)).collect(),
        ..Describe::default()
    };
    let cache = &state.cache;
    let family = "shipments.list";
    let cached = match page.before_id.is_none() && filter.q.is_none() {
        // A first page takes new bookings in (newest first: they go on top).
        true => {
            let splice = |cached: &Cached, created: &[Arc<Creation>]| {
                let admits = |c: &Creation| filter.admits_created(&scope, c);
                pagination::take_in_created(cached, created, page.limit, admits)
            };
            let org = scope.org_id;
            cache
                .get_or_load_page(family, org, &depends_on, key, &splice, load, describe)
                .await?
        }
        false => {
            cache
                .get_or_load(family, scope.org_id, &depends_on, key, load, describe)
                .await?
        }
    };
    // Live tracking facts are merged after the cache: ETAs change with every fix.
    Ok(json_response(shipment_view::merge_page(
        &state,
        scope.org_id,
        cached,
    )))
}

/// What a list page depends on besides the fleet embedded in it: a search page on the
/// shipments holding a word its longest term could match; a status-filtered page on the
/// shipments in those statuses; any other page on every shipment.
fn list_depends_on(filter: &ShipmentFilter) -> Vec<Subject> {
    let terms = filter
        .q
        .as_deref()
        .map(search::search_terms)
        .unwrap_or_default();
    if !terms.is_empty() {
        return match generations::search_subject(&terms) {
            Some(bucket) => vec![bucket, Subject::AnyText],
            None => vec![Subject::Shipments],
        };
    }
    match filter.statuses.is_empty() {
        true => vec![Subject::Shipments],
        false => filter
            .statuses
            .iter()
            .map(|s| Subject::Status(*s))
            .collect(),
    }
}
