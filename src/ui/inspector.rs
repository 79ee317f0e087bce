//! The run inspector: header (assignment, who, agent, workflow, state
//! history, permissions, counters), the run's evidence grouped the way the
//! seed lists it, the selected event's payload as coloured JSON, and the
//! runs that share its signature.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::Theme;
use super::theme::kind_symbol;
use crate::app::inspect::{GROUPS, group_of, line_of};
use crate::app::{App, Inspect};
use crate::model::EventKind;

/// Longest value shown unfolded, and the hard cap even when expanded.
const FOLD: usize = 100;
const CAP: usize = 20_000;

pub fn draw(app: &App, ins: &Inspect, theme: &Theme, f: &mut Frame, area: Rect) {
    super::clear(f, area);
    let r = &app.store.runs[ins.run];
    let stats = app.store.stats(ins.run);
    let evs = |k: &EventKind| {
        app.store
            .events_of_run(ins.run)
            .iter()
            .map(|&e| &app.store.events[e as usize].event)
            .filter(|e| &e.kind == k)
            .count()
    };
    let history: Vec<String> = app
        .store
        .events_of_run(ins.run)
        .iter()
        .map(|&e| &app.store.events[e as usize].event)
        .filter(|e| e.kind == EventKind::StateChange)
        .map(|e| {
            format!(
                "{} {}",
                e.at.format("%H:%M:%S"),
                e.summary.split(':').next().unwrap_or("")
            )
        })
        .collect();
    // A child workflow names its parent as who asked; its children name it.
    let parent = r.requested_by.strip_prefix("parent workflow ");
    let as_parent = format!("parent workflow {}", r.id);
    let children: Vec<&str> = app
        .store
        .runs
        .iter()
        .filter(|c| c.source == r.source && c.requested_by == as_parent.as_str())
        .map(|c| c.id.as_str())
        .take(12)
        .collect();
    let mut head = vec![
        Line::from(vec![
            Span::styled(format!(" {} ", r.id), theme.title),
            Span::styled(format!("@{} ", r.source), theme.dim),
            Span::styled(r.state.as_str().to_string(), theme.state(&r.state)),
            Span::styled(
                format!(
                    "  agent {} ({}) · workflow {}",
                    r.agent, r.agent_class, r.workflow
                ),
                theme.text,
            ),
        ]),
        Line::from(vec![
            Span::styled(" Assignment ", theme.title),
            Span::raw(r.assignment.clone()),
        ]),
        Line::from(vec![
            Span::styled(" Requested by ", theme.title),
            Span::raw(r.requested_by.clone()),
            Span::styled(
                format!(
                    "  started {}",
                    r.started_at
                        .map(|t| t.format("%H:%M:%S UTC").to_string())
                        .unwrap_or_default()
                ),
                theme.dim,
            ),
        ]),
        Line::from(vec![
            Span::styled(" State history ", theme.title),
            Span::styled(history.join(" → "), theme.dim),
        ]),
        Line::from(vec![
            Span::styled(" Permissions ", theme.title),
            Span::raw(format!(
                "tools [{}] credentials [{}]",
                r.tools.join(", "),
                r.credentials.join(", ")
            )),
        ]),
        Line::from(vec![
            Span::styled(" Counters ", theme.title),
            Span::raw(format!(
                "tool calls {} · errors {} · retries {} · external actions {} · messages sent {} · files changed {} · records written {}",
                stats.tool_calls,
                stats.errors,
                stats.retries,
                stats.external_actions,
                // Sent messages, and calls the rules class as reaching people.
                evs(&EventKind::MessageSent)
                    + app
                        .store
                        .events_of_run(ins.run)
                        .iter()
                        .filter(|&&e| app.store.events[e as usize]
                            .class
                            .has(crate::model::classify::Class::UserFacing))
                        .count(),
                evs(&EventKind::FileWrite),
                evs(&EventKind::DbWrite)
            )),
        ]),
    ];
    if parent.is_some() || !children.is_empty() {
        let mut tree = String::new();
        if let Some(p) = parent {
            tree.push_str(&format!("{p} → "));
        }
        tree.push_str(&format!("[{}]", r.id));
        if !children.is_empty() {
            tree.push_str(&format!(" → {}", children.join(", ")));
        }
        head.push(Line::from(vec![
            Span::styled(" Parent / children ", theme.title),
            Span::styled(tree, theme.dim),
        ]));
    }
    let [head_area, mid, pat_area] = crate::app::layout::inspector(area);
    let hb = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.focus_border)
        .title(" Run inspector · j/k move · z fold · y copy · p pin · M mark a pattern · x X K P h t c b act on this run · Esc back ");
    f.render_widget(Paragraph::new(head).block(hb), head_area);
    let cols = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(45), Constraint::Percentage(55)])
        .split(mid);
    // Evidence list, grouped, live: lines are built only for the visible
    // slice, from the scroll the app keeps (the selected event stays put
    // as new evidence arrives above it).
    let h = cols[0].height.saturating_sub(2) as usize;
    let group = |e: usize| group_of(&app.store.events[e].event.kind);
    let sel_line = line_of(&ins.events, group, ins.sel);
    let skip = ins
        .scroll
        .min(sel_line)
        .max((sel_line + 1).saturating_sub(h));
    let mut lines: Vec<Line> = Vec::new();
    let mut line = 0usize;
    let mut last_group = usize::MAX;
    for (pos, &e) in ins.events.iter().enumerate() {
        if line >= skip + h {
            break;
        }
        let st = &app.store.events[e];
        let ev = &st.event;
        let g = group(e);
        if g != last_group {
            last_group = g;
            if line >= skip {
                lines.push(Line::from(Span::styled(GROUPS[g].0, theme.title)));
            }
            line += 1;
        }
        if line < skip {
            line += 1;
            continue;
        }
        line += 1;
        let mut spans = vec![
            Span::styled(format!(" {} ", ev.at.format("%H:%M:%S%.3f")), theme.dim),
            Span::styled(kind_symbol(&ev.kind), theme.kind(&ev.kind)),
            Span::raw(" "),
        ];
        if crate::app::store::is_outbound(ev, st.class) {
            spans.push(Span::styled("OUT ", theme.badge_outbound));
        }
        if ev.irreversible() {
            spans.push(Span::styled("IRREV ", theme.badge_irreversible));
        }
        spans.push(Span::raw(
            super::fit(&ev.summary, cols[0].width as usize).to_string(),
        ));
        let mut l = Line::from(spans);
        if pos == ins.sel {
            l = l.style(theme.selected);
        }
        lines.push(l);
    }
    let lb = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(format!(" Evidence · {} events · live ", ins.events.len()));
    f.render_widget(
        Paragraph::new(lines.into_iter().take(h).collect::<Vec<_>>()).block(lb),
        cols[0],
    );
    // Event detail: what the rules make of a tool call, then the event.
    let detail = ins
        .events
        .get(ins.sel)
        .map(|&e| {
            let st = &app.store.events[e];
            let ev = &st.event;
            let mut l = Vec::new();
            if let (EventKind::ToolCall, Some(tool), true) =
                (&ev.kind, &ev.tool, app.store.classifies(st.source))
            {
                let data = ev.data.value();
                let v = app.store.rules.classify(tool, data.get("args"));
                l.push(Line::from(Span::styled(
                    format!("{tool}: {}", v.describe()),
                    if v.classes.is_empty() {
                        theme.dim
                    } else {
                        theme.warn
                    },
                )));
            }
            l.extend(json_lines(
                &serde_json::to_value(ev).unwrap_or_default(),
                ins.expanded,
            ));
            l
        })
        .unwrap_or_default();
    let db = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(if ins.expanded {
            " Event · expanded (z folds) "
        } else {
            " Event · long values folded (z expands) "
        });
    f.render_widget(
        Paragraph::new(detail).wrap(Wrap { trim: false }).block(db),
        cols[1],
    );
    // Pattern finder: narrowest first; after M, the row being chosen.
    let mut pl: Vec<Line> = Vec::new();
    for (i, p) in app.pattern_choices(ins.run).iter().enumerate() {
        let others: Vec<&str> = p
            .runs
            .iter()
            .filter(|&&x| x != ins.run)
            .map(|&x| app.store.runs[x].id.as_str())
            .collect();
        let active = p
            .runs
            .iter()
            .filter(|&&x| app.store.runs[x].state.is_active())
            .count();
        let style = if others.is_empty() {
            theme.dim
        } else {
            theme.warn
        };
        let mut l = Line::from(vec![
            Span::styled(format!(" {} ", super::width::pad(&p.what, 44)), theme.text),
            Span::styled(
                format!(
                    "{} other run{} · {active} of {} active ",
                    others.len(),
                    if others.len() == 1 { "" } else { "s" },
                    p.runs.len()
                ),
                style,
            ),
            Span::styled(
                others
                    .iter()
                    .take(8)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
                theme.dim,
            ),
        ]);
        if ins.pick == Some(i) {
            l = l.style(theme.selected);
        }
        pl.push(l);
    }
    let marked = app.marked_ids();
    let title = match (ins.pick.is_some(), marked.len()) {
        (true, _) => " Mark which pattern? j/k choose · Enter marks its active runs · Esc cancels ".to_string(),
        (false, 0) => " One mistake or a pattern? Runs sharing this run's signature, narrowest first (M chooses one to mark) ".to_string(),
        (false, n) => format!(
            " One mistake or a pattern? · {n} marked: {}{} · x stops them ",
            marked.iter().take(6).cloned().collect::<Vec<_>>().join(", "),
            if n > 6 { " …" } else { "" }
        ),
    };
    let pb = Block::default()
        .borders(Borders::ALL)
        .border_style(if ins.pick.is_some() {
            theme.focus_border
        } else {
            theme.border
        })
        .title(title);
    f.render_widget(Paragraph::new(pl).block(pb), pat_area);
}

/// Evidence lines the list shows at this terminal size.
pub use crate::app::layout::inspector_list_height as list_height;

/// Pretty JSON with colours: keys, strings, numbers, literals. Strings
/// longer than FOLD are folded unless expanded; everything is capped.
pub fn json_lines(v: &serde_json::Value, expanded: bool) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    walk(v, 0, None, expanded, &mut out);
    out
}

fn value_span(v: &serde_json::Value, expanded: bool) -> Span<'static> {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            let n = s.chars().count();
            let shown: String = if !expanded && n > FOLD {
                format!(
                    "\"{}…\" (+{} chars, z expands)",
                    s.chars().take(FOLD).collect::<String>(),
                    n - FOLD
                )
            } else if n > CAP {
                format!(
                    "\"{}…\" [truncated at {CAP} chars]",
                    s.chars().take(CAP).collect::<String>()
                )
            } else {
                format!("{:?}", s)
            };
            Span::styled(shown, Style::default().fg(Color::Green))
        }
        Value::Number(n) => Span::styled(n.to_string(), Style::default().fg(Color::Yellow)),
        Value::Bool(b) => Span::styled(b.to_string(), Style::default().fg(Color::Magenta)),
        Value::Null => Span::styled("null", Style::default().fg(Color::DarkGray)),
        _ => Span::raw(""),
    }
}

fn walk(
    v: &serde_json::Value,
    depth: usize,
    key: Option<&str>,
    expanded: bool,
    out: &mut Vec<Line<'static>>,
) {
    use serde_json::Value;
    if out.len() > 2000 {
        return;
    }
    let pad = "  ".repeat(depth);
    let mut prefix = vec![Span::raw(pad.clone())];
    if let Some(k) = key {
        prefix.push(Span::styled(
            format!("{k:?}: "),
            Style::default().fg(Color::Cyan),
        ));
    }
    match v {
        Value::Object(m) => {
            prefix.push(Span::raw("{"));
            out.push(Line::from(prefix));
            for (k, x) in m {
                walk(x, depth + 1, Some(k), expanded, out);
            }
            out.push(Line::from(format!("{pad}}}")));
        }
        Value::Array(a) => {
            prefix.push(Span::raw("["));
            out.push(Line::from(prefix));
            for x in a {
                walk(x, depth + 1, None, expanded, out);
            }
            out.push(Line::from(format!("{pad}]")));
        }
        x => {
            prefix.push(value_span(x, expanded));
            out.push(Line::from(prefix));
        }
    }
}
