//! The Triage pane: its rows (harms, questions, tags, changes) under the
//! `/` filter, and its keys.

use super::keymap::Cmd;
use super::{App, Effect, Mode, Prompt, PromptFor};
use crate::journal::IncidentChange;
use crate::model::incident::{ASI_TAGS, Answer, HARMS, QUESTIONS, Severity, Status};

/// Rows of the Triage pane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TriageRow {
    Harm(usize),
    Question(usize),
    Tag(usize),
    Change(usize),
}

impl App {
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

    /// A command (from the key table) in the Triage pane; returns false
    /// if it is not one of the pane's.
    pub(super) fn on_triage_cmd(&mut self, cmd: Cmd, fx: &mut Vec<Effect>) -> bool {
        let writes = matches!(
            cmd,
            Cmd::Toggle
                | Cmd::TriageNote
                | Cmd::Accept
                | Cmd::SeverityUp
                | Cmd::SeverityDown
                | Cmd::Status
        );
        if self.viewer() && writes {
            self.flash = Some("a watcher or replay cannot change the incident record".into());
            return true;
        }
        let t = self.triage();
        let targets: Vec<String> = t.changes.iter().map(|c| c.target.clone()).collect();
        let rows = self.triage_rows(&targets);
        let row = rows.get(self.triage_sel).copied();
        match cmd {
            Cmd::Down => self.triage_sel = (self.triage_sel + 1).min(rows.len().saturating_sub(1)),
            Cmd::Up => self.triage_sel = self.triage_sel.saturating_sub(1),
            Cmd::Top => self.triage_sel = 0,
            Cmd::Bottom => self.triage_sel = rows.len().saturating_sub(1),
            Cmd::Toggle => match row {
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
            Cmd::TriageNote => match row {
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
            Cmd::Accept => match t.suggested {
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
            Cmd::SeverityUp | Cmd::SeverityDown => {
                let cur = self
                    .incident
                    .current_severity()
                    .or(t.suggested)
                    .unwrap_or(Severity(3));
                let next = if cmd == Cmd::SeverityUp {
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
            Cmd::Status => {
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
}
