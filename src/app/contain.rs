//! Containment in the app: keys → proposals (a confirm dialog that asks
//! the platform for the blast radius first), the Containment pane's rows,
//! inverses, pickers and custom actions. The dialog itself is in
//! `confirm.rs`, the action lifecycle in `actions.rs`.

use std::collections::BTreeSet;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::confirm::{Confirm, NextOffer, Preview, What};
use super::{App, Effect, Mode, Pane};
use crate::contain::custom::{Scope, Vars};
use crate::journal::Record;
use crate::model::{ActionKind, RunState, Target};

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

/// The offer to stop the runs that start next too (those not targeted
/// already).
fn stop_too(source: &str, next: &[String], targets: &[Target]) -> NextOffer {
    let ids: Vec<&str> = next
        .iter()
        .map(String::as_str)
        .filter(|r| !targets.iter().any(|t| t.run_id.as_deref() == Some(*r)))
        .collect();
    NextOffer {
        warning: format!(
            "{} run{} queued behind it will start as soon as it stops: {}",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" },
            shown(&ids)
        ),
        label: format!(
            "also stop the {} queued run{}",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" }
        ),
        actions: ids
            .iter()
            .map(|r| {
                (
                    source.to_string(),
                    ActionKind::StopRun,
                    Target {
                        run_id: Some(r.to_string()),
                        ..Target::default()
                    },
                )
            })
            .collect(),
        on: false,
    }
}

/// Up to six names, then a count.
fn shown(ids: &[&str]) -> String {
    let mut s = ids.iter().take(6).copied().collect::<Vec<_>>().join(", ");
    if ids.len() > 6 {
        s.push_str(&format!(" … +{}", ids.len() - 6));
    }
    s
}

/// Keys that act on the world. Not bound at all in read-only mode.
pub const DANGEROUS: &[char] = &['x', 'X', 'K', 'P', 'h', 'H', 't', 'c', 'b', 'B', 'u', 'R'];

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
        mut targets: Vec<(String, Target)>,
        fx: &mut Vec<Effect>,
    ) {
        if self.read_only {
            self.flash = Some("read-only: actions are refused (started with --read-only)".into());
            return;
        }
        if let Some(f) = &self.journal_fault {
            self.flash = Some(format!(
                "refused: {f}; cordon keeps watching, but acts only with its journal (free the disk, then restart it)"
            ));
            return;
        }
        // A stop of a run that has ended, or is already being stopped, is
        // not offered: it could only "confirm" what was already so.
        let mut left_out = Vec::new();
        if matches!(kind, ActionKind::StopRun | ActionKind::TerminateRun) {
            targets.retain(|(s, t)| match self.why_not_stop(s, t) {
                Some(why) => {
                    left_out.push(why);
                    false
                }
                None => true,
            });
        }
        if targets.is_empty() {
            self.flash = Some(match left_out.as_slice() {
                [] => "nothing selected to act on".into(),
                [one] => one.clone(),
                many => format!(
                    "{} runs have nothing to stop: {}",
                    many.len(),
                    many.join("; ")
                ),
            });
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
        if !left_out.is_empty() {
            context.push_str(&format!(
                " · left out, nothing to stop: {}",
                left_out.join("; ")
            ));
        }
        let note = self
            .sources
            .iter()
            .find(|s| s.name == targets[0].0)
            .and_then(|s| crate::model::platform_note(&s.kind, kind))
            .map(str::to_string);
        let seen_writes = match (kind, targets.as_slice()) {
            (ActionKind::RollbackRun, [(s, t)]) => self.writes_of(s, t.run_id.as_deref()),
            _ => vec![],
        };
        let mut c = Confirm::new(proposal, What::Builtin(kind), targets, reason, context);
        c.previews_pending = pending;
        c.note = note;
        c.seen_writes = seen_writes;
        c.next = self.next_offer(&c);
        self.mode = Mode::Confirm(Box::new(c));
    }

    /// Why `x` on this run would stop nothing: it has ended (as cordon
    /// last saw it), or a stop of it is already under way or done.
    fn why_not_stop(&self, source: &str, t: &Target) -> Option<String> {
        let id = t.run_id.as_deref()?;
        if let Some(r) = self.store.run_idx(source, id).map(|i| &self.store.runs[i])
            && matches!(
                r.state,
                RunState::Succeeded | RunState::Failed | RunState::Stopped
            )
        {
            return Some(format!(
                "run {id} already ended ({}): nothing to stop",
                r.state.as_str()
            ));
        }
        self.actions
            .iter()
            .rev()
            .find(|a| {
                a.req.source == source
                    && a.req.kind.on_run()
                    && a.req.target.run_id.as_deref() == Some(id)
                    && (!a.phase.is_final() || a.phase.is_verified_effect())
            })
            .map(|a| {
                format!(
                    "run {id}: {} {} is already {} ({})",
                    a.req.kind.as_str(),
                    a.req.id,
                    a.phase.label(),
                    a.detail
                )
            })
    }

    /// What the world saw a run change, for a rollback dialog: each
    /// world-changing event with its target.
    fn writes_of(&self, source: &str, run: Option<&str>) -> Vec<String> {
        let Some(ri) = run.and_then(|id| self.store.run_idx(source, id)) else {
            return vec![];
        };
        self.store
            .events_of_run(ri)
            .iter()
            .filter_map(|&e| self.store.events.get(e as usize))
            .map(|s| &s.event)
            .filter(|e| e.kind.is_world_change())
            .map(|e| {
                format!(
                    "{} {} {}",
                    e.id,
                    e.kind.as_str(),
                    e.target.as_deref().unwrap_or("")
                )
            })
            .collect()
    }

    /// What will start as soon as the target stops, and the offer to stop
    /// or hold it too: the runs the platform says are queued behind it (a
    /// LangGraph thread), else the queued runs of its workflow cordon has
    /// seen, whose queue is not held.
    pub(super) fn next_offer(&self, c: &Confirm) -> Option<NextOffer> {
        let What::Builtin(kind) = c.what else {
            return None;
        };
        let [(source, target)] = c.targets.as_slice() else {
            return self.next_offer_marked(c);
        };
        if !kind.on_run() {
            return None;
        }
        if let Some(a) = c.preview.answer()
            && !a.starts_next.is_empty()
        {
            return Some(stop_too(
                source,
                &a.starts_next,
                std::slice::from_ref(target),
            ));
        }
        let run = &self.store.runs[self.store.run_idx(source, target.run_id.as_deref()?)?];
        let queued: Vec<&str> = self
            .store
            .runs
            .iter()
            .filter(|r| {
                r.source == source
                    && r.workflow == run.workflow
                    && r.id != run.id
                    && r.state == RunState::Queued
            })
            .map(|r| r.id.as_str())
            .collect();
        let held = self
            .store
            .controls
            .get(source)
            .is_some_and(|c| c.queue_held(&run.workflow));
        if queued.is_empty() || held || self.offers(source, ActionKind::HoldQueue).is_err() {
            return None;
        }
        Some(NextOffer {
            warning: format!(
                "{} queued run{} of workflow {} will still start: {}",
                queued.len(),
                if queued.len() == 1 { "" } else { "s" },
                run.workflow,
                shown(&queued)
            ),
            label: format!("also hold workflow {}'s queue", run.workflow),
            actions: vec![(
                source.clone(),
                ActionKind::HoldQueue,
                Target {
                    workflow: Some(run.workflow.to_string()),
                    ..Target::default()
                },
            )],
            on: false,
        })
    }

    /// Marked runs stopped together, from one source: the runs queued
    /// behind them that are not marked themselves.
    fn next_offer_marked(&self, c: &Confirm) -> Option<NextOffer> {
        let a = c.preview.answer()?;
        let (source, _) = c.targets.first()?;
        if a.starts_next.is_empty() || c.targets.iter().any(|(s, _)| s != source) {
            return None;
        }
        let ts: Vec<Target> = c.targets.iter().map(|(_, t)| t.clone()).collect();
        Some(stop_too(source, &a.starts_next, &ts))
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
        if self.focus == Pane::Containment && matches!(c, 'R' | '[' | ']') {
            match c {
                'R' => self.staged_restart_key(fx),
                c => self.restart_window_key(c == ']', fx),
            }
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

    pub(super) fn propose_inverse(&mut self, fx: &mut Vec<Effect>) {
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
        let mut c = Confirm::new(
            self.next_proposal,
            What::Custom {
                index,
                name: a.name.clone(),
                vars,
                argv,
            },
            vec![(source.to_string(), target)],
            reason,
            format!("custom action, scope {:?}", a.scope).to_lowercase(),
        );
        c.preview = Preview::Failed("custom action: no dry run; check the command below".into());
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
