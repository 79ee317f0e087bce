//! A planted token: sent as a bearer token, never on screen, in the
//! journal or in an export, even when the platform echoes it back.

mod common;

use common::*;
use cordon::app::{Effect, Msg};
use cordon::journal::{GENESIS, writer::render_line};
use cordon::report::{self, JournalView};
use cordon::source::{Source, SourceMsg, aca::Aca, http};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "cordon-test-token-7f3a9c2e51d04b86";

#[tokio::test]
async fn the_token_is_sent_and_never_shown_or_kept() {
    // SAFETY: only this test uses this variable.
    unsafe { std::env::set_var("CORDON_TEST_ACA_TOKEN", TOKEN) };
    let server = MockServer::start().await;
    let auth = format!("Bearer {TOKEN}");
    Mock::given(method("GET"))
        .and(path("/v1/info"))
        .and(header("authorization", auth.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"actions": ["stop_run"]})))
        .mount(&server)
        .await;
    // The platform echoes the token back in its error.
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(500).set_body_json(
            json!({"error": {"message": format!("bad auth header {auth} for tenant")}}),
        ))
        .mount(&server)
        .await;
    let url = format!("{}?token_env=CORDON_TEST_ACA_TOKEN", server.uri());
    let mut src = Aca::new("sim", &url, http::client());
    let err = src.poll().await.unwrap_err();
    assert!(
        err.message.contains("[redacted]") && !err.message.contains(TOKEN),
        "{}",
        err.message
    );
    let info = server.received_requests().await.unwrap();
    assert!(
        info.iter().any(|r| r
            .headers
            .get("authorization")
            .is_some_and(|v| v == auth.as_str())),
        "the token was sent"
    );
    // Through the app: status bar, journal, exports.
    let mut a = app(at(0));
    a.sources[0].url = url.clone();
    let mut journal = String::new();
    let mut prev = GENESIS.to_string();
    for (i, f) in a
        .update(Msg::Source(
            Box::new(SourceMsg::Failed {
                source: "sim".into(),
                error: err.message.clone(),
                retry_in: std::time::Duration::from_secs(1),
            }),
            at(1),
        ))
        .into_iter()
        .enumerate()
    {
        if let Effect::Journal(r) = f {
            let (l, h) = render_line(i as u64, &prev, at(1), r);
            journal.push_str(&l);
            prev = h;
        }
    }
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("[redacted]") && !s.contains(TOKEN));
    assert!(!journal.contains(TOKEN) && journal.contains("redacted"));
    let j = JournalView::from_bytes(journal.as_bytes());
    let r = j.replay("INC", "/tmp");
    for k in report::KINDS {
        assert!(!report::render(k, &r, &j, at(2)).contains(TOKEN), "{k}");
    }
    // Debug output of the secret never shows it either.
    let secret = cordon::secret::Secret::new(TOKEN.to_string());
    // (held in secrecy's SecretString, whose Debug prints [REDACTED]).
    let shown = format!("{secret:?}");
    assert!(
        !shown.contains(TOKEN) && shown.contains("REDACTED"),
        "{shown}"
    );
}

#[test]
fn a_token_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("token");
    std::fs::write(&f, "tok\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
    let e = cordon::secret::load(None, f.to_str()).unwrap_err();
    assert!(e.contains("chmod 600"), "{e}");
}

/// The real binary's own output (cordon has no log file: what it says goes
/// to stdout/stderr) never carries the token, even when the platform echoes
/// it back in an error body.
#[tokio::test]
async fn the_binary_never_prints_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"error": {"message": format!("token {TOKEN} is not allowed here")}}),
        ))
        .mount(&server)
        .await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args([
            "runs",
            "--source",
            &format!("p=aca:{}?token_env=CORDON_PLANTED", server.uri()),
        ])
        .env("CORDON_PLANTED", TOKEN)
        .output()
        .await
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success());
    assert!(all.contains("403") && all.contains("[redacted]"), "{all}");
    assert!(!all.contains(TOKEN), "{all}");
    let seen = server.received_requests().await.unwrap();
    assert!(seen.iter().any(|r| {
        r.headers
            .get("authorization")
            .is_some_and(|v| v.to_str().unwrap_or("").contains(TOKEN))
    }));
}

/// A password in a source URL goes out as basic auth; a platform that
/// echoes the header back (`Basic base64(user:password)`) puts it in an
/// event: the event enters cleaned.
#[tokio::test]
async fn a_url_password_echoed_as_basic_auth_is_redacted_where_it_enters() {
    use base64::Engine;
    let server = MockServer::start().await;
    let basic = base64::engine::general_purpose::STANDARD.encode("opsuser:Zq7vKp2mWx9rLt4n");
    Mock::given(method("GET"))
        .and(path("/v1/info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"actions": ["stop_run"]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"events": [{
            "id": "e1", "run_id": "r1", "kind": "error", "at": "2026-11-24T10:00:00Z",
            "summary": format!("upstream rejected header: Basic {basic}")
        }]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/controls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/runs"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"runs": []})))
        .mount(&server)
        .await;
    let url = server
        .uri()
        .replace("http://", "http://opsuser:Zq7vKp2mWx9rLt4n@");
    let spec: cordon::source::SourceSpec = format!("h=aca:{url}").parse().unwrap();
    let (mut src, _) = cordon::source::build_pair(&spec, http::client()).unwrap();
    let b = src.poll().await.unwrap();
    let summary = b.events[0].summary.to_string();
    assert!(summary.contains("[redacted]"), "{summary}");
    assert!(!summary.contains(&basic[..12]), "{summary}");
}

/// A token the commander pastes into a note by mistake is redacted where
/// the typed text is cleaned (as all text is): neither the draft nor the
/// note in the journal, nor the screen, holds it.
#[test]
fn a_token_typed_by_the_commander_is_never_kept() {
    use cordon::journal::Record;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    cordon::secret::remember(TOKEN);
    let mut a = app_with(&["wrong-segment"], false, 12);
    let mut fx = Vec::new();
    fx.extend(a.update(ch('5')));
    fx.extend(a.update(ch('i')));
    for c in format!("pasted {TOKEN} into the chat by mistake").chars() {
        fx.extend(a.update(ch(c)));
    }
    fx.extend(a.update(Msg::Tick(at(20))));
    fx.extend(a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    ))));
    let recs: Vec<Record> = fx
        .into_iter()
        .filter_map(|e| match e {
            Effect::Journal(r) => Some(r),
            _ => None,
        })
        .collect();
    assert!(
        recs.iter()
            .any(|r| matches!(r, Record::Note { note } if note.text.contains("[redacted]"))),
        "{recs:?}"
    );
    assert!(
        recs.iter().any(|r| matches!(r, Record::NoteDraft { .. })),
        "the draft was journaled too: {recs:?}"
    );
    let mut all = String::new();
    for r in &recs {
        all.push_str(&render_line(1, GENESIS, at(20), r.clone()).0);
    }
    assert!(!all.contains(TOKEN) && !all.contains(&TOKEN[..20]), "{all}");
    let shown = screen(&mut a, 160, 48);
    assert!(!shown.contains(&TOKEN[..20]), "{shown}");
}
