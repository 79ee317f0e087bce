//! Against the real Temporal dev server (`temporal server start-dev`), one
//! shared by the tests of this binary, with the project's Python workers
//! (`peers/temporal/worker.py`): retrying activities, a heartbeating one,
//! child workflows, signals, a workflow that ignores cancel, continue-as-new.

mod common;
mod peers;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use cordon::app::App;
use cordon::contain::ActionMsg;
use cordon::model::{ActionKind, Event, RunState, Target};
use cordon::source::{SourceSpec, build_pair, http};
use peers::console::{Console, quick_client};
use peers::proxy::{Fault, Proxy, Rule};
use serde_json::{Value, json};

fn api(base: &str) -> String {
    format!("{base}/api/v1/namespaces/default")
}

fn spec(url: &str) -> SourceSpec {
    format!("tm=temporal:{url}?namespace=default")
        .parse()
        .unwrap()
}

/// A test's own workflow ids (the server is shared).
fn id(name: &str) -> String {
    format!("{name}-{}", &uuid::Uuid::new_v4().to_string()[..8])
}

fn run_of<'a>(app: &'a App, id: &str) -> Option<&'a cordon::model::Run> {
    peers::run_of(app, "tm", id)
}

fn events_of<'a>(app: &'a App, run: &str) -> Vec<&'a Event> {
    peers::events_of(app, "tm", run)
}

fn kind<'a>(evs: &[&'a Event], k: &str) -> Vec<&'a Event> {
    evs.iter()
        .copied()
        .filter(|e| e.kind.as_str() == k)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn temporal_list_history_cancel_terminate_pause() {
    let Some(peer) = peers::shared_temporal() else {
        return;
    };
    let base = peer.url.clone();
    let a = api(&base);
    let (mut src, actor) = build_pair(&spec(&base), http::client()).unwrap();

    // One with a worker (graceful cancel runs its code), one without.
    let r1 = peers::tm_start(&a, "agent-with-worker", "AgentWorkflow", json!([20])).await;
    let r2 = post_no_worker(&a, "agent-no-worker").await;
    let (k1, k2) = (
        format!("agent-with-worker@{r1}"),
        format!("agent-no-worker@{r2}"),
    );
    let b = src.poll().await.unwrap();
    let ids: Vec<&str> = b.runs.iter().map(|r| r.id.as_str()).collect();
    assert!(
        ids.contains(&k1.as_str()) && ids.contains(&k2.as_str()),
        "{ids:?}"
    );
    let r = b.runs.iter().find(|r| r.id == k1).unwrap();
    assert_eq!(
        (
            r.state.clone(),
            r.workflow.as_str(),
            r.agent_class.as_str(),
            r.agent.as_str()
        ),
        (
            RunState::Running,
            "AgentWorkflow",
            "agents",
            "agent-with-worker"
        )
    );
    // Its history: activities as tool calls, the flaky first attempt as a retry.
    let mut events = b.events.clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !(events
        .iter()
        .any(|e| e.kind.as_str() == "tool_call" && e.run_id == k1)
        && events
            .iter()
            .any(|e| e.kind.as_str() == "retry" && e.run_id == k1))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "history events: {events:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        events.extend(src.poll().await.unwrap().events);
    }
    assert!(
        events
            .iter()
            .any(|e| e.kind.as_str() == "assignment" && e.run_id == k1)
    );
    let ids: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), events.len(), "each history event once");

    // Pause: used if the server has it, else clearly reported as off.
    let msgs = peers::act(
        actor.clone(),
        ActionKind::PauseWorkflow,
        Target {
            workflow: Some("AgentWorkflow".into()),
            ..Target::default()
        },
    )
    .await;
    match peers::confirmed(&msgs) {
        Some(d) => assert!(d.contains("paused"), "{d}"),
        None => {
            let refused = msgs.iter().find_map(|m| match m {
                ActionMsg::Answered {
                    result: Err((_, e)),
                    ..
                } => Some(e.clone()),
                _ => None,
            });
            let e = refused.unwrap_or_else(|| panic!("{msgs:?}"));
            assert!(
                e.contains("pause is not enabled on this Temporal namespace"),
                "{e}"
            );
        }
    }

    // stop_run = cancel (this very execution): the worker's code runs, it
    // closes as canceled.
    let msgs = peers::act(
        actor.clone(),
        ActionKind::StopRun,
        Target {
            run_id: Some(k1.clone()),
            ..Target::default()
        },
    )
    .await;
    let d = peers::confirmed(&msgs).unwrap_or_else(|| panic!("cancel confirmed: {msgs:?}"));
    assert!(d.contains("canceled"), "{d}");
    // terminate_run: closes at once, no worker needed.
    let msgs = peers::act(
        actor.clone(),
        ActionKind::TerminateRun,
        Target {
            run_id: Some(k2.clone()),
            ..Target::default()
        },
    )
    .await;
    let d = peers::confirmed(&msgs).unwrap_or_else(|| panic!("terminate confirmed: {msgs:?}"));
    assert!(d.contains("terminated"), "{d}");
    // The next poll sees both closed.
    let b = src.poll().await.unwrap();
    let st = |id: &str| b.runs.iter().find(|r| r.id == id).map(|r| r.state.clone());
    assert_eq!(st(&k1), Some(RunState::Stopped));
    assert_eq!(st(&k2), Some(RunState::Ended("terminated".into())));
}

/// Start a workflow no worker listens for (it stays running); its run id.
async fn post_no_worker(api: &str, wid: &str) -> String {
    let r = peers::post(
        &format!("{api}/workflows/{wid}"),
        json!({"workflowType": {"name": "AgentWorkflow"}, "taskQueue": {"name": "nobody-listens"}, "input": [20]}),
    )
    .await;
    r["runId"].as_str().unwrap().to_string()
}

/// Item 9: a retry loop is seen while it loops (every attempt, with the
/// failure before it), a long activity while it heartbeats; the counters
/// say so.
#[tokio::test(flavor = "multi_thread")]
async fn a_retry_loop_and_a_heartbeating_activity_are_seen_while_they_run() {
    let Some(peer) = peers::shared_temporal() else {
        return;
    };
    let a = api(&peer.url);
    let mut c = Console::start(&spec(&peer.url), http::client(), Duration::from_millis(200));
    let wid = id("bill");
    let run = peers::tm_start(&a, &wid, "BillingWorkflow", json!(["cust_42", 4, 3.0])).await;
    let key = format!("{wid}@{run}");
    c.until("two attempts while the card is declined", 60, |app| {
        let evs = events_of(app, &key);
        kind(&evs, "retry").len() >= 2 && kind(&evs, "tool_result").is_empty()
    })
    .await;
    let evs = events_of(&c.app, &key);
    let retries = kind(&evs, "retry");
    assert!(
        retries.iter().any(|e| e
            .summary
            .contains("card declined for cust_42: insufficient funds")),
        "{retries:#?}"
    );
    c.until("the export running, with a heartbeat", 60, |app| {
        let evs = events_of(app, &key);
        evs.iter()
            .any(|e| e.summary.starts_with("export_ledger running"))
            && evs
                .iter()
                .any(|e| e.summary.starts_with("export_ledger heartbeat"))
    })
    .await;
    assert!(peers::tm_status(&a, &wid, &run).await.ends_with("RUNNING"));
    peers::tm_wait_closed(&a, &wid, &run).await;
    c.until("the end", 60, |app| {
        run_of(app, &key).is_some_and(|r| r.state == RunState::Succeeded)
    })
    .await;
    let evs = events_of(&c.app, &key);
    let attempts: Vec<i64> = kind(&evs, "retry")
        .iter()
        .filter_map(|e| e.data.value()["attempt"].as_i64())
        .collect();
    assert_eq!(attempts.len(), 4, "attempts 2..=5, each once: {attempts:?}");
    let ri = c.app.store.run_idx("tm", &key).unwrap();
    let s = c.app.store.stats(ri);
    assert_eq!(
        (s.retries.get(), s.tool_calls.get()),
        (Some(4), Some(2)),
        "{s:?}"
    );
}

/// Item 10: a workflow id used again (after terminate) and continue-as-new
/// give separate runs, each with its own evidence.
#[tokio::test(flavor = "multi_thread")]
async fn reused_ids_and_continue_as_new_are_separate_runs() {
    let Some(peer) = peers::shared_temporal() else {
        return;
    };
    let a = api(&peer.url);
    let mut c = Console::start(&spec(&peer.url), http::client(), Duration::from_millis(200));
    let wid = id("reuse");
    let first = peers::tm_start(&a, &wid, "ApprovalWorkflow", json!(["draft one"])).await;
    c.until("the first execution", 60, |app| {
        run_of(app, &format!("{wid}@{first}")).is_some()
    })
    .await;
    peers::post(
        &format!("{a}/workflows/{wid}/terminate"),
        json!({"reason": "restart"}),
    )
    .await;
    let second = peers::tm_start(&a, &wid, "ApprovalWorkflow", json!(["draft two"])).await;
    assert_ne!(first, second);
    let (k1, k2) = (format!("{wid}@{first}"), format!("{wid}@{second}"));
    c.until("both executions", 60, |app| {
        run_of(app, &k1).is_some_and(|r| r.state == RunState::Ended("terminated".into()))
            && run_of(app, &k2).is_some_and(|r| r.state == RunState::Running)
    })
    .await;
    assert!(
        run_of(&c.app, &k2)
            .unwrap()
            .assignment
            .contains("draft two")
    );
    peers::post(
        &format!("{a}/workflows/{wid}/terminate"),
        json!({"reason": "done"}),
    )
    .await;

    let pid = id("poller");
    let last = peers::tm_start(&a, &pid, "PollerWorkflow", json!([3])).await;
    let _ = last;
    let all = async || {
        peers::get(&format!(
            "{a}/workflows?query={}",
            http::urlencode(&format!("WorkflowId='{pid}'"))
        ))
        .await
        .and_then(|v| v["executions"].as_array().cloned())
        .unwrap_or_default()
    };
    peers::wait_until("three rounds", 60, || async {
        let ex = all().await;
        ex.len() == 3
            && ex
                .iter()
                .all(|x| !x["status"].as_str().unwrap_or("").ends_with("RUNNING"))
    })
    .await;
    let keys: Vec<String> = all()
        .await
        .iter()
        .map(|x| format!("{pid}@{}", x["execution"]["runId"].as_str().unwrap()))
        .collect();
    c.until("every round, with its tool call", 60, |app| {
        keys.iter().all(|k| {
            events_of(app, k)
                .iter()
                .any(|e| e.tool.as_deref() == Some("crm_lookup") && e.kind.as_str() == "tool_call")
        })
    })
    .await;
    let continued = keys
        .iter()
        .filter(|k| {
            run_of(&c.app, k).is_some_and(|r| r.state == RunState::Ended("continued_as_new".into()))
        })
        .count();
    assert_eq!(continued, 2);
}

/// Items 11 and 12: payloads decoded (the assignment, arguments, results,
/// a signal's), who asked, parents and children; plain words.
#[tokio::test(flavor = "multi_thread")]
async fn payloads_signals_and_children_are_decoded() {
    let Some(peer) = peers::shared_temporal() else {
        return;
    };
    let a = api(&peer.url);
    let mut c = Console::start(&spec(&peer.url), http::client(), Duration::from_millis(200));
    let aid = id("approve");
    let ar = peers::tm_start(
        &a,
        &aid,
        "ApprovalWorkflow",
        json!(["refund notice for cohort B"]),
    )
    .await;
    let ak = format!("{aid}@{ar}");
    c.until("the approval run", 60, |app| {
        run_of(app, &ak).is_some_and(|r| !r.assignment.is_empty())
    })
    .await;
    let run = run_of(&c.app, &ak).unwrap();
    assert_eq!(run.assignment, "refund notice for cohort B");
    assert_eq!(run.requested_by, "ops-lead@laptop");
    peers::post(
        &format!("{a}/workflows/{aid}/signal/approve"),
        json!({"input": [{"approved": true, "by": "ops-lead"}], "identity": "alice@console"}),
    )
    .await;
    let bid = id("batch");
    let br = peers::tm_start(&a, &bid, "RefundBatch", json!([["c1", "c2"]])).await;
    let bk = format!("{bid}@{br}");
    peers::tm_wait_closed(&a, &aid, &ar).await;
    peers::tm_wait_closed(&a, &bid, &br).await;
    c.until("the signal, the send, and both children", 60, |app| {
        let evs = events_of(app, &ak);
        let children: Vec<&cordon::model::Run> = app
            .store
            .runs
            .iter()
            .filter(|r| r.id.starts_with(&format!("{bid}-c")))
            .collect();
        evs.iter().any(|e| e.kind.as_str() == "human_intervention")
            && evs.iter().any(|e| e.kind.as_str() == "tool_result")
            && children.len() == 2
            && children.iter().all(|r| !r.state.is_active())
    })
    .await;
    let evs = events_of(&c.app, &ak);
    let sig = kind(&evs, "human_intervention")[0];
    assert_eq!(
        sig.summary,
        "signal approve from alice@console: {\"approved\":true,\"by\":\"ops-lead\"}"
    );
    let call = kind(&evs, "tool_call")[0];
    assert_eq!(call.summary, "email_send(\"cohort B\")");
    assert_eq!(
        kind(&evs, "tool_result")[0].summary,
        "email_send → sent batch to cohort B"
    );
    let child = c
        .app
        .store
        .runs
        .iter()
        .find(|r| r.id.starts_with(&format!("{bid}-c1@")))
        .unwrap();
    assert_eq!(child.requested_by, format!("parent workflow {bk}"));
    assert_eq!(child.assignment, "c1");
    // The parent's inspector shows its children.
    common::keys(&mut c.app, "1/");
    common::keys(&mut c.app, &bk);
    c.app
        .update(common::key(ratatui::crossterm::event::KeyCode::Enter));
    c.app
        .update(common::key(ratatui::crossterm::event::KeyCode::Enter));
    let screen = common::screen(&mut c.app, 200, 50);
    let tree = screen
        .lines()
        .find(|l| l.contains("Parent / children"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(tree.contains(&format!("[{bk}] → {bid}-c")), "{tree}");
    let all: Vec<&Event> = c.app.store.events.iter().map(|s| &s.event).collect();
    assert!(all.iter().all(|e| !e.summary.contains("activity activity")));
    assert!(
        kind(&events_of(&c.app, &bk), "state_change")
            .iter()
            .any(|e| e.summary.starts_with(&format!("child {bid}-c2@"))
                && e.summary.contains("completed"))
    );
}

/// A workflow that ignores a cancel request stays running and keeps
/// calling its tool; the request is evidence; terminate ends it.
#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_that_ignores_cancel_shows_the_request_and_goes_on() {
    let Some(peer) = peers::shared_temporal() else {
        return;
    };
    let a = api(&peer.url);
    let mut c = Console::start(&spec(&peer.url), http::client(), Duration::from_millis(200));
    let wid = id("stubborn");
    let run = peers::tm_start(&a, &wid, "StubbornWorkflow", json!([0.3])).await;
    let key = format!("{wid}@{run}");
    c.until("its first send", 60, |app| {
        !kind(&events_of(app, &key), "tool_call").is_empty()
    })
    .await;
    peers::post(
        &format!("{a}/workflows/{wid}/cancel"),
        json!({"reason": "INC-7", "identity": "cordon"}),
    )
    .await;
    let seen = c
        .within(60, |app| {
            let evs = events_of(app, &key);
            let at = evs
                .iter()
                .position(|e| e.summary.starts_with("cancel requested"));
            at.is_some_and(|i| {
                evs[i..]
                    .iter()
                    .filter(|e| e.kind.as_str() == "tool_call")
                    .count()
                    >= 2
            })
        })
        .await;
    if !seen {
        let platform: Vec<String> = peers::tm_history(&a, &wid, &run)
            .await
            .iter()
            .map(|e| format!("{} {}", e["eventId"], e["eventType"]))
            .collect();
        let mine: Vec<String> = events_of(&c.app, &key)
            .iter()
            .map(|e| format!("{} {} {}", e.id, e.kind.as_str(), e.summary))
            .collect();
        panic!(
            "no sends after the cancel request; failures {:?}\nplatform: {platform:#?}\ncordon: {mine:#?}",
            c.failures
        );
    }
    assert_eq!(run_of(&c.app, &key).unwrap().state, RunState::Running);
    peers::post(
        &format!("{a}/workflows/{wid}/terminate"),
        json!({"reason": "ignored the cancel"}),
    )
    .await;
    c.until("terminated", 60, |app| {
        run_of(app, &key).is_some_and(|r| r.state == RunState::Ended("terminated".into()))
    })
    .await;
}

/// What a Temporal history holds of an execution: activities (scheduled,
/// attempts, how they closed), signals, workflow failures.
#[derive(Debug, Default)]
struct Truth {
    /// (run key, activity id, attempts, closed as)
    activities: Vec<(String, String, i64, &'static str)>,
    signals: Vec<(String, String)>,
    failures: Vec<String>,
}

impl Truth {
    async fn of(api: &str, keys: &[String]) -> Truth {
        let mut t = Truth::default();
        for k in keys {
            let (wid, run) = k.rsplit_once('@').unwrap();
            let h = peers::tm_history(api, wid, run).await;
            let mut by_sched: HashMap<String, (String, i64, &'static str)> = HashMap::new();
            for e in &h {
                let ty = e["eventType"].as_str().unwrap_or("");
                let eid = e["eventId"].as_str().unwrap_or("").to_string();
                let attrs = e
                    .as_object()
                    .and_then(|o| {
                        o.iter()
                            .find(|(k, _)| k.ends_with("EventAttributes"))
                            .map(|x| x.1.clone())
                    })
                    .unwrap_or(Value::Null);
                let sched = attrs["scheduledEventId"].as_str().unwrap_or("").to_string();
                match ty.trim_start_matches("EVENT_TYPE_") {
                    "ACTIVITY_TASK_SCHEDULED" => {
                        by_sched.insert(
                            eid,
                            (attrs["activityId"].as_str().unwrap().to_string(), 0, "open"),
                        );
                    }
                    "ACTIVITY_TASK_STARTED" => {
                        if let Some(x) = by_sched.get_mut(&sched) {
                            x.1 = attrs["attempt"].as_i64().unwrap_or(1);
                        }
                    }
                    "ACTIVITY_TASK_COMPLETED" => {
                        if let Some(x) = by_sched.get_mut(&sched) {
                            x.2 = "tool_result";
                        }
                    }
                    "ACTIVITY_TASK_FAILED" | "ACTIVITY_TASK_TIMED_OUT" => {
                        if let Some(x) = by_sched.get_mut(&sched) {
                            x.2 = "error";
                        }
                    }
                    "WORKFLOW_EXECUTION_SIGNALED" => {
                        t.signals.push((
                            k.clone(),
                            attrs["signalName"].as_str().unwrap_or("").to_string(),
                        ));
                    }
                    "WORKFLOW_EXECUTION_FAILED" => t.failures.push(k.clone()),
                    _ => {}
                }
            }
            for (_, (aid, n, closed)) in by_sched {
                t.activities.push((k.clone(), aid, n, closed));
            }
        }
        t
    }

    fn total(&self) -> usize {
        self.activities
            .iter()
            .map(|a| a.2.max(1) as usize + 1)
            .sum::<usize>()
            + self.signals.len()
            + self.failures.len()
    }

    fn compare(&self, evs: &[&Event]) -> (Vec<String>, Vec<String>) {
        let (mut missing, mut twice) = (vec![], vec![]);
        let mut check = |what: String, n: usize| match n {
            1 => {}
            0 => missing.push(what),
            _ => twice.push(what),
        };
        let act = |e: &Event| e.data.value()["activity_id"].as_str().map(String::from);
        for (k, aid, attempts, closed) in &self.activities {
            let mine: Vec<&&Event> = evs
                .iter()
                .filter(|e| e.run_id == k.as_str() && act(e).as_deref() == Some(aid))
                .collect();
            check(
                format!("{k} activity {aid} call"),
                mine.iter()
                    .filter(|e| e.kind.as_str() == "tool_call")
                    .count(),
            );
            for n in 2..=*attempts {
                check(
                    format!("{k} activity {aid} attempt {n}"),
                    mine.iter()
                        .filter(|e| {
                            e.kind.as_str() == "retry"
                                && e.data.value()["attempt"].as_i64() == Some(n)
                        })
                        .count(),
                );
            }
            if *closed != "open" {
                check(
                    format!("{k} activity {aid} {closed}"),
                    mine.iter().filter(|e| e.kind.as_str() == *closed).count(),
                );
            }
        }
        for (k, s) in &self.signals {
            check(
                format!("{k} signal {s}"),
                evs.iter()
                    .filter(|e| e.run_id == k.as_str() && e.kind.as_str() == "human_intervention")
                    .filter(|e| e.summary.starts_with(&format!("signal {s}")))
                    .count(),
            );
        }
        for k in &self.failures {
            check(
                format!("{k} workflow failed"),
                evs.iter()
                    .filter(|e| e.run_id == k.as_str() && e.summary.starts_with("workflow failed"))
                    .count(),
            );
        }
        (missing, twice)
    }
}

/// Done when: with stalls, resets and 5xx injected between cordon and the
/// server while workflows retry, fan out to children, take signals and
/// continue as new, every activity attempt (and result, error, signal)
/// the server's own history holds is in cordon's journal exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn every_attempt_the_server_holds_is_journaled_once_under_faults() {
    let Some(peer) = peers::shared_temporal() else {
        return;
    };
    let a = api(&peer.url);
    let proxy = Proxy::start(
        &peer.url,
        vec![
            Rule::new("/history", Fault::Status(500), 4, 8),
            Rule::new("/history", Fault::Reset, 7, 3),
            Rule::new("execution.runId", Fault::Status(503), 5, 4),
            Rule::new("/workflows?query", Fault::Stall, 8, 2),
            Rule::new("/workflow-count", Fault::Status(502), 3, 3),
        ],
    )
    .await;
    let mut c = Console::start(
        &spec(&proxy.url),
        quick_client(),
        Duration::from_millis(250),
    );
    let (bill, batch, appr, poll) = (id("dbill"), id("dbatch"), id("dappr"), id("dpoll"));
    let mut roots = vec![
        (
            bill.clone(),
            peers::tm_start(&a, &bill, "BillingWorkflow", json!(["cust_9", 3, 0.6])).await,
        ),
        (
            batch.clone(),
            peers::tm_start(&a, &batch, "RefundBatch", json!([["x1", "x2", "x3"]])).await,
        ),
        (
            appr.clone(),
            peers::tm_start(&a, &appr, "ApprovalWorkflow", json!(["d"])).await,
        ),
        (
            poll.clone(),
            peers::tm_start(&a, &poll, "PollerWorkflow", json!([2])).await,
        ),
    ];
    peers::post(
        &format!("{a}/workflows/{appr}/signal/approve"),
        json!({"input": [{"approved": true}], "identity": "alice@console"}),
    )
    .await;
    for (w, r) in &roots {
        peers::tm_wait_closed(&a, w, r).await;
    }
    // Every execution of these ids: the continued ones and the children too.
    let mut keys = Vec::new();
    let q = format!("WorkflowId='{poll}' OR WorkflowId STARTS_WITH '{batch}-'");
    let more = peers::get(&format!("{a}/workflows?query={}", http::urlencode(&q)))
        .await
        .and_then(|v| v["executions"].as_array().cloned())
        .unwrap_or_default();
    for x in more {
        let k = (
            x["execution"]["workflowId"].as_str().unwrap().to_string(),
            x["execution"]["runId"].as_str().unwrap().to_string(),
        );
        if !roots.contains(&k) {
            roots.push(k);
        }
    }
    for (w, r) in &roots {
        peers::tm_wait_closed(&a, w, r).await;
        keys.push(format!("{w}@{r}"));
    }
    assert_eq!(keys.len(), 4 + 1 + 3, "{keys:?}");
    let truth = Truth::of(&a, &keys).await;
    assert!(truth.activities.iter().any(|x| x.2 >= 4), "{truth:?}");
    let converged = c
        .within(120, |app| {
            let evs: Vec<&Event> = keys.iter().flat_map(|k| events_of(app, k)).collect();
            truth.compare(&evs).0.is_empty()
                && keys
                    .iter()
                    .all(|k| run_of(app, k).is_some_and(|r| !r.state.is_active()))
        })
        .await;
    let platform = format!(
        "{} facts ({} activities, {} attempts, {} signals, {} workflow failures) over {} executions",
        truth.total(),
        truth.activities.len(),
        truth.activities.iter().map(|x| x.2).sum::<i64>(),
        truth.signals.len(),
        truth.failures.len(),
        keys.len()
    );
    let set: HashSet<&str> = keys.iter().map(String::as_str).collect();
    c.check_journal("temporal", &platform, &set, |e| truth.compare(e), &proxy);
    assert!(converged, "every execution shown closed");
}

/// Reach: Temporal Cloud API keys are sent as a bearer; agents named by a
/// memo field or a search attribute; several namespaces are several
/// sources; bad specs are refused at start.
#[tokio::test(flavor = "multi_thread")]
async fn auth_naming_and_namespaces() {
    let Some(peer) = peers::shared_temporal() else {
        return;
    };
    let base = peer.url.clone();
    let proxy = Proxy::start(&base, vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "tcloud_test_key_456").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let s: SourceSpec = format!(
        "tm=temporal:{}?namespace=default&api_key_file={}",
        proxy.url,
        key.display()
    )
    .parse()
    .unwrap();
    let (mut src, _) = build_pair(&s, http::client()).unwrap();
    src.poll().await.unwrap();
    let reqs = proxy.requests();
    assert!(!reqs.is_empty());
    assert!(reqs.iter().all(|r| {
        r.headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some("Bearer tcloud_test_key_456")
    }));

    // Named by memo, and by search attribute.
    let a = api(&base);
    let wid = id("named");
    peers::post(
        &format!("{a}/workflows/{wid}"),
        json!({"workflowType": {"name": "AgentWorkflow"}, "taskQueue": {"name": "nobody-listens"},
               "input": [1], "memo": {"fields": {"agent": "refund-bot-7"}},
               "searchAttributes": {"indexedFields": {"AgentName": "billing-agent"}}}),
    )
    .await;
    for (param, want) in [
        ("memo:agent", "refund-bot-7"),
        ("search:AgentName", "billing-agent"),
    ] {
        let s: SourceSpec = format!("tm=temporal:{base}?agent={param}").parse().unwrap();
        let (mut src, _) = build_pair(&s, http::client()).unwrap();
        let mut found = None;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while found.is_none() {
            assert!(std::time::Instant::now() < deadline, "{wid} listed");
            let runs = src.list_active().await.unwrap();
            found = runs
                .into_iter()
                .find(|r| r.id.starts_with(&format!("{wid}@")));
            if found.is_none() {
                // Visibility lags a start a little.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        assert_eq!(found.unwrap().agent, want, "{param}");
    }
    peers::post(
        &format!("{a}/workflows/{wid}/terminate"),
        json!({"reason": "done"}),
    )
    .await;

    // Two namespaces, two sources.
    let both: SourceSpec = format!("tm=temporal:{base}?namespace=default,billing")
        .parse()
        .unwrap();
    let specs = both.expand();
    assert_eq!(specs.len(), 2);
    let bid = id("in-billing");
    peers::post(
        &format!("{base}/api/v1/namespaces/billing/workflows/{bid}"),
        json!({"workflowType": {"name": "AgentWorkflow"}, "taskQueue": {"name": "nobody-listens"}, "input": [1]}),
    )
    .await;
    let (mut billing, _) = build_pair(&specs[1], http::client()).unwrap();
    assert_eq!(billing.name(), "tm.billing");
    let runs = billing.list_active().await.unwrap();
    assert!(
        runs.iter().any(|r| r.id.starts_with(&format!("{bid}@"))),
        "{runs:?}"
    );
    let (mut default, _) = build_pair(&specs[0], http::client()).unwrap();
    let runs = default.list_active().await.unwrap();
    assert!(!runs.iter().any(|r| r.id.starts_with(&format!("{bid}@"))));
    peers::post(
        &format!("{base}/api/v1/namespaces/billing/workflows/{bid}/terminate"),
        json!({"reason": "done"}),
    )
    .await;

    // Refused at start, saying why.
    for (q, want) in [
        (
            "api_key_env=CORDON_SURELY_UNSET_VAR",
            "CORDON_SURELY_UNSET_VAR is not set",
        ),
        (
            "tls_cert=/nonexistent.pem",
            "mTLS needs both tls_cert and tls_key",
        ),
        (
            "tls_cert=/nonexistent.pem&tls_key=/nonexistent.key",
            "cannot read /nonexistent.pem",
        ),
        ("agent=label:x", "agent=memo:KEY or agent=search:ATTRIBUTE"),
        ("nmespace=x", "unknown URL parameter 'nmespace'"),
    ] {
        let s: SourceSpec = format!("tm=temporal:{base}?{q}").parse().unwrap();
        let e = build_pair(&s, http::client()).err().unwrap();
        assert!(e.contains(want), "{q}: {e}");
    }
}

/// `cordon drill` on this server, whose workflow pause is off (the dev
/// server's default): the pause row says the server lacks it, which is a
/// finding (with its fix), not a failure; cancel and terminate are
/// confirmed on canaries on the drill queue.
#[tokio::test(flavor = "multi_thread")]
async fn a_drill_where_the_server_has_no_pause_says_so_and_drills_the_rest() {
    let Some(peer) = peers::shared_temporal() else {
        return;
    };
    let d = peers::drill::run(
        &format!("tm=temporal:{}", peer.url),
        &[
            "--canary-task-queue",
            peers::DRILL_QUEUE,
            "--verify-timeout",
            "15",
        ],
    )
    .await;
    assert_eq!(d.code, Some(0), "{}\n{}", d.stderr, d.report);
    assert!(
        d.report.contains("**READY**: 2 of 3")
            && d.report.contains("1 not available on the server"),
        "{}",
        d.report
    );
    let pause = d.row("pause_workflow");
    assert!(
        pause.contains("— (not available on this server)"),
        "{pause}"
    );
    assert!(pause.contains("unknown (the server lacks it)"), "{pause}");
    assert!(
        d.report.contains("- **tm pause_workflow**: offered, but this server does not have it (pause is not enabled on this Temporal namespace"),
        "{}",
        d.report
    );
    assert!(d.row("terminate_run").contains("| CONFIRMED in"));
    assert!(d.row("stop_run").contains("| CONFIRMED in"));
    // Nothing of the drill left running on the server.
    for id in d.canary_runs() {
        let (wid, run) = id.split_once('@').unwrap();
        let st = peers::tm_status(&api(&peer.url), wid, run).await;
        assert!(
            st.ends_with("TERMINATED") || st.ends_with("CANCELED"),
            "{id}: {st}"
        );
    }
}
