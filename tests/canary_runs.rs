//! Drill canaries are drills, not harm: a run marked `canary` (ACA/1.1
//! `"canary": true`, or a canary `cordon drill` started) is left out of
//! triage, the impact counts and the exports, which say what they left
//! out. Checked against a twin: the same evidence on a run that is not a
//! canary is counted.

mod common;

use common::*;
use cordon::journal::Record;
use cordon::model::{Event, Run};
use cordon::report::{self, JournalView};
use serde_json::json;

fn run(id: &str, canary: bool) -> Run {
    Run::from_wire(
        "sim",
        &json!({"id": id, "agent": format!("agent-{id}"), "agent_class": "mailer",
                "workflow": "newsletter", "state": "running", "canary": canary}),
    )
    .unwrap()
}

/// The same outbound send, by run `run`.
fn send(id: &str, run: &str) -> Event {
    Event::from_wire_value(
        &json!({"id": id, "run_id": run, "at": at(5).to_rfc3339(), "kind": "message_sent",
                "summary": "Sent the newsletter", "target": "list:all-customers",
                "outbound": true, "irreversible": true, "data": {"recipients": 2000}}),
        at(5),
    )
    .unwrap()
}

/// An incident as its journal holds it: a canary and `others`, each of
/// which sent once; replayed from the journal (so the mark survives it).
fn incident(others: &[&str]) -> (JournalView, cordon::app::App) {
    let mut log = vec![(
        at(0),
        Record::SessionStarted {
            incident: "INC".into(),
            operator: operator(),
            version: "test".into(),
            sources: vec![],
        },
    )];
    let runs = std::iter::once(run("canary-1", true)).chain(others.iter().map(|id| run(id, false)));
    for r in runs {
        let id = r.id.to_string();
        log.push((at(1), Record::Run { run: r }));
        log.push((
            at(5),
            Record::Event {
                source: "sim".into(),
                event: send(&format!("ev-{id}"), &id),
            },
        ));
    }
    let j = JournalView::from_bytes(&cordon::scenes::journal_bytes(&log));
    let app = j.replay("INC", "/tmp/inc");
    (j, app)
}

#[test]
fn a_canary_run_is_left_out_of_triage_and_its_twin_is_not() {
    let (_, a) = incident(&["real-1"]);
    let canary = a.store.run_idx("sim", "canary-1").unwrap();
    let real = a.store.run_idx("sim", "real-1").unwrap();
    assert!(a.store.runs[canary].canary, "the mark survives the journal");
    assert!(!a.store.runs[real].canary);
    let t = a.triage();
    assert_eq!(t.implicated, vec![real]);
    assert_eq!(t.canaries, vec![canary]);
    // Impact counts only the twin's send: one target, one send.
    assert_eq!(t.changes.len(), 1, "{:?}", t.changes);
    assert_eq!(t.changes[0].count, 1);
    assert_eq!(t.changes[0].runs, vec!["real-1".to_string()]);
}

#[test]
fn with_only_a_canary_nothing_is_implicated_and_the_exports_say_what_was_left_out() {
    let (j, a) = incident(&[]);
    let t = a.triage();
    assert!(t.implicated.is_empty());
    assert!(t.changes.is_empty());
    for kind in ["postmortem", "internal"] {
        let d = report::draft(kind, &a, &j, at(60));
        assert!(
            d.text
                .contains("Left out: 1 drill canary run(s) (`canary-1`"),
            "{kind}:\n{}",
            d.text
        );
        assert!(
            !d.text.contains("2,000"),
            "{kind} counts the canary:\n{}",
            d.text
        );
    }
    let pm = report::draft("postmortem", &a, &j, at(60));
    assert!(pm.text.contains("- Runs implicated: none"), "{}", pm.text);
}

#[test]
fn the_triage_pane_says_how_many_canaries_it_left_out() {
    let (_, mut a) = incident(&["real-1"]);
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("Left out 1 drill canary (canary-1)"), "{s}");
    let (_, mut a) = incident(&[]);
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("Left out 1 drill canary (canary-1)"), "{s}");
}
