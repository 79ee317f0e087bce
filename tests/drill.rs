//! `cordon drill` against the simulator over loopback: every action kind
//! on an ACA/1.1 canary, confirmed by the executor's strict re-read and
//! undone; a platform whose stop never takes effect fails the drill (and
//! the exit code); a read-only token yields "may not" rows, not failures.

use std::process::Output;

use cordon::drill::{self, May};
use cordon::journal::{Journal, Operator, Record};
use cordon::model::{ActionKind, ActionPhase};
use cordon::sim::{self, World};
use cordon::source::SourceSpec;

async fn sim_with(f: impl FnOnce(&mut World)) -> sim::Sim {
    let mut w = World::new(&["none".to_string()], false, 7, chrono::Utc::now()).unwrap();
    f(&mut w);
    sim::start_with("127.0.0.1:0".parse().unwrap(), w, 1.0)
        .await
        .unwrap()
}

fn opts() -> drill::Options {
    drill::Options {
        canary: None,
        ask: Default::default(),
        include_global: false,
        policy: cordon::contain::Policy {
            verify_timeout: std::time::Duration::from_secs(5),
            ..Default::default()
        },
        operator: Operator {
            user: "alice".into(),
            host: "bastion-1".into(),
            ssh_client: None,
        },
        incident: "DRILL-1".into(),
    }
}

/// `cordon drill` as a person runs it; its report and exit.
async fn cli(
    sim: &sim::Sim,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Output, String, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("drill");
    let token = extra.first().is_some_and(|a| a.starts_with("?"));
    let url = format!("sim=aca:{}{}", sim.url(), if token { extra[0] } else { "" });
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_cordon"));
    cmd.args([
        "drill",
        "--source",
        &url,
        "--verify-timeout",
        "1",
        "--incident-dir",
    ])
    .arg(&dir)
    .args(if token { &extra[1..] } else { extra })
    .env("XDG_STATE_HOME", tmp.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.unwrap();
    let report = std::fs::read_to_string(dir.join("readiness.md")).unwrap_or_default();
    (out, report, tmp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_over_every_kind_confirms_each_in_a_time_and_its_inverse() {
    let sim = sim_with(|_| {}).await;
    let tmp = tempfile::tempdir().unwrap();
    let journal = Journal::open(&tmp.path().join("d")).unwrap();
    let spec: SourceSpec = format!("sim=aca:{}", sim.url()).parse().unwrap();
    let d = drill::run(&[spec], &opts(), &journal.handle).await;
    journal.handle.sync().unwrap();
    let s = &d.sources[0];
    let (canary, how) = s.canary.as_ref().unwrap();
    assert!(how.contains("started by the platform"), "{how}");
    // Every kind the simulator offers, drilled as itself or as an inverse.
    let drilled: Vec<ActionKind> = s
        .rows
        .iter()
        .flat_map(|r| {
            [Some(r.kind), r.inverse.as_ref().map(|t| t.kind)]
                .into_iter()
                .flatten()
        })
        .collect();
    for k in &s.offered {
        assert!(drilled.contains(k), "{} not drilled", k.as_str());
    }
    for r in &s.rows {
        let a = r
            .action
            .as_ref()
            .unwrap_or_else(|| panic!("{:?} not tried", r.kind));
        assert_eq!(
            a.phase,
            ActionPhase::Confirmed,
            "{:?}: {}",
            r.kind,
            a.detail
        );
        assert_eq!(r.may, May::Yes);
        // Scoped to the canary, never global.
        let t = r.target.as_ref().unwrap();
        assert!(!t.is_global());
        if let Some(inv) = r.kind.inverse() {
            let i = r.inverse.as_ref().unwrap();
            assert_eq!(
                (i.kind, i.phase),
                (inv, ActionPhase::Confirmed),
                "{}",
                i.detail
            );
        }
    }
    // The rollback's proof: the canary's writes are really reverted.
    let rb = s
        .rows
        .iter()
        .find(|r| r.kind == ActionKind::RollbackRun)
        .unwrap();
    assert!(
        rb.rollback
            .as_deref()
            .unwrap()
            .starts_with("all 2 reversible write(s)"),
        "{:?}",
        rb.rollback
    );
    let w = sim.world.lock().unwrap();
    let run = w.run(&canary.id).unwrap();
    assert_eq!(run.state, "stopped");
    assert!(run.writes.iter().all(|x| x.reverted));
    // Containment is gone again: everything drilled was undone.
    assert_eq!(w.controls.paused_workflows, Vec::<String>::new());
    assert!(w.controls.outbound_blocked.is_empty() && w.controls.revoked_tools.is_empty());
    drop(w);
    assert_eq!(d.failures(), 0);
    let md = drill::report::render(&d);
    assert!(md.contains("**READY**"), "{md}");
    assert_eq!(md.matches("CONFIRMED in").count(), 7 + 4, "{md}");
    // Journaled as a drill, every action under its intent.
    let out = cordon::journal::read_journal(&cordon::journal::journal_path(&tmp.path().join("d")))
        .unwrap();
    let recs: Vec<&Record> = out.entries.iter().map(|e| &e.record).collect();
    assert!(matches!(recs[0], Record::Drill { .. }));
    let intents = recs
        .iter()
        .filter(|r| matches!(r, Record::ActionIntent { request, .. } if request.reason.starts_with("DRILL")))
        .count();
    let verified = recs
        .iter()
        .filter(|r| {
            matches!(
                r,
                Record::ActionVerified {
                    confirmed: true,
                    ..
                }
            )
        })
        .count();
    assert_eq!((intents, verified), (11, 11));
    // Exports say it was a drill.
    let now = chrono::Utc::now();
    let pm = cordon::report::draft_from_dir(&tmp.path().join("d"), "postmortem", now).unwrap();
    assert!(
        pm.text.starts_with("# DRILL — Postmortem draft"),
        "{}",
        pm.text
    );
    // The canary is a drill's, not harm: left out of the impact, and said so.
    assert!(
        pm.text
            .contains(&format!("Left out: 1 drill canary run(s) (`{}`", canary.id)),
        "{}",
        pm.text
    );
    assert!(pm.text.contains("- Runs implicated: none"), "{}", pm.text);
    let st = cordon::report::draft_from_dir(&tmp.path().join("d"), "status", now).unwrap();
    assert!(st.text.starts_with("# DRILL — Update"), "{}", st.text);
    assert!(st.warnings.iter().any(|w| w.contains("DRILL")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_that_never_takes_effect_fails_the_drill_and_its_exit_code() {
    let sim = sim_with(|w| w.stops_ignored = true).await;
    let (out, report, _tmp) = cli(&sim, &[], &[]).await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOT READY"));
    assert!(report.contains("**NOT READY**"), "{report}");
    let stop = report
        .lines()
        .find(|l| l.starts_with("| stop_run"))
        .unwrap();
    assert!(stop.contains("UNCONFIRMED"), "{stop}");
    assert!(stop.contains("is still running"), "{stop}");
    assert!(
        report.contains("- **sim stop_run**: stop_run UNCONFIRMED"),
        "{report}"
    );
    // The other kinds still pass.
    let pause = report
        .lines()
        .find(|l| l.starts_with("| pause_workflow"))
        .unwrap();
    assert!(pause.contains("CONFIRMED in"), "{pause}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_token_yields_may_not_rows_not_a_failure() {
    let mut canary = String::new();
    let sim = sim_with(|w| {
        w.read_only_tokens.push("ro-token".into());
        // A canary someone else started: this token may not start one.
        let r = w.start_canary(&serde_json::json!({})).unwrap();
        canary = r["id"].as_str().unwrap().to_string();
    })
    .await;
    let (out, report, _tmp) = cli(
        &sim,
        &["?token_env=DRILL_TOKEN", "--canary", &canary],
        &[("DRILL_TOKEN", "ro-token")],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{report}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!report.contains("ro-token"), "the token leaked: {report}");
    assert!(
        report.contains("token from token_env=DRILL_TOKEN"),
        "{report}"
    );
    let rows: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Kind"))
        .collect();
    assert_eq!(rows.len(), 7, "{report}");
    for r in rows {
        assert!(r.contains("**may not**: 403"), "{r}");
        // The preview is allowed: it changes nothing.
        assert!(r.contains("run(s), in"), "{r}");
    }
    let w = sim.world.lock().unwrap();
    assert_eq!(
        w.run(&canary).unwrap().state,
        "running",
        "a read-only token changed the world"
    );
}
