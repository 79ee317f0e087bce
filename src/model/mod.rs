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

/// The source name of the timeline lines cordon adds itself (actions,
/// notes, pins, triage): reserved, no platform source may take it (its runs
/// would drop out of triage).
pub const CORDON_SOURCE: &str = "cordon";

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

    /// What a person types for a time of the incident's day: `HH:MM` or
    /// `HH:MM:SS`, UTC, on the day of `day`.
    pub fn clock_on(text: &str, day: Time) -> Option<Time> {
        let fmt = if text.len() > 5 { "%H:%M:%S" } else { "%H:%M" };
        let t = chrono::NaiveTime::parse_from_str(text, fmt).ok()?;
        Some(day.date_naive().and_time(t).and_utc())
    }

    /// An RFC 3339 time, or [`clock_on`] the day of `day`.
    pub fn typed(text: &str, day: Time) -> Option<Time> {
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|d| d.with_timezone(&chrono::Utc))
            .ok()
            .or_else(|| clock_on(text, day))
    }

    #[cfg(test)]
    mod tests {
        use super::{clock_on, typed};

        #[test]
        fn typed_times_are_the_days_clock_or_rfc_3339() {
            let day = "2026-11-24T23:59:00Z".parse().unwrap();
            let at = |s: &str| Some(s.parse().unwrap());
            assert_eq!(clock_on("10:05", day), at("2026-11-24T10:05:00Z"));
            assert_eq!(clock_on("10:05:07", day), at("2026-11-24T10:05:07Z"));
            assert_eq!(clock_on("25:00", day), None);
            assert_eq!(clock_on("2026-11-20T10:00:00Z", day), None);
            assert_eq!(
                typed("2026-11-20T10:00:00+01:00", day),
                at("2026-11-20T09:00:00Z")
            );
            assert_eq!(typed("09:30", day), at("2026-11-24T09:30:00Z"));
            assert_eq!(typed("soon", day), None);
        }
    }
}
