use serde::{Deserialize, Serialize};

use super::Time;
use super::event::{Short, value_short, value_time};
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

    pub fn as_str(&self) -> &str {
        match self {
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::WaitingReview => "waiting_review",
            RunState::Paused => "paused",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
            RunState::Stopped => "stopped",
            RunState::Other(s) => s,
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
            RunState::Stopped => 6,
            RunState::Succeeded => 7,
        }
    }
}

impl Serialize for RunState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RunState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(RunState::parse(&String::deserialize(d)?))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStats {
    pub tool_calls: u64,
    pub errors: u64,
    pub retries: u64,
    pub external_actions: u64,
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
}

/// Counters above this are treated as nonsense and clamped (a hostile or
/// broken platform can send u64::MAX).
pub const MAX_COUNTER: u64 = 1_000_000_000;
const MAX_LIST: usize = 64;

impl Run {
    /// Build a clean run from untrusted JSON; `None` without an id.
    pub fn from_wire(source: &str, v: &serde_json::Value) -> Option<Run> {
        let id = value_short(v.get("id"), MAX_SHORT)?;
        let s = |k: &str| value_short(v.get(k), MAX_SHORT).unwrap_or_default();
        let list = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_array())
                .map(|a| {
                    a.iter()
                        .take(MAX_LIST)
                        .filter_map(|x| {
                            x.as_str()
                                .map(|s| Short::new(sanitize::line_cow(s, MAX_SHORT)))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let stat = |k: &str| {
            v.get("stats")
                .and_then(|s| s.get(k))
                .and_then(|n| n.as_u64())
                .unwrap_or(0)
                .min(MAX_COUNTER)
        };
        Some(Run {
            source: source.into(),
            id,
            agent: s("agent"),
            agent_class: s("agent_class"),
            workflow: s("workflow"),
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
        assert_eq!(r.id, "r1");
        assert_eq!(r.state, RunState::Other("weird".into()));
        assert_eq!(r.stats.errors, MAX_COUNTER);
        assert_eq!(r.tools, vec!["ab"]);
    }
}
