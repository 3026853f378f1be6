//! The rate-limit middleware: classify the request by path, find who is calling, check the
//! keys, and answer 429 (or, for auth when the store is down, 503) or pass it on with the
//! `RateLimit-*` headers.
//!
//! Keys: an authenticated caller is limited per principal (`o<org>:user:<id>` or
//! `o<org>:api_key:<id>`); anonymous callers per client IP. Login and refresh are limited
//! per client IP *and* per account (the email for login, a digest of the refresh token for
//! refresh), so guessing one password from many addresses, or many passwords from one, both
//! hit a wall.

use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::tiers::{classify, plan_multiplier, Class, Tier, TierLimit};
use super::window::Decision;
use super::Verdict;
use crate::auth::{authenticate, Principal};
use crate::domain::time::now_ms;
use crate::domain::Role;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Largest login/refresh body read to find the account (bigger ones are refused anyway).
const AUTH_BODY_LIMIT: usize = 16 * 1024;

/// Who is being limited, as resolved for one request.
struct Caller {
    org_id: i64,
    /// Keys checked, in order; all must admit.
    subjects: Vec<String>,
    limit: TierLimit,
}

/// `axum::middleware::from_fn_with_state(state, layer)`.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limits = &state.rate_limits;
    if !limits.enabled() {
        return next.run(request).await;
    }
    let tier = match classify(request.uri().path()) {
        Class::Exempt => return next.run(request).await,
        Class::Limited(tier) => tier,
    };
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let endpoint = (
        method.as_str(),
        route.as_ref().map_or("(unmatched)", |m| m.as_str()),
    );
    let trust_forwarded = limits.config().trust_forwarded;
    let (mut parts, body) = request.into_parts();
    let (caller, body) = if tier == Tier::Auth {
        let bytes = match axum::body::to_bytes(body, AUTH_BODY_LIMIT).await {
            Ok(bytes) => bytes,
            Err(_) => return ApiError::PayloadTooLarge.into_response(),
        };
        let mut subjects = vec![client_ip(&parts, trust_forwarded)];
        if let Some(account) = account_of(&bytes) {
            subjects.push(account);
        }
        let caller = Caller {
            org_id: 0,
            subjects,
            limit: limits.config().limit(Tier::Auth),
        };
        (caller, Body::from(bytes))
    } else {
        let principal = authenticate(&parts, &state).await.ok().flatten();
        let caller = match principal {
            Some(p) => {
                let caller = principal_caller(&state, &p, tier).await;
                // The handler's `Auth` extractor reuses it instead of authenticating again.
                parts.extensions.insert(p);
                caller
            }
            None => Caller {
                org_id: 0,
                subjects: vec![client_ip(&parts, trust_forwarded)],
                limit: limits.config().limit(tier),
            },
        };
        (caller, body)
    };
    let request = Request::from_parts(parts, body);
    let primary = caller.subjects.last().map_or("", String::as_str);
    let recorder = limits.recorder();
    match limits.check(tier, &caller.subjects, caller.limit).await {
        Verdict::Allowed(decision) => {
            recorder.record(now_ms(), caller.org_id, primary, tier, endpoint, false);
            let mut response = next.run(request).await;
            set_headers(response.headers_mut(), tier, caller.limit, &decision);
            response
        }
        Verdict::Refused { decision, subject } => {
            recorder.record(now_ms(), caller.org_id, &subject, tier, endpoint, true);
            let retry_after = decision.retry_after_secs.unwrap_or(1);
            let mut response = ApiError::TooManyRequests {
                retry_after,
                tier: tier.as_str(),
            }
            .into_response();
            set_headers(response.headers_mut(), tier, caller.limit, &decision);
            response
        }
        Verdict::Unavailable(why) => {
            recorder.record(now_ms(), caller.org_id, primary, tier, endpoint, false);
            if tier == Tier::Auth {
                tracing::error!(reason = %why, "rate-limit store unavailable: refusing login/refresh (fail closed)");
                return unavailable();
            }
            tracing::warn!(reason = %why, tier = %tier, "rate-limit store unavailable: request admitted unchecked (fail open)");
            next.run(request).await
        }
    }
}

/// Keys and limit for an authenticated caller: per principal, with the organization's
/// limits, times the plan multiplier for customer users.
async fn principal_caller(state: &AppState, p: &Principal, tier: Tier) -> Caller {
    let limits = &state.rate_limits;
    let mut limit = limits.org_limit(p.org_id, tier).await;
    if p.role == Role::Customer {
        if let Some(customer_id) = p.customer_id {
            let plan = limits.customer_plan(p.org_id, customer_id).await;
            limit = limit.times(plan_multiplier(plan));
        }
    }
    Caller {
        org_id: p.org_id,
        subjects: vec![format!("o{}:{}", p.org_id, p.actor())],
        limit,
    }
}

/// The account a login or refresh body names: `account:<email>` or `refresh:<digest>`.
fn account_of(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if let Some(email) = value.get("email").and_then(|e| e.as_str()) {
        return Some(format!("account:{}", email.trim().to_lowercase()));
    }
    let token = value.get("refresh_token").and_then(|t| t.as_str())?;
    let digest = crate::auth::tokens::digest(token);
    Some(format!("refresh:{}", digest.get(..16).unwrap_or(&digest)))
}

/// `ip:<address>`: the peer address, or the first `X-Forwarded-For` entry when trusted.
/// Only anonymous callers and sign-ins are limited by address, so only they need it.
fn client_ip(request: &Parts, trust_forwarded: bool) -> String {
    if trust_forwarded {
        let forwarded = request
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        if let Some(ip) = forwarded {
            return format!("ip:{ip}");
        }
    }
    request
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "ip:unknown".into(), |c| format!("ip:{}", c.0.ip()))
}

/// `RateLimit-Limit/Remaining/Reset` and `RateLimit-Policy` (IETF httpapi draft, the
/// widely deployed header-per-field form).
const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

fn set_headers(headers: &mut HeaderMap, tier: Tier, limit: TierLimit, decision: &Decision) {
    // Room for these four and the `traceparent` added on the way out, in one growth of the
    // map rather than two.
    headers.reserve(5);
    headers.insert(RATELIMIT_LIMIT, HeaderValue::from(decision.limit));
    headers.insert(RATELIMIT_REMAINING, HeaderValue::from(decision.remaining));
    headers.insert(RATELIMIT_RESET, HeaderValue::from(decision.reset_secs));
    if let Some(value) = policy_header(tier, limit) {
        headers.insert(RATELIMIT_POLICY, value);
    }
}

/// `RateLimit-Policy` for a tier's limit. The last one made is kept per thread: nearly every
/// request a worker serves has the same tier and limit, so it is formatted once, not per
/// request.
fn policy_header(tier: Tier, limit: TierLimit) -> Option<HeaderValue> {
    thread_local! {
        static LAST: RefCell<Option<(Tier, TierLimit, HeaderValue)>> = const { RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| {
        if let Some((t, l, value)) = last.as_ref() {
            if *t == tier && *l == limit {
                return Some(value.clone());
            }
        }
        let policy = format!(
            "{};w={};burst={};policy=\"{}\"",
            limit.limit,
            limit.window_secs,
            limit.burst.min(limit.limit),
            tier.as_str()
        );
        let value = HeaderValue::from_str(&policy).ok()?;
        *last = Some((tier, limit, value.clone()));
        Some(value)
    })
}

/// 503 problem+json: the limiter's store is down and this tier fails closed.
fn unavailable() -> Response {
    let body = serde_json::json!({
        "type": "https://infamousfreight.dev/problems/rate-limit-unavailable",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "sign-in is temporarily unavailable (the rate limiter cannot be reached); retry shortly",
        "code": "rate_limit_unavailable",
    });
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}
