//! Panes still to be built. They say so plainly instead of pretending.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use super::pane_block;
use crate::app::{App, Pane};

pub fn draw(app: &App, pane: Pane, theme: &Theme, f: &mut Frame, area: Rect) {
    let mut lines = vec![Line::from(Span::styled("Not built yet.", theme.warn))];
    match pane {
        Pane::Containment => {
            lines.push(Line::from(
                "Stop, pause, hold, revoke and block actions come next.",
            ));
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "Controls in force (read from sources):",
                theme.title,
            )));
            let mut any = false;
            for (src, c) in &app.store.controls {
                let mut add = |what: &str, items: Vec<String>| {
                    if !items.is_empty() {
                        any = true;
                        lines.push(Line::from(format!("{src}: {what} {}", items.join(", "))));
                    }
                };
                add("outbound blocked", c.outbound_blocked.clone());
                add("paused", c.paused_workflows.clone());
                add("held queues", c.held_queues.clone());
                add("revoked credentials", c.revoked_credentials.clone());
                add(
                    "revoked tools",
                    c.revoked_tools
                        .iter()
                        .map(|t| format!("{}/{}", t.agent_class, t.tool))
                        .collect(),
                );
            }
            if !any {
                lines.push(Line::from(Span::styled("none", theme.dim)));
            }
        }
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
