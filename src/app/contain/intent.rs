//! A confirmed action: each intent journaled (fsync'd by the executor
//! before anything leaves), then the effect that sends it.

use crate::app::confirm::{Confirm, Preview, What};
use crate::app::{App, Effect};
use crate::contain::custom::Vars;
use crate::journal::Record;
use crate::model::{ActionAnswer, ActionKind, ActionRequest, Target};

impl App {
    /// Journal each intent, then ask for it to be sent: first what the
    /// commander added from what starts next, then the action itself.
    pub(in crate::app) fn execute(&mut self, c: Confirm, fx: &mut Vec<Effect>) {
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
            let note = self.platform_note(&source, k);
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
    pub(in crate::app) fn send_one_now(
        &mut self,
        source: String,
        kind: ActionKind,
        target: Target,
        reason: String,
        fx: &mut Vec<Effect>,
    ) -> String {
        let note = self.platform_note(&source, kind);
        self.send_one(source, kind, target, reason, None, note, fx)
    }

    /// What the platform's own version of `kind` does and does not undo,
    /// for the source's kind of platform.
    pub(in crate::app) fn platform_note(&self, source: &str, kind: ActionKind) -> Option<String> {
        self.sources
            .iter()
            .find(|s| s.name == source)
            .and_then(|s| crate::model::platform_note(&s.kind, kind))
            .map(str::to_string)
    }
}
