//! API keys for integrations and tracking devices: `fk_` + 43 random URL-safe characters.
//!
//! The full key is shown once, at creation. Only its SHA-256 digest is stored, with a short
//! prefix so people can tell their keys apart in listings.

use super::tokens::{digest, random_token};

/// Marks a bearer credential as an API key rather than a JWT.
pub const KEY_PREFIX: &str = "fk_";

/// A freshly generated key: the secret to show once, and what to store.
pub struct GeneratedKey {
    pub secret: String,
    pub prefix: String,
    pub hash: String,
}

/// Creates a new random key.
pub fn generate() -> GeneratedKey {
    let secret = format!("{KEY_PREFIX}{}", random_token(32));
    GeneratedKey {
        prefix: secret[..10].to_string(),
        hash: digest(&secret),
        secret,
    }
}

/// Whether a bearer credential looks like one of our API keys.
pub fn looks_like_key(credential: &str) -> bool {
    credential.starts_with(KEY_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_recognised_and_hashed() {
        let key = generate();
        assert!(looks_like_key(&key.secret));
        assert!(key.secret.starts_with(&key.prefix));
        assert_eq!(key.hash, digest(&key.secret));
        assert!(key.secret.len() > 40);
    }
}
