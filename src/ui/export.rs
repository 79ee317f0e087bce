//! The export preview: the document as it will be written, what the
//! commander must check first, and whether it was exported and sent.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::Theme;
use crate::app::{App, ExportPreview, Rendering};
use crate::report::{KINDS, audience, title_of};

pub fn draw(app: &App, p: &ExportPreview, theme: &Theme, f: &mut Frame, area: Rect) {
    let w = area
        .width
        .saturating_sub(4)
        .min(120)
        .max(area.width.min(40));
    let h = area.height.saturating_sub(2).max(area.height.min(8));
    let r = Rect::new(
        area.x + (area.width.saturating_sub(w)) / 2,
        area.y + (area.height.saturating_sub(h)) / 2,
        w,
        h,
    );
    super::clear(f, r);
    let kind = p.kind();
    let title = match audience(kind) {
        Some(to) => format!(" Preview: {} for {to} ", title_of(kind)),
        None => format!(" Preview: {} ", title_of(kind)),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.focus_border)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let width = inner.width as usize;

    let mut head: Vec<Line> = Vec::new();
    let tabs: Vec<Span> = KINDS
        .iter()
        .enumerate()
        .flat_map(|(i, k)| {
            let style = if i == p.kind {
                theme.selected
            } else {
                theme.dim
            };
            [
                Span::styled(format!(" {} ", title_of(k)), style),
                Span::raw(" "),
            ]
        })
        .collect();
    head.push(Line::from(tabs));
    let draft = match &p.draft {
        Rendering::Ready(d) => Some(d),
        _ => None,
    };
    if let Some(d) = draft {
        // What to check before sending, whole (wrapped), at most a third
        // of the dialog.
        let room = (inner.height as usize / 3).max(1);
        let mut warn_lines: Vec<String> = Vec::new();
        // The panes around it go on taking in evidence; the draft does
        // not: say so, or a quiet update reads as the present.
        let newer = app.generation.saturating_sub(p.seen);
        let behind = (newer > 0).then(|| {
            format!(
                "{} from the platforms since this was rendered from the journal (records to {}): r renders again.",
                if newer == 1 {
                    "1 new record".to_string()
                } else {
                    format!("{newer} new records")
                },
                d.as_of.format("%H:%M:%S UTC")
            )
        });
        for warn in behind.iter().chain(&d.warnings) {
            for (i, l) in wrap(warn, width.saturating_sub(3)).into_iter().enumerate() {
                warn_lines.push(format!(" {} {l}", if i == 0 { "!" } else { " " }));
            }
        }
        let cut = warn_lines.len() > room;
        for l in warn_lines.iter().take(if cut { room - 1 } else { room }) {
            head.push(Line::from(Span::styled(l.clone(), theme.warn)));
        }
        if cut {
            head.push(Line::from(Span::styled(
                " ! … more to check: make the window taller",
                theme.warn,
            )));
        }
    }
    head.push(Line::from(Span::styled("─".repeat(width), theme.border)));
    let foot = vec![
        Line::from(Span::styled("─".repeat(width), theme.border)),
        Line::from(state_line(app, p, theme, width, 0)),
        Line::from(Span::styled(
            super::fit(
                " Enter export · s mark sent · Tab / Shift-Tab other export · j k PgDn PgUp g G scroll · r render again · Esc close",
                width,
            )
            .to_string(),
            theme.dim,
        )),
    ];
    let head_h = (head.len() as u16).min(inner.height);
    let foot_h = (foot.len() as u16).min(inner.height.saturating_sub(head_h));
    let body_h = inner.height.saturating_sub(head_h + foot_h);
    // The visible slice, wrapped here so the counter says what is seen.
    let mut rows: Vec<Line> = Vec::new();
    let mut visible = 0;
    if let Rendering::Ready(d) = &p.draft {
        for l in d.text.lines().skip(p.scroll) {
            let style = if l.starts_with('#') {
                theme.title.add_modifier(Modifier::BOLD)
            } else if l.starts_with('_') || l.starts_with('|') {
                theme.dim
            } else {
                theme.text
            };
            let parts = wrap(super::fit(l, width * 8), width);
            if rows.len() + parts.len() > body_h as usize {
                break;
            }
            rows.extend(
                parts
                    .into_iter()
                    .map(|x| Line::from(Span::styled(x, style))),
            );
            visible += 1;
        }
    }
    let mut foot = foot;
    foot[1] = Line::from(state_line(app, p, theme, width, visible));
    f.render_widget(
        Paragraph::new(head),
        Rect::new(inner.x, inner.y, inner.width, head_h),
    );
    let body = Rect::new(inner.x, inner.y + head_h, inner.width, body_h);
    match &p.draft {
        Rendering::Loading => f.render_widget(
            Paragraph::new(Span::styled(" rendering from the journal…", theme.dim)),
            body,
        ),
        Rendering::Failed(e) => f.render_widget(
            Paragraph::new(Span::styled(
                format!(" cannot render it: {e}"),
                theme.danger,
            ))
            .wrap(Wrap { trim: false }),
            body,
        ),
        Rendering::Ready(_) => f.render_widget(Paragraph::new(rows), body),
    }
    f.render_widget(
        Paragraph::new(foot),
        Rect::new(inner.x, inner.y + head_h + body_h, inner.width, foot_h),
    );
}

/// Where this export stands: lines shown, written or not, sent or not.
fn state_line<'a>(
    app: &App,
    p: &ExportPreview,
    theme: &Theme,
    width: usize,
    rows: usize,
) -> Vec<Span<'a>> {
    let kind = p.kind();
    let total = p.lines();
    let shown = if total == 0 {
        String::new()
    } else {
        format!(
            " lines {}–{} of {total}{} · ",
            p.scroll + 1,
            (p.scroll + rows).min(total),
            if total > crate::app::export::PREVIEW_LINES {
                format!(
                    " (the preview stops at {}; the export has all)",
                    crate::app::export::PREVIEW_LINES
                )
            } else {
                String::new()
            }
        )
    };
    let (text, style) = if p.writing {
        ("writing…".to_string(), theme.warn)
    } else if let Some(w) = &p.written {
        match audience(kind) {
            Some(_) => match app.incident.last_export(kind).and_then(|c| c.sent.as_ref()) {
                Some((at, _)) => (
                    format!("exported, sent {} · {}", at.format("%H:%M:%S UTC"), w.path),
                    theme.ok,
                ),
                None => (
                    format!(
                        "exported, NOT SENT yet: press s once it has gone out · {}",
                        w.path
                    ),
                    theme.warn,
                ),
            },
            None => (format!("exported to {}", w.path), theme.ok),
        }
    } else {
        match (audience(kind), app.incident.last_export(kind)) {
            (Some(_), Some(c)) => (
                format!(
                    "not exported yet · last one exported {}{}",
                    c.exported_at.format("%H:%M:%S UTC"),
                    match &c.sent {
                        Some((at, _)) => format!(", sent {}", at.format("%H:%M:%S UTC")),
                        None => ", not marked sent".into(),
                    }
                ),
                theme.dim,
            ),
            _ => ("not exported yet".into(), theme.dim),
        }
    };
    vec![
        Span::styled(shown.clone(), theme.dim),
        Span::styled(
            super::fit(&text, width.saturating_sub(shown.chars().count())).to_string(),
            style,
        ),
    ]
}

/// Word wrap by display width that keeps a line's own spacing (JSON
/// indentation, Markdown lists); a word wider than the line is cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(10);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0usize;
    for (i, word) in text.split(' ').enumerate() {
        let ww: usize = word.chars().map(|c| c.width().unwrap_or(0)).sum();
        let sep = usize::from(i > 0);
        if cur_w + sep + ww > width && cur_w > 0 {
            out.push(std::mem::take(&mut cur));
            cur_w = 0;
        } else if i > 0 {
            cur.push(' ');
            cur_w += 1;
        }
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if cur_w + cw > width {
                out.push(std::mem::take(&mut cur));
                cur_w = 0;
            }
            cur.push(c);
            cur_w += cw;
        }
    }
    out.push(cur);
    out
}
