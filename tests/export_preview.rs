//! The export preview in the console: every export is read before it is
//! written, what is written is what was read, exporting an update records
//! a communication, and only marking it sent restarts the cadence.

mod common;

use common::*;
use cordon::app::{Effect, Mode, Msg, Rendering};
use cordon::journal::{IncidentChange, Record};
use cordon::report::{self, Written};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The console on the demo incident (replayed), at 10:20, preview open
/// on the status update and rendered.
fn previewing() -> cordon::app::App {
    cordon::scenes::export_preview_app("status")
}

fn preview(a: &cordon::app::App) -> &cordon::app::ExportPreview {
    match &a.mode {
        Mode::Export(p) => p,
        m => panic!("no preview open: {m:?}"),
    }
}

/// The draft the preview shows.
fn shown(a: &cordon::app::App) -> report::Draft {
    match &preview(a).draft {
        Rendering::Ready(d) => (**d).clone(),
        other => panic!("{other:?}"),
    }
}

fn render_request(fx: &[Effect]) -> (String, u64) {
    fx.iter()
        .find_map(|f| match f {
            Effect::Render { kind, request } => Some((kind.clone(), *request)),
            _ => None,
        })
        .expect("a render request")
}

#[test]
fn e_opens_the_preview_and_asks_for_a_render() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    let fx = a.update(ch('E'));
    assert_eq!(render_request(&fx).0, "status");
    assert!(matches!(preview(&a).draft, Rendering::Loading));
    // Nothing is written before it is shown.
    assert!(!fx.iter().any(|f| matches!(f, Effect::Export(_))));
    let fx = a.update(key(KeyCode::Enter));
    assert!(!fx.iter().any(|f| matches!(f, Effect::Export(_))));
    assert_eq!(
        a.flash.as_deref(),
        Some("still rendering: export when it is shown")
    );
    // Tab: the next export, rendered afresh; an answer to the old request
    // is dropped.
    let (_, old) = render_request(&fx_of(&mut a, KeyCode::Esc, 'E'));
    let fx = a.update(key(KeyCode::Tab));
    let (kind, request) = render_request(&fx);
    assert_eq!(kind, "internal");
    assert_ne!(request, old);
    a.update(Msg::Rendered {
        request: old,
        result: Ok(Box::new(draft_of("status"))),
    });
    assert!(matches!(preview(&a).draft, Rendering::Loading));
    a.update(Msg::Rendered {
        request,
        result: Err("cannot read journal.jsonl: gone".into()),
    });
    assert!(matches!(&preview(&a).draft, Rendering::Failed(e) if e.contains("gone")));
    a.update(key(KeyCode::Esc));
    assert_eq!(a.mode, Mode::Normal);
    // The palette opens it on a kind.
    a.update(ch(':'));
    keys(&mut a, "export postmortem");
    let fx = a.update(key(KeyCode::Enter));
    assert_eq!(render_request(&fx).0, "postmortem");
}

/// Close, then press `c` again: its effects.
fn fx_of(a: &mut cordon::app::App, close: KeyCode, c: char) -> Vec<Effect> {
    a.update(key(close));
    a.update(ch(c))
}

fn draft_of(kind: &str) -> report::Draft {
    let j = report::JournalView::from_bytes(&cordon::scenes::demo_journal());
    let app = j.replay("INC-20261124-100000", "/tmp/inc");
    report::draft(kind, &app, &j, at(1200))
}

#[test]
fn enter_writes_exactly_what_was_shown_and_records_a_communication() {
    let mut a = previewing();
    let shown = Box::new(shown(&a));
    let before = a.incident.comms.len();
    let due = a.incident.next_update();
    let fx = a.update(key(KeyCode::Enter));
    let written = fx
        .iter()
        .find_map(|f| match f {
            Effect::Export(d) => Some(d.clone()),
            _ => None,
        })
        .expect("an export");
    assert_eq!(written, shown);
    // A second Enter while it is written does not write twice.
    assert!(
        !a.update(key(KeyCode::Enter))
            .iter()
            .any(|f| matches!(f, Effect::Export(_)))
    );
    let w = Written {
        kind: "status".into(),
        path: "/var/lib/cordon/INC-20261124-100000/status-update.md".into(),
        sha256: cordon::journal::hash(shown.text.as_bytes()),
        promised: shown.promised,
    };
    let (recs, _) = split(a.update(Msg::Exported(Ok(vec![w.clone()]), None, at(1201))));
    assert_eq!(
        recs,
        vec![Record::Exported {
            kind: "status".into(),
            path: w.path.clone(),
            at: at(1201),
            to: Some("affected users".into()),
            sha256: Some(w.sha256.clone()),
            by: Some("alice@bastion-1".into()),
            promised: Some(at(50 * 60)),
        }]
    );
    assert_eq!(a.incident.comms.len(), before + 1);
    let c = a.incident.comms.last().unwrap();
    assert_eq!((c.to.as_str(), c.sent.as_ref()), ("affected users", None));
    // Exporting alone does not restart the cadence.
    assert_eq!(a.incident.next_update(), due);
    assert_eq!(preview(&a).written.as_ref(), Some(&w));
    let s = screen(&mut a, 160, 48);
    assert!(
        s.contains("NOT SENT yet: press s once it has gone out"),
        "{s}"
    );
}

#[test]
fn marking_it_sent_restarts_the_cadence_once() {
    let mut a = previewing();
    let shown = shown(&a);
    a.update(key(KeyCode::Enter));
    let sha = cordon::journal::hash(shown.text.as_bytes());
    a.update(Msg::Exported(
        Ok(vec![Written {
            kind: "status".into(),
            path: "p".into(),
            sha256: sha.clone(),
            promised: shown.promised,
        }]),
        None,
        at(1201),
    ));
    a.update(Msg::Tick(at(1260)));
    let (recs, _) = split(a.update(ch('s')));
    assert!(matches!(
        &recs[..],
        [Record::Incident { change: IncidentChange::Sent { kind, sha256 }, at: t, .. }]
            if kind == "status" && *sha256 == sha && *t == at(1260)
    ));
    // Due 30 minutes after it went out, but never later than the time
    // the update itself promised (10:50).
    assert_eq!(a.incident.next_update(), Some(at(50 * 60)));
    assert_eq!(
        a.flash.as_deref(),
        Some("status update marked sent; next one due 10:50 UTC")
    );
    let (recs, _) = split(a.update(ch('s')));
    assert!(recs.is_empty());
    assert!(
        a.flash
            .as_deref()
            .unwrap()
            .starts_with("already marked sent at 10:21:00 UTC")
    );
    // Replayed, the journal says the same.
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("sent 10:21:00 UTC"), "{s}");
}

#[test]
fn only_updates_are_sent_and_only_after_export() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    a.update(ch(':'));
    keys(&mut a, "sent internal");
    let (recs, _) = split(a.update(key(KeyCode::Enter)));
    assert!(recs.is_empty());
    match &a.mode {
        Mode::Palette(p) => assert_eq!(
            p.error.as_deref(),
            Some("export the internal brief first (Enter), then mark it sent once it has gone out")
        ),
        m => panic!("{m:?}"),
    }
    a.update(key(KeyCode::Esc));
    a.update(ch(':'));
    keys(&mut a, "sent postmortem");
    a.update(key(KeyCode::Enter));
    assert!(
        matches!(&a.mode, Mode::Palette(p) if p.error.as_deref().unwrap().contains("not sent to anyone"))
    );
    // A postmortem export is journaled, but it is no communication.
    a.update(key(KeyCode::Esc));
    let (recs, _) = split(a.update(Msg::Exported(
        Ok(vec![Written {
            kind: "postmortem".into(),
            path: "pm.md".into(),
            sha256: "ab".into(),
            promised: None,
        }]),
        None,
        at(13),
    )));
    assert!(matches!(&recs[..], [Record::Exported { to: None, .. }]));
    assert!(a.incident.comms.is_empty());
}

#[test]
fn a_watcher_cannot_export_from_the_console() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    a.replay_badge = Some("WATCHING (read-only)".into());
    let fx = a.update(ch('E'));
    assert!(fx.is_empty());
    assert_eq!(a.mode, Mode::Normal);
    assert!(
        a.flash
            .as_deref()
            .unwrap()
            .contains("run `cordon export status --incident-dir")
    );
}

#[test]
fn the_preview_scrolls_and_cycles() {
    let mut a = previewing();
    let total = preview(&a).lines();
    assert!(total > 30);
    a.update(ch('j'));
    a.update(ch('j'));
    assert_eq!(preview(&a).scroll, 2);
    a.update(ch('G'));
    assert_eq!(preview(&a).scroll, total - 1);
    a.update(ch('g'));
    assert_eq!(preview(&a).scroll, 0);
    let fx = a.update(Msg::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    assert_eq!(render_request(&fx).0, "evidence");
    let fx = a.update(key(KeyCode::Tab));
    assert_eq!(render_request(&fx).0, "status");
}

#[test]
fn status_update_preview_160x48() {
    let mut a = previewing();
    insta::assert_snapshot!(render(&mut a, 160, 48).backend());
}

#[test]
fn status_update_preview_80x24() {
    let mut a = previewing();
    insta::assert_snapshot!(render(&mut a, 80, 24).backend());
}

#[test]
fn internal_brief_preview_scrolled_160x48() {
    let mut a = cordon::scenes::export_preview_app("internal");
    for _ in 0..12 {
        a.update(ch('j'));
    }
    insta::assert_snapshot!(render(&mut a, 160, 48).backend());
}

/// Evidence keeps arriving while the preview is open (the demo under
/// load: the triage pane showed messages the draft did not): the preview
/// says the draft is behind and as of when, until it is rendered again.
#[test]
fn a_preview_says_when_the_console_has_moved_on_since_its_draft() {
    let mut a = previewing();
    let screen_of = |a: &mut cordon::app::App| screen(a, 160, 48);
    assert!(!screen_of(&mut a).contains("since this was rendered"));
    let ev = cordon::model::Event::from_wire_value(
        &serde_json::json!({"id": "evt_late_1", "run_id": "run_e509", "at": "2026-11-24T10:19:00Z",
            "kind": "message_sent", "target": "segment:all-customers", "outbound": true,
            "data": {"recipients": 2000}}),
        at(1190),
    )
    .unwrap();
    let batch = cordon::source::Batch {
        runs: vec![],
        events: vec![ev],
        controls: None,
        offered: None,
        credentials: vec![],
        bytes: 0,
        linked: Vec::new(),
    };
    a.update(polled("sim", batch, at(1195)));
    let s = screen_of(&mut a);
    assert!(
        s.contains(
            "1 new record from the platforms since this was rendered from the journal (records to 10:00:45 UTC): r renders"
        ),
        "{s}"
    );
    // Rendered again: nothing newer.
    let fx = a.update(ch('r'));
    let (kind, request) = render_request(&fx);
    a.update(Msg::Rendered {
        request,
        result: Ok(Box::new(draft_of(&kind))),
    });
    assert!(!screen_of(&mut a).contains("since this was rendered"));
}
