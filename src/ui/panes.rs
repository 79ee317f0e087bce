//! Dispatch a side pane to its module.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::Theme;
use crate::app::{App, Pane};

pub fn draw(app: &App, pane: Pane, theme: &Theme, f: &mut Frame, area: Rect) {
    match pane {
        Pane::Containment => super::containment::draw(app, theme, f, area),
        Pane::Triage => super::triage::draw(app, theme, f, area),
        Pane::Notes => super::notes::draw(app, theme, f, area),
        Pane::Runs => super::runs::draw(app, theme, f, area),
        Pane::Timeline => super::timeline::draw(app, theme, f, area),
    }
}
