//! `/api/v1/admin/rate-limits`: an admin reads the organization's effective tier limits and
//! replaces its overrides. The auth tier is keyed before anyone is known to belong to an
//! organization, so it is global only (`FREIGHT_RATE_LIMIT_AUTH`).

use std::collections::{BTreeMap, HashSet};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{etag, ApiJson, IfMatch};
use crate::auth::policy::RateLimitsManage;
use crate::auth::Auth;
use crate::db::rate_limits::{self as storage, OverrideRow};
use crate::domain::{CustomerTier, FieldErrors};
use crate::ratelimit::tiers::plan_multiplier;
use crate::ratelimit::{Tier, TierLimit};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_rate_limits, put_rate_limits))
}

/// One tier as it applies to the organization.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EffectiveTier {
    pub tier: Tier,
    pub limit: u64,
    pub window_secs: u64,
    /// Requests of each window available at once (see `docs/ARCHITECTURE.md`).
    pub burst: u64,
    /// `organization` when overridden, else `default`.
    pub source: String,
    /// The global value this tier falls back to.
    pub default: TierLimit,
}

/// The organization's rate limits.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RateLimitSettings {
    /// `false` when the service runs with `FREIGHT_RATE_LIMITS=off`.
    pub enabled: bool,
    /// `memory` or `redis`.
    pub backend: String,
    /// Version of the override set (also the `ETag`); send it back in `If-Match` to change it.
    pub version: i64,
    pub tiers: Vec<EffectiveTier>,
    /// Customer users get their organization's limits times their plan's multiplier.
    pub plan_multipliers: BTreeMap<String, u64>,
}

/// One override.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierOverride {
    pub tier: Tier,
    pub limit: u64,
    pub window_secs: u64,
    #[serde(default)]
    pub burst: u64,
}

/// The complete set of overrides: listed tiers are overridden, the others use the defaults.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutRateLimits {
    pub tiers: Vec<TierOverride>,
}

impl PutRateLimits {
    fn check(&self) -> Result<(), Vec<crate::domain::FieldError>> {
        let mut errors = FieldErrors::new();
        let mut seen = HashSet::new();
        for (i, o) in self.tiers.iter().enumerate() {
            errors.check(
                o.tier != Tier::Auth,
                format!("tiers[{i}].tier"),
                "the auth tier is global (FREIGHT_RATE_LIMIT_AUTH)",
            );
            errors.check(
                seen.insert(o.tier),
                format!("tiers[{i}].tier"),
                "listed twice",
            );
            let limit = TierLimit::new(o.limit, o.window_secs, o.burst);
            for (field, why) in limit.problems() {
                errors.add(format!("tiers[{i}].{field}"), why);
            }
        }
        errors.into_result()
    }
}

async fn settings(state: &AppState, org_id: i64, version: i64) -> RateLimitSettings {
    let limits = &state.rate_limits;
    let overrides = limits.org_overrides(org_id).await;
    let tiers = Tier::ALL
        .iter()
        .map(|&tier| {
            let default = limits.config().limit(tier);
            let (effective, source) = match overrides.get(&tier) {
                Some(o) => (*o, "organization"),
                None => (default, "default"),
            };
            EffectiveTier {
                tier,
                limit: effective.limit,
                window_secs: effective.window_secs,
                burst: effective.burst,
                source: source.into(),
                default,
            }
        })
        .collect();
    let plan_multipliers = [
        CustomerTier::Standard,
        CustomerTier::Premium,
        CustomerTier::Enterprise,
    ]
    .into_iter()
    .map(|plan| (plan.as_str().to_string(), plan_multiplier(plan)))
    .collect();
    RateLimitSettings {
        enabled: limits.enabled(),
        backend: limits.backend().into(),
        version,
        tiers,
        plan_multipliers,
    }
}

fn with_etag(settings: RateLimitSettings) -> Response {
    ([(header::ETAG, etag(settings.version))], Json(settings)).into_response()
}

/// The organization's effective rate limits (fresh from the database, with an `ETag`).
#[utoipa::path(get, path = "/admin/rate-limits", tag = "admin",
    responses((status = 200, body = RateLimitSettings), (status = 403, body = Problem)))]
async fn get_rate_limits(
    State(state): State<AppState>,
    auth: Auth<RateLimitsManage>,
) -> ApiResult<Response> {
    let org_id = auth.principal.org_id;
    state.rate_limits.invalidate_org(org_id);
    let version = storage::overrides_version(&state.db, org_id).await?;
    Ok(with_etag(settings(&state, org_id, version).await))
}

/// Replace the organization's overrides (tiers not listed return to the defaults); needs
/// `If-Match` with the `ETag` of a GET.
#[utoipa::path(put, path = "/admin/rate-limits", tag = "admin", request_body = PutRateLimits,
    params(("If-Match" = String, Header)),
    responses((status = 200, body = RateLimitSettings), (status = 403, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
async fn put_rate_limits(
    State(state): State<AppState>,
    auth: Auth<RateLimitsManage>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<PutRateLimits>,
) -> ApiResult<Response> {
    body.check().map_err(ApiError::Validation)?;
    let org_id = auth.principal.org_id;
    let rows: Vec<OverrideRow> = body
        .tiers
        .iter()
        .map(|o| OverrideRow {
            tier: o.tier.as_str().to_string(),
            limit_count: i64::try_from(o.limit).unwrap_or(i64::MAX),
            window_secs: i64::try_from(o.window_secs).unwrap_or(i64::MAX),
            burst: i64::try_from(o.burst).unwrap_or(i64::MAX),
        })
        .collect();
    let version =
        storage::replace_overrides(&state.db, org_id, &rows, &auth.principal.actor(), expected)
            .await?
            .map_err(|current_version| ApiError::PreconditionFailed { current_version })?;
    state.rate_limits.invalidate_org(org_id);
    tracing::info!(
        org_id,
        overrides = rows.len(),
        "rate-limit overrides replaced"
    );
    Ok(with_etag(settings(&state, org_id, version).await))
}
