//! `cordon act` (the real binary) against a small scripted ACA server that
//! misbehaves the ways issue 14 saw: every outcome has its own exit code,
//! and nothing is called CONFIRMED that a fresh read of the same object did
//! not prove. Each case here exited 0 with CONFIRMED (or 5, "no answer")
//! before.

use std::process::Output;

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod scripted;

/// A scripted platform: its dry run, its answer to the action, and the
/// run as a fresh read shows it: `before` until a real action reached
/// the platform, `after` from then on.
async fn platform_at(
    dry: Value,
    answer: ResponseTemplate,
    before: Value,
    after: Value,
) -> MockServer {
    let s = MockServer::start().await;
    let applied = scripted::Applied::new();
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .and(query_param("dry_run", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(dry))
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .and(query_param_is_missing("dry_run"))
        .respond_with(applied.on_action(answer))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/runs/run_1"))
        .respond_with(applied.read(before, after))
        .mount(&s)
        .await;
    s
}

/// A platform whose `run_1` runs until the action arrives, then reads
/// as `run`.
async fn platform(dry: Value, answer: ResponseTemplate, run: Value) -> MockServer {
    platform_at(dry, answer, json!({"id": "run_1", "state": "running"}), run).await
}

fn preview(affected: &[&str]) -> Value {
    json!({"action_id": "", "kind": "stop_run", "state": "preview",
           "affected_runs": affected, "message": "dry run"})
}

fn applied(affected: &[&str]) -> ResponseTemplate {
    ResponseTemplate::new(202).set_body_json(json!({"action_id": "act_1", "kind": "stop_run",
        "state": "applied", "affected_runs": affected, "message": "ok"}))
}

/// Run `cordon act` on `run_1`; `fsize` limits the size of files it may
/// write (RLIMIT_FSIZE: a journal that cannot grow).
async fn act(server: &MockServer, kind: &str, fsize: Option<u64>) -> (Output, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_cordon"));
    cmd.args([
        "act",
        "--source",
        &format!("w=aca:{}", server.uri()),
        kind,
        "--run",
        "run_1",
        "--reason",
        "INC-1: wrong segment",
        "--yes",
        "--verify-timeout",
        "1",
        "--incident-dir",
    ])
    .arg(tmp.path().join("inc"))
    .env("XDG_STATE_HOME", tmp.path());
    if let Some(limit) = fsize {
        // SAFETY: setrlimit is async-signal-safe; nothing else runs here.
        unsafe {
            cmd.pre_exec(move || {
                let l = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &l) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    (cmd.output().await.unwrap(), tmp)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Real (non-dry) actions the platform received.
async fn sent(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && !r.url.query().unwrap_or("").contains("dry_run"))
        .count()
}

#[tokio::test]
async fn an_unknown_state_after_a_stop_is_unconfirmed_and_shown() {
    let s = platform(
        preview(&["run_1"]),
        applied(&["run_1"]),
        json!({"id": "run_1", "state": "RUNNING"}),
    )
    .await;
    let (o, _t) = act(&s, "stop_run", None).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("UNCONFIRMED") && out.contains("'RUNNING'"),
        "{out}"
    );
    assert!(!out.contains("CONFIRMED in"), "{out}");
}

#[tokio::test]
async fn another_runs_answer_does_not_confirm() {
    let s = platform(
        preview(&["run_1"]),
        applied(&["run_1"]),
        json!({"id": "run_2", "state": "stopped"}),
    )
    .await;
    let (o, _t) = act(&s, "stop_run", None).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(out.contains("named run run_2"), "{out}");
}

#[tokio::test]
async fn applied_then_500_is_confirmed_by_the_re_read() {
    let s = platform(
        preview(&["run_1"]),
        // Retry-After: 0 keeps the six tries quick.
        ResponseTemplate::new(500).insert_header("Retry-After", "0"),
        json!({"id": "run_1", "state": "stopped"}),
    )
    .await;
    let (o, t) = act(&s, "stop_run", None).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("answer was lost"), "{out}");
    assert!(out.contains("CONFIRMED"), "{out}");
    let journal = std::fs::read_to_string(t.path().join("inc/journal.jsonl")).unwrap();
    assert!(journal.contains("\"lost\":"), "{journal}");
}

#[tokio::test]
async fn a_stop_of_an_ended_run_sends_nothing_and_says_already_ended() {
    let ended = json!({"id": "run_1", "state": "succeeded"});
    let s = platform_at(preview(&[]), applied(&[]), ended.clone(), ended).await;
    let (o, _t) = act(&s, "stop_run", None).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(7), "{out}");
    assert!(
        out.contains("ALREADY ENDED") && out.contains("nothing to stop"),
        "{out}"
    );
    assert_eq!(sent(&s).await, 0, "nothing sent");
}

#[tokio::test]
async fn a_rollback_with_nothing_to_revert_sends_nothing() {
    let s = platform_at(
        json!({"action_id": "", "kind": "rollback_run", "state": "preview",
               "affected_runs": [], "message": "run already succeeded", "reverts": [],
               "cannot_revert": [{"event_id": "evt_3", "kind": "message_sent",
                   "target": "email:c1", "why": "a sent message cannot be unsent"}]}),
        applied(&[]),
        json!({"id": "run_1", "state": "succeeded"}),
        json!({"id": "run_1", "state": "succeeded"}),
    )
    .await;
    let (o, _t) = act(&s, "rollback_run", None).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(8), "{out}");
    assert!(out.contains("NOTHING TO ROLL BACK"), "{out}");
    assert!(out.contains("will NOT revert 1 write(s)"), "{out}");
    assert!(out.contains("a sent message cannot be unsent"), "{out}");
    assert_eq!(sent(&s).await, 0);
}

/// The incident directory on a "full disk": the journal cannot grow past
/// 64 bytes. Nothing reaches the platform, the exit code says why.
#[tokio::test]
async fn an_unwritable_journal_sends_nothing() {
    let s = platform(
        preview(&["run_1"]),
        applied(&["run_1"]),
        json!({"id": "run_1", "state": "stopped"}),
    )
    .await;
    let (o, t) = act(&s, "stop_run", Some(64)).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(9), "{out}");
    assert!(out.contains("NOT SENT"), "{out}");
    assert!(out.contains("File too large"), "{out}");
    assert!(!out.contains("CONFIRMED"), "{out}");
    assert_eq!(sent(&s).await, 0, "nothing on the wire");
    // What is on disk is a whole chain (cut back, never a torn line).
    let j = t.path().join("inc/journal.jsonl");
    assert!(cordon::journal::verify(&j).unwrap().is_ok() || std::fs::read(&j).unwrap().is_empty());
}

/// An earlier `act` on this incident was cut off after its intent (and
/// its request) left: the next `act` settles it with the platform first
/// (asked by key, re-read), journals the verdict, never re-sends it.
#[tokio::test]
async fn an_earlier_action_cut_off_is_settled_not_re_sent() {
    let s = platform(
        preview(&["run_1"]),
        applied(&["run_1"]),
        json!({"id": "run_1", "state": "stopped"}),
    )
    .await;
    let key = "22222222-0000-4000-8000-000000000002";
    Mock::given(method("GET"))
        .and(path("/v1/actions"))
        .and(query_param("idempotency_key", key))
        .respond_with(applied(&["run_2"]))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/runs/run_2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "run_2", "state": "stopped"})),
        )
        .mount(&s)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inc");
    scripted::crashed_earlier(&dir, key);
    let o = tokio::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["act", "--source", &format!("w=aca:{}", s.uri()), "stop_run"])
        .args(["--run", "run_1", "--reason", "INC-1: again", "--yes"])
        .args(["--verify-timeout", "1", "--incident-dir"])
        .arg(&dir)
        .env("XDG_STATE_HOME", tmp.path())
        .output()
        .await
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("earlier action CLI-earlier (stop_run run run_2): CONFIRMED"),
        "{out}"
    );
    assert_eq!(sent(&s).await, 1, "only the new action was sent");
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    assert!(journal.contains("reconciled after a restart"), "{journal}");
}
