//! The incident record in `update()`: triage answers from evidence with
//! citations, suggested severity, overrides and handoffs journaled, notes
//! and their autosaved draft, pins.

mod common;

use common::*;
use cordon::app::{App, Effect, Mode, Msg, Pane};
use cordon::journal::{IncidentChange, Record};
use cordon::model::incident::{Answer, NoteKind, Role, Severity, Status};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn records(fx: Vec<Effect>) -> Vec<Record> {
    split(fx).0
}

fn triage_to(a: &mut App, row: usize) {
    a.update(ch('3'));
    a.triage_sel = row;
}

#[test]
fn prefilled_answers_cite_the_right_events_for_wrong_segment() {
    let a = app_with(&["wrong-segment"], false, 12);
    let t = a.triage();
    let sends: Vec<String> = a
        .store
        .events
        .iter()
        .filter(|s| s.event.kind.as_str() == "message_sent")
        .map(|s| s.event.id.to_string())
        .collect();
    assert!(!sends.is_empty());
    // Users affected: yes, citing the sends.
    assert_eq!(t.answers[3].answer, Answer::Yes);
    assert_eq!(
        t.answers[3].cites,
        sends.iter().take(6).cloned().collect::<Vec<_>>()
    );
    assert!(t.answers[3].note.contains("recipients"));
    // Data left a boundary: yes (outbound). Cannot be reversed: cites the same irreversible sends.
    assert_eq!(t.answers[1].answer, Answer::Yes);
    assert_eq!(t.answers[4].answer, Answer::No);
    assert_eq!(t.answers[4].cites[0], sends[0]);
    // Still running: the drafter; similar runs queued: the two cohorts.
    let drafter = a
        .store
        .runs
        .iter()
        .find(|r| r.agent == "support-drafter-2")
        .unwrap()
        .id
        .clone();
    assert_eq!(t.answers[5].answer, Answer::Yes);
    assert_eq!(t.answers[5].cites, vec![drafter]);
    let queued: Vec<String> = a
        .store
        .runs
        .iter()
        .filter(|r| r.state.as_str() == "queued")
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(queued.len(), 2);
    assert_eq!(t.answers[6].answer, Answer::Yes);
    let mut cited = t.answers[6].cites.clone();
    cited.sort();
    let mut want = queued.clone();
    want.sort();
    assert_eq!(cited, want);
    // Money: nothing billing-related in this scenario, so unknown (not "no").
    assert_eq!(t.answers[2].answer, Answer::Unknown);
    // Background runs are not implicated.
    assert!(
        t.implicated
            .iter()
            .all(|&r| a.store.runs[r].workflow == "refund-followups")
    );
}

#[test]
fn unreviewed_write_means_money_may_have_moved() {
    let a = app_with(&["unreviewed-write"], false, 20);
    let t = a.triage();
    assert_eq!(t.answers[2].answer, Answer::Yes);
    assert!(
        t.answers[2].note.contains("db:billing.refunds"),
        "{}",
        t.answers[2].note
    );
    let write = a
        .store
        .events
        .iter()
        .find(|s| s.event.kind.as_str() == "db_write")
        .unwrap();
    assert!(t.answers[2].cites.contains(&write.event.id.to_string()));
}

#[test]
fn suggested_severity_follows_the_answers() {
    use cordon::app::triage::{Answered, suggest};
    let ans = |v: [Answer; 8]| -> Vec<Answered> {
        v.iter()
            .map(|a| Answered {
                answer: *a,
                note: String::new(),
                cites: vec![],
                by_commander: false,
            })
            .collect()
    };
    use Answer::*;
    let none = std::collections::BTreeSet::new();
    // Users affected irreversibly with money: SEV1.
    assert_eq!(
        suggest(&ans([Yes, Yes, Yes, Yes, No, Yes, No, No]), &none, true).0,
        Severity(1)
    );
    // Users affected, reversible, money known not to move: SEV2.
    assert_eq!(
        suggest(&ans([Yes, Yes, No, Yes, Yes, No, No, No]), &none, true).0,
        Severity(2)
    );
    // Internal reversible changes, everything known: SEV3.
    assert_eq!(
        suggest(&ans([Yes, No, No, No, Yes, Yes, No, No]), &none, true).0,
        Severity(3)
    );
    // The same with users unknown: the higher (SEV2).
    let (s, why) = suggest(&ans([Yes, No, No, Unknown, Yes, Yes, No, No]), &none, true);
    assert_eq!(s, Severity(2));
    assert!(why.contains("raised"));
    // Only a quality issue marked, nothing changed: SEV4; nothing at all: SEV5.
    let quality: std::collections::BTreeSet<String> = ["quality issue".to_string()].into();
    assert_eq!(
        suggest(&ans([No, No, No, No, Yes, No, No, No]), &quality, false).0,
        Severity(4)
    );
    assert_eq!(
        suggest(&ans([No, No, No, No, Yes, No, No, No]), &none, false).0,
        Severity(5)
    );
    // A serious harm category marked by the commander: at least SEV2.
    let privacy: std::collections::BTreeSet<String> = ["privacy risk".to_string()].into();
    assert_eq!(
        suggest(&ans([No, No, No, No, Yes, No, No, No]), &privacy, false).0,
        Severity(2)
    );
}

#[test]
fn overridden_answers_are_journaled_and_kept() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    assert_eq!(a.triage().answers[2].answer, Answer::Unknown);
    // Row 8 + 2 = "Did money move?"
    triage_to(&mut a, 10);
    let recs = records(a.update(ch(' ')));
    assert!(
        matches!(&recs[0], Record::Incident { change: IncidentChange::Answer { question: 2, answer: Answer::Yes, .. }, by, .. } if by == "alice@bastion-1")
    );
    a.update(ch(' '));
    let t = a.triage();
    assert_eq!(t.answers[2].answer, Answer::No);
    assert!(t.answers[2].by_commander);
    // A note on the answer, through the prompt.
    a.update(ch('e'));
    assert!(matches!(a.mode, Mode::Prompt(_)));
    keys(&mut a, "finance confirmed: no refunds issued");
    let recs = records(a.update(key(KeyCode::Enter)));
    assert!(
        matches!(&recs[0], Record::Incident { change: IncidentChange::Answer { note, .. }, .. } if note == "finance confirmed: no refunds issued")
    );
    // New evidence does not overwrite the commander's answer.
    let mut w = world(&["wrong-segment"], false, 40);
    w.advance(std::time::Duration::from_secs(1));
    a.update(polled("sim", batch_of(&w, "sim"), at(41)));
    assert_eq!(a.triage().answers[2].answer, Answer::No);
    assert_eq!(
        a.triage().answers[2].note,
        "finance confirmed: no refunds issued"
    );
}

#[test]
fn severity_accept_and_override_with_reason() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    let suggested = a.triage().suggested.unwrap();
    a.update(ch('3'));
    let recs = records(a.update(ch('A')));
    assert!(
        matches!(&recs[0], Record::Incident { change: IncidentChange::Severity { severity, suggested: Some(s), reason }, .. }
        if *severity == suggested && *s == suggested && reason.starts_with("accepted triage suggestion"))
    );
    assert_eq!(a.incident.current_severity(), Some(suggested));
    // Override down, with a reason, via '-'.
    a.update(ch('-'));
    let Mode::Prompt(p) = &a.mode else { panic!() };
    assert!(p.label.contains(&format!("SEV{}", suggested.0 + 1)));
    // An empty reason is refused.
    let fx = a.update(key(KeyCode::Enter));
    assert!(records(fx).is_empty());
    assert!(a.flash.as_deref().unwrap().contains("needs a reason"));
    a.update(ch('-'));
    keys(&mut a, "only internal test accounts received it");
    let recs = records(a.update(key(KeyCode::Enter)));
    assert!(
        matches!(&recs[0], Record::Incident { change: IncidentChange::Severity { severity, suggested: Some(s), reason }, .. }
        if severity.0 == suggested.0 + 1 && *s == suggested && reason == "only internal test accounts received it")
    );
    // The palette sets it too, and insists on a reason.
    let fx = palette(&mut a, "sev 2");
    assert!(records(fx).is_empty());
    let Mode::Palette(p) = &a.mode else { panic!() };
    assert!(p.error.as_deref().unwrap().contains("needs a reason"));
    a.update(key(KeyCode::Esc));
    let recs = records(palette(&mut a, "sev 2 customers received it after all"));
    assert!(matches!(
        &recs[0],
        Record::Incident {
            change: IncidentChange::Severity {
                severity: Severity(2),
                ..
            },
            ..
        }
    ));
    assert_eq!(a.incident.severity.len(), 3);
}

#[test]
fn status_lifecycle_roles_and_handoffs_are_journaled() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    a.apply(&Record::SessionStarted {
        incident: "INC".into(),
        operator: operator(),
        version: "t".into(),
        sources: vec![],
    });
    assert_eq!(a.incident.current_status(), Status::Investigating);
    a.update(ch('3'));
    // s asks first; y says yes.
    assert!(records(a.update(ch('s'))).is_empty());
    let recs = records(a.update(ch('y')));
    assert!(matches!(
        &recs[0],
        Record::Incident {
            change: IncidentChange::Status {
                status: Status::Contained
            },
            ..
        }
    ));
    palette(&mut a, "status monitoring");
    palette(&mut a, "status resolved");
    let seen: Vec<Status> = a.incident.status.iter().map(|s| s.0).collect();
    assert_eq!(
        seen,
        [
            Status::Investigating,
            Status::Contained,
            Status::Monitoring,
            Status::Resolved
        ]
    );
    let recs = records(palette(&mut a, "role commander alice"));
    assert!(matches!(
        &recs[0],
        Record::Incident {
            change: IncidentChange::Role {
                role: Role::Commander,
                ..
            },
            ..
        }
    ));
    palette(&mut a, "role commander bob");
    palette(&mut a, "role comms carol");
    palette(&mut a, "role responder dan");
    assert_eq!(a.incident.holder(Role::Commander), Some("bob"));
    assert_eq!(
        a.incident
            .roles
            .iter()
            .filter(|r| r.0 == Role::Commander)
            .count(),
        2,
        "every handoff recorded"
    );
    palette(&mut a, "title Refund emails sent to all customers");
    assert_eq!(a.incident.title, "Refund emails sent to all customers");
    palette(&mut a, "detected 10:00:05");
    assert_eq!(a.incident.detected, Some(at(5)));
    // Each change is in the timeline as it happens.
    let lines: Vec<&str> = a
        .store
        .events
        .iter()
        .filter(|s| a.store.source_name(s.source) == "cordon")
        .map(|s| s.event.summary.as_str())
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("commander is now bob")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("status → resolved")));
}

#[test]
fn notes_are_typed_saved_attributed_and_parsed() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    a.update(ch('5'));
    a.update(ch('i'));
    assert!(a.notes_editing);
    // Typing q or x in the editor does not quit or act.
    keys(&mut a, "Segment lookup fuzzy-matched cohort; queue x q");
    let fx = a.update(ctrl('s'));
    let recs = records(fx);
    let Record::Note { note } = &recs[0] else {
        panic!("{recs:?}")
    };
    assert_eq!(note.kind, NoteKind::Note);
    assert_eq!(note.text, "Segment lookup fuzzy-matched cohort; queue x q");
    assert_eq!(note.by, "alice@bastion-1");
    assert!(matches!(&recs[1], Record::NoteDraft { text, .. } if text.is_empty()));
    // An action item with owner, due and type.
    a.update(ctrl('t'));
    a.update(ctrl('t'));
    a.update(ctrl('t'));
    assert_eq!(a.note_kind, NoteKind::ActionItem);
    keys(
        &mut a,
        "Require exact segment ids @bob due:2026-12-01 type:prevent",
    );
    a.update(ctrl('s'));
    let n = a.incident.notes.last().unwrap();
    assert_eq!(
        (n.owner.as_deref(), n.due.as_deref(), n.item_type.as_deref()),
        (Some("bob"), Some("2026-12-01"), Some("prevent"))
    );
    a.update(key(KeyCode::Esc));
    assert!(!a.notes_editing);
}

#[test]
fn the_draft_is_autosaved_and_restored() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    a.update(ch('5'));
    a.update(ch('i'));
    let mut all = Vec::new();
    for c in "hypothesis: stale".chars() {
        all.extend(records(a.update(ch(c))));
    }
    // The clock ticks: whatever is unsaved goes to the journal.
    all.extend(records(a.update(Msg::Tick(at(13)))));
    let last = all.iter().rev().find_map(|r| match r {
        Record::NoteDraft { text, .. } => Some(text.clone()),
        _ => None,
    });
    assert_eq!(last.as_deref(), Some("hypothesis: stale"));
    // Debounced: far fewer saves than keys.
    let saves = all
        .iter()
        .filter(|r| matches!(r, Record::NoteDraft { .. }))
        .count();
    assert!(saves <= 3, "{saves} saves for 17 keys");
    // A fresh app replaying the journal gets the draft back in the editor.
    let mut b = app(at(20));
    for r in &all {
        b.apply(r);
    }
    assert_eq!(b.draft_text(), "hypothesis: stale");
}

#[test]
fn p_pins_the_selected_event() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    a.update(ch('2'));
    let ev = a.store.events[a.timeline.selected_event().unwrap()]
        .event
        .clone();
    let recs = records(a.update(ch('p')));
    let Record::Note { note } = &recs[0] else {
        panic!()
    };
    assert_eq!(note.kind, NoteKind::Evidence);
    assert_eq!(note.pinned, Some(("sim".to_string(), ev.id.to_string())));
    assert!(note.text.contains(ev.id.as_str()));
}

#[test]
fn repair_state_is_set_per_changed_target() {
    let mut a = app_with(&["broad-edits"], false, 30);
    let t = a.triage();
    let readme = t
        .changes
        .iter()
        .position(|c| c.target == "file:README.md")
        .unwrap();
    assert_eq!(t.changes[readme].reversible, Some(true));
    let row = 8 + 8 + 10 + readme;
    triage_to(&mut a, row);
    let recs = records(a.update(ch(' ')));
    assert!(matches!(
        &recs[0],
        Record::Incident {
            change: IncidentChange::Repair {
                state: cordon::model::incident::Repair::Reverted,
                ..
            },
            ..
        }
    ));
    assert_eq!(
        a.triage().changes[readme].repair,
        cordon::model::incident::Repair::Reverted
    );
}

#[test]
fn status_update_cadence_flags_overdue() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    palette(&mut a, "sev 1 all customers emailed");
    assert_eq!(a.incident.cadence(), Some(30));
    let due = a.incident.next_update().unwrap();
    assert_eq!(due, at(12) + chrono::Duration::minutes(30));
    a.update(Msg::Tick(due + chrono::Duration::minutes(5)));
    a.update(ch('3'));
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("STATUS UPDATE OVERDUE by 5m"), "{s}");
    palette(&mut a, "cadence 15");
    assert_eq!(a.incident.cadence(), Some(15));
}

#[test]
fn triage_and_notes_keys_do_not_trigger_containment() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    a.update(ch('3'));
    for c in ['x', 'b', 'h', 't', 'c'] {
        let fx = a.update(ch(c));
        assert!(
            fx.iter().all(|f| !matches!(f, Effect::Preview { .. })),
            "{c}"
        );
        assert!(!matches!(a.mode, Mode::Confirm(_) | Mode::Pick(_)));
    }
    assert_eq!(a.focus, Pane::Triage);
}

/// A platform that reports an agent's sends as outbound tool calls (as the
/// LangGraph adapter does: `OUT email_send(...)`), with no `message_sent`:
/// the run is still implicated, data is still said to have left, and
/// triage does not suggest "no impact". Seen in tmux against a real
/// LangGraph server, where it suggested SEV5 while the agent emailed
/// all customers.
#[test]
fn outbound_tool_calls_implicate_their_run() {
    let mut a = app(at(0));
    let run = cordon::model::Run::from_wire(
        "lg",
        &serde_json::json!({"id": "r1", "agent": "support", "workflow": "refund-followups",
                            "state": "running"}),
    )
    .unwrap();
    let events: Vec<_> = (0..3)
        .filter_map(|i| {
            cordon::model::Event::from_wire_value(
                &serde_json::json!({"id": format!("e{i}"), "run_id": "r1", "kind": "tool_call",
                    "at": "2026-11-24T10:00:01Z", "tool": "email_send", "outbound": true,
                    "summary": "email_send({\"segment\":\"all-customers\"})"}),
                at(1),
            )
        })
        .collect();
    a.update(polled(
        "lg",
        cordon::source::Batch {
            runs: vec![run],
            events,
            ..Default::default()
        },
        at(1),
    ));
    let t = a.triage();
    assert_eq!(t.implicated.len(), 1, "the sending run is implicated");
    assert_eq!(t.answers[1].answer, Answer::Yes, "data left a boundary");
    assert_eq!(t.answers[0].answer, Answer::Yes, "{}", t.answers[0].note);
    assert!(
        t.answers[0].note.contains("tool email_send"),
        "{}",
        t.answers[0].note
    );
    let sev = t.suggested.expect("a suggestion");
    assert!(
        sev <= Severity(2),
        "not 'no impact': {sev:?} ({})",
        t.because
    );
}
