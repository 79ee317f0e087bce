//! Containment commands: the command table gives each key a (kind, scope)
//! pair; this turns it into a proposal on the context run.

use super::Picker;
use crate::app::keymap::Cmd;
use crate::app::{App, Effect, Mode, Pane};
use crate::model::{ActionKind, Run, Target};

/// Which of the context run's names a containment key scopes its action to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    Run,
    Workflow,
    AgentClass,
    /// The whole source.
    Every,
    /// One of the run's tools, chosen in a picker.
    PickTool,
    /// One of the run's credentials, chosen in a picker.
    PickCredential,
}

impl On {
    /// The target on a run with these names; `None` for the pickers.
    pub fn target(self, run_id: &str, workflow: &str, agent_class: &str) -> Option<Target> {
        Some(match self {
            On::Run => Target::run(run_id),
            On::Workflow => Target::workflow(workflow.to_string()),
            On::AgentClass => Target::agent_class(agent_class.to_string()),
            On::Every => Target::global(),
            On::PickTool | On::PickCredential => return None,
        })
    }
}

impl App {
    /// A containment command from the table (Runs, Timeline, Containment
    /// or the inspector); false if `cmd` is not one.
    pub(in crate::app) fn on_contain_cmd(&mut self, cmd: Cmd, fx: &mut Vec<Effect>) -> bool {
        match cmd {
            Cmd::Undo if self.focus == Pane::Containment => self.propose_inverse(fx),
            Cmd::Restart => self.staged_restart_key(fx),
            Cmd::Window(longer) => self.restart_window_key(longer, fx),
            Cmd::Act(..) | Cmd::Undo => {
                let Some(ri) = self.context_run() else {
                    self.flash = Some("select a run first".into());
                    return true;
                };
                match cmd {
                    Cmd::Act(kind, on) => self.propose_on_run(kind, on, ri, fx),
                    _ => self.propose_inverse_for_run(ri, fx),
                }
            }
            _ => return false,
        }
        true
    }

    /// `kind` scoped by `on` to run `ri`; a stop takes every marked run.
    fn propose_on_run(&mut self, kind: ActionKind, on: On, ri: usize, fx: &mut Vec<Effect>) {
        let run = self.store.runs[ri].clone();
        let src = run.source.to_string();
        if let Some(t) = on.target(&run.id, &run.workflow, &run.agent_class) {
            let targets = if kind == ActionKind::StopRun && !self.marked.is_empty() {
                self.marked
                    .iter()
                    .map(|&m| {
                        let r = &self.store.runs[m];
                        (r.source.to_string(), Target::run(r.id.to_string()))
                    })
                    .collect()
            } else {
                vec![(src, t)]
            };
            return self.propose(kind, targets, fx);
        }
        self.open_picker(kind, on == On::PickTool, &run, src);
    }

    /// The picker of the run's tools (or credentials) to revoke.
    fn open_picker(&mut self, kind: ActionKind, tools: bool, run: &Run, src: String) {
        let items = if tools { &run.tools } else { &run.credentials };
        let items: Vec<String> = items.iter().map(|t| t.to_string()).collect();
        if items.is_empty() {
            self.flash = Some(format!(
                "run {} lists no {}",
                run.id,
                if tools { "tools" } else { "credentials" }
            ));
        } else if let Err(e) = self.offers(&src, kind) {
            self.flash = Some(e);
        } else {
            self.mode = Mode::Pick(Picker {
                kind,
                source: src,
                agent_class: run.agent_class.to_string(),
                items,
                sel: 0,
            });
        }
    }
}
