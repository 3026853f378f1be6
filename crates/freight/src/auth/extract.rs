//! Turning request credentials into a [`Principal`], and the [`Auth`] extractor that
//! enforces the policy table before a handler runs.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::{api_key, policy, Capability, Principal};
use crate::db;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Reads `Authorization: Bearer …` (access token or API key) or `X-API-Key`.
/// `Ok(None)` when the request carries no credentials; `Err` when they are invalid.
pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Principal>, ApiError> {
    if let Some(p) = parts.extensions.get::<Principal>() {
        return Ok(Some(p.clone()));
    }
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let api_key_header = parts
        .headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let credential = match bearer.or(api_key_header) {
        Some(c) if !c.is_empty() => c,
        _ => return Ok(None),
    };
    principal_for_credential(credential, state).await.map(Some)
}

/// Resolves a bearer credential (JWT or API key) to its principal.
pub async fn principal_for_credential(
    credential: &str,
    state: &AppState,
) -> Result<Principal, ApiError> {
    if api_key::looks_like_key(credential) {
        let key = db::api_keys::find_active_by_secret(&state.db, credential)
            .await?
            .ok_or(ApiError::Unauthorized("invalid or revoked API key"))?;
        return Ok(key.principal());
    }
    let claims = state
        .tokens
        .verify_access(credential)
        .ok_or(ApiError::Unauthorized("invalid or expired access token"))?;
    if state.revoked.is_revoked(&claims.sid, &state.db).await? {
        return Err(ApiError::Unauthorized("this session has been logged out"));
    }
    Ok(Principal {
        org_id: claims.org,
        role: claims.role,
        user_id: Some(claims.sub),
        api_key_id: None,
        customer_id: claims.cid,
        driver_id: claims.did,
        session_id: Some(claims.sid.clone()),
    })
}

/// An authenticated caller allowed to perform capability `C`.
///
/// Missing or bad credentials answer 401; a role without the capability answers 403.
pub struct Auth<C> {
    pub principal: Principal,
    _capability: PhantomData<C>,
}

impl<C> Auth<C> {
    /// The rows this caller may see.
    pub fn scope(&self) -> super::Scope {
        self.principal.scope()
    }
}

impl<C: Capability> FromRequestParts<AppState> for Auth<C> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let principal = authenticate(parts, state)
            .await?
            .ok_or(ApiError::Unauthorized(
                "send `Authorization: Bearer <access token or API key>`",
            ))?;
        if !policy::allows(principal.role, C::ACTION) {
            return Err(ApiError::Forbidden(format!(
                "the {} role may not perform {:?}",
                principal.role,
                C::ACTION
            )));
        }
        parts.extensions.insert(principal.clone());
        Ok(Auth {
            principal,
            _capability: PhantomData,
        })
    }
}

/// Any authenticated caller, whatever their role (logout, "who am I").
pub struct Authenticated(pub Principal);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(parts, state)
            .await?
            .map(Authenticated)
            .ok_or(ApiError::Unauthorized(
                "send `Authorization: Bearer <access token or API key>`",
            ))
    }
}
