//! What the confirm dialog says, line by line, each span with its role
//! (title, warning, danger…): the Screen gives the roles the theme's
//! styles and draws it; the app measures it (a window too small for its
//! buttons refuses Enter) with no theme at all.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::{Confirm, ConfirmFocus, Preview, What};

/// The styles of a dialog's roles: the theme's when drawing, none when
/// measuring (a style never changes how text wraps).
#[derive(Debug, Clone, Copy, Default)]
pub struct Roles {
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub selected: Style,
    pub header: Style,
    pub ok: Style,
    pub warn: Style,
    pub danger: Style,
    pub badge_irreversible: Style,
}

fn field<'a>(label: &'a str, value: &str, focused: bool, theme: &Roles) -> Line<'a> {
    let style = if focused {
        theme.selected
    } else {
        theme.text.add_modifier(Modifier::UNDERLINED)
    };
    Line::from(vec![
        Span::styled(format!(" {label:<13}"), theme.title),
        Span::styled(format!("{value}{}", if focused { "█" } else { "" }), style),
    ])
}

/// The dialog's title and lines.
pub fn content<'a>(c: &Confirm, theme: &Roles) -> (String, Vec<Line<'a>>) {
    let (title, verb, undo) = match &c.what {
        What::Builtin(k) => (
            k.as_str().to_string(),
            k.verb().to_string(),
            k.undo_note().to_string(),
        ),
        What::Custom { name, .. } => (
            name.clone(),
            format!("Run {name}"),
            "a custom action: cordon cannot undo it".into(),
        ),
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(" What         ", theme.title),
            Span::raw(verb.clone()),
        ]),
        Line::from(vec![
            Span::styled(" On           ", theme.title),
            Span::raw(c.label()),
        ]),
        Line::from(vec![
            Span::styled(" Scope        ", theme.title),
            Span::raw(c.context.clone()),
        ]),
    ];
    if let What::Custom { argv, .. } = &c.what {
        lines.push(Line::from(vec![
            Span::styled(" Runs         ", theme.title),
            Span::raw(argv.join(" ")),
        ]));
    }
    let radius = match &c.preview {
        Preview::Loading => Span::styled("asking the platform (dry run)…", theme.dim),
        Preview::Failed(e) => Span::styled(format!("unknown: {e}"), theme.warn),
        // The platform's word for why (a run that ended, one waiting at
        // an interrupt()): the commander sees what the key would do.
        Preview::Ready(a) if a.affected_runs.is_empty() && !a.message.is_empty() => Span::styled(
            format!("0 runs affected now (dry run): {}", a.message),
            theme.ok,
        ),
        Preview::Ready(a) if a.affected_runs.is_empty() => {
            Span::styled("0 runs affected now (dry run)", theme.ok)
        }
        Preview::Ready(a) => {
            let a = &a.affected_runs;
            let shown: Vec<&str> = a.iter().take(8).map(String::as_str).collect();
            let more = if a.len() > 8 {
                format!(" … +{}", a.len() - 8)
            } else {
                String::new()
            };
            Span::styled(
                format!(
                    "{} run{} affected (dry run): {}{more}",
                    a.len(),
                    if a.len() == 1 { "" } else { "s" },
                    shown.join(", ")
                ),
                if a.len() >= 10 {
                    theme.danger
                } else {
                    theme.warn
                },
            )
        }
    };
    lines.push(Line::from(vec![
        Span::styled(" Blast radius ", theme.title),
        radius,
    ]));
    if c.what == What::Builtin(crate::model::ActionKind::RollbackRun) {
        plan_lines(c, theme, &mut lines);
    }
    if let Some(n) = &c.note {
        lines.push(Line::from(vec![
            Span::styled(" Platform     ", theme.title),
            Span::styled(n.clone(), theme.warn),
        ]));
    }
    if let Some(n) = &c.next {
        lines.push(Line::from(vec![
            Span::styled(" Starts next  ", theme.title),
            Span::styled(n.warning.clone(), theme.danger),
        ]));
        lines.push(Line::from(vec![
            Span::raw("              "),
            Span::styled(
                format!("[{}] a: {}", if n.on { "x" } else { " " }, n.label),
                if n.on { theme.selected } else { theme.text },
            ),
        ]));
    }
    let undo_style = if undo.starts_with("cannot") || undo.starts_with("a custom") {
        theme.danger
    } else {
        theme.ok
    };
    lines.push(Line::from(vec![
        Span::styled(" Undo         ", theme.title),
        Span::styled(undo, undo_style),
    ]));
    lines.push(Line::from(""));
    lines.push(field(
        "Why",
        &c.reason,
        c.focus == ConfirmFocus::Reason,
        theme,
    ));
    if c.needs_typing() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            match c.confirm_word().as_str() {
                "yes" => format!(" This is wide: type 'yes' below to enable {verb} (Shift-Tab goes there)."),
                w => format!(" This is wide: type '{w}' or 'yes' below to enable {verb} (Shift-Tab goes there)."),
            },
            theme.warn,
        )));
        lines.push(field(
            "Type",
            &c.typed,
            c.focus == ConfirmFocus::Typed,
            theme,
        ));
    }
    lines.push(Line::from(""));
    if let Some(w) = &c.warning {
        lines.push(Line::from(Span::styled(format!(" {w}"), theme.danger)));
    }
    let button = |label: String, focused: bool, danger: bool| {
        let base = if danger { theme.danger } else { theme.text };
        if focused {
            // The focused button is bracketed as well as coloured, so it
            // reads without colour too.
            let style = if danger {
                theme.badge_irreversible
            } else {
                theme.header
            };
            Span::styled(format!("[ {label} ]"), style.add_modifier(Modifier::BOLD))
        } else {
            Span::styled(format!("  {label}  "), base)
        }
    };
    lines.push(Line::from(vec![
        Span::raw("        "),
        button("Cancel".into(), c.focus == ConfirmFocus::Cancel, false),
        Span::raw("      "),
        button(verb, c.focus == ConfirmFocus::Confirm, true),
    ]));
    lines.push(Line::from(Span::styled(
        if c.next.is_some() {
            " Tab moves · ←/→ choose · a adds what starts next · Enter presses · Esc cancels"
        } else {
            " Tab moves · ←/→ choose · Enter presses · Esc cancels"
        },
        theme.dim,
    )));
    (title, lines)
}

/// A rollback's plan: what it will revert, what it cannot, and (when the
/// platform plans no reverts of its own) the changes cordon saw that stay.
fn plan_lines(c: &Confirm, theme: &Roles, lines: &mut Vec<Line<'static>>) {
    const SHOWN: usize = 6;
    let mut list = |label: &'static str, items: Vec<String>, style| {
        for (n, it) in items.iter().take(SHOWN).enumerate() {
            lines.push(Line::from(vec![
                Span::styled(if n == 0 { label } else { "              " }, theme.title),
                Span::styled(it.clone(), style),
            ]));
        }
        if items.len() > SHOWN {
            lines.push(Line::from(vec![
                Span::raw("              "),
                Span::styled(format!("… +{} more", items.len() - SHOWN), theme.dim),
            ]));
        }
    };
    let Preview::Ready(a) = &c.preview else {
        return;
    };
    match &a.reverts {
        Some(r) if r.is_empty() => list(
            " Will revert  ",
            vec![format!(
                "NOTHING TO ROLL BACK: the platform's plan reverts no write{}",
                if a.message.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", a.message)
                }
            )],
            theme.warn,
        ),
        Some(r) => list(
            " Will revert  ",
            std::iter::once(format!(
                "{} write{}:",
                r.len(),
                if r.len() == 1 { "" } else { "s" }
            ))
            .chain(
                r.iter()
                    .map(|w| format!("{} {} {}", w.event_id, w.kind, w.target)),
            )
            .collect(),
            theme.ok,
        ),
        None => list(
            " Will revert  ",
            vec!["nothing outside the platform: it plans no reverts of its own".into()],
            theme.warn,
        ),
    }
    let mut stays: Vec<String> = a
        .cannot_revert
        .iter()
        .map(|w| format!("{} {} {} — {}", w.event_id, w.kind, w.target, w.why))
        .collect();
    if a.reverts.is_none() {
        stays.extend(c.seen_writes.iter().cloned());
    }
    if !stays.is_empty() {
        let n = stays.len();
        stays.insert(
            0,
            format!("{n} change{}, they stay:", if n == 1 { "" } else { "s" }),
        );
        list(" Won't revert ", stays, theme.danger);
    }
}
