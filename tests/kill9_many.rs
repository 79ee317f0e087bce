//! SIGKILL the real binary again and again while it writes (a fast demo:
//! events, run changes, controls, plus notes and stop intents typed into
//! it): every record the journal had acknowledged as durable (its fsync
//! acks, `CORDON_JOURNAL_ACKS`) survives each restart, nothing on disk is
//! lost, a torn tail is cut and reported, never glued, and the chain
//! verifies at the end.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cordon::journal::{self, read_journal};

#[test]
fn sigkill_at_many_points_loses_nothing_on_disk() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIP: script(1) from util-linux is needed to give the console a pty");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-KILL");
    let path = journal::journal_path(&dir);
    let mut rng = fastrand::Rng::with_seed(11);
    let mut kept = 0usize;
    let mut kept_len = 0u64;
    let mut torn_seen = 0;
    let acks = tmp.path().join("acks");
    let mut acked_max = 0u64;
    // One fast simulator for every round: each console reopens the same
    // incident (a demo would refuse to write over it).
    let sim = common::SimServer::start(&["--speed", "20"]);
    let console = format!(
        "{} --source {} --poll 0.5 --incident-dir {}",
        env!("CARGO_BIN_EXE_cordon"),
        sim.source(),
        dir.display()
    );
    // What the console printed (its screen), for a failure message.
    let screen = tmp.path().join("screen");
    for round in 0..8 {
        // The console needs a terminal: run it under `script` for a pty,
        // given a size (a 0x0 window refuses the keys that act).
        let cmd = format!("stty cols 160 rows 48; exec {console}");
        let mut child = Command::new("script")
            .args(["-q", "-e", "-c", &cmd, "/dev/null"])
            .env("XDG_STATE_HOME", tmp.path())
            .env("TERM", "xterm-256color")
            .env("CORDON_JOURNAL_ACKS", &acks)
            .stdin(Stdio::piped())
            .stdout(std::fs::File::create(&screen).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("script(1) runs");
        // Wait until it has written more than before, then a little longer
        // (a different point each round), then SIGKILL the console.
        // "Written" means a record after this session's start: those come
        // from the UI loop, so the terminal is in raw mode by then (typed
        // before it, Ctrl-S would be XOFF and freeze the console's output).
        let start = Instant::now();
        let session_running = || {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let tail = &text[(kept_len as usize).min(text.len())..];
            tail.rfind("\"type\":\"session_started\"")
                .is_some_and(|i| tail[i..].lines().count() > 1)
        };
        while !session_running() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "round {round}: the console ended ({status}) before writing: {}",
                    std::fs::read_to_string(&screen).unwrap_or_default()
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "round {round}: nothing written"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // Type into it: a note (saved with Ctrl-S), then stop the selected
        // run (x, Tab to Confirm, Enter), so notes and intents are in flight.
        if let Some(stdin) = child.stdin.as_mut() {
            let keys = format!("5inote of round {round}\x13\x1b1x\t\r");
            for b in keys.bytes() {
                let _ = stdin.write_all(&[b]);
                let _ = stdin.flush();
                std::thread::sleep(Duration::from_millis(rng.u64(0..40)));
            }
        }
        let pid = Command::new("pgrep")
            .args(["-f", &format!("incident-dir {}", dir.display())])
            .output()
            .unwrap();
        for p in String::from_utf8_lossy(&pid.stdout).split_whitespace() {
            let _ = Command::new("kill").args(["-9", p]).status();
        }
        let _ = child.kill();
        let _ = child.wait();
        // Wait until the killed console has really let go of the incident.
        // Its command line vanishes from /proc (what pgrep reads) as soon
        // as its main thread drops the address space, but the lock is held
        // by the file table, released only when the last thread is gone:
        // the journal thread in the middle of an fsync keeps it for as long
        // as the disk takes, seconds under I/O load. Waiting on pgrep let
        // the next round start while the lock was still held; that console
        // was refused ("open in another cordon"), wrote nothing, and the
        // round timed out. So wait for what the next console needs: the lock.
        common::wait_lock_free(&dir, &format!("round {round}"));
        let out = read_journal(&path).unwrap();
        assert!(
            out.bad.is_none(),
            "round {round}: damage before the tail: {:?}",
            out.bad
        );
        torn_seen += out.torn.is_some() as usize;
        assert!(
            out.entries.len() >= kept,
            "round {round}: {} records now, {kept} before",
            out.entries.len()
        );
        // Every fsync the writer acknowledged names a record that is there,
        // with the same hash.
        for line in std::fs::read_to_string(&acks).unwrap_or_default().lines() {
            let Some((seq, hash)) = line.split_once(' ') else {
                continue; // an ack line torn by the kill itself
            };
            let Ok(seq) = seq.parse::<u64>() else {
                continue;
            };
            assert!(
                out.hashes.get(seq as usize).map(String::as_str) == Some(hash),
                "round {round}: acknowledged record {seq} ({hash}) lost; {} on disk",
                out.entries.len()
            );
            acked_max = acked_max.max(seq + 1);
        }
        kept = out.entries.len();
        kept_len = out.good_len;
    }
    // Opening cuts any torn tail, and the chain verifies.
    let j = journal::Journal::open(&dir).unwrap();
    assert!(j.entries.len() >= kept);
    j.close();
    let (_, n) = journal::verify(&path).unwrap().expect("the chain verifies");
    assert!(n >= kept && kept > 0);
    assert!(acked_max > 0, "no fsync was ever acknowledged");
    let text = std::fs::read_to_string(&path).unwrap();
    let notes = text.matches("note of round").count();
    let intents = text.matches("\"type\":\"action_intent\"").count();
    assert!(notes > 0, "no typed note reached the journal");
    assert!(intents > 0, "no stop intent reached the journal");
    eprintln!(
        "8 kills, {kept} records kept ({acked_max} acknowledged, all there), {notes} notes, {intents} stop intents, {torn_seen} torn tails seen and cut"
    );
}
