//! The header line and the status bar (source health and staleness).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, age};
use crate::app::{App, Mode};
use crate::model::HealthState;

pub fn draw_header(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let active = super::runs::active_label(app);
    let commander = app
        .commander
        .clone()
        .unwrap_or_else(|| app.operator.label());
    // Most important first: narrow screens cut from the right.
    let text = format!(
        " cordon │ {} UTC │ {} │ {} / {} runs │ {} events │ commander {} ",
        app.now.format("%Y-%m-%d %H:%M:%S"),
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
                spans.push(Span::styled(
                    format!(" ● {} ok {}", s.name, age_s),
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
    spans.push(Span::styled(" ? help · q quit", theme.dim));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
