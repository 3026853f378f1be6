//! Shipment JSON with its live tracking facts: the shipment handlers answer from the response
//! cache, then these functions merge the `tracking` member (arrivals, ETA to the next stop,
//! late flag) from memory, so a moving shipment's ETA is never as old as the cached page and
//! ETA changes never invalidate the cache. See `tracking::shipment_live`.

use axum::body::Bytes;
use serde::Serialize;
use utoipa::ToSchema;

use crate::cache::Cached;
use crate::db::shipments::Shipment;
use crate::state::AppState;
use crate::tracking::geo_store::ShipmentTracking;

/// A shipment as the API shows it: the stored shipment plus, once it has been tracked, its
/// live `tracking` (the same object as `GET /shipments/{id}/tracking`).
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackedShipment {
    #[serde(flatten)]
    pub shipment: Shipment,
    /// Absent until a fix of the assigned driver has been evaluated for this shipment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking: Option<ShipmentTracking>,
}

/// One shipment's cached body with `tracking` merged in.
pub fn merge_one(state: &AppState, org_id: i64, shipment_id: i64, mut cached: Cached) -> Cached {
    if let Some(body) = state
        .tracking
        .shipments()
        .merge_one(org_id, shipment_id, &cached.body)
    {
        cached.body = Bytes::from(body);
    }
    cached
}

/// A cached page of shipments with `tracking` merged into each tracked item.
pub fn merge_page(state: &AppState, org_id: i64, mut cached: Cached) -> Cached {
    let merged = state
        .tracking
        .shipments()
        .merge_page(org_id, &cached.body, &cached.item_ends);
    if let Some(body) = merged {
        cached.body = Bytes::from(body);
        // The offsets belong to the cached body, not to this merged copy.
        cached.item_ends = Default::default();
    }
    cached
}

/// A freshly written shipment (create, update, transition, assign) with its tracking.
pub fn written(state: &AppState, org_id: i64, shipment: Shipment) -> TrackedShipment {
    let tracking = state.tracking.shipments().get(org_id, shipment.id);
    TrackedShipment { shipment, tracking }
}
