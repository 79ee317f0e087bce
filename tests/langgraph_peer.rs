//! Against the real LangGraph Agent Server (`langgraph dev`, in-memory),
//! one server shared by the tests of this binary, running the project's
//! LLM-free agents (`peers/langgraph`): a ReAct tool-calling agent, an
//! `interrupt()` review step, a subgraph, stateless runs.

mod common;
mod peers;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use cordon::app::App;
use cordon::model::incident::Answer;
use cordon::model::{ActionKind, Event, RunState, Target};
use cordon::source::{SourceSpec, build_pair, http};
use peers::console::{Console, quick_client};
use peers::proxy::{Fault, Proxy, Rule};
use serde_json::json;

fn spec(url: &str) -> SourceSpec {
    format!("lg=langgraph:{url}").parse().unwrap()
}

fn run_of<'a>(app: &'a App, id: &str) -> Option<&'a cordon::model::Run> {
    peers::run_of(app, "lg", id)
}

fn events_of<'a>(app: &'a App, run: &str) -> Vec<&'a Event> {
    peers::events_of(app, "lg", run)
}

fn data(e: &Event, k: &str) -> Option<String> {
    e.data
        .value()
        .get(k)
        .and_then(|v| v.as_str())
        .map(String::from)
}

#[tokio::test]
async fn langgraph_list_timeline_stop_rollback() {
    let Some(peer) = peers::shared_langgraph() else {
        return;
    };
    let base = peer.url.clone();
    let (mut src, actor) = build_pair(&spec(&base), http::client()).unwrap();

    // A running run is listed within one poll, with its steps in the timeline.
    let (t1, r1) = peers::start_run(&base, 1.0, 20).await;
    peers::lg_wait(&base, &t1, &r1, &["running"]).await;
    let b = src.poll().await.unwrap();
    let run = b
        .runs
        .iter()
        .find(|r| r.id == r1)
        .expect("listed within one poll");
    assert_eq!(run.state, RunState::Running);
    assert_eq!(run.workflow, "refund-followups");
    assert_eq!(run.agent_class, "support_agent");
    assert_eq!(
        run.agent, "support_agent",
        "the assistant's name, not its UUID"
    );
    let mut events = b.events.clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !events.iter().any(|e| e.kind.as_str() == "tool_call") {
        assert!(
            std::time::Instant::now() < deadline,
            "tool calls in the timeline"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        events.extend(src.poll().await.unwrap().events);
    }
    let mine: Vec<&Event> = events.iter().filter(|e| e.run_id == r1).collect();
    assert!(
        mine.iter()
            .any(|e| e.kind.as_str() == "state_change" && e.summary.starts_with("step"))
    );
    let ids: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), events.len(), "each step once");

    // stop_run → cancel action=interrupt, confirmed by status interrupted.
    let msgs = peers::act(
        actor.clone(),
        ActionKind::StopRun,
        Target {
            run_id: Some(r1.clone()),
            ..Target::default()
        },
    )
    .await;
    let detail = peers::confirmed(&msgs).unwrap_or_else(|| panic!("stop confirmed: {msgs:?}"));
    assert!(detail.contains("interrupted"), "{detail}");

    // rollback_run → the run is gone.
    let (t2, r2) = peers::start_run(&base, 1.0, 20).await;
    peers::lg_wait(&base, &t2, &r2, &["running"]).await;
    src.poll().await.unwrap();
    let msgs = peers::act(
        actor.clone(),
        ActionKind::RollbackRun,
        Target {
            run_id: Some(r2.clone()),
            ..Target::default()
        },
    )
    .await;
    let detail = peers::confirmed(&msgs).unwrap_or_else(|| panic!("rollback confirmed: {msgs:?}"));
    assert!(detail.contains("gone"), "{detail}");
    assert_eq!(peers::lg_status(&base, &t2, &r2).await, None);
    // The poller does not take the vanished run for a broken source.
    let b = src.poll().await.expect("a deleted run is no failure");
    if let Some(r) = b.runs.iter().find(|r| r.id == r2) {
        assert!(!r.state.is_active(), "{r:?}");
    }
}

/// The first polled batch that carries events, within `secs`.
async fn batch_with_events(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<cordon::source::SourceMsg>,
    secs: u64,
) -> Option<cordon::source::Batch> {
    tokio::time::timeout(Duration::from_secs(secs), async {
        loop {
            match rx.recv().await {
                Some(cordon::source::SourceMsg::Polled { batch, .. })
                    if !batch.events.is_empty() =>
                {
                    return Some(batch);
                }
                Some(_) => {}
                None => return None,
            }
        }
    })
    .await
    .ok()
    .flatten()
}

#[tokio::test]
async fn langgraph_stream_wakes_the_poller() {
    use cordon::source::{SourceMsg, poll_loop};
    let Some(peer) = peers::shared_langgraph() else {
        return;
    };
    let base = peer.url.clone();
    let (t1, r1) = peers::start_run(&base, 1.5, 20).await;
    peers::lg_wait(&base, &t1, &r1, &["running"]).await;
    let (src, actor) = build_pair(&spec(&base), http::client()).unwrap();
    // A 60 s poll interval: new steps can only arrive this soon because the
    // run's stream rang the poller.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(poll_loop(src, Duration::from_secs(60), tx));
    let first = rx.recv().await.unwrap();
    assert!(matches!(first, SourceMsg::Polled { .. }));
    // Other tests' runs share the server: wait for a batch with this one's.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let next = batch_with_events(&mut rx, left.as_secs().max(1))
            .await
            .expect("a streamed step woke a poll long before the 60 s interval");
        if next.events.iter().any(|e| e.run_id == r1) {
            break;
        }
    }
    let _ = peers::act(
        actor,
        ActionKind::StopRun,
        Target {
            run_id: Some(r1),
            ..Target::default()
        },
    )
    .await;
}

/// A run that is still pending at a poll is followed too: its first steps
/// come in through its stream, not at the next poll (here an hour away).
#[tokio::test(flavor = "multi_thread")]
async fn a_pending_run_is_streamed_from_its_first_step() {
    use cordon::source::{SourceMsg, poll_loop};
    let Some(peer) = peers::shared_langgraph() else {
        return;
    };
    let base = peer.url.clone();
    // Delayed: pending for 3 s, whatever the machine's speed.
    let (_, rid) = peers::start_run_after(&base, 0.3, 5, 3).await;
    let (src, _) = build_pair(&spec(&base), http::client()).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(poll_loop(src, Duration::from_secs(3600), tx));
    match rx.recv().await.unwrap() {
        SourceMsg::Polled { batch, .. } => {
            let run = batch
                .runs
                .iter()
                .find(|x| x.id == rid)
                .expect("the run is listed");
            assert_eq!(run.state.as_str(), "queued", "pending at the first poll");
            assert!(batch.events.iter().all(|e| e.run_id != rid), "no steps yet");
        }
        other => panic!("first poll: {other:?}"),
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let b = batch_with_events(&mut rx, left.as_secs().max(1))
            .await
            .expect("the pending run's stream rang when it started");
        if b.events.iter().any(|e| e.run_id == rid) {
            break;
        }
    }
}

/// What the platform's own history holds for some runs: steps
/// (checkpoints), tool calls (by call id), results (by message id), task
/// errors (their text).
#[derive(Debug, Default)]
struct Truth {
    steps: Vec<(String, String)>,
    calls: Vec<(String, String)>,
    results: Vec<(String, String)>,
    errors: Vec<(String, String)>,
}

impl Truth {
    async fn of(base: &str, threads: &[&str], runs: &HashSet<String>) -> Truth {
        let mut t = Truth::default();
        let (mut calls, mut results, mut errors) = (HashSet::new(), HashSet::new(), HashSet::new());
        for tid in threads {
            // Oldest first: on a thread with many runs, a message stays in
            // every later checkpoint; it belongs to the run that made it.
            for cp in peers::lg_history(base, tid).await.into_iter().rev() {
                let run = cp["metadata"]["run_id"].as_str().unwrap_or("").to_string();
                if !runs.contains(&run) {
                    continue;
                }
                t.steps.push((
                    cp["checkpoint"]["checkpoint_id"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    run.clone(),
                ));
                for task in cp["tasks"].as_array().cloned().unwrap_or_default() {
                    if let Some(e) = task["error"].as_str()
                        && errors.insert((
                            cp["checkpoint"]["checkpoint_id"].clone(),
                            task["id"].clone(),
                        ))
                    {
                        t.errors.push((e.to_string(), run.clone()));
                    }
                }
                for m in cp["values"]["messages"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                {
                    for c in m["tool_calls"].as_array().cloned().unwrap_or_default() {
                        let id = c["id"].as_str().unwrap_or("").to_string();
                        if calls.insert(id.clone()) {
                            t.calls.push((id, run.clone()));
                        }
                    }
                    if m["type"] == "tool" {
                        let id = m["id"].as_str().unwrap_or("").to_string();
                        if results.insert(id.clone()) {
                            t.results.push((id, run.clone()));
                        }
                    }
                }
            }
        }
        t
    }

    fn total(&self) -> usize {
        self.steps.len() + self.calls.len() + self.results.len() + self.errors.len()
    }

    /// (missing, more than once) against these events.
    fn compare(&self, evs: &[&Event]) -> (Vec<String>, Vec<String>) {
        let (mut missing, mut twice) = (vec![], vec![]);
        let mut check = |what: String, n: usize| match n {
            1 => {}
            0 => missing.push(what),
            _ => twice.push(what),
        };
        for (cid, run) in &self.steps {
            let n = evs
                .iter()
                .filter(|e| {
                    e.run_id == run.as_str() && data(e, "checkpoint_id").as_deref() == Some(cid)
                })
                .count();
            check(format!("step {cid}"), n);
        }
        for (call, run) in &self.calls {
            let n = evs
                .iter()
                .filter(|e| e.run_id == run.as_str() && e.kind.as_str() == "tool_call")
                .filter(|e| data(e, "call_id").as_deref() == Some(call))
                .count();
            check(format!("tool call {call}"), n);
        }
        for (msg, run) in &self.results {
            let n = evs
                .iter()
                .filter(|e| e.run_id == run.as_str() && e.id == msg.as_str())
                .count();
            check(format!("tool result {msg}"), n);
        }
        for (err, run) in &self.errors {
            let inner = err.split('\'').nth(1).unwrap_or(err);
            let n = evs
                .iter()
                .filter(|e| {
                    e.run_id == run.as_str()
                        && e.kind.as_str() == "error"
                        && e.summary.contains(inner)
                })
                .count();
            check(format!("error {err}"), n);
        }
        (missing, twice)
    }
}

/// Take what the poller sends (two minutes at most) until every fact of
/// `truth` is in the app and every run shows ended, then look for the
/// same facts in the journal: whether it converged, and the figures.
async fn settle(
    c: &mut Console,
    what: &str,
    truth: &Truth,
    runs: &[String],
    proxy: &Proxy,
) -> (bool, String) {
    let ended = |app: &App, r: &String| run_of(app, r).is_some_and(|x| !x.state.is_active());
    let converged = c
        .within(120, |app| {
            let evs: Vec<&Event> = runs.iter().flat_map(|r| events_of(app, r)).collect();
            truth.compare(&evs).0.is_empty() && runs.iter().all(|r| ended(app, r))
        })
        .await;
    let known = runs.iter().filter(|r| run_of(&c.app, r).is_some()).count();
    let done = runs.iter().filter(|r| ended(&c.app, r)).count();
    let platform = format!(
        "{} facts (steps {}, tool calls {}, results {}, errors {}) over {} runs; {known} runs known, {done} shown ended",
        truth.total(),
        truth.steps.len(),
        truth.calls.len(),
        truth.results.len(),
        truth.errors.len(),
        runs.len()
    );
    let set: HashSet<&str> = runs.iter().map(String::as_str).collect();
    c.check_journal(what, &platform, &set, |e| truth.compare(e), proxy);
    (converged, platform)
}

/// Done when: with stalls, resets and 5xx injected between cordon and the
/// server while ReAct, failing and subgraph runs go on, every step, tool
/// call, result and error the server's own history holds ends up in
/// cordon's journal exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn every_step_call_and_error_the_server_holds_is_journaled_once_under_faults() {
    let Some(peer) = peers::shared_langgraph() else {
        return;
    };
    let base = peer.url.clone();
    let proxy = Proxy::start(
        &base,
        vec![
            Rule::new("/history", Fault::Status(500), 4, 8),
            Rule::new("/history", Fault::Reset, 7, 4),
            Rule::new("/runs?limit", Fault::Stall, 9, 2),
            Rule::new("/runs?limit", Fault::Status(502), 5, 4),
            Rule::new("/threads/search", Fault::Status(503), 6, 3),
        ],
    )
    .await;
    let mut c = Console::start(
        &spec(&proxy.url),
        quick_client(),
        Duration::from_millis(250),
    );
    let plans = [
        json!([[{"name": "lookup_customer", "args": {"customer_id": "c1"}}],
               [{"name": "update_invoice", "args": {"invoice_id": "inv_1", "amount_cents": 4000}},
                {"name": "charge_card", "args": {"customer_id": "c1", "amount_cents": 4000}}],
               [{"name": "send_email", "args": {"to": "c1@example.com", "subject": "Refund"}}]]),
        json!([[{"name": "lookup_customer", "args": {"customer_id": "c2"}}],
               [{"name": "send_email", "args": {"to": "c2@example.com", "subject": "Refund"}}],
               [{"name": "send_email", "args": {"to": "c2@example.com", "subject": "Refund, again"}}]]),
        json!([[{"name": "lookup_customer", "args": {"customer_id": "c3"}}],
               [{"name": "slow_ledger_write", "args": {"account": "a3", "amount_cents": 500, "seconds": 1.0}}]]),
    ];
    let mut threads = vec![];
    let mut runs = vec![];
    for p in &plans {
        let tid = peers::lg_thread(&base, "billing-fix").await;
        let rid = peers::lg_run(
            &base,
            &tid,
            "react_agent",
            peers::react_input(p.clone(), 0.4),
        )
        .await;
        threads.push(tid);
        runs.push(rid);
    }
    let tid = peers::lg_thread(&base, "research").await;
    let rid = peers::lg_run(
        &base,
        &tid,
        "subgraph_agent",
        json!({"input": {"sleep": 0.4}}),
    )
    .await;
    threads.push(tid);
    runs.push(rid);
    for (t, r) in threads.iter().zip(&runs) {
        peers::lg_wait(&base, t, r, &["success", "error"]).await;
    }
    let run_set: HashSet<String> = runs.iter().cloned().collect();
    let tids: Vec<&str> = threads.iter().map(String::as_str).collect();
    let truth = Truth::of(&base, &tids, &run_set).await;
    assert!(
        truth.calls.len() >= 10 && !truth.errors.is_empty(),
        "{truth:?}"
    );
    let (converged, platform) = settle(&mut c, "langgraph", &truth, &runs, &proxy).await;
    assert!(converged, "{platform}");

    // Counters and triage from that evidence.
    let app = &c.app;
    let ri = app.store.run_idx("lg", &runs[0]).unwrap();
    let s = app.store.stats(ri);
    assert_eq!(s.tool_calls.get(), Some(4), "{s:?}");
    assert_eq!(s.external_actions.get(), Some(1), "the email: {s:?}");
    let failed = app.store.run_idx("lg", &runs[2]).unwrap();
    assert_eq!(app.store.stats(failed).errors.get(), Some(1));
    assert_eq!(app.store.runs[failed].state, RunState::Failed);
    let t = app.triage();
    assert_eq!(
        t.answers[2].answer,
        Answer::Yes,
        "money: {:?}",
        t.answers[2]
    );
    assert_eq!(
        t.answers[3].answer,
        Answer::Yes,
        "users: {:?}",
        t.answers[3]
    );
}

/// A reopened incident catches up on what happened while no console ran
/// (an outsider saw none of it read): a run in flight when the console
/// stopped, and 110 runs queued on one thread (more than a page of its
/// runs) that started and ended in the gap, are all read to their end,
/// every step, call and result the server holds, once.
#[tokio::test(flavor = "multi_thread")]
async fn a_reopened_incident_reads_what_happened_while_no_console_ran() {
    let Some(peer) = peers::shared_langgraph() else {
        return;
    };
    let base = peer.url.clone();
    let proxy = Proxy::start(
        &base,
        vec![
            Rule::new("/runs?limit", Fault::Status(502), 4, 3),
            Rule::new("/threads/search", Fault::Status(503), 5, 2),
            Rule::new("/history", Fault::Reset, 6, 2),
        ],
    )
    .await;
    let s = spec(&proxy.url);
    let every = Duration::from_millis(250);
    let mut c = Console::start(&s, quick_client(), every);
    let t1 = peers::lg_thread(&base, "billing-fix").await;
    let r1 = peers::lg_run(
        &base,
        &t1,
        "react_agent",
        peers::react_input(
            json!([[{"name": "lookup_customer", "args": {"customer_id": "c7"}}],
                   [{"name": "slow_ledger_write", "args": {"account": "a7", "amount_cents": 700, "seconds": 2.0}}],
                   [{"name": "send_email", "args": {"to": "c7@example.com", "subject": "Refund"}}]]),
            0.2,
        ),
    )
    .await;
    c.until("the run seen running", 30, |app| {
        run_of(app, &r1).is_some_and(|r| r.state.is_active())
    })
    .await;
    let dir = c.stop();
    // No console: the run ends, and a queue on one thread runs through.
    let t2 = peers::lg_thread(&base, "refund-queue").await;
    let mut queued = vec![];
    for i in 0..110 {
        let mut body = peers::react_input(
            json!([[{"name": "lookup_customer", "args": {"customer_id": format!("q{i}")}}]]),
            0.0,
        );
        body["multitask_strategy"] = "enqueue".into();
        queued.push(peers::lg_run(&base, &t2, "react_agent", body).await);
    }
    peers::lg_wait(&base, &t1, &r1, &["success", "error"]).await;
    for r in &queued {
        peers::lg_wait(&base, &t2, r, &["success", "error"]).await;
    }
    let mut runs = queued.clone();
    runs.push(r1.clone());
    let run_set: HashSet<String> = runs.iter().cloned().collect();
    let truth = Truth::of(&base, &[&t1, &t2], &run_set).await;
    // Each queued run is three steps (its thread's script made the one
    // tool call in the first run); the in-flight one fails in its write.
    assert!(
        truth.steps.len() >= 3 * 110 && !truth.errors.is_empty(),
        "{} steps, {} errors",
        truth.steps.len(),
        truth.errors.len()
    );
    let mut c = Console::reopen(dir, &s, quick_client(), every);
    let (converged, platform) = settle(&mut c, "langgraph reopen", &truth, &runs, &proxy).await;
    assert!(converged, "{platform}");
    // Ended in the gap: failed in its write, as the platform says.
    assert_eq!(
        run_of(&c.app, &r1).map(|r| r.state.clone()),
        Some(RunState::Failed)
    );
}

/// Item 2: a run failing in a tool after its step was first read keeps its
/// error, naming the tool; the run shows failed.
#[tokio::test(flavor = "multi_thread")]
async fn an_error_raised_after_its_step_was_read_is_kept() {
    let Some(peer) = peers::shared_langgraph() else {
        return;
    };
    let base = peer.url.clone();
    let mut c = Console::start(&spec(&base), http::client(), Duration::from_millis(200));
    let tid = peers::lg_thread(&base, "ledger").await;
    let plan = json!([[{"name": "slow_ledger_write", "args": {"account": "a9", "amount_cents": 5, "seconds": 2.0}}]]);
    let rid = peers::lg_run(&base, &tid, "react_agent", peers::react_input(plan, 0.2)).await;
    // The step that runs the tool is read while the tool still works.
    c.until("the ledger call", 60, |app| {
        events_of(app, &rid)
            .iter()
            .any(|e| e.tool.as_deref() == Some("slow_ledger_write"))
    })
    .await;
    assert_eq!(
        peers::lg_status(&base, &tid, &rid).await.as_deref(),
        Some("running")
    );
    c.until("the tool's error", 60, |app| {
        events_of(app, &rid)
            .iter()
            .any(|e| e.kind.as_str() == "error")
    })
    .await;
    let evs = events_of(&c.app, &rid);
    let err = evs.iter().find(|e| e.kind.as_str() == "error").unwrap();
    assert!(
        err.summary
            .contains("ledger write rejected: account a9 is frozen"),
        "{}",
        err.summary
    );
    assert_eq!(err.tool.as_deref(), Some("slow_ledger_write"));
    c.until("the run failed", 30, |app| {
        run_of(app, &rid).is_some_and(|r| r.state == RunState::Failed)
    })
    .await;
}

/// Item 3: a run whose thread LangGraph marks idle while it still runs
/// (its queued follower was cancelled) is followed to its end.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_on_a_thread_marked_idle_is_followed_to_its_end() {
    let Some(peer) = peers::shared_langgraph() else {
        return;
    };
    let base = peer.url.clone();
    let mut c = Console::start(&spec(&base), http::client(), Duration::from_millis(200));
    let tid = peers::lg_thread(&base, "refunds-idle").await;
    let a = peers::lg_run(
        &base,
        &tid,
        "support_agent",
        json!({"input": {"sleep": 0.4, "loops": 3}}),
    )
    .await;
    let b = peers::lg_run(
        &base,
        &tid,
        "support_agent",
        json!({"input": {"sleep": 0.1, "loops": 1}}),
    )
    .await;
    c.until("both runs", 60, |app| {
        run_of(app, &a).is_some_and(|r| r.state == RunState::Running)
            && run_of(app, &b).is_some_and(|r| r.state == RunState::Queued)
    })
    .await;
    peers::post(
        &format!("{base}/runs/cancel"),
        json!({"thread_id": tid, "run_ids": [b]}),
    )
    .await;
    let thread = peers::get(&format!("{base}/threads/{tid}")).await.unwrap();
    if peers::lg_status(&base, &tid, &a).await.as_deref() == Some("running") {
        // The platform's quirk this test is about.
        assert_eq!(thread["status"], "idle", "LangGraph marks the thread idle");
    }
    peers::lg_wait(&base, &tid, &a, &["success"]).await;
    let truth = Truth::of(&base, &[&tid], &HashSet::from([a.clone()])).await;
    c.until("the run's end and every email it sent", 60, |app| {
        let evs = events_of(app, &a);
        run_of(app, &a).is_some_and(|r| r.state == RunState::Succeeded)
            && truth.compare(&evs).0.is_empty()
    })
    .await;
    let sends = events_of(&c.app, &a)
        .iter()
        .filter(|e| e.kind.as_str() == "tool_call" && e.tool.as_deref() == Some("email_send"))
        .count();
    assert_eq!(sends, 4, "three loops: four sends");
}

/// Item 4: stateless runs (their thread is deleted when they end, as cron
/// runs' are) are followed from their stream, named, and never make the
/// source look down.
#[tokio::test(flavor = "multi_thread")]
async fn stateless_runs_are_followed_without_the_source_flapping() {
    let Some(peer) = peers::shared_langgraph() else {
        return;
    };
    let base = peer.url.clone();
    let mut c = Console::start(&spec(&base), http::client(), Duration::from_millis(200));
    c.polls(1, 30).await;
    let plan = json!([[{"name": "lookup_customer", "args": {"customer_id": "c7"}}],
                      [{"name": "send_email", "args": {"to": "c7@example.com", "subject": "Digest"}}]]);
    let mut body = peers::react_input(plan, 0.5);
    body["assistant_id"] = "react_agent".into();
    body["metadata"] = json!({"workflow": "nightly-digest"});
    let r = peers::post(&format!("{base}/runs"), body).await;
    let rid = r["run_id"].as_str().unwrap().to_string();
    c.until("the stateless run's calls and its end", 60, |app| {
        let evs = events_of(app, &rid);
        evs.iter().any(|e| e.tool.as_deref() == Some("send_email"))
            && run_of(app, &rid).is_some_and(|r| !r.state.is_active())
    })
    .await;
    c.polls(3, 30).await;
    let run = run_of(&c.app, &rid).unwrap();
    assert_eq!(run.workflow, "nightly-digest");
    assert_eq!(run.agent_class, "react_agent");
    assert!(c.failures.is_empty(), "no poll failed: {:?}", c.failures);
    let calls: Vec<String> = events_of(&c.app, &rid)
        .iter()
        .filter(|e| e.kind.as_str() == "tool_call")
        .filter_map(|e| e.tool.as_ref().map(|t| t.to_string()))
        .collect();
    assert_eq!(calls, ["lookup_customer", "send_email"]);
}

/// Item 5: a run stopped at `interrupt()` waits for a human (active,
/// actionable); the resume is a human decision in the timeline.
#[tokio::test(flavor = "multi_thread")]
async fn an_interrupt_waits_for_a_human_and_the_resume_is_a_decision() {
    let Some(peer) = peers::shared_langgraph() else {
        return;
    };
    let base = peer.url.clone();
    let mut c = Console::start(&spec(&base), http::client(), Duration::from_millis(200));
    let tid = peers::lg_thread(&base, "refund-review").await;
    let first = peers::lg_run(&base, &tid, "review_agent", json!({"input": {}})).await;
    peers::lg_wait(&base, &tid, &first, &["success"]).await;
    c.until("the run waiting for review", 60, |app| {
        run_of(app, &first).is_some_and(|r| r.state == RunState::WaitingReview)
            && events_of(app, &first)
                .iter()
                .any(|e| e.kind.as_str() == "review_requested")
    })
    .await;
    assert!(run_of(&c.app, &first).unwrap().state.is_active());
    // `x` on it: nothing executes while it waits, so nothing is cancelled
    // and the verdict says what it is waiting for (not "already
    // succeeded", which is what LangGraph calls the run).
    let (_, actor) = build_pair(&spec(&base), http::client()).unwrap();
    let msgs = peers::act(
        actor,
        ActionKind::StopRun,
        Target {
            run_id: Some(first.clone()),
            ..Target::default()
        },
    )
    .await;
    let verdict = msgs.iter().find_map(|m| match m {
        cordon::contain::ActionMsg::Verified {
            outcome, detail, ..
        } => Some((*outcome, detail.clone())),
        _ => None,
    });
    let (outcome, detail) = verdict.expect("a verdict");
    assert_eq!(outcome, cordon::model::ActionPhase::NothingToDo, "{detail}");
    assert!(detail.contains("waiting at an interrupt()"), "{detail}");
    assert!(!detail.contains("succeeded"), "{detail}");
    let resume = peers::lg_run(
        &base,
        &tid,
        "review_agent",
        json!({"command": {"resume": {"approved": true, "by": "ops-lead"}}}),
    )
    .await;
    peers::lg_wait(&base, &tid, &resume, &["success"]).await;
    c.until("the decision and the send", 60, |app| {
        let evs = events_of(app, &resume);
        evs.iter().any(|e| e.kind.as_str() == "review_decision")
            && evs.iter().any(|e| e.tool.as_deref() == Some("send_email"))
            && run_of(app, &first).is_some_and(|r| r.state == RunState::Succeeded)
    })
    .await;
    let d = events_of(&c.app, &resume)
        .into_iter()
        .find(|e| e.kind.as_str() == "review_decision")
        .unwrap();
    assert!(d.summary.contains("\"approved\":true"), "{}", d.summary);
}

/// Item 6: a subgraph's steps arrive while it runs, each at its own time.
#[tokio::test(flavor = "multi_thread")]
async fn subgraph_steps_arrive_while_the_subgraph_runs() {
    let Some(peer) = peers::shared_langgraph() else {
        return;
    };
    let base = peer.url.clone();
    let mut c = Console::start(&spec(&base), http::client(), Duration::from_millis(200));
    let tid = peers::lg_thread(&base, "research-live").await;
    let rid = peers::lg_run(
        &base,
        &tid,
        "subgraph_agent",
        json!({"input": {"sleep": 1.2}}),
    )
    .await;
    c.until("a subgraph step", 60, |app| {
        events_of(app, &rid)
            .iter()
            .any(|e| e.summary.starts_with("research › step 1"))
    })
    .await;
    assert_eq!(
        peers::lg_status(&base, &tid, &rid).await.as_deref(),
        Some("running"),
        "seen before the parent graph finished"
    );
    peers::lg_wait(&base, &tid, &rid, &["success"]).await;
    let history = peers::lg_history(&base, &tid).await;
    let sub_times: HashMap<String, String> = history
        .iter()
        .filter(|cp| {
            cp["checkpoint"]["checkpoint_ns"]
                .as_str()
                .is_some_and(|n| !n.is_empty())
        })
        .map(|cp| {
            (
                cp["checkpoint"]["checkpoint_id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                cp["created_at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(sub_times.len(), 5);
    c.until("every subgraph step", 60, |app| {
        let evs = events_of(app, &rid);
        sub_times
            .keys()
            .all(|cid| evs.iter().any(|e| e.id == cid.as_str()))
    })
    .await;
    for e in events_of(&c.app, &rid) {
        if let Some(t) = sub_times.get(e.id.as_str()) {
            assert_eq!(
                e.at,
                cordon::model::time::parse(t).unwrap(),
                "{}",
                e.summary
            );
        }
    }
}

/// Item 8: the agent is the assistant's name, its class the graph.
#[tokio::test(flavor = "multi_thread")]
async fn the_agent_is_the_assistants_name() {
    let Some(peer) = peers::shared_langgraph() else {
        return;
    };
    let base = peer.url.clone();
    let a = peers::post(
        &format!("{base}/assistants"),
        json!({"graph_id": "react_agent", "name": "billing-bot-v2"}),
    )
    .await;
    let aid = a["assistant_id"].as_str().unwrap().to_string();
    let mut c = Console::start(&spec(&base), http::client(), Duration::from_millis(200));
    let tid = peers::lg_thread(&base, "billing-named").await;
    let plan = json!([[{"name": "lookup_customer", "args": {"customer_id": "c8"}}]]);
    let rid = peers::lg_run(&base, &tid, &aid, peers::react_input(plan, 0.2)).await;
    c.until("the run", 60, |app| run_of(app, &rid).is_some())
        .await;
    let run = run_of(&c.app, &rid).unwrap();
    assert_eq!(run.agent, "billing-bot-v2");
    assert_eq!(run.agent_class, "react_agent");
}

/// Reach: LangSmith deployments' `x-api-key` and custom auth's bearer are
/// sent; an unset key variable and an unknown parameter are refused at
/// start.
#[tokio::test(flavor = "multi_thread")]
async fn api_keys_are_sent_and_bad_specs_refused_at_start() {
    let Some(peer) = peers::shared_langgraph() else {
        return;
    };
    let proxy = Proxy::start(&peer.url, vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "lsv2_test_key_123\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    for (param, header, want) in [
        ("api_key_file", "x-api-key", "lsv2_test_key_123"),
        ("bearer_file", "authorization", "Bearer lsv2_test_key_123"),
    ] {
        let s: SourceSpec = format!("lg=langgraph:{}?{param}={}", proxy.url, key.display())
            .parse()
            .unwrap();
        let (mut src, _) = build_pair(&s, http::client()).unwrap();
        src.poll().await.unwrap();
        let reqs = proxy.requests();
        let last = reqs.last().unwrap();
        assert_eq!(
            last.headers.get(header).and_then(|v| v.to_str().ok()),
            Some(want),
            "{param}"
        );
    }
    let unset: SourceSpec = format!(
        "lg=langgraph:{}?api_key_env=CORDON_SURELY_UNSET_VAR",
        proxy.url
    )
    .parse()
    .unwrap();
    let e = build_pair(&unset, http::client()).err().unwrap();
    assert!(e.contains("CORDON_SURELY_UNSET_VAR is not set"), "{e}");
    let odd: SourceSpec = format!("lg=langgraph:{}?apikey=x", proxy.url)
        .parse()
        .unwrap();
    let e = build_pair(&odd, http::client()).err().unwrap();
    assert!(e.contains("unknown URL parameter 'apikey'"), "{e}");
}
