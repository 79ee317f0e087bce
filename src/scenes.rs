//! Deterministic scenes (fixed clock, seeded simulator) for screenshots:
//! the same render code the console uses, fed from the simulator's world.

use std::path::Path;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::{App, Msg};
use crate::journal::Operator;
use crate::model::{Event, Run, Time};
use crate::sim::World;
use crate::source::{Batch, SourceMsg};

pub fn t0() -> Time {
    chrono::DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default()
}

/// An app that has watched `secs` seconds of the simulator.
pub fn demo_app(scenarios: &[&str], secs: u64) -> App {
    let names: Vec<String> = scenarios.iter().map(|s| s.to_string()).collect();
    let mut w = World::new(&names, true, 7, t0()).unwrap_or_else(|e| panic!("scene world: {e}"));
    w.advance(Duration::from_secs(secs));
    let now = t0() + chrono::Duration::seconds(secs as i64);
    let operator = Operator {
        user: "alice".into(),
        host: "bastion-1".into(),
        ssh_client: None,
    };
    let mut app = App::new(
        now,
        "INC-20261124-100000",
        "/var/lib/cordon/INC-20261124-100000",
        operator,
    );
    app.add_source("sim", "aca", "http://127.0.0.1:7300");
    let batch = Batch {
        runs: w
            .runs
            .iter()
            .filter_map(|r| Run::from_wire("sim", &r.to_json()))
            .collect(),
        events: w
            .events
            .iter()
            .filter_map(|v| Event::from_wire_value(v, now))
            .collect(),
        controls: Some(w.controls.clone()),
        offered: Some(w.offered.clone()),
        credentials: vec![],
        bytes: 0,
        linked: Vec::new(),
    };
    app.update(Msg::Source(
        Box::new(SourceMsg::Polled {
            source: "sim".into(),
            batch,
        }),
        now,
    ));
    app
}

pub fn render(app: &mut App, w: u16, h: u16) -> ratatui::buffer::Buffer {
    app.update(Msg::Resize(w, h));
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
    let _ = t.draw(|f| crate::ui::draw(app, &crate::ui::Theme::default(), f));
    t.backend().buffer().clone()
}

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// Write every screenshot into `dir`; returns the files written.
pub fn write_screenshots(dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut save = |name: &str, buf: ratatui::buffer::Buffer| -> std::io::Result<()> {
        std::fs::write(dir.join(name), crate::ui::svg::render(&buf))?;
        written.push(name.to_string());
        Ok(())
    };
    let mut app = demo_app(&["all"], 30);
    save("main-160x48.svg", render(&mut app, 160, 48))?;
    save("main-80x24.svg", render(&mut app, 80, 24))?;
    let mut app = demo_app(&["wrong-segment"], 12);
    app.update(key('v'));
    save("run-timeline-160x48.svg", render(&mut app, 160, 48))?;
    let mut app = demo_app(&["all"], 30);
    app.update(key('?'));
    save("help-100x30.svg", render(&mut app, 100, 30))?;
    // The confirm dialog for stopping the wrong-segment run, with the
    // platform's blast radius as the simulator answers it.
    let mut app = demo_app(&["all"], 30);
    if let Some(p) = app.runs.rows.iter().position(|&r| {
        app.store.runs[r].workflow == "refund-followups" && app.store.runs[r].state.is_active()
    }) {
        app.runs.sel = p;
    }
    app.update(key('x'));
    if let crate::app::Mode::Confirm(c) = &app.mode {
        let proposal = c.proposal;
        let affected = c
            .targets
            .iter()
            .filter_map(|(_, t)| t.run_id.clone())
            .collect();
        app.update(Msg::Action(
            crate::contain::ActionMsg::Preview {
                proposal,
                result: Ok(crate::model::ActionAnswer {
                    affected_runs: affected,
                    ..crate::model::ActionAnswer::default()
                }),
            },
            t0() + chrono::Duration::seconds(30),
        ));
    }
    save("confirm-stop-160x48.svg", render(&mut app, 160, 48))?;
    // The Containment pane after a stop and an outbound block, confirmed.
    let mut app = demo_app(&["all"], 30);
    contain_story(&mut app);
    app.update(key('4'));
    save("containment-160x48.svg", render(&mut app, 160, 48))?;
    // Triage after a minute of the full incident, severity accepted.
    let mut app = demo_app(&["all"], 60);
    contain_story(&mut app);
    app.update(key('3'));
    app.update(key('A'));
    app.triage_sel = 10;
    save("triage-160x48.svg", render(&mut app, 160, 48))?;
    save("postmortem-120x80.svg", postmortem_buffer(120, 80))?;
    let mut app = export_preview_app("status");
    save("status-preview-160x48.svg", render(&mut app, 160, 48))?;
    let mut app = restart_app();
    save("staged-restart-160x48.svg", render(&mut app, 160, 48))?;
    Ok(written)
}

/// After the contain story: the outbound block lifted for its canary scope
/// (confirmed), its watch window running, 40 s in.
pub fn restart_app() -> App {
    use crate::contain::ActionMsg;
    let mut app = demo_app(&["all"], 30);
    contain_story(&mut app);
    app.update(key('4'));
    app.contain_sel = 0;
    app.update(key('R'));
    app.update(Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
    let mut id = None;
    for fx in app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE))) {
        if let crate::app::Effect::Execute(r, _) = fx {
            id = Some(r.id);
        }
    }
    let base = app.now;
    if let Some(id) = id {
        app.update(Msg::Action(
            ActionMsg::Verified {
                id,
                outcome: crate::model::ActionPhase::Confirmed,
                detail: "outbound unblocked for support-drafter".into(),
                reverted: vec![],
            },
            base + chrono::Duration::seconds(1),
        ));
        app.store
            .controls
            .insert("sim".into(), crate::model::Controls::default());
    }
    app.update(Msg::Tick(base + chrono::Duration::seconds(41)));
    app
}

/// Stop the wrong-segment run and block outbound for its class, with the
/// executor's reports as the simulator would give them.
fn contain_story(app: &mut App) {
    use crate::contain::ActionMsg;
    use crate::model::ActionAnswer;
    let base = app.now;
    let at = |ms: i64| base + chrono::Duration::milliseconds(ms);
    let mut ids = Vec::new();
    for k in ['x', 'b'] {
        if let Some(p) = app.runs.rows.iter().position(|&r| {
            app.store.runs[r].workflow == "refund-followups" && app.store.runs[r].state.is_active()
        }) {
            app.runs.sel = p;
        }
        app.update(key(k));
        app.update(Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
        for fx in app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE))) {
            if let crate::app::Effect::Execute(r, _) = fx {
                ids.push((r.id, r.kind));
            }
        }
    }
    for (n, (id, kind)) in ids.into_iter().enumerate() {
        let o = n as i64 * 10;
        app.update(Msg::Action(ActionMsg::Sent { id: id.clone() }, at(o + 1)));
        let answer = ActionAnswer {
            action_id: format!("act_{n}"),
            kind: kind.as_str().into(),
            state: "applied".into(),
            affected_runs: vec![],
            message: "applied".into(),
            ..ActionAnswer::default()
        };
        app.update(Msg::Action(
            ActionMsg::Answered {
                id: id.clone(),
                result: Ok(answer),
                attempts: 1,
                lost: None,
            },
            at(o + 3),
        ));
        let detail = if kind == crate::model::ActionKind::StopRun {
            "run is stopped".to_string()
        } else {
            "outbound blocked for support-drafter".into()
        };
        app.update(Msg::Action(
            ActionMsg::Verified {
                id,
                outcome: crate::model::ActionPhase::Confirmed,
                detail,
                reverted: vec![],
            },
            at(o + 240),
        ));
    }
    let mut c = crate::model::Controls::default();
    c.outbound_blocked.push("support-drafter".into());
    app.store.controls.insert("sim".into(), c);
    // The poll after the stop shows the run stopped.
    let stopped: Vec<crate::model::Run> = app
        .actions
        .iter()
        .filter_map(|a| a.req.target.run_id.as_ref())
        .filter_map(|id| app.store.run_idx("sim", id))
        .map(|i| crate::model::Run {
            state: crate::model::RunState::Stopped,
            ..app.store.runs[i].clone()
        })
        .collect();
    for run in stopped {
        app.apply(&crate::journal::Record::Run { run });
    }
    app.refresh();
}

/// The demo incident (`cordon demo`: every scenario, background runs) as
/// a commander works it, journaled with a fixed clock. The simulator is
/// driven through its own action API, so the evidence after containment
/// (a stopped run, reverted writes, blocked sends, a retry loop going on)
/// is what the platform really does:
///
/// - 10:00:14 first poll; title, roles, severity accepted, detection set;
/// - 10:00:16 stop the wrong-segment run; 10:00:17 roll back the broad
///   edits while they run; 10:00:18 roll back the stale-context run, which
///   had already ended (its one write is still undone); 10:00:19 block
///   outbound for the support drafters;
/// - notes (a decision, a hypothesis, an action item, a comms note that
///   reassures too much), a poll at 10:00:40;
/// - 10:00:41 a status update exported, marked sent at 10:00:45.
pub fn demo_journal() -> Vec<u8> {
    use crate::journal::Record;
    let names = vec!["all".to_string()];
    let mut w = World::new(&names, true, 7, t0()).unwrap_or_else(|e| panic!("{e}"));
    let operator = Operator {
        user: "alice".into(),
        host: "bastion-1".into(),
        ssh_client: None,
    };
    let mut app = App::new(
        t0(),
        "INC-20261124-100000",
        "/var/lib/cordon/INC-20261124-100000",
        operator.clone(),
    );
    app.add_source("sim", "aca", "http://127.0.0.1:7300");
    app.key_seed = Some(0);
    let mut log: Vec<(Time, Record)> = Vec::new();
    let started = Record::SessionStarted {
        incident: "INC-20261124-100000".into(),
        operator,
        version: "demo".into(),
        sources: vec!["sim=aca:http://127.0.0.1:7300".into()],
    };
    app.apply(&started);
    log.push((t0(), started));
    let mut story = Story {
        app,
        log: &mut log,
        world: &mut w,
    };
    story.poll(14);
    for line in [
        "title Refund follow-up emailed to all customers",
        "role commander alice",
        "role comms carol",
        "detected 10:00:09",
    ] {
        story.palette(line);
    }
    story.app.update(key('3'));
    let fx = story.app.update(key('A'));
    story.take(fx);
    story.act(16, 'x', "support-drafter-2");
    story.act(17, 'X', "code-editor-1");
    story.act(18, 'X', "triage-agent-4");
    story.act(19, 'b', "support-drafter-2");
    story.note(
        20,
        1,
        "Hold all refund follow-ups until segment ids are exact",
    );
    story.note(
        20,
        2,
        "The segment lookup fuzzy-matched 'cohort' to all-customers",
    );
    story.note(
        20,
        3,
        "Make the segment lookup require an exact id @bob due:2026-12-01 type:prevent",
    );
    story.note(
        21,
        4,
        "You may have received a refund email in error; nothing changed on your account. You can ignore it.",
    );
    story.poll(40);
    story.at(41);
    let j = story.journal_view();
    let replayed = j.replay("INC-20261124-100000", "/var/lib/cordon/INC-20261124-100000");
    let d = crate::report::draft("status", &replayed, &j, story.app.now);
    let fx = story.app.update(Msg::Exported(
        Ok(vec![crate::report::Written {
            kind: "status".into(),
            path: "/var/lib/cordon/INC-20261124-100000/status-update.md".into(),
            sha256: crate::journal::hash(d.text.as_bytes()),
            promised: d.promised,
        }]),
        None,
        story.app.now,
    ));
    story.take(fx);
    story.palette_at(45, "sent status");
    journal_bytes(&log)
}

/// A journal of these records, each line written at its time, chained.
pub fn journal_bytes(records: &[(Time, crate::journal::Record)]) -> Vec<u8> {
    use crate::journal::{GENESIS, writer::render_line};
    let mut prev = GENESIS.to_string();
    let mut bytes = String::new();
    for (i, (at, r)) in records.iter().enumerate() {
        let (l, h) = render_line(i as u64, &prev, *at, r.clone());
        bytes.push_str(&l);
        prev = h;
    }
    bytes.into_bytes()
}

/// The demo incident being played: the console, the simulator and the
/// journal lines so far (each with the time it was written).
struct Story<'a> {
    app: App,
    log: &'a mut Vec<(Time, Record)>,
    world: &'a mut World,
}

use crate::journal::Record;

impl Story<'_> {
    fn at(&mut self, secs: i64) {
        let t = t0() + chrono::Duration::seconds(secs);
        if t > self.world.now {
            self.world
                .advance((t - self.world.now).to_std().unwrap_or_default());
        }
        self.app.update(Msg::Tick(t));
    }

    fn take(&mut self, fx: Vec<crate::app::Effect>) {
        for f in fx {
            match f {
                crate::app::Effect::Journal(r) => self.log.push((self.app.now, r)),
                crate::app::Effect::Execute(req, _) => self.execute(req),
                _ => {}
            }
        }
    }

    fn poll(&mut self, secs: i64) {
        self.at(secs);
        let now = self.app.now;
        let batch = Batch {
            runs: self
                .world
                .runs
                .iter()
                .filter_map(|r| Run::from_wire("sim", &r.to_json()))
                .collect(),
            events: self
                .world
                .events
                .iter()
                .filter_map(|v| Event::from_wire_value(v, now))
                .collect(),
            controls: Some(self.world.controls.clone()),
            offered: Some(self.world.offered.clone()),
            credentials: vec![],
            bytes: 0,
            linked: Vec::new(),
        };
        let fx = self.app.update(Msg::Source(
            Box::new(SourceMsg::Polled {
                source: "sim".into(),
                batch,
            }),
            now,
        ));
        self.take(fx);
    }

    fn palette(&mut self, line: &str) {
        self.app.update(key(':'));
        for c in line.chars() {
            self.app.update(key(c));
        }
        let fx = self
            .app
            .update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        self.take(fx);
    }

    fn palette_at(&mut self, secs: i64, line: &str) {
        self.at(secs);
        self.palette(line);
    }

    /// Select the agent's run and press `k`, confirm; the simulator acts.
    fn act(&mut self, secs: i64, k: char, agent: &str) {
        self.poll(secs);
        self.app.update(key('1'));
        if self.app.runs.active_only {
            self.app.update(key('a'));
        }
        if let Some(p) = self
            .app
            .runs
            .rows
            .iter()
            .position(|&r| self.app.store.runs[r].agent == agent)
        {
            self.app.runs.sel = p;
        }
        self.app.update(key(k));
        self.app
            .update(Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
        let fx = self
            .app
            .update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        self.take(fx);
    }

    /// What the executor does: send, read the answer, re-read the effect
    /// (the ACA adapter's wording), at 30 ms, 120 ms and 400 ms.
    fn execute(&mut self, req: crate::model::ActionRequest) {
        use crate::contain::ActionMsg;
        let base = self.app.now;
        let t = |ms: i64| base + chrono::Duration::milliseconds(ms);
        let fx = self
            .app
            .update(Msg::Action(ActionMsg::Sent { id: req.id.clone() }, t(30)));
        self.take_at(fx, t(30));
        let body = serde_json::json!({"kind": req.kind.as_str(), "target": req.target,
            "reason": req.reason, "actor": req.actor});
        let result = self
            .world
            .act(&body, Some(&req.key), false)
            .map_err(|e| (Some(400), format!("{e:?}")));
        let answer = result.as_ref().ok().cloned();
        let fx = self.app.update(Msg::Action(
            ActionMsg::Answered {
                id: req.id.clone(),
                result,
                attempts: 1,
                lost: None,
            },
            t(120),
        ));
        self.take_at(fx, t(120));
        let (outcome, detail, reverted) = self.reread(&req, answer.as_ref());
        let fx = self.app.update(Msg::Action(
            ActionMsg::Verified {
                id: req.id,
                outcome,
                detail,
                reverted,
            },
            t(400),
        ));
        self.take_at(fx, t(400));
    }

    /// The re-read the ACA adapter makes, on the world itself, read with
    /// the same strict checks ([`crate::source::check_run_stopped`] …).
    fn reread(
        &self,
        req: &crate::model::ActionRequest,
        answer: Option<&crate::model::ActionAnswer>,
    ) -> (crate::model::ActionPhase, String, Vec<String>) {
        use crate::model::{ActionKind::*, ActionPhase};
        use crate::source::{Check, RollbackRecord, check_rolled_back, check_run_stopped};
        let id = req.target.run_id.clone().unwrap_or_default();
        let seen = self.world.run(&id).map(|r| {
            let v = r.to_json();
            let rb = v
                .get("rollback")
                .and_then(|r| serde_json::from_value::<RollbackRecord>(r.clone()).ok());
            (Run::from_wire("sim", &v), rb)
        });
        let check = match req.kind {
            StopRun | TerminateRun => check_run_stopped(
                &id,
                seen.as_ref()
                    .and_then(|(r, _)| r.as_ref())
                    .map(|r| (r.id.as_str(), &r.state, r.state.as_str())),
                answer,
            ),
            RollbackRun => check_rolled_back(
                &id,
                seen.as_ref()
                    .and_then(|(r, rb)| r.as_ref().map(|r| (r.id.as_str(), &r.state, rb.as_ref()))),
                answer,
                &crate::source::Prior::default(),
            ),
            other => {
                assert_eq!(
                    other, BlockOutbound,
                    "the demo journal reads back what it does"
                );
                let class = req.target.agent_class.clone().unwrap_or_else(|| "*".into());
                if self.world.controls.outbound_blocked.contains(&class) {
                    Check::Confirmed(format!("outbound blocked for {class}"))
                } else {
                    Check::NotYet(format!("{class} not in outbound_blocked"))
                }
            }
        };
        match check {
            Check::Confirmed(d) => (ActionPhase::Confirmed, d, vec![]),
            Check::Reverted { detail, reverted } => (ActionPhase::Confirmed, detail, reverted),
            Check::Partial { detail, reverted } => (ActionPhase::Partial, detail, reverted),
            Check::AlreadyEnded(d) => (ActionPhase::AlreadyEnded, d, vec![]),
            Check::NothingToDo(d) => (ActionPhase::NothingToDo, d, vec![]),
            Check::NotYet(d) => (ActionPhase::Unconfirmed, d, vec![]),
        }
    }

    fn take_at(&mut self, fx: Vec<crate::app::Effect>, at: Time) {
        for f in fx {
            if let crate::app::Effect::Journal(r) = f {
                self.log.push((at, r));
            }
        }
    }

    /// A note of the `kind_steps`-th type after "note" (Ctrl-T cycles).
    fn note(&mut self, secs: i64, kind_steps: usize, text: &str) {
        self.at(secs);
        self.app.update(key('5'));
        self.app.update(key('i'));
        let ctrl = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
        while self.app.note_kind != crate::model::incident::NoteKind::Note {
            self.app.update(ctrl('t'));
        }
        for _ in 0..kind_steps {
            self.app.update(ctrl('t'));
        }
        for c in text.chars() {
            self.app.update(key(c));
        }
        let fx = self.app.update(ctrl('s'));
        self.take(fx);
        self.app
            .update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    }

    fn journal_view(&self) -> crate::report::JournalView {
        crate::report::JournalView::from_bytes(&journal_bytes(self.log))
    }
}

/// The console on the demo incident (as its journal replays) with the
/// export preview open on `kind`, rendered at 10:20.
pub fn export_preview_app(kind: &str) -> App {
    let j = crate::report::JournalView::from_bytes(&demo_journal());
    let mut app = j.replay("INC-20261124-100000", "/var/lib/cordon/INC-20261124-100000");
    app.add_source("sim", "aca", "http://127.0.0.1:7300");
    let now = t0() + chrono::Duration::minutes(20);
    app.update(Msg::Tick(now));
    app.update(key(':'));
    for c in format!("export {kind}").chars() {
        app.update(key(c));
    }
    let fx = app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    for f in fx {
        if let crate::app::Effect::Render { kind, request } = f {
            let d = crate::report::draft(&kind, &app, &j, now);
            app.update(Msg::Rendered {
                request,
                result: Ok(Box::new(d)),
            });
        }
    }
    app
}

/// A postmortem as cordon writes it for the demo incident, drawn as a
/// screenshot (the Markdown as a reader sees it in a terminal).
pub fn postmortem_buffer(w: u16, h: u16) -> ratatui::buffer::Buffer {
    use ratatui::style::{Color, Modifier, Style};
    use ratatui::text::Line;
    let j = crate::report::JournalView::from_bytes(&demo_journal());
    let replayed = j.replay("INC-20261124-100000", "/var/lib/cordon/INC-20261124-100000");
    let md = crate::report::render(
        "postmortem",
        &replayed,
        &j,
        t0() + chrono::Duration::minutes(20),
    );
    let lines: Vec<Line> = md
        .lines()
        .map(|l| {
            let style = if l.starts_with('#') {
                Style::default()
                    .fg(Color::Cyan)
                    .add_modifier(Modifier::BOLD)
            } else if l.starts_with('|') {
                Style::default().fg(Color::Gray)
            } else if l.starts_with('_') {
                Style::default().fg(Color::DarkGray)
            } else {
                Style::default()
            };
            Line::styled(l.to_string(), style)
        })
        .collect();
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
    let _ = t.draw(|f| {
        f.render_widget(
            ratatui::widgets::Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
            f.area(),
        )
    });
    t.backend().buffer().clone()
}
