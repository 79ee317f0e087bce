//! Containment in the app, a module per job: keys → proposals
//! (`keys.rs`), opening the dialog (`propose.rs`), what starts next
//! (`next.rs`), the pane's rows and undo (`rows.rs`), the tool and
//! credential picker (`picker.rs`), custom actions (`custom.rs`), and
//! journaling each intent before it is sent (`intent.rs`). The dialog
//! itself is `confirm.rs`, the action lifecycle `actions.rs`.

mod custom;
mod intent;
mod keys;
mod next;
mod picker;
mod propose;
mod rows;

use std::collections::BTreeSet;

use super::{App, Pane};

pub use super::keymap::DANGEROUS;
pub use keys::On;
pub use picker::Picker;
pub use rows::ContainRow;

impl App {
    /// The run the containment keys act on: the selected run, or in the
    /// Timeline the run of the selected event.
    pub fn context_run(&self) -> Option<usize> {
        if let Some(r) = self.inspected {
            return Some(r);
        }
        match self.focus {
            Pane::Timeline => self
                .timeline
                .selected_event()
                .and_then(|e| self.store.run_of_event(e)),
            _ => self.selected_run(),
        }
    }

    pub fn marked_ids(&self) -> BTreeSet<String> {
        self.marked
            .iter()
            .map(|&i| self.store.runs[i].id.to_string())
            .collect()
    }
}
