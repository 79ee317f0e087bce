//! The header line and the status bar (source health and staleness).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, age};
use crate::app::keymap::Cmd;
use crate::app::{App, Mode};
use crate::model::HealthState;
use crate::model::incident::Role;
use unicode_width::UnicodeWidthStr;

/// A source polled this recently is shown as plain "ok".
const FRESH_SECS: i64 = 5;

pub fn draw_header(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let active = super::runs::active_label(app);
    let commander = match &app.watching {
        // A watcher says whether the commander is still there.
        Some(w) => crate::app::Commander::of(app, w).label(),
        // The commander role names the person; the session, who typed.
        None => app
            .incident
            .holder(Role::Commander)
            .map(str::to_string)
            .or_else(|| app.commander.clone())
            .unwrap_or_else(|| app.operator.label()),
    };
    // Most important first: narrow screens cut from the right. The clock
    // shows minutes: a second hand would repaint the header every second
    // (event times in the timeline carry the milliseconds).
    let text = format!(
        " cordon │ {} UTC │ {} │ {} / {} runs │ {} events │ commander {} ",
        app.now.format("%Y-%m-%d %H:%M"),
        app.incident_id,
        active,
        app.store.runs.len(),
        app.store.events.len(),
        commander,
    );
    f.render_widget(Paragraph::new(text).style(theme.header), area);
}

pub fn draw_status(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let mut spans: Vec<Span> = Vec::new();
    if let Mode::Palette(p) = &app.mode {
        spans.push(Span::styled(format!(" :{}█ ", p.text), theme.title));
        match &p.error {
            Some(e) => spans.push(Span::styled(e.clone(), theme.danger)),
            None => {
                let c = app.candidates(&p.text);
                let shown: Vec<&str> = c.iter().take(8).map(String::as_str).collect();
                spans.push(Span::styled(shown.join("  "), theme.dim));
            }
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    if let Mode::Prompt(p) = &app.mode
        && p.purpose.is_question()
    {
        spans.push(Span::styled(format!(" {} ", p.label), theme.warn));
        spans.push(Span::styled("y yes · n or Esc no", theme.dim));
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    if let Mode::Prompt(p) = &app.mode {
        spans.push(Span::styled(
            format!(" {}: {}█ ", p.label, p.text),
            theme.title,
        ));
        spans.push(Span::styled("Enter saves · Esc cancels", theme.dim));
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    if let Some(b) = &app.replay_badge {
        spans.push(Span::styled(format!(" {b} "), theme.badge_outbound));
        // Why a key did nothing ("a watcher cannot write notes").
        if let Some(msg) = &app.flash {
            spans.push(Span::styled(format!(" {msg}"), theme.warn));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    if app.read_only {
        spans.push(Span::styled(" READ-ONLY ", theme.badge_outbound));
    }
    if let Mode::Filter { pane, .. } = &app.mode {
        let text = app.filter_of(*pane);
        spans.push(Span::styled(format!(" /{text}█ "), theme.title));
        spans.push(Span::styled("Enter keeps · Esc clears ", theme.dim));
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    for s in &app.sources {
        let h = &s.health;
        let age_s = h
            .age_secs(app.now)
            .map(age)
            .unwrap_or_else(|| "never".into());
        match h.state {
            HealthState::Connecting => {
                spans.push(Span::styled(
                    format!(" ○ {} connecting", s.name),
                    theme.warn,
                ));
            }
            HealthState::Ok if !h.is_stale(app.now, app.stale_after) => {
                // A fresh source just says ok: an age ticking between
                // polls would repaint the bar every second for nothing.
                let fresh = h.age_secs(app.now).is_some_and(|a| a < FRESH_SECS);
                spans.push(Span::styled(
                    if fresh {
                        format!(" ● {} ok", s.name)
                    } else {
                        format!(" ● {} ok {}", s.name, age_s)
                    },
                    theme.ok,
                ));
            }
            HealthState::Ok => {
                spans.push(Span::styled(
                    format!(" ▲ {} STALE {}", s.name, age_s),
                    theme.warn,
                ));
            }
            HealthState::Error => {
                let err = h.last_error.as_deref().unwrap_or("error");
                let retry = h
                    .retry_at
                    .map(|t| format!("; retry in {}", age((t - app.now).num_seconds())))
                    .unwrap_or_default();
                let last_ok = match h.age_secs(app.now) {
                    Some(_) => format!("last ok {age_s} ago"),
                    None => "not reached this session".into(),
                };
                spans.push(Span::styled(
                    format!(" ✖ {} STALE, {}: {}{}", s.name, last_ok, err, retry),
                    theme.danger,
                ));
            }
        }
        spans.push(Span::styled(" │", theme.dim));
    }
    if let Some(msg) = &app.flash {
        spans.push(Span::styled(format!(" {msg} │"), theme.warn));
    }
    if let Some(n) = app.notices.last() {
        spans.push(Span::styled(format!(" {n} │"), theme.warn));
    }
    spans.push(Span::styled(hint_bar(app, &spans, area.width), theme.dim));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The focused pane's most useful keys, as many as fit after what the bar
/// already says, then help and quit.
fn hint_bar(app: &App, before: &[Span], width: u16) -> String {
    let tail = format!(
        " {} help · {} quit",
        app.key_for(Cmd::Help),
        app.key_for(Cmd::Quit)
    );
    let used: usize = before.iter().map(Span::width).sum();
    let mut room = (width as usize).saturating_sub(used + tail.width());
    let mut bar = String::new();
    for (key, word) in app.hints() {
        let hint = format!(" {key} {word} ·");
        if hint.width() > room {
            break;
        }
        room -= hint.width();
        bar.push_str(&hint);
    }
    bar + &tail
}
