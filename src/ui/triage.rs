//! The Triage pane: the incident record (status, severity with its
//! definition, roles, next status update), harm categories, the seed's
//! questions answered from the evidence with citations, OWASP tags, and
//! the impact and repair inventory.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, age, pane_block};
use crate::app::{App, Pane, TriageRow};
use crate::model::incident::{ASI_TAGS, Answer, HARMS, QUESTIONS, Role};

pub fn draw(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let s = &app.incident;
    let t = app.triage();
    let focused = app.focus == Pane::Triage;
    let sev = s.current_severity();
    let title = format!(
        "{}Triage · {} · {}",
        if app.drill.is_some() { "DRILL · " } else { "" },
        s.current_status().as_str(),
        sev.map(|x| x.label())
            .unwrap_or_else(|| "severity not set".into())
    );

    let block = pane_block(app, Pane::Triage, title, theme);
    let mut head: Vec<Line> = Vec::new();
    let sug = t.suggested.map(|x| x.label()).unwrap_or_default();
    head.push(Line::from(vec![
        Span::styled("Severity ", theme.title),
        Span::styled(
            sev.map(|x| format!("{} — {}", x.label(), x.definition()))
                .unwrap_or_else(|| "not set".into()),
            if sev.is_some_and(|x| x.0 <= 2) {
                theme.danger
            } else {
                theme.text
            },
        ),
    ]));
    head.push(Line::from(vec![
        Span::styled("Suggested ", theme.title),
        Span::styled(format!("{sug} "), theme.warn),
        Span::styled(
            format!("({}) · A accepts · +/- override", t.because),
            theme.dim,
        ),
    ]));
    // Drills are not harm: their canaries are left out, and it says so.
    if !t.canaries.is_empty() {
        let ids: Vec<&str> = t
            .canaries
            .iter()
            .take(3)
            .filter_map(|&ri| app.store.runs.get(ri).map(|r| r.id.as_str()))
            .collect();
        head.push(Line::from(vec![
            Span::styled("Left out ", theme.title),
            Span::styled(
                format!(
                    "{} drill canar{} ({}{}): drills, not harm",
                    t.canaries.len(),
                    if t.canaries.len() == 1 { "y" } else { "ies" },
                    ids.join(", "),
                    if t.canaries.len() > 3 { ", …" } else { "" }
                ),
                theme.dim,
            ),
        ]));
    }
    let who = |r: Role| s.holder(r).unwrap_or("—").to_string();
    let commander = match (s.holder(Role::Commander), &app.commander) {
        (Some(c), _) => c.to_string(),
        (None, Some(op)) => format!("— ({op} at the console)"),
        (None, None) => "—".into(),
    };
    head.push(Line::from(vec![
        Span::styled("Roles ", theme.title),
        Span::raw(format!(
            "commander {} · scribe {} · comms {} · responders {}",
            commander,
            who(Role::Scribe),
            who(Role::CommsLead),
            if s.responders().is_empty() {
                "—".into()
            } else {
                s.responders().join(", ")
            }
        )),
    ]));
    if let Some(next) = s.next_update() {
        let left = (next - app.now).num_seconds();
        head.push(if left < 0 {
            Line::from(Span::styled(
                format!(
                    "STATUS UPDATE OVERDUE by {} (E previews one; s there marks it sent)",
                    age(-left)
                ),
                theme.badge_irreversible,
            ))
        } else {
            Line::from(Span::styled(
                format!(
                    "Next status update due {} (in {})",
                    next.format("%H:%M UTC"),
                    age(left)
                ),
                theme.warn,
            ))
        });
    }
    let targets: Vec<String> = t.changes.iter().map(|c| c.target.clone()).collect();
    let rows = app.triage_rows(&targets);
    let mut body: Vec<Line> = Vec::new();
    let mut sel_line = 0;
    let mut section = "";
    for (i, row) in rows.iter().enumerate() {
        let sec = match row {
            TriageRow::Harm(_) => "Harm (Space toggles)",
            TriageRow::Question(_) => "Questions (Space: your answer / evidence · e note)",
            TriageRow::Tag(_) => "OWASP agentic tags",
            TriageRow::Change(_) => "Impact and repair (Space cycles repair · e note)",
        };
        if sec != section {
            section = sec;
            body.push(Line::from(Span::styled(sec, theme.title)));
        }
        let line = match *row {
            TriageRow::Harm(h) => {
                let on = s.harms.contains(HARMS[h]);
                let style = if on && h >= 3 {
                    theme.danger
                } else {
                    theme.text
                };
                Line::from(Span::styled(
                    format!(" [{}] {}", if on { "x" } else { " " }, HARMS[h]),
                    style,
                ))
            }
            TriageRow::Question(q) => {
                let a = &t.answers[q];
                let style = match a.answer {
                    Answer::Yes if q != 4 => theme.warn,
                    Answer::No if q == 4 => theme.danger,
                    Answer::Unknown => theme.dim,
                    _ => theme.ok,
                };
                let cites = |c: &[String]| {
                    if c.is_empty() {
                        String::new()
                    } else {
                        format!(" ← {}", c.join(", "))
                    }
                };
                let mut spans = vec![
                    Span::raw(format!(" {} ", QUESTIONS[q])),
                    Span::styled(format!("{} ", a.answer.as_str().to_uppercase()), style),
                ];
                match t.evidence.get(q) {
                    // The commander and the evidence disagree: both, the
                    // evidence with what it rests on.
                    Some(e) if a.by_commander && e.answer != a.answer => {
                        spans.push(Span::styled(
                            format!("(commander{}) ", note_of(&a.note, &e.note)),
                            theme.dim,
                        ));
                        spans.push(Span::styled(
                            format!("· evidence says {} ", e.answer.as_str().to_uppercase()),
                            theme.warn,
                        ));
                        spans.push(Span::styled(
                            format!("{}{}", e.note, cites(&e.cites)),
                            theme.dim,
                        ));
                    }
                    _ => spans.push(Span::styled(
                        format!(
                            "{}{}{}",
                            if a.by_commander {
                                "(commander, agrees with the evidence) "
                            } else {
                                ""
                            },
                            a.note,
                            cites(&a.cites)
                        ),
                        theme.dim,
                    )),
                }
                Line::from(spans)
            }
            TriageRow::Tag(i) => {
                let on = s.tags.contains(ASI_TAGS[i].0);
                Line::from(Span::styled(
                    format!(
                        " [{}] {} {}",
                        if on { "x" } else { " " },
                        ASI_TAGS[i].0,
                        ASI_TAGS[i].1
                    ),
                    if on { theme.warn } else { theme.dim },
                ))
            }
            TriageRow::Change(i) => {
                let c = &t.changes[i];
                let rev = match c.reversible {
                    Some(true) => Span::styled("reversible ", theme.ok),
                    Some(false) => Span::styled("IRREVERSIBLE ", theme.badge_irreversible),
                    None => Span::styled("reversible? ", theme.dim),
                };
                Line::from(vec![
                    Span::raw(format!(" {} ", c.target)),
                    Span::styled(format!("{}×{} ", c.count, c.kinds.join("+")), theme.dim),
                    rev,
                    Span::styled(format!("[{}]", c.repair.as_str()), theme.title),
                    Span::styled(
                        if c.repair_note.is_empty() {
                            String::new()
                        } else {
                            format!(" {}", c.repair_note)
                        },
                        theme.dim,
                    ),
                ])
            }
        };
        let line = if focused && i == app.triage_sel {
            sel_line = body.len();
            line.style(theme.selected)
        } else {
            line
        };
        body.push(line);
    }
    // The key sentences (severity, suggestion, roles, next update) wrap
    // instead of being cut; the rows below are one line each.
    let inner = block.inner(area);
    f.render_widget(block, area);
    let head_h = crate::app::layout::wrapped_height(&head, inner.width).min(inner.height);
    let [head_area, body_area] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(head_h),
        ratatui::layout::Constraint::Min(0),
    ])
    .areas(inner);
    f.render_widget(
        Paragraph::new(head).wrap(ratatui::widgets::Wrap { trim: false }),
        head_area,
    );
    let h = body_area.height as usize;
    let skip = if focused {
        (sel_line + 2).saturating_sub(h)
    } else {
        0
    };
    let body: Vec<Line> = body.into_iter().skip(skip).take(h).collect();
    f.render_widget(Paragraph::new(body), body_area);
}

/// The commander's own note, when it is not just the evidence's.
fn note_of(mine: &str, evidence: &str) -> String {
    if mine.is_empty() || mine == evidence {
        String::new()
    } else {
        format!(": {mine}")
    }
}
