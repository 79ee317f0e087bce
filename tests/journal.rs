//! Journal: append + replay equals live state; torn tails are cut and
//! reported; edits are caught by verify; one writer per incident.

mod common;

use common::*;
use cordon::app::Effect;
use cordon::journal::{self, Journal, OpenError, Record};
use std::io::Write;

/// Run a live app over a few polls, journaling its effects; return the
/// app and the incident dir.
fn live_incident(dir: &std::path::Path) -> cordon::app::App {
    let j = Journal::open(dir).unwrap();
    let mut live = app(at(0));
    let mut w = world(&["all"], true, 0);
    for step in 1..=8 {
        w.advance(std::time::Duration::from_secs(5));
        let records: Vec<Record> = live
            .update(polled("sim", batch_of(&w, "sim"), at(step * 5)))
            .into_iter()
            .filter_map(|fx| match fx {
                Effect::Journal(r) => Some(r),
                _ => None,
            })
            .collect();
        j.handle.append_all(records);
    }
    j.close();
    live
}

#[test]
fn replay_equals_live_state() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inc");
    let mut live = live_incident(&dir);
    let j = Journal::open(&dir).unwrap();
    assert!(j.torn.is_none());
    let mut replayed = app(live.now);
    for e in &j.entries {
        replayed.apply(&e.record);
    }
    replayed.refresh();
    replayed.rebuild_timeline();
    assert_eq!(replayed.store.runs, live.store.runs);
    assert_eq!(replayed.store.events, live.store.events);
    // And the screen is the same, before any new poll.
    let a = screen(&mut live, 160, 48);
    let b = screen(&mut replayed, 160, 48);
    // Only source health differs (the replayed app has not polled yet).
    let strip = |s: &str| s.lines().take(47).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn journal_lines_chain_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inc");
    live_incident(&dir);
    let path = journal::journal_path(&dir);
    let (head, n) = journal::verify(&path).unwrap().unwrap();
    assert_eq!(head.len(), 64);
    assert!(n > 100);
    // Every line starts with its hash and carries prev.
    let text = std::fs::read_to_string(&path).unwrap();
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("{\"hash\":\""));
    assert!(first.contains(&format!("\"prev\":\"{}\"", journal::GENESIS)));
}

#[test]
fn edited_line_is_caught_with_its_number() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inc");
    live_incident(&dir);
    let path = journal::journal_path(&dir);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Quietly change what an agent did on line 40.
    let target = lines
        .iter()
        .position(|l| l.contains("all-customers"))
        .unwrap();
    lines[target] = lines[target].replace("all-customers", "cohort-b");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let err = journal::verify(&path).unwrap().unwrap_err();
    assert_eq!(err.0, target + 1);
    assert!(err.1.contains("hash mismatch"), "{}", err.1);
    // A writer refuses to append after damage that is not a torn tail.
    match Journal::open(&dir) {
        Err(OpenError::Corrupt { line, .. }) => assert_eq!(line, target + 1),
        other => panic!("expected Corrupt, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn removed_line_breaks_the_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inc");
    live_incident(&dir);
    let path = journal::journal_path(&dir);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(10);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let (line, reason) = journal::verify(&path).unwrap().unwrap_err();
    assert_eq!(line, 11);
    assert!(reason.contains("chain broken"), "{reason}");
}

#[test]
fn torn_tail_is_cut_reported_and_never_glued() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inc");
    live_incident(&dir);
    let path = journal::journal_path(&dir);
    let good = std::fs::read(&path).unwrap();
    let n_good = good.iter().filter(|&&b| b == b'\n').count();
    // A crash mid-write: half of a record, no newline.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"{\"hash\":\"abc\",\"seq\":99").unwrap();
    drop(f);
    assert!(
        journal::verify(&path).unwrap().is_err(),
        "verify reports the torn tail"
    );
    let j = Journal::open(&dir).unwrap();
    let torn = j.torn.clone().expect("torn tail reported");
    assert_eq!(torn.line, n_good + 1);
    assert_eq!(j.entries.len(), n_good);
    // The next record starts on a clean line and the chain verifies.
    j.handle.append(Record::SessionEnded {
        reason: "test".into(),
    });
    j.close();
    let (_, n) = journal::verify(&path).unwrap().unwrap();
    assert_eq!(n, n_good + 1);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..good.len()], &good[..]);
}

#[test]
fn every_prefix_replays_to_a_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inc");
    live_incident(&dir);
    let bytes = std::fs::read(journal::journal_path(&dir)).unwrap();
    let full = journal::read::read_bytes(&bytes);
    // Cuts at, just before and just after line ends, and mid-line, give a
    // prefix of the records, never damage.
    let ends: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let mut cuts = vec![0, bytes.len()];
    for &e in ends.iter().step_by(ends.len() / 40 + 1) {
        cuts.extend([e, e + 1, e.saturating_sub(1), e.saturating_sub(37)]);
    }
    for cut in cuts {
        let out = journal::read::read_bytes(&bytes[..cut]);
        assert!(out.bad.is_none(), "cut at {cut}");
        assert_eq!(out.entries[..], full.entries[..out.entries.len()]);
    }
}

#[test]
fn one_writer_per_incident() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inc");
    let first = Journal::open(&dir).unwrap();
    match Journal::open(&dir) {
        Err(OpenError::Locked(_)) => {}
        other => panic!("expected Locked, got {:?}", other.map(|_| ())),
    }
    first.close();
}

#[test]
fn files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inc");
    live_incident(&dir);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&journal::journal_path(&dir)), 0o600);
}

/// Groups queued faster than the writer drains them (over its 1 MiB write
/// batch): every record is written, none taken and dropped, and a sync
/// queued behind them is answered. (A bench found the writer dropping the
/// command it had just taken when its buffer passed 1 MiB.)
#[test]
fn big_queued_groups_are_all_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-BIG");
    let j = Journal::open(&dir).unwrap();
    let groups = 40;
    let per = 1_000;
    for g in 0..groups {
        let recs = (0..per)
            .map(|i| Record::SourceStatus {
                source: "sim".into(),
                ok: true,
                message: format!("group {g} record {i} {}", "x".repeat(200)),
            })
            .collect();
        j.handle.append_all(recs);
    }
    assert_eq!(j.handle.sync(), Ok((groups * per - 1) as u64));
    j.close();
    let (_, n) = journal::verify(&journal::journal_path(&dir))
        .unwrap()
        .expect("the chain verifies");
    assert_eq!(n, groups * per);
}
