//! `?`: every key, generated from the command table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use super::Theme;
use unicode_width::UnicodeWidthStr;

pub fn draw(app: &crate::app::App, theme: &Theme, f: &mut Frame, area: Rect) {
    // Read-only: dangerous keys are not bound, so they are not listed.
    let keys = app.help_lines();
    let w = area.width.min(100);
    // Three columns that fit the width: keys, what (wrapped), where.
    let key_w = 18usize;
    let ctx_w = keys
        .iter()
        .map(|k| k.context.chars().count())
        .max()
        .unwrap_or(0)
        .min(20);
    let what_w = (w as usize)
        .saturating_sub(2 + 1 + key_w + 1 + ctx_w)
        .max(10);
    let mut lines: Vec<Line> = Vec::new();
    for k in &keys {
        for (i, part) in wrap(k.what, what_w).into_iter().enumerate() {
            let pad = what_w.saturating_sub(UnicodeWidthStr::width(part.as_str()));
            lines.push(Line::from(vec![
                Span::styled(
                    if i == 0 {
                        format!(" {:<key_w$}", k.keys)
                    } else {
                        " ".repeat(key_w + 1)
                    },
                    theme.title,
                ),
                Span::raw(format!("{part}{} ", " ".repeat(pad))),
                Span::styled(if i == 0 { k.context } else { "" }, theme.dim),
            ]));
        }
    }
    let h = (lines.len() as u16 + 4).min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    super::clear(f, r);
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Flags: OUT left the system · IRREV cannot be undone · LATE arrived after later events",
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

/// Greedy word wrap to `width` columns (a word longer than a line is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    for word in text.split(' ') {
        let Some(line) = out.last_mut() else { break };
        let used = UnicodeWidthStr::width(line.as_str());
        let need = UnicodeWidthStr::width(word);
        if used > 0 && used + 1 + need > width {
            out.push(super::fit(word, width).to_string());
        } else if used > 0 {
            line.push(' ');
            line.push_str(word);
        } else {
            line.push_str(super::fit(word, width));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_keeps_words_whole_within_the_width() {
        assert_eq!(
            super::wrap("command palette: stop RUN (Tab completes)", 18),
            vec!["command palette:", "stop RUN (Tab", "completes)"]
        );
    }
}
