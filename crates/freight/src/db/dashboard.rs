//! Aggregates for the dispatch dashboard: shipments and drivers by status, and on-time
//! performance over the last 30 days, within the caller's scope.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::shipments::push_scope;
use super::{Db, Sql};
use crate::auth::{Scope, Visibility};
use crate::domain::time::now_ms;

/// What the dashboard header shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardSummary {
    pub shipments_by_status: BTreeMap<String, i64>,
    /// Empty for customers and drivers.
    pub drivers_by_status: BTreeMap<String, i64>,
    /// Share of shipments delivered in the last 30 days that arrived within their window.
    pub on_time_percent_30d: Option<f64>,
    pub delivered_30d: i64,
}

#[derive(FromRow)]
struct StatusCount {
    status: String,
    n: i64,
}

#[derive(FromRow)]
struct OnTime {
    total: i64,
    on_time: Option<i64>,
}

pub async fn summary(db: &Db, scope: &Scope) -> sqlx::Result<DashboardSummary> {
    let mut sql = Sql::new("SELECT s.status AS status, COUNT(*) AS n FROM shipments s");
    push_scope(&mut sql, scope);
    sql.push(" GROUP BY s.status");
    let shipments: Vec<StatusCount> = db.fetch_all(sql.query_as()).await?;

    let drivers: Vec<StatusCount> = if scope.visibility == Visibility::Organization {
        db.fetch_all(
            sqlx::query_as(
                "SELECT status, COUNT(*) AS n FROM drivers WHERE org_id = $1 GROUP BY status",
            )
            .bind(scope.org_id),
        )
        .await?
    } else {
        Vec::new()
    };

    let mut sql = Sql::new(
        "SELECT COUNT(*) AS total, CAST(SUM(CASE WHEN e.at <= s.delivery_window_end THEN 1 ELSE 0 END) AS BIGINT) AS on_time \
         FROM shipments s JOIN shipment_events e ON e.org_id = s.org_id AND e.shipment_id = s.id AND e.to_status = 'delivered'",
    );
    push_scope(&mut sql, scope);
    sql.push(" AND s.status = 'delivered' AND e.at >= ")
        .bind(now_ms() - 30 * 24 * 3600 * 1000);
    let on_time: OnTime = db.fetch_one(sql.query_as()).await?;

    Ok(DashboardSummary {
        shipments_by_status: shipments.into_iter().map(|r| (r.status, r.n)).collect(),
        drivers_by_status: drivers.into_iter().map(|r| (r.status, r.n)).collect(),
        on_time_percent_30d: (on_time.total > 0)
            .then(|| on_time.on_time.unwrap_or(0) as f64 * 100.0 / on_time.total as f64),
        delivered_30d: on_time.total,
    })
}
