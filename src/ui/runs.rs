//! The Runs pane: a table built only from the visible slice of rows.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use super::theme::{Theme, state_symbol};
use super::{age, pane_block};
use crate::app::{App, Mode, Pane};

/// "7 active", and how many runs are in a state cordon does not know
/// (they may be running): "7 active +2 unknown".
pub fn active_label(app: &App) -> String {
    match app.store.unknown {
        0 => format!("{} active", app.store.active),
        n => format!("{} active +{n} unknown", app.store.active),
    }
}

pub fn draw(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let v = &app.runs;
    let active = active_label(app);
    let mut title = format!(
        "Runs {}/{} · {} · sort {}{}",
        v.rows.len(),
        app.store.runs.len(),
        active,
        v.sort.label(),
        if v.reverse { " ↑" } else { "" }
    );
    if v.active_only {
        title.push_str(" · active only");
    }
    if !v.filter.is_empty()
        || matches!(
            app.mode,
            Mode::Filter {
                pane: Pane::Runs,
                ..
            }
        )
    {
        title.push_str(&format!(" · filter /{}", v.filter));
    }
    let block = pane_block(app, Pane::Runs, title, theme);
    let inner_h = area.height.saturating_sub(3) as usize;
    let wide = area.width >= 100;
    let multi = app.sources.len() > 1;
    let mut header = vec![" RUN"];
    if multi {
        header.push("SRC");
    }
    header.extend(["STATE", "AGENT", "WORKFLOW", "AGE"]);
    if wide {
        header.extend(["TOOLS", "ERR", "RETRY", "EXT"]);
    }
    header.push("LAST EVENT");
    let rows = v
        .rows
        .iter()
        .enumerate()
        .skip(v.offset)
        .take(inner_h)
        .map(|(pos, &ri)| {
            let r = &app.store.runs[ri];
            let mark = if app.marked.contains(&ri) { "✓" } else { " " };
            let mut cells: Vec<Cell> = vec![Cell::from(Line::from(vec![
                Span::styled(mark, theme.danger),
                Span::raw(r.id.clone()),
            ]))];
            if multi {
                cells.push(Cell::from(r.source.as_str()));
            }
            let state = if wide {
                r.state.as_str()
            } else {
                short_state(r.state.as_str())
            };
            cells.push(Cell::from(Line::from(vec![
                Span::styled(state_symbol(&r.state), theme.state(&r.state)),
                Span::raw(" "),
                Span::styled(state.to_string(), theme.state(&r.state)),
            ])));
            cells.push(Cell::from(r.agent.as_str()));
            cells.push(Cell::from(r.workflow.as_str()));
            cells.push(Cell::from(
                r.started_at
                    .map(|t| age((app.now - t).num_seconds()))
                    .unwrap_or_else(|| "-".into()),
            ));
            if wide {
                let err_style = if r.stats.errors > 0 {
                    theme.danger
                } else {
                    theme.text
                };
                cells.push(Cell::from(r.stats.tool_calls.to_string()));
                cells.push(Cell::from(Span::styled(
                    r.stats.errors.to_string(),
                    err_style,
                )));
                cells.push(Cell::from(r.stats.retries.to_string()));
                cells.push(Cell::from(r.stats.external_actions.to_string()));
            }
            let last = app.store.last_event(ri).map(|e| {
                Line::from(vec![
                    Span::styled(age((app.now - e.at).num_seconds()), theme.dim),
                    Span::raw(" "),
                    Span::styled(super::theme::kind_symbol(&e.kind), theme.kind(&e.kind)),
                    Span::raw(" "),
                    Span::raw(e.summary.clone()),
                ])
            });
            cells.push(Cell::from(last.unwrap_or_default()));
            let row = Row::new(cells);
            if pos == v.sel && app.focus == Pane::Runs {
                row.style(theme.selected)
            } else if pos == v.sel {
                row.style(
                    theme
                        .selected
                        .remove_modifier(ratatui::style::Modifier::BOLD),
                )
            } else {
                row
            }
        });
    // The RUN column fits the longest id on screen (UUIDs from LangGraph,
    // workflow ids from Temporal), within reason.
    let id_w = v
        .rows
        .iter()
        .skip(v.offset)
        .take(inner_h)
        .map(|&ri| app.store.runs[ri].id.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, if wide { 36 } else { 14 }) as u16
        + 1;
    let mut widths = vec![Constraint::Length(id_w)];
    if multi {
        widths.push(Constraint::Length(6));
    }
    widths.extend([
        Constraint::Length(if wide { 16 } else { 10 }),
        Constraint::Length(if wide { 18 } else { 14 }),
        Constraint::Length(if wide { 17 } else { 14 }),
        Constraint::Length(4),
    ]);
    if wide {
        widths.extend([
            Constraint::Length(5),
            Constraint::Length(4),
            Constraint::Length(5),
            Constraint::Length(4),
        ]);
    }
    widths.push(Constraint::Min(10));
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.dim))
        .block(block)
        .column_spacing(1);
    f.render_widget(table, area);
    if v.rows.is_empty() {
        let msg = if app.store.runs.is_empty() {
            if app.sources.iter().any(|s| s.health.last_ok.is_some()) {
                "no runs yet: the platforms answered and list none"
            } else {
                "waiting for the first poll…"
            }
        } else {
            "no run matches the filter (Esc clears it)"
        };
        let a = Rect::new(area.x + 2, area.y + 2, area.width.saturating_sub(4), 1);
        f.render_widget(Span::styled(msg, theme.dim), a);
    }
}

/// Narrow screens: "waiting_review" does not fit.
fn short_state(s: &str) -> &str {
    match s {
        "waiting_review" => "review",
        "succeeded" => "done",
        o => o,
    }
}
