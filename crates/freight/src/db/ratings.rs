//! Customer ratings of delivered shipments (1–5), one per shipment.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{is_unique_violation, Db, NewId, Sql};
use crate::auth::{Scope, Visibility};
use crate::domain::time::now_ms;
use crate::domain::ShipmentStatus;
use crate::http::error::{ApiError, ApiResult};
use crate::http::pagination::PageRequest;

/// A rating as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromRow)]
pub struct Rating {
    pub id: i64,
    pub shipment_id: i64,
    pub customer_id: i64,
    pub driver_id: Option<i64>,
    pub score: i64,
    pub comment: String,
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
}

const SELECT: &str =
    "SELECT id, shipment_id, customer_id, driver_id, score, comment, created_at FROM ratings";

pub async fn list(db: &Db, scope: &Scope, page: PageRequest) -> sqlx::Result<Vec<Rating>> {
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE org_id = ").bind(scope.org_id);
    match scope.visibility {
        Visibility::Organization => {}
        Visibility::Customer(id) => {
            sql.push(" AND customer_id = ").bind(id);
        }
        Visibility::Driver(id) => {
            sql.push(" AND driver_id = ").bind(id);
        }
    }
    if let Some(before) = page.before_id {
        sql.push(" AND id < ").bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .bind(page.fetch_limit());
    db.fetch_all(sql.query_as()).await
}

/// Rates a delivered shipment visible to `scope`.
pub async fn create(
    db: &Db,
    scope: &Scope,
    shipment_id: i64,
    score: i64,
    comment: &str,
) -> ApiResult<Rating> {
    let shipment = super::shipments::get(db, scope, shipment_id)
        .await?
        .ok_or_else(|| {
            ApiError::field(
                "shipment_id",
                format!("no shipment {shipment_id} visible to you"),
            )
        })?;
    if shipment.status != ShipmentStatus::Delivered {
        return Err(ApiError::Conflict {
            code: "not_delivered",
            detail: format!(
                "only delivered shipments can be rated; this one is {}",
                shipment.status
            ),
            field: Some("shipment_id"),
        });
    }
    let now = now_ms();
    let inserted: Result<NewId, _> = db
        .fetch_one_write(
            sqlx::query_as(
                "INSERT INTO ratings (org_id, shipment_id, customer_id, driver_id, score, comment, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(scope.org_id)
            .bind(shipment_id)
            .bind(shipment.customer_id)
            .bind(shipment.driver.as_ref().map(|d| d.id))
            .bind(score)
            .bind(comment)
            .bind(now),
        )
        .await;
    let id = match inserted {
        Ok(row) => row.id,
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::Conflict {
                code: "already_rated",
                detail: "this shipment has already been rated".into(),
                field: Some("shipment_id"),
            })
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Rating {
        id,
        shipment_id,
        customer_id: shipment.customer_id,
        driver_id: shipment.driver.map(|d| d.id),
        score,
        comment: comment.to_string(),
        created_at: now,
    })
}
