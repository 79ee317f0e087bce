//! Deterministic scenes (fixed clock, seeded simulator) for screenshots:
//! the same render code the console uses, fed from the simulator's world.

use std::path::Path;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::{App, Msg};
use crate::journal::Operator;
use crate::model::{ActionAnswer, Event, Run, Time};
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
    let _ = t.draw(|f| crate::ui::draw(app, f));
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
                result: Ok(ActionAnswer {
                    affected_runs: affected,
                    ..ActionAnswer::default()
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
    Ok(written)
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
            if let crate::app::Effect::Execute(r) = fx {
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

/// A postmortem as cordon writes it for the simulated incident, drawn as
/// a screenshot (the Markdown as a reader sees it in a terminal).
pub fn postmortem_buffer(w: u16, h: u16) -> ratatui::buffer::Buffer {
    use crate::app::Effect;
    use crate::journal::{GENESIS, Record, writer::render_line};
    use ratatui::style::{Color, Modifier, Style};
    use ratatui::text::Line;
    let mut app = demo_app(&["wrong-segment", "unreviewed-write"], 0);
    app.key_seed = Some(0);
    let mut recs: Vec<Record> = vec![Record::SessionStarted {
        incident: "INC-20261124-100000".into(),
        operator: app.operator.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        sources: vec!["sim=aca:http://127.0.0.1:7300".into()],
    }];
    let names = vec!["wrong-segment".to_string(), "unreviewed-write".to_string()];
    let mut world = World::new(&names, false, 7, t0()).unwrap_or_else(|e| panic!("{e}"));
    world.advance(Duration::from_secs(14));
    let now = t0() + chrono::Duration::seconds(14);
    let batch = Batch {
        runs: world
            .runs
            .iter()
            .filter_map(|r| Run::from_wire("sim", &r.to_json()))
            .collect(),
        events: world
            .events
            .iter()
            .filter_map(|v| Event::from_wire_value(v, now))
            .collect(),
        controls: Some(world.controls.clone()),
        offered: Some(world.offered.clone()),
        credentials: vec![],
        bytes: 0,
    };
    let mut take = |fx: Vec<Effect>| {
        for f in fx {
            if let Effect::Journal(r) = f {
                recs.push(r);
            }
        }
    };
    take(app.update(Msg::Source(
        Box::new(SourceMsg::Polled {
            source: "sim".into(),
            batch,
        }),
        now,
    )));
    for line in [
        "title Refund follow-up emailed to all customers",
        "sev 1 48k customers emailed; refunds written before review",
        "role comms carol",
    ] {
        app.update(key(':'));
        for c in line.chars() {
            app.update(key(c));
        }
        take(app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE))));
    }
    let before = app.actions.len();
    contain_story(&mut app);
    let mut prev = GENESIS.to_string();
    let mut bytes = String::new();
    let intents: Vec<Record> = app.actions[before..]
        .iter()
        .map(|a| Record::ActionIntent {
            request: a.req.clone(),
            operator: app.operator.clone(),
            preview: a.preview.clone(),
            at: a.at_key,
            dry_run: a.dry_run.clone().map(Box::new),
            note: a.note.clone(),
        })
        .chain(app.actions[before..].iter().flat_map(|a| {
            vec![
                Record::ActionSent {
                    id: a.req.id.clone(),
                    at: a.sent_at.unwrap_or(a.at_key),
                },
                Record::ActionResult {
                    id: a.req.id.clone(),
                    accepted: true,
                    status: None,
                    answer: a.answer.clone(),
                    error: None,
                    attempts: 1,
                    at: a.answered_at.unwrap_or(a.at_key),
                    lost: None,
                },
                Record::ActionVerified {
                    id: a.req.id.clone(),
                    confirmed: true,
                    detail: a.detail.clone(),
                    at: a.verified_at.unwrap_or(a.at_key),
                    outcome: Some(a.phase),
                    reverted: a.reverted.clone(),
                },
            ]
        }))
        .collect();
    recs.extend(intents);
    // The poll after the stop: the run is stopped (contain_story applied it).
    for a in &app.actions[before..] {
        if let Some(i) = a
            .req
            .target
            .run_id
            .as_ref()
            .and_then(|id| app.store.run_idx("sim", id))
        {
            recs.push(Record::Run {
                run: app.store.runs[i].clone(),
            });
        }
    }
    for (i, r) in recs.into_iter().enumerate() {
        let (l, h) = render_line(i as u64, &prev, now, r);
        bytes.push_str(&l);
        prev = h;
    }
    let j = crate::report::JournalView::from_bytes(bytes.as_bytes());
    let replayed = j.replay("INC-20261124-100000", "/var/lib/cordon/INC-20261124-100000");
    let md = crate::report::postmortem::render(&replayed, &j, t0() + chrono::Duration::minutes(20));
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
