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

    /// Who sent an action, as its request says: the label and, over SSH,
    /// where from.
    pub fn actor(&self) -> String {
        match &self.ssh_client {
            Some(ip) => format!("{} (ssh from {ip})", self.label()),
            None => self.label(),
        }
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
        /// The dry run's whole answer: a rollback's plan (what it reverts
        /// and cannot), the runs that start next.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dry_run: Option<Box<ActionAnswer>>,
        /// What the platform's own version of the action does and does not
        /// undo, as the dialog said it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
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
        /// The answer to the request itself was lost (how); `answer`, if
        /// any, came from asking the platform by Idempotency-Key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lost: Option<String>,
    },
    /// What the re-reads came to: `confirmed` only when a fresh read of
    /// the same object proved the effect; `outcome` the final phase
    /// (absent in journals written before it existed: then `confirmed`
    /// decides between confirmed and unconfirmed).
    ActionVerified {
        id: String,
        confirmed: bool,
        detail: String,
        at: Time,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<crate::model::ActionPhase>,
        /// The writes a rollback's re-read showed reverted (event ids).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        reverted: Vec<String>,
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
    /// An export was written. A status update or an internal brief is a
    /// communication: what (kind, and the text's SHA-256), to whom, when,
    /// by whom, and the next update it promises.
    Exported {
        kind: String,
        path: String,
        at: Time,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        promised: Option<Time>,
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
    /// This incident is a drill (`cordon drill`): the stop controls
    /// exercised on canaries, not a real incident. Triage and exports say so.
    Drill {
        at: Time,
        operator: Operator,
        /// The canary runs (source and id) the drill acted on.
        canaries: Vec<String>,
    },
    /// A step of a staged restart (`id` numbers the restart).
    Restart {
        id: u32,
        at: Time,
        step: crate::model::restart::RestartStep,
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
    /// An exported communication (by its text's SHA-256) went out: the
    /// commander says so. A sent status update restarts the cadence;
    /// exporting alone does not.
    Sent {
        kind: String,
        sha256: String,
    },
}

/// Read one journal line. Event and run lines (nearly all of a big
/// incident) are read in one pass: serde reads an internally tagged enum
/// by first buffering the whole record into a tree of its own, which made
/// reopening a million events take seconds more than parsing them. Our
/// writer puts `type` before the record's fields, so once the tag is read
/// the rest of the line goes straight into the variant. Anything else
/// (another order, another record) takes the general path.
pub fn parse_entry(line: &str) -> Result<Entry, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(line);
    match serde::Deserializer::deserialize_map(&mut de, FastEntry).and_then(|e| {
        de.end()?;
        Ok(e)
    }) {
        Ok(Some(e)) => Ok(e),
        _ => serde_json::from_str(line),
    }
}

struct FastEntry;

/// A time read through [`crate::model::time`].
struct TimeText(Time);

impl<'de> Deserialize<'de> for TimeText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::model::time::deserialize(d).map(TimeText)
    }
}

#[derive(Deserialize)]
struct EventBody {
    source: String,
    event: Event,
}

#[derive(Deserialize)]
struct RunBody {
    run: Run,
}

impl<'de> serde::de::Visitor<'de> for FastEntry {
    /// `None`: not a shape this path reads.
    type Value = Option<Entry>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a journal entry")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Option<Entry>, A::Error> {
        use serde::de::IgnoredAny;
        use std::borrow::Cow;
        let (mut seq, mut prev, mut ts) = (None, None, None);
        while let Some(k) = m.next_key::<Cow<'de, str>>()? {
            match &*k {
                "hash" => {
                    m.next_value::<IgnoredAny>()?;
                }
                "seq" => seq = Some(m.next_value::<u64>()?),
                "prev" => prev = Some(m.next_value::<String>()?),
                "ts" => ts = Some(m.next_value::<TimeText>()?.0),
                "type" => {
                    let ty = m.next_value::<Cow<'de, str>>()?;
                    let (Some(seq), Some(prev), Some(ts)) = (seq, prev, ts) else {
                        return Ok(None);
                    };
                    let rest = serde::de::value::MapAccessDeserializer::new(m);
                    let record = match &*ty {
                        "event" => {
                            let b = EventBody::deserialize(rest)?;
                            Record::Event {
                                source: b.source,
                                event: b.event,
                            }
                        }
                        "run" => Record::Run {
                            run: RunBody::deserialize(rest)?.run,
                        },
                        _ => return Ok(None),
                    };
                    return Ok(Some(Entry {
                        seq,
                        prev,
                        ts,
                        record,
                    }));
                }
                _ => return Ok(None),
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::writer::render_line;

    /// The one-pass reader and serde's general one agree on every kind of
    /// line, and the one-pass reader really takes events and runs.
    #[test]
    fn the_fast_entry_reader_agrees_with_serde() {
        let at: Time = "2026-11-25T10:00:00Z".parse().unwrap();
        let event = Event::from_wire_value(
            &serde_json::json!({"id": "e1", "run_id": "r1", "at": "2026-11-25T10:00:01Z",
                "kind": "message_sent", "summary": "sent", "tool": "email.send",
                "target": "segment:all", "outbound": true, "reversible": false,
                "data": {"recipients": 48112, "nested": {"a": [1, 2, "x\u{202e}"]}}}),
            at,
        )
        .unwrap();
        let run = Run::from_wire(
            "sim",
            &serde_json::json!({"id": "r1", "agent": "a", "state": "running", "tools": ["t"]}),
        )
        .unwrap();
        let records = [
            Record::Event {
                source: "sim".into(),
                event,
            },
            Record::Run { run },
            Record::SessionEnded {
                reason: "quit".into(),
            },
            Record::NoteDraft {
                text: "typed \"so far\"".into(),
                at,
            },
        ];
        for (i, r) in records.into_iter().enumerate() {
            let (line, _) = render_line(i as u64, crate::journal::GENESIS, at, r.clone());
            let line = line.trim_end();
            let general: Entry = serde_json::from_str(line).unwrap();
            assert_eq!(parse_entry(line).unwrap(), general);
            assert_eq!(general.record, r);
            let mut de = serde_json::Deserializer::from_str(line);
            // Other records leave the map half read: an error, then the
            // general path.
            let fast = serde::Deserializer::deserialize_map(&mut de, FastEntry);
            assert_eq!(fast.ok().flatten().is_some(), i < 2, "{line}");
        }
        // Fields in another order still read (through the general path).
        let odd = r#"{"type":"session_ended","reason":"x","seq":1,"prev":"p","ts":"2026-11-25T10:00:00Z"}"#;
        assert!(matches!(
            parse_entry(odd).unwrap().record,
            Record::SessionEnded { .. }
        ));
    }
}
