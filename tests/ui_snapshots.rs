//! TestBackend + insta snapshots of the main screen, with a fixed clock.

mod common;

use common::*;
use cordon::app::Msg;
use ratatui::crossterm::event::KeyCode;

#[test]
fn main_screen_160x48() {
    let mut a = app_with(&["all"], true, 30);
    insta::assert_snapshot!(render(&mut a, 160, 48).backend());
}

#[test]
fn main_screen_80x24() {
    let mut a = app_with(&["all"], true, 30);
    insta::assert_snapshot!(render(&mut a, 80, 24).backend());
}

#[test]
fn timeline_scoped_to_wrong_segment_run_160x48() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    a.update(ch('/'));
    keys(&mut a, "cohort B");
    a.update(key(KeyCode::Enter));
    a.update(ch('v'));
    insta::assert_snapshot!(render(&mut a, 160, 48).backend());
}

#[test]
fn help_overlay_80x24() {
    let mut a = app_with(&["all"], false, 10);
    a.update(ch('?'));
    insta::assert_snapshot!(render(&mut a, 80, 24).backend());
}

#[test]
fn source_down_shows_stale_with_age_and_reason() {
    let mut a = app_with(&["wrong-segment"], false, 10);
    a.update(Msg::Source(Box::new(cordon::source::SourceMsg::Failed {
            source: "sim".into(),
            error: "cannot connect: Connection refused (os error 111); is the platform up at this address?".into(),
            retry_in: std::time::Duration::from_secs(4),
        }),
        at(40),
    ));
    let s = screen(&mut a, 160, 48);
    let status = s.lines().last().unwrap();
    assert!(
        status.contains("✖ sim STALE, last ok 30s ago: cannot connect"),
        "{status}"
    );
    assert!(status.contains("retry in 4s"), "{status}");
    insta::assert_snapshot!(s);
}

#[test]
fn empty_console_before_first_poll() {
    let mut a = app(at(0));
    insta::assert_snapshot!(render(&mut a, 80, 24).backend());
}
