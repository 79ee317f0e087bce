//! ACA/1.1 canaries (`POST /v1/canaries`): a harmless run for drills that
//! runs until stopped, emits benign events, and makes a few reversible
//! writes to a scratch target so a rollback can be proven.

use std::time::Duration;

use super::script::{Plan, Step, at_ms, emit};

/// The `scenario` canary plans carry (and how the world knows one).
pub const SCENARIO: &str = "canary";

/// The tool and credential a canary holds, so revoking them is scoped to
/// the drill and touches no real work.
pub const TOOL: &str = "drill.noop";
pub const CREDENTIAL: &str = "cred_drill_canary";

/// Most reversible writes one canary makes.
const MAX_WRITES: u64 = 20;

/// What `POST /v1/canaries` asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    pub workflow: &'static str,
    pub agent_class: &'static str,
    pub writes: u64,
}

impl Ask {
    /// Read the body (`{"workflow", "agent_class", "writes"}`): names are
    /// short identifiers; what is missing is "drill" and 2 writes.
    pub fn from_body(body: &serde_json::Value) -> Result<Ask, String> {
        let name = |k: &str| -> Result<&'static str, String> {
            match body.get(k).and_then(|v| v.as_str()) {
                None => Ok("drill"),
                Some(s) => intern(s).ok_or_else(|| {
                    format!("{k} must be 1-40 of [a-z0-9._-] (a canary's own name)")
                }),
            }
        };
        let writes = match body.get("writes") {
            None => 2,
            Some(v) => v
                .as_u64()
                .filter(|n| *n <= MAX_WRITES)
                .ok_or_else(|| format!("writes must be 0-{MAX_WRITES}"))?,
        };
        Ok(Ask {
            workflow: name("workflow")?,
            agent_class: name("agent_class")?,
            writes,
        })
    }

    /// The canary's plan: its writes first, then a benign call every half
    /// second until it is stopped.
    pub fn plan(&self, n: usize) -> Plan {
        let mut steps = vec![at_ms(
            0,
            Step::Emit(emit(
                "assignment",
                "Drill canary: harmless work for a stop-control drill",
            )),
        )];
        for w in 0..self.writes {
            steps.push(at_ms(
                100,
                Step::Emit(
                    emit("file_write", format!("Wrote scratch file {w} of drill {n}"))
                        .tool(TOOL)
                        .target(format!("scratch:drill-{n}/file-{w}"))
                        .reversible(true),
                ),
            ));
        }
        steps.push(at_ms(
            500,
            Step::Emit(
                emit("tool_call", "drill.noop() (benign)")
                    .tool(TOOL)
                    .credential(CREDENTIAL),
            ),
        ));
        steps.push(at_ms(
            0,
            Step::Repeat {
                back: 1,
                times: None,
            },
        ));
        Plan {
            start: Duration::ZERO,
            agent: format!("drill-canary-{n}"),
            agent_class: self.agent_class,
            workflow: self.workflow,
            assignment: "Drill canary (harmless; stop it, roll it back)".into(),
            requested_by: "cordon drill",
            tools: vec![TOOL],
            credentials: vec![CREDENTIAL],
            queued_for: Duration::ZERO,
            steps,
            scenario: SCENARIO,
        }
    }
}

/// The plan's names are `&'static str` (scripted scenarios): a canary's
/// own name is kept once, and only a few are, so the leak is bounded.
fn intern(s: &str) -> Option<&'static str> {
    use std::sync::Mutex;
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let ok = (1..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !ok {
        return None;
    }
    let mut names = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(n) = names.iter().find(|n| **n == s) {
        return Some(n);
    }
    if names.len() >= 32 {
        return None;
    }
    let n: &'static str = Box::leak(s.to_string().into_boxed_str());
    names.push(n);
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_read_with_defaults_and_bounds() {
        let a = Ask::from_body(&serde_json::json!({})).unwrap();
        assert_eq!((a.workflow, a.agent_class, a.writes), ("drill", "drill", 2));
        let a = Ask::from_body(&serde_json::json!({"workflow": "drill-b", "writes": 3})).unwrap();
        assert_eq!((a.workflow, a.writes), ("drill-b", 3));
        assert!(Ask::from_body(&serde_json::json!({"workflow": "Refund Followups"})).is_err());
        assert!(Ask::from_body(&serde_json::json!({"writes": 500})).is_err());
        assert!(Ask::from_body(&serde_json::json!({"writes": -1})).is_err());
    }
}
