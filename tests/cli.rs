//! The real binary: one-line errors with exit codes, `verify`, `runs`.

mod common;

use std::process::Command;

fn cordon() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cordon"));
    c.env(
        "XDG_STATE_HOME",
        std::env::temp_dir().join("cordon-cli-test"),
    );
    c
}

fn one_line_err(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.trim_end().lines().count(), 1, "one line, got: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    err
}

#[test]
fn bad_source_flag_is_one_line() {
    let out = cordon().args(["--source", "nonsense"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_line_err(&out);
    assert!(err.contains("expected [NAME=]KIND:URL"), "{err}");
}

#[test]
fn no_source_points_at_demo() {
    let out = cordon().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line_err(&out).contains("cordon demo"));
}

#[test]
fn unreachable_url_for_runs_is_one_line() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let out = cordon()
        .args([
            "runs",
            "--source",
            &format!("x=aca:http://127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = one_line_err(&out);
    assert!(
        err.contains("cannot connect") && err.contains("is the platform up"),
        "{err}"
    );
}

#[test]
fn bad_config_names_the_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c.toml");
    std::fs::write(&cfg, "[[source]]\nname = \"a\"\nkind = \"aca\"\nurl = 5\n").unwrap();
    let out = cordon()
        .args(["--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_line_err(&out);
    assert!(err.contains("c.toml"), "{err}");
}

#[tokio::test]
async fn runs_json_against_the_simulator() {
    let names = vec!["retry-loop".to_string()];
    let world = cordon::sim::World::new(&names, false, 7, common::t0()).unwrap();
    let sim = cordon::sim::start_with("127.0.0.1:0".parse().unwrap(), world, 0.0)
        .await
        .unwrap();
    sim.world
        .lock()
        .unwrap()
        .advance(std::time::Duration::from_secs(30));
    let url = sim.url();
    let out = tokio::task::spawn_blocking(move || {
        cordon()
            .args(["runs", "--json", "--source", &format!("sim=aca:{url}")])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert!(
        runs.iter()
            .all(|r| r["workflow"] == "invoice-sync" && r["source"] == "sim")
    );
}

#[test]
fn verify_prints_head_and_names_the_bad_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inc");
    let j = cordon::journal::Journal::open(&dir).unwrap();
    for i in 0..5 {
        j.handle.append(cordon::journal::Record::SourceStatus {
            source: "s".into(),
            ok: i % 2 == 0,
            message: format!("m{i}"),
        });
    }
    j.close();
    let out = cordon()
        .args(["verify", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ok: 5 records"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("head ") && l.len() == 69),
        "{text}"
    );
    let path = cordon::journal::journal_path(&dir);
    let s = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("m3", "m9", 1);
    std::fs::write(&path, s).unwrap();
    let out = cordon()
        .args(["verify", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = one_line_err(&out);
    assert!(err.contains("line 4: hash mismatch"), "{err}");
}
