//! Against the real Temporal dev server (`temporal server start-dev`), with
//! the project's Python worker for the graceful cancel.

mod common;
mod peers;

use std::time::Duration;

use cordon::contain::ActionMsg;
use cordon::model::{ActionKind, RunState, Target};
use cordon::source::{SourceSpec, build_pair, http};
use serde_json::{Value, json};

async fn start_wf(api: &str, id: &str, queue: &str) {
    let r = http::client()
        .post(format!("{api}/workflows/{id}"))
        .json(&json!({"workflowType": {"name": "AgentWorkflow"}, "taskQueue": {"name": queue}, "input": [20]}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

async fn status(api: &str, id: &str) -> String {
    let v: Value = http::client()
        .get(format!("{api}/workflows/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v.pointer("/workflowExecutionInfo/status")
        .and_then(|s| s.as_str())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn temporal_list_history_cancel_terminate_pause() {
    let Some(peer) = peers::temporal(Some("agents")).await else {
        return;
    };
    let base = peer.server.url.clone();
    let api = format!("{base}/api/v1/namespaces/default");
    let spec: SourceSpec = format!("tm=temporal:{base}?namespace=default")
        .parse()
        .unwrap();
    let (mut src, actor) = build_pair(&spec, http::client()).unwrap();

    // One with a worker (graceful cancel runs its code), one without.
    start_wf(&api, "agent-with-worker", "agents").await;
    start_wf(&api, "agent-no-worker", "nobody-listens").await;
    let b = src.poll().await.unwrap();
    let ids: Vec<&str> = b.runs.iter().map(|r| r.id.as_str()).collect();
    assert!(
        ids.contains(&"agent-with-worker") && ids.contains(&"agent-no-worker"),
        "{ids:?}"
    );
    let r = b.runs.iter().find(|r| r.id == "agent-with-worker").unwrap();
    assert_eq!(
        (r.state.clone(), r.workflow.as_str(), r.agent_class.as_str()),
        (RunState::Running, "AgentWorkflow", "agents")
    );
    // Its history: activities as tool calls, the flaky first attempt as a retry.
    let mut events = b.events.clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !(events.iter().any(|e| e.kind.as_str() == "tool_call")
        && events.iter().any(|e| e.kind.as_str() == "retry"))
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
            .any(|e| e.kind.as_str() == "assignment" && e.run_id == "agent-with-worker")
    );
    let ids: std::collections::HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
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

    // stop_run = cancel: the worker's code runs, the execution closes as canceled.
    let msgs = peers::act(
        actor.clone(),
        ActionKind::StopRun,
        Target {
            run_id: Some("agent-with-worker".into()),
            ..Target::default()
        },
    )
    .await;
    let d = peers::confirmed(&msgs).unwrap_or_else(|| panic!("cancel confirmed: {msgs:?}"));
    assert!(d.contains("canceled"), "{d}");
    assert_eq!(
        status(&api, "agent-with-worker").await,
        "WORKFLOW_EXECUTION_STATUS_CANCELED"
    );

    // terminate_run: closes at once, no worker needed.
    let msgs = peers::act(
        actor.clone(),
        ActionKind::TerminateRun,
        Target {
            run_id: Some("agent-no-worker".into()),
            ..Target::default()
        },
    )
    .await;
    let d = peers::confirmed(&msgs).unwrap_or_else(|| panic!("terminate confirmed: {msgs:?}"));
    assert!(d.contains("terminated"), "{d}");
    assert_eq!(
        status(&api, "agent-no-worker").await,
        "WORKFLOW_EXECUTION_STATUS_TERMINATED"
    );

    // The next poll sees both closed.
    let b = src.poll().await.unwrap();
    let st = |id: &str| b.runs.iter().find(|r| r.id == id).map(|r| r.state.clone());
    assert_eq!(st("agent-with-worker"), Some(RunState::Stopped));
    assert_eq!(
        st("agent-no-worker"),
        Some(RunState::Other("terminated".into()))
    );
    drop(peer.grpc);
}
