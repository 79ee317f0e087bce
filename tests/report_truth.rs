//! What the exports may claim: the user update names no internal
//! identifier and never reassures beyond the evidence; people are counted
//! once per list; time to detect and to contain rest on the events they
//! cite; the timeline keeps every containment milestone however long the
//! incident; Markdown is text, ids are code, times run forward.

mod common;

use common::*;
use cordon::app::{App, Effect, Msg};
use cordon::contain::ActionMsg;
use cordon::journal::Record;
use cordon::model::{ActionAnswer, EventKind};
use cordon::report::{self, JournalView};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use regex::Regex;

/// An incident played on the simulator, every record journaled at the
/// console's clock.
struct Play {
    app: App,
    world: cordon::sim::World,
    log: Vec<(cordon::model::Time, Record)>,
    /// Events already delivered (the feed's cursor).
    cursor: usize,
}

impl Play {
    fn new(scenarios: &[&str]) -> Play {
        let mut app = app(at(0));
        app.key_seed = Some(0);
        let started = Record::SessionStarted {
            incident: "INC-20261124-100000".into(),
            operator: operator(),
            version: "test".into(),
            sources: vec!["sim=aca:http://127.0.0.1:7300".into()],
        };
        app.apply(&started);
        Play {
            app,
            world: world(scenarios, false, 0),
            log: vec![(at(0), started)],
            cursor: 0,
        }
    }

    fn take(&mut self, fx: Vec<Effect>) -> Vec<Effect> {
        let mut rest = Vec::new();
        for f in fx {
            match f {
                Effect::Journal(r) => self.log.push((self.app.now, r)),
                o => rest.push(o),
            }
        }
        rest
    }

    fn poll(&mut self, secs: i64) {
        let t = at(secs);
        if t > self.world.now {
            self.world.advance((t - self.world.now).to_std().unwrap());
        }
        // Like an adapter with a cursor: only what is new.
        let batch = cordon::source::Batch {
            runs: self
                .world
                .runs
                .iter()
                .filter_map(|r| cordon::model::Run::from_wire("sim", &r.to_json()))
                .collect(),
            events: self.world.events[self.cursor..]
                .iter()
                .filter_map(|v| cordon::model::Event::from_wire_value(v, t0()))
                .collect(),
            controls: Some(self.world.controls.clone()),
            offered: Some(cordon::model::ActionKind::ALL.to_vec()),
            credentials: vec![],
            bytes: 0,
            linked: Vec::new(),
        };
        self.cursor = self.world.events.len();
        let fx = self.app.update(polled("sim", batch, t));
        self.take(fx);
    }

    fn palette(&mut self, line: &str) -> Vec<Effect> {
        self.app.update(ch(':'));
        keys(&mut self.app, line);
        let fx = self.app.update(key(KeyCode::Enter));
        self.take(fx)
    }

    /// A palette action, confirmed, applied by the simulator, verified.
    fn act(&mut self, line: &str) {
        self.palette(line);
        self.app.update(key(KeyCode::Tab));
        let fx = self.app.update(key(KeyCode::Enter));
        for f in self.take(fx) {
            if let Effect::Execute(req, _) = f {
                let body = serde_json::json!({"kind": req.kind.as_str(), "target": req.target,
                    "reason": req.reason, "actor": req.actor});
                let answer = self.world.act(&body, Some(&req.key), false).unwrap();
                let now = self.app.now;
                let fx = self.app.update(Msg::Action(
                    ActionMsg::Answered {
                        id: req.id.clone(),
                        result: Ok(answer),
                        attempts: 1,
                        lost: None,
                    },
                    now,
                ));
                self.take(fx);
                let fx = self.app.update(Msg::Action(
                    ActionMsg::Verified {
                        id: req.id,
                        outcome: cordon::model::ActionPhase::Confirmed,
                        detail: "effect seen".into(),
                        reverted: vec![],
                    },
                    now,
                ));
                self.take(fx);
            }
        }
    }

    /// A note of the `kind_steps`-th type after "note" (Ctrl-T cycles).
    fn note(&mut self, kind_steps: usize, text: &str) {
        self.app.update(ch('5'));
        self.app.update(ch('i'));
        let ctrl_t = Msg::Key(KeyEvent::new(KeyCode::Char('t'), KeyModifiers::CONTROL));
        while self.app.note_kind != cordon::model::incident::NoteKind::Note {
            self.app.update(ctrl_t.clone());
        }
        for _ in 0..kind_steps {
            self.app.update(Msg::Key(KeyEvent::new(
                KeyCode::Char('t'),
                KeyModifiers::CONTROL,
            )));
        }
        keys(&mut self.app, text);
        let fx = self.app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::CONTROL,
        )));
        self.take(fx);
        self.app.update(key(KeyCode::Esc));
    }

    fn journal(&self) -> (JournalView, App) {
        let j = JournalView::from_bytes(&cordon::scenes::journal_bytes(&self.log));
        let app = j.replay("INC-20261124-100000", "/tmp/inc");
        (j, app)
    }

    fn export(&self, kind: &str) -> report::Draft {
        let (j, app) = self.journal();
        report::draft(kind, &app, &j, at(20 * 60))
    }
}

/// Identifier shapes no customer should see, and every name the
/// platform used (run, agent, class, workflow, tool, credential, target,
/// event), wherever they appear.
fn identifiers_in(text: &str, app: &App) -> Vec<String> {
    let shapes = Regex::new(concat!(
        r"\b(run|evt|cred|cust|act)_[A-Za-z0-9]+",
        r"|\b[a-z]+:[A-Za-z0-9_./-]+",
        r"|[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+",
        r"|\b[a-z]+\.(send|read|write|update|api|db|push|search|md|toml|yml|rs|sql)\b",
    ))
    .unwrap();
    let mut found: Vec<String> = shapes
        .find_iter(text)
        .map(|m| m.as_str().to_string())
        .collect();
    let low = text.to_lowercase();
    let mut names: Vec<String> = Vec::new();
    for r in app.store.runs.iter().filter(|r| r.source != "cordon") {
        names.extend(
            [
                &r.id,
                &r.agent,
                &r.agent_class,
                &r.workflow,
                &r.requested_by,
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        names.extend(r.tools.iter().chain(&r.credentials).map(|s| s.to_string()));
    }
    for s in app.store.events.iter() {
        names.extend(s.event.target.iter().map(|t| t.to_string()));
        names.extend(s.event.tool.iter().map(|t| t.to_string()));
    }
    names.sort();
    names.dedup();
    for n in names {
        // Plain words ("research") are no identifier; coined names are.
        if n.len() >= 3 && n.chars().any(|c| !c.is_alphabetic()) {
            let n = n.to_lowercase();
            let word = Regex::new(&format!(
                r"(^|[^a-z0-9_]){}($|[^a-z0-9_])",
                regex::escape(&n)
            ))
            .unwrap();
            if word.is_match(&low) {
                found.push(n);
            }
        }
    }
    found
}

#[test]
fn the_user_update_names_no_internal_identifier() {
    // The demo incident, as the golden has it.
    let j = JournalView::from_bytes(&cordon::scenes::demo_journal());
    let app = j.replay("INC-20261124-100000", "/tmp/inc");
    let st = report::render("status", &app, &j, at(1200));
    assert_eq!(identifiers_in(&st, &app), Vec::<String>::new(), "{st}");
    // The internal brief is where the ids go.
    let brief = report::render("internal", &app, &j, at(1200));
    assert!(!identifiers_in(&brief, &app).is_empty());

    // A commander's notes and title full of internals: those parts are
    // left out, and the preview says why.
    let mut p = Play::new(&["wrong-segment", "broad-edits"]);
    p.poll(20);
    p.palette("title run_e509 emailed segment:all-customers");
    p.palette("sev 2 customers emailed");
    p.note(
        4,
        "The support-drafter agent used email.send on the wrong list. We stopped it.",
    );
    p.note(
        4,
        "You may see an email from us; see .github/workflows/deploy.yml. Please ignore it.",
    );
    let d = p.export("status");
    let (_, app) = p.journal();
    assert_eq!(
        identifiers_in(&d.text, &app),
        Vec::<String>::new(),
        "{}",
        d.text
    );
    // Nothing was stopped: "We stopped it." is a claim the evidence does
    // not support, and is left out too (the note's plain words are kept).
    assert!(!d.text.contains("We stopped it."), "{}", d.text);
    assert!(d.text.contains("Please ignore it."), "{}", d.text);
    assert!(
        d.text
            .starts_with("# Update: An issue with one of our automated processes")
    );
    let warnings = d.warnings.join("\n");
    for left_out in [
        "support-drafter",
        "deploy.yml",
        "title",
        "\"We stopped it.\" — it claims what the evidence does not show",
    ] {
        assert!(warnings.contains(left_out), "{warnings}");
    }
}

const REASSURANCE: &str = "You may have received a refund email in error; nothing changed on your account. You can ignore it.";

#[test]
fn no_reassurance_when_irreversible_changes_were_journaled() {
    // Refunds approved without review (irreversible) and the wrong email.
    let mut p = Play::new(&["wrong-segment", "unreviewed-write"]);
    p.poll(15);
    p.palette("sev 1 refunds and emails");
    p.note(4, REASSURANCE);
    let d = p.export("status");
    let lower = d.text.to_lowercase();
    for phrase in [
        "nothing changed",
        "changed nothing",
        "no change",
        "not affected",
    ] {
        assert!(!lower.contains(phrase), "'{phrase}' in:\n{}", d.text);
    }
    assert!(
        d.text
            .contains("You may have received a refund email in error. You can ignore it.")
    );
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("reassures beyond the evidence"))
    );
    // What the evidence does say, instead.
    assert!(
        d.text.contains(
            "They approved 37 refunds totalling $41,280 before our review of them was complete"
        ),
        "{}",
        d.text
    );
    assert!(
        d.text
            .contains("Once paid, they cannot be undone from our side.")
    );

    // Only messages, every sending run finished: the reassurance is what
    // the evidence shows, and the commander's own is kept.
    let mut p = Play::new(&["wrong-segment"]);
    p.poll(150);
    p.palette("sev 2 emails");
    p.note(4, REASSURANCE);
    let d = p.export("status");
    assert!(
        d.text.contains("nothing changed on your account"),
        "{}",
        d.text
    );
    assert!(d.text.contains(
        "Our records show that the automated process sent messages and changed nothing else."
    ));
}

#[test]
fn recipients_are_counted_once_per_list() {
    // Three runs emailed the same 48,112-member segment in batches that
    // add up to far more.
    let mut p = Play::new(&["wrong-segment"]);
    p.poll(150);
    let (j, app) = p.journal();
    let sent: u64 = app
        .store
        .events
        .iter()
        .filter(|s| s.event.kind == EventKind::MessageSent)
        .map(|s| s.event.data.get_u64("recipients").unwrap_or(0))
        .sum();
    assert!(sent > 48_112, "the batches add up to {sent}");
    let st = report::render("status", &app, &j, at(1200));
    assert!(
        st.contains("to between 2,000 and 48,112 people on one of our customer lists"),
        "{st}"
    );
    // At least the most one send reached (the batches may repeat people),
    // at most the list.
    assert!(st.contains("- Between 2,000 and 48,112 people on one of our customer lists, who received the email. Some may have received it more than once."), "{st}");
    assert!(
        !st.contains(&md_num(sent)) || st.contains("adding up to"),
        "{st}"
    );
    let brief = report::render("internal", &app, &j, at(1200));
    assert!(
        brief.contains(
            "`segment:all-customers`: between 2,000 and 48,112 people (the list holds 48,112"
        ),
        "{brief}"
    );
    assert!(
        brief.contains(&format!("{} recipients in 46 sends by", md_num(sent))),
        "{brief}"
    );

    // Without a list size: between the most one run sent and the sum; one
    // person messaged twice is one person.
    let mut a = app_at_zero();
    let ev = |id: &str, run: &str, target: &str, n: u64| {
        serde_json::json!({"id": id, "run_id": run, "at": "2026-11-24T10:00:05Z",
            "kind": "message_sent", "target": target, "outbound": true, "reversible": false,
            "data": {"recipients": n}})
    };
    let events = vec![
        ev("e1", "r1", "list:beta-testers", 300),
        ev("e2", "r2", "list:beta-testers", 500),
        ev("e3", "r1", "email:cust_1", 1),
        ev("e4", "r2", "email:cust_1", 1),
    ];
    let (j, app) = journal_of(&mut a, &["r1", "r2"], events);
    let st = report::render("status", &app, &j, at(1200));
    assert!(
        st.contains("- Between 500 and 800 people on one of our customer lists"),
        "{st}"
    );
    assert!(
        st.contains("- 1 customer who received a message from the process."),
        "{st}"
    );
    let brief = report::render("internal", &app, &j, at(1200));
    assert!(
        brief.contains("People reached, each list counted once: between 500 and 801."),
        "{brief}"
    );
}

fn md_num(n: u64) -> String {
    report::md::num(n)
}

fn app_at_zero() -> App {
    let mut a = app(at(0));
    a.apply(&Record::SessionStarted {
        incident: "INC".into(),
        operator: operator(),
        version: "test".into(),
        sources: vec![],
    });
    a
}

/// Runs and events straight from wire JSON, journaled at 10:00:10.
fn journal_of(a: &mut App, runs: &[&str], events: Vec<serde_json::Value>) -> (JournalView, App) {
    let batch = cordon::source::Batch {
        runs: runs
            .iter()
            .filter_map(|id| {
                cordon::model::Run::from_wire(
                    "sim",
                    &serde_json::json!({"id": id, "agent": "mailer", "workflow": "wf",
                        "agent_class": "mailer", "state": "succeeded"}),
                )
            })
            .collect(),
        events: events
            .iter()
            .filter_map(|v| cordon::model::Event::from_wire_value(v, at(10)))
            .collect(),
        controls: None,
        offered: None,
        credentials: vec![],
        bytes: 0,
        linked: Vec::new(),
    };
    let (recs, _) = split(a.update(polled("sim", batch, at(10))));
    let started = Record::SessionStarted {
        incident: "INC".into(),
        operator: operator(),
        version: "test".into(),
        sources: vec![],
    };
    let log: Vec<_> = std::iter::once((at(0), started))
        .chain(recs.into_iter().map(|r| (at(10), r)))
        .collect();
    let j = JournalView::from_bytes(&cordon::scenes::journal_bytes(&log));
    let app = j.replay("INC", "/tmp/inc");
    (j, app)
}

/// Parse "10:00:02" on the incident's day.
fn clock(s: &str) -> cordon::model::Time {
    let t = chrono::NaiveTime::parse_from_str(s, "%H:%M:%S").unwrap();
    t0().date_naive().and_time(t).and_utc()
}

#[test]
fn time_to_detect_and_contain_come_from_the_cited_events() {
    let j = JournalView::from_bytes(&cordon::scenes::demo_journal());
    let app = j.replay("INC-20261124-100000", "/tmp/inc");
    let pm = report::render("postmortem", &app, &j, at(1200));
    let ttd = Regex::new(r"\*\*Time to detect: ([\d.]+) s\*\* — first harm `(evt_\d+)` at (\S+) → detected at (\S+) \(set by alice@bastion-1\)").unwrap();
    let c = ttd.captures(&pm).unwrap_or_else(|| panic!("{pm}"));
    let tri = app.triage();
    let harm: Vec<&cordon::model::Event> = tri
        .implicated
        .iter()
        .flat_map(|&r| app.store.events_of_run(r).iter())
        .map(|&i| &app.store.events[i as usize].event)
        .filter(|e| e.kind.is_world_change())
        .collect();
    let first = harm.iter().min_by_key(|e| e.at).unwrap();
    let last = harm.iter().max_by_key(|e| e.at).unwrap();
    // The cited event is the first harm, and the figure is its distance
    // from the detection the commander set (10:00:09).
    assert_eq!(&c[2], first.id.as_str());
    assert_eq!(clock(&c[3]), first.at.with_nanosecond(0).unwrap());
    assert_eq!(clock(&c[4]), at(9));
    assert_eq!(&c[1], tenths(at(9) - first.at));
    let ttc = Regex::new(r"\*\*Time to contain: ([\d.]+) s\*\* — detected at (\S+) → last harmful event `(evt_\d+)` at (\S+); its run `(run_\w+)` was contained by `rollback_run`").unwrap();
    let c = ttc.captures(&pm).unwrap_or_else(|| panic!("{pm}"));
    assert_eq!(&c[3], last.id.as_str());
    assert_eq!(&c[1], tenths(last.at - at(9)));
    assert_eq!(&c[5], last.run_id.as_str());
    // Harm after detection cites the first and last of those events.
    let after: Vec<_> = {
        let mut v: Vec<_> = harm.iter().filter(|e| e.at > at(9)).collect();
        v.sort_by_key(|e| (e.at, e.id.clone()));
        v
    };
    assert!(
        pm.contains(&format!(
            "- Harm after detection: {} changes, 4,000 recipients (`{}` … `{}`).",
            after.len(),
            after[0].id,
            after[after.len() - 1].id
        )),
        "{pm}"
    );
}

use chrono::Timelike;

/// Seconds with one decimal, as the reports write a duration under 10 s.
fn tenths(d: chrono::TimeDelta) -> String {
    format!("{:.1}", d.num_milliseconds() as f64 / 1000.0)
}

#[test]
fn detection_is_the_first_evidence_or_alert_never_the_console_start() {
    // The console opened at 10:00:00; the first harm came in with the poll
    // journaled at 10:00:14.
    let mut p = Play::new(&["wrong-segment"]);
    p.poll(14);
    p.palette("sev 1 emails");
    let pm = p.export("postmortem").text;
    assert!(
        pm.contains("→ detected at 10:00:14 (first evidence of harm journaled by cordon, `"),
        "{pm}"
    );
    assert!(!pm.contains("detected at 10:00:00"));
    assert!(pm.contains("- 10:00:14 **Declared** at SEV1"), "{pm}");
    // A platform's alert comes first when there is one.
    let mut a = app_at_zero();
    let events = vec![
        serde_json::json!({"id": "e1", "run_id": "r1", "at": "2026-11-24T10:00:03Z",
            "kind": "message_sent", "target": "list:x", "outbound": true, "data": {"recipients": 5}}),
        serde_json::json!({"id": "e2", "run_id": "r1", "at": "2026-11-24T10:00:06Z",
            "kind": "alert", "summary": "send rate above threshold"}),
    ];
    let (j, app) = journal_of(&mut a, &["r1"], events);
    let pm = report::render("postmortem", &app, &j, at(1200));
    assert!(pm.contains("**Time to detect: 3.0 s** — first harm `e1` at 10:00:03 → detected at 10:00:06 (the first alert, `e2`)"), "{pm}");
    assert!(pm.contains("**Time to contain: 0 s** — the last harmful event `e1` at 10:00:03 came before detection at 10:00:06"), "{pm}");
}

#[test]
fn the_timeline_keeps_every_containment_milestone_however_long_the_incident() {
    // Three billing runs retrying for an hour, and a commander holding and
    // releasing their queue every 90 seconds meanwhile.
    let mut p = Play::new(&["retry-loop"]);
    let mut actions = 0;
    for i in 0..40 {
        p.poll(60 + i * 90);
        p.act(if i % 2 == 0 {
            "hold invoice-sync"
        } else {
            "release invoice-sync"
        });
        actions += 1;
    }
    p.poll(3700);
    let (j, app) = p.journal();
    assert!(app.store.events.len() > 5_000, "{}", app.store.events.len());
    let pm = report::render("postmortem", &app, &j, at(4000));
    let timeline = section(&pm, "## Timeline");
    let lines: Vec<&str> = timeline.lines().filter(|l| l.starts_with("- ")).collect();
    let containments = lines
        .iter()
        .filter(|l| l.contains("**Containment**"))
        .count();
    assert_eq!(containments, actions, "every action is in the timeline");
    for a in &app.actions {
        let t = a.at_key.format("%H:%M:%S").to_string();
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("- {t} **Containment**"))),
            "{t} missing"
        );
    }
    // Repeats are collapsed, between the milestones.
    assert!(lines.len() < 600, "{} lines", lines.len());
    assert!(lines.iter().any(|l| {
        Regex::new(r"retried `billing.api` \d+× from \S+ to \S+, all 503")
            .unwrap()
            .is_match(l)
    }));
    // And says where the whole record is.
    assert!(timeline.contains("the full record is in `evidence.json`"));
}

/// The text of one `## ` section.
fn section<'a>(md: &'a str, heading: &str) -> &'a str {
    let start = md.find(heading).unwrap();
    let rest = &md[start + heading.len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn markdown_is_text_ids_are_code_and_time_runs_forward() {
    let j = JournalView::from_bytes(&cordon::scenes::demo_journal());
    let app = j.replay("INC-20261124-100000", "/tmp/inc");
    let spans = Regex::new(r"`[^`]*`").unwrap();
    let ids = Regex::new(r"\b(evt_\d+|run_[0-9a-f]{4})\b").unwrap();
    for kind in ["postmortem", "internal"] {
        let text = report::render(kind, &app, &j, at(1200));
        assert!(!text.contains("&gt;") && !text.contains("&lt;") && !text.contains("&amp;"));
        // Evidence text quoted as text: the SQL's ">" stays ">".
        if kind == "postmortem" {
            assert!(
                text.contains("`billing.db` SELECT disputed orders > $500"),
                "{text}"
            );
        }
        let outside = spans.replace_all(&text, "");
        let loose: Vec<&str> = ids.find_iter(&outside).map(|m| m.as_str()).collect();
        assert!(
            loose.is_empty(),
            "{kind}: ids outside code spans: {loose:?}"
        );
    }
    let pm = report::render("postmortem", &app, &j, at(1200));
    let times: Vec<&str> = section(&pm, "## Timeline")
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .map(|l| &l[..8])
        .collect();
    assert!(times.len() > 20);
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "timeline out of order: {times:?}"
    );
    let hist: Vec<&str> = section(&pm, "### Severity and status history")
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .map(|l| &l[..23])
        .collect();
    assert!(hist.windows(2).all(|w| w[0] <= w[1]), "{hist:?}");
    // Milestones of the whole story are there, in order.
    let order = [
        "**First harm**",
        "**Detected**",
        "**First evidence seen**",
        "**Declared** at SEV1",
        "**Containment** `stop_run`",
        "**Containment** `rollback_run` on run",
        "**Containment** `block_outbound`",
        "**Communication**: status update for affected users exported",
        "**Communication sent**",
    ];
    let tl = section(&pm, "## Timeline");
    let mut at_ = 0;
    for m in order {
        at_ += tl[at_..]
            .find(m)
            .unwrap_or_else(|| panic!("{m} missing or out of order"));
    }
}

#[test]
fn a_rollback_is_claimed_for_what_it_undid_not_as_a_stop() {
    let j = JournalView::from_bytes(&cordon::scenes::demo_journal());
    let app = j.replay("INC-20261124-100000", "/tmp/inc");
    let st = report::render("status", &app, &j, at(1200));
    let done = section(&st, "## What we have done");
    // Stop, two rollbacks (each with the writes its re-read showed
    // reverted), block: four verified actions.
    assert_eq!(
        done.lines().filter(|l| l.starts_with("- ")).count(),
        4,
        "{done}"
    );
    assert!(
        done.contains("undid 9 changes to our own software made by"),
        "{done}"
    );
    // run_fd30 had ended before its rollback: its write was undone, but
    // it was not "stopped" by it.
    assert!(
        done.contains("undid 1 change to a customer's account details made by"),
        "{done}"
    );
    assert_eq!(
        done.matches("we stopped").count(),
        1,
        "only the stop: {done}"
    );
    // What the rollbacks reverted is said once, with them.
    assert!(!done.contains("We reversed"), "{done}");
}

#[test]
fn a_report_waits_for_no_unverified_action() {
    // An action accepted but never confirmed is not "done" for users.
    let mut p = Play::new(&["wrong-segment"]);
    p.poll(10);
    p.palette("sev 1 emails");
    p.palette("stop run_e509");
    p.app.update(key(KeyCode::Tab));
    let fx = p.app.update(key(KeyCode::Enter));
    let rest = p.take(fx);
    let id = rest
        .iter()
        .find_map(|f| match f {
            Effect::Execute(r, _) => Some(r.id.clone()),
            _ => None,
        })
        .unwrap();
    let now = p.app.now;
    let fx = p.app.update(Msg::Action(
        ActionMsg::Answered {
            id: id.clone(),
            result: Ok(ActionAnswer {
                action_id: "act_1".into(),
                kind: "stop_run".into(),
                state: "applied".into(),
                affected_runs: vec![],
                message: "ok".into(),
                ..ActionAnswer::default()
            }),
            attempts: 1,
            lost: None,
        },
        now,
    ));
    p.take(fx);
    let fx = p.app.update(Msg::Action(
        ActionMsg::Verified {
            id,
            outcome: cordon::model::ActionPhase::Unconfirmed,
            detail: "run run_e509 is still running".into(),
            reverted: vec![],
        },
        now + chrono::Duration::seconds(20),
    ));
    p.take(fx);
    let d = p.export("status");
    assert!(!d.text.contains("we stopped"), "{}", d.text);
    assert!(
        d.text
            .contains("we have not yet confirmed that it has stopped"),
        "{}",
        d.text
    );
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("1 containment action is not verified"))
    );
    let brief = p.export("internal").text;
    assert!(brief.contains("- Did `stop_run` on run `run_e509` take effect? NOT confirmed: run `run_e509` is still running"), "{brief}");
}

/// A run that emails 300 customers one by one, rewrites 300 customer
/// records before its review is decided, and logs its `auto_send=true`
/// instruction at every step: the reports count them, cite the first and
/// last, and stay a page long.
#[test]
fn long_lists_are_counted_not_listed() {
    let mut a = app_at_zero();
    let mut events = vec![serde_json::json!({"id": "rq", "run_id": "r1",
        "at": "2026-11-24T10:00:01Z", "kind": "review_requested", "summary": "review please"})];
    for i in 0..300 {
        let at = format!("2026-11-24T10:00:{:02}.{:03}Z", 2 + i / 100, i % 100 * 10);
        events.push(
            serde_json::json!({"id": format!("i{i}"), "run_id": "r1", "at": at,
            "kind": "instruction", "summary": "System: auto_send=true"}),
        );
        events.push(
            serde_json::json!({"id": format!("w{i}"), "run_id": "r1", "at": at,
            "kind": "db_write", "target": format!("db:crm.customers/cust_{i}"),
            "reversible": true, "data": {"overwrote": "newer"}}),
        );
        events.push(
            serde_json::json!({"id": format!("m{i}"), "run_id": "r1", "at": at,
            "kind": "message_sent", "target": format!("email:cust_{i}"), "outbound": true,
            "reversible": false, "data": {"recipients": 1}}),
        );
    }
    let (j, app) = journal_of(&mut a, &["r1"], events);
    let brief = report::render("internal", &app, &j, at(1200));
    assert!(
        brief.contains(
            "- 300 people messaged one by one, in 300 sends (`email:cust_0` … `email:cust_99`)"
        ),
        "{brief}"
    );
    assert!(
        brief.contains(
            "- 300 customer records changed (300 of them over newer data); the first 5 below"
        ),
        "{brief}"
    );
    assert!(
        brief.contains("- … and 595 more writes before their review was decided"),
        "{brief}"
    );
    assert!(
        brief.lines().count() < 80,
        "{} lines",
        brief.lines().count()
    );
    let pm = report::render("postmortem", &app, &j, at(1200));
    assert_eq!(pm.matches("**An instruction overrode review**").count(), 1);
    assert!(pm.contains("| … and 560 more targets"), "{pm}");
    assert!(pm.lines().count() < 250, "{} lines", pm.lines().count());
    let st = report::render("status", &app, &j, at(1200));
    assert!(
        st.contains(
            "- They changed the account details of 300 customers, overwriting more recent details."
        ),
        "{st}"
    );
    assert!(st.contains("- 300 customers whose account details were changed; 300 of them also received a message from the process."), "{st}");
}
