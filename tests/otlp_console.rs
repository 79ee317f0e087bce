//! The real binary, in tmux, with `--source otel=otlp:http://127.0.0.1:PORT`
//! while the instrumented Python agent (real OpenTelemetry SDK exporter)
//! sends its spans: the runs and the outbound email appear on screen, and
//! the journal holds them, chain intact.

mod peers;

use std::process::Command;

fn tmux(args: &[&str]) -> String {
    let o = Command::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[tokio::test]
async fn the_console_shows_an_instrumented_agent_live_and_journals_it() {
    let Some(py) = peers::require("python") else {
        return;
    };
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIP: tmux is not installed; this test drives the real binary in tmux");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-OTLP");
    let port = peers::free_port();
    let session = format!("cordon-otlp-{}", std::process::id());
    let cmd = format!(
        "env XDG_STATE_HOME={st} {bin} --source otel=otlp:http://127.0.0.1:{port} --incident-dir {dir}; sleep 30",
        st = tmp.path().display(),
        bin = env!("CARGO_BIN_EXE_cordon"),
        dir = dir.display(),
    );
    let mut new = vec!["new-session", "-d", "-s", &session];
    new.extend(["-x", "160", "-y", "48", &cmd]);
    tmux(&new);
    let screen = || tmux(&["capture-pane", "-p", "-t", &session]);
    peers::wait_until("the console, listening", 30, || {
        let s = screen();
        async move { s.contains("otel ok") }
    })
    .await;
    let out = tokio::process::Command::new(&py)
        .arg(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/otel/agent.py"))
        .arg(format!("http://127.0.0.1:{port}"))
        .output()
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("agent done"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    peers::wait_until("both runs and the email on screen", 30, || {
        let s = screen();
        async move {
            [
                "conv-refund-1",
                "refund-agent",
                "failed",
                "triage-agent",
                "succeeded",
                "OUT send_email",
            ]
            .iter()
            .all(|w| s.contains(w))
        }
    })
    .await;
    tmux(&["send-keys", "-t", &session, "q"]);
    let journal = cordon::journal::journal_path(&dir);
    peers::wait_until("the console to quit", 30, || {
        let s = screen();
        async move { !s.contains("otel ok") }
    })
    .await;
    tmux(&["kill-session", "-t", &session]);
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(cordon::journal::verify(&journal).unwrap().is_ok());
    let email = text
        .lines()
        .find(|l| l.contains("\"kind\":\"tool_call\"") && l.contains("send_email"))
        .expect("the email call is journaled");
    assert!(email.contains("\"outbound\":true") && email.contains("all-customers@example.com"));
    assert!(text.contains("\"agent\":\"refund-agent\"") && text.contains("\"state\":\"failed\""));
    assert!(text.contains("charge_card failed: __main__.Declined"));
}
