//! One span's attributes, read in one pass: the GenAI and OpenInference
//! keys the mapping needs. Values stay borrowed from the request until the
//! mapping takes them, and every text taken goes through the project's
//! sanitizer (`short`, `text`, `json`) on the way out.

use std::borrow::Cow;

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value as Any};
use serde_json::Value;

use crate::model::event::Short;
use crate::sanitize::{self, MAX_DEPTH, MAX_ITEMS, MAX_SHORT, MAX_TEXT, TRUNCATED};

/// A value read from an attribute, and how preferred its key is (lower
/// wins: the GenAI conventions before OpenInference before older ones).
type Slot<'a> = Option<(&'a AnyValue, u8)>;

/// The keys the mapping reads.
#[derive(Default)]
pub struct Known<'a> {
    pub op: Slot<'a>,
    pub oi_kind: Slot<'a>,
    pub agent: Slot<'a>,
    pub conversation: Slot<'a>,
    pub tool: Slot<'a>,
    pub call_id: Slot<'a>,
    pub args: Slot<'a>,
    pub result: Slot<'a>,
    pub input: Slot<'a>,
    pub output: Slot<'a>,
    pub model: Slot<'a>,
    pub error_type: Slot<'a>,
    pub user: Slot<'a>,
    pub target: Slot<'a>,
    /// Any GenAI or OpenInference key: the span is agent telemetry.
    pub relevant: bool,
}

fn put<'a>(slot: &mut Slot<'a>, v: &'a AnyValue, prio: u8) {
    if slot.is_none_or(|(_, p)| prio < p) {
        *slot = Some((v, prio));
    }
}

impl<'a> Known<'a> {
    pub fn read(attrs: &'a [KeyValue]) -> Known<'a> {
        let mut k = Known::default();
        for kv in attrs {
            let Some(v) = kv.value.as_ref() else {
                continue;
            };
            let key = kv.key.as_str();
            match key {
                "gen_ai.operation.name" => put(&mut k.op, v, 0),
                "openinference.span.kind" => put(&mut k.oi_kind, v, 0),
                "gen_ai.agent.name" => put(&mut k.agent, v, 0),
                "agent.name" => put(&mut k.agent, v, 1),
                "gen_ai.conversation.id" => put(&mut k.conversation, v, 0),
                "session.id" => put(&mut k.conversation, v, 1),
                "gen_ai.tool.name" => put(&mut k.tool, v, 0),
                "tool.name" => put(&mut k.tool, v, 1),
                "gen_ai.tool.call.id" => put(&mut k.call_id, v, 0),
                "tool_call.id" => put(&mut k.call_id, v, 1),
                "gen_ai.tool.call.arguments" => put(&mut k.args, v, 0),
                "gen_ai.tool.call.result" => put(&mut k.result, v, 0),
                "gen_ai.input.messages" => put(&mut k.input, v, 0),
                "input.value" => put(&mut k.input, v, 1),
                "gen_ai.prompt.0.content" => put(&mut k.input, v, 2),
                "gen_ai.output.messages" => put(&mut k.output, v, 0),
                "llm.output_messages.0.message.content" => put(&mut k.output, v, 1),
                "output.value" => put(&mut k.output, v, OI_OUTPUT),
                "gen_ai.completion.0.content" => put(&mut k.output, v, 3),
                "gen_ai.response.model" => put(&mut k.model, v, 0),
                "gen_ai.request.model" => put(&mut k.model, v, 1),
                "llm.model_name" => put(&mut k.model, v, 2),
                "error.type" => put(&mut k.error_type, v, 0),
                "enduser.id" => put(&mut k.user, v, 0),
                "user.id" => put(&mut k.user, v, 1),
                "url.full" => put(&mut k.target, v, 0),
                "messaging.destination.name" => put(&mut k.target, v, 1),
                "server.address" => put(&mut k.target, v, 2),
                "db.namespace" => put(&mut k.target, v, 3),
                _ => {}
            }
            k.relevant |= key.starts_with("gen_ai.")
                || key.starts_with("openinference.")
                || key.starts_with("llm.");
        }
        k
    }
}

/// The generic OpenInference `output.value` slot rank: on a model span it
/// is the whole serialized result, not the text.
pub const OI_OUTPUT: u8 = 2;

/// The value of a slot.
pub fn val<'a>(s: Slot<'a>) -> Option<&'a AnyValue> {
    s.map(|(v, _)| v)
}

/// A value as text: strings as they are, scalars printed, arrays and maps
/// as JSON (cleaned and capped).
pub fn raw_text(v: &AnyValue) -> Option<Cow<'_, str>> {
    Some(match v.value.as_ref()? {
        Any::StringValue(s) => Cow::Borrowed(s.as_str()),
        Any::BoolValue(b) => Cow::Owned(b.to_string()),
        Any::IntValue(i) => Cow::Owned(i.to_string()),
        Any::DoubleValue(d) => Cow::Owned(d.to_string()),
        Any::BytesValue(b) => Cow::Owned(format!("({} bytes)", b.len())),
        Any::ArrayValue(_) | Any::KvlistValue(_) => Cow::Owned(json(v, 0).to_string()),
        Any::StringValueStrindex(_) => return None,
    })
}

/// A clean one-line short field (ids, names), `None` when empty.
pub fn short(v: Option<&AnyValue>) -> Option<Short> {
    let t = raw_text(v?)?;
    let s = sanitize::line_cow(&t, MAX_SHORT);
    (!s.is_empty()).then(|| Short::new(s))
}

/// Clean one-line text capped at `max` chars, `None` when empty.
pub fn line(v: Option<&AnyValue>, max: usize) -> Option<String> {
    let t = raw_text(v?)?;
    let s = sanitize::line(&t, max);
    (!s.is_empty()).then_some(s)
}

/// The plain string of a value, if it is one (borrowed, not yet cleaned:
/// only for comparing against known words).
pub fn as_str(v: Option<&AnyValue>) -> Option<&str> {
    match v?.value.as_ref()? {
        Any::StringValue(s) => Some(s),
        _ => None,
    }
}

/// Strings longer than this are not parsed as JSON (kept as cut text).
const MAX_PARSE: usize = 64 << 10;

/// A value as clean JSON: a string holding a JSON object or array is
/// parsed (tool arguments usually come that way), anything else kept as
/// it is; every string cleaned, depth, items and lengths capped with the
/// sanitizer's mark.
pub fn json(v: &AnyValue, depth: usize) -> Value {
    if depth >= MAX_DEPTH {
        return Value::String(TRUNCATED.into());
    }
    match v.value.as_ref() {
        None | Some(Any::StringValueStrindex(_)) => Value::Null,
        Some(Any::StringValue(s)) => {
            let t = s.trim_start();
            if (t.starts_with('{') || t.starts_with('['))
                && s.len() <= MAX_PARSE
                && let Ok(mut parsed) = serde_json::from_str::<Value>(s)
            {
                sanitize::json(&mut parsed, depth);
                return parsed;
            }
            Value::String(sanitize::text(s, MAX_TEXT))
        }
        Some(Any::BoolValue(b)) => Value::Bool(*b),
        Some(Any::IntValue(i)) => Value::from(*i),
        Some(Any::DoubleValue(d)) => serde_json::Number::from_f64(*d)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(d.to_string())),
        Some(Any::BytesValue(b)) => Value::String(format!("({} bytes)", b.len())),
        Some(Any::ArrayValue(a)) => {
            let mut out: Vec<Value> = a
                .values
                .iter()
                .take(MAX_ITEMS)
                .map(|x| json(x, depth + 1))
                .collect();
            if a.values.len() > MAX_ITEMS {
                out.push(Value::String(TRUNCATED.into()));
            }
            Value::Array(out)
        }
        Some(Any::KvlistValue(kv)) => {
            let mut m = serde_json::Map::new();
            for x in kv.values.iter().take(MAX_ITEMS) {
                let val = x
                    .value
                    .as_ref()
                    .map(|v| json(v, depth + 1))
                    .unwrap_or(Value::Null);
                m.insert(sanitize::line(&x.key, MAX_SHORT), val);
            }
            if kv.values.len() > MAX_ITEMS {
                m.insert("…".into(), Value::String(TRUNCATED.into()));
            }
            Value::Object(m)
        }
    }
}

/// A value as JSON text for event data: a string holding a JSON object or
/// array as it is (the data's cleaning pass checks and cuts it), any other
/// string quoted (cut to [`MAX_TEXT`]), arrays and maps converted.
pub fn json_text(v: &AnyValue) -> String {
    match v.value.as_ref() {
        Some(Any::StringValue(s)) => {
            let t = s.trim_start();
            if (t.starts_with('{') || t.starts_with('['))
                && s.len() <= MAX_PARSE
                && serde_json::from_str::<&serde_json::value::RawValue>(s).is_ok()
            {
                return s.clone();
            }
            Value::String(sanitize::text(s, MAX_TEXT)).to_string()
        }
        _ => json(v, 0).to_string(),
    }
}

/// Find an attribute by name; a dotted name whose head is a JSON-object
/// attribute reads inside it (OpenInference keeps LangGraph's config in
/// `metadata`, so `metadata.thread_id` finds the thread).
pub fn lookup<'a>(attrs: &'a [KeyValue], key: &str) -> Option<Cow<'a, str>> {
    if let Some(v) = attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
    {
        return raw_text(v);
    }
    for (i, _) in key.match_indices('.') {
        let (head, rest) = (&key[..i], &key[i + 1..]);
        let Some(s) = attrs
            .iter()
            .find(|kv| kv.key == head)
            .and_then(|kv| as_str(kv.value.as_ref()))
        else {
            continue;
        };
        if s.len() > MAX_PARSE {
            return None;
        }
        let v: Value = serde_json::from_str(s).ok()?;
        let mut cur = &v;
        for part in rest.split('.') {
            cur = cur.get(part)?;
        }
        return match cur {
            Value::String(s) => Some(Cow::Owned(s.clone())),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            _ => None,
        };
    }
    None
}

/// The text people would read from a messages attribute: GenAI's
/// `[{"role","parts":[{"type":"text","content"}]}]` or OpenAI-style
/// `{"role","content"}` messages (also under `{"messages": […]}`): the
/// last message of `role` (all text when none has that role); otherwise
/// the string itself. Clean, one line, capped at `max`.
pub fn message_text(v: &AnyValue, role: &str, max: usize) -> Option<String> {
    let s = raw_text(v)?;
    let t = s.trim_start();
    let parsed = if (t.starts_with('[') || t.starts_with('{')) && s.len() <= MAX_PARSE {
        serde_json::from_str::<Value>(&s).ok()
    } else {
        None
    };
    let text = parsed
        .as_ref()
        .map(|p| messages_text(p, role))
        .unwrap_or_default();
    let out = sanitize::line(if text.is_empty() { &s } else { &text }, max);
    (!out.is_empty()).then_some(out)
}

fn messages_text(parsed: &Value, role: &str) -> String {
    let msgs: Vec<&Value> = match parsed {
        Value::Array(a) => a.iter().collect(),
        // LangChain's serialized messages (`{"type":"tool","data":{…}}`)
        // hold theirs under `data`.
        Value::Object(o) => match (o.get("messages"), o.get("data")) {
            (Some(Value::Array(a)), _) => a.iter().collect(),
            (_, Some(d @ Value::Object(_))) => vec![d],
            _ => vec![parsed],
        },
        _ => vec![],
    };
    let text_of = |m: &Value| -> String {
        let mut parts: Vec<&str> = m
            .get("content")
            .and_then(Value::as_str)
            .into_iter()
            .collect();
        for p in m
            .get("parts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            parts.extend(p.get("content").and_then(Value::as_str));
        }
        parts.join(" ")
    };
    let of_role = msgs
        .iter()
        .rev()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some(role))
        .map(|m| text_of(m))
        .find(|t| !t.is_empty());
    of_role.unwrap_or_else(|| {
        msgs.iter()
            .map(|m| text_of(m))
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AnyValue {
        AnyValue {
            value: Some(Any::StringValue(v.into())),
        }
    }

    fn kv(k: &str, v: AnyValue) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: Some(v),
            ..Default::default()
        }
    }

    #[test]
    fn genai_keys_win_over_openinference() {
        let attrs = vec![kv("tool.name", s("oi")), kv("gen_ai.tool.name", s("genai"))];
        let k = Known::read(&attrs);
        assert_eq!(short(val(k.tool)).unwrap(), "genai");
        assert!(k.relevant);
        let attrs = vec![kv("http.method", s("GET"))];
        assert!(!Known::read(&attrs).relevant);
    }

    #[test]
    fn text_is_cleaned_and_capped() {
        let v = s("evil\u{1b}[2J\u{202e}name");
        assert_eq!(short(Some(&v)).unwrap(), "evilname");
        let big = s(&"x".repeat(1 << 20));
        let l = line(Some(&big), 100).unwrap();
        assert!(l.ends_with(TRUNCATED) && l.chars().count() < 120);
    }

    #[test]
    fn json_arguments_are_parsed_cleaned_and_capped() {
        let v = s(r#"{"to":"all\u001b[31m@example.com","n":3}"#);
        assert_eq!(
            json(&v, 0),
            serde_json::json!({"to": "all@example.com", "n": 3})
        );
        // A kvlist nested deeper than the cap is cut with the mark.
        let mut deep = s("leaf");
        for i in 0..40 {
            deep = AnyValue {
                value: Some(Any::KvlistValue(
                    opentelemetry_proto::tonic::common::v1::KeyValueList {
                        values: vec![kv(&format!("k{i}"), deep)],
                    },
                )),
            };
        }
        assert!(json(&deep, 0).to_string().contains(TRUNCATED));
    }

    #[test]
    fn dotted_lookup_reads_inside_json_metadata() {
        let attrs = vec![kv("metadata", s(r#"{"thread_id":"t-1","run_id":"r-9"}"#))];
        assert_eq!(lookup(&attrs, "metadata.run_id").as_deref(), Some("r-9"));
        assert_eq!(lookup(&attrs, "metadata.nope"), None);
        let attrs = vec![kv("temporalWorkflowID", s("wf-1"))];
        assert_eq!(
            lookup(&attrs, "temporalWorkflowID").as_deref(),
            Some("wf-1")
        );
    }

    #[test]
    fn message_text_forms() {
        let genai = s(
            r#"[{"role":"user","parts":[{"type":"text","content":"refund order 42"}]},{"role":"assistant","parts":[{"type":"text","content":"ok"}]}]"#,
        );
        assert_eq!(
            message_text(&genai, "user", 100).unwrap(),
            "refund order 42"
        );
        assert_eq!(
            message_text(&genai, "tool", 100).unwrap(),
            "refund order 42 ok"
        );
        assert_eq!(message_text(&s("plain"), "user", 100).unwrap(), "plain");
        let lc_tool =
            s(r#"{"type":"tool","data":{"content":"sent to a@b.c","tool_call_id":"c1"}}"#);
        assert_eq!(message_text(&lc_tool, "", 100).unwrap(), "sent to a@b.c");
    }
}
