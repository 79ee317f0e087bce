//! `?`: every key, generated from the keymap table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use super::Theme;
use crate::app::keymap::KEYS;

pub fn draw(theme: &Theme, f: &mut Frame, area: Rect) {
    let w = area.width.min(86);
    let h = (KEYS.len() as u16 + 6).min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    super::clear(f, r);
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|k| {
            Line::from(vec![
                Span::styled(format!(" {:<18}", k.keys), theme.title),
                Span::raw(format!("{:<52}", k.what)),
                Span::styled(k.context, theme.dim),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Event flags: OUT = left the system (outbound)  IRREV = cannot be undone",
        theme.dim,
    )));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.focus_border)
        .title(" Keys · Esc or ? closes ");
    f.render_widget(Paragraph::new(lines).block(block), r);
}
