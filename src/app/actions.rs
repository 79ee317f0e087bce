//! The action lifecycle: the executor's reports (and replayed journal
//! records) move each action from intent to its outcome; after a restart,
//! every action without one is reconciled, never re-sent; a confirmed
//! rollback marks exactly the writes it reverted as repaired.

use super::{App, Effect, Mode};
use crate::contain::ActionMsg;
use crate::contain::exec::merge;
use crate::journal::{IncidentChange, Record};
use crate::model::incident::Repair;
use crate::model::{ActionAnswer, ActionKind, ActionPhase, ActionRequest, Time};

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
    /// The dry run's answer as the dialog showed it (a rollback's plan).
    pub dry_run: Option<ActionAnswer>,
    /// What the platform's version of the action does and does not undo.
    pub note: Option<String>,
    /// How the answer to the request was lost, when it was.
    pub lost: Option<String>,
    /// Writes a rollback's re-read showed reverted.
    pub reverted: Vec<String>,
}

impl ActionState {
    pub fn secs(&self, t: Option<Time>) -> Option<f64> {
        t.map(|t| (t - self.at_key).num_milliseconds() as f64 / 1000.0)
    }

    /// A fresh read of the same object proved the effect. Reports count
    /// only these as containment that worked.
    pub fn is_verified_effect(&self) -> bool {
        self.phase.is_verified_effect()
    }

    /// Whether this action shows the stop control working: `Some(true)`
    /// verified, `Some(false)` tried and not verified, `None` when it does
    /// not count (an inverse that loosens containment, nothing to act on,
    /// never sent, still in flight).
    pub fn control_worked(&self) -> Option<bool> {
        if !self.req.kind.is_containment() || !self.phase.is_final() || self.phase.tested_nothing()
        {
            return None;
        }
        Some(self.is_verified_effect())
    }
}

/// The phase of a verification journaled before outcomes existed: older
/// adapters "confirmed" a stop of a run that had ended on its own, and said
/// so only in the text.
fn legacy_phase(confirmed: bool, detail: &str) -> ActionPhase {
    if !confirmed {
        ActionPhase::Unconfirmed
    } else if detail.contains("no longer running") || detail.contains(" before the ") {
        ActionPhase::AlreadyEnded
    } else {
        ActionPhase::Confirmed
    }
}

impl App {
    /// Executor reports.
    pub(super) fn on_action_msg(&mut self, m: ActionMsg, at: Time, fx: &mut Vec<Effect>) {
        match m {
            ActionMsg::Preview { proposal, result } => self.on_preview(proposal, result),
            ActionMsg::Retrying { id, error, .. } => {
                if let Some(&i) = self.action_index.get(&id) {
                    self.actions[i].detail = error;
                    self.dirty = true;
                }
            }
            m => {
                let verdict = verdict_of(&m);
                let repairs = match &m {
                    ActionMsg::Verified {
                        id,
                        outcome: ActionPhase::Confirmed | ActionPhase::Partial,
                        reverted,
                        ..
                    } if !reverted.is_empty() => Some(id.clone()),
                    _ => None,
                };
                if let Some(r) = crate::contain::exec::record_of(m, at) {
                    self.record(r, fx);
                }
                if let Some(id) = repairs {
                    self.record_repairs(&id, at, fx);
                }
                if let Some((id, outcome)) = verdict {
                    self.restart_on_verified(&id, outcome, fx);
                }
            }
        }
    }

    /// A dry run's answer fills the dialog it was asked for (and may
    /// name what starts next).
    fn on_preview(&mut self, proposal: u64, result: Result<ActionAnswer, String>) {
        use super::Preview;
        let Mode::Confirm(mut c) = std::mem::replace(&mut self.mode, Mode::Normal) else {
            return;
        };
        if c.proposal == proposal {
            c.previews_pending = c.previews_pending.saturating_sub(1);
            c.preview = match (result, std::mem::replace(&mut c.preview, Preview::Loading)) {
                (Err(e), _) => Preview::Failed(e),
                (Ok(_), Preview::Failed(e)) => Preview::Failed(e),
                (Ok(a), Preview::Ready(mut prev)) => {
                    merge(&mut prev, a);
                    Preview::Ready(prev)
                }
                (Ok(a), Preview::Loading) => Preview::Ready(a),
            };
            let was_on = c.next.as_ref().is_some_and(|n| n.on);
            let before = c.next.as_ref().map(|n| n.actions.clone());
            c.next = self.next_offer(&c);
            if let Some(n) = c.next.as_mut() {
                n.on = was_on && before.as_ref() == Some(&n.actions);
            }
        }
        self.mode = Mode::Confirm(c);
    }

    /// Apply an action record (live or replayed).
    pub(super) fn apply_action(&mut self, r: &Record) {
        match r {
            Record::ActionIntent {
                request,
                preview,
                at,
                dry_run,
                note,
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
                    dry_run: dry_run.as_deref().cloned(),
                    note: note.clone(),
                    lost: None,
                    reverted: vec![],
                });
                if let Some(n) = request
                    .id
                    .strip_prefix('A')
                    .and_then(|s| s.split('-').next())
                    .and_then(|s| s.parse().ok())
                {
                    self.action_seq = self.action_seq.max(n);
                }
                let run = request.target.run_id.clone().unwrap_or_else(|| "-".into());
                let line = format!(
                    "{}: {} {} — {}",
                    request.actor,
                    request.kind.as_str(),
                    request.target.label(),
                    request.reason
                );
                // The commander's intent shows in the timeline too.
                self.push_synthetic(&run, crate::model::EventKind::HumanIntervention, line, *at);
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
                lost,
            } => {
                if let Some(&i) = self.action_index.get(id) {
                    let a = &mut self.actions[i];
                    a.answered_at = Some(*at);
                    a.attempts = a.attempts.max(*attempts);
                    a.answer = answer.clone();
                    a.lost = lost.clone();
                    a.phase = if *accepted {
                        ActionPhase::Accepted
                    } else if lost.is_some() {
                        // Not refused: its re-reads decide.
                        ActionPhase::Sent
                    } else if status.is_some() || answer.is_some() {
                        ActionPhase::Refused
                    } else {
                        ActionPhase::Failed
                    };
                    a.detail = match (error, answer) {
                        (Some(e), _) if lost.is_some() => {
                            format!("answer lost ({e}); asking the platform and re-reading")
                        }
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
                outcome,
                reverted,
            } => {
                if let Some(&i) = self.action_index.get(id) {
                    let a = &mut self.actions[i];
                    a.verified_at = Some(*at);
                    a.phase = outcome.unwrap_or_else(|| legacy_phase(*confirmed, detail));
                    a.detail = match &a.lost {
                        Some(l) => format!("{detail} (answer lost: {l})"),
                        None => detail.clone(),
                    };
                    a.reverted = reverted.clone();
                    let (run, line) = (
                        a.req.target.run_id.clone().unwrap_or_else(|| "-".into()),
                        format!(
                            "{} {}: {} ({detail})",
                            a.req.kind.as_str(),
                            a.req.target.label(),
                            a.phase.label()
                        ),
                    );
                    let (source, kind, target, effect) = (
                        a.req.source.clone(),
                        a.req.kind,
                        a.req.target.clone(),
                        a.phase.is_verified_effect(),
                    );
                    self.push_synthetic(&run, crate::model::EventKind::Containment, line, *at);
                    // The "in force" list shows a confirmed effect now (for
                    // sources that report their controls; the confirmation
                    // was a fresh read of them), not a poll later.
                    if effect && let Some(c) = self.store.controls.get_mut(&source) {
                        c.apply_confirmed(kind, &target);
                    }
                }
            }
            _ => {}
        }
    }

    /// After a reopen: every action whose outcome was never journaled is
    /// checked again (asked by key, re-read) and closed; none is re-sent.
    pub fn reconcile_effects(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        for a in self.actions.iter_mut().filter(|a| !a.phase.is_final()) {
            a.detail = format!(
                "no outcome when cordon last stopped ({}): reconciling, not re-sending",
                a.phase.label()
            );
            fx.push(Effect::Reconcile {
                request: a.req.clone(),
                answer: a
                    .answer
                    .clone()
                    .filter(|_| a.phase == ActionPhase::Accepted),
                dry_run: a.dry_run.clone().map(Box::new),
                since: a.at_key,
            });
        }
        if !fx.is_empty() {
            self.notices.push(format!(
                "{} action(s) had no outcome when cordon last stopped: reconciling with the platform (never re-sent); see Containment (4)",
                fx.len()
            ));
            self.dirty = true;
        }
        fx
    }

    /// A rollback's re-read showed writes reverted: mark each target
    /// repaired in the impact inventory, but only a target whose every
    /// observed change has been reverted (another write to it, or a sent
    /// message, keeps it open).
    fn record_repairs(&mut self, id: &str, at: Time, fx: &mut Vec<Effect>) {
        let Some(&i) = self.action_index.get(id) else {
            return;
        };
        let a = &self.actions[i];
        if a.req.kind != ActionKind::RollbackRun {
            return;
        }
        let source = a.req.source.clone();
        let reverted = self.reverted_events(&source);
        let plan = a
            .answer
            .iter()
            .chain(a.dry_run.iter())
            .filter_map(|x| x.reverts.as_ref())
            .flatten();
        let mut targets: Vec<String> = Vec::new();
        for id in &a.reverted {
            let target = plan
                .clone()
                .find(|p| &p.event_id == id)
                .map(|p| p.target.clone())
                .or_else(|| {
                    self.store
                        .event_by_id(&source, id)
                        .and_then(|e| e.target.as_deref().map(str::to_string))
                });
            if let Some(t) = target.filter(|t| !t.is_empty() && !targets.contains(t)) {
                targets.push(t);
            }
        }
        let by = format!(
            "cordon ({} {id} confirmed by a re-read)",
            a.req.kind.as_str()
        );
        let sid = self.store.source_index(&source);
        for target in targets {
            let changes: Vec<String> = self
                .store
                .events
                .iter()
                .filter(|s| Some(s.source) == sid)
                .map(|s| &s.event)
                .filter(|e| e.kind.is_world_change() && e.target.as_deref() == Some(&target))
                .map(|e| e.id.to_string())
                .collect();
            let all = !changes.is_empty() && changes.iter().all(|e| reverted.contains(e));
            let already = self
                .incident
                .repairs
                .get(&target)
                .is_some_and(|(r, _)| *r == Repair::Reverted);
            if all && !already {
                self.record(
                    Record::Incident {
                        change: IncidentChange::Repair {
                            target: target.clone(),
                            state: Repair::Reverted,
                            note: format!("reverted by rollback {id}: {}", changes.join(", ")),
                        },
                        by: by.clone(),
                        at,
                    },
                    fx,
                );
            }
        }
    }

    /// Every write of `source` a confirmed or partial rollback reverted.
    pub fn reverted_events(&self, source: &str) -> std::collections::HashSet<String> {
        self.actions
            .iter()
            .filter(|a| a.req.source == source)
            .flat_map(|a| a.reverted.iter().cloned())
            .collect()
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
}

/// An action's final verdict in an executor report, if it is one: the
/// re-read's, or a refusal, or nothing sent.
fn verdict_of(m: &ActionMsg) -> Option<(String, ActionPhase)> {
    match m {
        ActionMsg::Verified { id, outcome, .. } => Some((id.clone(), *outcome)),
        ActionMsg::NotSent { id, .. } => Some((id.clone(), ActionPhase::NotSent)),
        ActionMsg::Answered {
            id,
            result: Err(_),
            lost: None,
            ..
        } => Some((id.clone(), ActionPhase::Refused)),
        ActionMsg::Answered {
            id, result: Ok(a), ..
        } if !a.state.accepted() => Some((id.clone(), ActionPhase::Refused)),
        _ => None,
    }
}
