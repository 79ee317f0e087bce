//! The incident record in the app: status, severity, roles, triage
//! answers, repairs, notes and the autosaved draft; the Triage and Notes
//! panes' keys; pinning evidence.

use std::collections::{BTreeMap, BTreeSet};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::{App, Effect, Mode};
use crate::journal::{IncidentChange, Record};
use crate::model::incident::{
    ASI_TAGS, Answer, HARMS, Note, NoteKind, QUESTIONS, Repair, Role, Severity, Status,
};
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

    /// The last export of this kind (sent or not).
    pub fn last_export(&self, kind: &str) -> Option<&Communication> {
        self.comms.iter().rev().find(|c| c.kind == kind)
    }
}

/// What a one-line prompt is for.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptFor {
    AnswerNote(usize),
    RepairNote(String),
    SeverityReason(Severity),
    /// Replay: jump to a time (HH:MM[:SS] UTC).
    JumpTo,
    /// y / n: quit while the incident is serious or actions are in flight.
    Quit,
    /// y / n: move the incident to this status.
    StatusTo(Status),
}

impl PromptFor {
    /// A yes / no question rather than a line of text.
    pub fn is_question(&self) -> bool {
        matches!(self, PromptFor::Quit | PromptFor::StatusTo(_))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub purpose: PromptFor,
    pub label: String,
    pub text: String,
}

/// Rows of the Triage pane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TriageRow {
    Harm(usize),
    Question(usize),
    Tag(usize),
    Change(usize),
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
                    self.editor = editor_with(text);
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

    /// The Triage pane's rows; `changes` are the impact inventory's
    /// targets. The `/` filter matches a row's words.
    pub fn triage_rows(&self, changes: &[String]) -> Vec<TriageRow> {
        let mut v: Vec<TriageRow> = (0..HARMS.len()).map(TriageRow::Harm).collect();
        v.extend((0..QUESTIONS.len()).map(TriageRow::Question));
        v.extend((0..ASI_TAGS.len()).map(TriageRow::Tag));
        v.extend((0..changes.len()).map(TriageRow::Change));
        let f = &self.triage_filter;
        if !f.is_empty() {
            v.retain(|r| {
                let text = match r {
                    TriageRow::Harm(i) => HARMS[*i].to_string(),
                    TriageRow::Question(i) => QUESTIONS[*i].to_string(),
                    TriageRow::Tag(i) => format!("{} {}", ASI_TAGS[*i].0, ASI_TAGS[*i].1),
                    TriageRow::Change(i) => changes[*i].clone(),
                };
                super::views::contains_ci(&text, f)
            });
        }
        v
    }

    pub(super) fn on_triage_key(&mut self, k: KeyEvent, fx: &mut Vec<Effect>) -> bool {
        if self.viewer()
            && !matches!(
                k.code,
                KeyCode::Char('j' | 'k' | 'g' | 'G') | KeyCode::Up | KeyCode::Down
            )
        {
            self.flash = Some("a watcher or replay cannot change the incident record".into());
            return matches!(
                k.code,
                KeyCode::Char(' ' | 'e' | 'A' | '+' | '-' | 's') | KeyCode::Enter
            );
        }
        let t = self.triage();
        let targets: Vec<String> = t.changes.iter().map(|c| c.target.clone()).collect();
        let rows = self.triage_rows(&targets);
        let row = rows.get(self.triage_sel).copied();
        match k.code {
            KeyCode::Char('j') | KeyCode::Down => {
                self.triage_sel = (self.triage_sel + 1).min(rows.len().saturating_sub(1))
            }
            KeyCode::Char('k') | KeyCode::Up => self.triage_sel = self.triage_sel.saturating_sub(1),
            KeyCode::Char('g') => self.triage_sel = 0,
            KeyCode::Char('G') => self.triage_sel = rows.len().saturating_sub(1),
            KeyCode::Char(' ') | KeyCode::Enter => match row {
                Some(TriageRow::Harm(i)) => {
                    let on = !self.incident.harms.contains(HARMS[i]);
                    self.change(
                        IncidentChange::Harm {
                            harm: HARMS[i].into(),
                            on,
                        },
                        fx,
                    );
                }
                Some(TriageRow::Question(q)) => {
                    // The commander's own answer cycles; "evidence" hands
                    // the question back to what was observed.
                    let (mine, note) = self
                        .incident
                        .answers
                        .get(&q)
                        .cloned()
                        .unwrap_or((Answer::Evidence, String::new()));
                    let next = mine.next();
                    self.flash = Some(match next {
                        Answer::Evidence => format!(
                            "{} back to the evidence: {}",
                            QUESTIONS[q],
                            t.evidence
                                .get(q)
                                .map(|a| a.answer.as_str().to_uppercase())
                                .unwrap_or_default()
                        ),
                        a => format!(
                            "your answer: {} (Space again: {})",
                            a.as_str().to_uppercase(),
                            match a.next() {
                                Answer::Evidence => "back to the evidence".to_string(),
                                n => n.as_str().to_string(),
                            }
                        ),
                    });
                    self.change(
                        IncidentChange::Answer {
                            question: q,
                            answer: next,
                            note: if next == Answer::Evidence {
                                String::new()
                            } else {
                                note
                            },
                        },
                        fx,
                    );
                }
                Some(TriageRow::Tag(i)) => {
                    let on = !self.incident.tags.contains(ASI_TAGS[i].0);
                    self.change(
                        IncidentChange::Tag {
                            tag: ASI_TAGS[i].0.into(),
                            on,
                        },
                        fx,
                    );
                }
                Some(TriageRow::Change(i)) => {
                    let c = &t.changes[i];
                    self.change(
                        IncidentChange::Repair {
                            target: c.target.clone(),
                            state: c.repair.next(),
                            note: c.repair_note.clone(),
                        },
                        fx,
                    );
                }
                None => {}
            },
            KeyCode::Char('e') => match row {
                Some(TriageRow::Question(q)) => {
                    self.mode = Mode::Prompt(Prompt {
                        purpose: PromptFor::AnswerNote(q),
                        label: format!("note for '{}'", QUESTIONS[q]),
                        text: self
                            .incident
                            .answers
                            .get(&q)
                            .map(|a| a.1.clone())
                            .unwrap_or_default(),
                    })
                }
                Some(TriageRow::Change(i)) => {
                    let c = &t.changes[i];
                    self.mode = Mode::Prompt(Prompt {
                        purpose: PromptFor::RepairNote(c.target.clone()),
                        label: format!("repair note for {}", c.target),
                        text: c.repair_note.clone(),
                    })
                }
                _ => self.flash = Some("e edits the note of a question or a change".into()),
            },
            KeyCode::Char('A') => match t.suggested {
                Some(s) if self.incident.current_severity() != Some(s) => self.change(
                    IncidentChange::Severity {
                        severity: s,
                        suggested: Some(s),
                        reason: format!("accepted triage suggestion: {}", t.because),
                    },
                    fx,
                ),
                _ => self.flash = Some("severity already matches the suggestion".into()),
            },
            KeyCode::Char(c @ ('+' | '-')) => {
                let cur = self
                    .incident
                    .current_severity()
                    .or(t.suggested)
                    .unwrap_or(Severity(3));
                let next = if c == '+' {
                    cur.raised()
                } else {
                    Severity((cur.0 + 1).min(5))
                };
                self.mode = Mode::Prompt(Prompt {
                    purpose: PromptFor::SeverityReason(next),
                    label: format!(
                        "why {} (suggested {})?",
                        next.label(),
                        t.suggested.map(|s| s.label()).unwrap_or_default()
                    ),
                    text: String::new(),
                });
            }
            KeyCode::Char('s') => {
                // Asked, not done: the status goes out in updates to users.
                let cur = self.incident.current_status();
                let i = Status::ALL.iter().position(|s| *s == cur).unwrap_or(0);
                match Status::ALL.get(i + 1) {
                    Some(next) => {
                        self.mode = Mode::Prompt(Prompt {
                            purpose: PromptFor::StatusTo(*next),
                            label: format!("status {} → {}?", cur.as_str(), next.as_str()),
                            text: String::new(),
                        })
                    }
                    None => self.flash = Some("the incident is already resolved".into()),
                }
            }
            _ => return false,
        }
        true
    }

    pub(super) fn on_prompt_key(&mut self, k: KeyEvent, mut p: Prompt, fx: &mut Vec<Effect>) {
        if p.purpose.is_question() {
            return self.on_question_key(k, p, fx);
        }
        match k.code {
            KeyCode::Esc => return self.mode = Mode::Normal,
            KeyCode::Enter => {
                self.mode = Mode::Normal;
                let text = crate::sanitize::line(p.text.trim(), 500);
                match p.purpose {
                    PromptFor::AnswerNote(q) => {
                        let ans = self.triage().answers[q].answer;
                        self.change(
                            IncidentChange::Answer {
                                question: q,
                                answer: ans,
                                note: text,
                            },
                            fx,
                        );
                    }
                    PromptFor::RepairNote(target) => {
                        let state = self
                            .incident
                            .repairs
                            .get(&target)
                            .map(|r| r.0)
                            .unwrap_or(Repair::Open);
                        self.change(
                            IncidentChange::Repair {
                                target,
                                state,
                                note: text,
                            },
                            fx,
                        );
                    }
                    PromptFor::JumpTo => match crate::model::time::clock_on(&text, self.now) {
                        Some(t) => fx.push(Effect::JumpTo(t)),
                        None => self.flash = Some("jump to HH:MM or HH:MM:SS (UTC)".into()),
                    },
                    PromptFor::SeverityReason(sev) => {
                        if text.is_empty() {
                            self.flash = Some("a severity override needs a reason".into());
                        } else {
                            let suggested = self.triage().suggested;
                            self.change(
                                IncidentChange::Severity {
                                    severity: sev,
                                    suggested,
                                    reason: text,
                                },
                                fx,
                            );
                        }
                    }
                    // Answered by on_question_key.
                    PromptFor::Quit | PromptFor::StatusTo(_) => {}
                }
                return;
            }
            KeyCode::Backspace => {
                p.text.pop();
            }
            KeyCode::Char(c)
                if !k.modifiers.contains(KeyModifiers::CONTROL) && p.text.chars().count() < 500 =>
            {
                p.text.push(c)
            }
            _ => {}
        }
        self.mode = Mode::Prompt(p);
    }

    /// y does it, n or Esc does not; anything else leaves the question up.
    fn on_question_key(&mut self, k: KeyEvent, p: Prompt, fx: &mut Vec<Effect>) {
        match k.code {
            KeyCode::Char('y' | 'Y') => {
                self.mode = Mode::Normal;
                match p.purpose {
                    PromptFor::Quit => self.quit(fx),
                    PromptFor::StatusTo(status) => {
                        self.change(IncidentChange::Status { status }, fx);
                        self.flash = Some(format!("status → {}", status.as_str()));
                    }
                    _ => {}
                }
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                self.mode = Mode::Normal;
                self.flash = Some(match p.purpose {
                    PromptFor::Quit => "not quitting".into(),
                    _ => "status unchanged".into(),
                });
            }
            _ => self.mode = Mode::Prompt(p),
        }
    }

    /// Notes pane keys when not editing; returns false if not one of them.
    pub(super) fn on_notes_key(&mut self, k: KeyEvent, _fx: &mut Vec<Effect>) -> bool {
        if self.viewer() && matches!(k.code, KeyCode::Char('i') | KeyCode::Enter) {
            self.flash = Some("a watcher or replay cannot write notes".into());
            return true;
        }
        match k.code {
            KeyCode::Char('i') | KeyCode::Enter => {
                self.notes_editing = true;
                true
            }
            KeyCode::Char('t') => {
                self.note_kind = self.note_kind.next();
                true
            }
            KeyCode::Char('j') | KeyCode::Down => {
                self.notes_sel =
                    (self.notes_sel + 1).min(self.incident.notes.len().saturating_sub(1));
                true
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.notes_sel = self.notes_sel.saturating_sub(1);
                true
            }
            _ => false,
        }
    }

    /// Keys while typing a note: everything goes to the editor except Esc
    /// (leave, draft kept), Ctrl-S (save) and Ctrl-T (type).
    pub(super) fn on_editor_key(&mut self, k: KeyEvent, fx: &mut Vec<Effect>) {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Esc => {
                self.notes_editing = false;
                self.save_draft(fx);
            }
            KeyCode::Char('s') if ctrl => self.save_note(fx),
            KeyCode::Char('t') if ctrl => self.note_kind = self.note_kind.next(),
            _ => {
                self.editor.input(k);
                // Debounced autosave: at most ~0.7 s between saves while
                // typing; the clock tick saves whatever is left.
                if (self.now - self.draft_saved_at).num_milliseconds() >= 700 {
                    self.save_draft(fx);
                }
            }
        }
    }

    pub fn draft_text(&self) -> String {
        self.editor.lines().join("\n")
    }

    /// Journal the draft if it changed since the last save.
    pub fn save_draft(&mut self, fx: &mut Vec<Effect>) {
        let text = self.draft_text();
        if text != self.draft_saved {
            self.draft_saved_at = self.now;
            self.record(
                Record::NoteDraft {
                    text: crate::sanitize::text(&text, 20_000),
                    at: self.now,
                },
                fx,
            );
        }
    }

    fn save_note(&mut self, fx: &mut Vec<Effect>) {
        let text = crate::sanitize::text(self.draft_text().trim(), 20_000);
        if text.is_empty() {
            self.flash = Some("nothing to save".into());
            return;
        }
        let (owner, due, item_type) = if self.note_kind == NoteKind::ActionItem {
            Note::parse_action_fields(&text)
        } else {
            (None, None, None)
        };
        let note = Note {
            kind: self.note_kind,
            text,
            by: self.who(),
            at: self.now,
            owner,
            due,
            item_type,
            pinned: None,
        };
        self.record(Record::Note { note }, fx);
        self.editor = editor_with("");
        self.draft_saved_at = self.now;
        self.record(
            Record::NoteDraft {
                text: String::new(),
                at: self.now,
            },
            fx,
        );
        self.flash = Some(format!("{} saved", self.note_kind.as_str()));
    }

    /// Pin the selected timeline event into the notes as evidence.
    pub fn pin_selected(&mut self, fx: &mut Vec<Effect>) {
        match self.timeline.selected_event() {
            Some(i) => self.pin_event(i, fx),
            None => self.flash = Some("select an event in the Timeline to pin".into()),
        }
    }

    /// Clock tick: save a pending draft.
    pub(super) fn on_tick_autosave(&mut self, fx: &mut Vec<Effect>) {
        if self.draft_text() != self.draft_saved {
            self.save_draft(fx);
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

pub fn editor_with(text: &str) -> TextArea<'static> {
    let mut t = TextArea::new(if text.is_empty() {
        vec![String::new()]
    } else {
        text.lines().map(String::from).collect()
    });
    t.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    t.set_placeholder_text(
        "i to write · Ctrl-S saves · Ctrl-T changes the type · Esc leaves (the draft is kept)",
    );
    t
}
