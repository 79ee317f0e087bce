//! Golden tests of the three exports for a simulator scenario with a fixed
//! clock: every section present, every action with its confirm time, every
//! pinned event, no control characters; and the atomic write.

mod common;

use common::*;
use cordon::app::{App, Effect, Msg};
use cordon::contain::ActionMsg;
use cordon::journal::{GENESIS, Record, writer::render_line};
use cordon::model::{ActionAnswer, ActionPhase};
use cordon::report::{self, JournalView};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Play the wrong-segment incident with a commander's moves, journaling
/// every record with a fixed clock; return the journal bytes.
fn incident() -> Vec<u8> {
    let mut recs: Vec<Record> = Vec::new();
    let mut a = app(at(0));
    a.key_seed = Some(0);
    let take = |fx: Vec<Effect>, recs: &mut Vec<Record>| {
        for f in fx {
            if let Effect::Journal(r) = f {
                recs.push(r);
            }
        }
    };
    let started = Record::SessionStarted {
        incident: "INC-20261124-100000".into(),
        operator: operator(),
        version: "test".into(),
        sources: vec!["sim=aca:http://127.0.0.1:7300".into()],
    };
    a.apply(&started);
    recs.push(started);
    let w = world(&["wrong-segment", "unreviewed-write"], true, 14);
    take(
        a.update(polled("sim", batch_of(&w, "sim"), at(14))),
        &mut recs,
    );
    let palette = |a: &mut App, line: &str| {
        a.update(ch(':'));
        keys(a, line);
        a.update(key(KeyCode::Enter))
    };
    take(
        palette(&mut a, "title Refund follow-up emailed to all customers"),
        &mut recs,
    );
    take(palette(&mut a, "role commander alice"), &mut recs);
    take(palette(&mut a, "role comms carol"), &mut recs);
    take(palette(&mut a, "detected 10:00:09"), &mut recs);
    // Pin the first wrong send.
    a.update(ch('2'));
    let send = a
        .store
        .events
        .iter()
        .position(|s| s.event.kind.as_str() == "message_sent")
        .unwrap();
    let row = (0..a.timeline.rows.len())
        .find(|&i| a.timeline.rows.get(i) == Some(send))
        .unwrap();
    a.timeline.sel = row;
    a.timeline.follow = false;
    take(a.update(ch('p')), &mut recs);
    // Stop the drafter and hold its queue; confirm both.
    a.update(ch('1'));
    let pos = a
        .runs
        .rows
        .iter()
        .position(|&r| a.store.runs[r].agent == "support-drafter-2")
        .unwrap();
    a.runs.sel = pos;
    let mut ids = Vec::new();
    for k in ['x', 'h'] {
        a.update(ch(k));
        a.update(key(KeyCode::Tab));
        for f in a.update(key(KeyCode::Enter)) {
            match f {
                Effect::Journal(r) => recs.push(r),
                Effect::Execute(r) => ids.push(r.id),
                _ => {}
            }
        }
    }
    for (n, id) in ids.iter().enumerate() {
        let t = |ms: i64| at(14) + chrono::Duration::milliseconds(ms + n as i64 * 100);
        take(
            a.update(Msg::Action(ActionMsg::Sent { id: id.clone() }, t(2))),
            &mut recs,
        );
        let ans = ActionAnswer {
            action_id: format!("act_{n}"),
            kind: "x".into(),
            state: "applied".into(),
            affected_runs: vec![],
            message: "applied".into(),
            ..ActionAnswer::default()
        };
        take(
            a.update(Msg::Action(
                ActionMsg::Answered {
                    id: id.clone(),
                    result: Ok(ans),
                    attempts: 1,
                    lost: None,
                },
                t(30),
            )),
            &mut recs,
        );
        take(
            a.update(Msg::Action(
                ActionMsg::Verified {
                    id: id.clone(),
                    outcome: ActionPhase::Confirmed,
                    detail: "effect seen".into(),
                    reverted: vec![],
                },
                t(420),
            )),
            &mut recs,
        );
    }
    // Triage: accept the suggestion, mark harms, answer a question.
    a.update(ch('3'));
    take(a.update(ch('A')), &mut recs);
    a.triage_sel = 7; // user harm
    take(a.update(ch(' ')), &mut recs);
    a.triage_sel = 3; // privacy risk
    take(a.update(ch(' ')), &mut recs);
    // Notes: a decision, a hypothesis, an action item, a comms note.
    a.update(ch('5'));
    a.update(ch('i'));
    for (kind_steps, text) in [
        (1, "Hold all refund follow-ups until segment ids are exact"),
        (
            1,
            "The segment lookup fuzzy-matched 'cohort' to all-customers",
        ),
        (
            1,
            "Make the segment lookup require an exact id @bob due:2026-12-01 type:prevent",
        ),
        (
            1,
            "You may have received a refund email in error; nothing changed on your account. You can ignore it.",
        ),
    ] {
        for _ in 0..kind_steps {
            a.update(Msg::Key(KeyEvent::new(
                KeyCode::Char('t'),
                KeyModifiers::CONTROL,
            )));
        }
        keys(&mut a, text);
        take(
            a.update(Msg::Key(KeyEvent::new(
                KeyCode::Char('s'),
                KeyModifiers::CONTROL,
            ))),
            &mut recs,
        );
    }
    // Render the journal with a fixed clock: bytes are deterministic.
    let mut prev = GENESIS.to_string();
    let mut bytes = String::new();
    for (i, r) in recs.into_iter().enumerate() {
        let (line, h) = render_line(i as u64, &prev, at(15), r);
        bytes.push_str(&line);
        prev = h;
    }
    bytes.into_bytes()
}

fn exports() -> (String, String, String) {
    let bytes = incident();
    let j = JournalView::from_bytes(&bytes);
    assert!(j.lines.len() > 50);
    let app = j.replay("INC-20261124-100000", "/tmp/inc");
    let now = at(20 * 60);
    (
        report::render("postmortem", &app, &j, now),
        report::render("status", &app, &j, now),
        report::render("evidence", &app, &j, now),
    )
}

fn assert_clean(s: &str) {
    assert!(cordon::sanitize::is_clean(s), "control character in export");
}

#[test]
fn postmortem_golden() {
    let (pm, _, _) = exports();
    assert_clean(&pm);
    for section in [
        "## Summary",
        "## Impact",
        "## Severity and status history",
        "## Detection",
        "## Containment",
        "## Triage answers",
        "## Timeline (UTC)",
        "## Evidence index",
        "## Contributing factors",
        "## What went well",
        "## What went wrong",
        "## Where we got lucky",
        "## Action items",
    ] {
        assert!(pm.contains(section), "missing {section}");
    }
    // Every action with its confirm time.
    assert!(pm.contains("| stop_run |") && pm.contains("| hold_queue |"));
    assert!(
        pm.contains("| stop_run | run run_") && pm.contains("| +0.4 s | stop control worked"),
        "{pm}"
    );
    assert!(pm.contains("| hold_queue | workflow refund-followups | alice@bastion-1 | +0.1 s | +0.5 s | stop control worked"), "{pm}");
    // Every pinned event.
    assert!(pm.contains("pinned by alice@bastion-1"));
    // The seed's questions, the action item with owner and due, the head hash.
    assert!(pm.contains("Why did the agent have the permissions it had?"));
    assert!(pm.contains("| bob | 2026-12-01 | prevent |"));
    let head = JournalView::from_bytes(&incident()).head;
    assert!(
        pm.trim_end()
            .ends_with(&format!("head hash `{head}` (check with `cordon verify`)."))
    );
    insta::assert_snapshot!("postmortem", pm);
}

#[test]
fn status_update_golden() {
    let (_, st, _) = exports();
    assert_clean(&st);
    for section in [
        "## What happened",
        "## Who is affected",
        "## What we have done",
        "## What we do not know yet",
        "## What you should do",
        "## Next update",
    ] {
        assert!(st.contains(section), "missing {section}");
    }
    assert!(st.contains("segment:all-customers"));
    assert!(st.contains("confirmed that it took effect"));
    assert!(!st.to_lowercase().contains(" ai "), "no hiding behind 'AI'");
    insta::assert_snapshot!("status_update", st);
}

#[test]
fn evidence_bundle_golden() {
    let (_, _, ev) = exports();
    assert_clean(&ev);
    let v: serde_json::Value = serde_json::from_str(&ev).unwrap();
    let bytes = incident();
    let j = JournalView::from_bytes(&bytes);
    assert_eq!(v["chain_head"], j.head.as_str());
    assert_eq!(v["entries"].as_array().unwrap().len(), j.lines.len());
    assert_eq!(v["entries"][0]["hash"], j.lines[0].0.as_str());
    let drafter = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agent"] == "support-drafter-2")
        .unwrap();
    for key in [
        "assignment",
        "instructions",
        "tool_calls",
        "permissions",
        "files_changed",
        "records_written",
        "messages_sent",
        "external_actions",
        "retries",
        "errors",
        "reviews",
        "human_interventions",
    ] {
        assert!(drafter.get(key).is_some(), "missing {key}");
    }
    assert!(!drafter["messages_sent"].as_array().unwrap().is_empty());
    assert_eq!(
        drafter["permissions"]["credentials"][0],
        "cred_sendgrid_prod"
    );
    insta::assert_snapshot!("evidence", ev);
}

#[test]
fn exports_are_written_atomically_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-1");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(cordon::journal::journal_path(&dir), incident()).unwrap();
    let out = report::export_all(&dir, &report::KINDS, at(1200)).unwrap();
    assert_eq!(out.len(), 3);
    for (_, p) in &out {
        assert_eq!(
            std::fs::metadata(p).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains(".tmp-")),
        "no temp files left: {names:?}"
    );
    // The CLI writes the same thing.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args([
            "export",
            "status",
            "--incident-dir",
            dir.to_str().unwrap(),
            "-o",
            tmp.path().join("s.md").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        std::fs::read_to_string(tmp.path().join("s.md"))
            .unwrap()
            .contains("## Who is affected")
    );
}

#[test]
fn a_stop_on_a_run_that_had_ended_is_not_called_a_working_stop() {
    use cordon::model::{ActionKind, ActionRequest, Target};
    let req = ActionRequest {
        id: "A1-x".into(),
        source: "sim".into(),
        kind: ActionKind::StopRun,
        target: Target {
            run_id: Some("run_1".into()),
            ..Target::default()
        },
        reason: "r".into(),
        key: "k".into(),
        actor: "alice@bastion-1".into(),
    };
    let recs = vec![
        Record::ActionIntent {
            request: req,
            operator: operator(),
            preview: None,
            at: at(1),
            dry_run: None,
            note: None,
        },
        // As an older cordon journaled it: no outcome, only `confirmed`.
        Record::ActionVerified {
            id: "A1-x".into(),
            confirmed: true,
            detail: "run run_1 is succeeded (no longer running)".into(),
            at: at(2),
            outcome: None,
            reverted: vec![],
        },
    ];
    let mut prev = GENESIS.to_string();
    let mut bytes = String::new();
    for (i, r) in recs.into_iter().enumerate() {
        let (l, h) = render_line(i as u64, &prev, at(2), r);
        bytes.push_str(&l);
        prev = h;
    }
    let j = JournalView::from_bytes(bytes.as_bytes());
    let pm = report::render("postmortem", &j.replay("INC", "/tmp"), &j, at(3));
    assert!(pm.contains("run had already ended"), "{pm}");
    assert!(!pm.contains("stop control worked"));
}
