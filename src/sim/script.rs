//! The building blocks of simulated runs: a run's plan is a list of steps,
//! each due some time after the one before.

use std::time::Duration;

/// One thing a simulated agent does.
#[derive(Debug, Clone)]
pub enum Step {
    Emit(Emit),
    /// Go back `n` steps (a loop); `times` bounds it, `None` loops forever.
    Repeat {
        back: usize,
        times: Option<u32>,
    },
    /// Wait for a human review decision (state waiting_review).
    AwaitReview,
    /// The run ends in this state.
    Finish(&'static str),
}

/// An event the agent produces, with the properties the world checks
/// (tool revoked? outbound blocked? credential revoked?).
#[derive(Debug, Clone, Default)]
pub struct Emit {
    pub kind: &'static str,
    pub summary: String,
    pub tool: Option<&'static str>,
    pub target: Option<String>,
    pub outbound: bool,
    pub reversible: Option<bool>,
    pub credential: Option<&'static str>,
    pub data: serde_json::Value,
    /// Counts toward the run's counters.
    pub counts: Counts,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub tool_call: bool,
    pub error: bool,
    pub retry: bool,
    pub external: bool,
}

pub fn emit(kind: &'static str, summary: impl Into<String>) -> Emit {
    let counts = Counts {
        tool_call: kind == "tool_call",
        error: kind == "error",
        retry: kind == "retry",
        external: matches!(kind, "message_sent" | "external_action"),
    };
    Emit {
        kind,
        summary: summary.into(),
        counts,
        ..Emit::default()
    }
}

impl Emit {
    pub fn tool(mut self, t: &'static str) -> Self {
        self.tool = Some(t);
        self
    }
    pub fn target(mut self, t: impl Into<String>) -> Self {
        self.target = Some(t.into());
        self
    }
    pub fn outbound(mut self) -> Self {
        self.outbound = true;
        self
    }
    pub fn reversible(mut self, r: bool) -> Self {
        self.reversible = Some(r);
        self
    }
    pub fn credential(mut self, c: &'static str) -> Self {
        self.credential = Some(c);
        self
    }
    pub fn data(mut self, d: serde_json::Value) -> Self {
        self.data = d;
        self
    }
}

/// A step with the delay before it.
#[derive(Debug, Clone)]
pub struct Timed {
    pub after: Duration,
    pub step: Step,
}

pub fn at_ms(ms: u64, step: Step) -> Timed {
    Timed {
        after: Duration::from_millis(ms),
        step,
    }
}

/// A run the world will create at `start` (offset from the world's start).
#[derive(Debug, Clone)]
pub struct Plan {
    pub start: Duration,
    pub agent: String,
    pub agent_class: &'static str,
    pub workflow: &'static str,
    pub assignment: String,
    pub requested_by: &'static str,
    pub tools: Vec<&'static str>,
    pub credentials: Vec<&'static str>,
    /// Created queued and started `queued_for` later (if not held/paused).
    pub queued_for: Duration,
    pub steps: Vec<Timed>,
    /// Which scenario this belongs to (for tests and the demo legend).
    pub scenario: &'static str,
}
