//! The executor against a misbehaving platform (wiremock): retries only
//! under the same Idempotency-Key, Retry-After honoured, 4xx not retried,
//! accepted-but-never-effective ends unconfirmed.

use std::sync::Arc;
use std::time::Duration;

use cordon::contain::{ActionMsg, Policy, execute};
use cordon::model::{ActionKind, ActionRequest, Target};
use cordon::source::{Actor, aca::AcaActor, http};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

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
    execute(actor, req(), None, tx, policy).await;
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
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(accepted())
        .mount(&server)
        .await;
    run_state(&server, "stopped").await;
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
                confirmed: true,
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
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(accepted())
        .mount(&server)
        .await;
    run_state(&server, "stopped").await;
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
            confirmed: true,
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
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(accepted())
        .mount(&server)
        .await;
    run_state(&server, "stopped").await;
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
        Mock::given(method("POST"))
            .and(path("/v1/actions"))
            .respond_with(
                ResponseTemplate::new(status).set_body_json(
                    json!({"error":{"code":"x","message":"target.run_id is required"}}),
                ),
            )
            .mount(&server)
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
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
    let keys = posted_keys(&server).await;
    assert_eq!(keys.len(), 4);
    assert!(keys.iter().all(|k| k == &req().key));
    assert!(matches!(
        last(&msgs),
        ActionMsg::Answered {
            result: Err((Some(500), _)),
            attempts: 4,
            ..
        }
    ));
}

#[tokio::test]
async fn accepted_but_never_effective_ends_unconfirmed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(accepted())
        .mount(&server)
        .await;
    run_state(&server, "running").await;
    let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
    assert!(
        msgs.iter()
            .any(|m| matches!(m, ActionMsg::Answered { result: Ok(_), .. }))
    );
    match last(&msgs) {
        ActionMsg::Verified {
            confirmed: false,
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
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(ResponseTemplate::new(202).set_body_json(
            json!({"action_id":"a","kind":"stop_run","state":"failed","message":"run is locked"}),
        ))
        .mount(&server)
        .await;
    let msgs = go(&server, quick_policy(), Duration::from_secs(2)).await;
    assert!(
        matches!(last(&msgs), ActionMsg::Answered { result: Ok(a), .. } if a.state == "failed")
    );
}
