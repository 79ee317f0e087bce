//! The run inspector and the pattern finder in `update()`, and snapshots.

mod common;

use common::*;
use cordon::app::{App, Effect, Mode};
use cordon::journal::Record;
use cordon::model::ActionKind;
use ratatui::crossterm::event::KeyCode;

fn on_agent(a: &mut App, agent: &str) {
    a.runs.sel = a
        .runs
        .rows
        .iter()
        .position(|&r| a.store.runs[r].agent == agent)
        .unwrap();
}

fn inspecting(a: &App) -> &cordon::app::Inspect {
    match &a.mode {
        Mode::Inspect(i) => i,
        m => panic!("not inspecting: {m:?}"),
    }
}

#[test]
fn enter_on_a_run_opens_its_inspector() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    on_agent(&mut a, "support-drafter-2");
    let run = a.selected_run().unwrap();
    a.update(key(KeyCode::Enter));
    let i = inspecting(&a);
    assert_eq!(i.run, run);
    assert_eq!(i.events.len(), a.store.events_of_run(run).len());
    // Grouped: instructions first.
    assert_eq!(
        a.store.events[i.events[0]].event.kind.as_str(),
        "assignment"
    );
    a.update(key(KeyCode::Esc));
    assert_eq!(a.mode, Mode::Normal);
}

#[test]
fn enter_on_an_event_opens_its_run_at_that_event() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    a.update(ch('2'));
    let send = a
        .store
        .events
        .iter()
        .position(|s| s.event.kind.as_str() == "message_sent")
        .unwrap();
    a.timeline.sel = (0..a.timeline.len())
        .find(|&p| a.timeline.row(p) == Some(send))
        .unwrap();
    a.update(key(KeyCode::Enter));
    let i = inspecting(&a);
    assert_eq!(i.events[i.sel], send);
    assert_eq!(Some(i.run), a.store.run_of_event(send));
}

#[test]
fn fold_expand_copy_and_pin() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    on_agent(&mut a, "support-drafter-2");
    a.update(key(KeyCode::Enter));
    assert!(!inspecting(&a).expanded);
    a.update(ch('z'));
    assert!(inspecting(&a).expanded);
    a.update(ch('j'));
    let sel = inspecting(&a).events[inspecting(&a).sel];
    let fx = a.update(ch('y'));
    assert!(matches!(&fx[0], Effect::Copy(t) if t.contains(a.store.events[sel].event.id.as_str())));
    let (recs, _) = split(a.update(ch('p')));
    assert!(
        matches!(&recs[0], Record::Note { note } if note.pinned.as_ref().map(|p| p.1.clone()) == Some(a.store.events[sel].event.id.to_string()))
    );
    assert!(
        matches!(a.mode, Mode::Inspect(_)),
        "still inspecting after pinning"
    );
}

#[test]
fn containment_keys_act_on_the_inspected_run_and_return() {
    let mut a = app_with(&["all"], false, 20);
    on_agent(&mut a, "billing-sync-1");
    let run = a.store.runs[a.selected_run().unwrap()].id.clone();
    // Move the Runs selection away: the inspector's run is the target.
    a.update(key(KeyCode::Enter));
    a.runs.sel = 0;
    a.update(ch('x'));
    let Mode::Confirm(c) = &a.mode else {
        panic!("confirm")
    };
    assert_eq!(c.targets[0].1.run_id.as_deref(), Some(run.as_str()));
    assert!(matches!(
        c.what,
        cordon::app::What::Builtin(ActionKind::StopRun)
    ));
    a.update(key(KeyCode::Esc));
    assert!(
        matches!(a.mode, Mode::Inspect(_)),
        "back in the inspector after the dialog"
    );
}

#[test]
fn pattern_finder_groups_the_retry_loop_and_leaves_others_out() {
    let mut a = app_with(&["all"], true, 30);
    on_agent(&mut a, "billing-sync-1");
    let run = a.selected_run().unwrap();
    let pats = a.patterns(run);
    let loop_runs: std::collections::BTreeSet<String> = a
        .store
        .runs
        .iter()
        .filter(|r| r.workflow == "invoice-sync")
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(loop_runs.len(), 3);
    let err = pats
        .iter()
        .find(|p| p.what.starts_with("error"))
        .expect("an error signature");
    let got: std::collections::BTreeSet<String> = err
        .runs
        .iter()
        .map(|&r| a.store.runs[r].id.to_string())
        .collect();
    assert_eq!(got, loop_runs, "the same 503 loop, and nothing else");
    let tool = pats
        .iter()
        .find(|p| p.what.starts_with("billing.api on"))
        .expect("a tool signature");
    assert_eq!(tool.runs.len(), 3);
    // M offers the narrowest pattern first; Enter marks it; x then stops
    // all three.
    a.update(key(KeyCode::Enter));
    a.update(ch('M'));
    a.update(key(KeyCode::Enter));
    assert_eq!(a.marked.len(), 3);
    // The triage question is answered from it.
    let t = a.triage();
    assert_eq!(t.answers[7].answer, cordon::model::incident::Answer::Yes);
    for id in &loop_runs {
        assert!(t.answers[7].cites.contains(id) || t.answers[7].note.contains("invoice-sync"));
    }
}

#[test]
fn inspector_160x48() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    on_agent(&mut a, "support-drafter-2");
    a.update(key(KeyCode::Enter));
    // Select the first message sent.
    let i = inspecting(&a).clone();
    let pos = i
        .events
        .iter()
        .position(|&e| a.store.events[e].event.kind.as_str() == "message_sent")
        .unwrap();
    if let Mode::Inspect(ins) = &mut a.mode {
        ins.sel = pos;
    }
    insta::assert_snapshot!(render(&mut a, 160, 48).backend());
}

#[test]
fn inspector_80x24_tool_call() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    on_agent(&mut a, "support-drafter-2");
    a.update(key(KeyCode::Enter));
    let i = inspecting(&a).clone();
    let pos = i
        .events
        .iter()
        .position(|&e| a.store.events[e].event.kind.as_str() == "tool_call")
        .unwrap();
    if let Mode::Inspect(ins) = &mut a.mode {
        ins.sel = pos;
    }
    insta::assert_snapshot!(render(&mut a, 80, 24).backend());
}
