use serde::{Deserialize, Serialize};

use super::Time;
use super::event::{Short, value_id, value_short, value_time};
use crate::sanitize::{self, MAX_SHORT, MAX_TEXT};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RunState {
    Queued,
    Running,
    WaitingReview,
    Paused,
    Succeeded,
    Failed,
    Stopped,
    /// Ended in a way the platform names and cordon has no word of its own
    /// for (Temporal's `terminated`, `continued_as_new`): known to be over,
    /// unlike [`RunState::Other`]. Only an adapter that knows its platform's
    /// word builds it; journaled as `ended:WORD` so a replay reads it back.
    Ended(String),
    Other(String),
}

impl RunState {
    pub fn parse(s: &str) -> RunState {
        match s {
            "queued" => RunState::Queued,
            "running" => RunState::Running,
            "waiting_review" => RunState::WaitingReview,
            "paused" => RunState::Paused,
            "succeeded" => RunState::Succeeded,
            "failed" => RunState::Failed,
            "stopped" => RunState::Stopped,
            o => RunState::Other(sanitize::line(o, 64)),
        }
    }

    /// As written to the journal and exports: [`RunState::parse`] of the
    /// journal's text (`ended:WORD` read back as [`RunState::Ended`]).
    pub fn journaled(&self) -> std::borrow::Cow<'_, str> {
        match self {
            RunState::Ended(w) => format!("ended:{w}").into(),
            o => o.as_str().into(),
        }
    }

    /// The journal's text: as [`RunState::parse`], and `ended:WORD`.
    fn from_journal(s: &str) -> RunState {
        match s.strip_prefix("ended:") {
            Some(w) if !w.is_empty() => RunState::Ended(sanitize::line(w, 64)),
            _ => RunState::parse(s),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::WaitingReview => "waiting_review",
            RunState::Paused => "paused",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
            RunState::Stopped => "stopped",
            RunState::Ended(s) | RunState::Other(s) => s,
        }
    }

    /// Active in the ACA sense: may still act.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            RunState::Queued | RunState::Running | RunState::WaitingReview | RunState::Paused
        )
    }

    /// A state cordon does not know: neither active nor ended as far as
    /// anyone can tell, and never proof of either.
    pub fn is_unknown(&self) -> bool {
        matches!(self, RunState::Other(_))
    }

    /// Sort rank: what needs attention first.
    pub fn rank(&self) -> u8 {
        match self {
            RunState::Running => 0,
            RunState::WaitingReview => 1,
            RunState::Queued => 2,
            RunState::Paused => 3,
            RunState::Other(_) => 4,
            RunState::Failed => 5,
            RunState::Stopped | RunState::Ended(_) => 6,
            RunState::Succeeded => 7,
        }
    }
}

impl Serialize for RunState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.journaled())
    }
}

impl<'de> Deserialize<'de> for RunState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(RunState::from_journal(&String::deserialize(d)?))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStats {
    pub tool_calls: Count,
    pub errors: Count,
    pub retries: Count,
    pub external_actions: Count,
}

/// A counter as the platform gave it: a count, or a value that is not one
/// (negative, fractional, above [`MAX_COUNTER`], `NaN`, text), which is
/// shown as out of range rather than as a number it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Count {
    N(u64),
    OutOfRange,
}

impl Default for Count {
    fn default() -> Count {
        Count::N(0)
    }
}

impl Count {
    /// Read from platform JSON: absent is 0 (the platform did not count).
    pub fn from_wire(v: Option<&serde_json::Value>) -> Count {
        match v {
            None | Some(serde_json::Value::Null) => Count::N(0),
            Some(n) => match n.as_u64() {
                Some(n) if n <= MAX_COUNTER => Count::N(n),
                _ => Count::OutOfRange,
            },
        }
    }

    /// The count, if it is one.
    pub fn get(self) -> Option<u64> {
        match self {
            Count::N(n) => Some(n),
            Count::OutOfRange => None,
        }
    }

    /// The platform's count, or what the evidence counted when that is
    /// more (LangGraph and Temporal count nothing themselves). A value out
    /// of range stays so: it is shown as what the platform said.
    pub fn at_least(self, seen: u64) -> Count {
        match self {
            Count::N(n) => Count::N(n.max(seen)),
            Count::OutOfRange => Count::OutOfRange,
        }
    }

    /// Counted up by cordon itself (capped; out of range stays so).
    pub fn plus(self, n: u64) -> Count {
        match self {
            Count::N(a) => Count::N(a.saturating_add(n).min(MAX_COUNTER)),
            Count::OutOfRange => Count::OutOfRange,
        }
    }

    /// For thresholds: an out-of-range value counts as none.
    pub fn or_zero(self) -> u64 {
        self.get().unwrap_or(0)
    }

    /// Where a column is narrow.
    pub fn short(self) -> String {
        match self {
            Count::N(n) => n.to_string(),
            Count::OutOfRange => "OOR".into(),
        }
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Count::N(n) => f.pad(&n.to_string()),
            Count::OutOfRange => f.pad("out of range"),
        }
    }
}

impl PartialOrd for Count {
    fn partial_cmp(&self, other: &Count) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Out of range sorts above every count (it is what needs a look).
impl Ord for Count {
    fn cmp(&self, other: &Count) -> std::cmp::Ordering {
        let k = |c: &Count| c.get().map_or((1, 0), |n| (0, n));
        k(self).cmp(&k(other))
    }
}

impl Serialize for Count {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Count::N(n) => s.serialize_u64(*n),
            Count::OutOfRange => s.serialize_str("out of range"),
        }
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(Count::from_wire(Some(&v)))
    }
}

/// A run as the console keeps it. `source` names the source it came from, so
/// runs from several platforms can share one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub source: Short,
    pub id: Short,
    pub agent: Short,
    pub agent_class: Short,
    pub workflow: Short,
    pub state: RunState,
    pub started_at: Option<Time>,
    pub updated_at: Option<Time>,
    #[serde(default)]
    pub assignment: String,
    #[serde(default)]
    pub requested_by: Short,
    #[serde(default)]
    pub tools: Vec<Short>,
    #[serde(default)]
    pub credentials: Vec<Short>,
    #[serde(default)]
    pub stats: RunStats,
    /// A drill's canary (ACA/1.1 `"canary": true`, or a canary `cordon
    /// drill` started): harmless by design, so never counted as impact
    /// and left out of triage and exports (they say it was left out).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub canary: bool,
}

/// Counters above this are nonsense (a hostile or broken platform can
/// send u64::MAX): shown as out of range.
pub const MAX_COUNTER: u64 = 1_000_000_000;
const MAX_LIST: usize = 64;

impl Run {
    /// Build a clean run from untrusted JSON; `None` without an id.
    pub fn from_wire(source: &str, v: &serde_json::Value) -> Option<Run> {
        let id = value_id(v.get("id"))?;
        let s = |k: &str| value_short(v.get(k), MAX_SHORT).unwrap_or_default();
        // Names an action is aimed at: identities, never merged by cleaning.
        let ident = |k: &str| value_id(v.get(k)).unwrap_or_default();
        let list = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_array())
                .map(|a| {
                    a.iter()
                        .take(MAX_LIST)
                        .filter_map(|x| x.as_str().map(|s| Short::new(sanitize::id(s))))
                        .collect()
                })
                .unwrap_or_default()
        };
        let stat = |k: &str| Count::from_wire(v.get("stats").and_then(|s| s.get(k)));
        Some(Run {
            source: source.into(),
            id,
            agent: s("agent"),
            agent_class: ident("agent_class"),
            workflow: ident("workflow"),
            state: RunState::parse(&s("state")),
            started_at: value_time(v.get("started_at")),
            updated_at: value_time(v.get("updated_at")),
            assignment: v
                .get("assignment")
                .and_then(|x| x.as_str())
                .map(|x| sanitize::line(x, MAX_TEXT))
                .unwrap_or_default(),
            requested_by: s("requested_by"),
            tools: list("tools"),
            credentials: list("credentials"),
            stats: RunStats {
                tool_calls: stat("tool_calls"),
                errors: stat("errors"),
                retries: stat("retries"),
                external_actions: stat("external_actions"),
            },
            canary: v.get("canary").and_then(|c| c.as_bool()).unwrap_or(false),
        })
    }

    /// Key unique across sources.
    pub fn key(&self) -> (String, String) {
        (self.source.to_string(), self.id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_counters_clamped_and_text_cleaned() {
        let v = serde_json::json!({"id":"r\u{1b}[2J1","state":"weird","stats":{"errors":u64::MAX},
            "tools":["a\u{202e}b"]});
        let r = Run::from_wire("sim", &v).unwrap();
        assert_eq!(r.id, "r␛[2J1");
        assert_eq!(r.state, RunState::Other("weird".into()));
        assert_eq!(r.stats.errors, Count::OutOfRange);
        assert_eq!(r.tools, vec!["a⟨U+202E⟩b"]);
    }

    #[test]
    fn an_ended_state_is_over_and_reads_back_from_the_journal() {
        let t = RunState::Ended("terminated".into());
        assert!(!t.is_active() && !t.is_unknown());
        assert_eq!(t.as_str(), "terminated");
        let j = serde_json::to_string(&t).unwrap();
        assert_eq!(j, "\"ended:terminated\"");
        assert_eq!(serde_json::from_str::<RunState>(&j).unwrap(), t);
        // Journals written before it held the bare word: still unknown.
        assert_eq!(
            serde_json::from_str::<RunState>("\"terminated\"").unwrap(),
            RunState::Other("terminated".into())
        );
        // A platform speaking ACA cannot claim it: its words are strict.
        let v = serde_json::json!({"id": "r1", "state": "ended:terminated"});
        assert!(Run::from_wire("sim", &v).unwrap().state.is_unknown());
        let v = serde_json::json!({"id": "r1", "state": "terminated"});
        assert!(Run::from_wire("sim", &v).unwrap().state.is_unknown());
    }
}
