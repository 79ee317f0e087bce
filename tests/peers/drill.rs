//! `cordon drill` (the real binary) against a real peer: its exit, its
//! readiness report, and its journal.

use cordon::journal::{Entry, Record};

pub struct Drilled {
    pub code: Option<i32>,
    pub stderr: String,
    pub report: String,
    pub journal: Vec<Entry>,
    pub _tmp: tempfile::TempDir,
}

impl Drilled {
    /// The table row of `kind` (`| stop_run | …`).
    pub fn row(&self, kind: &str) -> &str {
        let head = format!("| {kind} |");
        self.report
            .lines()
            .find(|l| l.starts_with(&head))
            .unwrap_or_else(|| panic!("no {kind} row in:\n{}", self.report))
    }

    /// The runs the drill journaled marked as canaries, by id.
    pub fn canary_runs(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .journal
            .iter()
            .filter_map(|e| match &e.record {
                Record::Run { run } if run.canary => Some(run.id.to_string()),
                _ => None,
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The canaries whose last journaled state is still active: the
    /// drill's record must end with them as the platform has them.
    pub fn canaries_journaled_active(&self) -> Vec<String> {
        let mut last = std::collections::BTreeMap::new();
        for e in &self.journal {
            if let Record::Run { run } = &e.record
                && run.canary
            {
                last.insert(run.id.to_string(), run.state.clone());
            }
        }
        last.into_iter()
            .filter(|(_, s)| s.is_active())
            .map(|(id, s)| format!("{id} ({})", s.as_str()))
            .collect()
    }

    /// The canaries the drill's records name (`source/id`).
    pub fn named_canaries(&self) -> Vec<String> {
        self.journal
            .iter()
            .filter_map(|e| match &e.record {
                Record::Drill { canaries, .. } => Some(canaries.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// (intents, verified-and-confirmed) of the drill's actions.
    pub fn intents_and_confirmations(&self) -> (usize, usize) {
        let n = |f: &dyn Fn(&Record) -> bool| self.journal.iter().filter(|e| f(&e.record)).count();
        (
            n(&|r| matches!(r, Record::ActionIntent { .. })),
            n(&|r| {
                matches!(
                    r,
                    Record::ActionVerified {
                        confirmed: true,
                        ..
                    }
                )
            }),
        )
    }
}

/// Run `cordon drill --source SPEC ARGS…` into a fresh incident directory.
pub async fn run(spec: &str, args: &[&str]) -> Drilled {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("drill");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["drill", "--source", spec, "--incident-dir"])
        .arg(&dir)
        .args(args)
        .env("XDG_STATE_HOME", tmp.path())
        .output()
        .await
        .unwrap();
    let report = std::fs::read_to_string(dir.join("readiness.md")).unwrap_or_default();
    let journal = cordon::journal::read_journal(&cordon::journal::journal_path(&dir))
        .map(|o| o.entries)
        .unwrap_or_default();
    Drilled {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        report,
        journal,
        _tmp: tmp,
    }
}
