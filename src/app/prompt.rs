//! The one-line prompt and the y / n question: what each is for and
//! their keys.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, Mode};
use crate::journal::IncidentChange;
use crate::model::incident::{Repair, Severity, Status};

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

impl App {
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
}
