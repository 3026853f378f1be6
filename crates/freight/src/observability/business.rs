//! The roadmap's business metrics, kept current from the database by a background task:
//! on-time delivery percentage, driver utilization, shipments and drivers by status.
//! Event-driven series (delivery time, dispatch recommendations) are recorded where the
//! event happens; see `monitoring/custom-metrics.yml` for the full list.

use std::time::Duration;

use sqlx::FromRow;

use crate::db::Db;
use crate::domain::time::now_ms;

/// How far back on-time performance is measured.
const ON_TIME_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

#[derive(FromRow)]
struct OnTimeRow {
    slug: String,
    total: i64,
    on_time: i64,
}

#[derive(FromRow)]
struct StatusRow {
    slug: String,
    status: String,
    n: i64,
}

/// Recomputes every gauge once.
pub async fn refresh(db: &Db) -> sqlx::Result<()> {
    let on_time: Vec<OnTimeRow> = db
        .fetch_all(
            sqlx::query_as(
                "SELECT o.slug AS slug, COUNT(*) AS total, \
                 CAST(SUM(CASE WHEN e.at <= s.delivery_window_end THEN 1 ELSE 0 END) AS BIGINT) AS on_time \
                 FROM shipments s \
                 JOIN shipment_events e ON e.org_id = s.org_id AND e.shipment_id = s.id AND e.to_status = 'delivered' \
                 JOIN organizations o ON o.id = s.org_id \
                 WHERE s.status = 'delivered' AND e.at >= $1 GROUP BY o.slug",
            )
            .bind(now_ms() - ON_TIME_WINDOW_MS),
        )
        .await?;
    for row in on_time {
        let pct = if row.total == 0 {
            100.0
        } else {
            row.on_time as f64 * 100.0 / row.total as f64
        };
        metrics::gauge!("shipments_on_time_percent", "org" => row.slug).set(pct);
    }

    let shipments: Vec<StatusRow> = db
        .fetch_all(sqlx::query_as(
            "SELECT o.slug AS slug, s.status AS status, COUNT(*) AS n FROM shipments s \
             JOIN organizations o ON o.id = s.org_id GROUP BY o.slug, s.status",
        ))
        .await?;
    for row in shipments {
        metrics::gauge!("shipments_by_status", "org" => row.slug, "status" => row.status)
            .set(row.n as f64);
    }

    let drivers: Vec<StatusRow> = db
        .fetch_all(sqlx::query_as(
            "SELECT o.slug AS slug, d.status AS status, COUNT(*) AS n FROM drivers d \
             JOIN organizations o ON o.id = d.org_id GROUP BY o.slug, d.status",
        ))
        .await?;
    let mut per_org: std::collections::HashMap<String, (i64, i64)> = Default::default();
    for row in drivers {
        let entry = per_org.entry(row.slug.clone()).or_default();
        if row.status != "off_duty" {
            entry.1 += row.n;
        }
        if row.status == "on_route" {
            entry.0 += row.n;
        }
        metrics::gauge!("drivers_by_status", "org" => row.slug, "status" => row.status)
            .set(row.n as f64);
    }
    for (slug, (busy, on_shift)) in per_org {
        let pct = if on_shift == 0 {
            0.0
        } else {
            busy as f64 * 100.0 / on_shift as f64
        };
        metrics::gauge!("driver_utilization_percent", "org" => slug).set(pct);
    }
    Ok(())
}

/// Refreshes the gauges every `period` until the task is aborted.
pub async fn run(db: Db, period: Duration) {
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        let up = db.ping().await.is_ok();
        metrics::gauge!("database_up").set(if up { 1.0 } else { 0.0 });
        if let Err(e) = refresh(&db).await {
            tracing::warn!(error = %e, "refreshing business metrics failed");
        }
    }
}

/// Records how long a delivered shipment took from booking to delivery.
pub fn record_delivery(created_at_ms: i64, delivered_at_ms: i64) {
    let hours = (delivered_at_ms - created_at_ms).max(0) as f64 / 3_600_000.0;
    metrics::histogram!("delivery_time_hours").record(hours);
}

/// Counts a dispatch recommendation (an optimizer plan) by what became of it.
pub fn record_recommendation(outcome: &'static str) {
    metrics::counter!("dispatch_recommendations_total", "outcome" => outcome).increment(1);
}
