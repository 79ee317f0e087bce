//! The real binary in tmux: type a note, SIGKILL the process, restart, and
//! find the note (and the unsaved draft) again.

mod common;

use std::path::Path;
use std::process::Command;

use common::tmux;

fn wait_for(what: &str, f: impl FnMut() -> bool) {
    common::wait_for("", what, f)
}

/// The console on `source`, writing the incident in `dir` (reopened after
/// the kill: a demo would refuse an existing incident).
fn start(session: &str, dir: &Path, state: &Path, source: &str) {
    let cmd = format!(
        "exec env XDG_STATE_HOME={} {} --source {source} --incident-dir {}",
        state.display(),
        env!("CARGO_BIN_EXE_cordon"),
        dir.display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "160",
        "-y",
        "48",
        &cmd,
    ]);
    wait_for("the console", || {
        tmux(&["capture-pane", "-p", "-t", session]).contains("sim ok")
    });
}

#[test]
fn a_note_survives_kill_dash_nine() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIP: tmux is not installed; this test drives the real binary in tmux");
        assert!(
            std::env::var("CORDON_REQUIRE_PEERS").is_err(),
            "tmux required"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-KILL");
    let session = format!("cordon-kill9-{}", std::process::id());
    let sim = common::SimServer::start(&[]);
    start(&session, &dir, tmp.path(), &sim.source());
    // A saved decision, then a draft that is never saved by hand.
    tmux(&["send-keys", "-t", &session, "5", "i"]);
    tmux(&[
        "send-keys",
        "-t",
        &session,
        "-l",
        "Hold refund-followups until segment ids are exact",
    ]);
    tmux(&["send-keys", "-t", &session, "C-s"]);
    tmux(&[
        "send-keys",
        "-t",
        &session,
        "-l",
        "draft: check cohorts C and D",
    ]);
    let journal = cordon::journal::journal_path(&dir);
    // The draft reaches the journal on its own (debounced autosave).
    wait_for("the draft in the journal", || {
        std::fs::read_to_string(&journal).is_ok_and(|j| j.contains("draft: check cohorts C and D"))
    });
    let pid = tmux(&["display-message", "-p", "-t", &session, "#{pane_pid}"])
        .trim()
        .to_string();
    let killed = Command::new("kill").args(["-9", &pid]).status().unwrap();
    assert!(killed.success());
    tmux(&["kill-session", "-t", &session]);
    // The journal is whole, and a restart shows both (once the killed
    // console has let go of the incident).
    assert!(cordon::journal::verify(&journal).unwrap().is_ok());
    common::wait_lock_free(&dir, "restart");
    start(&session, &dir, tmp.path(), &sim.source());
    tmux(&["send-keys", "-t", &session, "5"]);
    wait_for("the note and the draft on screen", || {
        let s = tmux(&["capture-pane", "-p", "-t", &session]);
        s.contains("Hold refund-followups until segment ids are exact")
            && s.contains("draft: check cohorts C and D")
    });
    tmux(&["send-keys", "-t", &session, "q"]);
    tmux(&["kill-session", "-t", &session]);
}
