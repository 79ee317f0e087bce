//! A commander and a watcher on the same host (tmux, the real binary): the
//! commander stops a run and adds a note; the watcher shows both, and says
//! the commander is live; the commander quits and the watcher says so; the
//! commander restarts and the watcher keeps following.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(args: &[&str]) -> String {
    let o = Command::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn screen(s: &str) -> String {
    tmux(&["capture-pane", "-p", "-t", s])
}

/// Wait on another process's screen: polled with a deadline.
fn wait_for(session: &str, what: &str, f: impl Fn(&str) -> bool) -> Duration {
    let start = Instant::now();
    loop {
        let s = screen(session);
        if f(&s) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}:\n{s}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn start(session: &str, args: &str, state: &Path) {
    start_with(session, "", args, state)
}

/// The real binary in a new tmux session, with `env` (`NAME=VALUE …`).
fn start_with(session: &str, env: &str, args: &str, state: &Path) {
    let cmd = format!(
        "exec env {env} XDG_STATE_HOME={} {} {args}",
        state.display(),
        env!("CARGO_BIN_EXE_cordon")
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
}

#[test]
fn a_watcher_follows_the_commander() {
    if !common::have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-WATCH");
    let (cmd, wat) = (
        format!("cordon-cmd-{}", std::process::id()),
        format!("cordon-wat-{}", std::process::id()),
    );
    // The commander's console on a simulator of its own: it reopens the
    // same incident below (a demo only ever writes a new one).
    let sim = common::SimServer::start(&[]);
    let commander = format!("--source {} --incident-dir {}", sim.source(), dir.display());
    start(&cmd, &commander, tmp.path());
    wait_for(&cmd, "the commander", |s| s.contains("sim ok"));
    start(
        &wat,
        &format!("watch --incident-dir {}", dir.display()),
        tmp.path(),
    );
    wait_for(&wat, "the watcher", |s| {
        s.contains("WATCHING (read-only)") && s.contains("LIVE")
    });
    // The commander stops the selected run.
    tmux(&["send-keys", "-t", &cmd, "x"]);
    wait_for(&cmd, "the confirm dialog", |s| {
        s.contains("Confirm: stop_run")
    });
    tmux(&["send-keys", "-t", &cmd, "Tab", "Enter"]);
    tmux(&["send-keys", "-t", &wat, "4"]);
    let t_action = wait_for(&wat, "the stop on the watcher", |s| {
        s.contains("CONFIRMED stop_run")
    });
    // And writes a note.
    tmux(&["send-keys", "-t", &cmd, "5", "i"]);
    tmux(&["send-keys", "-t", &cmd, "-l", "watchers: drafter stopped"]);
    tmux(&["send-keys", "-t", &cmd, "C-s"]);
    tmux(&["send-keys", "-t", &wat, "5"]);
    let t_note = wait_for(&wat, "the note on the watcher", |s| {
        s.contains("watchers: drafter stopped")
    });
    eprintln!("watcher saw the action after {t_action:?}, the note after {t_note:?}");
    // The watcher cannot act.
    tmux(&["send-keys", "-t", &wat, "1", "x"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !screen(&wat).contains("Confirm:"),
        "a watcher has no containment keys"
    );
    // The commander restarts; the watcher keeps following.
    // Esc then q as separate keystrokes (ESC q together reads as Alt-q).
    tmux(&["send-keys", "-t", &cmd, "Escape"]);
    wait_for(&cmd, "the editor to close", |s| s.contains("i write"));
    tmux(&["send-keys", "-t", &cmd, "q"]);
    wait_for(&cmd, "the commander to quit", |s| !s.contains("sim ok"));
    tmux(&["kill-session", "-t", &cmd]);
    // The watcher says the commander is gone, and how old its view is.
    wait_for(&wat, "the watcher to see the commander gone", |s| {
        s.contains("GONE (quit)") && s.contains("not live")
    });
    start(&cmd, &commander, tmp.path());
    wait_for(&cmd, "the commander again", |s| s.contains("sim ok"));
    tmux(&["send-keys", "-t", &cmd, "5", "i"]);
    tmux(&["send-keys", "-t", &cmd, "-l", "after the restart"]);
    tmux(&["send-keys", "-t", &cmd, "C-s"]);
    wait_for(&wat, "the note after the restart", |s| {
        s.contains("after the restart") && s.contains("LIVE")
    });
    tmux(&["kill-session", "-t", &cmd]);
    tmux(&["kill-session", "-t", &wat]);
}

/// The escape sequences a `capture-pane -e` screen starts with: the style
/// of the header line's first cell.
fn header_style(screen: &str) -> String {
    screen[..screen.find(" cordon ").unwrap_or(0)].to_string()
}

/// A journal rewritten under a watcher (the commander's restart cut it)
/// makes the watcher rebuild its view from the start: it keeps drawing
/// with the theme it started with, and without colour under NO_COLOR (the
/// header then stands out in reverse video).
#[test]
fn a_rewritten_journal_keeps_the_watchers_theme_and_no_color() {
    use cordon::journal::{Journal, Record};
    if !common::have_tmux() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-THEME");
    let j = Journal::open(&dir).unwrap();
    j.handle.append(Record::SessionStarted {
        incident: "INC-THEME".into(),
        operator: cordon::journal::Operator::default(),
        version: "t".into(),
        sources: vec![],
    });
    for n in 0..5 {
        j.handle.append(Record::NoteDraft {
            text: format!("draft {n}"),
            at: common::at(n),
        });
    }
    j.handle.append(Record::SessionEnded {
        reason: "quit".into(),
    });
    j.close();
    let pid = std::process::id();
    let (plain, light) = (
        format!("cordon-nocolor-{pid}"),
        format!("cordon-light-{pid}"),
    );
    for (session, env, theme) in [
        (&plain, "NO_COLOR=1", ""),
        (&light, "COLORTERM=truecolor", "--theme light"),
    ] {
        let args = format!("{theme} watch --incident-dir {}", dir.display());
        start_with(session, env, &args, tmp.path());
    }
    let styled = |s: &str| tmux(&["capture-pane", "-p", "-e", "-t", s]);
    for s in [&plain, &light] {
        wait_for(s, "the watcher", |x| x.contains("7 records"));
    }
    let light_header = header_style(&styled(&light));
    assert!(!light_header.is_empty(), "{}", styled(&light));
    assert_eq!(header_style(&styled(&plain)), "\x1b[7m");
    // The commander's restart cut the journal: its first three lines stay.
    let path = cordon::journal::journal_path(&dir);
    let text = std::fs::read_to_string(&path).unwrap();
    let kept: String = text.split_inclusive('\n').take(3).collect();
    std::fs::write(&path, kept).unwrap();
    for s in [&plain, &light] {
        wait_for(s, "the rebuilt view", |x| x.contains("3 records"));
    }
    let (plain_after, light_after) = (styled(&plain), styled(&light));
    tmux(&["kill-session", "-t", &plain]);
    tmux(&["kill-session", "-t", &light]);
    assert_eq!(
        header_style(&plain_after),
        "\x1b[7m",
        "NO_COLOR's reverse header after the rebuild:\n{plain_after}"
    );
    assert_eq!(
        header_style(&light_after),
        light_header,
        "the light theme's header after the rebuild:\n{light_after}"
    );
}
