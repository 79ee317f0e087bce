//! Replay: a recorded journal, paused at time T, shows the screen the live
//! console showed at T.

mod common;

use std::time::Duration;

use common::*;
use cordon::app::{Effect, Msg};
use cordon::contain::ActionMsg;
use cordon::journal::{Entry, GENESIS, Record, read::read_bytes, writer::render_line};
use cordon::model::{ActionAnswer, Time};
use cordon::replay::Replay;
use ratatui::crossterm::event::KeyCode;

/// Everything but the status line (where the replay badge lives).
fn body(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[..lines.len() - 1].join("\n")
}

struct Live {
    bytes: String,
    prev: String,
    seq: u64,
}

impl Live {
    fn journal(&mut self, fx: Vec<Effect>, ts: Time) -> Vec<Effect> {
        let mut rest = Vec::new();
        for f in fx {
            match f {
                Effect::Journal(r) => {
                    let (line, h) = render_line(self.seq, &self.prev, ts, r);
                    self.bytes.push_str(&line);
                    self.prev = h;
                    self.seq += 1;
                }
                o => rest.push(o),
            }
        }
        rest
    }
}

#[test]
fn replay_paused_at_t_shows_the_live_screen_at_t() {
    let mut live = Live {
        bytes: String::new(),
        prev: GENESIS.into(),
        seq: 0,
    };
    let mut a = app(at(0));
    a.key_seed = Some(0);
    let started = Record::SessionStarted {
        incident: "INC-20261124-100000".into(),
        operator: operator(),
        version: "t".into(),
        sources: vec!["sim=aca:http://127.0.0.1:7300".into()],
    };
    a.apply(&started);
    live.journal(vec![Effect::Journal(started)], at(0));
    let mut w = world(&["wrong-segment", "retry-loop"], false, 0);
    let mut shots: Vec<(Time, String)> = Vec::new();
    for s in 1..=40 {
        let t = at(s);
        w.advance(Duration::from_secs(1));
        let fx = a.update(polled("sim", batch_of(&w, "sim"), t));
        live.journal(fx, t);
        if s == 15 {
            // The commander stops the drafter; the platform confirms.
            a.update(Msg::Tick(t));
            a.runs.sel = a
                .runs
                .rows
                .iter()
                .position(|&r| a.store.runs[r].agent == "support-drafter-2")
                .unwrap();
            a.update(ch('x'));
            a.update(key(KeyCode::Tab));
            let rest = live.journal(a.update(key(KeyCode::Enter)), t);
            let Some(Effect::Execute(req, _)) = rest.into_iter().next() else {
                panic!()
            };
            let ans = ActionAnswer {
                action_id: "act_1".into(),
                kind: "stop_run".into(),
                state: "applied".into(),
                affected_runs: vec![],
                message: "ok".into(),
                ..ActionAnswer::default()
            };
            for m in [
                ActionMsg::Sent { id: req.id.clone() },
                ActionMsg::Answered {
                    id: req.id.clone(),
                    result: Ok(ans),
                    attempts: 1,
                    lost: None,
                },
                ActionMsg::Verified {
                    id: req.id.clone(),
                    outcome: cordon::model::ActionPhase::Confirmed,
                    detail: "run is stopped".into(),
                    reverted: vec![],
                },
            ] {
                let fx = a.update(Msg::Action(m, t));
                live.journal(fx, t);
            }
            a.runs.sel = 0;
        }
        if s == 22 {
            a.update(ch(':'));
            keys(&mut a, "sev 2 wrong segment emailed");
            live.journal(a.update(key(KeyCode::Enter)), t);
        }
        if [10, 15, 30, 40].contains(&s) {
            a.update(Msg::Tick(t));
            shots.push((t, screen(&mut a, 160, 48)));
        }
    }
    let entries: Vec<Entry> = read_bytes(live.bytes.as_bytes()).entries;
    let (mut rp, mut r) = Replay::new(entries, "INC-20261124-100000", "/tmp/inc", 4.0);
    // Forward through the shots, then back to the first (a seek).
    for (t, live_screen) in shots.iter().chain(shots.first()) {
        rp.advance_to(&mut r, *t);
        r.runs.sel = 0;
        r.replay_badge = Some(rp.badge());
        let replayed = screen(&mut r, 160, 48);
        assert_eq!(body(&replayed), body(live_screen), "screen at {t}");
        assert!(replayed.lines().last().unwrap().contains("REPLAY"));
    }
    insta::assert_snapshot!("replay_at_t30", {
        rp.advance_to(&mut r, at(30));
        r.replay_badge = Some(rp.badge());
        screen(&mut r, 160, 48)
    });
}

#[test]
fn step_and_next_action() {
    let mut live = Live {
        bytes: String::new(),
        prev: GENESIS.into(),
        seq: 0,
    };
    let mut a = app(at(0));
    let w = world(&["retry-loop"], false, 10);
    live.journal(a.update(polled("sim", batch_of(&w, "sim"), at(10))), at(10));
    a.update(ch('x'));
    a.update(key(KeyCode::Tab));
    live.journal(a.update(key(KeyCode::Enter)), at(12));
    let entries = read_bytes(live.bytes.as_bytes()).entries;
    let n = entries.len();
    let (mut rp, mut r) = Replay::new(entries, "INC", "/tmp", 1.0);
    rp.step(&mut r);
    assert_eq!(
        rp.pos,
        n - 1,
        "one step applies everything journaled at that instant"
    );
    assert!(r.actions.is_empty());
    assert!(rp.next_action(&mut r));
    assert_eq!(r.actions.len(), 1);
    assert!(rp.done());
    assert!(!rp.next_action(&mut r));
}

#[test]
fn jump_to_prompt_asks_replay_to_move_the_clock() {
    let mut a = app(at(0));
    a.mode = cordon::app::Mode::Prompt(cordon::app::Prompt {
        purpose: cordon::app::PromptFor::JumpTo,
        label: "jump".into(),
        text: String::new(),
    });
    keys(&mut a, "10:00:42");
    let fx = a.update(key(KeyCode::Enter));
    assert_eq!(fx, vec![Effect::JumpTo(at(42))]);
}
