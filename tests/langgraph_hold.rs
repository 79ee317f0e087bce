//! Item 7: LangGraph's queue hold, against the real server (its own: a
//! hold of every queue must not reach other tests' runs). The server has
//! no hold of its own (`POST /runs/cancel` is one-shot and answers 404 when
//! nothing is queued), so cordon enforces one while it runs and says so.

mod common;
mod peers;

use std::time::Duration;

use cordon::model::{ActionKind, RunState, Target};
use cordon::source::{SourceSpec, http};
use peers::console::Console;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_hold_with_nothing_pending_starts_stays_in_force_and_is_released() {
    let Some(peer) = peers::langgraph().await else {
        return;
    };
    let base = peer.url.clone();
    let spec: SourceSpec = format!("lg=langgraph:{base}").parse().unwrap();
    let (mut c, actor) = Console::with_actor(&spec, http::client(), Duration::from_millis(200));
    c.polls(1, 30).await;
    let cron = peers::post(
        &format!("{base}/runs/crons"),
        json!({"assistant_id": "support_agent", "schedule": "0 3 * * *",
               "input": {"sleep": 0.1, "loops": 1}, "metadata": {"workflow": "nightly"}}),
    )
    .await;
    let cron_id = cron["cron_id"].as_str().unwrap().to_string();

    // Nothing queued: the dry run names the cron, and the hold is no
    // failure (the server's 404 "No runs found to cancel" is not one).
    let dry = actor
        .dry_run(ActionKind::HoldQueue, Target::default())
        .await
        .unwrap();
    assert_eq!(dry.affected_runs, vec![format!("cron:{cron_id}")]);
    let msgs = peers::act(actor.clone(), ActionKind::HoldQueue, Target::default()).await;
    assert!(peers::confirmed(&msgs).is_some(), "{msgs:?}");
    let said = format!("{msgs:?}");
    assert!(
        said.contains("cordon cancels runs queued later while it runs"),
        "{said}"
    );

    // The hold is in force: shown as a control, and a run queued later is
    // cancelled by cordon, which says so in its timeline.
    c.until("the hold among the controls", 30, |app| {
        app.store
            .controls
            .get("lg")
            .is_some_and(|k| k.held_queues == ["*"])
    })
    .await;
    let (tid, late) = peers::start_run_after(&base, 0.1, 1, 2).await;
    c.until("the late run cancelled by the hold", 60, |app| {
        let Some(ri) = app.store.run_idx("lg", &late) else {
            return false;
        };
        app.store.runs[ri].state == RunState::Stopped
            && app.store.events_of_run(ri).iter().any(|&e| {
                let ev = &app.store.events[e as usize].event;
                ev.kind.as_str() == "containment" && ev.summary.contains("hold in force")
            })
    })
    .await;
    assert_eq!(
        peers::lg_status(&base, &tid, &late).await.as_deref(),
        Some("interrupted")
    );

    // Released: the hold is gone from the controls, the cron is enabled
    // again, and a run queued now runs.
    let msgs = peers::act(actor.clone(), ActionKind::ReleaseQueue, Target::default()).await;
    assert!(peers::confirmed(&msgs).is_some(), "{msgs:?}");
    c.until("no hold among the controls", 30, |app| {
        app.store
            .controls
            .get("lg")
            .is_some_and(|k| k.held_queues.is_empty())
    })
    .await;
    let (tid2, after) = peers::start_run_after(&base, 0.1, 1, 1).await;
    peers::lg_wait(&base, &tid2, &after, &["success"]).await;
    let crons = peers::post(&format!("{base}/runs/crons/search"), json!({"limit": 10})).await;
    assert_eq!(crons[0]["enabled"], true);
}
