//! The Containment pane's rows (controls in force, then actions) and the
//! undo proposals made from them.

use crate::app::{App, Effect};
use crate::model::{ActionKind, Target};

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

impl App {
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
                push(ActionKind::BlockOutbound, Target::agent_class(star(v)));
            }
            for v in &c.paused_workflows {
                push(ActionKind::PauseWorkflow, Target::workflow(v.clone()));
            }
            for v in &c.held_queues {
                push(ActionKind::HoldQueue, Target::workflow(star(v)));
            }
            for v in &c.revoked_tools {
                push(
                    ActionKind::RevokeTool,
                    Target::tool(v.agent_class.clone(), v.tool.clone()),
                );
            }
            for v in &c.revoked_credentials {
                push(ActionKind::RevokeCredential, Target::credential(v.clone()));
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
                crate::app::views::contains_ci(&text, f)
            });
        }
        rows
    }

    pub(in crate::app) fn propose_inverse(&mut self, fx: &mut Vec<Effect>) {
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
    pub(in crate::app) fn propose_inverse_for_run(&mut self, ri: usize, fx: &mut Vec<Effect>) {
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
}
