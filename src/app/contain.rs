//! Containment in the app: keys → confirm dialog (defaults to Cancel, shows
//! the platform's dry-run blast radius) → journaled intent → execute effect;
//! then the executor's reports move each action to confirmed or not.

use std::collections::BTreeSet;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, Mode, Pane};
use crate::contain::ActionMsg;
use crate::contain::custom::{Scope, Vars};
use crate::journal::Record;
use crate::model::{ActionAnswer, ActionKind, ActionPhase, ActionRequest, Target, Time};

/// An action as the Containment pane shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionState {
    pub req: ActionRequest,
    pub phase: ActionPhase,
    /// When the commander confirmed it.
    pub at_key: Time,
    pub sent_at: Option<Time>,
    pub answered_at: Option<Time>,
    pub verified_at: Option<Time>,
    pub attempts: u32,
    pub answer: Option<ActionAnswer>,
    pub detail: String,
    pub preview: Option<Vec<String>>,
}

impl ActionState {
    pub fn secs(&self, t: Option<Time>) -> Option<f64> {
        t.map(|t| (t - self.at_key).num_milliseconds() as f64 / 1000.0)
    }
}

/// Which part of the confirm dialog has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmFocus {
    Cancel,
    Confirm,
    Reason,
    Typed,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Preview {
    Loading,
    Ready(Vec<String>),
    Failed(String),
}

/// The confirm dialog: what, on what, why, blast radius, undo.
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

#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub proposal: u64,
    pub what: What,
    /// (source, target): several when marked runs are stopped together.
    pub targets: Vec<(String, Target)>,
    pub reason: String,
    pub preview: Preview,
    previews_pending: usize,
    pub typed: String,
    pub focus: ConfirmFocus,
    /// A refusal to confirm, said in the dialog.
    pub warning: Option<String>,
    /// What the commander knows about the target, from observed runs.
    pub context: String,
}

impl Confirm {
    /// Global scope or 10+ affected runs must be typed out.
    pub fn needs_typing(&self) -> bool {
        let global = self.targets.iter().any(|(_, t)| t.is_global());
        let big = matches!(&self.preview, Preview::Ready(a) if a.len() >= 10);
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

/// Choose one of a run's tools or credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    pub kind: ActionKind,
    pub source: String,
    pub agent_class: String,
    pub items: Vec<String>,
    pub sel: usize,
}

/// A row of the Containment pane.
#[derive(Debug, Clone, PartialEq)]
pub enum ContainRow {
    /// A control in force: its source, the kind that set it, the target.
    Control {
        source: String,
        kind: ActionKind,
        target: Target,
    },
    Action(usize),
}

/// Keys that act on the world. Not bound at all in read-only mode.
pub const DANGEROUS: &[char] = &['x', 'X', 'K', 'P', 'h', 'H', 't', 'c', 'b', 'B', 'u'];

impl App {
    /// The run the containment keys act on: the selected run, or in the
    /// Timeline the run of the selected event.
    pub fn context_run(&self) -> Option<usize> {
        if let Some(r) = self.inspected {
            return Some(r);
        }
        match self.focus {
            Pane::Timeline => self
                .timeline
                .selected_event()
                .and_then(|e| self.store.run_of_event(e)),
            _ => self.selected_run(),
        }
    }

    fn offers(&self, source: &str, kind: ActionKind) -> Result<(), String> {
        let Some(s) = self.sources.iter().find(|s| s.name == source) else {
            return Err(format!("source {source} is not configured in this session"));
        };
        if s.offered.is_empty() {
            // Every adapter says what it offers with its first answer:
            // after one, nothing offered means it only observes.
            return Err(if s.health.last_ok.is_some() {
                format!(
                    "{source} only observes and offers no containment: stop the run on its platform, or use a custom action"
                )
            } else {
                format!("{source} has not said what it can do yet (wait for its first poll)")
            });
        }
        if !s.offered.contains(&kind) {
            return Err(format!("{source} does not offer {}", kind.as_str()));
        }
        Ok(())
    }

    fn default_reason(&self, kind: ActionKind, target: &Target) -> String {
        format!("{}: {} {}", self.incident_id, kind.as_str(), target.label())
    }

    /// One line about what the targets are, from what cordon has observed.
    fn describe_scope(&self, targets: &[(String, Target)]) -> String {
        if targets.len() > 1 {
            return format!("{} marked runs", targets.len());
        }
        let Some((source, t)) = targets.first() else {
            return String::new();
        };
        let runs = self
            .store
            .runs
            .iter()
            .filter(|r| r.source == source && r.state.is_active());
        if let Some(id) = &t.run_id {
            return match self.store.run_idx(source, id).map(|i| &self.store.runs[i]) {
                Some(r) => format!(
                    "{} ({}) · workflow {} · {}",
                    r.agent,
                    r.agent_class,
                    r.workflow,
                    r.state.as_str()
                ),
                None => "a run not seen by this console".into(),
            };
        }
        if t.is_global() {
            return format!("EVERYTHING on {source}: {} active runs", runs.count());
        }
        let n = runs
            .filter(|r| {
                t.workflow.as_deref().is_none_or(|w| r.workflow == w)
                    && t.agent_class.as_deref().is_none_or(|c| r.agent_class == c)
                    && t.tool
                        .as_deref()
                        .is_none_or(|x| r.tools.iter().any(|y| y == x))
                    && t.credential
                        .as_deref()
                        .is_none_or(|x| r.credentials.iter().any(|y| y == x))
            })
            .count();
        format!("{n} active run{} seen here", if n == 1 { "" } else { "s" })
    }

    /// Open the confirm dialog (and ask for the dry run).
    pub fn propose(
        &mut self,
        kind: ActionKind,
        targets: Vec<(String, Target)>,
        fx: &mut Vec<Effect>,
    ) {
        if self.read_only {
            self.flash = Some("read-only: actions are refused (started with --read-only)".into());
            return;
        }
        if targets.is_empty() {
            self.flash = Some("nothing selected to act on".into());
            return;
        }
        for (s, _) in &targets {
            if let Err(e) = self.offers(s, kind) {
                self.flash = Some(e);
                return;
            }
        }
        self.next_proposal += 1;
        let proposal = self.next_proposal;
        let mut by_source: Vec<(String, Vec<Target>)> = Vec::new();
        for (s, t) in &targets {
            match by_source.iter_mut().find(|(n, _)| n == s) {
                Some((_, v)) => v.push(t.clone()),
                None => by_source.push((s.clone(), vec![t.clone()])),
            }
        }
        let pending = by_source.len();
        for (source, ts) in by_source {
            fx.push(Effect::Preview {
                proposal,
                source,
                kind,
                targets: ts,
            });
        }
        let reason = self.default_reason(kind, &targets[0].1);
        let mut context = self.describe_scope(&targets);
        if kind == ActionKind::HoldQueue {
            // The blast radius lists queued work only; say what it spares.
            context.push_str(": these keep running (a hold stops only queued work)");
        }
        self.mode = Mode::Confirm(Box::new(Confirm {
            context,
            proposal,
            what: What::Builtin(kind),
            targets,
            reason,
            preview: Preview::Loading,
            previews_pending: pending,
            typed: String::new(),
            focus: ConfirmFocus::Cancel,
            warning: None,
        }));
    }

    /// Containment keys in normal mode; returns false if not one of them.
    pub(super) fn on_contain_key(&mut self, k: KeyEvent, fx: &mut Vec<Effect>) -> bool {
        let KeyCode::Char(c) = k.code else {
            return false;
        };
        if k.modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return false;
        }
        // Containment keys act on runs: Runs, Timeline and Containment only.
        if self.inspected.is_none()
            && !matches!(self.focus, Pane::Runs | Pane::Timeline | Pane::Containment)
        {
            return false;
        }
        if self.read_only
            && (DANGEROUS.contains(&c) || self.custom_for_key(c).is_some_and(|a| a.dangerous))
        {
            // Not bound at all in read-only mode.
            return false;
        }
        if c == ' ' && self.focus == Pane::Runs {
            if let Some(r) = self.selected_run()
                && !self.marked.remove(&r)
            {
                self.marked.insert(r);
            }
            self.move_sel_public(1);
            return true;
        }
        if self.focus == Pane::Containment && matches!(c, 'u') {
            self.propose_inverse(fx);
            return true;
        }
        if let Some(i) = self.custom_actions.iter().position(|a| a.key == c) {
            self.propose_custom(i, fx);
            return true;
        }
        let Some(ri) = self.context_run() else {
            if DANGEROUS.contains(&c) {
                self.flash = Some("select a run first".into());
                return true;
            }
            return false;
        };
        let run = self.store.runs[ri].clone();
        let src = run.source.clone();
        let t = |f: fn(&mut Target)| {
            let mut t = Target::default();
            f(&mut t);
            t
        };
        match c {
            'x' => {
                let targets: Vec<(String, Target)> = if self.marked.is_empty() {
                    vec![(
                        src.to_string(),
                        Target {
                            run_id: Some(run.id.to_string()),
                            ..t(|_| {})
                        },
                    )]
                } else {
                    self.marked
                        .iter()
                        .map(|&m| {
                            let r = &self.store.runs[m];
                            (
                                r.source.to_string(),
                                Target {
                                    run_id: Some(r.id.to_string()),
                                    ..Target::default()
                                },
                            )
                        })
                        .collect()
                };
                self.propose(ActionKind::StopRun, targets, fx);
            }
            'X' => self.propose(
                ActionKind::RollbackRun,
                vec![(
                    src.to_string(),
                    Target {
                        run_id: Some(run.id.to_string()),
                        ..Target::default()
                    },
                )],
                fx,
            ),
            'K' => self.propose(
                ActionKind::TerminateRun,
                vec![(
                    src.to_string(),
                    Target {
                        run_id: Some(run.id.to_string()),
                        ..Target::default()
                    },
                )],
                fx,
            ),
            'P' => self.propose(
                ActionKind::PauseWorkflow,
                vec![(
                    src.to_string(),
                    Target {
                        workflow: Some(run.workflow.to_string()),
                        ..Target::default()
                    },
                )],
                fx,
            ),
            'h' => self.propose(
                ActionKind::HoldQueue,
                vec![(
                    src.to_string(),
                    Target {
                        workflow: Some(run.workflow.to_string()),
                        ..Target::default()
                    },
                )],
                fx,
            ),
            'H' => self.propose(
                ActionKind::HoldQueue,
                vec![(src.to_string(), Target::default())],
                fx,
            ),
            'b' => self.propose(
                ActionKind::BlockOutbound,
                vec![(
                    src.to_string(),
                    Target {
                        agent_class: Some(run.agent_class.to_string()),
                        ..Target::default()
                    },
                )],
                fx,
            ),
            'B' => self.propose(
                ActionKind::BlockOutbound,
                vec![(src.to_string(), Target::default())],
                fx,
            ),
            't' | 'c' => {
                let (kind, items) = if c == 't' {
                    (ActionKind::RevokeTool, &run.tools)
                } else {
                    (ActionKind::RevokeCredential, &run.credentials)
                };
                let items: Vec<String> = items.iter().map(|t| t.to_string()).collect();
                if items.is_empty() {
                    self.flash = Some(format!(
                        "run {} lists no {}",
                        run.id,
                        if c == 't' { "tools" } else { "credentials" }
                    ));
                } else if let Err(e) = self.offers(&src, kind) {
                    self.flash = Some(e);
                } else {
                    self.mode = Mode::Pick(Picker {
                        kind,
                        source: src.to_string(),
                        agent_class: run.agent_class.to_string(),
                        items,
                        sel: 0,
                    });
                }
            }
            'u' => self.propose_inverse_for_run(ri, fx),
            _ => return false,
        }
        true
    }

    /// Rows of the Containment pane: controls in force, then actions newest
    /// first.
    pub fn contain_rows(&self) -> Vec<ContainRow> {
        let mut rows = Vec::new();
        let mut sources: Vec<&String> = self.store.controls.keys().collect();
        sources.sort();
        for s in sources {
            let c = &self.store.controls[s];
            let mut push = |kind: ActionKind, target: Target| {
                rows.push(ContainRow::Control {
                    source: s.clone(),
                    kind,
                    target,
                })
            };
            let star = |v: &String| (v != "*").then(|| v.clone());
            for v in &c.outbound_blocked {
                push(
                    ActionKind::BlockOutbound,
                    Target {
                        agent_class: star(v),
                        ..Target::default()
                    },
                );
            }
            for v in &c.paused_workflows {
                push(
                    ActionKind::PauseWorkflow,
                    Target {
                        workflow: Some(v.clone()),
                        ..Target::default()
                    },
                );
            }
            for v in &c.held_queues {
                push(
                    ActionKind::HoldQueue,
                    Target {
                        workflow: star(v),
                        ..Target::default()
                    },
                );
            }
            for v in &c.revoked_tools {
                push(
                    ActionKind::RevokeTool,
                    Target {
                        agent_class: Some(v.agent_class.clone()),
                        tool: Some(v.tool.clone()),
                        ..Target::default()
                    },
                );
            }
            for v in &c.revoked_credentials {
                push(
                    ActionKind::RevokeCredential,
                    Target {
                        credential: Some(v.clone()),
                        ..Target::default()
                    },
                );
            }
        }
        rows.extend((0..self.actions.len()).rev().map(ContainRow::Action));
        let f = &self.contain_filter;
        if !f.is_empty() {
            rows.retain(|r| {
                let text = match r {
                    ContainRow::Control {
                        source,
                        kind,
                        target,
                    } => format!(
                        "{} {} {} {source}",
                        kind.as_str(),
                        kind.verb(),
                        target.label()
                    ),
                    ContainRow::Action(i) => {
                        let a = &self.actions[*i];
                        format!(
                            "{} {} {} {} {}",
                            a.req.kind.as_str(),
                            a.req.target.label(),
                            a.phase.label(),
                            a.req.source,
                            a.detail
                        )
                    }
                };
                super::views::contains_ci(&text, f)
            });
        }
        rows
    }

    fn propose_inverse(&mut self, fx: &mut Vec<Effect>) {
        let rows = self.contain_rows();
        let (source, kind, target) = match rows.get(self.contain_sel) {
            Some(ContainRow::Control {
                source,
                kind,
                target,
            }) => (source.clone(), *kind, target.clone()),
            Some(ContainRow::Action(i)) => {
                let a = &self.actions[*i];
                (a.req.source.clone(), a.req.kind, a.req.target.clone())
            }
            None => {
                self.flash = Some("nothing selected".into());
                return;
            }
        };
        match kind.inverse() {
            Some(inv) => self.propose(inv, vec![(source, target)], fx),
            None => {
                self.flash = Some(format!(
                    "{} has no inverse ({})",
                    kind.as_str(),
                    kind.undo_note()
                ))
            }
        }
    }

    /// `u` on a run: undo the control in force that holds it back.
    fn propose_inverse_for_run(&mut self, ri: usize, fx: &mut Vec<Effect>) {
        let run = &self.store.runs[ri];
        let rows = self.contain_rows();
        let hit = rows.into_iter().find_map(|r| match r {
            ContainRow::Control {
                source,
                kind,
                target,
            } if source == run.source => {
                let applies = match kind {
                    ActionKind::PauseWorkflow | ActionKind::HoldQueue => {
                        target.workflow.as_deref().is_none_or(|w| w == run.workflow)
                    }
                    ActionKind::BlockOutbound => target
                        .agent_class
                        .as_deref()
                        .is_none_or(|c| c == run.agent_class),
                    ActionKind::RevokeTool => {
                        target.agent_class.as_deref() == Some(&run.agent_class)
                    }
                    _ => false,
                };
                applies.then_some((source, kind, target))
            }
            _ => None,
        });
        match hit.and_then(|(s, k, t)| k.inverse().map(|inv| (s, inv, t))) {
            Some((s, inv, t)) => self.propose(inv, vec![(s, t)], fx),
            None => self.flash = Some(format!("no control in force holds run {} back", run.id)),
        }
    }

    pub(super) fn on_pick_key(&mut self, k: KeyEvent, mut p: Picker, fx: &mut Vec<Effect>) {
        match k.code {
            KeyCode::Esc | KeyCode::Char('q') => self.mode = Mode::Normal,
            KeyCode::Char('j') | KeyCode::Down => {
                p.sel = (p.sel + 1).min(p.items.len().saturating_sub(1));
                self.mode = Mode::Pick(p);
            }
            KeyCode::Char('k') | KeyCode::Up => {
                p.sel = p.sel.saturating_sub(1);
                self.mode = Mode::Pick(p);
            }
            KeyCode::Enter => {
                self.mode = Mode::Normal;
                let item = p.items.get(p.sel).cloned().unwrap_or_default();
                let target = if p.kind == ActionKind::RevokeTool {
                    Target {
                        agent_class: Some(p.agent_class),
                        tool: Some(item),
                        ..Target::default()
                    }
                } else {
                    Target {
                        credential: Some(item),
                        ..Target::default()
                    }
                };
                self.propose(p.kind, vec![(p.source, target)], fx);
            }
            _ => self.mode = Mode::Pick(p),
        }
    }

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
                    if c.reason.trim().is_empty() {
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
            KeyCode::Char(ch) if !k.modifiers.contains(KeyModifiers::CONTROL) => match c.focus {
                ConfirmFocus::Reason if c.reason.chars().count() < 500 => c.reason.push(ch),
                ConfirmFocus::Typed if c.typed.chars().count() < 200 => c.typed.push(ch),
                _ => {}
            },
            _ => {}
        }
        self.mode = Mode::Confirm(c);
    }

    /// Journal each intent, then ask for it to be sent.
    fn execute(&mut self, c: Confirm, fx: &mut Vec<Effect>) {
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
        let preview = match &c.preview {
            Preview::Ready(a) => Some(a.clone()),
            _ => None,
        };
        let actor = match &self.operator.ssh_client {
            Some(ip) => format!("{} (ssh from {ip})", self.operator.label()),
            None => self.operator.label(),
        };
        for (source, target) in c.targets {
            self.action_seq += 1;
            let key = self.new_key();
            let req = ActionRequest {
                id: format!("A{}-{}", self.action_seq, &key[..8]),
                source,
                kind,
                target,
                reason: crate::sanitize::line(&c.reason, 500),
                key,
                actor: actor.clone(),
            };
            self.record(
                Record::ActionIntent {
                    request: req.clone(),
                    operator: self.operator.clone(),
                    preview: preview.clone(),
                    at: self.now,
                },
                fx,
            );
            fx.push(Effect::Execute(req));
        }
        if kind == ActionKind::StopRun {
            self.marked.clear();
        }
        self.flash = Some(format!(
            "{} sent; watch it in Containment (4)",
            kind.as_str()
        ));
    }

    /// Executor reports.
    pub(super) fn on_action_msg(&mut self, m: ActionMsg, at: Time, fx: &mut Vec<Effect>) {
        match m {
            ActionMsg::Preview { proposal, result } => {
                if let Mode::Confirm(c) = &mut self.mode
                    && c.proposal == proposal
                {
                    c.previews_pending = c.previews_pending.saturating_sub(1);
                    c.preview = match (result, std::mem::replace(&mut c.preview, Preview::Loading))
                    {
                        (Err(e), _) => Preview::Failed(e),
                        (Ok(_), Preview::Failed(e)) => Preview::Failed(e),
                        (Ok(mut a), Preview::Ready(mut prev)) => {
                            prev.append(&mut a);
                            Preview::Ready(prev)
                        }
                        (Ok(a), Preview::Loading) => Preview::Ready(a),
                    };
                    if c.previews_pending > 0 && matches!(c.preview, Preview::Ready(_)) {
                        // Still waiting on another source; keep the partial list.
                    }
                }
            }
            ActionMsg::Retrying { id, error, .. } => {
                if let Some(&i) = self.action_index.get(&id) {
                    self.actions[i].detail = error;
                    self.dirty = true;
                }
            }
            m => {
                if let Some(r) = crate::contain::exec::record_of(m, at) {
                    self.record(r, fx);
                }
            }
        }
    }

    /// Apply an action record (live or replayed).
    pub(super) fn apply_action(&mut self, r: &Record) {
        match r {
            Record::ActionIntent {
                request,
                preview,
                at,
                ..
            } => {
                self.action_index
                    .insert(request.id.clone(), self.actions.len());
                self.actions.push(ActionState {
                    req: request.clone(),
                    phase: ActionPhase::Intent,
                    at_key: *at,
                    sent_at: None,
                    answered_at: None,
                    verified_at: None,
                    attempts: 0,
                    answer: None,
                    detail: String::new(),
                    preview: preview.clone(),
                });
                if let Some(n) = request
                    .id
                    .strip_prefix('A')
                    .and_then(|s| s.split('-').next())
                    .and_then(|s| s.parse().ok())
                {
                    self.action_seq = self.action_seq.max(n);
                }
            }
            Record::ActionSent { id, at } => {
                if let Some(&i) = self.action_index.get(id) {
                    let a = &mut self.actions[i];
                    a.sent_at = Some(*at);
                    if a.phase == ActionPhase::Intent {
                        a.phase = ActionPhase::Sent;
                    }
                }
            }
            Record::ActionResult {
                id,
                accepted,
                status,
                answer,
                error,
                attempts,
                at,
            } => {
                if let Some(&i) = self.action_index.get(id) {
                    let a = &mut self.actions[i];
                    a.answered_at = Some(*at);
                    a.attempts = *attempts;
                    a.answer = answer.clone();
                    a.phase = if *accepted {
                        ActionPhase::Accepted
                    } else if status.is_some() || answer.is_some() {
                        ActionPhase::Refused
                    } else {
                        ActionPhase::Failed
                    };
                    a.detail = match (error, answer) {
                        (Some(e), _) => e.clone(),
                        (None, Some(ans)) => ans.message.clone(),
                        _ => String::new(),
                    };
                }
            }
            Record::ActionVerified {
                id,
                confirmed,
                detail,
                at,
            } => {
                if let Some(&i) = self.action_index.get(id) {
                    let a = &mut self.actions[i];
                    a.verified_at = Some(*at);
                    a.phase = if *confirmed {
                        ActionPhase::Confirmed
                    } else {
                        ActionPhase::Unconfirmed
                    };
                    a.detail = detail.clone();
                    let (run, line) = (
                        a.req.target.run_id.clone().unwrap_or_else(|| "-".into()),
                        format!(
                            "{} {}: {} ({detail})",
                            a.req.kind.as_str(),
                            a.req.target.label(),
                            a.phase.label()
                        ),
                    );
                    let (source, kind, target) =
                        (a.req.source.clone(), a.req.kind, a.req.target.clone());
                    self.push_synthetic(&run, crate::model::EventKind::Containment, line, *at);
                    // The "in force" list shows a confirmed effect now (for
                    // sources that report their controls), not a poll later.
                    if *confirmed && let Some(c) = self.store.controls.get_mut(&source) {
                        c.apply_confirmed(kind, &target);
                    }
                }
            }
            _ => {}
        }
        // The commander's intent shows in the timeline too.
        if let Record::ActionIntent { request, at, .. } = r {
            let run = request.target.run_id.clone().unwrap_or_else(|| "-".into());
            let line = format!(
                "{}: {} {} — {}",
                request.actor,
                request.kind.as_str(),
                request.target.label(),
                request.reason
            );
            self.push_synthetic(&run, crate::model::EventKind::HumanIntervention, line, *at);
        }
    }

    /// A fresh idempotency key: random, or from a counter when tests and
    /// drills fix `key_seed` (randomness is injected like time).
    pub fn new_key(&mut self) -> String {
        match &mut self.key_seed {
            Some(n) => {
                *n += 1;
                uuid::Uuid::from_u128(*n as u128).to_string()
            }
            None => uuid::Uuid::new_v4().to_string(),
        }
    }

    pub fn custom_for_key(&self, c: char) -> Option<&crate::contain::custom::CustomAction> {
        self.custom_actions.iter().find(|a| a.key == c)
    }

    /// A custom action on the context run (or globally).
    fn propose_custom(&mut self, index: usize, fx: &mut Vec<Effect>) {
        let a = self.custom_actions[index].clone();
        if self.read_only && a.dangerous {
            return;
        }
        let run = self.context_run().map(|r| self.store.runs[r].clone());
        if a.scope != Scope::Global && run.is_none() {
            self.flash = Some(format!("{}: select a run first", a.name));
            return;
        }
        let vars = Vars {
            run_id: run
                .as_ref()
                .map(|r| r.id.clone())
                .unwrap_or_default()
                .to_string(),
            workflow: run
                .as_ref()
                .map(|r| r.workflow.clone())
                .unwrap_or_default()
                .to_string(),
            agent_class: run
                .as_ref()
                .map(|r| r.agent_class.clone())
                .unwrap_or_default()
                .to_string(),
            reason: String::new(),
        };
        let target = match a.scope {
            Scope::Run => Target {
                run_id: Some(vars.run_id.clone()),
                ..Target::default()
            },
            Scope::Workflow => Target {
                workflow: Some(vars.workflow.clone()),
                ..Target::default()
            },
            Scope::AgentClass => Target {
                agent_class: Some(vars.agent_class.clone()),
                ..Target::default()
            },
            Scope::Global => Target::default(),
        };
        let reason = format!("{}: {} {}", self.incident_id, a.name, target.confirm_word());
        let argv = a.argv(&Vars {
            reason: reason.clone(),
            ..vars.clone()
        });
        let source = run.map(|r| r.source).unwrap_or_else(|| "local".into());
        self.next_proposal += 1;
        let c = Confirm {
            proposal: self.next_proposal,
            what: What::Custom {
                index,
                name: a.name.clone(),
                vars,
                argv,
            },
            targets: vec![(source.to_string(), target)],
            reason,
            preview: Preview::Failed("custom action: no dry run; check the command below".into()),
            previews_pending: 0,
            typed: String::new(),
            focus: ConfirmFocus::Cancel,
            warning: None,
            context: format!("custom action, scope {:?}", a.scope).to_lowercase(),
        };
        if a.confirm {
            self.mode = Mode::Confirm(Box::new(c));
        } else {
            self.execute(c, fx);
        }
    }

    /// A custom action finished: journal what it did.
    pub(super) fn on_custom_done(&mut self, d: super::CustomDone, fx: &mut Vec<Effect>) {
        let super::CustomDone {
            id,
            index,
            vars,
            exit,
            output,
            at,
        } = d;
        let Some(a) = self.custom_actions.get(index).cloned() else {
            return;
        };
        let argv = a.argv(&vars);
        self.flash = Some(match exit {
            Some(0) => format!("{} finished (exit 0)", a.name),
            Some(n) => format!(
                "{} FAILED (exit {n}): {}",
                a.name,
                output.lines().next().unwrap_or("")
            ),
            None => format!("{} FAILED: {}", a.name, output.lines().next().unwrap_or("")),
        });
        self.record(
            Record::CustomAction {
                id,
                name: a.name,
                argv,
                operator: self.operator.clone(),
                reason: vars.reason,
                exit,
                output,
                at,
            },
            fx,
        );
    }

    pub fn marked_ids(&self) -> BTreeSet<String> {
        self.marked
            .iter()
            .map(|&i| self.store.runs[i].id.to_string())
            .collect()
    }
}
