//! The console (the real binary, in tmux) with an incident directory whose
//! journal cannot grow (RLIMIT_FSIZE via prlimit: a full disk as the
//! process sees it): a red banner instead of stderr over the screen,
//! watching goes on, every action is refused and nothing reaches the
//! platform, and the exit says what is missing.

mod common;

use std::time::Duration;

use common::{tmux, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_cannot_be_written_refuses_actions_and_says_so() {
    for tool in ["tmux", "prlimit"] {
        if std::process::Command::new(tool).arg("-V").output().is_err()
            && std::process::Command::new(tool)
                .arg("--version")
                .output()
                .is_err()
        {
            eprintln!("SKIP: {tool} is needed to drive the real console");
            assert!(
                std::env::var("CORDON_REQUIRE_PEERS").is_err(),
                "{tool} required"
            );
            return;
        }
    }
    let mut world =
        cordon::sim::World::new(&["wrong-segment".to_string()], false, 7, chrono::Utc::now())
            .unwrap();
    world.advance(Duration::from_secs(5));
    let sim = cordon::sim::start_with("127.0.0.1:0".parse().unwrap(), world, 1.0)
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-FULL");
    let session = format!("cordon-i14-full-{}", std::process::id());
    // Room for the session's first line, not for the first poll.
    let cmd = format!(
        "env XDG_STATE_HOME={state} prlimit --fsize=2000 -- {bin} --source sim=aca:{url} --incident-dir {dir}; echo EXIT=$?; sleep 60",
        state = tmp.path().display(),
        bin = env!("CARGO_BIN_EXE_cordon"),
        url = sim.url(),
        dir = dir.display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "160",
        "-y",
        "48",
        &cmd,
    ]);
    let _end = Session(session.clone());
    let screen = || tmux(&["capture-pane", "-p", "-t", &session]);
    wait_for(&session, "the banner", || {
        screen().contains("JOURNAL NOT WRITABLE")
    });
    let s = screen();
    assert!(
        s.lines().next().unwrap().contains("JOURNAL NOT WRITABLE"),
        "{s}"
    );
    assert!(s.contains("File too large"), "{s}");
    assert!(
        !s.contains("cordon: journal write failed"),
        "no raw stderr: {s}"
    );
    // Watching goes on: the runs are listed.
    wait_for(&session, "the runs", || {
        screen().contains("refund-followups")
    });
    // Stop the selected run: refused, with the reason.
    tmux(&["send-keys", "-t", &session, "x"]);
    wait_for(&session, "the refusal", || {
        screen().contains("refused: journal not writable")
    });
    assert!(
        sim.world.lock().unwrap().arrivals.is_empty(),
        "nothing reached the platform"
    );
    // The banner stays.
    assert!(screen().contains("JOURNAL NOT WRITABLE"));
    // A note typed now cannot reach the journal: it is said at exit, to
    // copy, not lost.
    tmux(&["send-keys", "-t", &session, "5", "i"]);
    tmux(&[
        "send-keys",
        "-t",
        &session,
        "-l",
        "segment id was fuzzy-matched",
    ]);
    tmux(&["send-keys", "-t", &session, "C-s"]);
    wait_for(&session, "the note listed", || {
        screen().contains("segment id was fuzzy-matched")
    });
    // Esc then q as separate keystrokes (ESC q together reads as Alt-q).
    tmux(&["send-keys", "-t", &session, "Escape"]);
    wait_for(&session, "the editor to close", || {
        screen().contains("i write")
    });
    tmux(&["send-keys", "-t", &session, "q"]);
    wait_for(&session, "the exit", || screen().contains("EXIT=9"));
    let s = screen();
    assert!(
        s.contains("the journal stops at its last durable line"),
        "{s}"
    );
    assert!(s.contains("NOT SAVED"), "{s}");
    assert!(
        s.lines()
            .any(|l| l.contains("note (note)") && l.contains("segment id was fuzzy-matched")),
        "{s}"
    );
    // What is on disk is a whole chain.
    let j = cordon::journal::journal_path(&dir);
    assert!(cordon::journal::verify(&j).unwrap().is_ok());
}

/// Ends the tmux session however the test ends.
struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        tmux(&["kill-session", "-t", &self.0]);
    }
}
