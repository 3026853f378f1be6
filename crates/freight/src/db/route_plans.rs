//! Stored route plans (proposed by the optimizer) and, once accepted, each driver's stop list.

use sqlx::FromRow;

use super::generations::Subject;
use super::{Db, Sql};
use crate::auth::Scope;
use crate::domain::time::now_ms;
use crate::domain::ShipmentStatus;
use crate::http::error::{ApiError, ApiResult};
use crate::planning::problem::PlanResult;

#[derive(FromRow)]
struct IdStatus {
    id: i64,
    status: String,
}

/// A stored plan row.
#[derive(Debug, Clone, FromRow)]
pub struct PlanRow {
    pub id: String,
    pub status: String,
    pub result: Option<String>,
    pub progress: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
}

pub async fn insert(
    db: &Db,
    scope: &Scope,
    id: &str,
    request: &str,
    actor: &str,
) -> sqlx::Result<()> {
    let now = now_ms();
    db.execute(
        sqlx::query(
            "INSERT INTO route_plans (id, org_id, status, request, created_by, created_at, updated_at) \
             VALUES ($1, $2, 'running', $3, $4, $5, $5)",
        )
        .bind(id)
        .bind(scope.org_id)
        .bind(request)
        .bind(actor)
        .bind(now),
    )
    .await
    .map(|_| ())
}

/// Records solver progress (JSON) on a running plan.
pub async fn set_progress(db: &Db, id: &str, progress: &str) -> sqlx::Result<()> {
    db.execute(
        sqlx::query("UPDATE route_plans SET progress = $1, updated_at = $2 WHERE id = $3 AND status = 'running'")
            .bind(progress)
            .bind(now_ms())
            .bind(id),
    )
    .await
    .map(|_| ())
}

/// Finishes a plan with its result or its error.
pub async fn finish(db: &Db, id: &str, outcome: Result<&str, &str>) -> sqlx::Result<()> {
    let (status, result, error) = match outcome {
        Ok(result) => ("completed", Some(result), None),
        Err(error) => ("failed", None, Some(error)),
    };
    db.execute(
        sqlx::query("UPDATE route_plans SET status = $1, result = $2, error = $3, updated_at = $4 WHERE id = $5")
            .bind(status)
            .bind(result)
            .bind(error)
            .bind(now_ms())
            .bind(id),
    )
    .await
    .map(|_| ())
}

pub async fn get(db: &Db, scope: &Scope, id: &str) -> sqlx::Result<Option<PlanRow>> {
    db.fetch_optional(
        sqlx::query_as(
            "SELECT id, status, result, progress, error, created_at FROM route_plans WHERE org_id = $1 AND id = $2",
        )
        .bind(scope.org_id)
        .bind(id),
    )
    .await
}

/// Accepts a completed plan in one transaction: every planned shipment that is still
/// assignable is assigned to its route's driver and vehicle (with its event), and each
/// driver's stop list is replaced by the route's sequence. Returns the shipments assigned.
pub async fn accept(db: &Db, scope: &Scope, id: &str, actor: &str) -> ApiResult<Vec<i64>> {
    let plan = get(db, scope, id)
        .await?
        .ok_or(ApiError::NotFound("route plan"))?;
    if plan.status != "completed" {
        return Err(ApiError::Conflict {
            code: "plan_not_acceptable",
            detail: format!(
                "the plan is {}; only a completed plan can be accepted",
                plan.status
            ),
            field: None,
        });
    }
    let result: PlanResult = serde_json::from_str(plan.result.as_deref().unwrap_or("null"))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored plan unreadable: {e}")))?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let planned: Vec<i64> = result
        .routes
        .iter()
        .flat_map(|r| {
            r.stops
                .iter()
                .filter(|s| s.action == "pickup")
                .filter_map(|s| s.shipment_id)
        })
        .collect();
    // The statuses before the change, for the events (one statement for the whole plan).
    let mut sql = Sql::new("SELECT id, status FROM shipments WHERE org_id = ");
    sql.bind(scope.org_id)
        .push(" AND id IN ")
        .bind_list(&planned);
    let before: std::collections::HashMap<i64, String> = tx
        .fetch_all::<IdStatus>(sql.query_as())
        .await?
        .into_iter()
        .map(|r| (r.id, r.status))
        .collect();
    for route in &result.routes {
        let ids: Vec<i64> = route
            .stops
            .iter()
            .filter(|s| s.action == "pickup")
            .filter_map(|s| s.shipment_id)
            .collect();
        if !ids.is_empty() {
            let mut sql = Sql::new("UPDATE shipments SET status = 'assigned', driver_id = ");
            sql.bind(route.driver_id)
                .push(", vehicle_id = ")
                .bind(route.vehicle_id);
            sql.push(", updated_at = ")
                .bind(now)
                .push(", version = version + 1 WHERE org_id = ")
                .bind(scope.org_id);
            sql.push(" AND status IN ('booked', 'assigned') AND id IN ")
                .bind_list(&ids);
            if tx.execute(sql.query()).await?.rows_affected() != ids.len() as u64 {
                return Err(ApiError::Conflict {
                    code: "plan_outdated",
                    detail: "a planned shipment was changed, cancelled or picked up since the plan was made; plan again".into(),
                    field: None,
                });
            }
        }
        let note = format!(
            "route plan {id}: driver {} vehicle {}",
            route.driver_id, route.vehicle_id
        );
        let mut events = Sql::new("INSERT INTO shipment_events (org_id, shipment_id, from_status, to_status, actor, note, at) VALUES ");
        for (i, shipment) in ids.iter().enumerate() {
            events
                .push(if i == 0 { "(" } else { ", (" })
                .bind(scope.org_id)
                .push(", ")
                .bind(*shipment);
            events
                .push(", ")
                .bind(before.get(shipment).cloned().unwrap_or_default())
                .push(", 'assigned', ");
            events
                .bind(actor)
                .push(", ")
                .bind(note.as_str())
                .push(", ")
                .bind(now)
                .push(")");
        }
        if !ids.is_empty() {
            tx.execute(events.query()).await?;
        }
        let mut delete = Sql::new("DELETE FROM driver_stops WHERE org_id = ");
        delete
            .bind(scope.org_id)
            .push(" AND driver_id = ")
            .bind(route.driver_id);
        tx.execute(delete.query()).await?;
        let mut stops = Sql::new(
            "INSERT INTO driver_stops (org_id, driver_id, plan_id, seq, shipment_id, stop_id, action, address, lat, lon, planned_arrival, created_at) VALUES ",
        );
        // Every visit is stored, shipment visits and inline stops alike, in plan order.
        let visits = &route.stops;
        for (seq, stop) in visits.iter().enumerate() {
            stops
                .push(if seq == 0 { "(" } else { ", (" })
                .bind(scope.org_id)
                .push(", ")
                .bind(route.driver_id);
            stops
                .push(", ")
                .bind(id)
                .push(", ")
                .bind(seq as i64)
                .push(", ")
                .bind(stop.shipment_id)
                .push(", ")
                .bind(stop.stop_id.clone());
            stops
                .push(", ")
                .bind(stop.action.as_str())
                .push(", ")
                .bind(stop.address.as_str())
                .push(", ")
                .bind(stop.lat)
                .push(", ")
                .bind(stop.lon);
            stops
                .push(", ")
                .bind(stop.arrival.timestamp_millis())
                .push(", ")
                .bind(now)
                .push(")");
        }
        if !visits.is_empty() {
            tx.execute(stops.query()).await?;
        }
    }
    tx.execute(
        sqlx::query("UPDATE route_plans SET status = 'accepted', updated_at = $1 WHERE org_id = $2 AND id = $3")
            .bind(now)
            .bind(scope.org_id)
            .bind(id),
    )
    .await?;
    tx.commit().await?;
    let mut subjects: Vec<Subject> = planned.iter().map(|id| Subject::Shipment(*id)).collect();
    subjects.extend([
        Subject::Shipments,
        Subject::Status(ShipmentStatus::Booked),
        Subject::Status(ShipmentStatus::Assigned),
    ]);
    db.generations().bump(scope.org_id, &subjects).await;
    Ok(planned)
}

/// A stop of a driver's accepted route: a shipment's pickup or delivery, or an inline stop.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema, FromRow)]
pub struct DriverStop {
    pub seq: i64,
    /// The shipment, or null for an inline stop.
    pub shipment_id: Option<i64>,
    /// The inline stop's `id` from the optimize request, or null for a shipment visit.
    pub stop_id: Option<String>,
    /// `pickup` or `delivery`.
    pub action: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub planned_arrival: i64,
    pub plan_id: String,
}

/// A driver's current stop list, in order.
pub async fn driver_stops(db: &Db, scope: &Scope, driver_id: i64) -> ApiResult<Vec<DriverStop>> {
    super::drivers::get(db, scope, driver_id)
        .await?
        .ok_or(ApiError::NotFound("driver"))?;
    Ok(db
        .fetch_all(
            sqlx::query_as(
                "SELECT seq, shipment_id, stop_id, action, address, lat, lon, planned_arrival, plan_id FROM driver_stops \
                 WHERE org_id = $1 AND driver_id = $2 ORDER BY seq",
            )
            .bind(scope.org_id)
            .bind(driver_id),
        )
        .await?)
}
