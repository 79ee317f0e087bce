//! Dispatch a side pane to its module.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::Theme;
use crate::app::{App, Pane};

pub fn draw(app: &App, pane: Pane, theme: &Theme, f: &mut Frame, area: Rect) {
    if area.height == 1 {
        return collapsed(app, pane, theme, f, area);
    }
    match pane {
        Pane::Containment => super::containment::draw(app, theme, f, area),
        Pane::Triage => super::triage::draw(app, theme, f, area),
        Pane::Notes => super::notes::draw(app, theme, f, area),
        Pane::Runs => super::runs::draw(app, theme, f, area),
        Pane::Timeline => super::timeline::draw(app, theme, f, area),
    }
}

/// A side pane with nothing in it: its title line only, saying so.
fn collapsed(app: &App, pane: Pane, theme: &Theme, f: &mut Frame, area: Rect) {
    let what = match pane {
        Pane::Containment => "Containment · none in force, no actions",
        Pane::Notes if app.watching.is_some() => "Notes · none yet",
        Pane::Notes => "Notes · none yet (i writes one)",
        Pane::Triage => "Triage",
        Pane::Runs => "Runs",
        Pane::Timeline => "Timeline",
    };
    let block = super::pane_block(app, pane, what.to_string(), theme)
        .borders(ratatui::widgets::Borders::TOP);
    f.render_widget(block, area);
}
