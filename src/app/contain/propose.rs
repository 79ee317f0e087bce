//! Opening the confirm dialog for a containment action: whether the source
//! offers it, what the targets are as cordon has seen them, the dry run
//! asked for, runs with nothing to stop left out.

use crate::app::confirm::{Confirm, What};
use crate::app::{App, Effect, Mode};
use crate::model::{ActionKind, RunState, Target};

impl App {
    pub(in crate::app) fn offers(&self, source: &str, kind: ActionKind) -> Result<(), String> {
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
        let note = self.platform_note(&targets[0].0, kind);
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
}
