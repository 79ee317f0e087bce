//! The run inspector (Enter on a run or an event): everything one run did,
//! grouped the way the seed lists evidence, with the selected event's full
//! payload; and the pattern finder: other runs that share its signature.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, Mode};
use crate::model::{Event, EventKind};

/// Evidence groups, in the seed's order.
pub const GROUPS: &[(&str, &[&str])] = &[
    ("Instructions", &["assignment", "instruction"]),
    ("Model outputs", &["model_output"]),
    ("Tool calls and results", &["tool_call", "tool_result"]),
    (
        "Retrieved context and memory",
        &["retrieval", "memory_read"],
    ),
    ("Files read", &["file_read"]),
    ("Files changed", &["file_write"]),
    ("Records written", &["db_write"]),
    ("Messages sent", &["message_sent"]),
    ("External actions", &["external_action"]),
    ("Retries", &["retry"]),
    ("Errors", &["error"]),
    ("Reviews", &["review_requested", "review_decision"]),
    (
        "Human interventions and containment",
        &["human_intervention", "containment", "permission_change"],
    ),
    ("State changes and other", &[]),
];

pub fn group_of(k: &EventKind) -> usize {
    GROUPS
        .iter()
        .position(|(_, kinds)| kinds.contains(&k.as_str()))
        .unwrap_or(GROUPS.len() - 1)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Inspect {
    /// Run index.
    pub run: usize,
    /// Event indexes of the run, grouped (group order, then time).
    pub events: Vec<usize>,
    pub sel: usize,
    /// Long values shown in full.
    pub expanded: bool,
}

/// One way runs can be alike, with the runs that share it.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    pub what: String,
    pub runs: Vec<usize>,
}

impl App {
    pub fn open_inspector(&mut self, run: usize, at_event: Option<usize>) {
        let mut events: Vec<usize> = self
            .store
            .events_of_run(run)
            .iter()
            .map(|&e| e as usize)
            .collect();
        // Also what cordon did to it (actions, notes pinned on it).
        let id = self.store.runs[run].id.clone();
        for (i, s) in self.store.events.iter().enumerate() {
            if self.store.source_name(s.source) == "cordon" && s.event.run_id == id {
                events.push(i);
            }
        }
        events.sort_by_key(|&e| {
            (
                group_of(&self.store.events[e].event.kind),
                self.store.events[e].event.at,
                e,
            )
        });
        let sel = at_event
            .and_then(|e| events.iter().position(|&x| x == e))
            .unwrap_or(0);
        self.mode = Mode::Inspect(Box::new(Inspect {
            run,
            events,
            sel,
            expanded: false,
        }));
    }

    pub(super) fn on_inspect_key(
        &mut self,
        k: KeyEvent,
        mut ins: Box<Inspect>,
        fx: &mut Vec<Effect>,
    ) {
        match k.code {
            KeyCode::Esc | KeyCode::Char('q') => return self.mode = Mode::Normal,
            KeyCode::Char('j') | KeyCode::Down => {
                ins.sel = (ins.sel + 1).min(ins.events.len().saturating_sub(1))
            }
            KeyCode::Char('k') | KeyCode::Up => ins.sel = ins.sel.saturating_sub(1),
            KeyCode::Char('g') => ins.sel = 0,
            KeyCode::Char('G') => ins.sel = ins.events.len().saturating_sub(1),
            KeyCode::Char('z') => ins.expanded = !ins.expanded,
            KeyCode::Char('y') => {
                if let Some(&e) = ins.events.get(ins.sel) {
                    let text = serde_json::to_string_pretty(&self.store.events[e].event)
                        .unwrap_or_default();
                    fx.push(Effect::Copy(text));
                    self.flash = Some(format!(
                        "copied {} to the clipboard (OSC 52)",
                        self.store.events[e].event.id
                    ));
                }
            }
            KeyCode::Char('p') => {
                if let Some(&e) = ins.events.get(ins.sel) {
                    self.pin_event(e, fx);
                }
            }
            KeyCode::Char('M') => {
                // Mark every run that shares the strongest signature.
                let pats = self.patterns(ins.run);
                if let Some(best) = pats
                    .iter()
                    .filter(|p| p.runs.len() > 1)
                    .max_by_key(|p| p.runs.len())
                {
                    let n = best.runs.len();
                    self.marked.extend(best.runs.iter().copied());
                    self.flash = Some(format!("marked {n} runs ({}); x stops them all", best.what));
                } else {
                    self.flash = Some("no other run shares a signature with this one".into());
                }
            }
            _ if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                // Containment keys act on this run.
                let before = self.mode.clone();
                self.mode = Mode::Normal;
                self.inspected = Some(ins.run);
                let handled = self.on_contain_key(k, fx);
                self.inspected = None;
                if handled && self.mode != Mode::Normal {
                    // A dialog opened; the inspector comes back after it.
                    self.return_to = Some(ins);
                    return;
                }
                self.mode = before;
                return;
            }
            _ => {}
        }
        self.mode = Mode::Inspect(ins);
    }

    /// The runs that share each of this run's signatures (active and
    /// recent): workflow, agent class, tool and target, error.
    pub fn patterns(&self, run: usize) -> Vec<Signature> {
        self.signatures(run, true)
    }

    /// Only what this run did (tool on target, error shape), not the
    /// groups it belongs to: what triage's "pattern" question needs, without
    /// listing every run of a big workflow or agent class.
    pub fn shared_signatures(&self, run: usize) -> Vec<Signature> {
        self.signatures(run, false)
    }

    fn signatures(&self, run: usize, with_groups: bool) -> Vec<Signature> {
        use super::store::{error_shape, signature};
        let s = &self.store;
        let r = &s.runs[run];
        // Only this run's events are read; the others come from the
        // store's indexes, so this costs the same at 100 or 100,000 runs.
        let src = s.source_index(&r.source);
        let evs = || {
            s.events_of_run(run)
                .iter()
                .map(|&e| &s.events[e as usize].event)
        };
        let mut tool_targets: Vec<(&str, &str)> = evs()
            .filter(|e| e.kind == EventKind::ToolCall || e.kind.is_world_change())
            .filter_map(|e| Some((e.tool.as_deref()?, e.target.as_deref()?)))
            .collect();
        tool_targets.sort_unstable();
        tool_targets.dedup();
        let mut errors: Vec<String> = evs()
            .filter(|e| e.kind == EventKind::Error)
            .map(|e| error_shape(&e.summary))
            .collect();
        errors.sort_unstable();
        errors.dedup();
        let mut out = Vec::new();
        let Some(src) = src else {
            return out;
        };
        if with_groups && !r.workflow.is_empty() {
            out.push(Signature {
                what: format!("workflow {}", r.workflow),
                runs: s.runs_with_workflow(src, &r.workflow),
            });
        }
        if with_groups && !r.agent_class.is_empty() {
            out.push(Signature {
                what: format!("agent class {}", r.agent_class),
                runs: s.runs_with_class(src, &r.agent_class),
            });
        }
        for (tool, target) in tool_targets.into_iter().take(3) {
            out.push(Signature {
                what: format!("{tool} on {target}"),
                runs: s.runs_with_signature(signature(src, 0, &[tool, target])),
            });
        }
        for err in errors.into_iter().take(2) {
            let runs = s.runs_with_signature(signature(src, 1, &[&err]));
            out.push(Signature {
                what: format!("error \"{err}\""),
                runs,
            });
        }
        out
    }

    /// Pin one event (by store index) into the notes.
    pub fn pin_event(&mut self, i: usize, fx: &mut Vec<Effect>) {
        let st = &self.store.events[i];
        let source = self.store.source_name(st.source).to_string();
        let e: &Event = &st.event;
        let text = format!(
            "[{}] {} {} on {}: {}",
            e.id,
            e.at.format("%H:%M:%S%.3f"),
            e.kind.as_str(),
            e.run_id,
            e.summary
        );
        let note = crate::model::incident::Note {
            kind: crate::model::incident::NoteKind::Evidence,
            text,
            by: self.who(),
            at: self.now,
            owner: None,
            due: None,
            item_type: None,
            pinned: Some((source, e.id.to_string())),
        };
        let id = e.id.clone();
        self.record(crate::journal::Record::Note { note }, fx);
        self.flash = Some(format!("pinned {id} to the notes"));
    }
}
