//! Request extractors whose failures speak problem+json and name the offending field.
//!
//! axum's own `Json`, `Query` and `Path` reject with plain text; these wrappers keep every
//! error in the API's format (style anchor: axum's `AppJson`).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::{header, request::Parts};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON body deserialized with the path of any field that fails.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let mime = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest {
                    code: "unreadable_body",
                    detail: rejection.body_text(),
                }
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Deserializes JSON, turning syntax errors into 400 and shape errors into a 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if path == "." {
                    missing_field(&inner).unwrap_or_else(|| "body".into())
                } else {
                    path
                };
                ApiError::field(field, strip_position(&inner.to_string()))
            }
            _ => ApiError::BadRequest {
                code: "malformed_json",
                detail: format!("malformed JSON: {inner}"),
            },
        }
    })
}

/// serde reports a missing top-level field at path "."; recover its name from the message.
fn missing_field(err: &serde_json::Error) -> Option<String> {
    let msg = err.to_string();
    let start = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|marker| msg.find(marker).map(|i| i + marker.len()))?;
    let end = msg[start..].find('`')? + start;
    Some(msg[start..end].to_string())
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Query parameters deserialized with the failing parameter named.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                let msg = err.into_inner().to_string();
                let field = if path == "." {
                    "query".to_string()
                } else {
                    path
                };
                ApiError::field(field, msg)
            })
    }
}

/// The numeric `{id}` of a resource path. Anything that is not a positive integer cannot
/// name a resource, so it answers 404 like any other unknown id.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("resource"))?;
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Id)
            .ok_or(ApiError::NotFound("resource"))
    }
}

/// The version a client read, from `If-Match: "<version>"`. Required on updates.
pub struct IfMatch(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = parts
            .headers
            .get(header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::PreconditionRequired)?;
        let tag = raw.trim().trim_start_matches("W/").trim_matches('"');
        tag.parse::<i64>()
            .map(IfMatch)
            .map_err(|_| ApiError::field("If-Match", "expected an ETag such as \"3\""))
    }
}

/// The `ETag` header value for a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Stop {
        lat: f64,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        pickup: Stop,
    }

    fn field_of(err: ApiError) -> String {
        match err {
            ApiError::Validation(errors) => errors[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn wrong_types_name_the_nested_field() {
        let err = parse_json::<Body>(br#"{"name":"a","pickup":{"lat":"north"}}"#).unwrap_err();
        assert_eq!(field_of(err), "pickup.lat");
    }

    #[test]
    fn missing_fields_are_named() {
        let err = parse_json::<Body>(br#"{"pickup":{"lat":1.0}}"#).unwrap_err();
        assert_eq!(field_of(err), "name");
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        let err = parse_json::<Body>(b"{\"name\": ").unwrap_err();
        assert!(
            matches!(
                err,
                ApiError::BadRequest {
                    code: "malformed_json",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
