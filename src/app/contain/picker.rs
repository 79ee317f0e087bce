//! The picker that chooses one of a run's tools or credentials to revoke.

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use crate::app::{App, Effect, Mode};
use crate::model::{ActionKind, Target};

/// Choose one of a run's tools or credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    pub kind: ActionKind,
    pub source: String,
    pub agent_class: String,
    pub items: Vec<String>,
    pub sel: usize,
}

impl App {
    pub(in crate::app) fn on_pick_key(&mut self, k: KeyEvent, mut p: Picker, fx: &mut Vec<Effect>) {
        match k.code {
            KeyCode::Esc | KeyCode::Char('q') => self.mode = Mode::Normal,
            KeyCode::Char('j') | KeyCode::Down => {
                p.sel = (p.sel + 1).min(p.items.len().saturating_sub(1));
                self.mode = Mode::Pick(p);
            }
            KeyCode::Char('k') | KeyCode::Up => {
                p.sel = p.sel.saturating_sub(1);
                self.mode = Mode::Pick(p);
            }
            KeyCode::Enter => {
                self.mode = Mode::Normal;
                let item = p.items.get(p.sel).cloned().unwrap_or_default();
                let target = if p.kind == ActionKind::RevokeTool {
                    Target::tool(p.agent_class, item)
                } else {
                    Target::credential(item)
                };
                self.propose(p.kind, vec![(p.source, target)], fx);
            }
            _ => self.mode = Mode::Pick(p),
        }
    }
}
