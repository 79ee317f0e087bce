//! The simulator's world really changes under actions, and speaks ACA/1's
//! action semantics (idempotency, dry runs, 501, 400, 422).

mod common;

use std::time::Duration;

use common::*;
use cordon::model::AnswerState;
use cordon::sim::World;
use serde_json::{Value, json};

fn w(scenarios: &[&str], secs: u64) -> World {
    world(scenarios, false, secs)
}

fn run_id(w: &World, workflow: &str) -> String {
    w.runs
        .iter()
        .find(|r| r.plan.workflow == workflow)
        .unwrap()
        .id
        .clone()
}

fn events_of<'a>(w: &'a World, run: &str) -> Vec<&'a Value> {
    w.events.iter().filter(|e| e["run_id"] == run).collect()
}

#[test]
fn same_seed_same_world() {
    let a = world(&["all"], true, 90);
    let b = world(&["all"], true, 90);
    assert_eq!(a.events, b.events);
    let c = World::new(&["all".into()], true, 8, t0()).unwrap();
    assert_ne!(a.runs[0].id, c.runs[0].id);
}

#[test]
fn stopped_run_emits_nothing_more() {
    let mut w = w(&["retry-loop"], 5);
    let id = run_id(&w, "invoice-sync");
    let a = w
        .act(
            &json!({"kind":"stop_run","target":{"run_id":id}}),
            Some("k1"),
            false,
        )
        .unwrap();
    assert_eq!(a.state, AnswerState::Applied);
    assert_eq!(w.run(&id).unwrap().state, "stopped");
    let n = events_of(&w, &id).len();
    w.advance(Duration::from_secs(60));
    assert_eq!(events_of(&w, &id).len(), n, "a stopped run is silent");
}

#[test]
fn paused_workflow_starts_no_runs_and_resume_restores() {
    let mut w = w(&["retry-loop"], 5);
    let a = w
        .act(
            &json!({"kind":"pause_workflow","target":{"workflow":"invoice-sync"}}),
            Some("k"),
            false,
        )
        .unwrap();
    assert_eq!(a.state, AnswerState::Pending);
    w.advance(Duration::from_millis(100));
    assert_eq!(w.actions[&a.action_id].state, AnswerState::Applied);
    assert!(w.runs.iter().all(|r| r.state == "paused"));
    let before = w.events.len();
    // The retry-loop workflow would start two more runs by t=25s.
    w.advance(Duration::from_secs(40));
    assert!(
        w.runs
            .iter()
            .filter(|r| r.plan.workflow == "invoice-sync")
            .all(|r| r.state != "running")
    );
    let new: Vec<&Value> = w.events[before..]
        .iter()
        .filter(|e| e["kind"] != "state_change")
        .collect();
    assert!(new.is_empty(), "nothing runs while paused: {new:?}");
    w.act(
        &json!({"kind":"resume_workflow","target":{"workflow":"invoice-sync"}}),
        Some("k2"),
        false,
    )
    .unwrap();
    w.advance(Duration::from_secs(2));
    assert!(w.runs.iter().any(|r| r.state == "running"));
}

#[test]
fn revoked_tool_fails_when_called_and_restore_restores() {
    let mut w = w(&["retry-loop"], 2);
    w.act(
        &json!({"kind":"revoke_tool","target":{"agent_class":"billing-sync","tool":"billing.api"}}),
        Some("k"),
        false,
    )
    .unwrap();
    let before = w.events.len();
    w.advance(Duration::from_secs(5));
    let refusals = w.events[before..]
        .iter()
        .filter(|e| e["kind"] == "error" && e["summary"].as_str().unwrap().contains("tool revoked"))
        .count();
    assert!(refusals > 0);
    assert!(!w.events[before..].iter().any(|e| e["kind"] == "tool_call"));
    w.act(&json!({"kind":"restore_tool","target":{"agent_class":"billing-sync","tool":"billing.api"}}), Some("k2"), false).unwrap();
    let before = w.events.len();
    w.advance(Duration::from_secs(5));
    assert!(w.events[before..].iter().any(|e| e["kind"] == "tool_call"));
}

#[test]
fn blocked_outbound_makes_sends_fail_with_an_event() {
    let mut w = w(&["wrong-segment"], 4);
    w.act(
        &json!({"kind":"block_outbound","target":{}}),
        Some("k"),
        false,
    )
    .unwrap();
    assert_eq!(w.controls.outbound_blocked, vec!["*"]);
    let before = w.events.len();
    w.advance(Duration::from_secs(10));
    let new = &w.events[before..];
    assert!(!new.iter().any(|e| e["kind"] == "message_sent"));
    assert!(new.iter().any(|e| {
        e["kind"] == "error"
            && e["summary"]
                .as_str()
                .unwrap()
                .starts_with("Outbound blocked, not sent")
    }));
    w.act(
        &json!({"kind":"unblock_outbound","target":{}}),
        Some("k2"),
        false,
    )
    .unwrap();
    let before = w.events.len();
    w.advance(Duration::from_secs(10));
    assert!(
        w.events[before..]
            .iter()
            .any(|e| e["kind"] == "message_sent")
    );
}

#[test]
fn revoked_credential_fails_calls_that_use_it() {
    let mut w = w(&["wrong-segment"], 4);
    w.act(
        &json!({"kind":"revoke_credential","target":{"credential":"cred_sendgrid_prod"}}),
        Some("k"),
        false,
    )
    .unwrap();
    let before = w.events.len();
    w.advance(Duration::from_secs(10));
    assert!(
        !w.events[before..]
            .iter()
            .any(|e| e["kind"] == "message_sent")
    );
    assert!(w.events[before..].iter().any(|e| {
        e["summary"]
            .as_str()
            .unwrap()
            .contains("credential cred_sendgrid_prod revoked")
    }));
}

#[test]
fn held_queue_keeps_queued_runs_queued_until_released() {
    let mut w = w(&["wrong-segment"], 2);
    let dry = w
        .act(
            &json!({"kind":"hold_queue","target":{"workflow":"refund-followups"}}),
            None,
            true,
        )
        .unwrap();
    assert_eq!(dry.state, AnswerState::Preview);
    assert_eq!(dry.affected_runs.len(), 2, "the two queued cohorts");
    w.act(
        &json!({"kind":"hold_queue","target":{"workflow":"refund-followups"}}),
        Some("k"),
        false,
    )
    .unwrap();
    w.advance(Duration::from_secs(60));
    assert_eq!(w.runs.iter().filter(|r| r.state == "queued").count(), 2);
    w.act(
        &json!({"kind":"release_queue","target":{"workflow":"refund-followups"}}),
        Some("k2"),
        false,
    )
    .unwrap();
    w.advance(Duration::from_secs(1));
    assert_eq!(w.runs.iter().filter(|r| r.state == "queued").count(), 0);
}

#[test]
fn rollback_reverts_reversible_writes() {
    let mut w = w(&["broad-edits"], 10);
    let id = run_id(&w, "docs-refresh");
    let a = w
        .act(
            &json!({"kind":"rollback_run","target":{"run_id":id}}),
            Some("k"),
            false,
        )
        .unwrap();
    assert_eq!(a.state, AnswerState::Applied);
    // ACA/1.1: stopped (it was active), the plan in the answer, the run's
    // record lists exactly the planned writes, one containment event each.
    let run = w.run(&id).unwrap().to_json();
    assert_eq!(run["state"], "stopped");
    let plan: Vec<String> = a
        .reverts
        .unwrap()
        .iter()
        .map(|p| p.event_id.clone())
        .collect();
    assert!(plan.len() >= 3, "{plan:?}");
    assert_eq!(run["rollback"]["reverted"], json!(plan));
    let reverts: Vec<&Value> = events_of(&w, &id)
        .into_iter()
        .filter(|e| e["kind"] == "containment" && e["data"]["reverts"].is_string())
        .collect();
    assert_eq!(reverts.len(), plan.len());
    assert!(
        reverts
            .iter()
            .all(|e| e["target"].as_str().unwrap().starts_with("file:"))
    );
}

/// A finished run's writes are rolled back too (its most common use);
/// what cannot be reverted is listed with why; a second rollback has
/// nothing left; the key finds the action afterwards (ACA/1.1 lookup).
#[test]
fn a_finished_run_is_rolled_back_and_the_key_finds_it() {
    let mut w = w(&["stale-context"], 40);
    let id = w
        .runs
        .iter()
        .find(|r| r.plan.workflow == "ticket-triage" && r.state == "succeeded")
        .map(|r| r.id.clone())
        .expect("a finished run with a db write and a sent message");
    let body = json!({"kind":"rollback_run","target":{"run_id":id}});
    let dry = w.act(&body, None, true).unwrap();
    assert_eq!(dry.affected_runs, vec![id.clone()]);
    let planned = dry.reverts.clone().unwrap();
    assert_eq!(planned.len(), 1, "{planned:?}");
    assert_eq!(planned[0].target, "db:crm.customers/cust_5521");
    assert!(
        dry.cannot_revert
            .iter()
            .any(|c| c.kind == "message_sent" && c.why.contains("cannot be unsent"))
    );
    assert!(w.action_by_key("k-rb").is_none(), "never received");
    let a = w.act(&body, Some("k-rb"), false).unwrap();
    assert_eq!(a.reverts, dry.reverts);
    let run = w.run(&id).unwrap().to_json();
    assert_eq!(run["state"], "succeeded", "an ended run stays as it ended");
    assert_eq!(run["rollback"]["reverted"], json!([planned[0].event_id]));
    assert_eq!(w.action_by_key("k-rb").unwrap().action_id, a.action_id);
    let again = w.act(&body, None, true).unwrap();
    assert_eq!(again.reverts, Some(vec![]), "nothing to roll back");
}

#[test]
fn dry_run_changes_nothing() {
    let mut w = w(&["retry-loop"], 5);
    let id = run_id(&w, "invoice-sync");
    let before = w.events.len();
    let a = w
        .act(
            &json!({"kind":"stop_run","target":{"run_id":id}}),
            None,
            true,
        )
        .unwrap();
    assert_eq!(a.state, AnswerState::Preview);
    assert_eq!(a.affected_runs, vec![id.clone()]);
    assert_eq!(w.run(&id).unwrap().state, "running");
    assert_eq!(w.events.len(), before);
}

#[test]
fn idempotency_semantics() {
    let mut w = w(&["retry-loop"], 5);
    let id = run_id(&w, "invoice-sync");
    let body = json!({"kind":"stop_run","target":{"run_id":id},"reason":"r"});
    let a = w.act(&body, Some("same"), false).unwrap();
    let n = w.events.len();
    let b = w.act(&body, Some("same"), false).unwrap();
    assert_eq!(a, b, "same key, same body: the first answer again");
    assert_eq!(w.events.len(), n, "and no second effect");
    let other = json!({"kind":"stop_run","target":{"run_id":id},"reason":"different"});
    assert!(matches!(
        w.act(&other, Some("same"), false),
        Err(cordon::sim::world::ActionError::Conflict(_))
    ));
    assert!(matches!(
        w.act(&body, None, false),
        Err(cordon::sim::world::ActionError::BadRequest(_))
    ));
}

#[tokio::test]
async fn http_statuses_follow_the_contract() {
    let world = World::new(&["retry-loop".into()], false, 7, t0()).unwrap();
    let sim = cordon::sim::start_with("127.0.0.1:0".parse().unwrap(), world, 0.0)
        .await
        .unwrap();
    sim.world.lock().unwrap().advance(Duration::from_secs(5));
    let id = sim.world.lock().unwrap().runs[0].id.clone();
    let c = cordon::source::http::client();
    let url = format!("{}/v1/actions", sim.url());
    let post = |body: Value, key: Option<&str>, dry: bool| {
        let mut r = c
            .post(if dry {
                format!("{url}?dry_run=true")
            } else {
                url.clone()
            })
            .json(&body);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        r.send()
    };
    let body = json!({"kind":"stop_run","target":{"run_id":id}});
    assert_eq!(post(body.clone(), None, true).await.unwrap().status(), 200);
    assert_eq!(post(body.clone(), None, false).await.unwrap().status(), 400);
    assert_eq!(
        post(body.clone(), Some("a"), false).await.unwrap().status(),
        202
    );
    assert_eq!(
        post(
            json!({"kind":"stop_run","target":{"run_id":id},"reason":"x"}),
            Some("a"),
            false
        )
        .await
        .unwrap()
        .status(),
        422
    );
    assert_eq!(
        post(
            json!({"kind":"launch_missiles","target":{}}),
            Some("b"),
            false
        )
        .await
        .unwrap()
        .status(),
        501
    );
    assert_eq!(
        post(
            json!({"kind":"stop_run","target":{"run_id":"run_nope"}}),
            Some("c"),
            false
        )
        .await
        .unwrap()
        .status(),
        404
    );
    let controls: Value = c
        .get(format!("{}/v1/controls", sim.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(controls["outbound_blocked"].is_array());
    let info: Value = c
        .get(format!("{}/v1/info", sim.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["actions"].as_array().unwrap().len(), 11);
    let run: Value = c
        .get(format!("{}/v1/runs/{id}", sim.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(run["state"], "stopped");
    let act: Value = c
        .get(format!("{}/v1/actions/act_1", sim.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(act["kind"], "stop_run");
}
