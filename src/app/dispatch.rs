//! Keys in: the command table (`keymap.rs`, as the config moved it) names
//! the command a key is where it was pressed, and each command is matched
//! here. Dialogs (confirm, picker, palette, prompt, filter, help, export
//! preview, the note editor) read their own keys.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keymap::{self, Class, Cmd, Key};
use super::views::Scope;
use super::{App, Effect, Mode, Pane, Prompt, PromptFor};
use crate::journal::Record;
use crate::model::incident::Status;

impl App {
    pub(super) fn on_key(&mut self, k: KeyEvent, fx: &mut Vec<Effect>) {
        self.dirty = true;
        let typing = self.notes_editing && self.focus == Pane::Notes;
        let key = Key::of(&k);
        // Ctrl keys act in every mode, typing included.
        if let Some(b) = key
            .filter(|k| matches!(k, Key::Ctrl(_)))
            .and_then(|key| self.keymap.find(keymap::PANES, key))
        {
            match b.cmd {
                // A second Ctrl-C at the question quits.
                Cmd::Quit if matches!(&self.mode, Mode::Prompt(p) if p.purpose == PromptFor::Quit) => {
                    self.quit(fx)
                }
                Cmd::Quit => self.request_quit(fx),
                Cmd::Suspend => fx.push(Effect::Suspend),
                _ => {}
            }
            return;
        }
        // Where keys are commands (not text), what the table makes of this one.
        let bound = match (&self.mode, typing) {
            (Mode::Normal | Mode::Inspect(_), false) => {
                key.and_then(|key| self.keymap.find(keymap::at_of(self), key))
            }
            _ => None,
        };
        if let Some(why) = self.too_small()
            && self.refused_when_small(&k, bound.map(|b| b.line.class))
        {
            // What would act cannot be seen: refuse it, say why.
            self.flash = Some(format!("{why}: enlarge the window (Esc cancels)"));
            return;
        }
        if self.mode == Mode::Normal
            && self.focus == Pane::Runs
            && bound.is_some_and(|b| b.cmd == Cmd::Inspect || b.line.class == Class::Dangerous)
        {
            // Acting on the selected run is choosing it: the selection no
            // longer follows the most harmful run.
            self.runs.chosen = true;
        }
        // A dangerous command is not bound at all in read-only mode.
        let cmd = bound
            .filter(|b| !(self.read_only && b.line.class == Class::Dangerous))
            .map(|b| b.cmd);
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
            Mode::Inspect(i) => self.on_inspect_key(k, cmd, i, fx),
            m @ Mode::Export(_) => {
                self.mode = m;
                self.on_export_key(k, fx)
            }
            Mode::Normal if typing => self.on_editor_key(k, fx),
            Mode::Normal => {
                // Triage and Notes take their own commands first
                // (`triage_pane.rs`, `notes.rs`).
                let pane_key = match (self.focus, cmd) {
                    (Pane::Triage, Some(c)) => self.on_triage_cmd(c, fx),
                    (Pane::Notes, Some(c)) => self.on_notes_cmd(c),
                    _ => false,
                };
                if pane_key {
                    return;
                }
                match (cmd, key) {
                    (Some(cmd), _) => self.on_command(cmd, fx),
                    // Custom actions act on runs: Runs, Timeline, Containment.
                    (None, Some(Key::Char(c)))
                        if bound.is_none()
                            && matches!(
                                self.focus,
                                Pane::Runs | Pane::Timeline | Pane::Containment
                            ) =>
                    {
                        self.on_custom_key(c, fx);
                    }
                    _ => {}
                }
            }
        }
    }

    /// Keys refused while the window is too small: Enter in a dialog (the
    /// fields can still be edited, Esc still cancels), and every key that
    /// acts on the world outside one (`class`: of the command the key is).
    fn refused_when_small(&self, k: &KeyEvent, class: Option<Class>) -> bool {
        if self.notes_editing && self.focus == Pane::Notes && self.mode == Mode::Normal {
            // Typing a note: keys are text.
            return false;
        }
        match &self.mode {
            Mode::Confirm(_) | Mode::Pick(_) => k.code == KeyCode::Enter,
            Mode::Normal | Mode::Inspect(_) => {
                class == Some(Class::Dangerous)
                    || matches!(k.code, KeyCode::Char(c) if self.custom_for_key(c).is_some())
            }
            _ => false,
        }
    }

    /// After a dialog opened from the inspector closes, go back to it.
    pub(super) fn back_to_inspector(&mut self) {
        if self.mode == Mode::Normal
            && let Some(i) = self.return_to.take()
        {
            self.mode = Mode::Inspect(i);
        }
    }

    /// A command in one of the five panes.
    fn on_command(&mut self, cmd: Cmd, fx: &mut Vec<Effect>) {
        if self.on_contain_cmd(cmd, fx) {
            return;
        }
        let page = self.list_height(self.focus).max(1) as isize;
        match cmd {
            Cmd::Quit => self.request_quit(fx),
            Cmd::Help => self.mode = Mode::Help,
            Cmd::Pin => self.pin_selected(fx),
            Cmd::Inspect => self.inspect_selected(),
            Cmd::Copy => self.copy_selected(fx),
            Cmd::Zoom => {
                self.zoom = !self.zoom;
                let h = self.list_height(Pane::Runs);
                self.runs.clamp(h);
            }
            Cmd::Export => self.open_export("status", fx),
            Cmd::Palette => {
                self.mode = Mode::Palette(super::Palette {
                    text: String::new(),
                    hist: None,
                    error: None,
                })
            }
            Cmd::Back => {
                self.flash = None;
                if let Some(f) = self.filter_mut(self.focus)
                    && !f.is_empty()
                {
                    f.clear();
                    self.filter_changed(self.focus);
                }
            }
            Cmd::NextPane => self.cycle_focus(1),
            Cmd::PrevPane => self.cycle_focus(Pane::ALL.len() - 1),
            Cmd::Focus(i) => self.focus = Pane::ALL[i],
            Cmd::Down => self.move_sel(1),
            Cmd::Up => self.move_sel(-1),
            Cmd::PageDown => self.move_sel(page),
            Cmd::PageUp => self.move_sel(-page),
            Cmd::Top => self.move_sel(isize::MIN / 2),
            Cmd::Bottom => {
                self.move_sel(isize::MAX / 2);
                if self.focus == Pane::Timeline {
                    self.timeline.follow = true;
                    self.timeline.unseen = 0;
                }
            }
            Cmd::Filter => {
                let before = self.filter_mut(self.focus).cloned().unwrap_or_default();
                self.mode = Mode::Filter {
                    pane: self.focus,
                    before,
                };
            }
            Cmd::Mark => {
                if let Some(r) = self.selected_run()
                    && !self.marked.remove(&r)
                {
                    self.marked.insert(r);
                }
                self.move_sel(1);
            }
            Cmd::Sort => {
                self.runs.sort = self.runs.sort.next();
                self.runs.stale = true;
                self.flash = Some(format!("runs sorted by {}", self.runs.sort.label()));
            }
            Cmd::Reverse => {
                self.runs.reverse = !self.runs.reverse;
                self.runs.stale = true;
            }
            Cmd::ActiveOnly => {
                self.runs.active_only = !self.runs.active_only;
                self.runs.stale = true;
                self.runs.sel = 0;
            }
            Cmd::TimelineScope => {
                self.timeline.scope = match self.timeline.scope {
                    Scope::AllRuns => Scope::SelectedRun,
                    Scope::SelectedRun => Scope::AllRuns,
                };
                self.timeline.follow = true;
                self.timeline.unseen = 0;
                self.rebuild_timeline();
            }
            Cmd::Follow => {
                self.timeline.follow = !self.timeline.follow;
                if self.timeline.follow {
                    self.timeline.sel = self.timeline.len().saturating_sub(1);
                    self.timeline.unseen = 0;
                }
            }
            _ => {}
        }
    }

    /// Enter on a run (or an event: its run, at that event).
    fn inspect_selected(&mut self) {
        if self.focus == Pane::Runs {
            if let Some(r) = self.selected_run() {
                self.open_inspector(r, None);
            }
        } else if let Some(e) = self.timeline.selected_event() {
            match self.store.run_of_event(e) {
                Some(r) => self.open_inspector(r, Some(e)),
                None => self.flash = Some("this event belongs to no run cordon has seen".into()),
            }
        }
    }

    /// OSC 52: the selected run id, or the selected event.
    fn copy_selected(&mut self, fx: &mut Vec<Effect>) {
        let text = match self.focus {
            Pane::Runs => self
                .selected_run()
                .map(|r| self.store.runs[r].id.to_string()),
            _ => self
                .timeline
                .selected_event()
                .and_then(|e| serde_json::to_string_pretty(&self.store.events[e].event).ok()),
        };
        if let Some(t) = text {
            self.flash = Some("copied to the clipboard (OSC 52)".into());
            fx.push(Effect::Copy(t));
        }
    }

    /// Quit, but ask first while the incident is serious (SEV1–2) or an
    /// action is still on its way: leaving then drops the console that is
    /// confirming it.
    pub(super) fn request_quit(&mut self, fx: &mut Vec<Effect>) {
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

    fn cycle_focus(&mut self, by: usize) {
        let i = Pane::ALL.iter().position(|p| *p == self.focus).unwrap_or(0);
        self.focus = Pane::ALL[(i + by) % Pane::ALL.len()];
    }
}
