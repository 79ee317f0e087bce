//! The incident record: status lifecycle, severity, roles, triage (harm
//! categories, the seed's questions, OWASP agentic tags), repairs, notes.

use serde::{Deserialize, Serialize};

use super::Time;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Investigating,
    Contained,
    Monitoring,
    Resolved,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Investigating,
        Status::Contained,
        Status::Monitoring,
        Status::Resolved,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Investigating => "investigating",
            Status::Contained => "contained",
            Status::Monitoring => "monitoring",
            Status::Resolved => "resolved",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// SEV1 (worst) to SEV5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Severity(pub u8);

impl Severity {
    pub fn new(n: u8) -> Option<Severity> {
        (1..=5).contains(&n).then_some(Severity(n))
    }
    pub fn label(self) -> String {
        format!("SEV{}", self.0)
    }
    /// What the level means; "if unsure, the higher".
    pub fn definition(self) -> &'static str {
        match self.0 {
            1 => {
                "critical: public or customer impact at scale; money, data or safety irreversibly affected"
            }
            2 => "major: users or money affected, or data left a boundary; limited scope",
            3 => "moderate: internal impact or reversible changes; containment needed",
            4 => "minor: quality issue, no user impact",
            _ => "cosmetic: no real impact",
        }
    }
    /// One level more severe (SEV1 stays SEV1).
    pub fn raised(self) -> Severity {
        Severity(self.0.saturating_sub(1).max(1))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Commander,
    Scribe,
    CommsLead,
    Responder,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Commander,
        Role::Scribe,
        Role::CommsLead,
        Role::Responder,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Commander => "commander",
            Role::Scribe => "scribe",
            Role::CommsLead => "comms-lead",
            Role::Responder => "responder",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s || (s == "comms" && *r == Role::CommsLead))
    }
}

/// The seed's harm categories, mess first, harm last.
pub const HARMS: [&str; 8] = [
    "inconvenience",
    "quality issue",
    "operational delay",
    "privacy risk",
    "financial risk",
    "security issue",
    "compliance concern",
    "user harm",
];

/// The seed's triage questions.
pub const QUESTIONS: [&str; 8] = [
    "What systems were touched?",
    "Did data leave a boundary?",
    "Did money move?",
    "Were users affected?",
    "Can the change be reversed?",
    "Is the agent still running?",
    "Are similar runs queued?",
    "Is this a pattern rather than one mistake?",
];

/// OWASP Top 10 for Agentic Applications (ASI01–ASI10).
pub const ASI_TAGS: [(&str, &str); 10] = [
    ("ASI01", "agent goal hijack"),
    ("ASI02", "tool misuse and exploitation"),
    ("ASI03", "identity and privilege abuse"),
    ("ASI04", "agentic supply chain vulnerabilities"),
    ("ASI05", "unexpected code execution"),
    ("ASI06", "memory and context poisoning"),
    ("ASI07", "insecure inter-agent communication"),
    ("ASI08", "cascading failures"),
    ("ASI09", "human-agent trust exploitation"),
    ("ASI10", "rogue agents"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    Unknown,
    /// The commander withdraws their answer: the evidence's stands again.
    Evidence,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::Unknown => "unknown",
            Answer::Evidence => "evidence",
        }
    }
    /// The commander's cycle: the evidence's answer, then their own yes,
    /// no, unknown, and back to the evidence.
    pub fn next(self) -> Answer {
        match self {
            Answer::Evidence => Answer::Yes,
            Answer::Yes => Answer::No,
            Answer::No => Answer::Unknown,
            Answer::Unknown => Answer::Evidence,
        }
    }
}

/// What the commander has done to repair one change to the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Repair {
    Open,
    Reverted,
    Compensated,
    FollowUpSent,
    Accepted,
}

impl Repair {
    pub const ALL: [Repair; 5] = [
        Repair::Open,
        Repair::Reverted,
        Repair::Compensated,
        Repair::FollowUpSent,
        Repair::Accepted,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Repair::Open => "open",
            Repair::Reverted => "reverted",
            Repair::Compensated => "compensated",
            Repair::FollowUpSent => "follow-up sent",
            Repair::Accepted => "accepted",
        }
    }
    pub fn next(self) -> Repair {
        let i = Repair::ALL.iter().position(|r| *r == self).unwrap_or(0);
        Repair::ALL[(i + 1) % Repair::ALL.len()]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    Note,
    Decision,
    Hypothesis,
    ActionItem,
    Comms,
    /// A timeline event pinned as evidence.
    Evidence,
}

impl NoteKind {
    pub const WRITABLE: [NoteKind; 5] = [
        NoteKind::Note,
        NoteKind::Decision,
        NoteKind::Hypothesis,
        NoteKind::ActionItem,
        NoteKind::Comms,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::Note => "note",
            NoteKind::Decision => "decision",
            NoteKind::Hypothesis => "hypothesis",
            NoteKind::ActionItem => "action item",
            NoteKind::Comms => "comms",
            NoteKind::Evidence => "evidence",
        }
    }
    pub fn next(self) -> NoteKind {
        let i = NoteKind::WRITABLE
            .iter()
            .position(|k| *k == self)
            .unwrap_or(0);
        NoteKind::WRITABLE[(i + 1) % NoteKind::WRITABLE.len()]
    }
}

/// A saved note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub kind: NoteKind,
    pub text: String,
    pub by: String,
    pub at: Time,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// For action items: mitigate, prevent or process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_type: Option<String>,
    /// (source, event id) when it pins an event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<(String, String)>,
}

impl Note {
    /// Pull `@owner`, `due:YYYY-MM-DD` and `type:mitigate|prevent|process`
    /// out of an action item's text.
    pub fn parse_action_fields(text: &str) -> (Option<String>, Option<String>, Option<String>) {
        let mut owner = None;
        let mut due = None;
        let mut kind = None;
        for w in text.split_whitespace() {
            if let Some(o) = w.strip_prefix('@').filter(|o| !o.is_empty()) {
                owner = Some(o.trim_end_matches([',', '.', ';']).to_string());
            } else if let Some(d) = w.strip_prefix("due:") {
                due = Some(d.to_string());
            } else if let Some(t) = w
                .strip_prefix("type:")
                .filter(|t| matches!(*t, "mitigate" | "prevent" | "process"))
            {
                kind = Some(t.to_string());
            }
        }
        (owner, due, kind)
    }
}
