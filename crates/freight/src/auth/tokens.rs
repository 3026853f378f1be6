//! Access tokens (short-lived signed JWTs) and opaque secrets (refresh tokens, API keys).
//!
//! Access tokens are verified without touching the database; they name their login session
//! so that logout can revoke them before they expire (see [`super::revoked`]). Refresh
//! tokens and API keys are random secrets of which only a SHA-256 digest is stored: they
//! carry 256 bits of entropy, so a fast digest is safe where a slow password hash is not needed.
//!
//! A client sends the same access token with every request for its fifteen minutes, and
//! checking it (HMAC-SHA256 over the token, base64 and the JSON claims) was about a twentieth
//! of the CPU of a typical API request. So tokens that passed are remembered, keyed by their
//! full text, for at most their remaining lifetime: a repeat costs one look-up, and expiry is
//! still checked on every use. Only a token whose signature verified is ever remembered.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Principal;
use crate::domain::Role;

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: i64,
    pub org: i64,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did: Option<i64>,
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signing keys and lifetimes.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Tokens whose signature verified, by their full text.
    verified: moka::sync::Cache<Box<str>, Arc<Claims>>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl: Duration, refresh_ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_TOKENS)
                .time_to_live(access_ttl)
                .build(),
            access_ttl,
            refresh_ttl,
        }
    }

    /// Signs an access token for a user session.
    pub fn issue_access(&self, p: &Principal, session_id: &str) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: p.user_id.unwrap_or_default(),
            org: p.org_id,
            role: p.role,
            cid: p.customer_id,
            did: p.driver_id,
            sid: session_id.to_string(),
            iat: now,
            exp: now + self.access_ttl.as_secs() as i64,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature and expiry; a token seen before skips the signature check (see
    /// the module header) but not the expiry check.
    pub fn verify_access(&self, token: &str) -> Option<Arc<Claims>> {
        if let Some(claims) = self.verified.get(token) {
            let now = chrono::Utc::now().timestamp();
            return (claims.exp.saturating_add(self.validation.leeway as i64) >= now)
                .then_some(claims);
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| Arc::new(d.claims))?;
        self.verified.insert(token.into(), claims.clone());
        Some(claims)
    }
}

/// Verified tokens remembered at most (about 0.5 KB each).
const VERIFIED_TOKENS: u64 = 20_000;

/// A URL-safe random secret of `bytes` bytes.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Hex SHA-256 of a secret, as stored.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> Principal {
        Principal {
            org_id: 3,
            role: Role::Dispatcher,
            user_id: Some(9),
            api_key_id: None,
            customer_id: None,
            driver_id: None,
            session_id: None,
        }
    }

    #[test]
    fn a_remembered_token_is_refused_once_it_has_expired() {
        let keys = TokenKeys::new(b"secret", Duration::from_secs(60), Duration::from_secs(600));
        let token = keys.issue_access(&principal(), "s1").unwrap();
        let first = keys.verify_access(&token).expect("fresh token accepted");
        let again = keys
            .verify_access(&token)
            .expect("remembered token accepted");
        assert!(Arc::ptr_eq(&first, &again), "the second use is a look-up");
        // The same token text, remembered with claims that ran out a minute ago.
        let mut expired = (*first).clone();
        expired.exp = chrono::Utc::now().timestamp() - 60;
        keys.verified
            .insert(token.as_str().into(), Arc::new(expired));
        assert!(keys.verify_access(&token).is_none());
    }

    #[test]
    fn access_tokens_round_trip_and_reject_tampering() {
        let keys = TokenKeys::new(
            b"secret-one",
            Duration::from_secs(60),
            Duration::from_secs(600),
        );
        let token = keys.issue_access(&principal(), "s1").unwrap();
        let claims = keys.verify_access(&token).unwrap();
        assert_eq!(
            (claims.sub, claims.org, claims.role, claims.sid.as_str()),
            (9, 3, Role::Dispatcher, "s1")
        );
        let other = TokenKeys::new(
            b"secret-two",
            Duration::from_secs(60),
            Duration::from_secs(600),
        );
        assert!(other.verify_access(&token).is_none());
    }

    #[test]
    fn digests_are_stable_and_secrets_unique() {
        assert_eq!(digest("abc"), digest("abc"));
        assert_ne!(random_token(32), random_token(32));
    }
}
