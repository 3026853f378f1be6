//! A shipment's event history: every status change with its actor, note and time, oldest
//! first, as the shipment detail page and the audit trail show it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::shipments::get;
use super::Db;
use crate::auth::Scope;
use crate::domain::time::to_datetime;
use crate::domain::ShipmentStatus;

/// A recorded status change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShipmentEvent {
    pub id: i64,
    pub from_status: Option<ShipmentStatus>,
    pub to_status: ShipmentStatus,
    /// Who made the change: `user:<id>`, `api_key:<id>` or `system`.
    pub actor: String,
    pub note: String,
    pub at: DateTime<Utc>,
}

#[derive(FromRow)]
struct EventRow {
    id: i64,
    from_status: Option<String>,
    #[sqlx(try_from = "String")]
    to_status: ShipmentStatus,
    actor: String,
    note: String,
    at: i64,
}

/// The full history of a shipment, oldest first. `None` if the shipment is not visible.
pub async fn events(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<Vec<ShipmentEvent>>> {
    if get(db, scope, id).await?.is_none() {
        return Ok(None);
    }
    let rows: Vec<EventRow> = db
        .fetch_all(
            sqlx::query_as(
                "SELECT id, from_status, to_status, actor, note, at FROM shipment_events \
                 WHERE org_id = $1 AND shipment_id = $2 ORDER BY id",
            )
            .bind(scope.org_id)
            .bind(id),
        )
        .await?;
    Ok(Some(
        rows.into_iter()
            .map(|r| ShipmentEvent {
                id: r.id,
                from_status: r.from_status.and_then(|s| s.parse().ok()),
                to_status: r.to_status,
                actor: r.actor,
                note: r.note,
                at: to_datetime(r.at),
            })
            .collect(),
    ))
}
