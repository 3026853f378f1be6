//! Checks a JSON value against a schema of the served OpenAPI document, so a test can assert
//! that what goes over the wire is what the document (hence the dashboard's generated types)
//! says. Covers what utoipa emits: `$ref`, `allOf`, `oneOf`, `type` (also as a list, for
//! nullable fields), `enum`, `format: date-time`, `required`, `items`, `minItems`/`maxItems`.
//! Objects are strict: a key the schema does not document is a mismatch too.

use serde_json::Value;

/// The served OpenAPI document.
pub async fn document(app: &crate::helpers::TestApp) -> Value {
    let doc = app
        .send(reqwest::Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(doc.status, 200);
    doc.body
}

/// A schema reference, e.g. `schema("LiveMessage")`.
pub fn schema(name: &str) -> Value {
    serde_json::json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// `Ok` when `value` conforms to `schema`; otherwise where and why it does not.
pub fn conforms(doc: &Value, schema: &Value, value: &Value) -> Result<(), String> {
    check(doc, schema, value, "$", true)
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// Property names a schema documents, through `$ref` and `allOf`.
fn documented(doc: &Value, schema: &Value, out: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(props) = schema["properties"].as_object() {
        out.extend(props.keys().cloned());
    }
    for member in schema["allOf"].as_array().into_iter().flatten() {
        documented(doc, member, out);
    }
}

fn type_matches(kind: &str, value: &Value) -> bool {
    match kind {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

fn check(doc: &Value, schema: &Value, value: &Value, at: &str, strict: bool) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if let Some(members) = schema["allOf"].as_array() {
        for m in members {
            check(doc, m, value, at, false)?;
        }
    }
    if let Some(members) = schema["oneOf"].as_array() {
        let errors: Vec<String> = members
            .iter()
            .filter_map(|m| check(doc, m, value, at, strict).err())
            .collect();
        if members.len() - errors.len() != 1 {
            return Err(format!(
                "{at}: matches {} of {} oneOf members: {errors:?}",
                members.len() - errors.len(),
                members.len()
            ));
        }
    }
    let kinds: Vec<&str> = match &schema["type"] {
        Value::String(k) => vec![k.as_str()],
        Value::Array(ks) => ks.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !kinds.is_empty() && !kinds.iter().any(|k| type_matches(k, value)) {
        return Err(format!("{at}: {value} is not {kinds:?}"));
    }
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(value) {
            return Err(format!("{at}: {value} is not one of {options:?}"));
        }
    }
    if let (Some("date-time"), Some(text)) = (schema["format"].as_str(), value.as_str()) {
        chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|e| format!("{at}: {text:?} is not an RFC 3339 time: {e}"))?;
    }
    if let Some(object) = value.as_object() {
        for key in schema["required"].as_array().into_iter().flatten() {
            let key = key.as_str().unwrap_or_default();
            if !object.contains_key(key) {
                return Err(format!("{at}: required `{key}` is missing"));
            }
        }
        let props = &schema["properties"];
        for (key, v) in object {
            if let Some(p) = props.get(key) {
                check(doc, p, v, &format!("{at}.{key}"), true)?;
            }
        }
        if strict && (props.is_object() || schema["allOf"].is_array()) {
            let mut known = Vec::new();
            documented(doc, schema, &mut known);
            if let Some(key) = object.keys().find(|k| !known.contains(k)) {
                return Err(format!("{at}: `{key}` is not in the schema"));
            }
        }
    }
    if let Some(items) = value.as_array() {
        let len = items.len() as u64;
        if schema["minItems"].as_u64().is_some_and(|min| len < min)
            || schema["maxItems"].as_u64().is_some_and(|max| len > max)
        {
            return Err(format!("{at}: {len} items is outside the schema's bounds"));
        }
        if schema["items"].is_object() {
            for (i, item) in items.iter().enumerate() {
                check(doc, &schema["items"], item, &format!("{at}[{i}]"), true)?;
            }
        }
    }
    Ok(())
}

#[test]
fn a_value_with_an_undocumented_or_mistyped_field_does_not_conform() {
    let doc = serde_json::json!({"components": {"schemas": {
        "Fix": {"type": "object", "required": ["at"], "properties": {
            "at": {"type": "string", "format": "date-time"},
            "speed": {"type": ["number", "null"]}}},
        "Event": {"oneOf": [{"allOf": [{"$ref": "#/components/schemas/Fix"},
            {"type": "object", "required": ["type"], "properties": {"type": {"type": "string", "enum": ["fix"]}}}]}]}
    }}});
    let event = schema("Event");
    let ok = serde_json::json!({"type": "fix", "at": "2026-01-01T00:00:00.000Z", "speed": null});
    assert_eq!(conforms(&doc, &event, &ok), Ok(()));
    for bad in [
        serde_json::json!({"type": "fix", "at": "2026-01-01T00:00:00.000Z", "extra": 1}),
        serde_json::json!({"type": "fix", "at": "yesterday"}),
        serde_json::json!({"type": "fox", "at": "2026-01-01T00:00:00.000Z"}),
        serde_json::json!({"type": "fix", "at": "2026-01-01T00:00:00.000Z", "speed": "fast"}),
        serde_json::json!({"type": "fix"}),
    ] {
        assert!(conforms(&doc, &event, &bad).is_err(), "{bad} passed");
    }
}
