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

/// The platforms answered and list no runs: say so, not "waiting".
#[test]
fn empty_console_after_an_empty_poll() {
    let mut a = app(at(0));
    a.update(polled("sim", Default::default(), at(1)));
    let text = render(&mut a, 80, 24).backend().to_string();
    assert!(text.contains("no runs yet"), "{text}");
    insta::assert_snapshot!(text);
}

fn on_workflow(a: &mut cordon::app::App, workflow: &str) {
    a.runs.sel = a
        .runs
        .rows
        .iter()
        .position(|&r| a.store.runs[r].workflow == workflow && a.store.runs[r].state.is_active())
        .unwrap();
}

fn preview(a: &mut cordon::app::App, affected: Vec<String>) {
    answer_preview(
        a,
        cordon::model::ActionAnswer {
            affected_runs: affected,
            ..Default::default()
        },
    );
}

/// The dry run's answer arrives for the open dialog.
fn answer_preview(a: &mut cordon::app::App, answer: cordon::model::ActionAnswer) {
    let proposal = match &a.mode {
        cordon::app::Mode::Confirm(c) => c.proposal,
        _ => panic!("no dialog"),
    };
    a.update(Msg::Action(
        cordon::contain::ActionMsg::Preview {
            proposal,
            result: Ok(answer),
        },
        at(30),
    ));
}

#[test]
fn confirm_dialog_small_blast_radius() {
    let mut a = app_with(&["all"], true, 30);
    on_workflow(&mut a, "refund-followups");
    a.update(ch('x'));
    let id = a.store.runs[a.selected_run().unwrap()].id.clone();
    preview(&mut a, vec![id.to_string()]);
    insta::assert_snapshot!(render(&mut a, 160, 48).backend());
}

/// A dry run that affects nothing says why, in the platform's words (a
/// run waiting at an interrupt(), one that had ended).
#[test]
fn confirm_dialog_nothing_affected_says_why() {
    let mut a = app_with(&["all"], true, 30);
    on_workflow(&mut a, "refund-followups");
    a.update(ch('x'));
    answer_preview(
        &mut a,
        cordon::model::ActionAnswer {
            message: "run r1 waits for a human at an interrupt(): nothing is executing to stop"
                .into(),
            ..Default::default()
        },
    );
    let screen = format!("{:?}", render(&mut a, 160, 48).backend());
    assert!(
        screen.contains("0 runs affected now (dry run): run r1 waits for a human at an"),
        "{screen}"
    );
}

#[test]
fn confirm_dialog_large_blast_radius_needs_typing() {
    let mut a = app_with(&["all"], true, 30);
    on_workflow(&mut a, "refund-followups");
    a.update(ch('B'));
    preview(
        &mut a,
        (0..23)
            .map(|i| format!("run_{:04x}", 0x1000 + i * 7))
            .collect(),
    );
    a.update(key(KeyCode::Tab));
    a.update(key(KeyCode::Enter));
    insta::assert_snapshot!(render(&mut a, 160, 48).backend());
}

#[test]
fn confirm_dialog_80x24() {
    let mut a = app_with(&["all"], true, 30);
    on_workflow(&mut a, "invoice-sync");
    a.update(ch('P'));
    preview(
        &mut a,
        vec!["run_9744".into(), "run_a374".into(), "run_a833".into()],
    );
    insta::assert_snapshot!(render(&mut a, 80, 24).backend());
}

#[test]
fn containment_pane_with_actions_in_every_state() {
    use cordon::contain::ActionMsg;
    use cordon::model::ActionAnswer;
    let mut a = app_with(&["all"], true, 30);
    let mut controls = cordon::model::Controls::default();
    controls.outbound_blocked.push("support-drafter".into());
    controls.paused_workflows.push("invoice-sync".into());
    a.store.controls.insert("sim".into(), controls);
    let ok = |id: &str| ActionAnswer {
        action_id: id.into(),
        kind: "x".into(),
        state: "applied".into(),
        affected_runs: vec![],
        message: "applied".into(),
        ..ActionAnswer::default()
    };
    let mut ids = Vec::new();
    for (wf, key_) in [
        ("refund-followups", 'b'),
        ("invoice-sync", 'P'),
        ("ci-flake-fixes", 'x'),
        ("invoice-sync", 'x'),
    ] {
        on_workflow(&mut a, wf);
        a.update(ch(key_));
        a.update(key(KeyCode::Tab));
        let fx = a.update(key(KeyCode::Enter));
        for f in fx {
            if let cordon::app::Effect::Execute(r, _) = f {
                ids.push(r.id);
            }
        }
    }
    let t = |ms: i64| at(30) + chrono::Duration::milliseconds(ms);
    for id in &ids {
        a.update(Msg::Action(ActionMsg::Sent { id: id.clone() }, t(4)));
    }
    a.update(Msg::Action(
        ActionMsg::Answered {
            id: ids[0].clone(),
            result: Ok(ok("act_1")),
            attempts: 1,
            lost: None,
        },
        t(60),
    ));
    a.update(Msg::Action(
        ActionMsg::Verified {
            id: ids[0].clone(),
            outcome: cordon::model::ActionPhase::Confirmed,
            detail: "outbound blocked for support-drafter".into(),
            reverted: vec![],
        },
        t(380),
    ));
    a.update(Msg::Action(
        ActionMsg::Answered {
            id: ids[1].clone(),
            result: Ok(ok("act_2")),
            attempts: 2,
            lost: None,
        },
        t(900),
    ));
    a.update(Msg::Action(
        ActionMsg::Verified {
            id: ids[1].clone(),
            outcome: cordon::model::ActionPhase::Unconfirmed,
            detail: "effect not seen after 20 s: invoice-sync paused but 1 still running: run_9744"
                .into(),
            reverted: vec![],
        },
        t(20_900),
    ));
    a.update(Msg::Action(
        ActionMsg::Answered {
            id: ids[2].clone(),
            result: Err((
                Some(403),
                "403 forbidden (the token may not do this)".into(),
            )),
            attempts: 1,
            lost: None,
        },
        t(70),
    ));
    a.update(ch('4'));
    insta::assert_snapshot!(render(&mut a, 160, 48).backend());
}

#[test]
fn triage_pane_160x48() {
    let mut a = app_with(&["all"], true, 60);
    a.update(ch(':'));
    keys(&mut a, "sev 1 48k customers emailed");
    a.update(key(KeyCode::Enter));
    a.update(ch('3'));
    a.triage_sel = 7;
    a.update(ch(' '));
    a.triage_sel = 10;
    insta::assert_snapshot!(render(&mut a, 160, 48).backend());
}

#[test]
fn triage_pane_80x24() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    a.update(ch('3'));
    insta::assert_snapshot!(render(&mut a, 80, 24).backend());
}

#[test]
fn notes_pane_with_entries_and_draft() {
    use ratatui::crossterm::event::{KeyEvent, KeyModifiers};
    let mut a = app_with(&["wrong-segment"], false, 12);
    a.update(ch('2'));
    a.update(ch('p'));
    a.update(ch('5'));
    a.update(ch('i'));
    for (n, text) in [
        (1, "Hold the refund queue until segment ids are exact"),
        (2, "Exact segment ids only @bob due:2026-12-01 type:prevent"),
    ] {
        for _ in 0..n {
            a.update(Msg::Key(KeyEvent::new(
                KeyCode::Char('t'),
                KeyModifiers::CONTROL,
            )));
        }
        keys(&mut a, text);
        a.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::CONTROL,
        )));
    }
    keys(&mut a, "draft: were cohorts C and D also fuzzy-matched?");
    insta::assert_snapshot!(render(&mut a, 160, 48).backend());
}
