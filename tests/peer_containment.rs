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
use cordon::source::http;
use serde_json::json;

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

#[tokio::test]
async fn langgraph_what_starts_next_and_runs_that_ended() {
    let Some(peer) = peers::langgraph().await else {
        return;
    };
    let base = peer.url.clone();
    let (mut src, actor) = peers::pair(&format!("lg=langgraph:{base}"));
    let (tid, first) = peers::start_run(&base, 1.0, 20).await;
    let mut all = vec![
        first,
        peers::enqueue_run(&base, &tid).await,
        peers::enqueue_run(&base, &tid).await,
    ];
    // The server runs one of them (the first, normally); the others wait
    // behind it on the thread.
    peers::wait_until("a run of the thread running", 120, || {
        let (b, t, all) = (base.clone(), tid.clone(), all.clone());
        async move {
            for r in &all {
                if peers::lg_status(&b, &t, r).await.as_deref() == Some("running") {
                    return true;
                }
            }
            false
        }
    })
    .await;
    let mut head = 0;
    for (i, r) in all.iter().enumerate() {
        if peers::lg_status(&base, &tid, r).await.as_deref() == Some("running") {
            head = i;
        }
    }
    let r1 = all.remove(head);
    let (r2, r3) = (all[0].clone(), all[1].clone());
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
        assert_eq!(
            peers::lg_status(&base, &tid, r).await.as_deref(),
            Some("interrupted")
        );
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
    peers::lg_wait_status(&base, &t4, &r4, "success").await;
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
        peers::lg_status(&base, &t4, &r4).await.as_deref(),
        Some("success"),
        "left as it was"
    );
    // A hold with nothing pending and no cron held nothing.
    let msgs = peers::act(
        actor.clone(),
        ActionKind::HoldQueue,
        Target {
            workflow: Some("no-such-workflow".into()),
            ..Target::default()
        },
    )
    .await;
    let (phase, detail) = verdict(&msgs);
    assert_eq!(phase, ActionPhase::NothingToDo, "{detail}");
}

#[tokio::test]
async fn temporal_cancel_of_a_closed_execution_is_already_ended() {
    let Some(peer) = peers::temporal(None).await else {
        return;
    };
    let base = peer.server.url.clone();
    let api = format!("{base}/api/v1/namespaces/default");
    let (_, actor) = peers::pair(&format!("tm=temporal:{base}?namespace=default"));
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
