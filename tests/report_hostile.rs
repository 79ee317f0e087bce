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

    /// On the ACA source, with run `r1` (finished) listed at 10:00:01.
    fn one_run() -> Scene {
        let mut s = Scene::aca();
        s.run(1, "sim", "r1", "succeeded");
        s
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

    /// A send by `r1` to `segment:vip`.
    fn vip(&mut self, secs: i64, id: &str, data: Value) -> &mut Scene {
        self.send(secs, id, "r1", "segment:vip", data)
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

/// `text` says `part` (shown whole when it does not).
#[track_caller]
fn has(text: &str, part: &str) {
    assert!(text.contains(part), "'{part}' missing in:\n{text}");
}

/// `text` does not say `part`.
#[track_caller]
fn lacks(text: &str, part: &str) {
    assert!(!text.contains(part), "'{part}' in:\n{text}");
}

/// A run that emailed a list and then wrote a customer's record, so no
/// reassurance is supported.
fn mailer_that_also_wrote() -> Scene {
    let mut s = Scene::one_run();
    s.vip(2, "e1", json!({"recipients": 100, "segment_size": 100}));
    s.ev(
        3,
        "sim",
        json!({"id": "e2", "run_id": "r1", "at": iso(3), "kind": "db_write",
            "target": "db:crm.customers/c1", "reversible": true}),
    );
    s
}

const TOKEN: &str = "sk_live_4f9A7c2E51d04b86Zq9x";

#[test]
fn every_comms_note_is_vetted_and_what_is_left_out_is_said() {
    let mut s = mailer_that_also_wrote();
    s.note(
        10,
        NoteKind::Comms,
        &format!(
            "An automated mailer emailed a customer list by mistake. The mailer-7 agent used the key {TOKEN} to do it."
        ),
    );
    s.note(
        11,
        NoteKind::Comms,
        "We stopped it and reverted every change. Nothing changed on your account.",
    );
    s.note(
        12,
        NoteKind::Comms,
        "You may see an email from us; please ignore it.",
    );
    let d = s.draft("status");
    let warnings = d.warnings.join("\n");
    // Every note is read, the earlier ones too: their plain words reach
    // users, in the order they were written.
    assert!(
        d.text
            .contains("An automated mailer emailed a customer list by mistake."),
        "{}",
        d.text
    );
    assert!(
        d.text
            .contains("You may see an email from us; please ignore it."),
        "{}",
        d.text
    );
    // Nothing was stopped or reverted: that claim is left out, and so is
    // the reassurance; the commander is told each one.
    let lower = d.text.to_lowercase();
    for claim in ["we stopped it", "reverted every change", "nothing changed"] {
        assert!(!lower.contains(claim), "'{claim}' in:\n{}", d.text);
    }
    has(&warnings, "\"We stopped it and reverted every change.\"");
    has(&warnings, "the evidence does not show");
    has(&warnings, "Nothing changed on your account");
    // The internal name and the secret: not in the update, and the secret
    // not on the commander's screen either (not even in part).
    assert!(!lower.contains("mailer-7"), "{}", d.text);
    for part in [TOKEN, &TOKEN[8..20], "4f9A7c2E51"] {
        assert!(
            !d.text.contains(part) && !warnings.contains(part),
            "{warnings}"
        );
    }
    has(&warnings, "looks like a secret");
    has(&warnings, "mailer-7");

    // With the stop verified, the same claim is what the evidence shows.
    let mut s = mailer_that_also_wrote();
    s.run(1, "sim", "r1", "running");
    s.stop(4, "r1", 5);
    s.run(6, "sim", "r1", "cancelled");
    s.note(11, NoteKind::Comms, "We stopped it.");
    let d = s.draft("status");
    assert!(d.text.contains("We stopped it."), "{}", d.text);
}

const REASSURANCE: &str =
    "You may have received an email in error; nothing changed on your account.";

/// The reassurances a status update may carry only when the evidence
/// shows nothing but messages.
fn reassures(text: &str) -> bool {
    let l = text.to_lowercase();
    [
        "nothing changed",
        "changed nothing",
        "not seen it change",
        "no change",
    ]
    .iter()
    .any(|p| l.contains(p))
}

#[test]
fn a_change_under_any_name_blocks_the_reassurance() {
    let messages_then = |extra: Option<Value>| {
        let mut s = Scene::one_run();
        s.vip(2, "e1", json!({"recipients": 100, "segment_size": 100}));
        if let Some(v) = extra {
            s.ev(3, "sim", v);
        }
        s.note(10, NoteKind::Comms, REASSURANCE);
        s
    };
    // Messages only: the reassurance is what the evidence shows (so the
    // cases below fail for the change, not for the wording).
    let d = messages_then(None).draft("status");
    assert!(reassures(&d.text), "{}", d.text);
    for (what, extra) in [
        (
            "odd casing",
            json!({"id": "e2", "run_id": "r1", "at": iso(3), "kind": "DB_WRITE",
                "target": "db:crm.customers/c1"}),
        ),
        (
            "a kind of its own",
            json!({"id": "e2", "run_id": "r1", "at": iso(3), "kind": "record_deleted",
                "target": "db:crm.customers/c1"}),
        ),
        (
            "an unknown kind",
            json!({"id": "e2", "run_id": "r1", "at": iso(3), "kind": "quantum_leap"}),
        ),
    ] {
        let d = messages_then(Some(extra)).draft("status");
        assert!(!reassures(&d.text), "{what}:\n{}", d.text);
        assert!(
            d.warnings
                .iter()
                .any(|w| w.contains("reassures beyond the evidence")),
            "{what}: {:?}",
            d.warnings
        );
    }
    // The DB_WRITE is the customer's record changed, as a db_write is.
    let d = messages_then(Some(json!({"id": "e2", "run_id": "r1", "at": iso(3),
        "kind": "DB_WRITE", "target": "db:crm.customers/c1"})))
    .draft("status");
    assert!(
        d.text
            .contains("- They changed the account details of 1 customer."),
        "{}",
        d.text
    );

    // A platform that reports tool calls (LangGraph): the rules class a
    // `send_email` as reaching people and a `delete_customer` as a write.
    let mut s = Scene::new(&["lg=langgraph:http://127.0.0.1:2024"]);
    s.run(1, "lg", "t1", "success");
    for (i, tool) in ["send_email", "delete_customer"].iter().enumerate() {
        s.ev(
            2 + i as i64,
            "lg",
            json!({"id": format!("c{i}"), "run_id": "t1", "at": iso(2 + i as i64),
                "kind": "tool_call", "tool": tool,
                "data": {"args": {"to": "a@example.com", "customer_id": "c9"}}}),
        );
    }
    s.note(10, NoteKind::Comms, REASSURANCE);
    let d = s.draft("status");
    assert!(!reassures(&d.text), "{}", d.text);
    assert!(
        !d.text
            .contains("We have not found anyone outside our company affected"),
        "{}",
        d.text
    );
    assert!(d.text.contains("They took 2 actions"), "{}", d.text);
}

#[test]
fn a_stop_is_not_containment_while_sends_continue_after_it() {
    let mut s = Scene::aca();
    s.run(1, "sim", "r1", "running");
    s.vip(2, "e1", json!({"recipients": 100}));
    s.stop(4, "r1", 5);
    for (i, t) in [6, 7, 8].iter().enumerate() {
        s.send(
            *t,
            &format!("e{}", i + 2),
            "r1",
            "segment:vip",
            json!({"recipients": 100}),
        );
    }
    s.run(9, "sim", "r1", "cancelled");
    let st = s.text("status");
    lacks(&st, "checked that it took effect");
    has(
        &st,
        "a check at 10:00:05 UTC showed it stopped, but 3 further messages from it are recorded after that check",
    );
    lacks(
        &st,
        "Our records show that the automated process sent messages and changed nothing else",
    );
    let brief = s.text("internal");
    has(
        &brief,
        "verified at 10:00:05, but 3 changes by `r1` are recorded after it (`e2` … `e4`): not contained",
    );
    let pm = s.text("postmortem");
    has(&pm, "worked 0 of 1 times");
    lacks(&pm, "was contained by `stop_run`");
    lacks(&pm, "verified by a fresh read");
}

/// Every bullet of a document once.
fn repeated_bullets(text: &str) -> Vec<&str> {
    let mut seen = std::collections::BTreeSet::new();
    text.lines()
        .filter(|l| l.starts_with("- "))
        .filter(|l| !seen.insert(*l))
        .collect()
}

#[test]
fn no_sentence_is_said_twice() {
    let mut s = Scene::aca();
    s.run(1, "sim", "r1", "running");
    s.vip(2, "e1", json!({"recipients": 5000, "segment_size": 5000}));
    s.send(
        3,
        "e2",
        "r1",
        "segment:beta",
        json!({"recipients": 5000, "segment_size": 5000}),
    );
    s.action(4, ActionKind::StopRun, "r1", 6, ActionPhase::Unconfirmed);
    s.action(7, ActionKind::StopRun, "r1", 9, ActionPhase::Unconfirmed);
    s.note(
        10,
        NoteKind::Comms,
        "Some of you received an email in error.",
    );
    s.note(
        11,
        NoteKind::Comms,
        "Some of you received an email in error. Please ignore it.",
    );
    let st = s.text("status");
    assert_eq!(repeated_bullets(&st), Vec::<&str>::new(), "{st}");
    assert_eq!(
        st.matches("Some of you received an email in error.")
            .count(),
        1,
        "{st}"
    );
    has(&st, "another of our customer lists");
    let brief = s.text("internal");
    assert_eq!(repeated_bullets(&brief), Vec::<&str>::new(), "{brief}");
}

/// A run that sent to `segment:all` once for each `data`, a second apart.
fn sends_to_all(data: &[Value]) -> Scene {
    let mut s = Scene::one_run();
    for (i, d) in data.iter().enumerate() {
        let id = format!("e{i}");
        s.send(2 + i as i64, &id, "r1", "segment:all", d.clone());
    }
    s
}

/// The range of people a report gives for the list it names first.
fn people_in(text: &str) -> String {
    let re = regex::Regex::new(
        r"(?i)(between [\d,]+ and [\d,]+ people|[\d,]+ people|an unknown number of people|at least [\d,]+ people)",
    )
    .unwrap();
    re.find(text)
        .map(|m| m.as_str().to_lowercase())
        .unwrap_or_else(|| panic!("no count of people in:\n{text}"))
}

#[test]
fn a_list_sent_in_full_again_and_again_is_a_range() {
    // One list sent in full three times: 10,000 people at least, 30,000
    // at most (the evidence does not say they were the same people).
    let s = sends_to_all(&vec![json!({"recipients": 10000}); 3]);
    let st = s.text("status");
    let who = section(&st, "## Who is affected");
    assert_eq!(people_in(who), "between 10,000 and 30,000 people", "{st}");
    assert_eq!(people_in(section(&st, "## What happened")), people_in(who));
    let pm = s.text("postmortem");
    assert_eq!(
        people_in(section(&pm, "## Summary")),
        people_in(who),
        "{pm}"
    );
    let brief = s.text("internal");
    assert_eq!(
        people_in(section(&brief, "## Impact")),
        people_in(who),
        "{brief}"
    );
}

#[test]
fn the_demo_status_update_and_postmortem_count_the_same_people() {
    let j = JournalView::from_bytes(&cordon::scenes::demo_journal());
    let app = j.replay("INC-20261124-100000", "/tmp/inc");
    let st = report::render("status", &app, &j, at(1200));
    let pm = report::render("postmortem", &app, &j, at(1200));
    let brief = report::render("internal", &app, &j, at(1200));
    let list = people_in(section(&st, "## Who is affected"));
    assert!(list.starts_with("between"), "{st}");
    assert_eq!(people_in(section(&st, "## What happened")), list);
    assert!(
        brief.contains(&format!("`segment:all-customers`: {list}")),
        "{list}:\n{brief}"
    );
    has(&pm, &format!("`segment:all-customers`: {list}"));
}

#[test]
fn a_list_is_one_list_however_it_is_spelled() {
    let mut s = Scene::one_run();
    for (i, t) in [
        "segment:All-Customers",
        " segment:all-customers ",
        "segment:all-customers",
    ]
    .iter()
    .enumerate()
    {
        s.send(
            2 + i as i64,
            &format!("e{i}"),
            "r1",
            t,
            json!({"recipients": 500, "segment_size": 500}),
        );
    }
    let st = s.text("status");
    lacks(&st, "another of our customer lists");
    assert_eq!(
        people_in(section(&st, "## Who is affected")),
        "500 people",
        "{st}"
    );
    let brief = s.text("internal");
    has(&brief, "People reached, each list counted once: 500.");
}

#[test]
fn a_count_not_given_is_unknown_never_zero() {
    let s = sends_to_all(&[json!({})]);
    let st = s.text("status");
    assert_eq!(
        people_in(section(&st, "## Who is affected")),
        "an unknown number of people",
        "{st}"
    );
    let zero = regex::Regex::new(r"\b0 people|\bup to 0\b").unwrap();
    for kind in ["status", "internal", "postmortem"] {
        let t = s.text(kind);
        assert!(!zero.is_match(&t), "{kind}:\n{t}");
    }
    assert!(s.text("internal").contains("unknown"));
}

#[test]
fn a_count_no_list_can_hold_is_not_a_count() {
    let s = sends_to_all(&vec![json!({"recipients": u64::MAX}); 2]);
    for kind in ["status", "internal", "postmortem"] {
        let t = s.text(kind);
        assert!(!t.contains("18,446,744"), "{kind}:\n{t}");
    }
    let st = s.text("status");
    assert_eq!(
        people_in(section(&st, "## Who is affected")),
        "an unknown number of people",
        "{st}"
    );
    assert!(s.text("internal").contains("cannot be right"));
}

#[test]
fn a_list_said_to_be_smaller_than_a_send_to_it_is_the_larger() {
    let s = sends_to_all(&[json!({"recipients": 5000, "segment_size": 3000})]);
    let st = s.text("status");
    assert_eq!(
        people_in(section(&st, "## Who is affected")),
        "5,000 people",
        "{st}"
    );
    has(&st, "our records disagree on the size of the list");
    let brief = s.text("internal");
    has(
        &brief,
        "the list's stated size (3,000) is smaller than one send to it (5,000)",
    );
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
fn times_that_cannot_be_true_are_not_measured() {
    let mut s = Scene::one_run();
    // The platform's clock: one send dated 2099, one at the epoch, the
    // rest on time. The commander set detection before the first harm.
    s.ev(
        4,
        "sim",
        json!({"id": "e1", "run_id": "r1", "at": "2099-01-01T00:00:00Z", "kind": "message_sent",
            "target": "segment:vip", "outbound": true, "data": {"recipients": 10}}),
    );
    s.ev(
        5,
        "sim",
        json!({"id": "e2", "run_id": "r1", "at": "1970-01-01T00:00:00Z", "kind": "message_sent",
            "target": "segment:vip", "outbound": true, "data": {"recipients": 10}}),
    );
    s.vip(6, "e3", json!({"recipients": 10}));
    s.vip(8, "e4", json!({"recipients": 10}));
    s.change(20, IncidentChange::Detected { detected: at(3) });
    let negative = regex::Regex::new(r"-\d+(\.\d)? (s|min|h)\b").unwrap();
    for kind in ["status", "internal", "postmortem"] {
        let t = s.text(kind);
        assert!(!negative.is_match(&t), "{kind}: a negative duration:\n{t}");
        assert!(!t.contains("2099") || kind != "status", "{t}");
        assert!(!t.contains("1970") || kind != "status", "{t}");
    }
    let pm = s.text("postmortem");
    let metrics = section(&pm, "## Metrics");
    has(metrics, "Time to detect: not measured");
    has(metrics, "not credible");
    assert!(
        metrics.contains("`e1`") && metrics.contains("`e2`"),
        "{metrics}"
    );
    has(metrics, "left out of these figures");
    // The first harm is the first credible one.
    has(
        &pm,
        "**First harm**: `r1` message_sent to `segment:vip` (`e3`)",
    );
    let st = s.text("status");
    assert!(
        st.contains("between 10:00 and 10:00 UTC") || st.contains("at 10:00 UTC"),
        "{st}"
    );
    let brief = s.text("internal");
    has(&brief, "Time to detect: not measured");
}

#[test]
fn a_collapsed_loop_never_swallows_what_happened_between_its_attempts() {
    let mut s = Scene::one_run();
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
    let mut s = Scene::one_run();
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
    let mut s = Scene::one_run();
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
    has(&pm, "Saved R&D notes for \\<team> & Q&A");
    // In a table the pipe in the code span is escaped; in a list it is not.
    has(&pm, "| `db:crm.customers/a\\|b` |");
    has(&pm, "restored from backup \\| checked |");
    has(
        &pm,
        "| Split R&D \\| ops tables | bob | 2026-12-01 | prevent |",
    );
    let brief = s.text("internal");
    has(&brief, "Customer record `a|b` changed");
    lacks(&brief, "a\\|b");
    tables_hold_their_shape(&report::render(
        "postmortem",
        &JournalView::from_bytes(&cordon::scenes::demo_journal())
            .replay("INC-20261124-100000", "/tmp/inc"),
        &JournalView::from_bytes(&cordon::scenes::demo_journal()),
        at(1200),
    ));
}

#[test]
fn missing_evidence_is_unknown_not_good_news() {
    // A run its platform says made 3 external actions, none of them
    // delivered, and the platform unreachable since.
    let mut s = Scene::aca();
    s.run_with(
        1,
        "sim",
        "r1",
        "running",
        json!({"tool_calls": 12, "errors": 5, "external_actions": 3}),
    );
    s.source_status(5, false, "connection refused");
    let st = s.text("status");
    for good_news in [
        "We have not seen it change anything",
        "We have not found anyone outside our company affected",
        "You do not need to do anything",
        "We are still reviewing our records for anything we have missed",
    ] {
        assert!(!st.contains(good_news), "'{good_news}' in:\n{st}");
    }
    has(&st, "We do not know yet");
    has(&st, "could not be reached");
    let brief = s.text("internal");
    lacks(
        &brief,
        "No change to the world by the implicated runs was seen.",
    );
    has(&brief, "the evidence is incomplete");
    has(
        &brief,
        "`r1`: the platform counts 3 external actions; 0 are in the journal",
    );
    has(&brief, "`sim` unreachable since 10:00:05");
    let pm = s.text("postmortem");
    lacks(
        &pm,
        "No change to the world by an implicated run was observed.",
    );
    has(&pm, "the evidence is incomplete");
}

#[test]
fn an_update_says_when_its_records_end() {
    // Records up to 10:00:45; written at 10:20.
    let mut s = mailer_that_also_wrote();
    s.run(45, "sim", "r1", "running");
    let st = s.text("status");
    assert!(
        st.starts_with(
            "# Update: An issue with one of our automated processes\n\n_Posted 2026-11-24 10:20 UTC, from our records as of 10:00:45 UTC_"
        ),
        "{st}"
    );
    has(
        &st,
        "1 of them was still running at 10:00:45 UTC, the time of our latest records",
    );
    let brief = s.text("internal");
    has(
        &brief,
        "_As of 2026-11-24 10:00:45 UTC (the journal's last record; written 2026-11-24 10:20:00 UTC)",
    );
}

/// The live demo, a second in (issue 17, item 10): runs are running and
/// nothing harmful is in the journal yet. That is no finding.
#[test]
fn nothing_found_while_runs_still_run_is_not_a_finding() {
    let mut s = Scene::aca();
    s.run(1, "sim", "r1", "running");
    s.ev(
        2,
        "sim",
        json!({"id": "e1", "run_id": "r1", "at": iso(2), "kind": "model_output",
            "summary": "Drafting the follow-up"}),
    );
    let st = s.text("status");
    for good_news in [
        "We have not seen it change anything",
        "So far we have found no change",
        "no one outside our company affected",
        "You do not need to do anything",
    ] {
        assert!(!st.contains(good_news), "'{good_news}' in:\n{st}");
    }
    has(
        &st,
        "We do not know yet what it did: our automated processes were still running at 10:00:02 UTC, the time of our latest records.",
    );
    // Every run ended, the record whole: then "so far nothing" is what the
    // journal shows.
    s.run(3, "sim", "r1", "succeeded");
    let st = s.text("status");
    has(&st, "So far we have found no change it made");
}
