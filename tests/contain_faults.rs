//! The executor against a misbehaving platform (wiremock): retries only
//! under the same Idempotency-Key, Retry-After honoured, 4xx not retried,
//! accepted-but-never-effective ends unconfirmed.

use std::sync::Arc;
use std::time::Duration;

use cordon::contain::{ActionMsg, Policy, execute};
use cordon::model::{ActionKind, ActionPhase, ActionRequest, AnswerState, Target};
use cordon::source::{Actor, aca::AcaActor, http};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod scripted;

fn req() -> ActionRequest {
    ActionRequest {
        id: "A1-test".into(),
        source: "w".into(),
        kind: ActionKind::StopRun,
        target: Target {
            run_id: Some("run_1".into()),
            ..Target::default()
        },
        reason: "INC-1: wrong segment".into(),
        key: "5f0c3a4e-0000-4000-8000-000000000001".into(),
        actor: "alice@bastion-1".into(),
    }
}

fn accepted() -> ResponseTemplate {
    ResponseTemplate::new(202).set_body_json(json!({"action_id":"act_1","kind":"stop_run","state":"applied","affected_runs":["run_1"],"message":"ok"}))
}

/// The platform answers every action with `r`, and applies it (whatever
/// it answers): the returned flag says whether one arrived.
async fn answer_with(server: &MockServer, r: ResponseTemplate) -> scripted::Applied {
    let applied = scripted::Applied::new();
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(applied.on_action(r))
        .mount(server)
        .await;
    applied
}

/// Asked by key, the platform says it has no such action (ACA/1.1 404).
async fn lookup_never_received(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v1/actions"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": {"code": "not_found", "message": "no such key"}})),
        )
        .mount(server)
        .await;
}

/// `run_1` runs until an action is applied, then reads as `state`.
async fn run_becomes(server: &MockServer, applied: &scripted::Applied, state: &str) {
    Mock::given(method("GET"))
        .and(path("/v1/runs/run_1"))
        .respond_with(applied.read(
            json!({"id":"run_1","state":"running"}),
            json!({"id":"run_1","state":state}),
        ))
        .mount(server)
        .await;
}

async fn run_state(server: &MockServer, state: &str) {
    Mock::given(method("GET"))
        .and(path("/v1/runs/run_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id":"run_1","state":state})))
        .mount(server)
        .await;
}

fn quick_policy() -> Policy {
    Policy {
        max_attempts: 4,
        retry_cap: Duration::from_millis(50),
        answer_deadline: Duration::from_secs(20),
        verify_timeout: Duration::from_millis(800),
    }
}

async fn go(server: &MockServer, policy: Policy, read_timeout: Duration) -> Vec<ActionMsg> {
    let client = http::client_with(Duration::from_millis(500), read_timeout, read_timeout * 2);
    let actor: Arc<dyn Actor> = Arc::new(AcaActor::new("w", &server.uri(), client));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    execute(actor, req(), None, None, tx, policy).await;
    let mut out = Vec::new();
    while let Ok((m, _)) = rx.try_recv() {
        out.push(m);
    }
    out
}

async fn posted_keys(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| {
            r.headers
                .get("idempotency-key")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn last(msgs: &[ActionMsg]) -> &ActionMsg {
    msgs.last().unwrap()
}

#[tokio::test]
async fn timeout_then_success_is_retried_with_the_same_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(accepted().set_delay(Duration::from_secs(2)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let applied = answer_with(&server, accepted()).await;
    run_becomes(&server, &applied, "stopped").await;
    let msgs = go(&server, quick_policy(), Duration::from_millis(300)).await;
    let keys = posted_keys(&server).await;
    assert_eq!(keys.len(), 2, "one timeout, one success");
    assert!(
        keys.iter().all(|k| k == &req().key),
        "same Idempotency-Key on every attempt: {keys:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| matches!(m, ActionMsg::Retrying { error, .. } if error.contains("timed out")))
    );
    assert!(
        matches!(
            last(&msgs),
            ActionMsg::Verified {
                outcome: ActionPhase::Confirmed,
                ..
            }
        ),
        "{msgs:?}"
    );
}

#[tokio::test]
async fn http_429_waits_for_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let applied = answer_with(&server, accepted()).await;
    run_becomes(&server, &applied, "stopped").await;
    let policy = Policy {
        retry_cap: Duration::from_secs(30),
        ..quick_policy()
    };
    let msgs = go(&server, policy, Duration::from_secs(2)).await;
    let retry = msgs.iter().find_map(|m| match m {
        ActionMsg::Retrying { error, .. } => Some(error.clone()),
        _ => None,
    });
    assert!(
        retry.unwrap().contains("retrying in 1.0 s"),
        "Retry-After honoured"
    );
    assert_eq!(posted_keys(&server).await, vec![req().key, req().key]);
    assert!(matches!(
        last(&msgs),
        ActionMsg::Verified {
            outcome: ActionPhase::Confirmed,
            ..
        }
    ));
}

#[tokio::test]
async fn retry_after_is_capped() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "3600"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let applied = answer_with(&server, accepted()).await;
    run_becomes(&server, &applied, "stopped").await;
    let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
    assert!(msgs.iter().any(|m| matches!(m, ActionMsg::Retrying { error, .. } if error.contains("retrying in 0.1 s"))), "{msgs:?}");
}

#[tokio::test]
async fn http_400_and_403_are_not_retried_and_are_shown() {
    for (status, word) in [
        (400, "HTTP 400: target.run_id is required"),
        (403, "403 forbidden"),
    ] {
        let server = MockServer::start().await;
        answer_with(
            &server,
            ResponseTemplate::new(status)
                .set_body_json(json!({"error":{"code":"x","message":"target.run_id is required"}})),
        )
        .await;
        let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
        assert_eq!(
            posted_keys(&server).await.len(),
            1,
            "{status} is not retried"
        );
        match last(&msgs) {
            ActionMsg::Answered {
                result: Err((Some(s), e)),
                attempts: 1,
                ..
            } => {
                assert_eq!(*s, status);
                assert!(e.contains(word), "{e}");
            }
            m => panic!("{status}: {m:?}"),
        }
    }
}

#[tokio::test]
async fn a_500_storm_gives_up_after_the_attempts_allowed() {
    let server = MockServer::start().await;
    answer_with(&server, ResponseTemplate::new(500)).await;
    run_state(&server, "running").await;
    let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
    let keys = posted_keys(&server).await;
    assert_eq!(keys.len(), 4);
    assert!(keys.iter().all(|k| k == &req().key));
    assert!(msgs.iter().any(|m| matches!(
        m,
        ActionMsg::Answered {
            result: Err((Some(500), _)),
            attempts: 4,
            lost: Some(_),
            ..
        }
    )));
    // Not "refused": the platform may have applied it. The re-reads decide.
    assert_eq!(outcome(&msgs).0, ActionPhase::Failed, "{msgs:?}");
    assert!(outcome(&msgs).1.contains("still running"), "{msgs:?}");
}

#[tokio::test]
async fn accepted_but_never_effective_ends_unconfirmed() {
    let server = MockServer::start().await;
    answer_with(&server, accepted()).await;
    run_state(&server, "running").await;
    let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
    assert!(
        msgs.iter()
            .any(|m| matches!(m, ActionMsg::Answered { result: Ok(_), .. }))
    );
    match last(&msgs) {
        ActionMsg::Verified {
            outcome: ActionPhase::Unconfirmed,
            detail,
            ..
        } => {
            assert!(
                detail.contains("effect not seen") && detail.contains("still running"),
                "{detail}"
            );
        }
        m => panic!("{m:?}"),
    }
    let reads = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/runs/run_1")
        .count();
    assert!(
        reads >= 3,
        "re-read immediately, then at intervals: {reads}"
    );
}

#[tokio::test]
async fn platform_answer_failed_is_refused() {
    let server = MockServer::start().await;
    // It says failed, yet stopped the run: the re-read says so.
    let applied = answer_with(
        &server,
        ResponseTemplate::new(202).set_body_json(
            json!({"action_id":"a","kind":"stop_run","state":"failed","message":"run is locked"}),
        ),
    )
    .await;
    run_becomes(&server, &applied, "stopped").await;
    let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
    assert!(msgs.iter().any(
        |m| matches!(m, ActionMsg::Answered { result: Ok(a), .. } if a.state == AnswerState::Failed)
    ));
    // Still refused (the safe side), after one re-read that says what is
    // there.
    let (phase, detail) = outcome(&msgs);
    assert_eq!(phase, ActionPhase::Refused, "{detail}");
    assert!(
        detail.contains("answered failed ('run is locked')")
            && detail.contains("a re-read shows: run run_1 is stopped"),
        "{detail}"
    );
}

/// The final verdict and its detail.
fn outcome(msgs: &[ActionMsg]) -> (ActionPhase, String) {
    match last(msgs) {
        ActionMsg::Verified {
            outcome, detail, ..
        } => (*outcome, detail.clone()),
        m => panic!("no verdict, last was {m:?}"),
    }
}

fn run_body(server_state: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(server_state)
}

/// ACA/1.1 strictness: a state cordon does not know is never proof, in
/// any spelling, and is shown as it came.
#[tokio::test]
async fn an_unknown_state_is_never_proof() {
    for state in ["RUNNING", "stopping", "cancel_requested"] {
        let server = MockServer::start().await;
        answer_with(&server, accepted()).await;
        run_state(&server, state).await;
        let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
        let (phase, detail) = outcome(&msgs);
        assert_eq!(phase, ActionPhase::Unconfirmed, "{state}: {detail}");
        assert!(detail.contains(&format!("'{state}'")), "{detail}");
    }
}

/// A re-read whose body names another run proves nothing about ours.
#[tokio::test]
async fn another_runs_answer_is_no_proof() {
    let server = MockServer::start().await;
    answer_with(&server, accepted()).await;
    Mock::given(method("GET"))
        .and(path("/v1/runs/run_1"))
        .respond_with(run_body(json!({"id": "run_2", "state": "stopped"})))
        .mount(&server)
        .await;
    let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
    let (phase, detail) = outcome(&msgs);
    assert_eq!(phase, ActionPhase::Unconfirmed);
    assert!(detail.contains("named run run_2"), "{detail}");
}

/// The platform stopped the run, then every answer was a 500: not
/// "refused" (the old verdict after six tries) but confirmed by the
/// re-read, with the lost answer said.
#[tokio::test]
async fn applied_then_500_is_confirmed_by_the_re_read() {
    let server = MockServer::start().await;
    let applied = answer_with(
        &server,
        ResponseTemplate::new(500).set_body_string("upstream died"),
    )
    .await;
    run_becomes(&server, &applied, "stopped").await;
    let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
    let (phase, detail) = outcome(&msgs);
    assert_eq!(phase, ActionPhase::Confirmed, "{msgs:?}");
    assert!(detail.contains("run run_1 is stopped"), "{detail}");
    assert!(msgs.iter().any(|m| matches!(
        m,
        ActionMsg::Answered {
            result: Err((Some(500), _)),
            lost: Some(l),
            ..
        } if l.contains("HTTP 500")
    )));
    // The journal says the answer was lost, and the verdict.
    let recs: Vec<_> = msgs
        .iter()
        .filter_map(|m| cordon::contain::exec::record_of(m.clone(), common_at()))
        .collect();
    assert!(recs.iter().any(|r| matches!(
        r,
        cordon::journal::Record::ActionResult {
            lost: Some(_),
            accepted: false,
            ..
        }
    )));
    assert!(recs.iter().any(|r| matches!(
        r,
        cordon::journal::Record::ActionVerified {
            confirmed: true,
            outcome: Some(ActionPhase::Confirmed),
            ..
        }
    )));
}

fn common_at() -> cordon::model::Time {
    "2026-11-24T10:00:00Z".parse().unwrap()
}

/// With ACA/1.1's lookup, the lost answer is found by its key and the
/// action verified as usual.
#[tokio::test]
async fn a_lost_answer_is_found_by_its_idempotency_key() {
    let server = MockServer::start().await;
    let applied = answer_with(&server, ResponseTemplate::new(503)).await;
    Mock::given(method("GET"))
        .and(path("/v1/actions"))
        .and(wiremock::matchers::query_param(
            "idempotency_key",
            req().key,
        ))
        .respond_with(accepted())
        .mount(&server)
        .await;
    run_becomes(&server, &applied, "stopped").await;
    let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
    assert!(msgs.iter().any(|m| matches!(
        m,
        ActionMsg::Answered {
            result: Ok(a),
            lost: Some(_),
            ..
        } if a.action_id == "act_1"
    )));
    assert_eq!(outcome(&msgs).0, ActionPhase::Confirmed);
}

/// The lookup says the platform never received it, and the run is still
/// running: "not received", never "refused", and not re-sent.
#[tokio::test]
async fn a_lost_request_the_platform_never_received_is_said_so() {
    let server = MockServer::start().await;
    answer_with(&server, ResponseTemplate::new(502)).await;
    lookup_never_received(&server).await;
    run_state(&server, "running").await;
    let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
    let (phase, detail) = outcome(&msgs);
    assert_eq!(phase, ActionPhase::NotReceived, "{detail}");
    assert!(detail.contains("never received"), "{detail}");
    assert_eq!(posted_keys(&server).await.len(), 4, "only the retries");
}

/// A run that had already ended was not stopped by the action: "already
/// ended — nothing to stop", whether it ended on its own or was stopped
/// before.
#[tokio::test]
async fn a_stop_of_an_ended_run_is_already_ended_not_confirmed() {
    for state in ["succeeded", "failed", "stopped"] {
        let server = MockServer::start().await;
        answer_with(
            &server,
            ResponseTemplate::new(202).set_body_json(json!({
                "action_id": "act_1", "kind": "stop_run", "state": "applied",
                "affected_runs": [], "message": format!("run already {state}")})),
        )
        .await;
        run_state(&server, state).await;
        let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
        let (phase, detail) = outcome(&msgs);
        assert_eq!(phase, ActionPhase::AlreadyEnded, "{state}: {detail}");
        assert!(detail.contains("nothing to stop"), "{detail}");
    }
}

fn rollback_req() -> ActionRequest {
    ActionRequest {
        kind: ActionKind::RollbackRun,
        ..req()
    }
}

async fn go_with(server: &MockServer, r: ActionRequest) -> Vec<ActionMsg> {
    let client = http::client_with(
        Duration::from_millis(500),
        Duration::from_secs(2),
        Duration::from_secs(4),
    );
    let actor: Arc<dyn Actor> = Arc::new(AcaActor::new("w", &server.uri(), client));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    execute(actor, r, None, None, tx, quick_policy()).await;
    let mut out = Vec::new();
    while let Ok((m, _)) = rx.try_recv() {
        out.push(m);
    }
    out
}

/// The incident's rollback of a finished run: the platform answered
/// `affected_runs: []`, "run already succeeded", and reverted nothing.
/// The old verdict was "CONFIRMED … run is succeeded (no longer running)".
#[tokio::test]
async fn a_rollback_that_reverts_nothing_is_nothing_to_roll_back() {
    let server = MockServer::start().await;
    answer_with(
        &server,
        ResponseTemplate::new(202).set_body_json(json!({
            "action_id": "act_9", "kind": "rollback_run", "state": "applied",
            "affected_runs": [], "message": "run already succeeded",
            "reverts": [], "cannot_revert": [{"event_id": "evt_3", "kind": "message_sent",
                "target": "email:c1", "why": "a sent message cannot be unsent"}]})),
    )
    .await;
    run_state(&server, "succeeded").await;
    let msgs = go_with(&server, rollback_req()).await;
    let (phase, detail) = outcome(&msgs);
    assert_eq!(phase, ActionPhase::NothingToDo, "{detail}");
    assert!(detail.contains("nothing to roll back"), "{detail}");
    assert!(detail.contains("1 cannot be reverted"), "{detail}");
}

/// A rollback is confirmed only when every planned write shows in the
/// run's `rollback.reverted`; with some in `failed` it is partly done.
#[tokio::test]
async fn a_rollback_is_confirmed_by_its_reverted_list_and_no_less() {
    let plan = json!({
        "action_id": "act_9", "kind": "rollback_run", "state": "applied",
        "affected_runs": ["run_1"], "message": "2 write(s) reverted",
        "reverts": [{"event_id": "evt_1", "kind": "file_write", "target": "repo:a"},
                    {"event_id": "evt_2", "kind": "file_write", "target": "repo:b"}]});
    for (record, want) in [
        (
            json!({"reverted": ["evt_1", "evt_2"], "failed": []}),
            ActionPhase::Confirmed,
        ),
        (
            json!({"reverted": ["evt_1"], "failed": [{"event_id": "evt_2", "why": "file locked"}]}),
            ActionPhase::Partial,
        ),
        // One planned write neither reverted nor failed: not proven.
        (
            json!({"reverted": ["evt_1"], "failed": []}),
            ActionPhase::Unconfirmed,
        ),
    ] {
        let server = MockServer::start().await;
        let applied = answer_with(
            &server,
            ResponseTemplate::new(202).set_body_json(plan.clone()),
        )
        .await;
        Mock::given(method("GET"))
            .and(path("/v1/runs/run_1"))
            .respond_with(applied.read(
                json!({"id": "run_1", "state": "succeeded"}),
                json!({"id": "run_1", "state": "succeeded", "rollback": record}),
            ))
            .mount(&server)
            .await;
        let msgs = go_with(&server, rollback_req()).await;
        let (phase, detail) = outcome(&msgs);
        assert_eq!(phase, want, "{detail}");
        if let ActionMsg::Verified { reverted, .. } = last(&msgs) {
            let n = if want == ActionPhase::Unconfirmed {
                0
            } else {
                reverted.len()
            };
            assert_eq!(reverted.len(), n);
        }
    }
}

/// The run was stopped before the action left; the console's executor
/// sends the stop anyway (the commander confirmed it; a second stop of an
/// ended run is harmless) and the platform's answer lists the run as
/// affected. The read just before sending decides: ALREADY ENDED, never
/// CONFIRMED (which it was when only the re-read after counted).
#[tokio::test]
async fn a_run_stopped_before_the_action_is_already_ended_though_the_answer_lists_it() {
    let server = MockServer::start().await;
    answer_with(&server, accepted()).await;
    run_state(&server, "stopped").await;
    let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
    let (phase, detail) = outcome(&msgs);
    assert_eq!(phase, ActionPhase::AlreadyEnded, "{detail}");
    assert!(
        detail.contains("before the action was sent") && detail.contains("nothing to stop"),
        "{detail}"
    );
    assert_eq!(posted_keys(&server).await.len(), 1);
}

/// Every attempt timed out (each may still be under way at the platform)
/// and the lookup says it has no action under the key, asked again and
/// again: that cannot prove it never arrived. UNKNOWN, not NOT RECEIVED
/// (which it was at the first 404).
#[tokio::test]
async fn a_lost_request_that_may_still_be_in_flight_is_unknown_not_not_received() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(accepted().set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    lookup_never_received(&server).await;
    run_state(&server, "running").await;
    let policy = Policy {
        max_attempts: 2,
        ..quick_policy()
    };
    let msgs = go(&server, policy, Duration::from_millis(300)).await;
    let (phase, detail) = outcome(&msgs);
    assert_eq!(phase, ActionPhase::Unknown, "{detail}");
    assert!(detail.contains("may still arrive"), "{detail}");
    let lookups = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/actions" && r.method.as_str() == "GET")
        .count();
    assert!(lookups >= 2, "asked again while re-reading: {lookups}");
    assert_eq!(posted_keys(&server).await.len(), 2, "only the attempts");
}
