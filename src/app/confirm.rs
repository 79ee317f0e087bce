//! The confirm dialog as a state machine: what, on what, why, the
//! platform's dry-run blast radius (and, for a rollback, what it will and
//! will not revert), defaulting to Cancel. `Confirm::on_key` returns an
//! [`Outcome`]; on `Confirm` the app journals each intent, then sends
//! (`contain/intent.rs`).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, Mode};
use crate::contain::custom::Vars;
use crate::model::{ActionAnswer, ActionKind, Target};

/// Which part of the confirm dialog has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmFocus {
    Cancel,
    Confirm,
    Reason,
    Typed,
}

/// The platform's dry run, as the dialog shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Preview {
    Loading,
    /// The merged dry-run answers: affected runs, what starts next, a
    /// rollback's plan.
    Ready(ActionAnswer),
    Failed(String),
}

impl Preview {
    pub fn answer(&self) -> Option<&ActionAnswer> {
        match self {
            Preview::Ready(a) => Some(a),
            _ => None,
        }
    }

    pub fn affected(&self) -> Option<&[String]> {
        self.answer().map(|a| a.affected_runs.as_slice())
    }
}

/// What a confirm dialog would do.
#[derive(Debug, Clone, PartialEq)]
pub enum What {
    Builtin(ActionKind),
    /// A custom action from the config, with the argv it would run.
    Custom {
        index: usize,
        name: String,
        vars: Vars,
        argv: Vec<String>,
    },
}

impl What {
    pub fn name(&self) -> String {
        match self {
            What::Builtin(k) => k.as_str().to_string(),
            What::Custom { name, .. } => name.clone(),
        }
    }
}

/// More to do with the same confirmation, offered when the dry run (or
/// what cordon has seen) shows that work will start as soon as the target
/// stops: the runs queued on a LangGraph thread, a workflow's queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NextOffer {
    /// What starts next, said plainly.
    pub warning: String,
    /// What `a` adds: "also stop the 2 queued runs".
    pub label: String,
    /// The actions it adds, sent before the main ones.
    pub actions: Vec<(String, ActionKind, Target)>,
    /// The commander chose to add them.
    pub on: bool,
}

/// The confirm dialog: what, on what, why, blast radius, undo.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub proposal: u64,
    pub what: What,
    /// (source, target): several when marked runs are stopped together.
    pub targets: Vec<(String, Target)>,
    pub reason: String,
    pub preview: Preview,
    pub(super) previews_pending: usize,
    pub typed: String,
    pub focus: ConfirmFocus,
    /// A refusal to confirm, said in the dialog.
    pub warning: Option<String>,
    /// What the commander knows about the target, from observed runs.
    pub context: String,
    /// What the platform's own version of the action does and does not
    /// undo (LangGraph's rollback, Temporal's cancel).
    pub note: Option<String>,
    /// Changes to the world this incident saw the target run make, for a
    /// rollback whose platform plans no reverts: they all stay.
    pub seen_writes: Vec<String>,
    /// What starts next, and the offer to stop or hold it too.
    pub next: Option<NextOffer>,
}

impl Confirm {
    pub fn new(
        proposal: u64,
        what: What,
        targets: Vec<(String, Target)>,
        reason: String,
        context: String,
    ) -> Confirm {
        Confirm {
            proposal,
            what,
            targets,
            reason,
            preview: Preview::Loading,
            previews_pending: 0,
            typed: String::new(),
            focus: ConfirmFocus::Cancel,
            warning: None,
            context,
            note: None,
            seen_writes: vec![],
            next: None,
        }
    }

    /// Global scope or 10+ affected runs must be typed out.
    pub fn needs_typing(&self) -> bool {
        let global = self.targets.iter().any(|(_, t)| t.is_global());
        let big = self.preview.affected().is_some_and(|a| a.len() >= 10);
        global || big || self.targets.len() >= 10
    }

    /// What may be typed: the target's name, or `yes`.
    pub fn confirm_word(&self) -> String {
        match self.targets.as_slice() {
            [(_, t)] => t.confirm_word(),
            _ => "yes".into(),
        }
    }

    pub fn typed_ok(&self) -> bool {
        let t = self.typed.trim();
        t == "yes" || t == self.confirm_word()
    }

    pub fn label(&self) -> String {
        match self.targets.as_slice() {
            [(s, t)] => format!("{} on {s}", t.label()),
            many => format!(
                "{} targets: {}",
                many.len(),
                many.iter()
                    .map(|(_, t)| t.confirm_word())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// A rollback whose plan reverts nothing: said, and not confirmable.
    pub fn nothing_to_roll_back(&self) -> bool {
        self.what == What::Builtin(ActionKind::RollbackRun)
            && matches!(&self.preview, Preview::Ready(a) if a.reverts.as_ref().is_some_and(|r| r.is_empty()))
    }

    fn focus_order(&self) -> Vec<ConfirmFocus> {
        let mut v = vec![
            ConfirmFocus::Cancel,
            ConfirmFocus::Confirm,
            ConfirmFocus::Reason,
        ];
        if self.needs_typing() {
            v.push(ConfirmFocus::Typed);
        }
        v
    }
}

/// What a key did to the dialog: the app acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stay,
    Cancel,
    /// Every check passed: journal the intents and send.
    Confirm,
}

impl Confirm {
    /// One key: focus moves, fields are typed, Enter on the action checks
    /// it may go. `journal_fault`: why nothing may be sent now.
    pub fn on_key(&mut self, k: KeyEvent, journal_fault: Option<&str>) -> Outcome {
        let order = self.focus_order();
        let pos = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        match k.code {
            KeyCode::Esc => return Outcome::Cancel,
            KeyCode::Tab => self.focus = order[(pos + 1) % order.len()],
            KeyCode::BackTab => self.focus = order[(pos + order.len() - 1) % order.len()],
            KeyCode::Left | KeyCode::Right
                if matches!(self.focus, ConfirmFocus::Cancel | ConfirmFocus::Confirm) =>
            {
                self.focus = if self.focus == ConfirmFocus::Cancel {
                    ConfirmFocus::Confirm
                } else {
                    ConfirmFocus::Cancel
                };
            }
            KeyCode::Enter => match self.focus {
                ConfirmFocus::Cancel => return Outcome::Cancel,
                ConfirmFocus::Reason | ConfirmFocus::Typed => self.focus = ConfirmFocus::Confirm,
                ConfirmFocus::Confirm => return self.try_confirm(journal_fault),
            },
            KeyCode::Backspace => match self.focus {
                ConfirmFocus::Reason => {
                    self.reason.pop();
                }
                ConfirmFocus::Typed => {
                    self.typed.pop();
                }
                _ => {}
            },
            // `a` on the buttons: also stop / hold what starts next.
            KeyCode::Char('a')
                if matches!(self.focus, ConfirmFocus::Cancel | ConfirmFocus::Confirm)
                    && self.next.is_some() =>
            {
                if let Some(n) = self.next.as_mut() {
                    n.on = !n.on;
                }
            }
            KeyCode::Char(ch) if !k.modifiers.contains(KeyModifiers::CONTROL) => match self.focus {
                ConfirmFocus::Reason if self.reason.chars().count() < 500 => self.reason.push(ch),
                ConfirmFocus::Typed if self.typed.chars().count() < 200 => self.typed.push(ch),
                _ => {}
            },
            _ => {}
        }
        Outcome::Stay
    }

    /// Enter on the action: confirmed, or a warning says what is missing.
    fn try_confirm(&mut self, journal_fault: Option<&str>) -> Outcome {
        if let Some(f) = journal_fault {
            self.warning = Some(format!("refused: {f}; nothing will be sent"));
        } else if self.nothing_to_roll_back() {
            self.warning = Some(
                "nothing to roll back: the platform's plan reverts no write (x stops a run)".into(),
            );
        } else if self.reason.trim().is_empty() {
            self.warning = Some("give a reason (Tab to the reason field)".into());
            self.focus = ConfirmFocus::Reason;
        } else if self.needs_typing() && !self.typed_ok() {
            self.warning = Some(match self.confirm_word().as_str() {
                "yes" => "type 'yes' to confirm this wide action".to_string(),
                w => format!("type '{w}' or 'yes' to confirm this wide action"),
            });
            self.focus = ConfirmFocus::Typed;
        } else {
            return Outcome::Confirm;
        }
        Outcome::Stay
    }
}

impl App {
    pub(super) fn on_confirm_key(
        &mut self,
        k: KeyEvent,
        mut c: Box<Confirm>,
        fx: &mut Vec<Effect>,
    ) {
        match c.on_key(k, self.journal_fault.as_deref()) {
            Outcome::Stay => self.mode = Mode::Confirm(c),
            Outcome::Cancel => self.flash = Some(format!("{} cancelled", c.what.name())),
            Outcome::Confirm => self.execute(*c, fx),
        }
    }
}
