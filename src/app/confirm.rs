//! The confirm dialog as a state machine: what, on what, why, the
//! platform's dry-run blast radius (and, for a rollback, what it will and
//! will not revert), defaulting to Cancel; Enter on the action journals
//! each intent, then asks for it to be sent.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, Mode};
use crate::contain::custom::Vars;
use crate::journal::Record;
use crate::model::{ActionAnswer, ActionKind, ActionRequest, Target};

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

impl App {
    pub(super) fn on_confirm_key(
        &mut self,
        k: KeyEvent,
        mut c: Box<Confirm>,
        fx: &mut Vec<Effect>,
    ) {
        let order = c.focus_order();
        let pos = order.iter().position(|f| *f == c.focus).unwrap_or(0);
        match k.code {
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                self.flash = Some(format!("{} cancelled", c.what.name()));
                return;
            }
            KeyCode::Tab => c.focus = order[(pos + 1) % order.len()],
            KeyCode::BackTab => c.focus = order[(pos + order.len() - 1) % order.len()],
            KeyCode::Left | KeyCode::Right
                if matches!(c.focus, ConfirmFocus::Cancel | ConfirmFocus::Confirm) =>
            {
                c.focus = if c.focus == ConfirmFocus::Cancel {
                    ConfirmFocus::Confirm
                } else {
                    ConfirmFocus::Cancel
                };
            }
            KeyCode::Enter => match c.focus {
                ConfirmFocus::Cancel => {
                    self.mode = Mode::Normal;
                    self.flash = Some(format!("{} cancelled", c.what.name()));
                    return;
                }
                ConfirmFocus::Reason | ConfirmFocus::Typed => c.focus = ConfirmFocus::Confirm,
                ConfirmFocus::Confirm => {
                    if let Some(f) = &self.journal_fault {
                        c.warning = Some(format!("refused: {f}; nothing will be sent"));
                    } else if c.nothing_to_roll_back() {
                        c.warning = Some(
                            "nothing to roll back: the platform's plan reverts no write (x stops a run)"
                                .into(),
                        );
                    } else if c.reason.trim().is_empty() {
                        c.warning = Some("give a reason (Tab to the reason field)".into());
                        c.focus = ConfirmFocus::Reason;
                    } else if c.needs_typing() && !c.typed_ok() {
                        c.warning = Some(match c.confirm_word().as_str() {
                            "yes" => "type 'yes' to confirm this wide action".to_string(),
                            w => format!("type '{w}' or 'yes' to confirm this wide action"),
                        });
                        c.focus = ConfirmFocus::Typed;
                    } else {
                        self.mode = Mode::Normal;
                        self.execute(*c, fx);
                        return;
                    }
                }
            },
            KeyCode::Backspace => match c.focus {
                ConfirmFocus::Reason => {
                    c.reason.pop();
                }
                ConfirmFocus::Typed => {
                    c.typed.pop();
                }
                _ => {}
            },
            // `a` on the buttons: also stop / hold what starts next.
            KeyCode::Char('a')
                if matches!(c.focus, ConfirmFocus::Cancel | ConfirmFocus::Confirm)
                    && c.next.is_some() =>
            {
                if let Some(n) = c.next.as_mut() {
                    n.on = !n.on;
                }
            }
            KeyCode::Char(ch) if !k.modifiers.contains(KeyModifiers::CONTROL) => match c.focus {
                ConfirmFocus::Reason if c.reason.chars().count() < 500 => c.reason.push(ch),
                ConfirmFocus::Typed if c.typed.chars().count() < 200 => c.typed.push(ch),
                _ => {}
            },
            _ => {}
        }
        self.mode = Mode::Confirm(c);
    }

    /// Journal each intent, then ask for it to be sent: first what the
    /// commander added from what starts next, then the action itself.
    pub(super) fn execute(&mut self, c: Confirm, fx: &mut Vec<Effect>) {
        let kind = match c.what {
            What::Builtin(k) => k,
            What::Custom {
                index,
                name,
                vars,
                argv,
            } => {
                self.action_seq += 1;
                let key = self.new_key();
                let id = format!("C{}-{}", self.action_seq, &key[..8]);
                self.flash = Some(format!("{name} running: {}", argv.join(" ")));
                fx.push(Effect::RunCustom {
                    id,
                    index,
                    vars: Vars {
                        reason: crate::sanitize::line(&c.reason, 500),
                        ..vars
                    },
                });
                return;
            }
        };
        let dry_run = match &c.preview {
            Preview::Ready(a) => Some(a.clone()),
            _ => None,
        };
        let reason = crate::sanitize::line(&c.reason, 500);
        let mut all: Vec<(String, ActionKind, Target)> = c
            .next
            .filter(|n| n.on)
            .map(|n| n.actions)
            .unwrap_or_default();
        all.extend(c.targets.into_iter().map(|(s, t)| (s, kind, t)));
        for (source, k, target) in all {
            let main = k == kind;
            let note = self
                .sources
                .iter()
                .find(|s| s.name == source)
                .and_then(|s| crate::model::platform_note(&s.kind, k))
                .map(str::to_string);
            self.send_one(
                source,
                k,
                target,
                reason.clone(),
                main.then(|| dry_run.clone()).flatten(),
                note,
                fx,
            );
        }
        if kind == ActionKind::StopRun {
            self.marked.clear();
        }
        self.flash = Some(format!(
            "{} sent; watch it in Containment (4)",
            kind.as_str()
        ));
    }

    /// One action: its intent journaled (fsync'd by the executor before
    /// anything leaves), then the effect that sends it.
    #[allow(clippy::too_many_arguments)]
    fn send_one(
        &mut self,
        source: String,
        kind: ActionKind,
        target: Target,
        reason: String,
        dry_run: Option<ActionAnswer>,
        note: Option<String>,
        fx: &mut Vec<Effect>,
    ) -> String {
        let actor = self.operator.actor();
        self.action_seq += 1;
        let key = self.new_key();
        let req = ActionRequest {
            id: format!("A{}-{}", self.action_seq, &key[..8]),
            source,
            kind,
            target,
            reason,
            key,
            actor,
        };
        self.record(
            Record::ActionIntent {
                request: req.clone(),
                operator: self.operator.clone(),
                preview: dry_run.as_ref().map(|a| a.affected_runs.clone()),
                at: self.now,
                dry_run: dry_run.clone().map(Box::new),
                note,
            },
            fx,
        );
        let id = req.id.clone();
        self.restart_on_sent(req.kind, &req.target, &id, fx);
        fx.push(Effect::Execute(req, dry_run.map(Box::new)));
        id
    }

    /// An action cordon sends on its own (a staged restart's automatic
    /// re-containment): the same path, intent journaled before it leaves.
    pub(super) fn send_one_now(
        &mut self,
        source: String,
        kind: ActionKind,
        target: Target,
        reason: String,
        fx: &mut Vec<Effect>,
    ) -> String {
        let note = self
            .sources
            .iter()
            .find(|s| s.name == source)
            .and_then(|s| crate::model::platform_note(&s.kind, kind))
            .map(str::to_string);
        self.send_one(source, kind, target, reason, None, note, fx)
    }
}
