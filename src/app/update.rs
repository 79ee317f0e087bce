//! `App::update`: keys and messages in, effects out.

use super::views::Scope;
use super::{App, Effect, Mode, Msg, Pane};
use crate::journal::Record;
use crate::model::HealthState;
use crate::source::SourceMsg;

impl App {
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut fx = Vec::new();
        match msg {
            Msg::Key(k) => {
                self.on_key(k, &mut fx);
                self.back_to_inspector();
            }
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.dirty = true;
            }
            Msg::Tick(t) => {
                if t.timestamp() != self.now.timestamp() {
                    self.dirty = true;
                }
                self.now = t;
                self.on_tick_autosave(&mut fx);
                self.restart_tick(&mut fx);
            }
            Msg::Rendered { request, result } => {
                self.on_rendered(request, result);
                self.dirty = true;
            }
            Msg::Exported(result, pin, at) => {
                self.now = self.now.max(at);
                self.on_exported(result, pin, at, &mut fx);
                self.dirty = true;
            }
            Msg::Source(m, at) => {
                self.now = self.now.max(at);
                self.on_source(*m, at, &mut fx);
            }
            Msg::Action(m, at) => {
                self.now = self.now.max(at);
                self.on_action_msg(m, at, &mut fx);
                self.dirty = true;
            }
            Msg::CustomDone(d) => {
                self.on_custom_done(d, &mut fx);
                self.dirty = true;
            }
            Msg::ThemeFailed(e) => {
                // Back to the palette with the command and why, as for any
                // command that fails.
                self.mode = Mode::Palette(super::Palette {
                    text: self.history.last().cloned().unwrap_or_default(),
                    hist: None,
                    error: Some(e),
                });
                self.dirty = true;
            }
            Msg::JournalFailed(e) => {
                if self.journal_fault.is_none() {
                    self.flash = Some(format!(
                        "{e}: actions are refused, watching continues; free the disk and restart cordon"
                    ));
                    self.journal_fault = Some(e);
                }
                self.dirty = true;
            }
        }
        self.refresh();
        let h = self.list_height(Pane::Timeline);
        self.timeline.clamp(h);
        fx
    }

    /// A reopened journal holds runs of `source` as active that its first
    /// poll of this session did not show (the platform lost them: a
    /// server restarted without its data, a run deleted while no console
    /// ran): no longer known to run. Shown `unseen` (a state cordon does
    /// not know), never left as running; a later poll that shows one puts
    /// its real state back.
    fn unseen_since_reopen(
        &mut self,
        source: &str,
        reported: &[crate::model::Run],
        fx: &mut Vec<Effect>,
    ) {
        let gone: Vec<crate::model::Run> = self
            .store
            .runs
            .iter()
            // Paused ones are not in a listing of running executions.
            .filter(|r| r.source == source && r.state.is_active())
            .filter(|r| r.state != crate::model::RunState::Paused)
            .filter(|r| !reported.iter().any(|x| x.id == r.id))
            .map(|r| crate::model::Run {
                state: crate::model::RunState::Other("unseen".into()),
                ..r.clone()
            })
            .collect();
        for run in gone {
            self.record(Record::Run { run }, fx);
        }
    }

    fn source_mut(&mut self, name: &str) -> Option<&mut super::SourceView> {
        self.sources.iter_mut().find(|s| s.name == name)
    }

    fn on_source(&mut self, m: SourceMsg, at: crate::model::Time, fx: &mut Vec<Effect>) {
        match m {
            SourceMsg::Polled { source, batch } => {
                let was = self.source_mut(&source).map(|s| s.health.state);
                // The first answer of this session from a poller that
                // reports every run it sees at its first poll.
                let first = self.source_mut(&source).is_some_and(|s| {
                    s.health.last_ok.is_none()
                        && matches!(s.kind.as_str(), "langgraph" | "temporal")
                });
                if let Some(s) = self.source_mut(&source) {
                    s.health.state = HealthState::Ok;
                    s.health.last_ok = Some(at);
                    s.health.failures = 0;
                    s.health.retry_at = None;
                    // Later pieces of a split batch carry no byte count.
                    if batch.bytes > 0 || batch.offered.is_some() {
                        s.last_bytes = batch.bytes;
                    }
                    if let Some(o) = &batch.offered {
                        s.offered = o.clone();
                    }
                }
                if was == Some(HealthState::Error) {
                    self.record(
                        Record::SourceStatus {
                            source: source.clone(),
                            ok: true,
                            message: "recovered".into(),
                        },
                        fx,
                    );
                }
                let from = self.store.events.len();
                if first {
                    self.unseen_since_reopen(&source, &batch.runs, fx);
                }
                for run in batch.runs {
                    if self.store.run_changed(&run) {
                        self.record(Record::Run { run }, fx);
                    }
                }
                for event in batch.events {
                    if !self.store.has_event(&source, &event.id) {
                        self.record(
                            Record::Event {
                                source: source.clone(),
                                event,
                            },
                            fx,
                        );
                    }
                }
                for crate::source::Linked {
                    source: owner,
                    event,
                } in batch.linked
                {
                    let mut event = event;
                    // A listening source's evidence about another source's
                    // run (a span naming a Temporal workflow): filed under
                    // that run, so the two show as one and its platform's
                    // keys act on it. Kept under the reporting source when
                    // the named one is not in this session.
                    let owner = if self.sources.iter().any(|s| s.name == owner) {
                        owner
                    } else {
                        source.clone()
                    };
                    // Filed under the run the id names there (a bare
                    // workflow id: its latest execution).
                    if let Some(ri) = self.store.resolve_run(&owner, &event.run_id) {
                        event.run_id = self.store.runs[ri].id.clone();
                    }
                    if !self.store.has_event(&owner, &event.id) {
                        self.record(
                            Record::Event {
                                source: owner,
                                event,
                            },
                            fx,
                        );
                    }
                }
                if !batch.credentials.is_empty() {
                    self.store
                        .credentials
                        .insert(source.clone(), batch.credentials.clone());
                }
                if let Some(c) = batch.controls
                    && self.store.reported_controls.get(&source) != Some(&c)
                {
                    // Controls in force are evidence: journal each change the
                    // platform reports (compared with its last report, not
                    // with the display a confirmation moved ahead).
                    self.record(
                        Record::Controls {
                            source,
                            controls: c,
                        },
                        fx,
                    );
                }
                // Harm in a scope being restarted is answered in this
                // same update, before the next poll.
                self.restart_watch(from, fx);
                self.dirty = true;
            }
            SourceMsg::Failed {
                source,
                error,
                retry_in,
            } => {
                let Some(s) = self.source_mut(&source) else {
                    return;
                };
                let first = s.health.state != HealthState::Error;
                s.health.state = HealthState::Error;
                s.health.failures = s.health.failures.saturating_add(1);
                s.health.last_error = Some(error.clone());
                s.health.last_error_at = Some(at);
                s.health.retry_at = chrono::Duration::from_std(retry_in).ok().map(|d| at + d);
                if first {
                    self.record(
                        Record::SourceStatus {
                            source,
                            ok: false,
                            message: error,
                        },
                        fx,
                    );
                }
                self.dirty = true;
            }
        }
    }

    /// and, in a list, selects the row.
    fn on_mouse(&mut self, m: ratatui::crossterm::event::MouseEvent) {
        use ratatui::crossterm::event::{MouseButton, MouseEventKind};
        if self.mode != Mode::Normal {
            return;
        }
        let areas = super::layout::compute_for(self, self.screen());
        let at = ratatui::layout::Position::new(m.column, m.row);
        let side_focus = matches!(self.focus, Pane::Triage | Pane::Containment | Pane::Notes);
        let main_pane = if side_focus {
            self.focus
        } else {
            Pane::Timeline
        };
        let mut hit = None;
        if areas.runs.contains(at) {
            hit = Some((Pane::Runs, areas.runs));
        } else if areas.timeline.contains(at) {
            hit = Some((main_pane, areas.timeline));
        } else {
            for (p, r) in [Pane::Containment, Pane::Triage, Pane::Notes]
                .into_iter()
                .zip(areas.side)
            {
                if r.contains(at) {
                    hit = Some((if p == self.focus { Pane::Timeline } else { p }, r));
                }
            }
        }
        let Some((pane, rect)) = hit else { return };
        self.dirty = true;
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let before = self.focus;
                self.focus = pane;
                self.move_sel(if m.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                });
                self.focus = before;
            }
            MouseEventKind::Down(MouseButton::Left) => {
                self.focus = pane;
                let first = super::layout::rows_in(pane, rect).y;
                if m.row >= first {
                    let row = (m.row - first) as usize;
                    match pane {
                        Pane::Runs if self.runs.offset + row < self.runs.rows.len() => {
                            self.runs.sel = self.runs.offset + row;
                            self.runs.chosen = true;
                        }
                        Pane::Timeline if self.timeline.offset + row < self.timeline.len() => {
                            self.timeline.sel = self.timeline.offset + row;
                            self.timeline.follow = self.timeline.sel + 1 == self.timeline.len();
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) fn move_sel(&mut self, delta: isize) {
        let step = |sel: usize, len: usize| -> usize {
            if len == 0 {
                return 0;
            }
            (sel as isize)
                .saturating_add(delta)
                .clamp(0, len as isize - 1) as usize
        };
        match self.focus {
            Pane::Runs => {
                let before = self.selected_run();
                self.runs.chosen = true;
                self.runs.sel = step(self.runs.sel, self.runs.rows.len());
                let h = self.list_height(Pane::Runs);
                self.runs.clamp(h);
                if self.timeline.scope == Scope::SelectedRun && before != self.selected_run() {
                    self.timeline.follow = true;
                    self.rebuild_timeline();
                }
            }
            Pane::Containment => {
                let len = self.contain_rows().len();
                self.contain_sel = step(self.contain_sel, len);
            }
            Pane::Timeline => {
                let len = self.timeline.len();
                self.timeline.sel = step(self.timeline.sel, len);
                // Moving off the newest event stops following; reaching it
                // again resumes.
                self.timeline.follow = len > 0 && self.timeline.sel == len - 1;
                if self.timeline.follow {
                    self.timeline.unseen = 0;
                }
                let h = self.list_height(Pane::Timeline);
                self.timeline.clamp(h);
            }
            _ => {}
        }
    }
}
