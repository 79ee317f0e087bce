//! Panes still to be built. They say so plainly instead of pretending.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use super::pane_block;
use crate::app::{App, Pane};

pub fn draw(app: &App, pane: Pane, theme: &Theme, f: &mut Frame, area: Rect) {
    if pane == Pane::Containment {
        return super::containment::draw(app, theme, f, area);
    }
    let mut lines = vec![Line::from(Span::styled("Not built yet.", theme.warn))];
    match pane {
        Pane::Triage => {
            lines.push(Line::from(
                "Severity, harm categories and the triage questions come later.",
            ));
        }
        Pane::Notes => {
            lines.push(Line::from(
                "Notes, decisions and exports come later; the journal already keeps all evidence.",
            ));
        }
        _ => {}
    }
    let block = pane_block(app, pane, pane.title().to_string(), theme);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        area,
    );
}
