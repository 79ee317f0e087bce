//! Plain data the whole console shares: runs, events, source health,
//! containment controls. No IO here.

pub mod action;
pub mod classify;
pub mod event;
pub mod health;
pub mod incident;
pub mod restart;
pub mod run;

pub use action::{
    ActionAnswer, ActionKind, ActionPhase, ActionRequest, AnswerState, CannotRevert, Controls,
    PlannedRevert, Target, ToolRevocation, platform_note,
};
pub use event::{Event, EventKind};
pub use health::{Health, HealthState};
pub use run::{Count, Run, RunState, RunStats};

/// `8-4-4-4-12` hex digits: a UUID (LangGraph run ids, Temporal run ids).
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// A timestamp as the platforms give it (RFC 3339 UTC).
pub type Time = chrono::DateTime<chrono::Utc>;

/// Reading a [`Time`] as written by `chrono` (and by us): the strict RFC
/// 3339 parser first, several times faster than the relaxed one serde's
/// impl uses (a reopen reads two per event), then the relaxed one.
pub mod time {
    use super::Time;

    pub fn parse(s: &str) -> Option<Time> {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .or_else(|| s.parse::<chrono::DateTime<chrono::FixedOffset>>().ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a time: {s}")))
    }
}
