//! The Timeline pane: events as evidence in time order, newest at the
//! bottom, following new ones unless the commander scrolled up; an event
//! that arrived after later ones is placed by its time and marked LATE.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::pane_block;
use super::theme::{Theme, kind_symbol};
use crate::app::{App, Pane, Scope};

pub fn draw(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let v = &app.timeline;
    let scope = match v.scope {
        Scope::AllRuns => "all runs".to_string(),
        Scope::SelectedRun => match app.selected_run() {
            Some(r) => format!("run {}", app.store.runs[r].id),
            None => "selected run (none)".into(),
        },
    };
    let mut title = format!("Timeline · {scope} · {} events", v.len());
    title.push_str(if v.follow {
        " · following"
    } else {
        " · paused"
    });
    if !v.follow && v.unseen > 0 {
        title.push_str(&format!(" · {} new ↓ (G)", v.unseen));
    }
    title.push_str(&super::filter_note(app, Pane::Timeline, &v.filter));
    let block = pane_block(app, Pane::Timeline, title, theme);
    let h = area.height.saturating_sub(2) as usize;
    let multi = app.sources.len() > 1;
    let lines: Vec<Line> = (v.offset..(v.offset + h).min(v.len()))
        .filter_map(|pos| {
            let i = v.row(pos)?;
            let st = app.store.events.get(i)?;
            let e = &st.event;
            let mut spans = vec![
                Span::styled(e.at.format("%H:%M:%S%.3f ").to_string(), theme.dim),
                Span::styled(kind_symbol(&e.kind), theme.kind(&e.kind)),
                Span::raw(" "),
                Span::styled(
                    format!("{} ", super::width::pad(e.kind.as_str(), 15)),
                    theme.kind(&e.kind),
                ),
            ];
            if multi {
                spans.push(Span::styled(
                    format!(
                        "{} ",
                        super::width::pad(app.store.source_name(st.source), 6)
                    ),
                    theme.dim,
                ));
            }
            spans.push(Span::styled(
                format!("{} ", super::width::pad(&super::short_run(&e.run_id, 9), 9)),
                theme.dim,
            ));
            if v.is_late(i) {
                // Shown in time order, but it arrived after later events.
                spans.push(Span::styled("LATE", theme.warn));
                spans.push(Span::raw(" "));
            }
            if crate::app::store::is_outbound(e, st.class) {
                spans.push(Span::styled("OUT", theme.badge_outbound));
                spans.push(Span::raw(" "));
            }
            if e.irreversible() {
                spans.push(Span::styled("IRREV", theme.badge_irreversible));
                spans.push(Span::raw(" "));
            }
            let summary_style = if e.kind == crate::model::EventKind::Error {
                theme.danger
            } else {
                theme.text
            };
            let used: usize = spans.iter().map(|s| s.width()).sum();
            let room = (area.width as usize).saturating_sub(2 + used);
            spans.push(Span::styled(
                super::fit(&e.summary, room).to_string(),
                summary_style,
            ));
            let line = Line::from(spans);
            Some(if pos == v.sel && app.focus == Pane::Timeline {
                line.style(theme.selected)
            } else {
                line
            })
        })
        .collect();
    let empty = lines.is_empty();
    f.render_widget(Paragraph::new(lines).block(block), area);
    if empty {
        let msg = if v.filter.is_empty() {
            "no events yet"
        } else {
            "no event matches the filter (Esc clears it)"
        };
        let a = Rect::new(area.x + 2, area.y + 1, area.width.saturating_sub(4), 1);
        f.render_widget(Span::styled(msg, theme.dim), a);
    }
}
