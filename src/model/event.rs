use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

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
    Other(Box<str>),
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
            .unwrap_or_else(|| EventKind::Other(sanitize::line(s, 64).into()))
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

/// A short text field (ids, tools, targets): up to 24 bytes held inline,
/// so a million events do not make four million small allocations.
pub type Short = compact_str::CompactString;

/// One thing a run did. Built only through [`Event::from_wire`] (or from the
/// journal, which only ever holds sanitized events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: Short,
    pub run_id: Short,
    #[serde(deserialize_with = "super::time::deserialize")]
    pub at: Time,
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Short::is_empty")]
    pub summary: Short,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<Short>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Short>,
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
/// inspector, exports and a few triage keys ever read it. Held as a
/// `RawValue` so the journal writes it as it is, without parsing it again.
#[derive(Debug, Clone, Default)]
pub struct Data(Option<Box<RawValue>>);

impl PartialEq for Data {
    fn eq(&self, other: &Data) -> bool {
        self.text() == other.text()
    }
}

impl Data {
    pub fn is_null(&self) -> bool {
        self.0.is_none()
    }

    /// The JSON text, if any.
    pub fn text(&self) -> Option<&str> {
        self.0.as_deref().map(RawValue::get)
    }

    /// The parsed value (`Null` when absent).
    pub fn value(&self) -> serde_json::Value {
        self.text()
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
        let text = self.text()?;
        let mut de = serde_json::Deserializer::from_str(text);
        serde::Deserializer::deserialize_map(&mut de, Field(key))
            .ok()
            .flatten()
    }

    /// A platform's `data`, cleaned ([`sanitize::json`]): straight from its
    /// text when that is already clean, through a tree otherwise.
    pub fn from_wire(raw: Option<Box<RawValue>>) -> Data {
        let Some(raw) = raw.filter(|r| r.get() != "null") else {
            return Data(None);
        };
        match sanitize::json_text_if_clean(raw.get()) {
            Some(Cow::Borrowed(_)) => return Data(Some(raw)),
            Some(Cow::Owned(text)) => {
                if let Ok(v) = RawValue::from_string(text) {
                    return Data(Some(v));
                }
            }
            None => {}
        }
        // A number beyond f64 is marked where it stands, the object's
        // other keys kept; deeper than serde's recursion limit: cut, as
        // the cleaner cuts anything past its own depth cap.
        let mut v: serde_json::Value = serde_json::from_str(raw.get())
            .or_else(|e| match sanitize::repair_json(raw.get()) {
                Some(fixed) => serde_json::from_str(&fixed),
                None => Err(e),
            })
            .unwrap_or_else(|_| serde_json::Value::String(sanitize::TRUNCATED.into()));
        sanitize::json(&mut v, 0);
        let data = Data::from(v);
        // A secret spread over several strings (each clean alone).
        match data.text() {
            Some(t) if crate::secret::contains(t) => Data::from(serde_json::Value::String(
                "[redacted: held a secret]".into(),
            )),
            _ => data,
        }
    }

    /// Does the data hold a value marked by [`sanitize::repair_json`]?
    pub fn has_repaired_number(&self) -> bool {
        self.text().is_some_and(|t| {
            t.contains(sanitize::NOT_A_NUMBER) || t.contains(sanitize::OUT_OF_RANGE)
        })
    }
}

impl From<serde_json::Value> for Data {
    fn from(v: serde_json::Value) -> Data {
        if v.is_null() {
            Data(None)
        } else {
            Data(serde_json::value::to_raw_value(&v).ok())
        }
    }
}

impl Serialize for Data {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(raw) => raw.serialize(s),
            None => s.serialize_none(),
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

/// A loosely typed wire field. Strings are borrowed from the page when
/// they hold no escapes; anything else is kept only as far as it matters.
#[derive(Debug, Default)]
pub enum Loose<'a> {
    #[default]
    Absent,
    Str(Cow<'a, str>),
    /// A number, as JSON writes it.
    Num(String),
    Bool(bool),
    /// An object or array where a scalar was expected.
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Loose<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Loose<'a>, E> {
                Ok(Loose::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Loose<'a>, E> {
                Ok(Loose::Str(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Loose<'a>, E> {
                Ok(Loose::Str(Cow::Owned(s)))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Loose<'a>, E> {
                Ok(Loose::Num(n.to_string()))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Loose<'a>, E> {
                Ok(Loose::Num(n.to_string()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Loose<'a>, E> {
                Ok(serde_json::Number::from_f64(n)
                    .map(|n| Loose::Num(n.to_string()))
                    .unwrap_or(Loose::Other))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Loose<'a>, E> {
                Ok(Loose::Bool(b))
            }
            fn visit_unit<E>(self) -> Result<Loose<'a>, E> {
                Ok(Loose::Absent)
            }
            fn visit_none<E>(self) -> Result<Loose<'a>, E> {
                Ok(Loose::Absent)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Loose<'a>, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Loose<'a>, A::Error> {
                while a
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Loose::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl Loose<'_> {
    fn str(&self) -> Option<&str> {
        match self {
            Loose::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The event as it arrives: every field optional and loosely typed, so one
/// odd field never loses the whole event. Read straight from the page
/// (strings borrowed, `data` kept as text) rather than through a tree.
#[derive(Debug, Default, Deserialize)]
pub struct WireEvent<'a> {
    #[serde(default, borrow)]
    pub id: Loose<'a>,
    #[serde(default, borrow)]
    pub run_id: Loose<'a>,
    #[serde(default, borrow)]
    pub at: Loose<'a>,
    #[serde(default, borrow)]
    pub kind: Loose<'a>,
    #[serde(default, borrow)]
    pub summary: Loose<'a>,
    #[serde(default, borrow)]
    pub tool: Loose<'a>,
    #[serde(default, borrow)]
    pub target: Loose<'a>,
    #[serde(default, borrow)]
    pub outbound: Loose<'a>,
    #[serde(default, borrow)]
    pub reversible: Loose<'a>,
    /// Copied as text (a borrowed `RawValue` cannot be read from a tree).
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
}

/// One element of a platform's event list: an event when it is an
/// object, `None` (that element alone lost) when it is anything else.
#[derive(Debug, Default)]
pub struct MaybeEvent<'a>(pub Option<WireEvent<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeEvent<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = MaybeEvent<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an event")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                m: A,
            ) -> Result<MaybeEvent<'a>, A::Error> {
                WireEvent::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(|w| MaybeEvent(Some(w)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<MaybeEvent<'a>, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(MaybeEvent(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<MaybeEvent<'a>, E> {
                Ok(MaybeEvent(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<MaybeEvent<'a>, E> {
                Ok(MaybeEvent(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<MaybeEvent<'a>, E> {
                Ok(MaybeEvent(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<MaybeEvent<'a>, E> {
                Ok(MaybeEvent(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<MaybeEvent<'a>, E> {
                Ok(MaybeEvent(None))
            }
            fn visit_unit<E>(self) -> Result<MaybeEvent<'a>, E> {
                Ok(MaybeEvent(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A wire field as an identity ([`sanitize::id`]), if it is a string or
/// number: never merged with another by cleaning.
fn wire_id(v: &Loose) -> Option<Short> {
    match v {
        Loose::Str(s) => Some(Short::new(sanitize::id(s))),
        Loose::Num(n) => Some(Short::new(n)),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// A JSON value as an identity ([`sanitize::id`]), if it is a string or
/// number.
pub(crate) fn value_id(v: Option<&serde_json::Value>) -> Option<Short> {
    match v {
        Some(serde_json::Value::String(s)) => Some(Short::new(sanitize::id(s))),
        Some(serde_json::Value::Number(n)) => Some(Short::new(n.to_string())),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// A wire field as a short clean string, if it is a string or number.
fn wire_short(v: &Loose, max: usize) -> Option<Short> {
    match v {
        Loose::Str(s) => Some(Short::new(sanitize::line_cow(s, max))),
        Loose::Num(n) => Some(Short::new(n)),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// A JSON value as a short clean string, if it is a string or number.
pub(crate) fn value_short(v: Option<&serde_json::Value>, max: usize) -> Option<Short> {
    match v {
        Some(serde_json::Value::String(s)) => Some(Short::new(sanitize::line_cow(s, max))),
        Some(serde_json::Value::Number(n)) => Some(Short::new(n.to_string())),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

pub(crate) fn value_time(v: Option<&serde_json::Value>) -> Option<Time> {
    v.and_then(serde_json::Value::as_str).and_then(parse_time)
}

fn parse_time(s: &str) -> Option<Time> {
    super::time::parse(s)
}

impl Event {
    /// Turn a wire event into a clean one. `None` when a required field
    /// (`id`, `run_id`, `kind`) is missing; a bad `at` falls back to `now`
    /// and is noted in the summary rather than dropping evidence.
    pub fn from_wire(w: WireEvent, now: Time) -> Option<Event> {
        let id = wire_id(&w.id)?;
        let run_id = wire_id(&w.run_id)?;
        let kind = EventKind::parse(&wire_short(&w.kind, 64)?);
        let mut summary = match w.summary.str() {
            Some(s) => Short::new(sanitize::line_cow(s, MAX_TEXT)),
            None => Short::default(),
        };
        let at = match w.at.str().and_then(parse_time) {
            Some(t) => t,
            None => {
                summary.push_str(" [time missing or invalid; shown at receipt]");
                now
            }
        };
        Some(Event {
            id,
            run_id,
            at,
            kind,
            summary,
            tool: wire_id(&w.tool),
            target: wire_short(&w.target, MAX_SHORT),
            outbound: matches!(w.outbound, Loose::Bool(true)),
            reversible: match w.reversible {
                Loose::Bool(b) => Some(b),
                _ => None,
            },
            data: Data::from_wire(w.data),
        })
    }

    /// Read and clean a wire event held as a JSON tree (adapters that
    /// build events from a platform's own shapes).
    pub fn from_wire_value(v: &serde_json::Value, now: Time) -> Option<Event> {
        Event::from_wire(WireEvent::deserialize(v).ok()?, now)
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

    /// A million of these are held in memory: keep them small (short
    /// fields inline, no padding lost to an owned `String` kind).
    #[test]
    fn an_event_stays_small() {
        assert!(
            std::mem::size_of::<Event>() <= 176,
            "{}",
            std::mem::size_of::<Event>()
        );
    }

    #[test]
    fn kinds_round_trip() {
        for k in EventKind::known() {
            assert_eq!(&EventKind::parse(k.as_str()), k);
        }
    }
}
