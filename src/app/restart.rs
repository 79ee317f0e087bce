//! Staged restart in the app: `R` on a control in force lifts it one scope
//! at a time (the selected scope first: the canary), through the usual
//! confirm dialog; once the inverse is confirmed the scope is watched for
//! the incident's harm signatures for a window (the tick ends it); harm
//! re-applies the control at once (intent journaled, executed, verified
//! as any action) and says why; a clean window offers the next stage.

use super::contain::ContainRow;
use super::{App, Effect};
use crate::journal::Record;
use crate::model::restart::{DEFAULT_WINDOW_SECS, MAX_WINDOW_SECS, MIN_WINDOW_SECS, RestartStep};
use crate::model::{ActionKind, ActionPhase, Event, Run, Target, Time};

/// Where a staged restart stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Waiting for the commander to confirm the stage's inverse.
    Proposed,
    /// The inverse is on its way (its action id).
    Lifting(String),
    Watching {
        until: Time,
    },
    /// The stage's window was clean; the next stage is offered.
    Clean,
    /// Harm showed: the control is being re-applied (its action id).
    Recontained {
        action: String,
        why: String,
    },
    Ended(String),
}

/// One staged restart.
#[derive(Debug, Clone, PartialEq)]
pub struct Restart {
    pub id: u32,
    pub source: String,
    /// The control in force being lifted (pause, hold, revoke, block).
    pub control: ActionKind,
    pub stages: Vec<Target>,
    pub stage: usize,
    pub window_secs: u32,
    pub phase: Phase,
    /// Every step as said to people (postmortem, the pane).
    pub log: Vec<(Time, String)>,
}

impl Restart {
    /// Still going: a re-contained or ended restart is over (a new `R`
    /// starts another).
    pub fn active(&self) -> bool {
        !matches!(self.phase, Phase::Ended(_) | Phase::Recontained { .. })
    }

    /// Shown in the pane: going, or re-contained (why matters now).
    pub fn shown(&self) -> bool {
        !matches!(self.phase, Phase::Ended(_))
    }

    /// The inverse that lifts the control.
    pub fn lift(&self) -> Option<ActionKind> {
        self.control.inverse()
    }

    /// The run is in the stage's restarted scope.
    pub fn in_scope(&self, r: &Run) -> bool {
        let Some(t) = self.stages.get(self.stage) else {
            return false;
        };
        if r.source.as_str() != self.source {
            return false;
        }
        let wf = t
            .workflow
            .as_deref()
            .is_none_or(|w| w == "*" || r.workflow == w);
        let class = t
            .agent_class
            .as_deref()
            .is_none_or(|c| c == "*" || r.agent_class == c);
        match self.control {
            ActionKind::PauseWorkflow | ActionKind::HoldQueue => wf,
            ActionKind::RevokeTool => {
                class
                    && t.tool
                        .as_deref()
                        .is_none_or(|x| r.tools.iter().any(|y| y == x))
            }
            ActionKind::BlockOutbound => class,
            _ => false,
        }
    }

    /// One line for the pane.
    pub fn line(&self, now: Time) -> String {
        let n = self.stages.len();
        let scope = self
            .stages
            .get(self.stage)
            .map(Target::label)
            .unwrap_or_default();
        let lift = self.lift().map(|k| k.as_str()).unwrap_or("?");
        let what = match &self.phase {
            Phase::Proposed => "confirm the stage in the dialog".to_string(),
            Phase::Lifting(_) => format!("{lift} sent, confirming…"),
            Phase::Watching { until } => format!(
                "WATCHING {} left of {} for harm",
                mmss((*until - now).num_seconds().max(0)),
                mmss(self.window_secs as i64)
            ),
            Phase::Clean if self.stage + 1 < n => "window clean · R: next stage".to_string(),
            Phase::Clean => "window clean".to_string(),
            Phase::Recontained { why, .. } => format!("RE-CONTAINED: {why}"),
            Phase::Ended(why) => format!("ended: {why}"),
        };
        format!(
            "Staged restart {} · stage {}/{n} · {lift} {scope} on {} · {what}",
            self.id,
            self.stage + 1,
            self.source
        )
    }
}

fn mmss(s: i64) -> String {
    format!("{}:{:02}", s / 60, s % 60)
}

/// What makes an event harm in a restarted scope: the shapes triage and
/// the pattern finder count (outbound, irreversible writes, money), said
/// plainly; `None` for benign work.
pub fn harm_signature(e: &Event, class: crate::model::classify::Classes) -> Option<String> {
    use crate::model::classify::Class;
    let what = if super::store::is_outbound(e, class) {
        "outbound"
    } else if e.kind.is_world_change() && e.irreversible() {
        "an irreversible write"
    } else if class.has(Class::Money) {
        "money moved"
    } else {
        return None;
    };
    Some(format!(
        "{what} from run {} ({}: {})",
        e.run_id,
        e.kind.as_str(),
        crate::sanitize::line(&e.summary, 80)
    ))
}

impl App {
    fn restart_record(&mut self, id: u32, step: RestartStep, fx: &mut Vec<Effect>) {
        let at = self.now;
        self.record(Record::Restart { id, at, step }, fx);
    }

    /// Apply a journaled step (live and in replay: no effects here).
    pub(super) fn apply_restart(&mut self, id: u32, at: Time, step: &RestartStep) {
        if let RestartStep::Planned {
            source,
            control,
            stages,
            window_secs,
        } = step
        {
            self.restarts.push(Restart {
                id,
                source: source.clone(),
                control: *control,
                stages: stages.clone(),
                stage: 0,
                window_secs: *window_secs,
                phase: Phase::Proposed,
                log: Vec::new(),
            });
        }
        let Some(r) = self.restarts.iter_mut().find(|r| r.id == id) else {
            return;
        };
        let lift = r.lift().map(|k| k.as_str()).unwrap_or("?");
        let scope = |r: &Restart, s: usize| r.stages.get(s).map(Target::label).unwrap_or_default();
        let said = match step {
            RestartStep::Planned { stages, .. } => format!(
                "staged restart planned: {lift} in {} stage(s), canary first ({}), {} s watch window",
                stages.len(),
                scope(r, 0),
                r.window_secs
            ),
            RestartStep::Lifting { stage, action } => {
                r.stage = *stage;
                r.phase = Phase::Lifting(action.clone());
                format!(
                    "stage {}: {lift} {} sent ({action})",
                    stage + 1,
                    scope(r, *stage)
                )
            }
            RestartStep::Watching { stage, until } => {
                r.phase = Phase::Watching { until: *until };
                format!(
                    "stage {}: {lift} confirmed; watching {} for harm until {}",
                    stage + 1,
                    scope(r, *stage),
                    until.format("%H:%M:%S")
                )
            }
            RestartStep::Clean { stage } => {
                r.phase = Phase::Clean;
                format!("stage {}: watch window clean", stage + 1)
            }
            RestartStep::Harm {
                stage, why, action, ..
            } => {
                r.phase = Phase::Recontained {
                    action: action.clone(),
                    why: why.clone(),
                };
                format!(
                    "stage {}: harm in the window ({why}): {} re-applied at once ({action})",
                    stage + 1,
                    r.control.as_str()
                )
            }
            RestartStep::Window { secs } => {
                if let Phase::Watching { until } = &mut r.phase {
                    *until += chrono::Duration::seconds(*secs as i64 - r.window_secs as i64);
                }
                r.window_secs = *secs;
                format!("watch window set to {secs} s")
            }
            RestartStep::Ended { why } => {
                r.phase = Phase::Ended(why.clone());
                format!("staged restart ended: {why}")
            }
        };
        r.log.push((at, said));
    }

    /// The restart the Containment keys act on: the newest active one.
    fn current_restart(&self) -> Option<usize> {
        self.restarts.iter().rposition(Restart::active)
    }

    /// `R` in the Containment pane: the next stage of a restart whose
    /// window was clean, else a new staged restart of the selected control.
    pub(super) fn staged_restart_key(&mut self, fx: &mut Vec<Effect>) {
        if let Some(i) = self.current_restart() {
            let r = &self.restarts[i];
            match r.phase {
                Phase::Clean if r.stage + 1 < r.stages.len() => {
                    let (id, stage) = (r.id, r.stage + 1);
                    return self.propose_stage(id, stage, fx);
                }
                Phase::Clean => {}
                _ => {
                    self.flash = Some(format!(
                        "staged restart {} is in progress; wait for its window to end",
                        r.id
                    ));
                    return;
                }
            }
        }
        let rows = self.contain_rows();
        let Some(ContainRow::Control {
            source,
            kind,
            target,
        }) = rows.get(self.contain_sel).cloned()
        else {
            self.flash = Some("select a control in force to restart it in stages".into());
            return;
        };
        if kind.inverse().is_none()
            || !matches!(
                kind,
                ActionKind::PauseWorkflow
                    | ActionKind::HoldQueue
                    | ActionKind::RevokeTool
                    | ActionKind::BlockOutbound
            )
        {
            self.flash = Some(format!(
                "{} cannot be restarted: {}",
                kind.as_str(),
                kind.undo_note()
            ));
            return;
        }
        // The selected scope is the canary; the others of the same kind on
        // the same source follow as the next stage, one by one.
        let mut stages = vec![target.clone()];
        stages.extend(rows.into_iter().filter_map(|r| match r {
            ContainRow::Control {
                source: s,
                kind: k,
                target: t,
            } if s == source && k == kind && t != target => Some(t),
            _ => None,
        }));
        let id = self.restarts.iter().map(|r| r.id).max().unwrap_or(0) + 1;
        let window_secs = self.restart_window;
        self.restart_record(
            id,
            RestartStep::Planned {
                source,
                control: kind,
                stages,
                window_secs,
            },
            fx,
        );
        self.propose_stage(id, 0, fx);
    }

    /// Open the confirm dialog for a stage's inverse; the restart follows
    /// it when the commander confirms ([`App::restart_on_sent`]).
    fn propose_stage(&mut self, id: u32, stage: usize, fx: &mut Vec<Effect>) {
        let Some(r) = self.restarts.iter().find(|r| r.id == id) else {
            return;
        };
        let (Some(lift), Some(t)) = (r.lift(), r.stages.get(stage).cloned()) else {
            return;
        };
        let source = r.source.clone();
        self.staging = Some((id, stage));
        self.propose(lift, vec![(source, t)], fx);
    }

    /// An intent was journaled: if it is the staged inverse the commander
    /// confirmed, the stage begins.
    pub(super) fn restart_on_sent(
        &mut self,
        kind: ActionKind,
        target: &Target,
        action: &str,
        fx: &mut Vec<Effect>,
    ) {
        let Some((id, stage)) = self.staging else {
            return;
        };
        let hit = self
            .restarts
            .iter()
            .any(|r| r.id == id && r.lift() == Some(kind) && r.stages.get(stage) == Some(target));
        if hit {
            self.staging = None;
            self.restart_record(
                id,
                RestartStep::Lifting {
                    stage,
                    action: action.to_string(),
                },
                fx,
            );
        }
    }

    /// An action reached its verdict: a stage's inverse confirmed opens
    /// the window; one that was not ends the restart (the control stays).
    pub(super) fn restart_on_verified(
        &mut self,
        action: &str,
        outcome: ActionPhase,
        fx: &mut Vec<Effect>,
    ) {
        let Some(r) = self
            .restarts
            .iter()
            .find(|r| matches!(&r.phase, Phase::Lifting(a) if a == action))
        else {
            return;
        };
        let (id, stage, window) = (r.id, r.stage, r.window_secs);
        let step = if outcome.is_verified_effect() {
            RestartStep::Watching {
                stage,
                until: self.now + chrono::Duration::seconds(window as i64),
            }
        } else {
            RestartStep::Ended {
                why: format!(
                    "stage {}'s inverse was not confirmed ({}): the control may still be in force",
                    stage + 1,
                    outcome.label()
                ),
            }
        };
        self.restart_record(id, step, fx);
    }

    /// New events arrived (store indexes `from..`): harm in a watched
    /// scope re-applies the control at once, in this same update.
    pub(super) fn restart_watch(&mut self, from: usize, fx: &mut Vec<Effect>) {
        if !self
            .restarts
            .iter()
            .any(|r| matches!(r.phase, Phase::Watching { .. }))
        {
            return;
        }
        for n in from..self.store.events.len() {
            let Some(ri) = self.store.run_of_event(n) else {
                continue;
            };
            let st = &self.store.events[n];
            let Some(why) = harm_signature(&st.event, st.class) else {
                continue;
            };
            let run = &self.store.runs[ri];
            let Some(i) = self
                .restarts
                .iter()
                .position(|r| matches!(r.phase, Phase::Watching { .. }) && r.in_scope(run))
            else {
                continue;
            };
            let r = &self.restarts[i];
            let (id, stage, source, control) = (r.id, r.stage, r.source.clone(), r.control);
            let target = r.stages[stage].clone();
            let (run_id, event_id) = (run.id.to_string(), st.event.id.to_string());
            let reason = format!(
                "{}: automatic re-containment during staged restart {id}: {why}",
                self.incident_id
            );
            let action = self.send_one_now(source, control, target, reason, fx);
            self.restart_record(
                id,
                RestartStep::Harm {
                    stage,
                    run: run_id,
                    event: event_id,
                    why: why.clone(),
                    action,
                },
                fx,
            );
            self.flash = Some(format!(
                "harm during staged restart {id}: {why}; {} re-applied",
                control.as_str()
            ));
        }
    }

    /// The tick: a window that has run its course clean.
    pub(super) fn restart_tick(&mut self, fx: &mut Vec<Effect>) {
        let due: Vec<(u32, usize, bool)> = self
            .restarts
            .iter()
            .filter(|r| matches!(r.phase, Phase::Watching { until } if until <= self.now))
            .map(|r| (r.id, r.stage, r.stage + 1 >= r.stages.len()))
            .collect();
        for (id, stage, last) in due {
            self.restart_record(id, RestartStep::Clean { stage }, fx);
            if last {
                self.restart_record(
                    id,
                    RestartStep::Ended {
                        why: "every stage restarted, every window clean".into(),
                    },
                    fx,
                );
                self.flash = Some(format!("staged restart {id}: every stage clean"));
            } else {
                self.flash = Some(format!(
                    "staged restart {id}: stage {} clean; R restarts the next stage",
                    stage + 1
                ));
            }
        }
    }

    /// `[` / `]`: the watch window of the current restart, 30 s a step.
    pub(super) fn restart_window_key(&mut self, longer: bool, fx: &mut Vec<Effect>) {
        let cur = self
            .current_restart()
            .map(|i| (self.restarts[i].id, self.restarts[i].window_secs));
        let base = cur.map(|c| c.1).unwrap_or(self.restart_window);
        let secs = if longer {
            base.saturating_add(30)
        } else {
            base.saturating_sub(30)
        }
        .clamp(MIN_WINDOW_SECS, MAX_WINDOW_SECS);
        self.restart_window = secs;
        match cur {
            Some((id, _)) => self.restart_record(id, RestartStep::Window { secs }, fx),
            None => {
                self.flash = Some(format!(
                    "watch window for the next staged restart: {secs} s"
                ))
            }
        }
    }
}

/// The window a new restart starts with.
pub const fn default_window() -> u32 {
    DEFAULT_WINDOW_SECS
}
