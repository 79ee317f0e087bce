//! `?`: every key, generated from the keymap table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use super::Theme;
use crate::app::keymap::KEYS;

pub fn draw(app: &crate::app::App, theme: &Theme, f: &mut Frame, area: Rect) {
    // Read-only: dangerous keys are not bound, so they are not listed.
    let keys: Vec<_> = KEYS
        .iter()
        .filter(|k| !(app.read_only && k.dangerous))
        .collect();
    let w = area.width.min(100);
    let h = (keys.len() as u16 + 6).min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    super::clear(f, r);
    let mut lines: Vec<Line> = keys
        .iter()
        .map(|k| {
            Line::from(vec![
                Span::styled(format!(" {:<18}", app.keymap.show(k.keys)), theme.title),
                Span::raw(format!("{:<66}", k.what)),
                Span::styled(k.context, theme.dim),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Event flags: OUT = left the system (outbound)  IRREV = cannot be undone",
        theme.dim,
    )));
    // Small screens: scroll with j/k, and say so.
    let inner = h.saturating_sub(2) as usize;
    let scroll = app.help_scroll.min(lines.len().saturating_sub(inner));
    let more = lines.len() > inner;
    let lines: Vec<Line> = lines.into_iter().skip(scroll).collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.focus_border)
        .title(if more {
            " Keys · j/k scroll · Esc or ? closes "
        } else {
            " Keys · Esc or ? closes "
        });
    f.render_widget(Paragraph::new(lines).block(block), r);
}
