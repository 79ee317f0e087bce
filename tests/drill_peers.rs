//! `cordon drill` (the real binary) against the real LangGraph and
//! Temporal servers, on canaries the test names: the drill assistant
//! `drill_canary` (peers/langgraph/drill.py) and the `DrillCanary` workflow
//! on the harness's drill task queue (peers/temporal/worker.py). The
//! readiness report's rows are checked, and then what the platforms
//! themselves hold: the canaries cordon started, each ended the way the
//! report says, and nothing of them left running.

mod peers;

use serde_json::{Value, json};

/// Threads the drill started (its canary metadata), as LangGraph has them.
async fn lg_canary_threads(base: &str) -> Vec<Value> {
    peers::post(
        &format!("{base}/threads/search"),
        json!({"metadata": {"canary": true}, "limit": 100}),
    )
    .await
    .as_array()
    .cloned()
    .unwrap_or_default()
}

async fn lg_runs(base: &str, tid: &str) -> Vec<(String, String)> {
    peers::get(&format!("{base}/threads/{tid}/runs?limit=100"))
        .await
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r["run_id"].as_str().unwrap_or_default().to_string(),
                r["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_langgraph_drill_on_the_drill_assistant_confirms_each_kind() {
    let Some(peer) = peers::shared_langgraph() else {
        return;
    };
    let base = peer.url.clone();
    let d = peers::drill::run(
        &format!("lg=langgraph:{base}"),
        &[
            "--canary-assistant",
            "drill_canary",
            "--verify-timeout",
            "15",
        ],
    )
    .await;
    assert_eq!(d.code, Some(0), "{}\n{}", d.stderr, d.report);
    assert!(d.report.contains("**READY**: 3 of 3"), "{}", d.report);
    assert!(
        d.report
            .contains("(workflow drill, agent class drill_canary), started by the platform"),
        "{}",
        d.report
    );
    // The hold acted on the run queued behind the canary, and was lifted.
    let hold = d.row("hold_queue");
    assert!(hold.contains("workflow drill"), "{hold}");
    assert!(hold.contains("1 run(s), in"), "{hold}");
    assert!(hold.contains("| CONFIRMED in"), "{hold}");
    assert!(hold.contains("release_queue CONFIRMED in"), "{hold}");
    let stop = d.row("stop_run");
    assert!(stop.contains("| CONFIRMED in"), "{stop}");
    // The rollback, on a fresh canary (LangGraph rolls back only an active
    // run): proven by the run being gone, and said to revert nothing
    // outside LangGraph.
    let rb = d.row("rollback_run");
    assert!(rb.contains("| CONFIRMED in"), "{rb}");
    assert!(rb.contains("the run is gone on a fresh read"), "{rb}");
    assert!(
        d.report
            .contains("rollback_run was drilled on a fresh canary"),
        "{}",
        d.report
    );
    assert!(
        d.report
            .contains("What a confirmed action here does not prove")
            && d.report.contains("it reverts nothing outside LangGraph"),
        "{}",
        d.report
    );

    // What LangGraph holds: two canary threads; on the first, the canary
    // stopped (interrupted) and the run queued behind it cancelled by the
    // hold; on the second, the rolled-back canary deleted.
    let threads = lg_canary_threads(&base).await;
    assert_eq!(threads.len(), 2, "{threads:?}");
    let mut per_thread = Vec::new();
    for t in &threads {
        assert_eq!(t["metadata"]["workflow"], "drill");
        assert_eq!(t["metadata"]["created_by"], "cordon drill");
        per_thread.push(lg_runs(&base, t["thread_id"].as_str().unwrap()).await);
    }
    per_thread.sort_by_key(|r| r.len());
    assert_eq!(per_thread[0], vec![], "the rolled-back canary is deleted");
    let statuses: Vec<&str> = per_thread[1].iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(statuses, ["interrupted", "interrupted"], "{per_thread:?}");

    // Journaled as a drill: every run the platform holds of it marked as a
    // canary, every action confirmed under its intent.
    let mut on_platform: Vec<String> = per_thread[1].iter().map(|(id, _)| id.clone()).collect();
    let marked = d.canary_runs();
    for id in &on_platform {
        assert!(marked.contains(id), "{id} not marked a canary: {marked:?}");
    }
    assert_eq!(marked.len(), 3, "{marked:?}");
    on_platform.retain(|id| !marked.contains(id));
    assert!(on_platform.is_empty());
    assert_eq!(d.named_canaries().len(), 2, "{:?}", d.named_canaries());
    assert_eq!(d.intents_and_confirmations(), (4, 4));
    assert_eq!(d.canaries_journaled_active(), Vec::<String>::new());
}

/// Temporal: an execution's status and its history's event types.
async fn tm_executions(api: &str, wtype: &str) -> Vec<(String, String, String)> {
    let q = cordon::source::http::urlencode(&format!("WorkflowType=\"{wtype}\""));
    peers::get(&format!("{api}/workflows?query={q}"))
        .await
        .and_then(|v| v["executions"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let s = |p: &str| {
                e.pointer(p)
                    .and_then(|x| x.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            (
                s("/execution/workflowId"),
                s("/execution/runId"),
                s("/status"),
            )
        })
        .collect()
}

/// What happened to the execution itself, in its history's order (its
/// start left out): the controls it met and how it closed.
async fn tm_controls_seen(api: &str, wid: &str, run: &str) -> Vec<String> {
    peers::tm_history(api, wid, run)
        .await
        .iter()
        .filter_map(|e| e["eventType"].as_str()?.strip_prefix("EVENT_TYPE_"))
        .filter(|t| t.starts_with("WORKFLOW_EXECUTION_") && *t != "WORKFLOW_EXECUTION_STARTED")
        .map(String::from)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_temporal_drill_on_the_drill_queue_confirms_cancel_terminate_and_pause() {
    let Some(peer) = peers::shared_temporal_with_pause() else {
        return;
    };
    let api = format!("{}/api/v1/namespaces/default", peer.url);
    let d = peers::drill::run(
        &format!("tm=temporal:{}", peer.url),
        &[
            "--canary-task-queue",
            peers::DRILL_QUEUE,
            "--canary-workflow-type",
            "DrillCanary",
            "--verify-timeout",
            "15",
        ],
    )
    .await;
    assert_eq!(d.code, Some(0), "{}\n{}", d.stderr, d.report);
    assert!(d.report.contains("**READY**: 3 of 3"), "{}", d.report);
    let pause = d.row("pause_workflow");
    assert!(pause.contains("workflow DrillCanary"), "{pause}");
    assert!(pause.contains("| CONFIRMED in"), "{pause}");
    assert!(pause.contains("resume_workflow CONFIRMED in"), "{pause}");
    assert!(d.row("terminate_run").contains("| CONFIRMED in"));
    assert!(d.row("stop_run").contains("| CONFIRMED in"));
    assert!(
        d.report.contains("stop_run was drilled on a fresh canary"),
        "{}",
        d.report
    );

    // What Temporal holds: two canaries, each closed the way the report
    // says, its history holding exactly the controls the drill confirmed.
    let mut execs = tm_executions(&api, "DrillCanary").await;
    execs.sort_by(|a, b| a.2.cmp(&b.2));
    let statuses: Vec<&str> = execs.iter().map(|e| e.2.as_str()).collect();
    assert_eq!(
        statuses,
        [
            "WORKFLOW_EXECUTION_STATUS_CANCELED",
            "WORKFLOW_EXECUTION_STATUS_TERMINATED"
        ],
        "{execs:?}"
    );
    let (c, t) = (&execs[0], &execs[1]);
    assert_eq!(
        tm_controls_seen(&api, &t.0, &t.1).await,
        [
            "WORKFLOW_EXECUTION_PAUSED",
            "WORKFLOW_EXECUTION_UNPAUSED",
            "WORKFLOW_EXECUTION_TERMINATED"
        ]
    );
    assert_eq!(
        tm_controls_seen(&api, &c.0, &c.1).await,
        [
            "WORKFLOW_EXECUTION_CANCEL_REQUESTED",
            "WORKFLOW_EXECUTION_CANCELED"
        ]
    );
    let ids: Vec<String> = {
        let mut v: Vec<String> = execs.iter().map(|e| format!("{}@{}", e.0, e.1)).collect();
        v.sort();
        v
    };
    assert_eq!(d.canary_runs(), ids);
    assert_eq!(d.intents_and_confirmations(), (4, 4));
    assert_eq!(d.canaries_journaled_active(), Vec::<String>::new());
}
