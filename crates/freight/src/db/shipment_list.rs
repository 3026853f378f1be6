//! Which shipments a list page holds: the filter, the one statement that reads a page, and
//! the same filter evaluated in memory for a shipment just created, so a cached first page
//! can take it in without that statement (`http::pagination::take_in_created`). The two
//! sit side by side because they must agree.

use super::creations::Creation;
use super::shipments::{Shipment, ShipmentRow, SELECT_SHIPMENT, SELECT_SHIPMENT_BY_FTS};
use super::{search, Backend, Db, Sql};
use crate::auth::{Scope, Visibility};
use crate::domain::time::Millis;
use crate::domain::{Priority, ShipmentStatus};
use crate::http::pagination::PageRequest;

/// Filters for listing shipments; empty vectors mean "any".
#[derive(Debug, Default, Clone)]
pub struct ShipmentFilter {
    pub statuses: Vec<ShipmentStatus>,
    pub priorities: Vec<Priority>,
    pub customer_id: Option<i64>,
    pub driver_id: Option<i64>,
    pub created_from: Option<Millis>,
    pub created_to: Option<Millis>,
    /// Words to find in the reference or notes (prefix match, all words required).
    pub q: Option<String>,
}

impl ShipmentFilter {
    /// Whether `scope`'s page of this filter holds `created`, a shipment just created in
    /// `scope`'s organization: the conditions [`list`] and [`push_scope`] put in SQL, in
    /// memory. A new shipment has no driver, so driver-scoped and driver-filtered pages never
    /// hold it; search pages are not decided here (`false`: they reload).
    pub fn admits_created(&self, scope: &Scope, created: &Creation) -> bool {
        let visible = match scope.visibility {
            Visibility::Organization => true,
            Visibility::Customer(id) => created.customer_id == id,
            Visibility::Driver(_) => false,
        };
        visible
            && self.q.is_none()
            && self.driver_id.is_none()
            && (self.statuses.is_empty() || self.statuses.contains(&created.status))
            && (self.priorities.is_empty() || self.priorities.contains(&created.priority))
            && self.customer_id.is_none_or(|id| id == created.customer_id)
            && self
                .created_from
                .is_none_or(|from| created.created_at >= from)
            && self.created_to.is_none_or(|to| created.created_at < to)
    }
}

/// Appends the tenant and visibility conditions for shipments aliased `s`.
pub(crate) fn push_scope(sql: &mut Sql, scope: &Scope) {
    sql.push(" WHERE s.org_id = ").bind(scope.org_id);
    match scope.visibility {
        Visibility::Organization => {}
        Visibility::Customer(id) => {
            sql.push(" AND s.customer_id = ").bind(id);
        }
        Visibility::Driver(id) => {
            sql.push(" AND s.driver_id = ").bind(id);
        }
    }
}

/// A page of shipments visible to `scope`, newest first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    filter: &ShipmentFilter,
    page: PageRequest,
) -> sqlx::Result<Vec<Shipment>> {
    let search = match filter.q.as_deref() {
        Some(q) => search::expression(db, q).await?,
        None => None,
    };
    let by_fts = search.is_some() && db.backend() == Backend::Sqlite;
    let (select, order_key) = match by_fts {
        true => (SELECT_SHIPMENT_BY_FTS, "shipments_fts.rowid"),
        false => (SELECT_SHIPMENT, "s.id"),
    };
    let mut sql = Sql::new(select);
    push_scope(&mut sql, scope);
    if !filter.statuses.is_empty() {
        let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        sql.push(" AND s.status IN ").bind_list(&statuses);
    }
    if !filter.priorities.is_empty() {
        let priorities: Vec<&str> = filter.priorities.iter().map(|p| p.as_str()).collect();
        sql.push(" AND s.priority IN ").bind_list(&priorities);
    }
    if let Some(id) = filter.customer_id {
        sql.push(" AND s.customer_id = ").bind(id);
    }
    if let Some(id) = filter.driver_id {
        sql.push(" AND s.driver_id = ").bind(id);
    }
    if let Some(from) = filter.created_from {
        sql.push(" AND s.created_at >= ").bind(from);
    }
    if let Some(to) = filter.created_to {
        sql.push(" AND s.created_at < ").bind(to);
    }
    if let Some(expr) = search {
        match db.backend() {
            Backend::Sqlite => sql.push(" AND shipments_fts MATCH ").bind(expr),
            Backend::Postgres => sql
                .push(" AND s.search @@ to_tsquery('simple', ")
                .bind(expr)
                .push(")"),
        };
    }
    if let Some(before) = page.before_id {
        sql.push(&format!(" AND {order_key} < ")).bind(before);
    }
    sql.push(&format!(" ORDER BY {order_key} DESC LIMIT "))
        .bind(page.fetch_limit());
    let rows: Vec<ShipmentRow> = db.fetch_all(sql.query_as()).await?;
    Ok(rows.into_iter().map(Shipment::from).collect())
}
