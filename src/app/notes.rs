//! The Notes pane: its keys, the note editor, the autosaved draft,
//! saving a note and pinning evidence.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::keymap::Cmd;
use super::{App, Effect};
use crate::journal::Record;
use crate::model::incident::{Note, NoteKind};

impl App {
    /// A command (from the key table) in the Notes pane when not editing;
    /// returns false if it is not one of the pane's.
    pub(super) fn on_notes_cmd(&mut self, cmd: Cmd) -> bool {
        if self.viewer() && cmd == Cmd::Write {
            self.flash = Some("a watcher or replay cannot write notes".into());
            return true;
        }
        match cmd {
            Cmd::Write => self.notes_editing = true,
            Cmd::NoteType => self.note_kind = self.note_kind.next(),
            Cmd::Down => {
                self.notes_sel =
                    (self.notes_sel + 1).min(self.incident.notes.len().saturating_sub(1))
            }
            Cmd::Up => self.notes_sel = self.notes_sel.saturating_sub(1),
            _ => return false,
        }
        true
    }

    /// Keys while typing a note: everything goes to the editor except Esc
    /// (leave, draft kept), Ctrl-S (save) and Ctrl-T (type).
    pub(super) fn on_editor_key(&mut self, k: KeyEvent, fx: &mut Vec<Effect>) {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Esc => {
                self.notes_editing = false;
                self.save_draft(fx);
            }
            KeyCode::Char('s') if ctrl => self.save_note(fx),
            KeyCode::Char('t') if ctrl => self.note_kind = self.note_kind.next(),
            _ => {
                self.editor.input(k);
                // Debounced autosave: at most ~0.7 s between saves while
                // typing; the clock tick saves whatever is left.
                if (self.now - self.draft_saved_at).num_milliseconds() >= 700 {
                    self.save_draft(fx);
                }
            }
        }
    }

    pub fn draft_text(&self) -> String {
        self.editor.lines().join("\n")
    }

    /// Journal the draft if it changed since the last save.
    pub fn save_draft(&mut self, fx: &mut Vec<Effect>) {
        let text = self.draft_text();
        if text != self.draft_saved {
            self.draft_saved_at = self.now;
            self.record(
                Record::NoteDraft {
                    text: crate::sanitize::text(&text, 20_000),
                    at: self.now,
                },
                fx,
            );
        }
    }

    fn save_note(&mut self, fx: &mut Vec<Effect>) {
        let text = crate::sanitize::text(self.draft_text().trim(), 20_000);
        if text.is_empty() {
            self.flash = Some("nothing to save".into());
            return;
        }
        let (owner, due, item_type) = if self.note_kind == NoteKind::ActionItem {
            Note::parse_action_fields(&text)
        } else {
            (None, None, None)
        };
        let note = Note {
            kind: self.note_kind,
            text,
            by: self.who(),
            at: self.now,
            owner,
            due,
            item_type,
            pinned: None,
        };
        self.record(Record::Note { note }, fx);
        self.editor = editor_with("");
        self.draft_saved_at = self.now;
        self.record(
            Record::NoteDraft {
                text: String::new(),
                at: self.now,
            },
            fx,
        );
        self.flash = Some(format!("{} saved", self.note_kind.as_str()));
    }

    /// Pin the selected timeline event into the notes as evidence.
    pub fn pin_selected(&mut self, fx: &mut Vec<Effect>) {
        match self.timeline.selected_event() {
            Some(i) => self.pin_event(i, fx),
            None => self.flash = Some("select an event in the Timeline to pin".into()),
        }
    }

    /// Clock tick: save a pending draft.
    pub(super) fn on_tick_autosave(&mut self, fx: &mut Vec<Effect>) {
        if self.draft_text() != self.draft_saved {
            self.save_draft(fx);
        }
    }
}

pub fn editor_with(text: &str) -> TextArea<'static> {
    let mut t = TextArea::new(if text.is_empty() {
        vec![String::new()]
    } else {
        text.lines().map(String::from).collect()
    });
    t.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    t.set_placeholder_text(
        "i to write · Ctrl-S saves · Ctrl-T changes the type · Esc leaves (the draft is kept)",
    );
    t
}
