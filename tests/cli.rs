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

/// `cordon` names the lines cordon adds to the timeline: a platform source
/// by that name would have its runs drop out of triage, so it is refused.
#[test]
fn a_source_named_cordon_is_refused_at_start() {
    let out = cordon()
        .args(["--source", "cordon=aca:http://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_line_err(&out);
    assert!(
        err.contains("may not be named 'cordon'") && err.contains("NAME="),
        "{err}"
    );
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

async fn live_sim(scenario: &str, warmup: u64) -> cordon::sim::Sim {
    let mut world =
        cordon::sim::World::new(&[scenario.to_string()], false, 7, chrono::Utc::now()).unwrap();
    world.advance(std::time::Duration::from_secs(warmup));
    cordon::sim::start_with("127.0.0.1:0".parse().unwrap(), world, 1.0)
        .await
        .unwrap()
}

async fn run_act(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        cordon()
            .arg("act")
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn act_confirms_journals_and_exits_zero() {
    let sim = live_sim("retry-loop", 5).await;
    let run = sim.world.lock().unwrap().runs[0].id.clone();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inc");
    let out = run_act(vec![
        "--source".into(),
        format!("sim=aca:{}", sim.url()),
        "stop_run".into(),
        "--run".into(),
        run.clone(),
        "--reason".into(),
        "INC-1: retry storm".into(),
        "--yes".into(),
        "--incident-dir".into(),
        dir.display().to_string(),
    ])
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 run(s) affected"), "{stdout}");
    assert!(stdout.contains("CONFIRMED in"), "{stdout}");
    assert_eq!(
        sim.world.lock().unwrap().run(&run).unwrap().state,
        "stopped"
    );
    let j = cordon::journal::Journal::open(&dir).unwrap();
    let kinds: Vec<&str> = j
        .entries
        .iter()
        .map(|e| match &e.record {
            cordon::journal::Record::ActionIntent { .. } => "intent",
            cordon::journal::Record::ActionSent { .. } => "sent",
            cordon::journal::Record::ActionResult { .. } => "result",
            cordon::journal::Record::ActionVerified {
                confirmed: true, ..
            } => "confirmed",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["intent", "sent", "result", "confirmed"]);
}

#[tokio::test]
async fn act_dry_run_changes_nothing() {
    let sim = live_sim("retry-loop", 5).await;
    let out = run_act(vec![
        "--source".into(),
        format!("sim=aca:{}", sim.url()),
        "pause_workflow".into(),
        "--workflow".into(),
        "invoice-sync".into(),
        "--reason".into(),
        "drill".into(),
        "--dry-run".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("run(s) affected"));
    assert!(
        sim.world
            .lock()
            .unwrap()
            .controls
            .paused_workflows
            .is_empty()
    );
}

#[tokio::test]
async fn act_without_yes_is_not_sent() {
    let sim = live_sim("retry-loop", 5).await;
    let out = run_act(vec![
        "--source".into(),
        format!("sim=aca:{}", sim.url()),
        "block_outbound".into(),
        "--reason".into(),
        "x".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(6));
    assert!(one_line_err(&out).contains("--yes"));
    assert!(
        sim.world
            .lock()
            .unwrap()
            .controls
            .outbound_blocked
            .is_empty()
    );
}

#[tokio::test]
async fn act_refused_and_unconfirmed_have_their_own_codes() {
    let sim = live_sim("retry-loop", 5).await;
    let tmp = tempfile::tempdir().unwrap();
    let out = run_act(vec![
        "--source".into(),
        format!("sim=aca:{}", sim.url()),
        "stop_run".into(),
        "--run".into(),
        "run_nope".into(),
        "--reason".into(),
        "x".into(),
        "--yes".into(),
        "--incident-dir".into(),
        tmp.path().join("a").display().to_string(),
    ])
    .await;
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Accepted, but the run never stops.
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/v1/actions")).respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"action_id":"a","kind":"stop_run","state":"preview","affected_runs":["r1"]}))).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/runs/r1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"id":"r1","state":"running"})),
        )
        .mount(&server)
        .await;
    let out = run_act(vec![
        "--source".into(),
        format!("w=aca:{}", server.uri()),
        "stop_run".into(),
        "--run".into(),
        "r1".into(),
        "--reason".into(),
        "x".into(),
        "--yes".into(),
        "--verify-timeout".into(),
        "0.5".into(),
        "--incident-dir".into(),
        tmp.path().join("b").display().to_string(),
    ])
    .await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("UNCONFIRMED"));
}

#[test]
fn custom_action_key_clash_is_reported_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[[source]]\nname = \"a\"\nkind = \"aca\"\nurl = \"http://127.0.0.1:1\"\n\n[[action]]\nname = \"scale-zero\"\nkey = \"x\"\nscope = \"workflow\"\ncommand = [\"kubectl\", \"scale\", \"--replicas=0\", \"deploy/$WORKFLOW\"]\n",
    )
    .unwrap();
    let out = cordon()
        .args(["--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_line_err(&out);
    assert!(
        err.contains("uses key 'x', which cordon already binds"),
        "{err}"
    );
}

#[test]
fn a_keymap_clash_is_reported_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c.toml");
    std::fs::write(&cfg, "[[source]]\nname = \"a\"\nkind = \"aca\"\nurl = \"http://127.0.0.1:1\"\n\n[keys]\nstop = \"s\"\n").unwrap();
    let out = cordon()
        .args(["--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_line_err(&out);
    assert!(err.contains("'sort' and 'stop' both use 's'"), "{err}");
}

#[test]
fn a_bad_theme_in_the_config_or_flag_is_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c.toml");
    std::fs::write(&cfg, "theme = \"no-such-theme\"\n[[source]]\nname = \"a\"\nkind = \"aca\"\nurl = \"http://127.0.0.1:1\"\n").unwrap();
    let out = cordon()
        .env("XDG_STATE_HOME", tmp.path())
        .args(["--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line_err(&out).contains("theme 'no-such-theme'"));
    let out = cordon()
        .args(["--theme", "/nonexistent/x.toml", "verify", "/tmp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line_err(&out).contains("builtin themes: dark, light, high-contrast, colorblind"));
}

/// No terminal (stdout captured, stdin empty): a one-line error, not a
/// panic inside the terminal set-up.
#[test]
fn demo_and_watch_without_a_terminal_say_so_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-NOTTY");
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    for args in [vec!["demo"], vec!["watch", "--incident-dir", d]] {
        let out = cordon()
            .env("XDG_STATE_HOME", tmp.path())
            .args(&args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = one_line_err(&out);
        assert!(err.contains("needs a terminal"), "{args:?}: {err}");
    }
    // Nothing was created for the refused demo.
    let incidents = tmp.path().join("cordon/incidents");
    assert!(
        std::fs::read_dir(&incidents).map_or(true, |mut d| d.next().is_none()),
        "a demo without a terminal left an incident behind"
    );
}

/// A demo plays a fresh simulator: it never writes into an incident that
/// is already there.
#[test]
fn a_demo_refuses_an_existing_incident() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-REAL");
    let j = cordon::journal::Journal::open(&dir).unwrap();
    j.handle.append(cordon::journal::Record::SessionEnded {
        reason: "quit".into(),
    });
    j.close();
    let before = std::fs::read(cordon::journal::journal_path(&dir)).unwrap();
    let out = cordon()
        .args(["demo", "--incident-dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_line_err(&out);
    assert!(err.contains("already holds an incident"), "{err}");
    assert!(err.contains("cordon replay"), "{err}");
    let after = std::fs::read(cordon::journal::journal_path(&dir)).unwrap();
    assert_eq!(before, after, "the incident was not touched");
}

/// Without --incident-dir, watch lists the recent incidents with their
/// state instead of opening one it guessed.
#[test]
fn watch_without_a_dir_lists_incidents_and_their_state() {
    use cordon::journal::{Journal, Operator, Record};
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("cordon/incidents");
    let started = |who: &str| Record::SessionStarted {
        incident: "x".into(),
        operator: Operator {
            user: who.into(),
            host: "bastion-1".into(),
            ssh_client: None,
        },
        version: "t".into(),
        sources: vec![],
    };
    let done = Journal::open(&base.join("INC-OLD")).unwrap();
    done.handle.append(started("carol"));
    done.handle.append(Record::SessionEnded {
        reason: "quit".into(),
    });
    done.close();
    // This one stays open: its writer lock is held by this process.
    let live = Journal::open(&base.join("INC-LIVE")).unwrap();
    live.handle.append(started("alice"));
    live.handle.sync().expect("the journal syncs");
    let out = cordon()
        .env("XDG_STATE_HOME", tmp.path())
        .arg("watch")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_line_err(&out);
    assert!(err.contains("--incident-dir"), "{err}");
    let list = String::from_utf8_lossy(&out.stdout);
    let line = |id: &str| {
        list.lines()
            .find(|l| l.contains(id))
            .unwrap_or_else(|| panic!("{id} not listed: {list}"))
            .to_string()
    };
    if std::fs::read_to_string("/proc/locks").is_ok() {
        assert!(
            line("INC-LIVE").contains(&format!(
                "alice@bastion-1 LIVE (pid {})",
                std::process::id()
            )),
            "{list}"
        );
    }
    assert!(
        line("INC-OLD").contains("carol@bastion-1 gone (quit)"),
        "{list}"
    );
    live.close();
}

/// `act --help` names every action, terminate_run too, and says how a
/// Temporal execution is named.
#[test]
fn act_help_lists_terminate_run() {
    let out = cordon().args(["act", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("terminate_run"), "{help}");
    assert!(help.contains("WORKFLOW_ID@RUN_ID"), "{help}");
}

/// A source whose key variable is unset is refused at start with a line
/// that names it, not left to fail with 401s later.
#[test]
fn an_unset_key_variable_is_refused_at_start() {
    let out = cordon()
        .args([
            "--source",
            "lg=langgraph:http://127.0.0.1:9?api_key_env=CORDON_SURELY_UNSET_VAR",
            "--incident-dir",
        ])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = one_line_err(&out);
    assert!(err.contains("CORDON_SURELY_UNSET_VAR is not set"), "{err}");
}
