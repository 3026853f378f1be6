//! Writing shipments: create, edit, status transitions and assignment.
//!
//! Each write is atomic with its shipment event (one transaction, or for a booking one
//! statement and a trigger), so a status never changes without its history, and a rejected
//! write leaves nothing behind. The public functions run the write on SQLite's write lane
//! (`Db::write`); edits live in `shipment_edits`, assignment in `shipment_assignment`.

use super::creations::Creation;
use super::driver_duty::{follow_load, DutyChange};
use super::generations::{text_subjects, Subject};
use super::shipments::{push_scope, Shipment, ShipmentMeta, ShipmentRow, SELECT_SHIPMENT};
use super::sql::Param;
use super::{
    is_unique_violation, shipment_assignment, shipment_edits, Backend, Db, NewId, Sql, Tx,
};
use crate::auth::Scope;
use crate::domain::shipment::ShipmentFields;
use crate::domain::time::now_ms;
use crate::domain::ShipmentStatus;
use crate::http::error::{ApiError, ApiResult};

/// Who is writing, recorded on the event.
pub struct Actor<'a>(pub &'a str);

/// Creates a shipment with its first event (see [`insert`]).
pub async fn create(
    db: &Db,
    scope: &Scope,
    fields: &ShipmentFields,
    status: ShipmentStatus,
    actor: Actor<'_>,
) -> ApiResult<Shipment> {
    let (db, scope, fields, actor) = (
        db.clone(),
        scope.clone(),
        fields.clone(),
        actor.0.to_owned(),
    );
    db.clone()
        .write(async move { insert(&db, &scope, &fields, status, Actor(&actor)).await })
        .await
}

/// Edits a shipment's fields at the client's version (see [`shipment_edits::edit`]).
pub async fn update(
    db: &Db,
    scope: &Scope,
    id: i64,
    expected_version: i64,
    change: impl FnOnce(&mut ShipmentFields) -> Result<(), ApiError> + Send + 'static,
) -> ApiResult<Shipment> {
    let (db, scope) = (db.clone(), scope.clone());
    db.clone()
        .write(async move { shipment_edits::edit(&db, &scope, id, expected_version, change).await })
        .await
}

/// Moves a shipment to another status (see [`change_status`]).
pub async fn transition(
    db: &Db,
    scope: &Scope,
    id: i64,
    to: ShipmentStatus,
    note: &str,
    actor: Actor<'_>,
    permit: impl FnOnce(ShipmentStatus) -> Result<(), ApiError> + Send + 'static,
) -> ApiResult<(Shipment, Option<DutyChange>)> {
    let (db, scope, note, actor) = (
        db.clone(),
        scope.clone(),
        note.to_owned(),
        actor.0.to_owned(),
    );
    db.clone()
        .write(
            async move { change_status(&db, &scope, id, to, &note, Actor(&actor), permit).await },
        )
        .await
}

/// Assigns a driver and vehicle (see [`shipment_assignment::assign_now`]).
pub async fn assign(
    db: &Db,
    scope: &Scope,
    id: i64,
    driver_id: i64,
    vehicle_id: i64,
    actor: Actor<'_>,
) -> ApiResult<Shipment> {
    let (db, scope, actor) = (db.clone(), scope.clone(), actor.0.to_owned());
    db.clone()
        .write(async move {
            shipment_assignment::assign_now(&db, &scope, id, driver_id, vehicle_id, Actor(&actor))
                .await
        })
        .await
}

/// Inserts a shipment and its first event.
async fn insert(
    db: &Db,
    scope: &Scope,
    fields: &ShipmentFields,
    status: ShipmentStatus,
    actor: Actor<'_>,
) -> ApiResult<Shipment> {
    let now = now_ms();
    // One statement, atomic on its own: the customer check is its SELECT (no row comes back
    // for a customer outside the organization) and the `created` event is written by the
    // database from `created_by` (migration 0005). SQLite's single writer is held for just it.
    let columns = field_columns(fields);
    let mut sql = Sql::new(
        "INSERT INTO shipments (org_id, status, created_at, updated_at, version, created_by",
    );
    for (column, _) in &columns {
        sql.push(", ").push(column);
    }
    sql.push(") SELECT ").bind(scope.org_id);
    sql.push(", ").bind(status.as_str());
    sql.push(", ").bind(now).push(", ").bind(now);
    sql.push(", 1, ").bind(actor.0);
    for (_, value) in columns {
        sql.push(", ").bind(value);
    }
    sql.push(" FROM customers WHERE org_id = ")
        .bind(scope.org_id)
        .push(" AND id = ")
        .bind(fields.customer_id)
        .push(" RETURNING id");
    let inserted: Result<Option<NewId>, _> = db.fetch_optional_write(sql.query_as()).await;
    let id = match inserted {
        Ok(Some(row)) => row.id,
        Ok(None) => return Err(unknown_customer(fields.customer_id)),
        Err(e) if is_unique_violation(&e) => return Err(duplicate_reference(&fields.reference)),
        Err(e) => return Err(e.into()),
    };
    let meta = ShipmentMeta {
        id,
        status,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let shipment = Shipment::assemble(meta, fields.clone(), None, None);
    // Cached first pages take the new shipment in from here instead of reloading.
    let creation = Creation {
        id,
        customer_id: fields.customer_id,
        status,
        priority: fields.priority,
        created_at: now,
        version: shipment.version,
        item: serde_json::to_vec(&shipment)
            .map_err(anyhow::Error::from)?
            .into(),
    };
    let texts = text_subjects(&[&fields.reference, &fields.notes]);
    db.generations()
        .created(scope.org_id, creation, &texts)
        .await;
    Ok(shipment)
}

/// The stored column of every field a client writes, with its value: one list, so a
/// booking's INSERT and an edit's UPDATE cannot disagree about which column holds what.
pub(super) fn field_columns(f: &ShipmentFields) -> [(&'static str, Param); 21] {
    let (p, d) = (&f.pickup, &f.delivery);
    [
        ("reference", f.reference.as_str().into()),
        ("customer_id", f.customer_id.into()),
        ("priority", f.priority.as_str().into()),
        ("weight_kg", f.weight_kg.into()),
        ("volume_m3", f.volume_m3.into()),
        ("pallets", f.pallets.into()),
        ("declared_value_cents", f.declared_value_cents.into()),
        ("currency", f.currency.as_str().into()),
        ("notes", f.notes.as_str().into()),
        ("pickup_address", p.address.as_str().into()),
        ("pickup_lat", p.lat.into()),
        ("pickup_lon", p.lon.into()),
        ("pickup_window_start", p.window_start.into()),
        ("pickup_window_end", p.window_end.into()),
        ("pickup_service_minutes", p.service_minutes.into()),
        ("delivery_address", d.address.as_str().into()),
        ("delivery_lat", d.lat.into()),
        ("delivery_lon", d.lon.into()),
        ("delivery_window_start", d.window_start.into()),
        ("delivery_window_end", d.window_end.into()),
        ("delivery_service_minutes", d.service_minutes.into()),
    ]
}

/// Moves a shipment to `to` if the lifecycle allows it and `permit` accepts the change.
async fn change_status(
    db: &Db,
    scope: &Scope,
    id: i64,
    to: ShipmentStatus,
    note: &str,
    actor: Actor<'_>,
    permit: impl FnOnce(ShipmentStatus) -> Result<(), ApiError>,
) -> ApiResult<(Shipment, Option<DutyChange>)> {
    let mut tx = db.begin().await?;
    let current = lock_row(&mut tx, scope, id)
        .await?
        .ok_or(ApiError::NotFound("shipment"))?;
    let from = current.status;
    if !from.can_become(to) {
        return Err(ApiError::InvalidTransition {
            current: from,
            requested: to,
            allowed: from.allowed_next(),
        });
    }
    if to == ShipmentStatus::Assigned && current.driver_id.is_none() {
        return Err(ApiError::Conflict {
            code: "driver_required",
            detail: "assign a driver with POST /shipments/{id}/assign".into(),
            field: Some("driver_id"),
        });
    }
    permit(from)?;
    let now = now_ms();
    // Unassigning (assigned → booked) releases the driver and vehicle.
    let release = from == ShipmentStatus::Assigned && to == ShipmentStatus::Booked;
    let mut sql = Sql::new("UPDATE shipments SET status = ");
    sql.bind(to.as_str())
        .push(", updated_at = ")
        .bind(now)
        .push(", version = version + 1");
    if release {
        sql.push(", driver_id = NULL, vehicle_id = NULL");
    }
    sql.push(" WHERE org_id = ")
        .bind(scope.org_id)
        .push(" AND id = ")
        .bind(id);
    tx.execute(sql.query()).await?;
    record_event(
        &mut tx,
        scope.org_id,
        id,
        Some(from),
        to,
        actor.0,
        note,
        now,
    )
    .await?;
    let (mut driver, vehicle) = if release {
        (None, None)
    } else {
        current.summaries()
    };
    // The row read above carries the driver's status: a pickup or a closing load may move it.
    let duty = match driver.as_mut() {
        Some(summary) => {
            let on_duty = (summary.id, summary.status);
            let change = follow_load(&mut tx, scope.org_id, id, on_duty, to).await?;
            if let Some(change) = change {
                summary.status = change.after;
            }
            change
        }
        None => None,
    };
    let meta = ShipmentMeta {
        status: to,
        updated_at: now,
        version: current.version + 1,
        ..current.meta()
    };
    let fields = current.fields();
    let mut changed = text_subjects(&[&fields.reference, &fields.notes]);
    changed.extend([
        Subject::Shipments,
        Subject::Shipment(id),
        Subject::Status(from),
        Subject::Status(to),
    ]);
    if duty.is_some() {
        // Driver lists, and the driver status embedded in every page showing their loads.
        changed.push(Subject::Fleet);
    }
    let shipment = Shipment::assemble(meta, fields, driver, vehicle);
    tx.commit().await?;
    db.generations().bump(scope.org_id, &changed).await;
    if to == ShipmentStatus::Delivered {
        crate::observability::business::record_delivery(current.created_at, now);
    }
    Ok((shipment, duty))
}

/// Stores one status change.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_event(
    tx: &mut Tx,
    org_id: i64,
    shipment_id: i64,
    from: Option<ShipmentStatus>,
    to: ShipmentStatus,
    actor: &str,
    note: &str,
    at: i64,
) -> sqlx::Result<()> {
    tx.execute(
        sqlx::query(
            "INSERT INTO shipment_events (org_id, shipment_id, from_status, to_status, actor, note, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(org_id)
        .bind(shipment_id)
        .bind(from.map(|s| s.as_str()))
        .bind(to.as_str())
        .bind(actor)
        .bind(note)
        .bind(at),
    )
    .await
    .map(|_| ())
}

pub(super) fn duplicate_reference(reference: &str) -> ApiError {
    ApiError::Conflict {
        code: "duplicate_reference",
        detail: format!("reference `{reference}` is already used by another shipment"),
        field: Some("reference"),
    }
}

pub(super) fn unknown_customer(customer_id: i64) -> ApiError {
    ApiError::field(
        "customer_id",
        format!("no customer {customer_id} in this organization"),
    )
}

/// Reads the row to change, locking it on PostgreSQL (SQLite has a single writer already).
pub(super) async fn lock_row(
    tx: &mut Tx,
    scope: &Scope,
    id: i64,
) -> sqlx::Result<Option<ShipmentRow>> {
    let mut sql = Sql::new(SELECT_SHIPMENT);
    push_scope(&mut sql, scope);
    sql.push(" AND s.id = ").bind(id);
    if tx.backend() == Backend::Postgres {
        sql.push(" FOR UPDATE OF s");
    }
    tx.fetch_optional(sql.query_as()).await
}
