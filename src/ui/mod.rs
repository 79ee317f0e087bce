//! Drawing: `draw(&App, &Theme, frame)` reads state and renders only what
//! is visible. One module per pane. The theme is the loop's, not the app's:
//! state knows no drawing.

pub mod colors;
pub mod confirm;
pub mod containment;
pub mod export;
pub mod help;
pub mod inspector;
pub mod notes;
pub mod panes;
pub mod run_id;
pub mod runs;
pub mod status;
pub mod svg;
pub mod theme;
pub mod timeline;
pub mod triage;
pub mod width;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType, Borders};

/// Where each pane goes: pure geometry the app shares.
pub use crate::app::layout;
use crate::app::{App, Mode, Pane};
pub use theme::Theme;

pub fn draw(app: &App, theme: &Theme, f: &mut Frame) {
    if let Some(why) = app.too_small() {
        too_small(&why, theme, f);
        colors::adapt(f.buffer_mut(), theme.mode);
        return;
    }
    let areas = layout::compute_for(app, f.area());
    status::draw_header(app, theme, f, areas.header);
    containment::draw_journal_banner(app, theme, f, areas.header);
    if app.zoom {
        // One pane, full screen; z again goes back.
        panes::draw(app, app.focus, theme, f, areas.body);
        status::draw_status(app, theme, f, areas.status);
        draw_overlays(app, theme, f);
        width::settle(f.buffer_mut());
        colors::adapt(f.buffer_mut(), theme.mode);
        return;
    }
    runs::draw(app, theme, f, areas.runs);
    // A focused side pane gets the big area; the timeline takes its slot
    // in the side column (on narrow screens there is no side column).
    let side_focus = matches!(app.focus, Pane::Triage | Pane::Containment | Pane::Notes);
    if side_focus {
        panes::draw(app, app.focus, theme, f, areas.timeline);
    } else {
        timeline::draw(app, theme, f, areas.timeline);
    }
    if areas.side[0].width > 0 {
        for (pane, area) in [Pane::Containment, Pane::Triage, Pane::Notes]
            .into_iter()
            .zip(areas.side)
        {
            if pane == app.focus {
                timeline::draw(app, theme, f, area);
            } else {
                panes::draw(app, pane, theme, f, area);
            }
        }
    }
    status::draw_status(app, theme, f, areas.status);
    draw_overlays(app, theme, f);
    // Every cell as wide on any terminal as it was laid out.
    width::settle(f.buffer_mut());
    // Down to what the terminal can show (NO_COLOR, 256, 16 colours).
    colors::adapt(f.buffer_mut(), theme.mode);
}

fn draw_overlays(app: &App, theme: &Theme, f: &mut Frame) {
    match &app.mode {
        Mode::Help => help::draw(app, theme, f, f.area()),
        Mode::Confirm(c) => confirm::draw(c, theme, f, f.area()),
        Mode::Pick(p) => confirm::draw_picker(p, theme, f, f.area()),
        Mode::Export(p) => export::draw(app, p, theme, f, f.area()),
        Mode::Inspect(i) => inspector::draw(
            app,
            i,
            theme,
            f,
            layout::inspector_area((f.area().width, f.area().height)),
        ),
        _ => {}
    }
}

/// Nothing else fits: say so, rather than clip a dialog's buttons while
/// Enter still presses them.
fn too_small(why: &str, theme: &Theme, f: &mut Frame) {
    let lines = vec![
        ratatui::text::Line::styled(why.to_string(), theme.warn),
        ratatui::text::Line::raw(""),
        ratatui::text::Line::styled(
            "Keys that act are refused until the window is bigger (Enter in a dialog too); Esc cancels a dialog, q quits.",
            theme.dim,
        ),
    ];
    f.render_widget(
        ratatui::widgets::Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.danger)
                    .title(" cordon · window too small "),
            ),
        f.area(),
    );
}

/// A pane title's filter part (" · filter /text"), while the pane has a
/// filter or one is being typed; else nothing.
pub fn filter_note(app: &App, pane: Pane, filter: &str) -> String {
    let typing = matches!(app.mode, crate::app::Mode::Filter { pane: p, .. } if p == pane);
    if filter.is_empty() && !typing {
        return String::new();
    }
    format!(" · filter /{filter}")
}

/// A pane's frame, highlighted when focused.
pub fn pane_block<'a>(app: &App, pane: Pane, title: String, theme: &Theme) -> Block<'a> {
    let focused = app.focus == pane;
    let n = Pane::ALL.iter().position(|p| *p == pane).unwrap_or(0) + 1;
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(if focused {
            theme.focus_border
        } else {
            theme.border
        })
        .title(ratatui::text::Span::styled(
            format!(" {n} {title} "),
            if focused {
                theme.title.patch(theme.focus_border)
            } else {
                theme.title
            },
        ))
}

/// "3s", "12m", "5h", "2d".
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

/// Clear an area (for overlays).
pub fn clear(f: &mut Frame, area: Rect) {
    f.render_widget(ratatui::widgets::Clear, area);
    f.render_widget(Block::default().style(Style::default()), area);
}

pub use run_id::short_run;

/// The longest prefix of `s` that fits in `width` columns, by grapheme
/// cluster ([`width::fit`]).
pub fn fit(s: &str, width: usize) -> &str {
    width::fit(s, width)
}
