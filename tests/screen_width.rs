//! Character widths never corrupt the layout (issue 16, item 5). Platform
//! text full of ZWJ emoji, flags, skin tones, VS16, combining marks,
//! zero-width and line-separator characters, wide CJK and Hangul jamo runs
//! is drawn on every screen and dialog at random sizes; every rendered line
//! must be exactly the terminal's width in cells as a terminal that
//! measures char by char (tmux, xterm, vt100) draws it, and no cell may be
//! hidden under a wide neighbour. Then the real byte stream, frame after
//! frame with dialogs opening and closing, is fed to a terminal emulator
//! (vt100) whose screen must equal what was drawn: no stray glyph, shifted
//! column or border piece left behind.

mod common;

use common::*;
use cordon::app::App;
use cordon::model::{Event, Run};
use cordon::source::Batch;
use cordon::ui::width::char_width;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyCode;
use serde_json::json;
use unicode_width::UnicodeWidthStr;

/// Pieces of text terminals disagree about, and some they agree about.
const PIECES: &[&str] = &[
    "run",
    "ok ",
    "数据",
    "한국어",
    "ᄀᄀᄀ",
    "ᅡᆨ",
    "👩\u{200d}💻",
    "👩\u{200d}👩\u{200d}👧\u{200d}👦",
    "🇺🇸",
    "🇯🇵🇫🇷",
    "🇷",
    "👍🏽",
    "❤\u{fe0f}",
    "☺\u{fe0e}",
    "1\u{fe0f}\u{20e3}",
    "🏴\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}",
    "e\u{301}\u{301}",
    "\u{301}",
    "\u{336}z",
    "\u{200b}",
    "\u{200c}",
    "\u{200d}",
    "\u{2060}",
    "\u{feff}",
    "\u{2028}",
    "\u{2029}",
    "\u{ad}",
    "ｶﾞ",
    "ﾟ",
    "Ｗｉｄｅ",
    "\u{a0}",
    "مرحبا",
    "\u{202e}rtl",
    "\u{1b}[2J",
    "\t",
    "\n",
    "🎉",
    "⌚",
    "…",
    "\u{1160}",
    "\u{3164}",
    "\u{115f}",
];

fn hostile(rng: &mut fastrand::Rng, max: usize) -> String {
    (0..rng.usize(0..=max))
        .map(|_| PIECES[rng.usize(..PIECES.len())])
        .collect()
}

/// An app holding runs and events whose every text field is hostile.
fn hostile_app(rng: &mut fastrand::Rng) -> App {
    let mut a = app(at(100));
    a.add_source("two", "aca", "http://127.0.0.1:7301");
    let mut runs = Vec::new();
    let mut events = Vec::new();
    for i in 0..rng.usize(1..12) {
        let id = format!("r{i}{}", hostile(rng, 3));
        let odd = hostile(rng, 2);
        let state = [
            "running",
            "queued",
            "paused",
            "waiting_review",
            odd.as_str(),
        ][i % 5];
        let v = json!({"id": id, "state": state,
            "agent": hostile(rng, 6), "agent_class": hostile(rng, 3), "workflow": hostile(rng, 4),
            "assignment": hostile(rng, 20), "requested_by": hostile(rng, 3),
            "tools": [hostile(rng, 3), hostile(rng, 2)], "credentials": [hostile(rng, 3)],
            "started_at": "2026-11-24T09:59:00Z",
            "stats": {"tool_calls": rng.u64(0..5), "errors": rng.u64(0..4)}});
        runs.push(Run::from_wire("sim", &v).unwrap());
        for j in 0..rng.usize(0..6) {
            let e = json!({"id": format!("e{i}-{j}{}", hostile(rng, 1)), "run_id": id,
                "at": format!("2026-11-24T10:00:{:02}Z", rng.u32(0..60)),
                "kind": if rng.bool() { format!("k{}", hostile(rng, 2)) } else { "message_sent".into() },
                "summary": hostile(rng, 24), "tool": hostile(rng, 2), "target": hostile(rng, 4),
                "outbound": rng.bool(), "reversible": rng.bool(),
                "data": {"text": hostile(rng, 12), hostile(rng, 2): [hostile(rng, 3)]}});
            // An empty kind is no event (dropped): fine, others stay.
            events.extend(Event::from_wire_value(&e, at(100)));
        }
    }
    a.update(polled(
        "sim",
        Batch {
            runs,
            events,
            offered: Some(cordon::model::ActionKind::ALL.to_vec()),
            ..Batch::default()
        },
        at(100),
    ));
    a
}

/// The screens and dialogs to look at: keys from the main screen.
const VIEWS: &[&[KeyCode]] = &[
    &[],
    &[KeyCode::Char('2')],
    &[KeyCode::Char('3')],
    &[KeyCode::Char('4')],
    &[KeyCode::Char('5')],
    &[KeyCode::Char('1'), KeyCode::Char('z')],
    &[KeyCode::Char('1'), KeyCode::Enter],
    &[KeyCode::Char('2'), KeyCode::Enter],
    &[KeyCode::Char('?')],
    &[KeyCode::Char('1'), KeyCode::Char('x')],
    &[KeyCode::Char('1'), KeyCode::Char('P')],
    &[KeyCode::Char('1'), KeyCode::Char('t')],
    &[KeyCode::Char('1'), KeyCode::Char('c')],
    &[KeyCode::Char('1'), KeyCode::Char('b')],
    &[KeyCode::Char(':')],
    &[KeyCode::Char('/')],
];

/// What a terminal measuring char by char makes of each row, after
/// ratatui's diff: a cell is sent, the cells its symbol covers (by
/// ratatui's measure) are skipped. Every sent symbol must be as wide on
/// the terminal as ratatui measured it, every skipped cell blank, so each
/// row is exactly the terminal's width.
fn check_rows(buf: &Buffer, what: &str) {
    let (w, h) = (buf.area.width, buf.area.height);
    for y in 0..h {
        let (mut x, mut cells) = (0u16, 0usize);
        let row: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
        while x < w {
            let sym = buf[(x, y)].symbol();
            let measured = if sym.len() == 1 { 1 } else { sym.width() };
            let drawn = char_width(sym);
            assert!(
                drawn == measured && drawn >= 1,
                "{what}: row {y} col {x}: {sym:?} is {drawn} cells on the terminal, {measured} laid out\n{row}"
            );
            for cx in x + 1..(x + measured as u16).min(w) {
                assert_eq!(
                    buf[(cx, y)].symbol(),
                    " ",
                    "{what}: row {y} col {cx} is hidden under {sym:?}\n{row}"
                );
            }
            cells += drawn;
            x += measured.max(1) as u16;
        }
        assert_eq!(
            cells, w as usize,
            "{what}: row {y} is {cells} cells wide, not {w}\n{row}"
        );
    }
}

#[test]
fn every_rendered_line_is_exactly_the_terminals_width() {
    let mut rng = fastrand::Rng::with_seed(16);
    let mut sizes = vec![(160u16, 48u16), (80, 24)];
    for _ in 0..6 {
        sizes.push((rng.u16(24..=220), rng.u16(8..=60)));
    }
    for case in 0..4 {
        for &(w, h) in &sizes {
            for (v, keys) in VIEWS.iter().enumerate() {
                let mut a = hostile_app(&mut rng);
                for k in keys.iter() {
                    a.update(key(*k));
                }
                // Typed text in the palette and filter is hostile too.
                if matches!(keys.first(), Some(KeyCode::Char(':' | '/'))) {
                    for c in hostile(&mut rng, 6).chars() {
                        a.update(ch(c));
                    }
                }
                let t = render(&mut a, w, h);
                check_rows(
                    t.backend().buffer(),
                    &format!("case {case} view {v} {keys:?} at {w}x{h}"),
                );
            }
        }
    }
}

/// A `Write` that keeps what the terminal would have been sent.
#[derive(Clone, Default)]
struct Tap(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Tap {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The emulator's screen equals the frame drawn: each cell the same
/// text, a wide symbol's second cell a continuation.
fn assert_same(screen: &vt100::Screen, buf: &Buffer, what: &str) {
    for y in 0..buf.area.height {
        let mut x = 0;
        while x < buf.area.width {
            let sym = buf[(x, y)].symbol();
            let cell = screen.cell(y, x).expect("in the screen");
            let shown = if cell.contents().is_empty() {
                " "
            } else {
                cell.contents()
            };
            if shown != sym {
                let row: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
                let term: String = (0..buf.area.width)
                    .filter_map(|x| screen.cell(y, x))
                    .map(|c| {
                        if c.is_wide_continuation() {
                            ""
                        } else if c.contents().is_empty() {
                            " "
                        } else {
                            c.contents()
                        }
                    })
                    .collect();
                panic!(
                    "{what}: row {y} col {x}: terminal {shown:?}, drawn {sym:?}\ndrawn:    {row}\nterminal: {term}"
                );
            }
            let w = char_width(sym).max(1) as u16;
            x += w;
        }
    }
}

#[test]
fn dialogs_open_and_close_over_hostile_text_without_leftovers() {
    use ratatui::{Terminal, TerminalOptions, Viewport, backend::CrosstermBackend};
    let mut rng = fastrand::Rng::with_seed(61);
    for &(w, h) in &[(160u16, 48u16), (80, 24), (97, 31)] {
        for _ in 0..4 {
            let mut a = hostile_app(&mut rng);
            a.update(cordon::app::Msg::Resize(w, h));
            let tap = Tap::default();
            let mut term = Terminal::with_options(
                CrosstermBackend::new(tap.clone()),
                TerminalOptions {
                    viewport: Viewport::Fixed(ratatui::layout::Rect::new(0, 0, w, h)),
                },
            )
            .unwrap();
            let nz = |n: u16| std::num::NonZeroU16::new(n).unwrap();
            let mut vt = vt100::Parser::new(nz(h), nz(w), 0);
            // Open and close each dialog, scroll under it, switch panes.
            let steps: &[&[KeyCode]] = &[
                &[],
                &[KeyCode::Char('1'), KeyCode::Char('x')],
                &[KeyCode::Esc],
                &[KeyCode::Char('j'), KeyCode::Char('j')],
                &[KeyCode::Char('?')],
                &[KeyCode::Esc],
                &[KeyCode::Enter],
                &[KeyCode::Char('j')],
                &[KeyCode::Esc],
                &[KeyCode::Char('2'), KeyCode::Char('k'), KeyCode::Char('k')],
                &[KeyCode::Char('1'), KeyCode::Char('t')],
                &[KeyCode::Esc],
                &[KeyCode::Char('z')],
                &[KeyCode::Char('z')],
                &[KeyCode::Char('1'), KeyCode::Char('G')],
            ];
            for (i, keys) in steps.iter().enumerate() {
                for k in keys.iter() {
                    a.update(key(*k));
                }
                let frame = term
                    .draw(|f| cordon::ui::draw(&a, &cordon::ui::Theme::default(), f))
                    .unwrap();
                let buf = frame.buffer.clone();
                let bytes = std::mem::take(&mut *tap.0.lock().unwrap());
                vt.process(&bytes);
                assert_same(
                    vt.screen(),
                    &buf,
                    &format!("{w}x{h} step {i} after {keys:?}"),
                );
            }
        }
    }
}

/// Columns after a wide id stay where they are: the Timeline's run column
/// is cut and padded by display width, not by chars.
#[test]
fn a_wide_run_id_does_not_shift_the_columns_after_it() {
    let mut a = app(at(100));
    let events: Vec<Event> = [
        "数据数据数据数据数据",
        "r1",
        "👩\u{200d}💻👩\u{200d}💻x",
        "e\u{301}e\u{301}e\u{301}e\u{301}",
    ]
    .iter()
    .enumerate()
    .filter_map(|(i, run)| {
        Event::from_wire_value(
            &json!({"id": format!("e{i}"), "run_id": run, "at": format!("2026-11-24T10:00:0{i}Z"),
                        "kind": "tool_call", "summary": "MARK"}),
            at(100),
        )
    })
    .collect();
    a.update(polled(
        "sim",
        Batch {
            events,
            ..Batch::default()
        },
        at(100),
    ));
    let t = render(&mut a, 160, 48);
    let buf = t.backend().buffer();
    let mut cols = Vec::new();
    for y in 0..buf.area.height {
        // The cell where MARK starts, counted in cells.
        let mut x = 0;
        while x < buf.area.width {
            if buf[(x, y)].symbol() == "M" && buf[(x + 1, y)].symbol() == "A" {
                cols.push(x);
                break;
            }
            x += 1;
        }
    }
    assert_eq!(cols.len(), 4, "{cols:?}");
    assert!(
        cols.iter().all(|&c| c == cols[0]),
        "summaries start at {cols:?}"
    );
}
