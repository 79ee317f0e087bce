//! `openai-admin` revocation against a faithful fake of the OpenAI admin
//! API (wiremock, from the published reference): success, 401, 404, 429.

use std::sync::Arc;
use std::time::Duration;

use cordon::contain::{ActionMsg, Policy, execute};
use cordon::model::{ActionKind, ActionRequest, Target};
use cordon::source::{Actor, SourceSpec, build_pair, http};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod scripted;

const PROJECT: &str = "proj_abc";
const KEY: &str = "key_abc";
const SECRET: &str = "sk-admin-test-0123456789";

fn spec(server: &MockServer) -> SourceSpec {
    // SAFETY: tests in this file all set the same value.
    unsafe { std::env::set_var("CORDON_TEST_OPENAI_ADMIN", SECRET) };
    format!(
        "openai=openai-admin:{}?project={PROJECT}&admin_key_env=CORDON_TEST_OPENAI_ADMIN",
        server.uri()
    )
    .parse()
    .unwrap()
}

fn key_path() -> String {
    format!("/v1/organization/projects/{PROJECT}/api_keys/{KEY}")
}

fn req() -> ActionRequest {
    ActionRequest {
        id: "A1-oa".into(),
        source: "openai".into(),
        kind: ActionKind::RevokeCredential,
        target: Target {
            credential: Some(KEY.into()),
            ..Target::default()
        },
        reason: "INC-1: leaked".into(),
        key: "k-1".into(),
        actor: "alice@bastion-1".into(),
    }
}

async fn run(actor: Arc<dyn Actor>) -> Vec<ActionMsg> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let policy = Policy {
        retry_cap: Duration::from_secs(2),
        verify_timeout: Duration::from_secs(2),
        ..Policy::default()
    };
    execute(actor, req(), None, None, tx, policy).await;
    let mut out = Vec::new();
    while let Ok((m, _)) = rx.try_recv() {
        out.push(m);
    }
    out
}

/// The key reads as there until a DELETE of it was answered `deleted`
/// (answered `first` the first time), then as gone.
async fn key_deleted_on_request(server: &MockServer, first: Option<ResponseTemplate>) {
    let deleted = scripted::Applied::new();
    if let Some(first) = first {
        Mock::given(method("DELETE"))
            .and(path(key_path()))
            .respond_with(first)
            .up_to_n_times(1)
            .mount(server)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path(key_path()))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(deleted.on_action(ResponseTemplate::new(200).set_body_json(
            json!({"object":"organization.project.api_key.deleted","id":KEY,"deleted":true}),
        )))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(key_path()))
        .respond_with(deleted.answer(
            ResponseTemplate::new(200).set_body_json(
                json!({"object":"organization.project.api_key","id":KEY,"name":"agents-prod"}),
            ),
            ResponseTemplate::new(404).set_body_json(
                json!({"error":{"message":"No such API key","type":"invalid_request_error"}}),
            ),
        ))
        .mount(server)
        .await;
}

async fn list_keys(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("/v1/organization/projects/{PROJECT}/api_keys")))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object":"list","data":[
            {"object":"organization.project.api_key","id":KEY,"name":"agents-prod","redacted_value":"sk-abc...def"},
            {"object":"organization.project.api_key","id":"key_xyz","name":"ci","redacted_value":"sk-xyz...123"}],
            "first_id":KEY,"last_id":"key_xyz","has_more":false})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn revoke_deletes_the_key_and_confirms_it_is_gone() {
    let server = MockServer::start().await;
    list_keys(&server).await;
    key_deleted_on_request(&server, None).await;
    let (mut src, actor) = build_pair(&spec(&server), http::client()).unwrap();
    // The poller lists the keys to pick from.
    let b = src.poll().await.unwrap();
    assert_eq!(b.credentials, vec![KEY.to_string(), "key_xyz".to_string()]);
    assert_eq!(b.offered, Some(vec![ActionKind::RevokeCredential]));
    let msgs = run(actor).await;
    assert!(
        matches!(msgs.last(), Some(ActionMsg::Verified { outcome: cordon::model::ActionPhase::Confirmed, detail, .. }) if detail.contains("no longer exists")),
        "{msgs:?}"
    );
}

#[tokio::test]
async fn http_401_is_refused_and_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(key_path()))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error":{"message":"Invalid admin key"}})),
        )
        .mount(&server)
        .await;
    let (_, actor) = build_pair(&spec(&server), http::client()).unwrap();
    let msgs = run(actor).await;
    match msgs.last() {
        Some(ActionMsg::Answered {
            result: Err((Some(401), e)),
            attempts: 1,
            ..
        }) => assert!(
            e.contains("401 unauthorized") && e.contains("Invalid admin key"),
            "{e}"
        ),
        m => panic!("{m:?}"),
    }
    let deletes = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "DELETE")
        .count();
    assert_eq!(deletes, 1, "not retried");
}

#[tokio::test]
async fn http_404_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(key_path()))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error":{"message":"No such API key: key_abc"}})),
        )
        .mount(&server)
        .await;
    let (_, actor) = build_pair(&spec(&server), http::client()).unwrap();
    let msgs = run(actor).await;
    assert!(
        matches!(msgs.last(), Some(ActionMsg::Answered { result: Err((Some(404), e)), .. }) if e.contains("No such API key")),
        "{msgs:?}"
    );
}

#[tokio::test]
async fn http_429_is_retried_after_the_wait() {
    let server = MockServer::start().await;
    key_deleted_on_request(
        &server,
        Some(ResponseTemplate::new(429).insert_header("Retry-After", "1")),
    )
    .await;
    let (_, actor) = build_pair(&spec(&server), http::client()).unwrap();
    let msgs = run(actor).await;
    assert!(msgs.iter().any(|m| matches!(m, ActionMsg::Retrying { error, .. } if error.contains("retrying in 1.0 s"))), "{msgs:?}");
    assert!(matches!(
        msgs.last(),
        Some(ActionMsg::Verified {
            outcome: cordon::model::ActionPhase::Confirmed,
            ..
        })
    ));
}

#[test]
fn admin_key_file_must_be_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("admin.key");
    std::fs::write(&f, "sk-admin\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = cordon::source::openai_admin::load_secret(None, f.to_str()).unwrap_err();
    assert!(e.contains("chmod 600"), "{e}");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        cordon::source::openai_admin::load_secret(None, f.to_str())
            .unwrap()
            .expose(),
        "sk-admin"
    );
}
