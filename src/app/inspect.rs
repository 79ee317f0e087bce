//! The run inspector (Enter on a run or an event): everything one run did,
//! grouped the way the seed lists evidence, with the selected event's full
//! payload; and the pattern finder: other runs that share its signature.

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::keymap::{Cmd, INSPECTOR, Key};
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
    /// Event indexes of the run, grouped (group order, then time); new
    /// events of the run are taken in as they arrive.
    pub events: Vec<usize>,
    pub sel: usize,
    /// Long values shown in full.
    pub expanded: bool,
    /// First evidence line shown (group headings count as lines): moved
    /// with the selection, and with what arrives above it, so the selected
    /// event stays where it is on screen.
    pub scroll: usize,
    /// `M` pressed: the pattern row being chosen (narrowest first).
    pub pick: Option<usize>,
}

/// One way runs can be alike, with the runs that share it.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    pub what: String,
    pub runs: Vec<usize>,
    /// How specific it is: 0 tool on target, 1 error shape, 2 workflow,
    /// 3 agent class (a tie in size goes to the more specific).
    pub breadth: u8,
}

/// Evidence-list lines before event position `pos` (its own line index):
/// one per event, one per group heading.
pub fn line_of(events: &[usize], group: impl Fn(usize) -> usize, pos: usize) -> usize {
    let Some(&e) = events.get(pos) else {
        return pos + GROUPS.len();
    };
    let g = group(e);
    // Groups are contiguous and ascending: count the headings up to g.
    let headings = (0..=g)
        .filter(|&h| {
            let first = events.partition_point(|&x| group(x) < h);
            first < events.len() && group(events[first]) == h
        })
        .count();
    pos + headings
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
            if self.store.source_name(s.source) == crate::model::CORDON_SOURCE
                && s.event.run_id == id
            {
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
        let mut ins = Inspect {
            run,
            events,
            sel,
            expanded: false,
            scroll: 0,
            pick: None,
        };
        self.keep_in_view(&mut ins);
        self.mode = Mode::Inspect(Box::new(ins));
    }

    fn event_group(&self, e: usize) -> usize {
        group_of(&self.store.events[e].event.kind)
    }

    /// Keep the selected evidence line inside the list.
    fn keep_in_view(&self, ins: &mut Inspect) {
        let h = super::layout::inspector_list_height(self.size).max(1);
        let line = line_of(&ins.events, |e| self.event_group(e), ins.sel);
        ins.scroll = ins.scroll.min(line).max((line + 1).saturating_sub(h));
    }

    /// A new event was stored: if it is the inspected run's (or cordon's
    /// line about it), put it in its group by time. The selected event
    /// stays selected and on the same screen row.
    pub(crate) fn inspector_on_event(&mut self, n: usize) {
        if let Mode::Inspect(_) = &self.mode
            && let Mode::Inspect(mut ins) = std::mem::replace(&mut self.mode, Mode::Normal)
        {
            self.take_in(&mut ins, n);
            self.mode = Mode::Inspect(ins);
        } else if let Some(mut ins) = self.return_to.take() {
            self.take_in(&mut ins, n);
            self.return_to = Some(ins);
        }
    }

    fn take_in(&self, ins: &mut Inspect, n: usize) {
        let st = &self.store.events[n];
        let ours = self.store.run_of_event(n) == Some(ins.run)
            || (self.store.source_name(st.source) == crate::model::CORDON_SOURCE
                && self
                    .store
                    .runs
                    .get(ins.run)
                    .is_some_and(|r| r.id == st.event.run_id));
        if !ours {
            return;
        }
        let group = |e: usize| self.event_group(e);
        let key = |e: usize| (group(e), self.store.events[e].event.at, e);
        let had = !ins.events.is_empty();
        let before = line_of(&ins.events, group, ins.sel);
        let pos = ins.events.partition_point(|&x| key(x) < key(n));
        ins.events.insert(pos, n);
        if had && pos <= ins.sel {
            ins.sel += 1;
            ins.scroll += line_of(&ins.events, group, ins.sel) - before;
        }
    }

    /// A key in the inspector: `cmd` is what the command table makes of it
    /// (`None`: nothing, or a dangerous command in read-only mode).
    pub(super) fn on_inspect_key(
        &mut self,
        k: KeyEvent,
        cmd: Option<Cmd>,
        mut ins: Box<Inspect>,
        fx: &mut Vec<Effect>,
    ) {
        if ins.pick.is_some() && self.on_pick_pattern_key(k, &mut ins) {
            self.mode = Mode::Inspect(ins);
            return;
        }
        let last = ins.events.len().saturating_sub(1);
        match cmd {
            Some(Cmd::Back | Cmd::Quit) => return self.mode = Mode::Normal,
            Some(Cmd::Down) => ins.sel = (ins.sel + 1).min(last),
            Some(Cmd::Up) => ins.sel = ins.sel.saturating_sub(1),
            Some(Cmd::Top) => ins.sel = 0,
            Some(Cmd::Bottom) => ins.sel = last,
            Some(Cmd::Zoom) => ins.expanded = !ins.expanded,
            Some(Cmd::Copy) => {
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
            Some(Cmd::Pin) => {
                if let Some(&e) = ins.events.get(ins.sel) {
                    self.pin_event(e, fx);
                }
            }
            Some(Cmd::MarkPattern) => {
                // Choose which pattern to mark: narrowest first.
                if self
                    .pattern_choices(ins.run)
                    .iter()
                    .any(|p| p.runs.len() > 1)
                {
                    ins.pick = Some(0);
                    self.flash = Some(
                        "choose the pattern: j/k move, Enter marks its active runs, Esc cancels"
                            .into(),
                    );
                } else {
                    self.flash = Some("no other run shares a signature with this one".into());
                }
            }
            _ => {
                // Containment commands and custom actions act on this run
                // (the mode is Normal while they do).
                self.inspected = Some(ins.run);
                let handled = match (cmd, Key::of(&k)) {
                    (Some(cmd), _) => self.on_contain_cmd(cmd, fx),
                    (None, Some(Key::Char(c)))
                        if self.keymap.find(INSPECTOR, Key::Char(c)).is_none() =>
                    {
                        self.on_custom_key(c, fx)
                    }
                    _ => false,
                };
                self.inspected = None;
                if handled && self.mode != Mode::Normal {
                    // A dialog opened; the inspector comes back after it.
                    self.return_to = Some(ins);
                    return;
                }
                self.mode = Mode::Inspect(ins);
                return;
            }
        }
        self.keep_in_view(&mut ins);
        self.mode = Mode::Inspect(ins);
    }

    /// Keys while choosing a pattern row; false: not one of them.
    fn on_pick_pattern_key(&mut self, k: KeyEvent, ins: &mut Inspect) -> bool {
        let pats = self.pattern_choices(ins.run);
        let Some(at) = ins.pick else {
            return false;
        };
        match k.code {
            KeyCode::Esc => {
                ins.pick = None;
                self.flash = Some("nothing marked".into());
            }
            KeyCode::Char('j') | KeyCode::Down => {
                ins.pick = Some((at + 1).min(pats.len().saturating_sub(1)))
            }
            KeyCode::Char('k') | KeyCode::Up => ins.pick = Some(at.saturating_sub(1)),
            KeyCode::Enter | KeyCode::Char('M') => {
                let Some(p) = pats.get(at) else {
                    ins.pick = None;
                    return true;
                };
                if p.runs.len() < 2 {
                    self.flash = Some(format!("only this run has {}; choose another", p.what));
                    return true;
                }
                ins.pick = None;
                let (active, ended): (Vec<usize>, Vec<usize>) = p
                    .runs
                    .iter()
                    .partition(|&&r| self.store.runs[r].state.is_active());
                self.marked.extend(active.iter().copied());
                let ids: Vec<&str> = active
                    .iter()
                    .map(|&r| self.store.runs[r].id.as_str())
                    .collect();
                let shown = ids.iter().take(6).copied().collect::<Vec<_>>().join(", ");
                let more = if ids.len() > 6 {
                    format!(" … +{}", ids.len() - 6)
                } else {
                    String::new()
                };
                let left = if ended.is_empty() {
                    String::new()
                } else {
                    format!(" ({} ended, not marked)", ended.len())
                };
                self.flash = Some(if active.is_empty() {
                    format!("no active run shares {}{left}", p.what)
                } else {
                    format!(
                        "marked {} active run{} sharing {}: {shown}{more}{left} · {} marked in all; x stops them",
                        active.len(),
                        if active.len() == 1 { "" } else { "s" },
                        p.what,
                        self.marked.len()
                    )
                });
            }
            _ => return false,
        }
        true
    }

    /// The pattern rows as the inspector offers them for `M`: narrowest
    /// first (fewest runs; on a tie the more specific signature).
    pub fn pattern_choices(&self, run: usize) -> Vec<Signature> {
        let mut v = self.patterns(run);
        v.sort_by_key(|p| (p.runs.len() < 2, p.runs.len(), p.breadth));
        v
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
                breadth: 2,
            });
        }
        if with_groups && !r.agent_class.is_empty() {
            out.push(Signature {
                what: format!("agent class {}", r.agent_class),
                runs: s.runs_with_class(src, &r.agent_class),
                breadth: 3,
            });
        }
        for (tool, target) in tool_targets.into_iter().take(3) {
            out.push(Signature {
                what: format!("{tool} on {target}"),
                runs: s.runs_with_signature(signature(src, 0, &[tool, target])),
                breadth: 0,
            });
        }
        for err in errors.into_iter().take(2) {
            let runs = s.runs_with_signature(signature(src, 1, &[&err]));
            out.push(Signature {
                what: format!("error \"{err}\""),
                runs,
                breadth: 1,
            });
        }
        out
    }

    /// Pin one event (by store index) into the notes.
    pub fn pin_event(&mut self, i: usize, fx: &mut Vec<Effect>) {
        if self.viewer() {
            self.flash = Some("a watcher or replay cannot write notes".into());
            return;
        }
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
