//! Against the real LangGraph Agent Server (`langgraph dev`, in-memory)
//! running the project's LLM-free graph.

mod common;
mod peers;

use std::time::Duration;

use cordon::model::{ActionKind, RunState, Target};
use cordon::source::{SourceSpec, build_pair, http};
use serde_json::{Value, json};

fn client() -> reqwest::Client {
    http::client()
}

use peers::{lg_status as status, lg_wait_status as wait_status};

#[tokio::test]
async fn langgraph_list_timeline_stop_rollback_hold() {
    let Some(peer) = peers::langgraph().await else {
        return;
    };
    let base = peer.url.clone();
    let spec: SourceSpec = format!("lg=langgraph:{base}").parse().unwrap();
    let (mut src, actor) = build_pair(&spec, http::client()).unwrap();

    // A running run is listed within one poll, with its steps in the timeline.
    let (t1, r1) = peers::start_run(&base, 1.0, 20).await;
    wait_status(&base, &t1, &r1, "running").await;
    let b = src.poll().await.unwrap();
    let run = b
        .runs
        .iter()
        .find(|r| r.id == r1)
        .expect("listed within one poll");
    assert_eq!(run.state, RunState::Running);
    assert_eq!(run.workflow, "refund-followups");
    assert_eq!(run.agent_class, "support_agent");
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
    assert!(events.iter().all(|e| e.run_id == r1));
    assert!(
        events
            .iter()
            .any(|e| e.kind.as_str() == "state_change" && e.summary.starts_with("step"))
    );
    let send = events
        .iter()
        .find(|e| e.tool.as_deref() == Some("email_send"));
    if let Some(s) = send {
        assert!(s.outbound);
    }
    let ids: std::collections::HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
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
    assert_eq!(
        status(&base, &t1, &r1).await.as_deref(),
        Some("interrupted")
    );

    // rollback_run → the run is gone.
    let (t2, r2) = peers::start_run(&base, 1.0, 20).await;
    wait_status(&base, &t2, &r2, "running").await;
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
    assert_eq!(status(&base, &t2, &r2).await, None);

    // hold_queue → pending runs cancelled and crons disabled, the running
    // one left alone; release_queue re-enables the crons it held.
    let c = client();
    let cron: Value = c
        .post(format!("{base}/runs/crons"))
        .json(&json!({"assistant_id": "support_agent", "schedule": "0 3 * * *", "input": {"sleep": 0.1, "loops": 1}, "metadata": {"workflow": "nightly"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cron_id = cron["cron_id"].as_str().expect("cron created").to_string();
    let cron_enabled = |id: String| {
        let c = c.clone();
        let base = base.clone();
        async move {
            let all: Value = c
                .post(format!("{base}/runs/crons/search"))
                .json(&json!({"limit": 100}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            all.as_array()
                .unwrap()
                .iter()
                .find(|x| x["cron_id"] == id.as_str())
                .unwrap()["enabled"]
                .as_bool()
                .unwrap_or(true)
        }
    };
    assert!(cron_enabled(cron_id.clone()).await);
    let (t3, r3) = peers::start_run(&base, 1.0, 20).await;
    wait_status(&base, &t3, &r3, "running").await;
    let (t4, r4) = peers::start_run(&base, 1.0, 20).await;
    let (t5, r5) = peers::start_run(&base, 1.0, 20).await;
    assert_eq!(status(&base, &t4, &r4).await.as_deref(), Some("pending"));
    src.poll().await.unwrap();
    let dry = actor
        .dry_run(ActionKind::HoldQueue, Target::default())
        .await
        .unwrap();
    let mut affected = dry.affected_runs.clone();
    affected.sort();
    let mut want = vec![r4.clone(), r5.clone(), format!("cron:{cron_id}")];
    want.sort();
    assert_eq!(
        affected, want,
        "the blast radius is the pending runs and the crons"
    );
    let msgs = peers::act(actor.clone(), ActionKind::HoldQueue, Target::default()).await;
    assert!(peers::confirmed(&msgs).is_some(), "{msgs:?}");
    assert_eq!(status(&base, &t3, &r3).await.as_deref(), Some("running"));
    assert_ne!(status(&base, &t4, &r4).await.as_deref(), Some("pending"));
    assert_ne!(status(&base, &t5, &r5).await.as_deref(), Some("pending"));
    assert!(
        !cron_enabled(cron_id.clone()).await,
        "the cron is disabled while held"
    );
    let msgs = peers::act(actor.clone(), ActionKind::ReleaseQueue, Target::default()).await;
    assert!(peers::confirmed(&msgs).is_some(), "{msgs:?}");
    assert!(cron_enabled(cron_id.clone()).await, "release re-enables it");
    let _ = peers::act(
        actor,
        ActionKind::StopRun,
        Target {
            run_id: Some(r3),
            ..Target::default()
        },
    )
    .await;
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
    let Some(peer) = peers::langgraph().await else {
        return;
    };
    let base = peer.url.clone();
    let spec: SourceSpec = format!("lg=langgraph:{base}").parse().unwrap();
    let (src, _) = build_pair(&spec, http::client()).unwrap();
    let (t1, r1) = peers::start_run(&base, 1.5, 20).await;
    wait_status(&base, &t1, &r1, "running").await;
    // A 60 s poll interval: new steps can only arrive this soon because the
    // run's stream rang the poller.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(poll_loop(src, Duration::from_secs(60), tx));
    let first = rx.recv().await.unwrap();
    assert!(matches!(first, SourceMsg::Polled { .. }));
    let next = batch_with_events(&mut rx, 20)
        .await
        .expect("a streamed step woke a poll long before the 60 s interval");
    assert!(next.events.iter().all(|e| e.run_id == r1));
}

/// A run that is still pending at a poll is followed too: its first steps
/// come in through its stream, not at the next poll (here an hour away).
/// Without following pending runs this waits out its 30 s and fails.
#[tokio::test(flavor = "multi_thread")]
async fn a_pending_run_is_streamed_from_its_first_step() {
    use cordon::source::{SourceMsg, poll_loop};
    let Some(peer) = peers::langgraph().await else {
        return;
    };
    let base = peer.url.clone();
    // Delayed: pending for 3 s, whatever the machine's speed.
    let (_, rid) = peers::start_run_after(&base, 0.3, 5, 3).await;
    let spec: SourceSpec = format!("lg=langgraph:{base}").parse().unwrap();
    let (src, _) = build_pair(&spec, http::client()).unwrap();
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
            assert!(batch.events.is_empty(), "no steps yet");
        }
        other => panic!("first poll: {other:?}"),
    }
    let next = batch_with_events(&mut rx, 30)
        .await
        .expect("the pending run's stream rang when it started");
    assert!(next.events.iter().all(|e| e.run_id == rid));
}
