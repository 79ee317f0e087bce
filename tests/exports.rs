//! Golden tests of the exports for the demo incident (every scenario,
//! background runs; stop, rollback, a rollback with nothing to do, block;
//! a status update exported and marked sent) with a fixed clock, and the
//! atomic write and the CLI.

mod common;

use common::*;
use cordon::journal::Record;
use cordon::report::{self, JournalView};

fn demo() -> (JournalView, cordon::app::App) {
    let j = JournalView::from_bytes(&cordon::scenes::demo_journal());
    let app = j.replay("INC-20261124-100000", "/var/lib/cordon/INC-20261124-100000");
    (j, app)
}

fn export(kind: &str) -> report::Draft {
    let (j, app) = demo();
    report::draft(kind, &app, &j, at(20 * 60))
}

fn assert_clean(s: &str) {
    assert!(cordon::sanitize::is_clean(s), "control character in export");
    for entity in ["&lt;", "&gt;", "&amp;", "&quot;"] {
        assert!(!s.contains(entity), "HTML entity {entity} in export");
    }
}

#[test]
fn status_update_golden() {
    let d = export("status");
    assert_clean(&d.text);
    for section in [
        "## What happened",
        "## Who is affected",
        "## What we have done",
        "## What we do not know yet",
        "## What you should do",
        "## We are sorry",
        "## Next update",
    ] {
        assert!(d.text.contains(section), "missing {section}");
    }
    assert!(
        !d.text.to_lowercase().contains(" ai "),
        "no hiding behind 'AI'"
    );
    // The cadence (SEV1: 30 min) from the time it is written.
    assert_eq!(d.promised, Some(at(50 * 60)));
    assert!(d.text.contains("by 10:50 UTC"));
    assert!(d.text.contains(report::status::CONTACT));
    insta::assert_snapshot!("status_update", d.text);
    insta::assert_snapshot!("status_update_warnings", d.warnings.join("\n"));
}

#[test]
fn internal_brief_golden() {
    let d = export("internal");
    assert_clean(&d.text);
    for part in [
        "- Severity: **SEV1**",
        "## Impact",
        "## Containment",
        "## Open questions",
        "## Communications",
        "outbound blocked for `support-drafter`",
        "`run_e509`",
    ] {
        assert!(d.text.contains(part), "missing {part}:\n{}", d.text);
    }
    insta::assert_snapshot!("internal_brief", d.text);
}

#[test]
fn postmortem_golden() {
    let d = export("postmortem");
    let pm = &d.text;
    assert_clean(pm);
    let mut at = 0;
    for section in [
        "## Summary",
        "## Impact",
        "## Metrics",
        "## Trigger",
        "## Root cause and contributing factors",
        "### Why was the task delegated in that form?",
        "### Why did the agent have the permissions it had?",
        "### Why was the output reviewed, or not?",
        "### Was observability sufficient?",
        "### Did the stop control work?",
        "### Why might similar incidents still happen?",
        "## Containment",
        "## Timeline",
        "## What went well",
        "## What went wrong",
        "## Where we got lucky",
        "## Lessons",
        "## Action items",
        "## Communications sent",
        "## Appendix",
    ] {
        let i = pm[at..]
            .find(section)
            .unwrap_or_else(|| panic!("missing or out of order: {section}"));
        at += i;
    }
    // The two review facts the evidence holds, prefilled.
    assert!(pm.contains("**An instruction overrode review**") && pm.contains("`auto_send=true`"));
    assert!(pm.contains("**Written before the review decision**"));
    assert!(pm.contains("**Permissions broader than the assignment**"));
    // The action item's fields in their columns, not in its text.
    assert!(
        pm.contains("| Make the segment lookup require an exact id | bob | 2026-12-01 | prevent |")
    );
    // Each rollback is shown with the writes its re-read showed reverted
    // (run_fd30 had ended; its one write was still undone).
    assert!(
        pm.contains("run `run_fd30`: all 1 planned write reverted (`evt_000048`)"),
        "{pm}"
    );
    assert!(
        pm.contains("run `run_e949`: all 9 planned writes reverted"),
        "{pm}"
    );
    let head = demo().0.head;
    assert!(
        pm.trim_end()
            .ends_with(&format!("head hash `{head}` (check with `cordon verify`)."))
    );
    insta::assert_snapshot!("postmortem", pm);
}

#[test]
fn evidence_bundle_golden() {
    let d = export("evidence");
    assert_clean(&d.text);
    let v: serde_json::Value = serde_json::from_str(&d.text).unwrap();
    let j = demo().0;
    assert_eq!(v["chain_head"], j.head.as_str());
    assert_eq!(v["entries"].as_array().unwrap().len(), j.lines.len());
    assert_eq!(v["entries"][0]["hash"], j.lines[0].0.as_str());
    let drafter = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agent"] == "support-drafter-2")
        .unwrap();
    for key in [
        "assignment",
        "instructions",
        "tool_calls",
        "permissions",
        "files_changed",
        "records_written",
        "messages_sent",
        "external_actions",
        "retries",
        "errors",
        "reviews",
        "human_interventions",
    ] {
        assert!(drafter.get(key).is_some(), "missing {key}");
    }
    assert!(!drafter["messages_sent"].as_array().unwrap().is_empty());
    assert_eq!(
        drafter["permissions"]["credentials"][0],
        "cred_sendgrid_prod"
    );
    // Every entry is checked above; the golden holds the per-run evidence.
    let mut v = v;
    v["entries"] = serde_json::json!(format!("{} entries", j.lines.len()));
    insta::assert_snapshot!("evidence", serde_json::to_string_pretty(&v).unwrap());
}

/// An incident directory holding the demo incident's journal.
fn demo_dir(tmp: &tempfile::TempDir) -> std::path::PathBuf {
    let dir = tmp.path().join("INC-1");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        cordon::journal::journal_path(&dir),
        cordon::scenes::demo_journal(),
    )
    .unwrap();
    dir
}

#[test]
fn exports_are_written_atomically_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_dir(&tmp);
    let out = report::export_all(&dir, &report::KINDS, at(1200)).unwrap();
    assert_eq!(out.len(), 4);
    for w in &out {
        assert_eq!(
            std::fs::metadata(&w.path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // The digest is of exactly what was written.
        assert_eq!(
            w.sha256,
            cordon::journal::hash(&std::fs::read(&w.path).unwrap())
        );
    }
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains(".tmp-")),
        "no temp files left: {names:?}"
    );
}

/// `cordon export internal` writes the brief and, with no console holding
/// the incident, journals it as a communication (to stakeholders, with the
/// text's digest); held by a console, it says it could not.
#[test]
fn the_cli_exports_and_records_a_communication() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_dir(&tmp);
    let run = |kind: &str, out: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
            .args([
                "export",
                kind,
                "--incident-dir",
                dir.to_str().unwrap(),
                "-o",
                tmp.path().join(out).to_str().unwrap(),
            ])
            .output()
            .unwrap()
    };
    let o = run("internal", "brief.md");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read(tmp.path().join("brief.md")).unwrap();
    assert!(String::from_utf8_lossy(&text).starts_with("# Internal brief: "));
    let j = JournalView::read(&dir).unwrap();
    let last = &j.lines.last().unwrap().1.record;
    match last {
        Record::Exported {
            kind, to, sha256, ..
        } => {
            assert_eq!(kind, "internal");
            assert_eq!(to.as_deref(), Some("stakeholders"));
            assert_eq!(
                sha256.as_deref(),
                Some(cordon::journal::hash(&text).as_str())
            );
        }
        other => panic!("expected the export journaled, got {other:?}"),
    }
    // The chain is whole after the append.
    assert!(
        cordon::journal::verify(&cordon::journal::journal_path(&dir))
            .unwrap()
            .is_ok()
    );
    // A console holds it: written, not journaled, and said so.
    let held = cordon::journal::Journal::open(&dir).unwrap();
    let before = JournalView::read(&dir).unwrap().lines.len();
    let o = run("status", "s.md");
    assert!(o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not recorded as a communication"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("check before sending: Fill in the contact details")
    );
    assert_eq!(JournalView::read(&dir).unwrap().lines.len(), before);
    held.close();
    // An unknown kind names the four.
    let o = run("everything", "x.md");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("status, internal, postmortem, evidence"));
}

#[test]
fn a_stop_on_a_run_that_had_ended_is_not_called_a_working_stop() {
    use cordon::model::{ActionKind, ActionRequest, Target};
    let req = ActionRequest {
        id: "A1-x".into(),
        source: "sim".into(),
        kind: ActionKind::StopRun,
        target: Target {
            run_id: Some("run_1".into()),
            ..Target::default()
        },
        reason: "r".into(),
        key: "k".into(),
        actor: "alice@bastion-1".into(),
    };
    let recs = vec![
        Record::ActionIntent {
            request: req,
            operator: operator(),
            preview: None,
            at: at(1),
            dry_run: None,
            note: None,
        },
        // A journal from before outcomes were recorded: "confirmed" with
        // the old wording for an ended run.
        Record::ActionVerified {
            id: "A1-x".into(),
            confirmed: true,
            detail: "run run_1 is succeeded (no longer running)".into(),
            at: at(2),
            outcome: None,
            reverted: vec![],
        },
    ];
    let log: Vec<_> = recs.into_iter().map(|r| (at(2), r)).collect();
    let j = JournalView::from_bytes(&cordon::scenes::journal_bytes(&log));
    let app = j.replay("INC", "/tmp");
    let pm = report::render("postmortem", &app, &j, at(3));
    assert!(
        pm.contains("| **nothing to do (it had already ended)**"),
        "{pm}"
    );
    assert!(pm.contains("- 1 action: 1 nothing to do"), "{pm}");
    assert!(!pm.contains("— verified") && !pm.contains("| verified:"));
    let st = report::render("status", &app, &j, at(3));
    assert!(!st.contains("we stopped"), "{st}");
}
