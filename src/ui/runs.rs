//! The Runs pane: a table built only from the visible slice of rows.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use super::theme::{Theme, state_symbol};
use super::{age, pane_block};
use crate::app::{App, Pane};

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
    if let Some(w) = &app.watching
        && !crate::app::Commander::of(app, w).is_live()
        && let Some(t) = w.last_record
    {
        // Nobody is polling: these states are the journal's, not now's.
        title.push_str(&format!(" · as of {} (not live)", t.format("%H:%M")));
    }
    if !app.marked.is_empty() {
        title.push_str(&format!(" · {} marked (x stops them)", app.marked.len()));
    }
    title.push_str(&super::filter_note(app, Pane::Runs, &v.filter));
    let block = pane_block(app, Pane::Runs, title, theme);
    let inner_h = crate::app::layout::rows_in(Pane::Runs, area).height as usize;
    let wide = area.width >= 100;
    let multi = app.sources.len() > 1;
    // HARM stays at every width: it is what the list is sorted by.
    let mut header = vec![" RUN", "HARM"];
    if multi {
        header.push("SRC");
    }
    header.extend(["STATE", "AGENT", "WORKFLOW", "AGE"]);
    if wide {
        header.extend(["TOOLS", "ERR", "RETRY", "EXT"]);
    }
    header.push("LAST EVENT");
    // The RUN column fits the longest id on screen (UUIDs from LangGraph,
    // workflow ids from Temporal), within reason.
    let id_w = v
        .rows
        .iter()
        .skip(v.offset)
        .take(inner_h)
        .map(|&ri| super::width::width(&app.store.runs[ri].id))
        .max()
        .unwrap_or(8)
        .clamp(8, if wide { 36 } else { 14 }) as u16
        + 1;
    let harm_w = v
        .rows
        .iter()
        .skip(v.offset)
        .take(inner_h)
        .map(|&ri| super::width::width(&crate::app::harm::of_run(&app.store, ri).label()))
        .max()
        .unwrap_or(4)
        .clamp(4, 14) as u16;
    // Never wider than what the other columns leave (the table would cut
    // the id from the right: every UUIDv7 of a minute reads the same).
    let others: u16 = if wide {
        16 + 18 + 17 + 4 + 18
    } else {
        10 + 12 + 12 + 4
    } + if multi { 6 } else { 0 }
        + harm_w
        + 10;
    let gaps = if wide { 11 } else { 7 } + u16::from(multi);
    let id_w = id_w
        .min(area.width.saturating_sub(2 + others + gaps))
        .max(9);
    let rows = v
        .rows
        .iter()
        .enumerate()
        .skip(v.offset)
        .take(inner_h)
        .map(|(pos, &ri)| {
            let r = &app.store.runs[ri];
            let mark = if app.marked.contains(&ri) { "✓" } else { " " };
            let harm = crate::app::harm::of_run(&app.store, ri);
            let harm_style = if harm.severe() {
                theme.danger
            } else if harm.is_none() {
                theme.dim
            } else {
                theme.warn
            };
            let mut cells: Vec<Cell> = vec![
                Cell::from(Line::from(vec![
                    Span::styled(mark, theme.danger),
                    // Too long: the part that tells runs apart.
                    Span::raw(super::short_run(&r.id, id_w as usize - 1)),
                ])),
                Cell::from(Span::styled(harm.label(), harm_style)),
            ];
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
                // Counted from the evidence where the platform counts less;
                // out of range shows as such (OOR), in the warning style.
                let stats = app.store.stats(ri);
                let count = |c: crate::model::Count, style| {
                    Cell::from(Span::styled(
                        c.short(),
                        if c.get().is_none() { theme.warn } else { style },
                    ))
                };
                let err_style = if stats.errors.or_zero() > 0 {
                    theme.danger
                } else {
                    theme.text
                };
                cells.push(count(stats.tool_calls, theme.text));
                cells.push(count(stats.errors, err_style));
                cells.push(count(stats.retries, theme.text));
                cells.push(count(stats.external_actions, theme.text));
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
    let mut widths = vec![Constraint::Length(id_w), Constraint::Length(harm_w)];
    if multi {
        widths.push(Constraint::Length(6));
    }
    widths.extend([
        Constraint::Length(if wide { 16 } else { 10 }),
        Constraint::Length(if wide { 18 } else { 12 }),
        Constraint::Length(if wide { 17 } else { 12 }),
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
