//! `App::update`: keys and messages in, effects out.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::views::Scope;
use super::{App, Effect, Mode, Msg, Pane, Prompt, PromptFor};
use crate::journal::Record;
use crate::model::HealthState;
use crate::model::incident::Status;
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

    fn source_mut(&mut self, name: &str) -> Option<&mut super::SourceView> {
        self.sources.iter_mut().find(|s| s.name == name)
    }

    fn on_source(&mut self, m: SourceMsg, at: crate::model::Time, fx: &mut Vec<Effect>) {
        match m {
            SourceMsg::Polled { source, batch } => {
                let was = self.source_mut(&source).map(|s| s.health.state);
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

    fn on_key(&mut self, mut k: KeyEvent, fx: &mut Vec<Effect>) {
        self.dirty = true;
        // Moved keys (config [keys]) apply where keys are commands, not text.
        let typing = self.notes_editing && self.focus == Pane::Notes;
        if let (KeyCode::Char(c), Mode::Normal | Mode::Inspect(_), false) =
            (k.code, &self.mode, typing)
            && !k.modifiers.contains(KeyModifiers::CONTROL)
        {
            match self.keymap.translate(c) {
                Some(d) => k.code = KeyCode::Char(d),
                None => return,
            }
        }
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            // A second Ctrl-C at the question quits.
            if matches!(&self.mode, Mode::Prompt(p) if p.purpose == PromptFor::Quit) {
                self.quit(fx);
            } else {
                self.request_quit(fx);
            }
            return;
        }
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('z') {
            fx.push(Effect::Suspend);
            return;
        }
        if let Some(why) = self.too_small()
            && self.refused_when_small(&k)
        {
            // What would act cannot be seen: refuse it, say why.
            self.flash = Some(format!("{why}: enlarge the window (Esc cancels)"));
            return;
        }
        if self.mode == Mode::Normal
            && self.focus == Pane::Runs
            && (k.code == KeyCode::Enter
                || matches!(k.code, KeyCode::Char(c) if super::contain::DANGEROUS.contains(&c)))
        {
            // Acting on the selected run is choosing it: the selection no
            // longer follows the most harmful run.
            self.runs.chosen = true;
        }
        // Each mode's handler takes its state and puts back what it becomes
        // (Normal when it closes).
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Help => match k.code {
                KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Enter => {
                    self.help_scroll = 0;
                }
                KeyCode::Char('j') | KeyCode::Down => {
                    self.help_scroll = (self.help_scroll + 1).min(200);
                    self.mode = Mode::Help;
                }
                KeyCode::Char('k') | KeyCode::Up => {
                    self.help_scroll = self.help_scroll.saturating_sub(1);
                    self.mode = Mode::Help;
                }
                _ => self.mode = Mode::Help,
            },
            Mode::Filter { pane, before } => self.on_filter_key(k, pane, before),
            Mode::Confirm(c) => self.on_confirm_key(k, c, fx),
            Mode::Pick(p) => self.on_pick_key(k, p, fx),
            Mode::Palette(p) => self.on_palette_key(k, p, fx),
            Mode::Prompt(p) => self.on_prompt_key(k, p, fx),
            Mode::Inspect(i) => self.on_inspect_key(k, i, fx),
            m @ Mode::Export(_) => {
                self.mode = m;
                self.on_export_key(k, fx)
            }
            Mode::Normal => {
                if self.notes_editing && self.focus == Pane::Notes {
                    return self.on_editor_key(k, fx);
                }
                let pane_key = match self.focus {
                    Pane::Triage => self.on_triage_key(k, fx),
                    Pane::Notes => self.on_notes_key(k, fx),
                    _ => false,
                };
                if !pane_key && !self.on_contain_key(k, fx) {
                    self.on_normal_key(k, fx)
                }
            }
        }
    }

    /// Keys refused while the window is too small: Enter in a dialog (the
    /// fields can still be edited, Esc still cancels), and every key that
    /// acts on the world outside one.
    fn refused_when_small(&self, k: &KeyEvent) -> bool {
        if self.notes_editing && self.focus == Pane::Notes && self.mode == Mode::Normal {
            // Typing a note: keys are text.
            return false;
        }
        match &self.mode {
            Mode::Confirm(_) | Mode::Pick(_) => k.code == KeyCode::Enter,
            Mode::Normal | Mode::Inspect(_) => match k.code {
                KeyCode::Char(c) => {
                    super::contain::DANGEROUS.contains(&c) || self.custom_for_key(c).is_some()
                }
                KeyCode::Enter => self.focus == Pane::Containment,
                _ => false,
            },
            _ => false,
        }
    }

    /// After a dialog opened from the inspector closes, go back to it.
    fn back_to_inspector(&mut self) {
        if self.mode == Mode::Normal
            && let Some(i) = self.return_to.take()
        {
            self.mode = Mode::Inspect(i);
        }
    }

    pub(super) fn update_quit(&mut self, fx: &mut Vec<Effect>) {
        self.request_quit(fx)
    }

    /// Quit, but ask first while the incident is serious (SEV1–2) or an
    /// action is still on its way: leaving then drops the console that is
    /// confirming it.
    fn request_quit(&mut self, fx: &mut Vec<Effect>) {
        let sev = self
            .incident
            .current_severity()
            .filter(|s| s.0 <= 2 && self.incident.current_status() != Status::Resolved);
        let in_flight = self.actions.iter().filter(|a| !a.phase.is_final()).count();
        if self.viewer() || (sev.is_none() && in_flight == 0) {
            return self.quit(fx);
        }
        let mut why = Vec::new();
        if let Some(s) = sev {
            why.push(format!("{} is live", s.label()));
        }
        if in_flight > 0 {
            why.push(format!(
                "{in_flight} action{} not confirmed yet (quitting stops watching {})",
                if in_flight == 1 { " is" } else { "s are" },
                if in_flight == 1 { "it" } else { "them" }
            ));
        }
        self.mode = Mode::Prompt(Prompt {
            purpose: PromptFor::Quit,
            label: format!("{}: quit anyway?", why.join(" and ")),
            text: String::new(),
        });
    }

    pub(super) fn move_sel_public(&mut self, delta: isize) {
        self.move_sel(delta)
    }

    pub(super) fn quit(&mut self, fx: &mut Vec<Effect>) {
        self.quitting = true;
        fx.push(Effect::Journal(Record::SessionEnded {
            reason: "quit".into(),
        }));
        fx.push(Effect::Quit);
    }

    fn filter_mut(&mut self, pane: Pane) -> Option<&mut String> {
        match pane {
            Pane::Runs => Some(&mut self.runs.filter),
            Pane::Timeline => Some(&mut self.timeline.filter),
            Pane::Containment => Some(&mut self.contain_filter),
            Pane::Triage => Some(&mut self.triage_filter),
            Pane::Notes => Some(&mut self.notes_filter),
        }
    }

    fn filter_changed(&mut self, pane: Pane) {
        match pane {
            Pane::Runs => {
                self.runs.stale = true;
                self.runs.sel = 0;
            }
            Pane::Timeline => self.rebuild_timeline(),
            Pane::Containment => self.contain_sel = 0,
            Pane::Triage => self.triage_sel = 0,
            Pane::Notes => self.notes_sel = 0,
        }
    }

    fn on_filter_key(&mut self, k: KeyEvent, pane: Pane, before: String) {
        match k.code {
            KeyCode::Enter => return self.mode = Mode::Normal,
            KeyCode::Esc => {
                if let Some(f) = self.filter_mut(pane) {
                    *f = before;
                }
                self.mode = Mode::Normal;
                return self.filter_changed(pane);
            }
            KeyCode::Backspace => {
                if let Some(f) = self.filter_mut(pane) {
                    f.pop();
                }
                self.filter_changed(pane);
            }
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                if let Some(f) = self.filter_mut(pane)
                    && f.chars().count() < 64
                {
                    f.push(c);
                }
                self.filter_changed(pane);
            }
            _ => {}
        }
        self.mode = Mode::Filter { pane, before };
    }

    fn on_normal_key(&mut self, k: KeyEvent, fx: &mut Vec<Effect>) {
        let page = self.list_height(self.focus).max(1);
        match k.code {
            KeyCode::Char('q') => self.request_quit(fx),
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Char('p') if self.focus == Pane::Timeline => self.pin_selected(fx),
            KeyCode::Enter if self.focus == Pane::Runs => {
                if let Some(r) = self.selected_run() {
                    self.open_inspector(r, None);
                }
            }
            KeyCode::Enter if self.focus == Pane::Timeline => {
                if let Some(e) = self.timeline.selected_event() {
                    match self.store.run_of_event(e) {
                        Some(r) => self.open_inspector(r, Some(e)),
                        None => {
                            self.flash = Some("this event belongs to no run cordon has seen".into())
                        }
                    }
                }
            }
            KeyCode::Char('y') if matches!(self.focus, Pane::Runs | Pane::Timeline) => {
                // OSC 52: the selected run id, or the selected event.
                let text = match self.focus {
                    Pane::Runs => self
                        .selected_run()
                        .map(|r| self.store.runs[r].id.to_string()),
                    _ => self.timeline.selected_event().and_then(|e| {
                        serde_json::to_string_pretty(&self.store.events[e].event).ok()
                    }),
                };
                if let Some(t) = text {
                    self.flash = Some("copied to the clipboard (OSC 52)".into());
                    fx.push(Effect::Copy(t));
                }
            }
            KeyCode::Char('z') => {
                self.zoom = !self.zoom;
                let h = self.list_height(Pane::Runs);
                self.runs.clamp(h);
            }
            KeyCode::Char('E') => self.open_export("status", fx),
            KeyCode::Char(':') => {
                self.mode = Mode::Palette(super::Palette {
                    text: String::new(),
                    hist: None,
                    error: None,
                })
            }
            // Enter on a containment row: its inverse, as `u` there.
            KeyCode::Enter if self.focus == Pane::Containment && !self.read_only => {
                self.propose_inverse(fx)
            }
            KeyCode::Esc => {
                self.flash = None;
                if let Some(f) = self.filter_mut(self.focus)
                    && !f.is_empty()
                {
                    f.clear();
                    self.filter_changed(self.focus);
                }
            }
            KeyCode::Tab => self.cycle_focus(1),
            KeyCode::BackTab => self.cycle_focus(Pane::ALL.len() - 1),
            KeyCode::Char(c @ '1'..='5') => {
                self.focus = Pane::ALL[(c as usize) - ('1' as usize)];
            }
            KeyCode::Char('j') | KeyCode::Down => self.move_sel(1),
            KeyCode::Char('k') | KeyCode::Up => self.move_sel(-1),
            KeyCode::PageDown => self.move_sel(page as isize),
            KeyCode::PageUp => self.move_sel(-(page as isize)),
            KeyCode::Char('g') | KeyCode::Home => self.move_sel(isize::MIN / 2),
            KeyCode::Char('G') | KeyCode::End => {
                self.move_sel(isize::MAX / 2);
                if self.focus == Pane::Timeline {
                    self.timeline.follow = true;
                    self.timeline.unseen = 0;
                }
            }
            KeyCode::Char('/') => {
                let before = self.filter_mut(self.focus).cloned().unwrap_or_default();
                self.mode = Mode::Filter {
                    pane: self.focus,
                    before,
                };
            }
            KeyCode::Char('s') if self.focus == Pane::Runs => {
                self.runs.sort = self.runs.sort.next();
                self.runs.stale = true;
                self.flash = Some(format!("runs sorted by {}", self.runs.sort.label()));
            }
            KeyCode::Char('S') if self.focus == Pane::Runs => {
                self.runs.reverse = !self.runs.reverse;
                self.runs.stale = true;
            }
            KeyCode::Char('a') if self.focus == Pane::Runs => {
                self.runs.active_only = !self.runs.active_only;
                self.runs.stale = true;
                self.runs.sel = 0;
            }
            KeyCode::Char('v') if matches!(self.focus, Pane::Runs | Pane::Timeline) => {
                self.timeline.scope = match self.timeline.scope {
                    Scope::AllRuns => Scope::SelectedRun,
                    Scope::SelectedRun => Scope::AllRuns,
                };
                self.timeline.follow = true;
                self.timeline.unseen = 0;
                self.rebuild_timeline();
            }
            KeyCode::Char('f') if self.focus == Pane::Timeline => {
                self.timeline.follow = !self.timeline.follow;
                if self.timeline.follow {
                    self.timeline.sel = self.timeline.len().saturating_sub(1);
                    self.timeline.unseen = 0;
                }
            }
            _ => {}
        }
    }

    /// Wheel scrolls the pane under the pointer; a click focuses a pane
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

    fn cycle_focus(&mut self, by: usize) {
        let i = Pane::ALL.iter().position(|p| *p == self.focus).unwrap_or(0);
        self.focus = Pane::ALL[(i + by) % Pane::ALL.len()];
    }

    fn move_sel(&mut self, delta: isize) {
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
