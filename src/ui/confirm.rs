//! The confirm dialog (gitui's model: Action → ConfirmPopup → confirmed)
//! and the tool/credential picker.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::Theme;
use crate::app::layout::dialog_size;
use crate::app::{Confirm, Picker, confirm_lines};

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

pub fn draw(c: &Confirm, theme: &Theme, f: &mut Frame, area: Rect) {
    let (title, lines) = confirm_lines::content(c, &theme.roles());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.danger)
        .title(format!(" Confirm: {title} "));
    // Height after wrapping, so the buttons and hint are never cut (the
    // app refuses Enter when even that does not fit: `App::too_small`).
    let (w, h) = dialog_size(&lines, area.width);
    let r = centered(area, w, h);
    super::clear(f, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        r,
    );
}

pub fn draw_picker(p: &Picker, theme: &Theme, f: &mut Frame, area: Rect) {
    let h = (p.items.len() as u16 + 4).min(area.height);
    let r = centered(area, 60, h);
    super::clear(f, r);
    let what = if p.kind == crate::model::ActionKind::RevokeTool {
        format!("Revoke which tool for agent class {}?", p.agent_class)
    } else {
        "Revoke which credential?".into()
    };
    let mut lines = vec![Line::from(Span::styled(format!(" {what}"), theme.title))];
    for (i, item) in p.items.iter().enumerate() {
        let s = format!("  {item}");
        lines.push(if i == p.sel {
            Line::from(Span::styled(s, theme.selected))
        } else {
            Line::from(s)
        });
    }
    lines.push(Line::from(Span::styled(
        " j/k choose · Enter next · Esc cancels",
        theme.dim,
    )));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focus_border)
        .title(" Pick ");
    f.render_widget(Paragraph::new(lines).block(block), r);
}
