//! `/api/v1/users` and `/api/v1/api-keys`: an admin manages who can get in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{ApiJson, Id};
use crate::auth::policy::{ApiKeysManage, UsersManage};
use crate::auth::{api_key, password, Auth};
use crate::db::api_keys::{self, ApiKey};
use crate::db::users::{self, NewUser, User};
use crate::domain::{FieldErrors, Role};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
}

/// List the organization's users.
#[utoipa::path(get, path = "/users", tag = "users", responses((status = 200, body = Vec<User>)))]
async fn list_users(
    State(state): State<AppState>,
    auth: Auth<UsersManage>,
) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(users::list(&state.db, auth.principal.org_id).await?))
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
    /// At least 10 characters.
    pub password: String,
    pub role: Role,
    /// Required for the customer role.
    pub customer_id: Option<i64>,
    /// Required for the driver role.
    pub driver_id: Option<i64>,
}

impl CreateUser {
    /// Checks the fields every user needs, and the link their role requires.
    pub fn check(&self) -> Result<(), Vec<crate::domain::FieldError>> {
        let mut errors = FieldErrors::new();
        errors.check(
            self.email.contains('@') && self.email.len() <= 254,
            "email",
            "must be an email address",
        );
        errors.text("name", &self.name, 1, 200);
        errors.check(
            self.password.chars().count() >= 10,
            "password",
            "must be at least 10 characters",
        );
        errors.check(
            self.role != Role::Customer || self.customer_id.is_some(),
            "customer_id",
            "required for the customer role",
        );
        errors.check(
            self.role != Role::Driver || self.driver_id.is_some(),
            "driver_id",
            "required for the driver role",
        );
        errors.into_result()
    }
}

/// Create a user in the caller's organization.
#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = User), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_user(
    State(state): State<AppState>,
    auth: Auth<UsersManage>,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    body.check().map_err(ApiError::Validation)?;
    let hash = password::hash_async(body.password.clone()).await?;
    let user = users::create(
        &state.db,
        &NewUser {
            org_id: auth.principal.org_id,
            email: &body.email,
            name: &body.name,
            password_hash: &hash,
            role: body.role,
            customer_id: body.customer_id,
            driver_id: body.driver_id,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// List API keys (without their secrets).
#[utoipa::path(get, path = "/api-keys", tag = "api-keys", responses((status = 200, body = Vec<ApiKey>)))]
async fn list_api_keys(
    State(state): State<AppState>,
    auth: Auth<ApiKeysManage>,
) -> ApiResult<Json<Vec<ApiKey>>> {
    Ok(Json(
        api_keys::list(&state.db, auth.principal.org_id).await?,
    ))
}

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    name: String,
    /// Role the key acts as; a tracking device uses `driver` with `driver_id`.
    role: Role,
    driver_id: Option<i64>,
}

/// A created key: `secret` is shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    pub secret: String,
}

/// Create an API key for an integration or a tracking device.
#[utoipa::path(post, path = "/api-keys", tag = "api-keys", request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 422, body = Problem)))]
async fn create_api_key(
    State(state): State<AppState>,
    auth: Auth<ApiKeysManage>,
    ApiJson(body): ApiJson<CreateApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let mut errors = FieldErrors::new();
    errors.text("name", &body.name, 1, 100);
    errors.check(
        body.role != Role::Customer,
        "role",
        "customer access uses user accounts",
    );
    errors.check(
        body.role != Role::Driver || body.driver_id.is_some(),
        "driver_id",
        "required for the driver role",
    );
    errors.into_result().map_err(ApiError::Validation)?;
    let generated = api_key::generate();
    let new = api_keys::NewApiKey {
        org_id: auth.principal.org_id,
        name: &body.name,
        role: body.role,
        driver_id: body.driver_id,
        created_by: auth.principal.user_id,
        prefix: &generated.prefix,
        hash: &generated.hash,
    };
    let key = api_keys::create(&state.db, &new).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            key,
            secret: generated.secret,
        }),
    ))
}

/// Revoke an API key; it stops working immediately.
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "api-keys", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn revoke_api_key(
    State(state): State<AppState>,
    auth: Auth<ApiKeysManage>,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    if api_keys::revoke(&state.db, auth.principal.org_id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("api key"))
    }
}
