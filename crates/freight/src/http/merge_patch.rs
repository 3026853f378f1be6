//! RFC 7396 JSON Merge Patch for resources whose writable fields are one serde struct:
//! the patch is merged into the current fields, and the result is parsed and checked as a
//! whole, so field errors name the patched path exactly as they would on create.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::error::ApiError;
use super::extract::parse_json;

/// Applies `patch` to `current` (RFC 7396: objects merge, `null` deletes, anything else replaces).
pub fn merge(current: &mut Value, patch: Value) {
    match patch {
        Value::Object(entries) => {
            if !current.is_object() {
                *current = Value::Object(Default::default());
            }
            let target = current.as_object_mut().expect("just made an object");
            for (key, value) in entries {
                if value.is_null() {
                    target.remove(&key);
                } else {
                    merge(target.entry(key).or_insert(Value::Null), value);
                }
            }
        }
        other => *current = other,
    }
}

/// Patches `current` and parses the result back, naming any field that no longer fits.
pub fn apply<F: Serialize + DeserializeOwned>(current: &F, patch: Value) -> Result<F, ApiError> {
    if !patch.is_object() {
        return Err(ApiError::field(
            "body",
            "a merge patch must be a JSON object",
        ));
    }
    let mut doc = serde_json::to_value(current).map_err(|e| ApiError::Internal(e.into()))?;
    merge(&mut doc, patch);
    let bytes = serde_json::to_vec(&doc).map_err(|e| ApiError::Internal(e.into()))?;
    parse_json(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_nested_objects_and_deletes_nulls() {
        let mut doc = json!({"name": "a", "home": {"lat": 1.0, "lon": 2.0}, "email": "x@y"});
        merge(&mut doc, json!({"home": {"lat": 5.0}, "email": null}));
        assert_eq!(doc, json!({"name": "a", "home": {"lat": 5.0, "lon": 2.0}}));
    }
}
