//! The exports against evidence a hostile or sloppy platform sends
//! (scripted ACA servers): what reaches users is vetted whoever wrote it,
//! world changes count whatever their kind is called, a stop is not
//! containment while sends continue, people are counted once per list,
//! times that cannot be true are not measured, Markdown stays Markdown,
//! and missing evidence is never good news.

mod common;

use common::*;
use cordon::journal::{IncidentChange, Record};
use cordon::model::incident::{Note, NoteKind};
use cordon::model::{ActionKind, ActionPhase, ActionRequest, Target, Time};
use cordon::report::{self, JournalView};
use serde_json::{Value, json};

/// A journal written record by record, as a scripted platform and a
/// commander would have it written.
struct Scene {
    log: Vec<(Time, Record)>,
    actions: usize,
}

impl Scene {
    /// A session on these sources (`name=kind:url`).
    fn new(sources: &[&str]) -> Scene {
        Scene {
            log: vec![(
                at(0),
                Record::SessionStarted {
                    incident: "INC".into(),
                    operator: operator(),
                    version: "test".into(),
                    sources: sources.iter().map(|s| s.to_string()).collect(),
                },
            )],
            actions: 0,
        }
    }

    fn aca() -> Scene {
        Scene::new(&["sim=aca:http://127.0.0.1:7300"])
    }

    fn run(&mut self, secs: i64, source: &str, id: &str, state: &str) -> &mut Scene {
        self.run_with(secs, source, id, state, json!({}))
    }

    /// A run as the platform lists it, with its own counters.
    fn run_with(
        &mut self,
        secs: i64,
        source: &str,
        id: &str,
        state: &str,
        stats: Value,
    ) -> &mut Scene {
        let run = cordon::model::Run::from_wire(
            source,
            &json!({"id": id, "agent": "mailer-7", "workflow": "wf-mail",
                "agent_class": "mailer-7", "state": state, "stats": stats}),
        )
        .unwrap();
        self.log.push((at(secs), Record::Run { run }));
        self
    }

    /// An event as the platform sent it (`run_id`, `at` and `id` given).
    fn ev(&mut self, secs: i64, source: &str, v: Value) -> &mut Scene {
        let event = cordon::model::Event::from_wire_value(&v, at(secs)).unwrap();
        self.log.push((
            at(secs),
            Record::Event {
                source: source.into(),
                event,
            },
        ));
        self
    }

    /// A send to `target` at `secs` (platform time = journal time).
    fn send(&mut self, secs: i64, id: &str, run: &str, target: &str, data: Value) -> &mut Scene {
        self.ev(
            secs,
            "sim",
            json!({"id": id, "run_id": run, "at": iso(secs), "kind": "message_sent",
                "target": target, "outbound": true, "reversible": false, "data": data}),
        )
    }

    fn note(&mut self, secs: i64, kind: NoteKind, text: &str) -> &mut Scene {
        let (owner, due, item_type) = Note::parse_action_fields(text);
        self.log.push((
            at(secs),
            Record::Note {
                note: Note {
                    kind,
                    text: text.into(),
                    by: "alice@bastion-1".into(),
                    at: at(secs),
                    owner,
                    due,
                    item_type,
                    pinned: None,
                },
            },
        ));
        self
    }

    fn source_status(&mut self, secs: i64, ok: bool, message: &str) -> &mut Scene {
        self.log.push((
            at(secs),
            Record::SourceStatus {
                source: "sim".into(),
                ok,
                message: message.into(),
            },
        ));
        self
    }

    fn change(&mut self, secs: i64, change: IncidentChange) -> &mut Scene {
        self.log.push((
            at(secs),
            Record::Incident {
                change,
                by: "alice@bastion-1".into(),
                at: at(secs),
            },
        ));
        self
    }

    /// A stop of `run` pressed at `secs`, accepted, and verified by a
    /// fresh read at `verified`.
    fn stop(&mut self, secs: i64, run: &str, verified: i64) -> &mut Scene {
        self.action(
            secs,
            ActionKind::StopRun,
            run,
            verified,
            ActionPhase::Confirmed,
        )
    }

    /// An action on `run` pressed at `secs`, accepted, and settled at
    /// `settled` with `outcome`.
    fn action(
        &mut self,
        secs: i64,
        kind: ActionKind,
        run: &str,
        settled: i64,
        outcome: ActionPhase,
    ) -> &mut Scene {
        self.actions += 1;
        let id = format!("A{}-test", self.actions);
        let request = ActionRequest {
            id: id.clone(),
            source: "sim".into(),
            kind,
            target: Target {
                run_id: Some(run.into()),
                ..Target::default()
            },
            reason: "stop it".into(),
            key: format!("key-{id}"),
            actor: "alice@bastion-1".into(),
        };
        self.log.push((
            at(secs),
            Record::ActionIntent {
                request,
                operator: operator(),
                preview: None,
                at: at(secs),
                dry_run: None,
                note: None,
            },
        ));
        self.log.push((
            at(secs),
            Record::ActionResult {
                id: id.clone(),
                accepted: true,
                status: Some(200),
                answer: None,
                error: None,
                attempts: 1,
                at: at(secs),
                lost: None,
            },
        ));
        let confirmed = outcome == ActionPhase::Confirmed;
        self.log.push((
            at(settled),
            Record::ActionVerified {
                id,
                confirmed,
                detail: if confirmed {
                    format!("run {run} is stopped")
                } else {
                    format!("run {run} is still running")
                },
                at: at(settled),
                outcome: Some(outcome),
                reverted: vec![],
            },
        ));
        self
    }

    fn journal(&self) -> (JournalView, cordon::app::App) {
        let mut log = self.log.clone();
        log.sort_by_key(|(t, _)| *t);
        let j = JournalView::from_bytes(&cordon::scenes::journal_bytes(&log));
        let app = j.replay("INC", "/tmp/inc");
        (j, app)
    }

    fn draft(&self, kind: &str) -> report::Draft {
        let (j, app) = self.journal();
        report::draft(kind, &app, &j, at(1200))
    }

    fn text(&self, kind: &str) -> String {
        self.draft(kind).text
    }
}

fn iso(secs: i64) -> String {
    at(secs).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The text of one `## ` section.
fn section<'a>(md: &'a str, heading: &str) -> &'a str {
    let start = md
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading} in:\n{md}"));
    let rest = &md[start + heading.len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn a_collapsed_loop_never_swallows_what_happened_between_its_attempts() {
    let mut s = Scene::aca();
    s.run(1, "sim", "r1", "succeeded");
    // Detected before the loop: the milestone does not split it.
    s.change(1, IncidentChange::Detected { detected: at(1) });
    let mut n = 0;
    let mut attempt = |s: &mut Scene, t: i64| {
        for (kind, data) in [
            ("tool_call", json!({})),
            ("error", json!({"status": 503})),
            ("retry", json!({})),
        ] {
            n += 1;
            s.ev(
                t,
                "sim",
                json!({"id": format!("a{n:02}"), "run_id": "r1", "at": iso(t), "kind": kind,
                    "tool": "billing.api", "data": data}),
            );
        }
    };
    for t in 2..5 {
        attempt(&mut s, t);
    }
    s.ev(
        5,
        "sim",
        json!({"id": "w1", "run_id": "r1", "at": iso(5), "kind": "db_write",
            "target": "db:billing.invoices/i9", "summary": "Marked invoice i9 paid"}),
    );
    for t in 6..9 {
        attempt(&mut s, t);
    }
    let pm = s.text("postmortem");
    let tl: Vec<&str> = section(&pm, "## Timeline")
        .lines()
        .filter(|l| l.starts_with("- "))
        .collect();
    let loops: Vec<usize> = (0..tl.len())
        .filter(|&i| tl[i].contains("retried `billing.api` 3×"))
        .collect();
    let write = tl
        .iter()
        .position(|l| l.contains("Marked invoice i9 paid"))
        .unwrap_or_else(|| panic!("{tl:#?}"));
    assert_eq!(loops.len(), 2, "{tl:#?}");
    assert!(loops[0] < write && write < loops[1], "{tl:#?}");
    assert!(
        tl[loops[0]].contains("from 10:00:02 to 10:00:04"),
        "{tl:#?}"
    );
    assert!(
        tl[loops[1]].contains("from 10:00:06 to 10:00:08"),
        "{tl:#?}"
    );

    // A cycle repeated (an agent logging its instruction at each step):
    // one line for each part of it, not one per event.
    let mut s = Scene::aca();
    s.run(1, "sim", "r1", "succeeded");
    s.change(1, IncidentChange::Detected { detected: at(1) });
    for i in 0..5 {
        let t = 2 + i;
        s.ev(
            t,
            "sim",
            json!({"id": format!("i{i}"), "run_id": "r1", "at": iso(t), "kind": "instruction",
                "summary": "System: auto_send=true"}),
        );
        s.ev(
            t,
            "sim",
            json!({"id": format!("w{i}"), "run_id": "r1", "at": iso(t), "kind": "db_write",
                "target": format!("db:crm.customers/c{i}"), "reversible": false}),
        );
    }
    let pm = s.text("postmortem");
    let tl: Vec<&str> = section(&pm, "## Timeline")
        .lines()
        .filter(|l| l.starts_with("- ") && l.contains("`r1` ") && !l.contains("**"))
        .collect();
    assert_eq!(tl.len(), 2, "{tl:#?}");
    assert!(
        tl[0].contains("instruction ×5 from 10:00:02 to 10:00:06"),
        "{tl:#?}"
    );
    assert!(tl[1].contains("5 database writes to"), "{tl:#?}");
}

/// Each Markdown table's rows have as many cells as its header (a pipe
/// not escaped would add one).
fn tables_hold_their_shape(md: &str) {
    let cells = |l: &str| {
        let mut n = 0;
        let mut esc = false;
        for c in l.chars() {
            match c {
                '\\' if !esc => esc = true,
                '|' if !esc => n += 1,
                _ => esc = false,
            }
            if c != '\\' {
                esc = false;
            }
        }
        n
    };
    let mut header = None;
    for l in md.lines() {
        if l.starts_with('|') {
            let n = cells(l);
            match header {
                None => header = Some(n),
                Some(h) => assert_eq!(n, h, "row out of shape: {l}"),
            }
        } else {
            header = None;
        }
    }
}

#[test]
fn markdown_escapes_what_it_must_in_tables_and_code_spans() {
    let mut s = Scene::aca();
    s.run(1, "sim", "r1", "succeeded");
    s.ev(
        2,
        "sim",
        json!({"id": "e1", "run_id": "r1", "at": iso(2), "kind": "db_write",
            "target": "db:crm.customers/a|b", "reversible": false,
            "summary": "Saved R&amp;amp;D notes for &lt;team&gt; &amp; Q&#38;A"}),
    );
    s.change(
        3,
        IncidentChange::Repair {
            target: "db:crm.customers/a|b".into(),
            state: cordon::model::incident::Repair::Reverted,
            note: "restored from backup | checked".into(),
        },
    );
    s.note(
        4,
        NoteKind::ActionItem,
        "Split R&amp;D | ops tables @bob due:2026-12-01 type:prevent",
    );
    for kind in ["postmortem", "internal", "status"] {
        let t = s.text(kind);
        for entity in ["&amp;", "&lt;", "&gt;", "&#38;"] {
            assert!(!t.contains(entity), "{kind}: {entity} in:\n{t}");
        }
        tables_hold_their_shape(&t);
    }
    let pm = s.text("postmortem");
    assert!(pm.contains("Saved R&D notes for \\<team> & Q&A"), "{pm}");
    // In a table the pipe in the code span is escaped; in a list it is not.
    assert!(pm.contains("| `db:crm.customers/a\\|b` |"), "{pm}");
    assert!(pm.contains("restored from backup \\| checked |"), "{pm}");
    assert!(
        pm.contains("| Split R&D \\| ops tables | bob | 2026-12-01 | prevent |"),
        "{pm}"
    );
    let brief = s.text("internal");
    assert!(brief.contains("Customer record `a|b` changed"), "{brief}");
    assert!(!brief.contains("a\\|b"), "{brief}");
    tables_hold_their_shape(&report::render(
        "postmortem",
        &JournalView::from_bytes(&cordon::scenes::demo_journal())
            .replay("INC-20261124-100000", "/tmp/inc"),
        &JournalView::from_bytes(&cordon::scenes::demo_journal()),
        at(1200),
    ));
}
