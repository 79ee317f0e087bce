//! SIGINT, SIGTERM and SIGHUP on the real binary (in tmux): the journal gets a
//! `session_ended` record and still verifies, the terminal is restored
//! (alternate screen off, cursor shown, mouse capture off), and the exit
//! code is 128 + the signal. Mouse capture follows the console through
//! Ctrl-Z, `fg` and quit.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(args: &[&str]) -> String {
    let o = Command::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn wait_for(what: &str, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `signal` is a signal name, or "PANIC" for F12 under CORDON_TEST_PANIC.
fn run(signal: &str, code: i32) {
    let panic = signal == "PANIC";
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-SIG");
    let exit = tmp.path().join("exit");
    let pidf = tmp.path().join("pid");
    let raw = tmp.path().join("raw");
    let session = format!("cordon-sig-{signal}-{}", std::process::id());
    // The shell records the exit status; pipe-pane records every byte.
    let cmd = format!(
        "echo $$ > {pid}; env XDG_STATE_HOME={st} {panic} {bin} --mouse demo --incident-dir {dir}; echo $? > {exit}; sleep 30",
        pid = pidf.display(),
        st = tmp.path().display(),
        bin = env!("CARGO_BIN_EXE_cordon"),
        dir = dir.display(),
        exit = exit.display(),
        panic = if panic { "CORDON_TEST_PANIC=1" } else { "" },
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "120",
        "-y",
        "40",
        &cmd,
    ]);
    tmux(&[
        "pipe-pane",
        "-o",
        "-t",
        &session,
        &format!("cat >> {}", raw.display()),
    ]);
    wait_for("the console", || {
        tmux(&["capture-pane", "-p", "-t", &session]).contains("sim ok")
    });
    let shell: i32 = std::fs::read_to_string(&pidf)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let child = Command::new("pgrep")
        .args(["-P", &shell.to_string()])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&child.stdout)
        .trim()
        .lines()
        .next()
        .unwrap()
        .to_string();
    if panic {
        // A note typed and saved first: it must be in the journal after.
        tmux(&["send-keys", "-t", &session, "5", "i"]);
        tmux(&["send-keys", "-t", &session, "-l", "saved before the panic"]);
        tmux(&["send-keys", "-t", &session, "C-s", "Escape"]);
        wait_for("the note on screen", || {
            tmux(&["capture-pane", "-p", "-t", &session]).contains("saved before the panic")
        });
        tmux(&["send-keys", "-t", &session, "F12"]);
    } else {
        assert!(
            Command::new("kill")
                .args([&format!("-{signal}"), &pid])
                .status()
                .unwrap()
                .success()
        );
    }
    wait_for("the exit status", || {
        std::fs::read_to_string(&exit).is_ok_and(|s| !s.trim().is_empty())
    });
    assert_eq!(
        std::fs::read_to_string(&exit).unwrap().trim(),
        code.to_string()
    );
    let journal = cordon::journal::journal_path(&dir);
    let text = std::fs::read_to_string(&journal).unwrap();
    let last = text.lines().last().unwrap();
    let why = if panic {
        "panic: CORDON_TEST_PANIC"
    } else {
        "signal"
    };
    assert!(
        last.contains("\"type\":\"session_ended\"") && last.contains(why),
        "{last}"
    );
    if panic {
        assert!(text.contains("saved before the panic"), "the note was lost");
    }
    assert!(cordon::journal::verify(&journal).unwrap().is_ok());
    let bytes = std::fs::read(&raw).unwrap();
    let tail = String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(4096)..]).to_string();
    for (seq, what) in [
        ("\u{1b}[?1049l", "alternate screen off"),
        ("\u{1b}[?25h", "cursor shown"),
        ("\u{1b}[?1000l", "mouse capture off"),
    ] {
        assert!(
            tail.contains(seq),
            "{what} missing from the restore: {tail:?}"
        );
    }
    tmux(&["kill-session", "-t", &session]);
    let _ = Path::new(&raw);
}

#[test]
fn sigterm_flushes_marks_restores_and_exits_143() {
    if common::have_tmux() {
        run("TERM", 143);
    }
}

/// `kill -INT` (Ctrl-C itself is a key in raw mode): the same as SIGTERM.
#[test]
fn sigint_flushes_marks_restores_and_exits_130() {
    if common::have_tmux() {
        run("INT", 130);
    }
}

#[test]
fn sighup_flushes_marks_restores_and_exits_129() {
    if common::have_tmux() {
        run("HUP", 129);
    }
}

#[test]
fn a_panic_restores_the_terminal_keeps_the_journal_and_exits_101() {
    if common::have_tmux() {
        run("PANIC", 101);
    }
}

#[test]
fn ctrl_z_suspends_and_fg_resumes_in_the_console_watch_and_replay() {
    if !common::have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let session = format!("cordon-tstp-{}", std::process::id());
    // A real interactive shell with job control, as a commander has.
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "120",
        "-y",
        "40",
        "bash --norc --noprofile -i",
    ]);
    let cmd = format!(
        "XDG_STATE_HOME={} {} demo --incident-dir {}",
        tmp.path().display(),
        env!("CARGO_BIN_EXE_cordon"),
        tmp.path().join("INC-Z").display()
    );
    tmux(&["send-keys", "-t", &session, "-l", &cmd]);
    tmux(&["send-keys", "-t", &session, "Enter"]);
    let screen = || tmux(&["capture-pane", "-p", "-t", &session]);
    wait_for("the console", || screen().contains("sim ok"));
    tmux(&["send-keys", "-t", &session, "C-z"]);
    wait_for("the shell to report the stopped job", || {
        screen().contains("Stopped")
    });
    tmux(&["send-keys", "-t", &session, "-l", "fg"]);
    tmux(&["send-keys", "-t", &session, "Enter"]);
    wait_for("the console back after fg", || {
        let s = screen();
        s.contains("sim ok") && s.contains("Runs")
    });
    tmux(&["send-keys", "-t", &session, "q"]);
    wait_for("the journal path printed on exit", || {
        screen().contains("incident journal in")
    });
    // The read-only views of that incident suspend the same way.
    let inc = tmp.path().join("INC-Z");
    for (args, shown) in [
        (
            format!("watch --incident-dir {}", inc.display()),
            "WATCHING",
        ),
        (format!("replay {}", inc.display()), "REPLAY"),
    ] {
        tmux(&["send-keys", "-t", &session, "-l", "clear"]);
        tmux(&["send-keys", "-t", &session, "Enter"]);
        wait_for("the shell cleared", || !screen().contains("Stopped"));
        let cmd = format!(
            "XDG_STATE_HOME={} {} {args}",
            tmp.path().display(),
            env!("CARGO_BIN_EXE_cordon")
        );
        tmux(&["send-keys", "-t", &session, "-l", &cmd]);
        tmux(&["send-keys", "-t", &session, "Enter"]);
        wait_for(shown, || screen().contains(shown));
        tmux(&["send-keys", "-t", &session, "C-z"]);
        wait_for("the shell to report the stopped view", || {
            let s = screen();
            s.contains("Stopped") && !s.contains(shown)
        });
        tmux(&["send-keys", "-t", &session, "-l", "fg"]);
        tmux(&["send-keys", "-t", &session, "Enter"]);
        wait_for("the view back after fg", || screen().contains(shown));
        tmux(&["send-keys", "-t", &session, "q"]);
        wait_for("the view to end", || !screen().contains(shown));
    }
    tmux(&["kill-session", "-t", &session]);
}

/// The terminal set-up the console loops share, with `--mouse`: mouse
/// capture is on while the console runs, given back at Ctrl-Z and taken
/// again at `fg`, and given back at quit (tmux says what the pane's
/// program asked for).
#[test]
fn mouse_capture_follows_the_console_through_suspend_and_quit() {
    if !common::have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-MOUSE");
    let s = format!("cordon-mouse-{}", std::process::id());
    tmux(&["new-session", "-d", "-s", &s, "-x", "160", "-y", "48", "sh"]);
    let screen = || tmux(&["capture-pane", "-p", "-t", &s]);
    let mouse = || tmux(&["display", "-p", "-t", &s, "#{mouse_any_flag}"]);
    let run = format!(
        "XDG_STATE_HOME={} {} --mouse demo --incident-dir {}",
        tmp.path().display(),
        env!("CARGO_BIN_EXE_cordon"),
        dir.display()
    );
    tmux(&["send-keys", "-t", &s, "-l", &run]);
    tmux(&["send-keys", "-t", &s, "Enter"]);
    wait_for("the console", || screen().contains("sim ok"));
    assert_eq!(mouse().trim(), "1", "captured while it runs");
    tmux(&["send-keys", "-t", &s, "C-z"]);
    wait_for("the shell after Ctrl-Z", || !screen().contains("sim ok"));
    assert_eq!(mouse().trim(), "0", "given back at Ctrl-Z");
    tmux(&["send-keys", "-t", &s, "-l", "fg"]);
    tmux(&["send-keys", "-t", &s, "Enter"]);
    wait_for("the console again", || screen().contains("sim ok"));
    assert_eq!(mouse().trim(), "1", "taken again at fg");
    // Ctrl-C twice: quits even when the demo's incident asks first.
    tmux(&["send-keys", "-t", &s, "C-c"]);
    tmux(&["send-keys", "-t", &s, "C-c"]);
    wait_for("the shell after quit", || !screen().contains("sim ok"));
    let after = mouse();
    tmux(&["kill-session", "-t", &s]);
    assert_eq!(after.trim(), "0", "given back at quit");
}
