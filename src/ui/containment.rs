//! The Containment pane: controls in force (each with its inverse one key
//! away) and every action of this incident with its times.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, pane_block};
use crate::app::{App, ContainRow, Pane};
use crate::model::ActionPhase;

fn phase_style(p: ActionPhase, theme: &Theme) -> ratatui::style::Style {
    match p {
        ActionPhase::Confirmed => theme.ok,
        // In flight, or over with nothing done that needed doing.
        ActionPhase::Intent
        | ActionPhase::Sent
        | ActionPhase::Accepted
        | ActionPhase::AlreadyEnded
        | ActionPhase::NothingToDo
        | ActionPhase::Partial => theme.warn,
        _ => theme.danger,
    }
}

fn dur(t: f64) -> String {
    if t < 1.0 {
        format!("{:.0} ms", t * 1000.0)
    } else {
        format!("{t:.1} s")
    }
}

/// "sent 3 ms → accepted 40 ms → CONFIRMED in 0.4 s", times from the key.
pub fn progress(a: &crate::app::ActionState) -> String {
    let mut s = String::new();
    if let Some(t) = a.secs(a.sent_at) {
        s.push_str(&format!("sent {}", dur(t)));
    } else {
        s.push_str("intent journaled");
    }
    if let Some(t) = a.secs(a.answered_at) {
        let word = match a.phase {
            _ if a.lost.is_some() && a.answer.is_some() => "answer lost, found by key",
            _ if a.lost.is_some() => "answer lost",
            ActionPhase::Refused => "refused",
            ActionPhase::Failed => "no answer",
            ActionPhase::NotSent => "not sent",
            _ => "accepted",
        };
        s.push_str(&format!(" → {word} {}", dur(t)));
        if a.attempts > 1 {
            s.push_str(&format!(" ({} tries)", a.attempts));
        }
    }
    match (a.phase, a.secs(a.verified_at)) {
        (ActionPhase::Confirmed, Some(t)) if t < 0.1 => {
            s.push_str(&format!(" → CONFIRMED in {}", dur(t)))
        }
        (ActionPhase::Confirmed, Some(t)) => s.push_str(&format!(" → CONFIRMED in {t:.1} s")),
        (ActionPhase::Accepted, _) => s.push_str(" → confirming…"),
        (ActionPhase::Sent, _) if a.lost.is_some() => s.push_str(" → re-reading…"),
        (p, Some(t)) => s.push_str(&format!(" → {} after {t:.1} s", p.label())),
        _ => {}
    }
    s
}

/// The persistent banner of a journal that cannot be written (in place of
/// the header): actions are refused, watching goes on.
pub fn draw_journal_banner(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let Some(fault) = &app.journal_fault else {
        return;
    };
    // Most important first: a narrow screen cuts from the right.
    let since = fault.strip_prefix("journal not writable ").unwrap_or(fault);
    let text = format!(
        " ✖ JOURNAL NOT WRITABLE: actions refused, watching only — {since} — free the disk, then restart cordon "
    );
    f.render_widget(
        Paragraph::new(super::fit(&text, area.width as usize).to_string())
            .style(theme.badge_irreversible),
        area,
    );
}

pub fn draw(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let rows = app.contain_rows();
    let controls = rows
        .iter()
        .filter(|r| matches!(r, ContainRow::Control { .. }))
        .count();
    let title = format!(
        "Containment · {controls} in force · {} actions",
        app.actions.len()
    );
    let block = pane_block(app, Pane::Containment, title, theme);
    let h = area.height.saturating_sub(2) as usize;
    let focused = app.focus == Pane::Containment;
    let mut lines: Vec<Line> = Vec::new();
    // Staged restarts in progress first: a window running out matters now.
    for r in app.restarts.iter().filter(|r| r.shown()) {
        let style = match r.phase {
            crate::app::restart::Phase::Recontained { .. } => theme.danger,
            crate::app::restart::Phase::Clean => theme.ok,
            _ => theme.warn,
        };
        lines.push(Line::from(vec![
            Span::styled("↻ ", style),
            Span::styled(r.line(app.now), style),
        ]));
        if let Some((at, said)) = r.log.last() {
            lines.push(Line::from(Span::styled(
                format!("  {} {said}", at.format("%H:%M:%S")),
                theme.dim,
            )));
        }
    }
    if controls == 0 {
        lines.push(Line::from(Span::styled("No controls in force.", theme.dim)));
    }
    let mut sel_line = 0;
    for (i, row) in rows.iter().enumerate() {
        let sel = focused && i == app.contain_sel;
        let mut line = match row {
            ContainRow::Control {
                source,
                kind,
                target,
            } => Line::from(vec![
                Span::styled("■ ", theme.danger),
                Span::styled(format!("{} ", kind.verb()), theme.title),
                Span::raw(format!("{} ", target.label())),
                Span::styled(format!("@{source}"), theme.dim),
                Span::styled(
                    match kind.inverse() {
                        Some(inv) => format!("  u: {} · R: in stages", inv.as_str()),
                        None => String::new(),
                    },
                    theme.dim,
                ),
            ]),
            ContainRow::Action(ai) => {
                let a = &app.actions[*ai];
                let style = phase_style(a.phase, theme);
                let head = Line::from(vec![
                    Span::styled(a.at_key.format("%H:%M:%S ").to_string(), theme.dim),
                    Span::styled(format!("{} ", a.phase.label()), style),
                    Span::styled(format!("{} ", a.req.kind.as_str()), theme.title),
                    Span::raw(format!("{} ", a.req.target.label())),
                    Span::styled(format!("@{}", a.req.source), theme.dim),
                ]);
                let mut more = vec![Line::from(Span::styled(
                    format!("  {}", progress(a)),
                    style,
                ))];
                if !a.detail.is_empty() {
                    more.push(Line::from(Span::styled(
                        format!("  {}", a.detail),
                        theme.dim,
                    )));
                }
                if sel {
                    lines.push(head.style(theme.selected));
                    lines.extend(more.into_iter().map(|l| l.style(theme.selected)));
                } else {
                    lines.push(head);
                    lines.extend(more);
                }
                if sel {
                    sel_line = lines.len();
                }
                continue;
            }
        };
        if sel {
            line = line.style(theme.selected);
        }
        lines.push(line);
        if sel {
            sel_line = lines.len();
        }
    }
    for (name, exit, out, at) in app.custom_log.iter().rev() {
        let ok = *exit == Some(0);
        lines.push(Line::from(vec![
            Span::styled(at.format("%H:%M:%S ").to_string(), theme.dim),
            Span::styled(
                format!("{:<11} ", if ok { "ran" } else { "FAILED" }),
                if ok { theme.ok } else { theme.danger },
            ),
            Span::styled(format!("custom {name} "), theme.title),
            Span::raw(format!(
                "exit {} ",
                exit.map(|e| e.to_string()).unwrap_or_else(|| "-".into())
            )),
            Span::styled(out.lines().next().unwrap_or("").to_string(), theme.dim),
        ]));
    }
    if app.read_only && app.replay_badge.is_none() {
        lines.push(Line::from(Span::styled(
            "READ-ONLY: containment keys are not bound.",
            theme.warn,
        )));
    } else if app.actions.is_empty() {
        lines.push(Line::from(Span::styled(
            "Keys on a run: x stop · X rollback · P pause · h/H hold · t tool · c credential · b/B block outbound · u undo",
            theme.dim,
        )));
    }
    // Keep the selection visible.
    let skip = sel_line.saturating_sub(h);
    let lines: Vec<Line> = lines.into_iter().skip(skip).take(h).collect();
    f.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(block),
        area,
    );
}
