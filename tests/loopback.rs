//! The simulator over loopback HTTP, read by the real `aca` adapter.

mod common;

use std::time::Duration;

use common::*;
use cordon::model::RunState;
use cordon::sim::{self, World};
use cordon::source::{Source, aca::Aca, http};

async fn frozen_sim(scenarios: &[&str], background: bool) -> sim::Sim {
    let names: Vec<String> = scenarios.iter().map(|s| s.to_string()).collect();
    let world = World::new(&names, background, 7, t0()).unwrap();
    // Speed 0: the test moves the clock, so nothing races.
    sim::start_with("127.0.0.1:0".parse().unwrap(), world, 0.0)
        .await
        .unwrap()
}

fn advance(sim: &sim::Sim, secs: u64) {
    sim.world.lock().unwrap().advance(Duration::from_secs(secs));
}

#[tokio::test]
async fn wrong_segment_events_arrive_in_order_once_each() {
    let sim = frozen_sim(&["wrong-segment"], false).await;
    let mut src = Aca::new("sim", &sim.url(), http::client());
    let mut got: Vec<String> = Vec::new();
    let mut a = app(at(0));
    for step in 1..=120 {
        advance(&sim, 1);
        let batch = src.poll().await.expect("poll");
        got.extend(batch.events.iter().map(|e| e.id.to_string()));
        a.update(polled("sim", batch, at(step)));
    }
    let expected: Vec<String> = sim
        .world
        .lock()
        .unwrap()
        .events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        expected.len() > 50,
        "the scenario played: {}",
        expected.len()
    );
    assert_eq!(got, expected, "every event, in feed order, exactly once");
    // The console holds the same, and sees how the runs ended.
    let ids: Vec<&str> = a.store.events.iter().map(|s| s.event.id.as_str()).collect();
    assert_eq!(ids, expected.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        a.store.runs.iter().all(|r| r.state == RunState::Succeeded),
        "{:?}",
        a.store.runs
    );
    // The wrong-segment sends are there, flagged outbound and irreversible.
    let sends: Vec<_> = a
        .store
        .events
        .iter()
        .filter(|s| s.event.kind.as_str() == "message_sent")
        .collect();
    assert!(!sends.is_empty());
    assert!(
        sends
            .iter()
            .all(|s| s.event.outbound && s.event.irreversible())
    );
    assert!(sends[0].event.target.as_deref() == Some("segment:all-customers"));
}

#[tokio::test]
async fn a_poll_with_nothing_new_is_small() {
    let sim = frozen_sim(&["wrong-segment"], false).await;
    let mut src = Aca::new("sim", &sim.url(), http::client());
    advance(&sim, 30);
    let first = src.poll().await.unwrap();
    assert!(!first.events.is_empty());
    let idle = src.poll().await.unwrap();
    assert!(idle.events.is_empty() && idle.runs.is_empty());
    // Only the empty event page: {"events":[],"next_cursor":"N"}.
    assert!(idle.bytes < 64, "idle poll read {} bytes", idle.bytes);
}

#[tokio::test]
async fn large_backlog_is_paged_through_the_cursor() {
    let sim = frozen_sim(&["all"], true).await;
    advance(&sim, 240);
    let total = sim.world.lock().unwrap().events.len();
    assert!(total > 1000, "backlog of {total}");
    let mut src = Aca::new("sim", &sim.url(), http::client());
    let b = src.poll().await.unwrap();
    assert_eq!(b.events.len(), total);
    let ids: std::collections::HashSet<_> = b.events.iter().map(|e| &e.id).collect();
    assert_eq!(ids.len(), total);
}

#[tokio::test]
async fn ended_runs_are_seen_ending() {
    let sim = frozen_sim(&["stale-context"], false).await;
    let mut src = Aca::new("sim", &sim.url(), http::client());
    advance(&sim, 5);
    let b = src.poll().await.unwrap();
    assert!(b.runs.iter().any(|r| r.state == RunState::Running));
    advance(&sim, 60);
    let b = src.poll().await.unwrap();
    assert!(
        b.runs.iter().any(|r| r.state == RunState::Succeeded),
        "{:?}",
        b.runs
    );
}

#[tokio::test]
async fn runs_command_lists_active_runs() {
    let sim = frozen_sim(&["retry-loop"], false).await;
    advance(&sim, 30);
    let a = Aca::new("sim", &sim.url(), http::client());
    let runs = a.list_active().await.unwrap();
    assert_eq!(runs.len(), 3);
    assert!(
        runs.iter()
            .all(|r| r.workflow == "invoice-sync" && r.state == RunState::Running)
    );
}
