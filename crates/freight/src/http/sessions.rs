//! `/api/v1/auth/*`: login, token refresh, logout, and "who am I".

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ApiResult, Problem};
use super::extract::ApiJson;
use crate::auth::extract::Authenticated;
use crate::auth::tokens::{digest, random_token};
use crate::auth::{password, Principal};
use crate::db::{auth_sessions, users};
use crate::domain::time::now_ms;
use crate::domain::Role;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(whoami))
}

/// Email and password.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    email: String,
    password: String,
}

/// Tokens for a session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// Bearer token for API calls; short-lived.
    pub access_token: String,
    pub token_type: String,
    /// Seconds until `access_token` expires.
    pub expires_in: u64,
    /// Exchange at `/auth/refresh` for a new pair; single use.
    pub refresh_token: String,
    pub role: Role,
}

async fn issue(
    state: &AppState,
    principal: &Principal,
    session_id: &str,
    refresh_token: String,
) -> ApiResult<TokenResponse> {
    let access_token = state.tokens.issue_access(principal, session_id)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.tokens.access_ttl.as_secs(),
        refresh_token,
        role: principal.role,
    })
}

/// Log in with email and password.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem)))]
async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let creds = users::credentials_by_email(&state.db, &body.email).await?;
    let hash = creds
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| password::decoy_hash().to_string());
    let valid = password::verify_async(body.password, hash).await;
    let creds = match creds {
        Some(c) if valid && c.disabled_at.is_none() => c,
        _ => return Err(ApiError::Unauthorized("wrong email or password")),
    };
    let session_id = random_token(16);
    let refresh_token = random_token(32);
    let expires_at = now_ms() + state.tokens.refresh_ttl.as_millis() as i64;
    auth_sessions::create(
        &state.db,
        &session_id,
        creds.org_id,
        creds.id,
        &digest(&refresh_token),
        expires_at,
    )
    .await?;
    Ok(Json(
        issue(&state, &creds.principal(), &session_id, refresh_token).await?,
    ))
}

/// A refresh token.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    refresh_token: String,
}

/// Exchange a refresh token for a new access and refresh token (the old one stops working).
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem)))]
async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let invalid = ApiError::Unauthorized("invalid, expired or revoked refresh token");
    let old_hash = digest(&body.refresh_token);
    let session = auth_sessions::find_by_refresh_hash(&state.db, &old_hash)
        .await?
        .ok_or(invalid)?;
    if session.revoked_at.is_some() || session.expires_at < now_ms() {
        return Err(ApiError::Unauthorized(
            "invalid, expired or revoked refresh token",
        ));
    }
    let creds = users::credentials_by_id(&state.db, session.user_id)
        .await?
        .filter(|c| c.disabled_at.is_none())
        .ok_or(ApiError::Unauthorized("the account is disabled"))?;
    let refresh_token = random_token(32);
    let expires_at = now_ms() + state.tokens.refresh_ttl.as_millis() as i64;
    if !auth_sessions::rotate(
        &state.db,
        &session.id,
        &old_hash,
        &digest(&refresh_token),
        expires_at,
    )
    .await?
    {
        return Err(ApiError::Unauthorized(
            "invalid, expired or revoked refresh token",
        ));
    }
    Ok(Json(
        issue(&state, &creds.principal(), &session.id, refresh_token).await?,
    ))
}

/// End the current session: its access and refresh tokens stop working at once.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = Problem)))]
async fn logout(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> ApiResult<StatusCode> {
    let session_id = principal.session_id.ok_or_else(|| {
        ApiError::field(
            "Authorization",
            "API keys are revoked with DELETE /api-keys/{id}, not logout",
        )
    })?;
    auth_sessions::revoke(&state.db, &session_id).await?;
    state.revoked.revoke(&session_id).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller as the server sees them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub org_id: i64,
    pub role: Role,
    pub user_id: Option<i64>,
    pub api_key_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub driver_id: Option<i64>,
}

/// Who am I?
#[utoipa::path(get, path = "/auth/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn whoami(Authenticated(p): Authenticated) -> Json<Me> {
    Json(Me {
        org_id: p.org_id,
        role: p.role,
        user_id: p.user_id,
        api_key_id: p.api_key_id,
        customer_id: p.customer_id,
        driver_id: p.driver_id,
    })
}
