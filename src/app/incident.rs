//! The incident record in the app: status, severity, roles, triage
//! answers, repairs, notes, communications; journaling a change and
//! applying it (with its line in the timeline).

use std::collections::{BTreeMap, BTreeSet};

use super::{App, Effect};
use crate::journal::{IncidentChange, Record};
use crate::model::incident::{Answer, Note, NoteKind, QUESTIONS, Repair, Role, Severity, Status};
use crate::model::{Event, EventKind, Time};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentState {
    pub title: String,
    /// Every status with when it was set (investigating at declaration).
    pub status: Vec<(Status, Time, String)>,
    pub declared: Option<Time>,
    pub detected: Option<Time>,
    /// (severity, suggested then, reason, by, at)
    pub severity: Vec<(Severity, Option<Severity>, String, String, Time)>,
    /// (role, person, by, at): every handoff.
    pub roles: Vec<(Role, String, String, Time)>,
    pub harms: BTreeSet<String>,
    /// The commander's answers: question → (answer, note).
    pub answers: BTreeMap<usize, (Answer, String)>,
    pub tags: BTreeSet<String>,
    pub repairs: BTreeMap<String, (Repair, String)>,
    /// Every triage change, for the postmortem timeline.
    pub changes: Vec<(IncidentChange, String, Time)>,
    pub notes: Vec<Note>,
    pub draft: String,
    pub cadence_minutes: Option<u32>,
    /// Times status updates to users were marked sent.
    pub updates: Vec<Time>,
    pub exports: Vec<(String, String, Time)>,
    /// Every exported communication, and whether it went out.
    pub comms: Vec<Communication>,
}

/// A status update or internal brief as exported: what, to whom, when.
#[derive(Debug, Clone, PartialEq)]
pub struct Communication {
    pub kind: String,
    pub to: String,
    pub path: String,
    pub sha256: String,
    pub by: String,
    pub exported_at: Time,
    /// The next update its text promises.
    pub promised: Option<Time>,
    /// Marked sent: when, by whom.
    pub sent: Option<(Time, String)>,
}

impl IncidentState {
    pub fn current_status(&self) -> Status {
        self.status
            .last()
            .map(|s| s.0)
            .unwrap_or(Status::Investigating)
    }
    pub fn current_severity(&self) -> Option<Severity> {
        self.severity.last().map(|s| s.0)
    }
    pub fn holder(&self, role: Role) -> Option<&str> {
        self.roles
            .iter()
            .rev()
            .find(|r| r.0 == role)
            .map(|r| r.1.as_str())
    }
    pub fn responders(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .roles
            .iter()
            .filter(|r| r.0 == Role::Responder)
            .map(|r| r.1.as_str())
            .collect();
        v.dedup();
        v
    }
    /// Minutes between user updates: configured, or 30 at SEV1–2.
    pub fn cadence(&self) -> Option<u32> {
        self.cadence_minutes.or(match self.current_severity() {
            Some(Severity(1 | 2)) => Some(30),
            _ => None,
        })
    }
    /// When the next status update is due: the cadence after the last
    /// one sent (or no later than that one promised), else after the
    /// severity was set.
    pub fn next_update(&self) -> Option<Time> {
        let m = chrono::Duration::minutes(self.cadence()? as i64);
        if let Some(c) = self.last_sent("status") {
            let (at, _) = c.sent.as_ref()?;
            let due = *at + m;
            return Some(c.promised.map_or(due, |p| p.min(due)));
        }
        let since = self
            .updates
            .last()
            .copied()
            .or_else(|| self.severity.last().map(|s| s.4))
            .or(self.declared)?;
        Some(since + m)
    }

    /// The last communication of this kind marked sent.
    pub fn last_sent(&self, kind: &str) -> Option<&Communication> {
        self.comms
            .iter()
            .filter(|c| c.kind == kind && c.sent.is_some())
            .max_by_key(|c| c.sent.as_ref().map(|s| s.0))
    }

    /// The notes of one kind, in the order written.
    pub fn notes_of(&self, kind: NoteKind) -> impl Iterator<Item = &Note> {
        self.notes.iter().filter(move |n| n.kind == kind)
    }

    /// The last export of this kind (sent or not).
    pub fn last_export(&self, kind: &str) -> Option<&Communication> {
        self.comms.iter().rev().find(|c| c.kind == kind)
    }
}

impl App {
    /// A watcher or a replay: it shows the incident, it cannot change it.
    pub fn viewer(&self) -> bool {
        self.replay_badge.is_some()
    }

    pub fn who(&self) -> String {
        self.operator.label()
    }

    /// Journal an incident change (apply + effect).
    pub fn change(&mut self, change: IncidentChange, fx: &mut Vec<Effect>) {
        let r = Record::Incident {
            change,
            by: self.who(),
            at: self.now,
        };
        self.record(r, fx);
    }

    /// A line in the timeline for what the commander did, so the timeline
    /// is the whole story.
    pub(super) fn push_synthetic(
        &mut self,
        run_id: &str,
        kind: EventKind,
        summary: String,
        at: Time,
    ) {
        self.synthetic += 1;
        let ev = Event {
            id: compact_str::format_compact!("cordon-{}", self.synthetic),
            run_id: run_id.into(),
            at,
            kind,
            summary: summary.into(),
            tool: None,
            target: None,
            outbound: false,
            reversible: None,
            data: Default::default(),
        };
        if let Some(n) = self.store.push_event(crate::model::CORDON_SOURCE, ev) {
            self.on_event_stored(n);
        }
    }

    pub(super) fn apply_incident(&mut self, r: &Record) {
        match r {
            Record::Incident { change, by, at } => {
                let s = &mut self.incident;
                s.changes.push((change.clone(), by.clone(), *at));
                match change {
                    IncidentChange::Title { title } => s.title = title.clone(),
                    IncidentChange::Status { status } => s.status.push((*status, *at, by.clone())),
                    IncidentChange::Detected { detected } => s.detected = Some(*detected),
                    IncidentChange::Severity {
                        severity,
                        suggested,
                        reason,
                    } => s
                        .severity
                        .push((*severity, *suggested, reason.clone(), by.clone(), *at)),
                    IncidentChange::Role { role, person } => {
                        s.roles.push((*role, person.clone(), by.clone(), *at))
                    }
                    IncidentChange::Harm { harm, on } => {
                        if *on {
                            s.harms.insert(harm.clone());
                        } else {
                            s.harms.remove(harm);
                        }
                    }
                    IncidentChange::Answer {
                        question,
                        answer,
                        note,
                    } => {
                        if *answer == Answer::Evidence {
                            s.answers.remove(question);
                        } else {
                            s.answers.insert(*question, (*answer, note.clone()));
                        }
                    }
                    IncidentChange::Tag { tag, on } => {
                        if *on {
                            s.tags.insert(tag.clone());
                        } else {
                            s.tags.remove(tag);
                        }
                    }
                    IncidentChange::Repair {
                        target,
                        state,
                        note,
                    } => {
                        s.repairs.insert(target.clone(), (*state, note.clone()));
                    }
                    IncidentChange::Cadence { minutes } => s.cadence_minutes = Some(*minutes),
                    IncidentChange::Sent { kind, sha256 } => {
                        if let Some(c) = s
                            .comms
                            .iter_mut()
                            .rev()
                            .find(|c| c.kind == *kind && c.sha256 == *sha256)
                        {
                            c.sent = Some((*at, by.clone()));
                        }
                        if kind == "status" {
                            s.updates.push(*at);
                        }
                    }
                }
                let line = change_line(change);
                self.push_synthetic(
                    "-",
                    EventKind::Other("incident".into()),
                    format!("{by}: {line}"),
                    *at,
                );
            }
            Record::Note { note } => {
                self.incident.notes.push(note.clone());
                let run =
                    note.pinned
                        .as_ref()
                        .and_then(|(s, id)| {
                            self.store.events.iter().find(|e| {
                                self.store.source_name(e.source) == s && e.event.id == *id
                            })
                        })
                        .map(|e| e.event.run_id.clone())
                        .unwrap_or_else(|| "-".into());
                let first = note.text.lines().next().unwrap_or("").to_string();
                self.push_synthetic(
                    &run,
                    EventKind::Other("note".into()),
                    format!("{} {}: {first}", note.kind.as_str(), note.by),
                    note.at,
                );
            }
            Record::NoteDraft { text, .. } => {
                self.incident.draft = text.clone();
                if !self.notes_editing {
                    self.editor = super::notes::editor_with(text);
                }
                self.draft_saved = text.clone();
            }
            Record::Exported {
                kind,
                path,
                at,
                to,
                sha256,
                by,
                promised,
            } => {
                self.incident
                    .exports
                    .push((kind.clone(), path.clone(), *at));
                if let (Some(to), Some(sha256)) = (to, sha256) {
                    self.incident.comms.push(Communication {
                        kind: kind.clone(),
                        to: to.clone(),
                        path: path.clone(),
                        sha256: sha256.clone(),
                        by: by.clone().unwrap_or_default(),
                        exported_at: *at,
                        promised: *promised,
                        sent: None,
                    });
                }
            }
            _ => {}
        }
    }
}

/// One change to the record in words (the timeline line, the palette's
/// answer).
pub fn change_line(change: &IncidentChange) -> String {
    match change {
        IncidentChange::Title { title } => format!("title: {title}"),
        IncidentChange::Status { status } => format!("status → {}", status.as_str()),
        IncidentChange::Detected { detected } => {
            format!("detected at {}", detected.format("%H:%M:%S UTC"))
        }
        IncidentChange::Severity {
            severity, reason, ..
        } => format!("severity {} ({reason})", severity.label()),
        IncidentChange::Role { role, person } => format!("{} is now {person}", role.as_str()),
        IncidentChange::Harm { harm, on } => format!("harm {}{harm}", if *on { "+" } else { "-" }),
        IncidentChange::Answer {
            question, answer, ..
        } => match answer {
            Answer::Evidence => format!(
                "triage: {} back to the evidence",
                QUESTIONS.get(*question).unwrap_or(&"?")
            ),
            a => format!(
                "triage: {} {}",
                QUESTIONS.get(*question).unwrap_or(&"?"),
                a.as_str()
            ),
        },
        IncidentChange::Tag { tag, on } => format!("tag {}{tag}", if *on { "+" } else { "-" }),
        IncidentChange::Repair { target, state, .. } => {
            format!("repair of {target}: {}", state.as_str())
        }
        IncidentChange::Cadence { minutes } => format!("status updates every {minutes} min"),
        IncidentChange::Sent { kind, .. } => {
            format!("{} marked sent", crate::report::title_of(kind))
        }
    }
}
