//! `App::update` unit tests: navigation, filter, follow, focus, help, quit.

mod common;

use common::*;
use cordon::app::{Effect, Mode, Msg, Pane, Scope, SortKey};
use cordon::journal::Record;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[test]
fn new_events_and_runs_are_journaled_once() {
    let w = world(&["wrong-segment"], false, 10);
    let mut a = app(at(10));
    let fx = a.update(polled("sim", batch_of(&w, "sim"), at(10)));
    let events = fx
        .iter()
        .filter(|e| matches!(e, Effect::Journal(Record::Event { .. })))
        .count();
    let runs = fx
        .iter()
        .filter(|e| matches!(e, Effect::Journal(Record::Run { .. })))
        .count();
    assert_eq!(events, w.events.len());
    assert_eq!(runs, w.runs.len());
    // The same batch again: nothing new, nothing journaled.
    let fx = a.update(polled("sim", batch_of(&w, "sim"), at(11)));
    assert!(fx.iter().all(|e| !matches!(
        e,
        Effect::Journal(Record::Event { .. }) | Effect::Journal(Record::Run { .. })
    )));
    assert_eq!(a.store.events.len(), w.events.len());
}

#[test]
fn j_k_move_and_clamp() {
    let mut a = app_with(&["all"], false, 20);
    let n = a.runs.rows.len();
    assert!(n > 3);
    assert_eq!(a.runs.sel, 0);
    a.update(ch('j'));
    a.update(key(KeyCode::Down));
    assert_eq!(a.runs.sel, 2);
    a.update(ch('k'));
    assert_eq!(a.runs.sel, 1);
    for _ in 0..n + 5 {
        a.update(ch('j'));
    }
    assert_eq!(a.runs.sel, n - 1);
    a.update(ch('g'));
    assert_eq!(a.runs.sel, 0);
    a.update(ch('G'));
    assert_eq!(a.runs.sel, n - 1);
    a.update(key(KeyCode::Up));
    assert_eq!(a.runs.sel, n - 2);
}

#[test]
fn selection_follows_the_run_when_rows_resort() {
    let mut w = world(&["all"], false, 10);
    let mut a = app(at(10));
    a.update(polled("sim", batch_of(&w, "sim"), at(10)));
    a.update(ch('j'));
    let chosen = a.selected_run().map(|r| a.store.runs[r].id.clone());
    w.advance(std::time::Duration::from_secs(20));
    a.update(polled("sim", batch_of(&w, "sim"), at(30)));
    assert_eq!(a.selected_run().map(|r| a.store.runs[r].id.clone()), chosen);
}

#[test]
fn tab_cycles_focus_and_digits_jump() {
    let mut a = app_with(&["wrong-segment"], false, 5);
    assert_eq!(a.focus, Pane::Runs);
    a.update(key(KeyCode::Tab));
    assert_eq!(a.focus, Pane::Timeline);
    for _ in 0..4 {
        a.update(key(KeyCode::Tab));
    }
    assert_eq!(a.focus, Pane::Runs);
    a.update(key(KeyCode::BackTab));
    assert_eq!(a.focus, Pane::Notes);
    a.update(ch('2'));
    assert_eq!(a.focus, Pane::Timeline);
    a.update(ch('4'));
    assert_eq!(a.focus, Pane::Containment);
}

#[test]
fn runs_filter_types_narrows_and_esc_restores() {
    let mut a = app_with(&["all"], false, 20);
    let all = a.runs.rows.len();
    a.update(ch('/'));
    assert!(matches!(
        a.mode,
        Mode::Filter {
            pane: Pane::Runs,
            ..
        }
    ));
    keys(&mut a, "invoice");
    assert_eq!(a.runs.filter, "invoice");
    assert!(!a.runs.rows.is_empty() && a.runs.rows.len() < all);
    assert!(
        a.runs
            .rows
            .iter()
            .all(|&r| a.store.runs[r].workflow == "invoice-sync")
    );
    a.update(key(KeyCode::Backspace));
    assert_eq!(a.runs.filter, "invoic");
    // Esc in filter mode restores what was there before '/'.
    a.update(key(KeyCode::Esc));
    assert_eq!(a.mode, Mode::Normal);
    assert_eq!(a.runs.filter, "");
    assert_eq!(a.runs.rows.len(), all);
    // Enter keeps it; Esc in normal mode clears it.
    a.update(ch('/'));
    keys(&mut a, "REFUND");
    a.update(key(KeyCode::Enter));
    assert_eq!(a.mode, Mode::Normal);
    assert!(
        a.runs
            .rows
            .iter()
            .all(|&r| a.store.runs[r].workflow.contains("refund"))
    );
    a.update(key(KeyCode::Esc));
    assert_eq!(a.runs.rows.len(), all);
}

#[test]
fn filter_mode_swallows_command_keys() {
    let mut a = app_with(&["wrong-segment"], false, 5);
    a.update(ch('/'));
    let fx = a.update(ch('q'));
    assert!(fx.is_empty(), "q typed into a filter must not quit");
    assert_eq!(a.runs.filter, "q");
}

#[test]
fn timeline_filter_matches_kind_and_summary() {
    let mut a = app_with(&["all"], false, 20);
    a.update(ch('2'));
    a.update(ch('/'));
    keys(&mut a, "message_sent");
    a.update(key(KeyCode::Enter));
    assert!(!a.timeline.is_empty());
    for i in 0..a.timeline.len() {
        let e = &a.store.events[a.timeline.row(i).unwrap()].event;
        assert_eq!(e.kind.as_str(), "message_sent");
    }
}

#[test]
fn follow_tracks_newest_until_scrolled_up() {
    let mut w = world(&["retry-loop"], false, 5);
    let mut a = app(at(5));
    a.update(polled("sim", batch_of(&w, "sim"), at(5)));
    a.update(ch('2'));
    assert!(a.timeline.follow);
    let last = a.timeline.len() - 1;
    assert_eq!(a.timeline.sel, last);
    // Scroll up: follow stops, new events do not move the selection.
    a.update(ch('k'));
    assert!(!a.timeline.follow);
    let sel = a.timeline.sel;
    w.advance(std::time::Duration::from_secs(5));
    a.update(polled("sim", batch_of(&w, "sim"), at(10)));
    assert_eq!(a.timeline.sel, sel);
    assert!(a.timeline.unseen > 0);
    // G resumes following and jumps to the newest.
    a.update(ch('G'));
    assert!(a.timeline.follow);
    assert_eq!(a.timeline.unseen, 0);
    assert_eq!(a.timeline.sel, a.timeline.len() - 1);
    w.advance(std::time::Duration::from_secs(5));
    a.update(polled("sim", batch_of(&w, "sim"), at(15)));
    assert_eq!(a.timeline.sel, a.timeline.len() - 1);
    // f toggles follow off and on.
    a.update(ch('f'));
    assert!(!a.timeline.follow);
    a.update(ch('f'));
    assert!(a.timeline.follow);
}

#[test]
fn follow_keeps_newest_row_on_screen() {
    let mut a = app_with(&["all"], true, 60);
    a.update(Msg::Resize(80, 24));
    let h = a.list_height(Pane::Timeline);
    assert!(a.timeline.len() > h);
    assert_eq!(a.timeline.offset + h, a.timeline.len());
}

#[test]
fn v_scopes_timeline_to_selected_run() {
    let mut a = app_with(&["all"], false, 20);
    let total = a.timeline.len();
    a.update(ch('v'));
    assert_eq!(a.timeline.scope, Scope::SelectedRun);
    let run = a.selected_run().unwrap();
    let id = a.store.runs[run].id.clone();
    assert!(a.timeline.len() < total);
    for i in 0..a.timeline.len() {
        assert_eq!(a.store.events[a.timeline.row(i).unwrap()].event.run_id, id);
    }
    // Moving the run selection re-scopes the timeline.
    a.update(ch('j'));
    let id2 = a.store.runs[a.selected_run().unwrap()].id.clone();
    assert_ne!(id, id2);
    for i in 0..a.timeline.len() {
        assert_eq!(a.store.events[a.timeline.row(i).unwrap()].event.run_id, id2);
    }
    a.update(ch('v'));
    assert_eq!(a.timeline.len(), total);
}

#[test]
fn sort_cycles_and_reverses() {
    let mut a = app_with(&["all"], false, 20);
    assert_eq!(a.runs.sort, SortKey::Harm);
    a.update(ch('s'));
    assert_eq!(a.runs.sort, SortKey::State);
    a.update(ch('s'));
    assert_eq!(a.runs.sort, SortKey::Activity);
    a.update(ch('s'));
    assert_eq!(a.runs.sort, SortKey::Age);
    let first = a.runs.rows.clone();
    let started: Vec<_> = first.iter().map(|&r| a.store.runs[r].started_at).collect();
    assert!(started.windows(2).all(|w| w[0] <= w[1]));
    a.update(ch('S'));
    let rev: Vec<_> = a
        .runs
        .rows
        .iter()
        .map(|&r| a.store.runs[r].started_at)
        .collect();
    assert!(rev.windows(2).all(|w| w[0] >= w[1]));
    // State order puts active runs first.
    let mut b = app_with(&["all"], false, 40);
    b.update(ch('s'));
    assert_eq!(b.runs.sort, SortKey::State);
    let states: Vec<bool> = b
        .runs
        .rows
        .iter()
        .map(|&r| b.store.runs[r].state.is_active())
        .collect();
    let first_inactive = states.iter().position(|a| !a).unwrap_or(states.len());
    assert!(states[first_inactive..].iter().all(|a| !a));
    b.update(ch('a'));
    assert!(
        b.runs
            .rows
            .iter()
            .all(|&r| b.store.runs[r].state.is_active())
    );
}

#[test]
fn help_opens_and_closes() {
    let mut a = app_with(&["wrong-segment"], false, 5);
    a.update(ch('?'));
    assert_eq!(a.mode, Mode::Help);
    // Keys do not leak through help.
    let fx = a.update(ch('j'));
    assert!(fx.is_empty());
    assert_eq!(a.runs.sel, 0);
    a.update(key(KeyCode::Esc));
    assert_eq!(a.mode, Mode::Normal);
}

/// A mode stays until one of its keys closes it: help scrolls and ignores
/// the rest, a filter takes every character, the inspector survives a key
/// neither it nor containment binds.
#[test]
fn each_mode_keeps_its_state_until_closed() {
    let mut a = app_with(&["wrong-segment"], false, 5);
    a.update(ch('?'));
    for c in ['j', 'j', 'w', 'k'] {
        a.update(ch(c));
        assert_eq!(a.mode, Mode::Help, "after {c}");
    }
    assert_eq!(a.help_scroll, 1);
    a.update(ch('q'));
    assert_eq!((a.mode.clone(), a.help_scroll), (Mode::Normal, 0));
    a.update(ch('/'));
    keys(&mut a, "zz");
    a.update(key(KeyCode::Left));
    assert_eq!(
        a.mode,
        Mode::Filter {
            pane: Pane::Runs,
            before: String::new()
        }
    );
    assert_eq!(a.runs.filter, "zz");
    a.update(key(KeyCode::Esc));
    assert_eq!((a.mode.clone(), a.runs.filter.as_str()), (Mode::Normal, ""));
    a.update(key(KeyCode::Enter));
    let Mode::Inspect(before) = a.mode.clone() else {
        panic!("{:?}", a.mode)
    };
    a.update(ch('w'));
    assert_eq!(
        a.mode,
        Mode::Inspect(before),
        "an unbound key closes nothing"
    );
}

#[test]
fn q_and_ctrl_c_quit_after_journaling_the_end() {
    let mut a = app_with(&["wrong-segment"], false, 5);
    let fx = a.update(ch('q'));
    assert!(matches!(
        fx[0],
        Effect::Journal(Record::SessionEnded { .. })
    ));
    assert_eq!(fx[1], Effect::Quit);
    let mut b = app_with(&["wrong-segment"], false, 5);
    let fx = b.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(fx.contains(&Effect::Quit));
}

#[test]
fn source_failure_marks_stale_and_recovery_is_journaled() {
    use cordon::model::HealthState;
    use cordon::source::SourceMsg;
    let mut a = app_with(&["wrong-segment"], false, 5);
    let events = a.store.events.len();
    let fail = |a: &mut cordon::app::App, t| {
        a.update(Msg::Source(
            Box::new(SourceMsg::Failed {
                source: "sim".into(),
                error: "HTTP 500".into(),
                retry_in: std::time::Duration::from_secs(2),
            }),
            t,
        ))
    };
    let fx = fail(&mut a, at(6));
    assert!(matches!(
        &fx[0],
        Effect::Journal(Record::SourceStatus { ok: false, .. })
    ));
    // A storm of failures journals the transition once.
    assert!(fail(&mut a, at(7)).is_empty());
    assert_eq!(a.sources[0].health.state, HealthState::Error);
    assert_eq!(a.sources[0].health.failures, 2);
    assert_eq!(a.store.events.len(), events, "what was observed is kept");
    let fx = a.update(polled("sim", Default::default(), at(9)));
    assert!(matches!(
        &fx[0],
        Effect::Journal(Record::SourceStatus { ok: true, .. })
    ));
    assert_eq!(a.sources[0].health.state, HealthState::Ok);
}

#[test]
fn mouse_wheel_scrolls_and_click_focuses_and_selects() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mouse = |kind, column, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let mut a = app_with(&["all"], true, 30);
    a.update(Msg::Resize(160, 48));
    // Click the third data row of the Runs table (header line 1, border, column header).
    a.update(ch('2'));
    a.update(mouse(MouseEventKind::Down(MouseButton::Left), 5, 1 + 2 + 2));
    assert_eq!(a.focus, Pane::Runs);
    assert_eq!(a.runs.sel, 2);
    // The wheel over the Timeline scrolls it (and stops following) without moving focus.
    let last = a.timeline.sel;
    a.update(mouse(MouseEventKind::ScrollUp, 10, 30));
    assert_eq!(a.focus, Pane::Runs);
    assert_eq!(a.timeline.sel, last - 3);
    assert!(!a.timeline.follow);
}

#[test]
fn every_list_filters_and_y_copies() {
    use cordon::app::Effect;
    let mut a = app_with(&["all"], false, 20);
    // Triage: only the rows that match.
    a.update(ch('3'));
    a.update(ch('/'));
    keys(&mut a, "money");
    a.update(key(KeyCode::Enter));
    let t = a.triage();
    let targets: Vec<String> = t.changes.iter().map(|c| c.target.clone()).collect();
    assert_eq!(a.triage_rows(&targets).len(), 1, "only 'Did money move?'");
    // Containment: the controls matching the filter.
    let mut c = cordon::model::Controls::default();
    c.paused_workflows.push("invoice-sync".into());
    c.outbound_blocked.push("*".into());
    a.store.controls.insert("sim".into(), c);
    a.update(ch('4'));
    assert_eq!(a.contain_rows().len(), 2);
    a.update(ch('/'));
    keys(&mut a, "invoice");
    a.update(key(KeyCode::Enter));
    assert_eq!(a.contain_rows().len(), 1);
    // Notes: the pane says it is filtered.
    a.update(ch('5'));
    a.update(ch('/'));
    keys(&mut a, "decision");
    a.update(key(KeyCode::Enter));
    assert!(screen(&mut a, 160, 48).contains("filter /decision"));
    // y copies the selected run id.
    a.update(ch('1'));
    let id = a.store.runs[a.selected_run().unwrap()].id.clone();
    assert_eq!(a.update(ch('y')), vec![Effect::Copy(id.to_string())]);
}
