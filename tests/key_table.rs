//! The one command table: every key dispatch answers to is in `?`, every
//! line of `?` is answered by dispatch, and the hint bar offers only bound
//! keys — for the commander, read-only, a watcher, a replay, and with keys
//! the config moved.

mod common;

use common::*;
use cordon::app::bindings::Keymap;
use cordon::app::keymap::{
    At, CONTAIN, Class, INSPECTOR, Key, LINES, Line, NOTES, PANES, RUNS, TIMELINE, TRIAGE,
};
use cordon::app::{App, Mode, Pane};
use std::collections::BTreeSet;

const CONTEXTS: [At; 6] = [RUNS, TIMELINE, TRIAGE, CONTAIN, NOTES, INSPECTOR];

fn consoles() -> Vec<(&'static str, App)> {
    let base = || app_with(&["all"], false, 30);
    let mut read_only = base();
    read_only.read_only = true;
    let mut watch = base();
    watch.read_only = true;
    watch.replay_badge = Some("WATCHING (read-only)".into());
    let mut replay = base();
    replay.read_only = true;
    replay.replay_badge = Some("REPLAY 10:00:30".into());
    let mut moved = base();
    moved.keymap = Keymap::from_config(&[
        ("stop".into(), "Z".into()),
        ("sort".into(), "o".into()),
        ("pin".into(), "W".into()),
        ("quit".into(), "Q".into()),
        ("status".into(), "T".into()),
    ])
    .unwrap();
    vec![
        ("commander", base()),
        ("read-only", read_only),
        ("watch", watch),
        ("replay", replay),
        ("moved keys", moved),
    ]
}

/// Every key the table could name.
fn candidates() -> Vec<Key> {
    let mut v: Vec<Key> = (' '..='~').map(Key::Char).collect();
    v.extend(('a'..='z').map(Key::Ctrl));
    v.extend([
        Key::Tab,
        Key::BackTab,
        Key::Enter,
        Key::Esc,
        Key::Up,
        Key::Down,
        Key::PageUp,
        Key::PageDown,
        Key::Home,
        Key::End,
    ]);
    v
}

/// The help overlay's rows as drawn: (key tokens, what, its table line).
fn help_rows(a: &mut App) -> Vec<(BTreeSet<String>, String, &'static Line)> {
    a.mode = Mode::Help;
    let s = screen(a, 160, 120);
    a.mode = Mode::Normal;
    let mut rows = Vec::new();
    for l in s.lines().skip(1) {
        let Some(inner) = l.split('║').nth(1) else {
            continue;
        };
        let inner: Vec<char> = inner.chars().collect();
        if inner.iter().all(|c| *c == ' ') {
            break; // the blank line before the flags legend
        }
        let col = |a: usize, b: usize| -> String { inner[a..b.min(inner.len())].iter().collect() };
        let keys = col(1, 19);
        if keys.trim().is_empty() {
            continue; // a wrapped line of the row above
        }
        let rest = col(19, inner.len());
        let (what, line) = line_of(rest.trim_end());
        let tokens = keys
            .trim()
            .split(" / ")
            .flat_map(|half| half.split(' '))
            .map(str::to_string)
            .collect();
        rows.push((tokens, what, line));
    }
    rows
}

/// The table line of a row's "what … context" text (its first line).
fn line_of(rest: &str) -> (String, &'static Line) {
    let found: Vec<(String, &Line)> = LINES
        .iter()
        .filter_map(|l| {
            let what = rest.strip_suffix(l.context)?.trim();
            l.what.starts_with(what).then(|| (what.to_string(), l))
        })
        .collect();
    assert_eq!(found.len(), 1, "help row '{rest}'");
    found.into_iter().next().unwrap()
}

/// What dispatch answers to here: the key is found and not unbound.
fn dispatched(a: &App, at: At, key: Key) -> Option<&'static Line> {
    a.keymap
        .find(at, key)
        .filter(|b| !(a.read_only && b.line.class == Class::Dangerous))
        .map(|b| b.line)
}

#[test]
fn every_bound_key_is_in_help_and_every_help_line_is_bound() {
    for (name, mut a) in consoles() {
        let rows = help_rows(&mut a);
        assert!(rows.len() > 20, "{name}: {} rows", rows.len());
        let mut listed: Vec<(&'static Line, BTreeSet<String>)> = Vec::new();
        for (tokens, what, line) in &rows {
            let line = *line;
            assert!(a.lists(line), "{name}: '{what}' is listed but not offered");
            // Every key the row shows is the live key of one of its commands…
            let live: BTreeSet<String> = line
                .binds
                .iter()
                .map(|(k, c)| a.keymap.live(*k, *c).label())
                .collect();
            assert_eq!(tokens, &live, "{name}: row '{what}'");
            // …and dispatch reaches that command with it wherever the line
            // acts (the export preview's keys are its dialog's own).
            for (k, c) in line.binds {
                for at in CONTEXTS.iter().filter(|at| line.at & **at != 0) {
                    let key = a.keymap.live(*k, *c);
                    let got = a.keymap.find(*at, key).map(|b| b.cmd);
                    assert_eq!(got, Some(*c), "{name}: {} at {at}", key.label());
                    assert!(dispatched(&a, *at, key).is_some(), "{name}: {what}");
                }
            }
            listed.push((line, tokens.clone()));
        }
        // Every key dispatch answers to, anywhere, is on its own row.
        for at in CONTEXTS {
            for key in candidates() {
                let Some(line) = dispatched(&a, at, key) else {
                    continue;
                };
                if line.class == Class::Records && a.viewer() {
                    // Refused with a reason, not offered: not listed.
                    continue;
                }
                let row = listed.iter().find(|(l, _)| l.what == line.what);
                assert!(
                    row.is_some_and(|(_, t)| t.contains(&key.label())),
                    "{name}: {} at {at} does '{}' but help does not say so",
                    key.label(),
                    line.what
                );
            }
        }
        // A watcher and a replay are offered nothing that writes.
        if a.viewer() {
            assert!(listed.iter().all(|(l, _)| l.class != Class::Records));
        }
        if a.read_only {
            assert!(listed.iter().all(|(l, _)| l.class != Class::Dangerous));
        }
    }
}

#[test]
fn the_hint_bar_offers_bound_keys_and_fits_at_80_columns() {
    for (name, mut a) in consoles() {
        for (i, pane) in Pane::ALL.into_iter().enumerate() {
            a.focus = pane;
            let at = [RUNS, TIMELINE, TRIAGE, CONTAIN, NOTES][i];
            let hints = a.hints();
            if !a.viewer() {
                assert!(!hints.is_empty(), "{name}: no hints in {pane:?}");
            }
            for (key, word) in &hints {
                let bound = candidates()
                    .into_iter()
                    .filter(|k| k.label() == *key)
                    .any(|k| dispatched(&a, at, k).is_some_and(|l| a.lists(l)));
                assert!(
                    bound,
                    "{name}: hint '{key} {word}' in {pane:?} is not bound"
                );
            }
            for (w, h) in [(80, 24), (160, 48)] {
                let s = screen(&mut a, w, h);
                let last = s.lines().last().unwrap().trim_end().to_string();
                if a.viewer() {
                    continue; // the watch / replay badge has the bar
                }
                let quit = if name == "moved keys" { "Q" } else { "q" };
                let tail = format!("? help · {quit} quit");
                assert!(last.ends_with(&tail), "{name} {w}x{h} {pane:?}: {last}");
                let (key, word) = &hints[0];
                assert!(
                    last.contains(&format!(" {key} {word} ·")),
                    "{name} {w}x{h} {pane:?}: {last}"
                );
            }
        }
    }
}

/// Moved keys move in help and in the hint bar, and the old key is free.
#[test]
fn moved_keys_show_where_they_act() {
    let (_, mut a) = consoles().pop().unwrap();
    let rows = help_rows(&mut a);
    let has = |t: &str, what: &str| {
        rows.iter()
            .any(|(k, w, _)| k.contains(t) && w.starts_with(what))
    };
    assert!(has("Z", "stop the run"));
    assert!(has("o", "sort by the next column"));
    assert!(has("W", "pin the selected event"));
    assert!(has("Q", "quit;"));
    assert!(has("T", "status:"));
    assert!(!rows.iter().any(|(k, _, _)| k.contains("x")));
    a.focus = Pane::Runs;
    assert_eq!(a.hints()[0], ("Z".to_string(), "stop"));
    assert!(a.keymap.find(PANES, Key::Char('x')).is_none());
}
