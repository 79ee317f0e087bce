//! The Notes pane: saved entries (typed, timestamped, attributed) and the
//! editor (ratatui-textarea: soft wrap, undo), autosaved to the journal.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{Theme, pane_block};
use crate::app::{App, Pane};
use crate::model::incident::NoteKind;

pub fn draw(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let s = &app.incident;
    let focused = app.focus == Pane::Notes;
    let title = if app.notes_filter.is_empty() {
        format!("Notes · {} saved", s.notes.len())
    } else {
        format!(
            "Notes · {} saved · filter /{}",
            s.notes.len(),
            app.notes_filter
        )
    };
    let block = pane_block(app, Pane::Notes, title, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let editor_h = if app.notes_editing { 7 } else { 4 }.min(inner.height / 2 + 1);
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(1), Constraint::Length(editor_h)])
        .split(inner);
    let mut lines: Vec<Line> = Vec::new();
    let shown = s.notes.iter().filter(|n| {
        crate::app::views::contains_ci(
            &format!("{} {} {}", n.kind.as_str(), n.by, n.text),
            &app.notes_filter,
        )
    });
    for (i, n) in shown.enumerate() {
        let style = match n.kind {
            NoteKind::Decision => theme.warn,
            NoteKind::ActionItem => theme.danger,
            NoteKind::Evidence => theme.dim,
            _ => theme.text,
        };
        let mut head = vec![
            Span::styled(n.at.format("%H:%M:%S ").to_string(), theme.dim),
            Span::styled(format!("{} ", n.kind.as_str()), style),
            Span::styled(format!("{} ", n.by), theme.dim),
        ];
        if let Some(o) = &n.owner {
            head.push(Span::styled(format!("owner {o} "), theme.title));
        }
        if let Some(d) = &n.due {
            head.push(Span::styled(format!("due {d} "), theme.title));
        }
        let mut l = Line::from(head);
        if focused && !app.notes_editing && i == app.notes_sel {
            l = l.style(theme.selected);
        }
        lines.push(l);
        for t in n.text.lines() {
            lines.push(Line::from(format!("  {t}")));
        }
    }
    if lines.is_empty() {
        let empty = match app.watching {
            Some(_) => "No notes yet.",
            None => "No notes yet. p in the Timeline pins an event here.",
        };
        lines.push(Line::from(Span::styled(empty, theme.dim)));
    }
    // Newest at the bottom: show the end.
    let h = parts[0].height as usize;
    let skip = lines.len().saturating_sub(h);
    f.render_widget(
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()).wrap(Wrap { trim: false }),
        parts[0],
    );
    if app.watching.is_some() {
        // A watcher cannot write: no editor, no keys offered. (A replay
        // shows what the commander's screen showed.)
        let eb = Block::default()
            .borders(Borders::TOP)
            .border_style(theme.border)
            .title(Span::styled(
                " read-only: notes come from the commander ",
                theme.dim,
            ));
        f.render_widget(eb, parts[1]);
        return;
    }
    let hint = if app.notes_editing {
        format!(
            " new {} · Ctrl-S save · Ctrl-T type · Esc leave ",
            app.note_kind.as_str()
        )
    } else {
        format!(
            " new {} · i write · t type · draft autosaved ",
            app.note_kind.as_str()
        )
    };
    let eb = Block::default()
        .borders(Borders::TOP)
        .border_style(if app.notes_editing {
            theme.focus_border
        } else {
            theme.border
        })
        .title(Span::styled(hint, theme.dim));
    let ea = eb.inner(parts[1]);
    f.render_widget(eb, parts[1]);
    f.render_widget(&app.editor, ea);
}
