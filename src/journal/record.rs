use serde::{Deserialize, Serialize};

use crate::model::{ActionAnswer, ActionRequest, Event, Run, Time};

/// Who did something: user, host and, over SSH, the client address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Operator {
    pub user: String,
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_client: Option<String>,
}

impl Operator {
    /// From the environment: $USER, the hostname, and the first word of
    /// $SSH_CONNECTION (the client address).
    pub fn from_env() -> Operator {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|u| !u.is_empty())
            .or_else(user_from_passwd)
            .unwrap_or_else(|| "unknown".into());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "unknown".into());
        let ssh_client = std::env::var("SSH_CONNECTION")
            .ok()
            .and_then(|s| s.split_whitespace().next().map(str::to_string));
        Operator {
            user: crate::sanitize::line(&user, 64),
            host: crate::sanitize::line(&host, 128),
            ssh_client,
        }
    }

    pub fn label(&self) -> String {
        format!("{}@{}", self.user, self.host)
    }
}

/// The login name of our uid from /etc/passwd (tmux and cron often leave
/// $USER unset).
fn user_from_passwd() -> Option<String> {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() }.to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
    })
}

/// Everything the incident is made of. New kinds are added at the end; a
/// reader that meets an unknown `type` reports it rather than guessing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    SessionStarted {
        incident: String,
        operator: Operator,
        version: String,
        sources: Vec<String>,
    },
    SessionEnded {
        reason: String,
    },
    /// A run as first seen or as changed.
    Run {
        run: Run,
    },
    /// One observed event (evidence), with the source it came from.
    Event {
        source: String,
        event: Event,
    },
    /// A source went down or came back.
    SourceStatus {
        source: String,
        ok: bool,
        message: String,
    },
    /// A containment action the commander confirmed, written (and synced)
    /// before the request goes on the wire.
    ActionIntent {
        request: ActionRequest,
        operator: Operator,
        /// Blast radius the platform's dry run showed, if it answered.
        preview: Option<Vec<String>>,
        at: Time,
    },
    /// The first attempt left for the platform.
    ActionSent {
        id: String,
        at: Time,
    },
    /// The platform's answer (or the last error after retries).
    ActionResult {
        id: String,
        accepted: bool,
        status: Option<u16>,
        answer: Option<ActionAnswer>,
        error: Option<String>,
        attempts: u32,
        at: Time,
    },
    /// A fresh read showed the effect (confirmed) or never did.
    ActionVerified {
        id: String,
        confirmed: bool,
        detail: String,
        at: Time,
    },
    /// The containment controls a source reports changed.
    Controls {
        source: String,
        controls: crate::model::Controls,
    },
    /// The incident's record changed (title, status, severity, role,
    /// triage, repair): who, when, and the change.
    Incident {
        change: crate::journal::IncidentChange,
        by: String,
        at: Time,
    },
    /// A saved note (or a pinned event).
    Note {
        note: crate::model::incident::Note,
    },
    /// The note being typed, autosaved (debounced) so a crash loses at
    /// most about a second.
    NoteDraft {
        text: String,
        at: Time,
    },
    /// An export was written.
    Exported {
        kind: String,
        path: String,
        at: Time,
    },
    /// A custom action (config) ran: its exit status and output.
    CustomAction {
        id: String,
        name: String,
        argv: Vec<String>,
        operator: Operator,
        reason: String,
        exit: Option<i32>,
        output: String,
        at: Time,
    },
}

/// One journal line, as read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub prev: String,
    /// Wall-clock time the line was written.
    pub ts: Time,
    #[serde(flatten)]
    pub record: Record,
}

/// One change to the incident's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum IncidentChange {
    Title {
        title: String,
    },
    Status {
        status: crate::model::incident::Status,
    },
    Detected {
        detected: Time,
    },
    Severity {
        severity: crate::model::incident::Severity,
        /// What triage suggested at the time, if it differs.
        suggested: Option<crate::model::incident::Severity>,
        reason: String,
    },
    Role {
        role: crate::model::incident::Role,
        person: String,
    },
    Harm {
        harm: String,
        on: bool,
    },
    Answer {
        question: usize,
        answer: crate::model::incident::Answer,
        note: String,
    },
    Tag {
        tag: String,
        on: bool,
    },
    Repair {
        target: String,
        state: crate::model::incident::Repair,
        note: String,
    },
    /// Minutes between status updates to users.
    Cadence {
        minutes: u32,
    },
}
