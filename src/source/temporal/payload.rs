//! Temporal payloads as the HTTP API shows them. With only `json/plain`
//! payloads it writes their JSON as is (`"input": ["cust_42", 8]`); as soon
//! as one payload is not plain JSON (encrypted, protobuf, binary), or a
//! payload carries more metadata, it writes the full form:
//! `{"payloads": [{"metadata": {"encoding": BASE64}, "data": BASE64}, …]}`.
//! Plain JSON is decoded; anything else is shown as "encoded (N bytes, …)":
//! never guessed at.

use base64::Engine;
use serde_json::{Value, json};

fn b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// A payload in full form, if it is one.
fn full_form(v: &Value) -> Option<(String, Option<&str>)> {
    let o = v.as_object()?;
    let meta = o.get("metadata")?.as_object()?;
    let enc = meta.get("encoding")?.as_str()?;
    if o.keys().any(|k| k != "metadata" && k != "data") {
        return None;
    }
    let enc = String::from_utf8_lossy(&b64(enc)?).to_string();
    Some((enc, o.get("data").and_then(Value::as_str)))
}

/// One payload as JSON: decoded when it is `json/plain` (or null), else
/// `"encoded (N bytes, ENCODING)"`.
pub fn one(v: &Value) -> Value {
    match full_form(v) {
        None => v.clone(),
        Some((enc, data)) => {
            let bytes = data.and_then(b64).unwrap_or_default();
            match enc.as_str() {
                "json/plain" => serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                    json!(format!(
                        "encoded ({} bytes, json/plain that does not parse)",
                        bytes.len()
                    ))
                }),
                "binary/null" => Value::Null,
                e => json!(format!(
                    "encoded ({} bytes, {})",
                    bytes.len(),
                    crate::sanitize::line(e, 40)
                )),
            }
        }
    }
}

/// A `Payloads` field (an input, a result, heartbeat details) as a JSON
/// list of values.
pub fn list(v: &Value) -> Vec<Value> {
    match v {
        Value::Null => vec![],
        Value::Array(a) => a.iter().map(one).collect(),
        Value::Object(o) if o.contains_key("payloads") => o["payloads"]
            .as_array()
            .map(|a| a.iter().map(one).collect())
            .unwrap_or_default(),
        other => vec![one(other)],
    }
}

/// A payloads field as one line: a single value bare, several as a list.
pub fn text(v: &Value) -> String {
    let l = list(v);
    match l.as_slice() {
        [] => String::new(),
        [Value::String(s)] => s.clone(),
        [one] => one.to_string(),
        many => Value::Array(many.to_vec()).to_string(),
    }
}

/// A memo field or search attribute by key (`{"fields": {K: payload}}`,
/// `{"indexedFields": {K: payload}}`), as text.
pub fn field(map: &Value, key: &str) -> Option<String> {
    let f = map
        .get("fields")
        .or_else(|| map.get("indexedFields"))
        .unwrap_or(map)
        .get(key)?;
    match one(f) {
        Value::String(s) => Some(s),
        Value::Null => None,
        v => Some(v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_json_as_is_and_full_forms_decoded_or_named() {
        assert_eq!(
            list(&json!(["cust_42", 8])),
            vec![json!("cust_42"), json!(8)]
        );
        // {"metadata":{"encoding":"json/plain"},"data":"{\"a\":1}"}
        let plain = json!({"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "eyJhIjoxfQ=="});
        assert_eq!(one(&plain), json!({"a": 1}));
        let enc = json!({"payloads": [
            {"metadata": {"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="}, "data": "c2VjcmV0IGJ5dGVz"},
            {"k": 1}]});
        assert_eq!(
            list(&enc),
            vec![
                json!("encoded (12 bytes, binary/encrypted)"),
                json!({"k": 1})
            ]
        );
        assert_eq!(text(&json!(["only"])), "only");
        assert_eq!(text(&json!(null)), "");
    }

    #[test]
    fn memo_and_search_attributes() {
        let memo = json!({"fields": {"agent": "refund-bot-7"}});
        assert_eq!(field(&memo, "agent").as_deref(), Some("refund-bot-7"));
        let sa = json!({"indexedFields": {"BuildIds": {"metadata": {"encoding": "anNvbi9wbGFpbg==", "type": "S2V5d29yZExpc3Q="},
            "data": "WyJ1bnZlcnNpb25lZCJd"}}});
        // Extra metadata (the type): still decoded as json/plain.
        assert_eq!(field(&sa, "BuildIds").as_deref(), Some("[\"unversioned\"]"));
        assert_eq!(field(&memo, "nope"), None);
    }
}
