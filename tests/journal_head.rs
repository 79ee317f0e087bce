//! Pinning and signing the journal head (issue 16, item 10). A journal
//! whose tail was cut and whose chain was re-hashed whole verifies on its
//! own; the head written down earlier (printed at exports and on quit) is
//! not in it, and `cordon verify DIR --head HASH` says so. Signed with the
//! operator's SSH key (`ssh-keygen -Y sign`, namespace cordon), the head is
//! checked with `--allowed-signers`. The keys are made by the test.

use std::path::Path;
use std::process::Command;

use cordon::journal::{GENESIS, Journal, Record, writer::render_line};

fn cordon(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(args)
        .env_remove("CORDON_SIGN_KEY")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn note(i: usize) -> Record {
    Record::NoteDraft {
        text: format!("draft {i}"),
        at: "2026-11-24T10:00:00Z".parse().unwrap(),
    }
}

/// Cut the journal to its first `keep` lines and re-hash the chain whole,
/// as someone hiding the tail would.
fn cut_and_rechain(dir: &Path, keep: usize) {
    let path = cordon::journal::journal_path(dir);
    let out = cordon::journal::read_journal(&path).unwrap();
    let mut prev = GENESIS.to_string();
    let mut text = String::new();
    for (seq, e) in out.entries.into_iter().take(keep).enumerate() {
        let (l, h) = render_line(seq as u64, &prev, e.ts, e.record);
        text.push_str(&l);
        prev = h;
    }
    std::fs::write(&path, text).unwrap();
}

fn have(tool: &str, arg: &str) -> bool {
    let ok = Command::new(tool).arg(arg).output().is_ok();
    if !ok {
        eprintln!("SKIP: {tool} is not installed");
    }
    ok
}

/// An SSH key pair and an allowed-signers file naming it.
fn keypair(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let key = dir.join(name);
    assert!(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&key)
            .status()
            .unwrap()
            .success()
    );
    let public = std::fs::read_to_string(dir.join(format!("{name}.pub"))).unwrap();
    let allowed = dir.join(format!("{name}.allowed"));
    std::fs::write(&allowed, format!("{name}@cordon {public}")).unwrap();
    (key, allowed)
}

#[test]
fn a_pinned_head_catches_a_cut_and_rehashed_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-PIN");
    let j = Journal::open(&dir).unwrap();
    for i in 0..10 {
        j.handle.append(note(i));
    }
    let pinned = j.close().expect("the head as the journal was left");
    assert_eq!(pinned.records, 10);
    let d = dir.to_str().unwrap();
    let (code, out) = cordon(&["verify", d, "--head", &pinned.hash]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("is line 10 of 10"), "{out}");
    // Appended after the pin: still fine, and says how many came after.
    let j = Journal::open(&dir).unwrap();
    j.handle.append(note(10));
    j.close();
    let (code, out) = cordon(&["verify", d, "--head", &pinned.hash.to_uppercase()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("is line 10 of 11") && out.contains("1 records after"),
        "{out}"
    );
    // The tail cut and the chain re-hashed: it verifies alone...
    cut_and_rechain(&dir, 7);
    let (code, out) = cordon(&["verify", d]);
    assert_eq!(code, 0, "the re-hashed chain is intact on its own: {out}");
    // ...but not against the pin.
    let (code, out) = cordon(&["verify", d, "--head", &pinned.hash]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("is not in") && out.contains("rewritten or cut"),
        "{out}"
    );
    let (code, out) = cordon(&["verify", d, "--head", "abc"]);
    assert_eq!(code, 2, "{out}");
}

#[test]
fn a_signed_head_is_checked_against_the_allowed_signers() {
    if !have("ssh-keygen", "-?") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (key, allowed) = keypair(tmp.path(), "alice");
    let (_, mallory) = keypair(tmp.path(), "mallory");
    let dir = tmp.path().join("INC-SIGN");
    let j = Journal::open(&dir).unwrap();
    for i in 0..6 {
        j.handle.append(note(i));
    }
    j.close();
    let d = dir.to_str().unwrap();
    // The export prints the head it was built from, and signs it.
    let (code, out) = cordon(&[
        "export",
        "status",
        "--incident-dir",
        d,
        "--sign-key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    let head = out
        .lines()
        .find_map(|l| l.strip_prefix("journal head "))
        .expect("the head is printed")
        .to_string();
    assert!(out.contains("signed: "), "{out}");
    let statement = std::fs::read_to_string(dir.join("head.txt")).unwrap();
    assert!(statement.contains(&format!("head: {head}")), "{statement}");
    let allowed_s = allowed.to_str().unwrap();
    let (code, out) = cordon(&["verify", d, "--allowed-signers", allowed_s]);
    assert_eq!(code, 0, "{out}");
    assert!(
        // The export journals itself as a communication after the head it
        // was built from.
        out.contains("signature good: alice@cordon") && out.contains("is line 6 of 7"),
        "{out}"
    );
    // An older head never replaces a newer one (an export finishing
    // after the final head was signed on quit).
    let older = cordon::journal::Head {
        records: 3,
        hash: "1".repeat(64),
    };
    let err = cordon::journal::head::sign(&key, &dir, "INC-SIGN", &older).unwrap_err();
    assert!(err.contains("a later head (6 records)"), "{err}");
    assert!(
        std::fs::read_to_string(dir.join("head.txt"))
            .unwrap()
            .contains(&head)
    );
    // Someone else's signers: refused.
    let (code, out) = cordon(&["verify", d, "--allowed-signers", mallory.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    // The statement edited to vouch for another head: refused.
    let forged = statement.replace(&head, &"0".repeat(64));
    std::fs::write(dir.join("head.txt"), &forged).unwrap();
    let (code, out) = cordon(&["verify", d, "--allowed-signers", allowed_s]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not match"), "{out}");
    std::fs::write(dir.join("head.txt"), &statement).unwrap();
    // The journal cut and re-hashed: the signature is good, the head is gone.
    cut_and_rechain(&dir, 4);
    let (code, out) = cordon(&["verify", d, "--allowed-signers", allowed_s]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("signed by alice@cordon head") && out.contains("is not in"),
        "{out}"
    );
}

/// In the console: `E` flashes the head it exported from (signed with
/// $CORDON_SIGN_KEY), and quitting prints the final head to pin.
#[test]
fn the_console_says_the_head_at_export_and_on_quit() {
    if !have("tmux", "-V") || !have("ssh-keygen", "-?") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (key, allowed) = keypair(tmp.path(), "ic");
    let dir = tmp.path().join("INC-QUIT");
    let log = tmp.path().join("stderr");
    let session = format!("cordon-head-{}", std::process::id());
    let tmux = |args: &[&str]| {
        let o = Command::new("tmux").args(args).output().unwrap();
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let cmd = format!(
        "env CORDON_SIGN_KEY={key} XDG_STATE_HOME={st} {bin} demo --incident-dir {dir} 2> {log}; sleep 30",
        key = key.display(),
        st = tmp.path().display(),
        bin = env!("CARGO_BIN_EXE_cordon"),
        dir = dir.display(),
        log = log.display(),
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "200",
        "-y",
        "40",
        &cmd,
    ]);
    let screen = || tmux(&["capture-pane", "-p", "-t", &session]);
    let wait = |what: &str, f: &dyn Fn() -> bool| {
        let start = std::time::Instant::now();
        while !f() {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(30),
                "timed out waiting for {what}: {}",
                screen()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    wait("the console", &|| screen().contains("sim ok"));
    // E previews the status update; Enter writes it.
    tmux(&["send-keys", "-t", &session, "E"]);
    // Rendered, not only opened: Enter while it renders writes nothing.
    wait("the preview", &|| screen().contains("# Update"));
    tmux(&["send-keys", "-t", &session, "Enter"]);
    wait("the export's head", &|| screen().contains("journal head "));
    let s = screen();
    assert!(s.contains("signed: "), "{s}");
    // Esc then q as separate keystrokes (ESC q together reads as Alt-q).
    tmux(&["send-keys", "-t", &session, "Escape"]);
    wait("the preview to close", &|| !screen().contains("Preview:"));
    tmux(&["send-keys", "-t", &session, "q"]);
    wait("the head on quit", &|| {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("pin it: cordon verify"))
    });
    tmux(&["kill-session", "-t", &session]);
    let said = std::fs::read_to_string(&log).unwrap();
    let head = said
        .lines()
        .find_map(|l| l.strip_prefix("cordon: journal head "))
        .map(|l| l[..64].to_string())
        .expect("the head on quit");
    let d = dir.to_str().unwrap();
    let (code, out) = cordon(&["verify", d, "--head", &head]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("head {head}\n")),
        "the last line: {out}"
    );
    let (code, out) = cordon(&["verify", d, "--allowed-signers", allowed.to_str().unwrap()]);
    assert_eq!(code, 0, "{said}\n{out}");
}

/// The export's message: the head first in the flash, and on the
/// clipboard (OSC 52) to paste into the incident channel.
#[test]
fn an_export_flashes_and_copies_the_head() {
    use cordon::app::{App, Effect, Msg};
    let t: cordon::model::Time = "2026-11-24T10:00:00Z".parse().unwrap();
    let mut a = App::new(t, "INC", "/tmp/inc", cordon::journal::Operator::default());
    let hash = "ab".repeat(32);
    let fx = a.update(Msg::Exported(
        Ok(vec![cordon::report::Written {
            kind: "postmortem".into(),
            path: "/tmp/inc/postmortem.md".into(),
            sha256: "00".repeat(32),
            promised: None,
        }]),
        Some((hash.clone(), format!("journal head {hash}"))),
        t,
    ));
    assert!(fx.contains(&Effect::Copy(hash.clone())), "{fx:?}");
    let flash = a.flash.clone().unwrap();
    assert!(
        flash.starts_with(&format!("journal head {hash} (copied)"))
            && flash.contains("postmortem.md"),
        "{flash}"
    );
}
