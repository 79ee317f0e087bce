//! Custom actions from the config, on the app side: proposed on the
//! context run (or globally), journaled when they finish.

use super::On;
use crate::app::confirm::{Confirm, Preview, What};
use crate::app::{App, Effect, Mode};
use crate::contain::custom::{Scope, Vars};
use crate::journal::Record;

impl App {
    pub fn custom_for_key(&self, c: char) -> Option<&crate::contain::custom::CustomAction> {
        self.custom_actions.iter().find(|a| a.key == c)
    }

    /// A custom action's key (Runs, Timeline, Containment, the
    /// inspector); false if `c` is none, or a dangerous one in read-only
    /// mode (not bound at all there).
    pub(in crate::app) fn on_custom_key(&mut self, c: char, fx: &mut Vec<Effect>) -> bool {
        match self.custom_actions.iter().position(|a| a.key == c) {
            Some(i) if !(self.read_only && self.custom_actions[i].dangerous) => {
                self.propose_custom(i, fx);
                true
            }
            _ => false,
        }
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
        let on = match a.scope {
            Scope::Run => On::Run,
            Scope::Workflow => On::Workflow,
            Scope::AgentClass => On::AgentClass,
            Scope::Global => On::Every,
        };
        let target = on
            .target(&vars.run_id, &vars.workflow, &vars.agent_class)
            .unwrap_or_default();
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
    pub(in crate::app) fn on_custom_done(
        &mut self,
        d: crate::app::CustomDone,
        fx: &mut Vec<Effect>,
    ) {
        let crate::app::CustomDone {
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
}
