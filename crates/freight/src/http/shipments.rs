//! `/api/v1/shipments`: book, list, edit, move through the lifecycle, assign.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::cached::{json_response, scope_key};
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{etag, ApiJson, Id, IfMatch};
use super::shipment_list;
use super::tracking::shipment_view::{self, TrackedShipment};
use crate::auth::policy::{
    self, ShipmentsAssign, ShipmentsCreate, ShipmentsRead, ShipmentsTransition, ShipmentsUpdate,
};
use crate::auth::{Auth, Visibility};
use crate::cache::Describe;
use crate::db::generations::Subject;
use crate::db::shipment_writes::{self, Actor};
use crate::db::shipments::{self, Money, Shipment, ShipmentEvent, StopView};
use crate::domain::shipment::ShipmentFields;
use crate::domain::{Priority, ShipmentStatus};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(shipment_list::list_shipments, create_shipment))
        .routes(routes!(get_shipment, update_shipment))
        .routes(routes!(list_shipment_events))
        .routes(routes!(transition_shipment))
        .routes(routes!(assign_shipment))
}

/// A new shipment (booking request).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShipment {
    /// Required for staff; customers always book for themselves.
    customer_id: Option<i64>,
    /// Your reference; generated when omitted.
    reference: Option<String>,
    priority: Option<Priority>,
    weight_kg: f64,
    #[serde(default)]
    volume_m3: f64,
    #[serde(default)]
    pallets: i64,
    declared_value: Option<Money>,
    #[serde(default)]
    notes: String,
    pickup: StopView,
    delivery: StopView,
    /// `draft` or `booked` (default).
    status: Option<ShipmentStatus>,
}

/// `IF-<yymmdd>-<8 random letters and digits>`. A clash with an existing reference is
/// possible (rare), so a booking with a generated reference retries with a new one.
fn generated_reference() -> String {
    let token = crate::auth::tokens::random_token(9)
        .to_uppercase()
        .replace(['-', '_'], "X");
    format!("IF-{}-{}", Utc::now().format("%y%m%d"), &token[..8])
}

/// How many generated references a booking tries before reporting the clash.
const GENERATED_REFERENCE_ATTEMPTS: usize = 3;

/// Book a shipment.
#[utoipa::path(post, path = "/shipments", tag = "shipments", request_body = CreateShipment,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for repeated requests")),
    responses((status = 201, body = Shipment), (status = 422, body = Problem), (status = 409, body = Problem)))]
async fn create_shipment(
    State(state): State<AppState>,
    auth: Auth<ShipmentsCreate>,
    ApiJson(body): ApiJson<CreateShipment>,
) -> ApiResult<Response> {
    let customer_id = match (auth.scope().visibility, body.customer_id) {
        (Visibility::Customer(own), None) => own,
        (Visibility::Customer(own), Some(id)) if id == own => own,
        (Visibility::Customer(_), Some(_)) => {
            return Err(ApiError::field(
                "customer_id",
                "customers book for themselves",
            ))
        }
        (_, Some(id)) => id,
        (_, None) => return Err(ApiError::field("customer_id", "required")),
    };
    let status = body.status.unwrap_or(ShipmentStatus::Booked);
    if !matches!(status, ShipmentStatus::Draft | ShipmentStatus::Booked) {
        return Err(ApiError::field(
            "status",
            "a new shipment is `draft` or `booked`",
        ));
    }
    let value = body.declared_value.unwrap_or(Money {
        amount_cents: 0,
        currency: "USD".into(),
    });
    let generated = body.reference.is_none();
    let mut fields = ShipmentFields {
        customer_id,
        reference: body.reference.unwrap_or_else(generated_reference),
        priority: body.priority.unwrap_or(Priority::Normal),
        weight_kg: body.weight_kg,
        volume_m3: body.volume_m3,
        pallets: body.pallets,
        declared_value_cents: value.amount_cents,
        currency: value.currency,
        notes: body.notes,
        pickup: body.pickup.to_stop(),
        delivery: body.delivery.to_stop(),
    };
    fields.check().map_err(ApiError::Validation)?;
    let actor = auth.principal.actor();
    let mut attempts = 1;
    let shipment = loop {
        match shipment_writes::create(&state.db, &auth.scope(), &fields, status, Actor(&actor))
            .await
        {
            Err(ApiError::Conflict {
                code: "duplicate_reference",
                ..
            }) if generated && attempts < GENERATED_REFERENCE_ATTEMPTS => {
                attempts += 1;
                fields.reference = generated_reference();
            }
            done => break done?,
        }
    };
    let location = format!("/api/v1/shipments/{}", shipment.id);
    Ok((
        StatusCode::CREATED,
        [
            (header::LOCATION, location),
            (header::ETAG, etag(shipment.version)),
        ],
        Json(shipment),
    )
        .into_response())
}

fn with_etag(state: &AppState, org_id: i64, shipment: Shipment) -> Response {
    let etag = etag(shipment.version);
    let shown = shipment_view::written(state, org_id, shipment);
    ([(header::ETAG, etag)], Json(shown)).into_response()
}

/// Get one shipment.
#[utoipa::path(get, path = "/shipments/{id}", tag = "shipments", params(("id" = i64, Path)),
    responses((status = 200, body = TrackedShipment), (status = 404, body = Problem)))]
async fn get_shipment(
    State(state): State<AppState>,
    auth: Auth<ShipmentsRead>,
    Id(id): Id,
) -> ApiResult<Response> {
    let scope = auth.scope();
    let key = format!("{}|{id}", scope_key(&scope));
    let load = || async {
        shipments::get(&state.db, &scope, id)
            .await?
            .ok_or(ApiError::NotFound("shipment"))
    };
    let cached = state
        .cache
        .get_or_load(
            "shipments.get",
            scope.org_id,
            &[Subject::Shipment(id), Subject::Fleet],
            key,
            load,
            |s: &Shipment| Describe {
                etag: Some(etag(s.version)),
                ..Describe::default()
            },
        )
        .await?;
    Ok(json_response(shipment_view::merge_one(
        &state,
        scope.org_id,
        id,
        cached,
    )))
}

/// Fields to change; absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateShipment {
    customer_id: Option<i64>,
    reference: Option<String>,
    priority: Option<Priority>,
    weight_kg: Option<f64>,
    volume_m3: Option<f64>,
    pallets: Option<i64>,
    declared_value: Option<Money>,
    notes: Option<String>,
    pickup: Option<StopView>,
    delivery: Option<StopView>,
}

/// Edit a shipment. Send `If-Match` with the ETag you read; a stale one answers 412.
#[utoipa::path(patch, path = "/shipments/{id}", tag = "shipments", request_body = UpdateShipment,
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses((status = 200, body = TrackedShipment), (status = 412, body = Problem), (status = 428, body = Problem), (status = 422, body = Problem)))]
async fn update_shipment(
    State(state): State<AppState>,
    auth: Auth<ShipmentsUpdate>,
    Id(id): Id,
    IfMatch(version): IfMatch,
    ApiJson(patch): ApiJson<UpdateShipment>,
) -> ApiResult<Response> {
    let shipment = shipment_writes::update(&state.db, &auth.scope(), id, version, move |f| {
        if let Some(v) = patch.customer_id {
            f.customer_id = v;
        }
        if let Some(v) = patch.reference {
            f.reference = v;
        }
        if let Some(v) = patch.priority {
            f.priority = v;
        }
        if let Some(v) = patch.weight_kg {
            f.weight_kg = v;
        }
        if let Some(v) = patch.volume_m3 {
            f.volume_m3 = v;
        }
        if let Some(v) = patch.pallets {
            f.pallets = v;
        }
        if let Some(v) = patch.declared_value {
            f.declared_value_cents = v.amount_cents;
            f.currency = v.currency;
        }
        if let Some(v) = patch.notes {
            f.notes = v;
        }
        if let Some(v) = patch.pickup {
            f.pickup = v.to_stop();
        }
        if let Some(v) = patch.delivery {
            f.delivery = v.to_stop();
        }
        Ok(())
    })
    .await?;
    Ok(with_etag(&state, auth.principal.org_id, shipment))
}

/// The status history of a shipment.
#[utoipa::path(get, path = "/shipments/{id}/events", tag = "shipments", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ShipmentEvent>), (status = 404, body = Problem)))]
async fn list_shipment_events(
    State(state): State<AppState>,
    auth: Auth<ShipmentsRead>,
    Id(id): Id,
) -> ApiResult<Json<Vec<ShipmentEvent>>> {
    let events = shipments::events(&state.db, &auth.scope(), id)
        .await?
        .ok_or(ApiError::NotFound("shipment"))?;
    Ok(Json(events))
}

/// A requested status change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    to: ShipmentStatus,
    #[serde(default)]
    note: String,
}

/// Move a shipment to its next status. An illegal change answers 409 with the allowed ones.
#[utoipa::path(post, path = "/shipments/{id}/transitions", tag = "shipments", request_body = TransitionRequest,
    params(("id" = i64, Path)),
    responses((status = 200, body = TrackedShipment), (status = 409, body = Problem), (status = 404, body = Problem)))]
async fn transition_shipment(
    State(state): State<AppState>,
    auth: Auth<ShipmentsTransition>,
    Id(id): Id,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> ApiResult<Response> {
    if body.to == ShipmentStatus::Assigned {
        return Err(ApiError::field(
            "to",
            "use POST /shipments/{id}/assign to assign a driver",
        ));
    }
    if body.note.chars().count() > 500 {
        return Err(ApiError::field("note", "must be at most 500 characters"));
    }
    let role = auth.principal.role;
    let actor = auth.principal.actor();
    let (shipment, duty) = shipment_writes::transition(
        &state.db,
        &auth.scope(),
        id,
        body.to,
        &body.note,
        Actor(&actor),
        move |from| {
            if policy::may_transition(role, from, body.to) {
                Ok(())
            } else {
                Err(ApiError::Forbidden(format!(
                    "the {role} role may not move a {from} shipment to {}",
                    body.to
                )))
            }
        },
    )
    .await?;
    // Picking up puts the driver on route, closing their last load frees them
    // (`db::driver_duty`); the map colours its markers by status.
    if let Some(change) = duty {
        state.tracking.announce_driver_status(
            auth.principal.org_id,
            change.driver_id,
            change.before,
            change.after,
        );
    }
    Ok(with_etag(&state, auth.principal.org_id, shipment))
}

/// Driver and vehicle for a shipment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    driver_id: i64,
    vehicle_id: i64,
}

/// Assign a driver and vehicle; the load must fit the vehicle.
#[utoipa::path(post, path = "/shipments/{id}/assign", tag = "shipments", request_body = AssignRequest,
    params(("id" = i64, Path)),
    responses((status = 200, body = TrackedShipment), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn assign_shipment(
    State(state): State<AppState>,
    auth: Auth<ShipmentsAssign>,
    Id(id): Id,
    ApiJson(body): ApiJson<AssignRequest>,
) -> ApiResult<Response> {
    let actor = auth.principal.actor();
    let shipment = shipment_writes::assign(
        &state.db,
        &auth.scope(),
        id,
        body.driver_id,
        body.vehicle_id,
        Actor(&actor),
    )
    .await?;
    Ok(with_etag(&state, auth.principal.org_id, shipment))
}
