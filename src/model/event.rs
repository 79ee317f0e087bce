use serde::{Deserialize, Serialize};

use super::Time;
use crate::sanitize::{self, MAX_SHORT, MAX_TEXT};

/// Every kind in ACA/1. Unknown kinds are kept verbatim in `Other` and shown
/// as-is: dropping them would hide evidence.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKind {
    Assignment,
    Instruction,
    ModelOutput,
    ToolCall,
    ToolResult,
    Retrieval,
    MemoryRead,
    FileRead,
    FileWrite,
    DbWrite,
    MessageSent,
    ExternalAction,
    Retry,
    Error,
    ReviewRequested,
    ReviewDecision,
    HumanIntervention,
    PermissionChange,
    Containment,
    StateChange,
    Other(String),
}

const KINDS: &[(&str, EventKind)] = &[
    ("assignment", EventKind::Assignment),
    ("instruction", EventKind::Instruction),
    ("model_output", EventKind::ModelOutput),
    ("tool_call", EventKind::ToolCall),
    ("tool_result", EventKind::ToolResult),
    ("retrieval", EventKind::Retrieval),
    ("memory_read", EventKind::MemoryRead),
    ("file_read", EventKind::FileRead),
    ("file_write", EventKind::FileWrite),
    ("db_write", EventKind::DbWrite),
    ("message_sent", EventKind::MessageSent),
    ("external_action", EventKind::ExternalAction),
    ("retry", EventKind::Retry),
    ("error", EventKind::Error),
    ("review_requested", EventKind::ReviewRequested),
    ("review_decision", EventKind::ReviewDecision),
    ("human_intervention", EventKind::HumanIntervention),
    ("permission_change", EventKind::PermissionChange),
    ("containment", EventKind::Containment),
    ("state_change", EventKind::StateChange),
];

impl EventKind {
    pub fn parse(s: &str) -> EventKind {
        KINDS
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, k)| k.clone())
            .unwrap_or_else(|| EventKind::Other(sanitize::line(s, 64)))
    }

    pub fn as_str(&self) -> &str {
        match self {
            EventKind::Other(s) => s,
            k => KINDS
                .iter()
                .find(|(_, kind)| kind == k)
                .map(|(n, _)| *n)
                .unwrap_or("?"),
        }
    }

    /// All known kinds, for help and legends.
    pub fn known() -> impl Iterator<Item = &'static EventKind> {
        KINDS.iter().map(|(_, k)| k)
    }

    /// Kinds that change the world outside the agent (evidence of impact).
    pub fn is_world_change(&self) -> bool {
        matches!(
            self,
            EventKind::FileWrite
                | EventKind::DbWrite
                | EventKind::MessageSent
                | EventKind::ExternalAction
        )
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(EventKind::parse(&s))
    }
}

/// One thing a run did. Built only through [`Event::from_wire`] (or from the
/// journal, which only ever holds sanitized events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub run_id: String,
    pub at: Time,
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outbound: bool,
    /// `None`: the platform did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversible: Option<bool>,
    #[serde(default, skip_serializing_if = "Data::is_null")]
    pub data: Data,
}

/// An event's `data`, kept as compact JSON text: a parsed tree costs many
/// times the memory (a map is a B-tree node of ~600 bytes), and only the
/// inspector, exports and a few triage keys ever read it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Data(Option<Box<str>>);

impl Data {
    pub fn is_null(&self) -> bool {
        self.0.is_none()
    }

    /// The parsed value (`Null` when absent).
    pub fn value(&self) -> serde_json::Value {
        self.0
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(serde_json::Value::Null)
    }

    /// A top-level unsigned integer field, e.g. `recipients`; read without
    /// building the whole tree (triage asks this of every write).
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        struct Field<'k>(&'k str);
        impl<'de> serde::de::Visitor<'de> for Field<'_> {
            type Value = Option<u64>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Option<u64>, A::Error> {
                let mut found = None;
                while let Some(k) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    if k == self.0 {
                        found = m.next_value::<serde_json::Value>()?.as_u64();
                    } else {
                        m.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(found)
            }
        }
        let text = self.0.as_deref()?;
        let mut de = serde_json::Deserializer::from_str(text);
        serde::Deserializer::deserialize_map(&mut de, Field(key))
            .ok()
            .flatten()
    }
}

impl From<serde_json::Value> for Data {
    fn from(v: serde_json::Value) -> Data {
        if v.is_null() {
            Data(None)
        } else {
            Data(serde_json::to_string(&v).ok().map(String::into_boxed_str))
        }
    }
}

impl Serialize for Data {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self
            .0
            .as_deref()
            .map(|t| serde_json::value::RawValue::from_string(t.to_string()))
        {
            Some(Ok(raw)) => raw.serialize(s),
            _ => s.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Through a Value: journal records are internally tagged enums,
        // whose buffered content RawValue cannot read.
        Ok(Data::from(serde_json::Value::deserialize(d)?))
    }
}

/// The event as it arrives: every field optional and loosely typed, so one
/// odd field never loses the whole event.
#[derive(Debug, Deserialize)]
pub struct WireEvent {
    #[serde(default)]
    pub id: Option<serde_json::Value>,
    #[serde(default)]
    pub run_id: Option<serde_json::Value>,
    #[serde(default)]
    pub at: Option<serde_json::Value>,
    #[serde(default)]
    pub kind: Option<serde_json::Value>,
    #[serde(default)]
    pub summary: Option<serde_json::Value>,
    #[serde(default)]
    pub tool: Option<serde_json::Value>,
    #[serde(default)]
    pub target: Option<serde_json::Value>,
    #[serde(default)]
    pub outbound: Option<serde_json::Value>,
    #[serde(default)]
    pub reversible: Option<serde_json::Value>,
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}

/// A JSON value as a short clean string, if it is a string or number.
pub(crate) fn wire_str(v: &Option<serde_json::Value>, max: usize) -> Option<String> {
    match v {
        Some(serde_json::Value::String(s)) => Some(sanitize::line(s, max)),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

pub(crate) fn wire_time(v: &Option<serde_json::Value>) -> Option<Time> {
    match v {
        Some(serde_json::Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc)),
        _ => None,
    }
}

impl Event {
    /// Turn a wire event into a clean one. `None` when a required field
    /// (`id`, `run_id`, `kind`) is missing; a bad `at` falls back to `now`
    /// and is noted in the summary rather than dropping evidence.
    pub fn from_wire(w: WireEvent, now: Time) -> Option<Event> {
        let id = wire_str(&w.id, MAX_SHORT)?;
        let run_id = wire_str(&w.run_id, MAX_SHORT)?;
        let kind = EventKind::parse(&wire_str(&w.kind, 64)?);
        let mut summary = match &w.summary {
            Some(serde_json::Value::String(s)) => sanitize::line(s, MAX_TEXT),
            _ => String::new(),
        };
        let at = match wire_time(&w.at) {
            Some(t) => t,
            None => {
                summary.push_str(" [time missing or invalid; shown at receipt]");
                now
            }
        };
        let mut data = w.data.unwrap_or(serde_json::Value::Null);
        sanitize::json(&mut data, 0);
        Some(Event {
            id,
            run_id,
            at,
            kind,
            summary,
            tool: wire_str(&w.tool, MAX_SHORT),
            target: wire_str(&w.target, MAX_SHORT),
            outbound: matches!(w.outbound, Some(serde_json::Value::Bool(true))),
            reversible: match w.reversible {
                Some(serde_json::Value::Bool(b)) => Some(b),
                _ => None,
            },
            data: Data::from(data),
        })
    }

    /// Irreversible by the platform's own word.
    pub fn irreversible(&self) -> bool {
        self.reversible == Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Time {
        "2026-11-24T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn unknown_kind_is_kept() {
        let w: WireEvent = serde_json::from_str(
            r#"{"id":"e1","run_id":"r","at":"2026-11-24T10:00:00Z","kind":"quantum_leap"}"#,
        )
        .unwrap();
        let e = Event::from_wire(w, now()).unwrap();
        assert_eq!(e.kind, EventKind::Other("quantum_leap".into()));
        assert_eq!(e.kind.as_str(), "quantum_leap");
    }

    #[test]
    fn missing_required_dropped_optional_tolerated() {
        let w: WireEvent = serde_json::from_str(r#"{"run_id":"r","kind":"error"}"#).unwrap();
        assert!(Event::from_wire(w, now()).is_none());
        let w: WireEvent = serde_json::from_str(
            r#"{"id":7,"run_id":"r","kind":"error","at":12,"outbound":"yes","extra":{}}"#,
        )
        .unwrap();
        let e = Event::from_wire(w, now()).unwrap();
        assert_eq!(e.id, "7");
        assert_eq!(e.at, now());
        assert!(!e.outbound);
    }

    #[test]
    fn kinds_round_trip() {
        for k in EventKind::known() {
            assert_eq!(&EventKind::parse(k.as_str()), k);
        }
    }
}
