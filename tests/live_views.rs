//! Views that stay honest while the incident moves: the inspector follows
//! live, the timeline is in time order with late arrivals marked, the
//! "in force" list follows a confirmation, triage answers can go back to
//! the evidence, M marks the pattern the commander picks, quitting asks
//! when it matters, a too-small window refuses to act, and a watcher says
//! whether the commander is still there.

mod common;

use common::*;
use cordon::app::inspect::{group_of, line_of};
use cordon::app::{App, Effect, Lock, Mode, Msg, Watching};
use cordon::journal::{IncidentChange, Record};
use cordon::model::incident::Answer;
use cordon::model::{Event, Run};
use cordon::source::Batch;
use ratatui::crossterm::event::KeyCode;
use serde_json::json;

fn ev(id: &str, run: &str, secs: i64, kind: &str) -> Event {
    Event::from_wire_value(
        &json!({"id": id, "run_id": run, "at": at(secs).to_rfc3339(), "kind": kind,
                "summary": format!("{kind} {id}")}),
        at(secs),
    )
    .unwrap()
}

fn run(id: &str) -> Run {
    Run::from_wire(
        "sim",
        &json!({"id": id, "agent": "a-1", "agent_class": "a", "workflow": "wf",
                "state": "running", "started_at": at(0).to_rfc3339()}),
    )
    .unwrap()
}

fn batch(runs: Vec<Run>, events: Vec<Event>) -> Batch {
    Batch {
        runs,
        events,
        ..Default::default()
    }
}

/// The wrong-segment run (support-drafter-2).
fn drafter(a: &App) -> usize {
    a.store
        .runs
        .iter()
        .position(|r| r.agent == "support-drafter-2")
        .unwrap()
}

fn inspecting(a: &App) -> &cordon::app::Inspect {
    match &a.mode {
        Mode::Inspect(i) => i,
        m => panic!("not inspecting: {m:?}"),
    }
}

/// The screen row of the inspector's selected event (its line less the
/// lines scrolled off, as the inspector draws it).
fn selected_row(a: &App) -> usize {
    let i = inspecting(a);
    let h = cordon::ui::inspector::list_height(a.size);
    let line = line_of(
        &i.events,
        |e| group_of(&a.store.events[e].event.kind),
        i.sel,
    );
    line - i.scroll.min(line).max((line + 1).saturating_sub(h))
}

#[test]
fn the_inspector_follows_live_and_keeps_the_selected_event_in_place() {
    let early = world(&["wrong-segment"], false, 6);
    let mut a = app(at(6));
    a.update(polled("sim", batch_of(&early, "sim"), at(6)));
    a.update(Msg::Resize(160, 48));
    let r = drafter(&a);
    // Select the first message sent.
    let send = a
        .store
        .events_of_run(r)
        .iter()
        .map(|&e| e as usize)
        .find(|&e| a.store.events[e].event.kind.as_str() == "message_sent")
        .unwrap();
    a.open_inspector(r, Some(send));
    let (n0, row0) = (inspecting(&a).events.len(), selected_row(&a));
    // More evidence arrives, some of it in groups above the selection.
    let later = world(&["wrong-segment"], false, 12);
    a.update(polled("sim", batch_of(&later, "sim"), at(12)));
    let i = inspecting(&a);
    assert!(
        i.events.len() > n0,
        "the list grew: {} → {}",
        n0,
        i.events.len()
    );
    assert_eq!(i.events[i.sel], send, "the same event is selected");
    assert_eq!(selected_row(&a), row0, "and it stayed on its row");
    let s = screen(&mut a, 160, 48);
    assert!(s.contains(&format!(
        "Evidence · {} events · live",
        inspecting(&a).events.len()
    )));
    // The commander stops it from the inspector: the stop shows in it.
    a.update(ch('x'));
    a.update(key(KeyCode::Tab));
    let fx = a.update(key(KeyCode::Enter));
    assert!(fx.iter().any(|f| matches!(f, Effect::Execute(..))));
    let i = inspecting(&a);
    assert!(
        i.events
            .iter()
            .any(|&e| a.store.events[e].event.kind.as_str() == "human_intervention"),
        "the stop is in the run's evidence"
    );
    assert_eq!(i.events[i.sel], send);
}

#[test]
fn the_timeline_is_in_time_order_and_marks_late_arrivals() {
    let mut a = app(at(0));
    a.update(polled(
        "sim",
        batch(
            vec![run("r1")],
            vec![ev("e1", "r1", 10, "tool_call"), ev("e2", "r1", 11, "error")],
        ),
        at(11),
    ));
    // e3 happened before both but arrives after them.
    let fx = a.update(polled(
        "sim",
        batch(vec![], vec![ev("e3", "r1", 5, "tool_call")]),
        at(12),
    ));
    let order: Vec<String> = (0..a.timeline.len())
        .map(|i| {
            a.store.events[a.timeline.row(i).unwrap()]
                .event
                .id
                .to_string()
        })
        .collect();
    assert_eq!(order, ["e3", "e1", "e2"]);
    let e3 = a.timeline.row(0).unwrap();
    assert!(a.timeline.is_late(e3));
    assert!(!a.timeline.is_late(a.timeline.row(1).unwrap()));
    let s = screen(&mut a, 160, 48);
    let areas = cordon::ui::layout::compute(ratatui::layout::Rect::new(0, 0, 160, 48));
    let timeline = rows_of(&s, areas.timeline);
    let line = timeline
        .lines()
        .find(|l| l.contains("tool_call e3"))
        .unwrap();
    assert!(line.contains("LATE"), "{line}");
    // The run's last event is still the latest by time, not the late one,
    // in the Runs pane's LAST EVENT column too.
    assert_eq!(a.store.last_event(0).map(|e| e.id.as_str()), Some("e2"));
    let runs = rows_of(&s, areas.runs);
    let row = runs.lines().find(|l| l.contains("r1")).unwrap();
    assert!(row.contains("error e2") && !row.contains("e3"), "{row}");
    // An event arriving before its run counts the same.
    let mut c = app(at(0));
    c.update(polled(
        "sim",
        batch(
            vec![],
            vec![ev("o2", "r2", 9, "error"), ev("o1", "r2", 4, "tool_call")],
        ),
        at(9),
    ));
    c.update(polled("sim", batch(vec![run("r2")], vec![]), at(10)));
    assert_eq!(c.store.last_event(0).map(|e| e.id.as_str()), Some("o2"));
    // The same at startup: a journal replayed gives the same order, marked.
    let mut b = app(at(0));
    let mut records: Vec<Record> = Vec::new();
    for r in [
        Record::Run { run: run("r1") },
        Record::Event {
            source: "sim".into(),
            event: ev("e1", "r1", 10, "tool_call"),
        },
        Record::Event {
            source: "sim".into(),
            event: ev("e2", "r1", 11, "error"),
        },
    ] {
        records.push(r);
    }
    records.extend(split(fx).0);
    for r in records {
        b.replay(r);
    }
    b.refresh();
    b.rebuild_timeline();
    let replayed: Vec<String> = (0..b.timeline.len())
        .map(|i| {
            b.store.events[b.timeline.row(i).unwrap()]
                .event
                .id
                .to_string()
        })
        .collect();
    assert_eq!(replayed, order);
    assert!(b.timeline.is_late(b.timeline.row(0).unwrap()));
}

/// Platforms read runs one after another (a Temporal poll reads each
/// execution's history in turn), so a run's events arriving after another
/// run's later ones are not late; only a run's own order counts.
#[test]
fn late_is_within_a_run_not_across_runs() {
    let mut a = app(at(0));
    a.update(polled(
        "sim",
        batch(
            vec![run("r1"), run("r2")],
            vec![
                ev("a1", "r1", 10, "tool_call"),
                ev("a2", "r1", 12, "tool_call"),
                ev("b1", "r2", 9, "tool_call"),
                ev("b2", "r2", 11, "tool_call"),
            ],
        ),
        at(12),
    ));
    a.update(polled(
        "sim",
        batch(
            vec![],
            vec![ev("b0", "r2", 8, "error"), ev("a3", "r1", 11, "error")],
        ),
        at(13),
    ));
    let late: Vec<String> = (0..a.timeline.len())
        .filter_map(|i| a.timeline.row(i))
        .filter(|&n| a.timeline.is_late(n))
        .map(|n| a.store.events[n].event.id.to_string())
        .collect();
    assert_eq!(late, ["b0", "a3"]);
}

#[test]
fn a_late_event_does_not_move_the_selection_off_its_event() {
    let mut a = app(at(0));
    a.update(polled(
        "sim",
        batch(
            vec![run("r1")],
            (10..20)
                .map(|s| ev(&format!("e{s}"), "r1", s, "tool_call"))
                .collect(),
        ),
        at(20),
    ));
    a.update(ch('2'));
    a.update(ch('k'));
    a.update(ch('k'));
    let chosen = a.timeline.selected_event();
    assert!(!a.timeline.follow);
    a.update(polled(
        "sim",
        batch(vec![], vec![ev("late", "r1", 3, "error")]),
        at(21),
    ));
    assert_eq!(a.timeline.selected_event(), chosen);
    assert_eq!(a.timeline.unseen, 1);
}

#[test]
fn the_in_force_list_follows_a_confirmed_unblock_at_once() {
    use cordon::contain::ActionMsg;
    let mut a = app_with(&["all"], true, 30);
    let mut c = cordon::model::Controls::default();
    c.outbound_blocked.push("support-drafter".into());
    a.update(polled(
        "sim",
        Batch {
            controls: Some(c),
            ..Default::default()
        },
        at(30),
    ));
    let blocked = |a: &App| {
        a.contain_rows().iter().any(|r| {
            matches!(
                r,
                cordon::app::ContainRow::Control {
                    kind: cordon::model::ActionKind::BlockOutbound,
                    ..
                }
            )
        })
    };
    assert!(blocked(&a));
    palette(&mut a, "unblock-outbound support-drafter");
    a.update(key(KeyCode::Tab));
    let fx = a.update(key(KeyCode::Enter));
    let id = fx
        .iter()
        .find_map(|f| match f {
            Effect::Execute(r, _) => Some(r.id.clone()),
            _ => None,
        })
        .expect("sent");
    a.update(Msg::Action(ActionMsg::Sent { id: id.clone() }, at(31)));
    assert!(blocked(&a), "not before it is confirmed");
    a.update(Msg::Action(
        ActionMsg::Verified {
            id,
            outcome: cordon::model::ActionPhase::Confirmed,
            detail: "support-drafter no longer in outbound_blocked".into(),
            reverted: vec![],
        },
        at(31),
    ));
    assert!(!blocked(&a), "the confirmation updates the list");
}

#[test]
fn a_triage_answer_goes_back_to_the_evidence_and_both_show_when_they_disagree() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    let q = 3; // Were users affected? The evidence says yes.
    assert_eq!(a.triage().answers[q].answer, Answer::Yes);
    let row = a
        .triage_rows(&[])
        .iter()
        .position(|r| *r == cordon::app::TriageRow::Question(q))
        .unwrap();
    a.update(ch('3'));
    a.triage_sel = row;
    let mut answers = Vec::new();
    for _ in 0..4 {
        let (recs, _) = split(a.update(ch(' ')));
        let Some(Record::Incident {
            change: IncidentChange::Answer { answer, .. },
            ..
        }) = recs.first()
        else {
            panic!("an answer is journaled: {recs:?}")
        };
        answers.push(*answer);
        if *answer == Answer::No {
            // Disagreeing with the evidence: both are on screen.
            let s = screen(&mut a, 160, 48);
            let line = s
                .lines()
                .find(|l| l.contains("Were users affected?"))
                .unwrap();
            assert!(
                line.contains("NO (commander") && line.contains("evidence says YES"),
                "{line}"
            );
        }
    }
    assert_eq!(
        answers,
        [Answer::Yes, Answer::No, Answer::Unknown, Answer::Evidence]
    );
    let t = a.triage();
    assert!(!t.answers[q].by_commander, "back to the evidence");
    assert_eq!(t.answers[q].answer, Answer::Yes);
}

#[test]
fn m_marks_the_pattern_the_commander_picks_narrowest_first() {
    let mut a = app_with(&["all"], true, 30);
    let r = drafter(&a);
    a.open_inspector(r, None);
    let choices = a.pattern_choices(r);
    let sizes: Vec<usize> = choices
        .iter()
        .filter(|p| p.runs.len() > 1)
        .map(|p| p.runs.len())
        .collect();
    assert!(
        sizes.windows(2).all(|w| w[0] <= w[1]),
        "narrowest first: {sizes:?}"
    );
    a.update(ch('M'));
    assert!(a.marked.is_empty(), "M alone marks nothing");
    assert_eq!(inspecting(&a).pick, Some(0));
    a.update(key(KeyCode::Enter));
    let first = &choices[0];
    let want: std::collections::BTreeSet<usize> = first
        .runs
        .iter()
        .copied()
        .filter(|&x| a.store.runs[x].state.is_active())
        .collect();
    assert_eq!(a.marked, want);
    // Healthy runs of the same agent class are not swept in.
    assert!(
        a.marked
            .iter()
            .all(|&m| a.store.runs[m].workflow == "refund-followups")
    );
    // The marked set is shown before x.
    let flash = a.flash.clone().unwrap();
    for &m in &a.marked {
        assert!(flash.contains(a.store.runs[m].id.as_str()), "{flash}");
    }
    a.update(key(KeyCode::Esc));
    let s = screen(&mut a, 160, 48);
    assert!(
        s.contains(&format!("{} marked (x stops them)", a.marked.len())),
        "{s}"
    );
}

#[test]
fn quitting_asks_at_sev1_and_with_actions_in_flight() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    // Nothing serious: q quits at once.
    assert!(a.clone_quit_effects());
    palette(&mut a, "sev 1 customers emailed");
    let fx = palette(&mut a, "q");
    assert!(!fx.contains(&Effect::Quit), "asked first");
    assert!(
        screen(&mut a, 160, 48)
            .lines()
            .last()
            .unwrap()
            .contains("SEV1 is live")
    );
    a.update(ch('n'));
    assert_eq!(a.mode, Mode::Normal);
    a.update(ch('q'));
    assert!(a.update(ch('y')).contains(&Effect::Quit));
    // An action still being confirmed: asks too.
    let mut b = app_with(&["wrong-segment"], false, 12);
    b.update(ch('x'));
    b.update(key(KeyCode::Tab));
    b.update(key(KeyCode::Enter));
    assert!(!b.update(ch('q')).contains(&Effect::Quit));
    assert!(matches!(&b.mode, Mode::Prompt(p) if p.label.contains("not confirmed yet")));
}

trait QuitProbe {
    fn clone_quit_effects(&mut self) -> bool;
}

impl QuitProbe for App {
    /// Would q quit at once? (Asked on a copy of the state that matters.)
    fn clone_quit_effects(&mut self) -> bool {
        let fx = self.update(ch('q'));
        let quit = fx.contains(&Effect::Quit);
        self.quitting = false;
        quit
    }
}

#[test]
fn a_window_too_small_for_the_dialog_refuses_to_confirm() {
    let mut a = app_with(&["all"], true, 30);
    a.update(Msg::Resize(80, 17));
    a.update(ch('x'));
    // A long reason: the dialog no longer fits 17 rows.
    a.update(key(KeyCode::Tab));
    a.update(key(KeyCode::Tab));
    keys(&mut a, &"the wrong segment was emailed again ".repeat(12));
    a.update(key(KeyCode::BackTab));
    let fx = a.update(key(KeyCode::Enter));
    assert!(
        !fx.iter().any(|f| matches!(f, Effect::Execute(..))),
        "not sent"
    );
    assert!(
        a.flash
            .as_deref()
            .unwrap_or("")
            .contains("window too small")
    );
    assert!(screen(&mut a, 80, 17).contains("window too small"));
    // Big enough: the same Enter sends it.
    a.update(Msg::Resize(160, 48));
    let fx = a.update(key(KeyCode::Enter));
    assert!(fx.iter().any(|f| matches!(f, Effect::Execute(..))));
}

#[test]
fn too_small_screen() {
    let mut a = app_with(&["all"], true, 30);
    let s = screen(&mut a, 50, 12);
    // Keys that act are refused.
    assert!(a.update(ch('x')).is_empty());
    assert_eq!(a.mode, Mode::Normal);
    insta::assert_snapshot!(s);
}

fn watcher(lock: Lock) -> App {
    let mut a = app_with(&["wrong-segment"], false, 12);
    a.apply(&Record::SessionStarted {
        incident: "INC-20261124-100000".into(),
        operator: operator(),
        version: "t".into(),
        sources: vec!["sim=aca:http://127.0.0.1:7300".into()],
    });
    a.read_only = true;
    a.watching = Some(Watching {
        lock,
        last_record: Some(at(12)),
        records: 240,
        broken: None,
    });
    a
}

fn watch_screen(a: &mut App, secs: i64) -> String {
    a.update(Msg::Tick(at(secs)));
    a.replay_badge = Some(cordon::watch::badge(a));
    screen(a, 160, 48)
}

#[test]
fn watch_with_a_live_commander() {
    let mut a = watcher(Lock::Held(4242));
    let s = watch_screen(&mut a, 14);
    assert!(
        s.lines()
            .next()
            .unwrap()
            .contains("commander alice@bastion-1 LIVE")
    );
    assert!(s.lines().last().unwrap().contains("journal written 2s ago"));
    // Notes keys are not offered where they do nothing.
    a.update(ch('5'));
    let s5 = screen(&mut a, 160, 48);
    assert!(
        !s5.contains("i write") && !s5.contains("i to write") && !s5.contains("pins an event"),
        "{s5}"
    );
    a.update(ch('i'));
    assert!(!a.notes_editing);
    // And the watcher is told why the key did nothing.
    let s5 = screen(&mut a, 160, 48);
    assert!(
        s5.lines().last().unwrap().contains("cannot write notes"),
        "{s5}"
    );
    a.flash = None;
    a.update(ch('1'));
    insta::assert_snapshot!(s);
}

#[test]
fn watch_with_a_gone_commander() {
    let mut a = watcher(Lock::Free);
    a.apply(&Record::SessionEnded {
        reason: "quit".into(),
    });
    let s = watch_screen(&mut a, 300);
    assert!(
        s.lines()
            .next()
            .unwrap()
            .contains("commander alice@bastion-1 GONE (quit)")
    );
    assert!(
        s.contains("not live"),
        "the runs say they are not live: {s}"
    );
    assert!(s.lines().last().unwrap().contains("last written 4m ago"));
    // Killed without a word: the lock is free, no session_ended.
    let mut k = watcher(Lock::Free);
    assert!(watch_screen(&mut k, 20).contains("GONE (ended without a word"));
    insta::assert_snapshot!(s);
}

#[test]
fn a_new_incident_dir_says_so_and_a_reopened_one_says_that() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-TYPO");
    let (a, j) = cordon::commands::open_incident(&dir, &[]).unwrap();
    assert!(
        a.flash
            .as_deref()
            .unwrap()
            .starts_with("NEW incident INC-TYPO"),
        "{:?}",
        a.flash
    );
    j.close();
    let (b, j) = cordon::commands::open_incident(&dir, &[]).unwrap();
    assert!(b.flash.as_deref().unwrap().starts_with("reopened"));
    j.close();
}

/// A reopened journal's runs that the platform's first answer of the new
/// session does not show (a LangGraph server restarted without its data)
/// are not left "running": they show `unseen` until a poll shows them.
#[test]
fn runs_the_platform_no_longer_shows_after_a_reopen_are_not_left_running() {
    let lg_run = |id: &str, state: &str| {
        Run::from_wire(
            "lg",
            &json!({"id": id, "agent": "a", "agent_class": "react", "workflow": "wf",
                    "state": state, "started_at": at(0).to_rfc3339()}),
        )
        .unwrap()
    };
    let mut a = App::new(at(0), "INC-1", "/tmp/inc", operator());
    a.add_source("lg", "langgraph", "http://127.0.0.1:2024");
    a.add_source("sim", "aca", "http://127.0.0.1:7300");
    // What the journal held: two running LangGraph runs, one ACA run.
    for r in [lg_run("r1", "running"), lg_run("r2", "running"), run("s1")] {
        a.replay(Record::Run { run: r });
    }
    let state = |a: &App, src: &str, id: &str| {
        let i = a.store.run_idx(src, id).unwrap();
        a.store.runs[i].state.as_str().to_string()
    };
    let fx = a.update(polled(
        "lg",
        batch(vec![lg_run("r2", "running")], vec![]),
        at(5),
    ));
    assert_eq!(state(&a, "lg", "r1"), "unseen");
    assert!(
        a.store.runs[a.store.run_idx("lg", "r1").unwrap()]
            .state
            .is_unknown()
    );
    assert_eq!(state(&a, "lg", "r2"), "running");
    let journaled: Vec<Record> = split(fx).0;
    assert!(
        journaled.iter().any(
            |r| matches!(r, Record::Run { run } if run.id == "r1" && run.state.as_str() == "unseen")
        ),
        "{journaled:?}"
    );
    // Only the first answer of the session decides; a later one that
    // shows the run puts its state back. Other kinds are left alone.
    a.update(polled("lg", batch(vec![], vec![]), at(6)));
    assert_eq!(state(&a, "lg", "r2"), "running");
    a.update(polled(
        "lg",
        batch(vec![lg_run("r1", "succeeded")], vec![]),
        at(7),
    ));
    assert_eq!(state(&a, "lg", "r1"), "succeeded");
    a.update(polled("sim", batch(vec![], vec![]), at(8)));
    assert_eq!(state(&a, "sim", "s1"), "running");
}
