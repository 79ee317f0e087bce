//! Strict containment against the real peers: a LangGraph run with runs
//! queued behind it on its thread (they start the moment it stops: the
//! dry run names them, and stopping them first keeps them from starting),
//! a stop or a rollback of a run that has ended (nothing to stop, nothing
//! to roll back: never CONFIRMED), and a Temporal cancel of an execution
//! that had already closed.

mod common;
mod peers;

use cordon::contain::ActionMsg;
use cordon::model::{ActionKind, ActionPhase, Target};
use cordon::source::{SourceSpec, build_pair, http};
use serde_json::{Value, json};

fn on_run(id: &str) -> Target {
    Target {
        run_id: Some(id.into()),
        ..Target::default()
    }
}

fn verdict(msgs: &[ActionMsg]) -> (ActionPhase, String) {
    msgs.iter()
        .rev()
        .find_map(|m| match m {
            ActionMsg::Verified {
                outcome, detail, ..
            } => Some((*outcome, detail.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no verdict: {msgs:?}"))
}

async fn lg_status(base: &str, tid: &str, rid: &str) -> String {
    let v: Value = http::client()
        .get(format!("{base}/threads/{tid}/runs/{rid}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["status"].as_str().unwrap_or("").to_string()
}

/// Another run on the same thread, queued behind the running one.
async fn enqueue(base: &str, tid: &str) -> String {
    let r: Value = http::client()
        .post(format!("{base}/threads/{tid}/runs"))
        .json(
            &json!({"assistant_id": "support_agent", "input": {"sleep": 1.0, "loops": 20},
                      "multitask_strategy": "enqueue"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["run_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn langgraph_what_starts_next_and_runs_that_ended() {
    let Some(peer) = peers::langgraph().await else {
        return;
    };
    let base = peer.url.clone();
    let spec: SourceSpec = format!("lg=langgraph:{base}").parse().unwrap();
    let (mut src, actor) = build_pair(&spec, http::client()).unwrap();
    let (tid, r1) = peers::start_run(&base, 1.0, 20).await;
    let (r2, r3) = (enqueue(&base, &tid).await, enqueue(&base, &tid).await);
    peers::wait_until("the first run running", 30, || {
        let (b, t, r) = (base.clone(), tid.clone(), r1.clone());
        async move { lg_status(&b, &t, &r).await == "running" }
    })
    .await;
    src.poll().await.unwrap();
    // The dry run names the runs that would start next.
    let dry = actor
        .dry_run(ActionKind::StopRun, on_run(&r1))
        .await
        .unwrap();
    assert_eq!(dry.affected_runs, vec![r1.clone()]);
    let mut next = dry.starts_next.clone();
    next.sort();
    let mut want = vec![r2.clone(), r3.clone()];
    want.sort();
    assert_eq!(next, want, "the queued runs on its thread");
    // Stopping them first, then the run: none of them starts.
    for r in [&r2, &r3, &r1] {
        let msgs = peers::act(actor.clone(), ActionKind::StopRun, on_run(r)).await;
        let (phase, detail) = verdict(&msgs);
        assert_eq!(phase, ActionPhase::Confirmed, "{r}: {detail}");
        assert!(detail.contains("interrupted"), "{detail}");
    }
    for r in [&r1, &r2, &r3] {
        assert_eq!(lg_status(&base, &tid, r).await, "interrupted");
    }
    // x on the stopped run again: already ended, nothing to stop.
    let msgs = peers::act(actor.clone(), ActionKind::StopRun, on_run(&r1)).await;
    let (phase, detail) = verdict(&msgs);
    assert_eq!(phase, ActionPhase::AlreadyEnded, "{detail}");
    assert!(detail.contains("nothing to stop"), "{detail}");
    // A run that finished on its own: a stop is already ended, and
    // LangGraph's rollback (which only cancels and deletes an active run)
    // has nothing to roll back. Neither is CONFIRMED.
    let (t4, r4) = peers::start_run(&base, 0.01, 1).await;
    peers::wait_until("the short run to finish", 60, || {
        let (b, t, r) = (base.clone(), t4.clone(), r4.clone());
        async move { lg_status(&b, &t, &r).await == "success" }
    })
    .await;
    let msgs = peers::act(actor.clone(), ActionKind::StopRun, on_run(&r4)).await;
    assert_eq!(verdict(&msgs).0, ActionPhase::AlreadyEnded, "{msgs:?}");
    let dry = actor
        .dry_run(ActionKind::RollbackRun, on_run(&r4))
        .await
        .unwrap();
    assert_eq!(dry.reverts, Some(vec![]), "nothing to roll back: {dry:?}");
    let msgs = peers::act(actor.clone(), ActionKind::RollbackRun, on_run(&r4)).await;
    let (phase, detail) = verdict(&msgs);
    assert_eq!(phase, ActionPhase::NothingToDo, "{detail}");
    assert_eq!(
        lg_status(&base, &t4, &r4).await,
        "success",
        "left as it was"
    );
}

#[tokio::test]
async fn temporal_cancel_of_a_closed_execution_is_already_ended() {
    let Some(peer) = peers::temporal(None).await else {
        return;
    };
    let base = peer.server.url.clone();
    let api = format!("{base}/api/v1/namespaces/default");
    let spec: SourceSpec = format!("tm=temporal:{base}?namespace=default")
        .parse()
        .unwrap();
    let (_, actor) = build_pair(&spec, http::client()).unwrap();
    let c = http::client();
    let r = c
        .post(format!("{api}/workflows/closed-one"))
        .json(&json!({"workflowType": {"name": "AgentWorkflow"}, "taskQueue": {"name": "nobody"}, "input": [20]}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let r = c
        .post(format!("{api}/workflows/closed-one/terminate"))
        .json(&json!({"reason": "test"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let msgs = peers::act(actor.clone(), ActionKind::StopRun, on_run("closed-one")).await;
    let (phase, detail) = verdict(&msgs);
    assert_eq!(phase, ActionPhase::AlreadyEnded, "{detail}");
    assert!(detail.contains("terminated"), "{detail}");
}
