//! Every action kind against the simulator over loopback, through the real
//! app + executor: confirmed, the world really changed, and the journal
//! holds intent → sent → result → verification under one idempotency key.

mod common;

use std::time::Duration;

use common::*;
use cordon::app::{App, Mode, Msg};
use cordon::contain::ActionMsg;
use cordon::journal::{Journal, Record};
use cordon::model::{ActionKind, ActionPhase, Target, Time};
use cordon::runtime::Executor;
use cordon::sim::{self, World};
use cordon::source::{Source, SourceSpec, aca::Aca, http};
use ratatui::crossterm::event::KeyCode;
use serde_json::Value;
use tokio::sync::mpsc;

struct Harness {
    app: App,
    exec: Executor,
    rx: mpsc::UnboundedReceiver<(ActionMsg, Time)>,
    src: Aca,
    sim: sim::Sim,
    journal: Option<Journal>,
    _dir: tempfile::TempDir,
}

impl Harness {
    async fn new(scenarios: &[&str], warmup: u64) -> Harness {
        let names: Vec<String> = scenarios.iter().map(|s| s.to_string()).collect();
        let mut world = World::new(&names, false, 7, chrono::Utc::now()).unwrap();
        world.advance(Duration::from_secs(warmup));
        // A live clock, so pending effects (a pause) settle as on a platform.
        let sim = sim::start_with("127.0.0.1:0".parse().unwrap(), world, 1.0)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("inc")).unwrap();
        let spec: SourceSpec = format!("sim=aca:{}", sim.url()).parse().unwrap();
        let (exec, rx) = executor(spec, &journal, Duration::from_secs(10));
        let src = Aca::new("sim", &sim.url(), http::client());
        let mut h = Harness {
            app: app(chrono::Utc::now()),
            exec,
            rx,
            src,
            sim,
            journal: Some(journal),
            _dir: dir,
        };
        h.poll().await;
        h
    }

    async fn poll(&mut self) {
        let b = self.src.poll().await.unwrap();
        let now = chrono::Utc::now();
        for fx in self.app.update(polled("sim", b, now)) {
            self.exec.run(fx);
        }
        self.exec.flush();
    }

    fn feed(&mut self, m: Msg) {
        for fx in self.app.update(m) {
            self.exec.run(fx);
        }
        self.exec.flush();
    }

    /// Propose and wait for the dry run to fill the dialog.
    async fn dialog(&mut self, kind: ActionKind, target: Target) {
        let mut fx = Vec::new();
        self.app
            .propose(kind, vec![("sim".into(), target)], &mut fx);
        assert!(
            matches!(self.app.mode, Mode::Confirm(_)),
            "{:?}",
            self.app.flash
        );
        for f in fx {
            self.exec.run(f);
        }
        let (m, at) = self.rx.recv().await.unwrap();
        assert!(matches!(m, ActionMsg::Preview { .. }), "{m:?}");
        self.feed(Msg::Action(m, at));
    }

    /// Propose, wait for the dry run, confirm; return the action ids.
    async fn act(&mut self, kind: ActionKind, target: Target) -> Vec<String> {
        self.dialog(kind, target).await;
        self.feed(key(KeyCode::Tab));
        if let Mode::Confirm(c) = &self.app.mode
            && c.needs_typing()
        {
            self.feed(key(KeyCode::BackTab));
            self.feed(key(KeyCode::BackTab));
            keys(&mut self.app, "yes");
            self.feed(key(KeyCode::Enter));
        }
        let before = self.app.actions.len();
        self.feed(Msg::Tick(chrono::Utc::now()));
        self.feed(key(KeyCode::Enter));
        assert_eq!(self.app.mode, Mode::Normal);
        self.app.actions[before..]
            .iter()
            .map(|a| a.req.id.clone())
            .collect()
    }

    /// Feed executor reports until every action is final.
    async fn settle(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while self.app.actions.iter().any(|a| !a.phase.is_final()) {
            let (m, at) = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .expect("actions settle")
                .unwrap();
            self.feed(Msg::Action(m, at));
        }
    }

    fn phase(&self, id: &str) -> ActionPhase {
        self.app.actions[self.app.action_index[id]].phase
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.sim.world.lock().unwrap()
    }

    /// Close the journal and return its records.
    fn records(&mut self) -> Vec<Record> {
        let dir = self._dir.path().join("inc");
        self.journal.take().unwrap().close();
        let mut j = Journal::open(&dir).unwrap();
        std::mem::take(&mut j.entries)
            .into_iter()
            .map(|e| e.record)
            .collect()
    }

    /// Every action of the test is journaled end to end under its key.
    fn check_journal(&mut self) {
        let arrivals: Vec<String> = self
            .world()
            .arrivals
            .iter()
            .map(|(k, _)| k.clone())
            .collect();
        let ids: Vec<String> = self.app.actions.iter().map(|a| a.req.id.clone()).collect();
        let recs = self.records();
        for id in ids {
            assert_journaled(&recs, &id, &arrivals);
        }
    }

    fn run_of(&self, workflow: &str) -> String {
        self.world()
            .runs
            .iter()
            .find(|r| r.plan.workflow == workflow && r.state == "running")
            .unwrap()
            .id
            .clone()
    }
}

/// The executor the console runs, on `spec`, journaling into `journal`.
fn executor(
    spec: SourceSpec,
    journal: &Journal,
    verify: Duration,
) -> (Executor, mpsc::UnboundedReceiver<(ActionMsg, Time)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let (ctx, _crx) = mpsc::unbounded_channel();
    let mut exec = Executor::new(
        &[spec],
        http::client(),
        journal.handle.clone(),
        vec![],
        tx,
        ctx,
    )
    .unwrap();
    exec.policy.verify_timeout = verify;
    (exec, rx)
}

/// Release any world lock held by the test body, then check the journal.
fn drop_and_check(mut h: Harness) {
    h.check_journal();
}

fn events_of(w: &World, run: &str) -> usize {
    w.events.iter().filter(|e| e["run_id"] == run).count()
}

fn new_events(w: &World, from: usize) -> &[Value] {
    &w.events[from..]
}

/// The journal holds intent → sent → result → verified for `id`, and the
/// platform saw exactly that idempotency key for it.
fn assert_journaled(records: &[Record], id: &str, arrivals: &[String]) {
    let key = records
        .iter()
        .find_map(|r| match r {
            Record::ActionIntent { request, .. } if request.id == id => Some(request.key.clone()),
            _ => None,
        })
        .expect("intent journaled");
    let pos = |f: &dyn Fn(&Record) -> bool| records.iter().position(f).expect("record present");
    let intent = pos(&|r| matches!(r, Record::ActionIntent { request, .. } if request.id == id));
    let sent = pos(&|r| matches!(r, Record::ActionSent { id: i, .. } if i == id));
    let result =
        pos(&|r| matches!(r, Record::ActionResult { id: i, accepted: true, .. } if i == id));
    let verified =
        pos(&|r| matches!(r, Record::ActionVerified { id: i, confirmed: true, .. } if i == id));
    assert!(
        intent < sent && sent < result && result < verified,
        "order {intent} {sent} {result} {verified}"
    );
    assert!(
        arrivals.contains(&key),
        "the platform saw the journaled key"
    );
}

#[tokio::test]
async fn stop_run_is_confirmed_and_the_run_goes_silent() {
    let mut h = Harness::new(&["retry-loop"], 5).await;
    let run = h.run_of("invoice-sync");
    let ids = h
        .act(
            ActionKind::StopRun,
            Target {
                run_id: Some(run.clone()),
                ..Target::default()
            },
        )
        .await;
    h.settle().await;
    assert_eq!(h.phase(&ids[0]), ActionPhase::Confirmed);
    let n = events_of(&h.world(), &run);
    h.world().advance(Duration::from_secs(30));
    assert_eq!(
        events_of(&h.world(), &run),
        n,
        "no new events from a stopped run"
    );
    h.check_journal();
}

#[tokio::test]
async fn rollback_run_is_confirmed_and_reverts() {
    let mut h = Harness::new(&["broad-edits"], 8).await;
    let run = h.run_of("docs-refresh");
    let ids = h
        .act(
            ActionKind::RollbackRun,
            Target {
                run_id: Some(run.clone()),
                ..Target::default()
            },
        )
        .await;
    h.settle().await;
    assert_eq!(h.phase(&ids[0]), ActionPhase::Confirmed);
    let w = h.world();
    // ACA/1.1: stopped, and the run's record lists every reverted write.
    let r = w.run(&run).unwrap();
    assert_eq!(r.state, "stopped");
    let record = r.to_json()["rollback"]["reverted"].clone();
    let reverted: Vec<&str> = record
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!reverted.is_empty());
    assert_eq!(h.app.actions[0].reverted, reverted);
    // One containment event per reverted write, naming it.
    for id in &reverted {
        assert!(w.events.iter().any(|e| e["run_id"] == run.as_str()
            && e["kind"] == "containment"
            && e["data"]["reverts"] == *id));
    }
    drop(w);
    drop_and_check(h);
}

/// The incident's case: `X` on a run that has finished (12 file edits and
/// a push). The dialog lists what it will revert; the re-read shows each
/// planned write in `rollback.reverted`; the impact inventory marks
/// exactly those targets repaired. Before ACA/1.1 the platform answered
/// "run already succeeded", reverted nothing, and cordon said CONFIRMED.
#[tokio::test]
async fn rollback_of_a_finished_run_reverts_its_writes_and_repairs_the_inventory() {
    let mut h = Harness::new(&["broad-edits", "stale-context"], 30).await;
    let run = h
        .world()
        .runs
        .iter()
        .find(|r| r.plan.workflow == "docs-refresh")
        .unwrap()
        .id
        .clone();
    assert_eq!(h.world().run(&run).unwrap().state, "succeeded");
    let target = Target {
        run_id: Some(run.clone()),
        ..Target::default()
    };
    // The dialog's plan, from the dry run.
    h.dialog(ActionKind::RollbackRun, target.clone()).await;
    let Mode::Confirm(c) = &h.app.mode else {
        panic!("{:?}", h.app.flash)
    };
    let plan = c.preview.answer().unwrap().reverts.clone().unwrap();
    assert_eq!(plan.len(), 13, "12 edits and the push: {plan:?}");
    let shown = screen(&mut h.app, 160, 48);
    assert!(shown.contains("Will revert"), "{shown}");
    assert!(shown.contains("13 writes"), "{shown}");
    h.feed(key(KeyCode::Esc));
    let ids = h.act(ActionKind::RollbackRun, target).await;
    h.settle().await;
    let a = &h.app.actions[h.app.action_index[&ids[0]]];
    assert_eq!(a.phase, ActionPhase::Confirmed, "{}", a.detail);
    let mut want: Vec<String> = plan.iter().map(|p| p.event_id.clone()).collect();
    let mut got = a.reverted.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want, "every planned write shows reverted");
    assert!(a.control_worked() == Some(true));
    // The inventory: each file (and the push) repaired, nothing else.
    let tri = h.app.triage();
    let targets: Vec<&str> = plan.iter().map(|p| p.target.as_str()).collect();
    for c in &tri.changes {
        let repaired = c.repair == cordon::model::incident::Repair::Reverted;
        assert_eq!(
            repaired,
            targets.contains(&c.target.as_str()),
            "{} is {}",
            c.target,
            c.repair.as_str()
        );
    }
    assert!(
        tri.changes
            .iter()
            .any(|c| c.repair == cordon::model::incident::Repair::Reverted)
    );
    // A second rollback has nothing left to revert: the dialog says so
    // and will not send it.
    h.poll().await;
    h.dialog(
        ActionKind::RollbackRun,
        Target {
            run_id: Some(run.clone()),
            ..Target::default()
        },
    )
    .await;
    h.feed(key(KeyCode::Tab));
    let before = h.app.actions.len();
    h.feed(key(KeyCode::Enter));
    let Mode::Confirm(c) = &h.app.mode else {
        panic!("the dialog stays open")
    };
    assert!(
        c.warning
            .as_deref()
            .unwrap()
            .contains("nothing to roll back")
    );
    assert_eq!(h.app.actions.len(), before, "nothing sent");
    let shown = screen(&mut h.app, 160, 48);
    assert!(shown.contains("NOTHING TO ROLL BACK"), "{shown}");
    h.feed(key(KeyCode::Esc));
    drop_and_check(h);
}

/// Stop an ended run through the executor anyway (a platform whose dry
/// run cordon did not see): the answer affects no run, the re-read shows
/// it ended; the outcome is "already ended", and it counts for nothing.
#[tokio::test]
async fn a_stop_of_an_ended_run_is_already_ended() {
    let mut h = Harness::new(&["broad-edits"], 30).await;
    let run = h.world().runs[0].id.clone();
    assert_eq!(h.world().run(&run).unwrap().state, "succeeded");
    // The console itself does not offer it.
    let mut fx = Vec::new();
    h.app.propose(
        ActionKind::StopRun,
        vec![(
            "sim".into(),
            Target {
                run_id: Some(run.clone()),
                ..Target::default()
            },
        )],
        &mut fx,
    );
    assert!(fx.is_empty() && h.app.mode == Mode::Normal);
    assert!(
        h.app.flash.as_deref().unwrap().contains("already ended"),
        "{:?}",
        h.app.flash
    );
    drop_and_check(h);
}

/// Crash between the intent and the answer, restart on the same
/// incident: the action is asked for by its key, verified, and closed;
/// one the platform has no record of, asked again for the verify timeout,
/// is closed as unknown (a request cut off by a crash may still arrive:
/// a lookup cannot prove it never will) and not re-sent.
#[tokio::test]
async fn an_action_cut_off_by_a_crash_is_reconciled_on_reopen() {
    let h = Harness::new(&["retry-loop"], 26).await;
    let run = h.run_of("invoice-sync");
    let other = h
        .world()
        .runs
        .iter()
        .find(|r| r.state == "running" && r.id != run)
        .map(|r| r.id.clone())
        .expect("a second running run");
    let dir = h._dir.path().join("crashed");
    let sim_url = h.sim.url();
    // The crashed session: two intents journaled (and fsync'd), one of
    // them sent and applied by the platform, its answer never journaled.
    let req = |id: &str, key: &str, run: &str| cordon::model::ActionRequest {
        id: id.into(),
        source: "sim".into(),
        kind: ActionKind::StopRun,
        target: Target {
            run_id: Some(run.into()),
            ..Target::default()
        },
        reason: "INC-1: loop".into(),
        key: key.into(),
        actor: "alice@bastion-1".into(),
    };
    let applied = req("A1-aaaaaaaa", "11111111-0000-4000-8000-000000000001", &run);
    let never = req(
        "A2-bbbbbbbb",
        "11111111-0000-4000-8000-000000000002",
        &other,
    );
    {
        let j = Journal::open(&dir).unwrap();
        for r in [&applied, &never] {
            j.handle.append(Record::ActionIntent {
                request: r.clone(),
                operator: operator(),
                preview: None,
                at: chrono::Utc::now(),
                dry_run: None,
                note: None,
            });
        }
        j.handle.append(Record::ActionSent {
            id: applied.id.clone(),
            at: chrono::Utc::now(),
        });
        j.handle.sync().unwrap();
        j.close();
    }
    use cordon::source::Actor;
    let actor = cordon::source::aca::AcaActor::new("sim", &sim_url, http::client());
    actor.send(&applied).await.unwrap();
    let arrivals_before = h.world().arrivals.len();
    // Reopen, as `cordon --incident-dir` does.
    let spec: SourceSpec = format!("sim=aca:{sim_url}").parse().unwrap();
    let (mut app, journal) =
        cordon::commands::open_incident(&dir, std::slice::from_ref(&spec)).unwrap();
    assert!(app.actions.iter().all(|a| !a.phase.is_final()));
    let (mut exec, mut rx) = executor(spec, &journal, Duration::from_secs(2));
    let fx = app.reconcile_effects();
    assert_eq!(fx.len(), app.actions.len());
    assert!(
        fx.iter()
            .all(|f| matches!(f, cordon::app::Effect::Reconcile { .. }))
    );
    for f in fx {
        exec.run(f);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while app.actions.iter().any(|a| !a.phase.is_final()) {
        let (m, at) = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("reconciled")
            .unwrap();
        for f in app.update(Msg::Action(m, at)) {
            exec.run(f);
        }
        exec.flush();
    }
    let a = &app.actions[app.action_index[&applied.id]];
    assert_eq!(a.phase, ActionPhase::Confirmed, "{}", a.detail);
    assert!(
        a.detail.contains("reconciled after a restart"),
        "{}",
        a.detail
    );
    let b = &app.actions[app.action_index[&never.id]];
    assert_eq!(b.phase, ActionPhase::Unknown, "{}", b.detail);
    assert!(b.detail.contains("may still arrive"), "{}", b.detail);
    assert_eq!(h.world().run(&other).unwrap().state, "running");
    assert_eq!(h.world().arrivals.len(), arrivals_before, "nothing re-sent");
    // And the journal says so.
    journal.close();
    let text = std::fs::read_to_string(cordon::journal::journal_path(&dir)).unwrap();
    assert!(text.contains("reconciled after a restart"));
    assert!(text.contains("\"outcome\":\"confirmed\""));
}

#[tokio::test]
async fn pause_then_resume_workflow() {
    let mut h = Harness::new(&["retry-loop"], 15).await;
    let ids = h
        .act(
            ActionKind::PauseWorkflow,
            Target {
                workflow: Some("invoice-sync".into()),
                ..Target::default()
            },
        )
        .await;
    h.settle().await;
    assert_eq!(h.phase(&ids[0]), ActionPhase::Confirmed);
    {
        let mut w = h.world();
        assert!(w.runs.iter().all(|r| r.state != "running"));
        let from = w.events.len();
        w.advance(Duration::from_secs(30));
        assert!(
            new_events(&w, from)
                .iter()
                .all(|e| e["kind"] == "state_change"),
            "a paused workflow does nothing"
        );
    }
    h.poll().await;
    let ids = h
        .act(
            ActionKind::ResumeWorkflow,
            Target {
                workflow: Some("invoice-sync".into()),
                ..Target::default()
            },
        )
        .await;
    h.settle().await;
    assert_eq!(h.phase(&ids[0]), ActionPhase::Confirmed);
    assert!(h.world().runs.iter().any(|r| r.state == "running"));
    drop_and_check(h);
}

#[tokio::test]
async fn hold_then_release_queue() {
    let mut h = Harness::new(&["wrong-segment"], 2).await;
    let ids = h
        .act(
            ActionKind::HoldQueue,
            Target {
                workflow: Some("refund-followups".into()),
                ..Target::default()
            },
        )
        .await;
    h.settle().await;
    assert_eq!(h.phase(&ids[0]), ActionPhase::Confirmed);
    h.world().advance(Duration::from_secs(60));
    assert_eq!(
        h.world()
            .runs
            .iter()
            .filter(|r| r.state == "queued")
            .count(),
        2,
        "queued work does not continue blindly"
    );
    let ids = h
        .act(
            ActionKind::ReleaseQueue,
            Target {
                workflow: Some("refund-followups".into()),
                ..Target::default()
            },
        )
        .await;
    h.settle().await;
    assert_eq!(h.phase(&ids[0]), ActionPhase::Confirmed);
    h.world().advance(Duration::from_secs(1));
    assert_eq!(
        h.world()
            .runs
            .iter()
            .filter(|r| r.state == "queued")
            .count(),
        0
    );
    drop_and_check(h);
}

#[tokio::test]
async fn revoke_then_restore_tool() {
    let mut h = Harness::new(&["retry-loop"], 3).await;
    let t = Target {
        agent_class: Some("billing-sync".into()),
        tool: Some("billing.api".into()),
        ..Target::default()
    };
    let ids = h.act(ActionKind::RevokeTool, t.clone()).await;
    h.settle().await;
    assert_eq!(h.phase(&ids[0]), ActionPhase::Confirmed);
    {
        let mut w = h.world();
        let from = w.events.len();
        w.advance(Duration::from_secs(5));
        let new = new_events(&w, from);
        assert!(
            new.iter()
                .any(|e| e["summary"].as_str().unwrap().contains("tool revoked")),
            "a revoked tool's calls fail"
        );
        assert!(!new.iter().any(|e| e["kind"] == "tool_call"));
    }
    let ids = h.act(ActionKind::RestoreTool, t).await;
    h.settle().await;
    assert_eq!(h.phase(&ids[0]), ActionPhase::Confirmed);
    let mut w = h.world();
    let from = w.events.len();
    w.advance(Duration::from_secs(5));
    assert!(
        new_events(&w, from)
            .iter()
            .any(|e| e["kind"] == "tool_call")
    );
    drop(w);
    drop_and_check(h);
}

#[tokio::test]
async fn revoke_credential() {
    let mut h = Harness::new(&["wrong-segment"], 4).await;
    let ids = h
        .act(
            ActionKind::RevokeCredential,
            Target {
                credential: Some("cred_sendgrid_prod".into()),
                ..Target::default()
            },
        )
        .await;
    h.settle().await;
    assert_eq!(h.phase(&ids[0]), ActionPhase::Confirmed);
    let mut w = h.world();
    let from = w.events.len();
    w.advance(Duration::from_secs(10));
    assert!(
        !new_events(&w, from)
            .iter()
            .any(|e| e["kind"] == "message_sent")
    );
    drop(w);
    drop_and_check(h);
}

#[tokio::test]
async fn block_then_unblock_outbound_for_all() {
    let mut h = Harness::new(&["wrong-segment"], 4).await;
    let ids = h.act(ActionKind::BlockOutbound, Target::default()).await;
    h.settle().await;
    assert_eq!(h.phase(&ids[0]), ActionPhase::Confirmed);
    {
        let mut w = h.world();
        let from = w.events.len();
        w.advance(Duration::from_secs(10));
        let new = new_events(&w, from);
        assert!(
            !new.iter().any(|e| e["kind"] == "message_sent"),
            "blocked outbound sends fail"
        );
        assert!(new.iter().any(|e| {
            e["summary"]
                .as_str()
                .unwrap()
                .starts_with("Outbound blocked")
        }));
    }
    h.poll().await;
    let ids = h.act(ActionKind::UnblockOutbound, Target::default()).await;
    h.settle().await;
    assert_eq!(h.phase(&ids[0]), ActionPhase::Confirmed);
    let mut w = h.world();
    let from = w.events.len();
    w.advance(Duration::from_secs(10));
    assert!(
        new_events(&w, from)
            .iter()
            .any(|e| e["kind"] == "message_sent")
    );
    drop(w);
    drop_and_check(h);
}

#[tokio::test]
async fn marked_runs_are_stopped_together() {
    let mut h = Harness::new(&["retry-loop"], 26).await;
    let running: Vec<String> = h
        .world()
        .runs
        .iter()
        .filter(|r| r.state == "running")
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(running.len(), 3);
    for id in &running {
        let pos = h
            .app
            .runs
            .rows
            .iter()
            .position(|&r| h.app.store.runs[r].id == id)
            .unwrap();
        h.app.runs.sel = pos;
        h.feed(ch(' '));
    }
    h.feed(ch('x'));
    let (m, at) = h.rx.recv().await.unwrap();
    h.feed(Msg::Action(m, at));
    h.feed(key(KeyCode::Tab));
    h.feed(key(KeyCode::Enter));
    h.settle().await;
    assert!(
        h.app
            .actions
            .iter()
            .all(|a| a.phase == ActionPhase::Confirmed)
    );
    assert!(h.world().runs.iter().all(|r| r.state == "stopped"));
    drop_and_check(h);
}
