//! Editing a shipment's fields: optimistic concurrency without a transaction.
//!
//! The row is read from the read pool and the `UPDATE` applies only while the version is still
//! the one read, so SQLite's single writer is held for one statement; a lost race is answered
//! from a fresh read (412 with the current version, or 409 when the shipment has closed).

use super::generations::{text_subjects, Subject};
use super::shipment_writes::{duplicate_reference, field_columns, unknown_customer};
use super::shipments::{get_row, Shipment, ShipmentMeta, ShipmentRow};
use super::{is_unique_violation, Db, NewId, Sql};
use crate::auth::Scope;
use crate::domain::shipment::ShipmentFields;
use crate::domain::time::now_ms;
use crate::http::error::{ApiError, ApiResult};

/// Applies `edit` to the current fields and saves them if the client's version is current.
pub(super) async fn edit(
    db: &Db,
    scope: &Scope,
    id: i64,
    expected_version: i64,
    edit: impl FnOnce(&mut ShipmentFields) -> Result<(), ApiError>,
) -> ApiResult<Shipment> {
    // Optimistic all the way: the row is read outside any transaction and the UPDATE only
    // applies while the version is still the one read, so the single SQLite writer is held
    // for one statement, not four.
    let current = get_row(db, scope, id)
        .await?
        .ok_or(ApiError::NotFound("shipment"))?;
    check_editable(&current, expected_version)?;
    let mut fields = current.fields();
    edit(&mut fields)?;
    fields.check().map_err(ApiError::Validation)?;
    if fields.customer_id != current.customer_id {
        ensure_customer(db, scope.org_id, fields.customer_id).await?;
    }
    let now = now_ms();
    let mut sql = Sql::new("UPDATE shipments SET ");
    for (column, value) in field_columns(&fields) {
        sql.push(column).push(" = ").bind(value).push(", ");
    }
    sql.push("updated_at = ")
        .bind(now)
        .push(", version = version + 1");
    sql.push(" WHERE org_id = ")
        .bind(scope.org_id)
        .push(" AND id = ")
        .bind(id);
    sql.push(" AND version = ").bind(expected_version);
    let updated = match db.execute(sql.query()).await {
        Ok(done) => done.rows_affected(),
        Err(e) if is_unique_violation(&e) => return Err(duplicate_reference(&fields.reference)),
        Err(e) => return Err(e.into()),
    };
    if updated == 0 {
        // Someone else wrote in between: answer with what the row is now.
        let now_row = get_row(db, scope, id)
            .await?
            .ok_or(ApiError::NotFound("shipment"))?;
        check_editable(&now_row, expected_version)?;
        return Err(ApiError::PreconditionFailed {
            current_version: now_row.version,
        });
    }
    let before = current.fields();
    let mut changed = text_subjects(&[
        &before.reference,
        &before.notes,
        &fields.reference,
        &fields.notes,
    ]);
    changed.push(Subject::Shipment(id));
    // Lists filter on customer and priority (and on text, whose buckets are bumped above):
    // changing one of those can move the shipment between pages. Any other edit changes only
    // the pages showing it, which check their items' versions (`db::item_versions`).
    let moves_in_lists =
        fields.customer_id != before.customer_id || fields.priority != before.priority;
    if moves_in_lists {
        changed.extend([Subject::Shipments, Subject::Status(current.status)]);
    }
    let (driver, vehicle) = current.summaries();
    let meta = ShipmentMeta {
        updated_at: now,
        version: current.version + 1,
        ..current.meta()
    };
    let shipment = Shipment::assemble(meta, fields, driver, vehicle);
    let generations = db.generations();
    if !moves_in_lists {
        generations.edited(scope.org_id, id, shipment.version).await;
    }
    generations.bump(scope.org_id, &changed).await;
    Ok(shipment)
}

/// An edit needs the client's version to be current and the shipment to be open.
fn check_editable(row: &ShipmentRow, expected_version: i64) -> ApiResult<()> {
    if row.version != expected_version {
        return Err(ApiError::PreconditionFailed {
            current_version: row.version,
        });
    }
    if row.status.is_terminal() {
        return Err(ApiError::Conflict {
            code: "shipment_closed",
            detail: format!("a {} shipment can no longer be edited", row.status),
            field: None,
        });
    }
    Ok(())
}

/// Customers never move between organizations, so the check reads from the read pool.
async fn ensure_customer(db: &Db, org_id: i64, customer_id: i64) -> ApiResult<()> {
    let found: Option<NewId> = db
        .fetch_optional(
            sqlx::query_as("SELECT id FROM customers WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(customer_id),
        )
        .await?;
    found
        .map(|_| ())
        .ok_or_else(|| unknown_customer(customer_id))
}
