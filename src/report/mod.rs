//! Exports derived from the journal: the status update for affected users,
//! the internal brief for stakeholders, the postmortem draft (Markdown)
//! and the evidence bundle (JSON). All are rebuilt from the journal alone,
//! previewed as a [`Draft`], and written atomically by [`write_export`].

pub mod evidence;
pub mod facts;
pub mod internal;
pub mod md;
pub mod plain;
pub mod postmortem;
pub mod status;
pub mod timeline;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::app::App;
use crate::journal::{self, Entry};

/// A journal as read back: each entry with its line hash, and the head.
pub struct JournalView {
    pub lines: Vec<(String, Entry)>,
    pub head: String,
}

impl JournalView {
    pub fn read(dir: &Path) -> Result<JournalView, String> {
        let path = journal::journal_path(dir);
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok(Self::from_bytes(&bytes))
    }

    pub fn from_bytes(bytes: &[u8]) -> JournalView {
        let out = journal::read::read_bytes(bytes);
        JournalView {
            lines: out.hashes.into_iter().zip(out.entries).collect(),
            head: out.head,
        }
    }

    /// The incident as the journal tells it.
    pub fn replay(&self, incident: &str, dir: &str) -> App {
        let op = self
            .lines
            .iter()
            .find_map(|(_, e)| match &e.record {
                journal::Record::SessionStarted { operator, .. } => Some(operator.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let start = self.lines.first().map(|(_, e)| e.ts).unwrap_or_default();
        let mut app = App::new(start, incident, dir, op);
        for (_, e) in &self.lines {
            app.now = app.now.max(e.ts);
            app.apply(&e.record);
        }
        app.refresh();
        app
    }
}

/// Every export, in the order the preview cycles through them.
pub const KINDS: [&str; 4] = ["status", "internal", "postmortem", "evidence"];

pub fn file_name(kind: &str) -> &'static str {
    match kind {
        "postmortem" => "postmortem.md",
        "status" => "status-update.md",
        "internal" => "internal-brief.md",
        _ => "evidence.json",
    }
}

/// What a reader calls it.
pub fn title_of(kind: &str) -> &'static str {
    match kind {
        "status" => "status update",
        "internal" => "internal brief",
        "postmortem" => "postmortem draft",
        _ => "evidence bundle",
    }
}

/// Who a communication is for; `None`: not a communication (the
/// postmortem and the evidence are records for the team).
pub fn audience(kind: &str) -> Option<&'static str> {
    match kind {
        "status" => Some("affected users"),
        "internal" => Some("stakeholders"),
        _ => None,
    }
}

/// One export as rendered, before it is written: what the preview shows
/// and what Enter writes, byte for byte.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub kind: String,
    pub text: String,
    /// For the commander only (shown in the preview, never written):
    /// placeholders to fill, sentences left out and why.
    pub warnings: Vec<String>,
    /// The next update this text promises.
    pub promised: Option<crate::model::Time>,
    /// The journal head it was rendered from, and the records up to it.
    pub head: String,
    pub records: u64,
    pub at: crate::model::Time,
    /// When the journal's last record was written: what the draft knows
    /// is as of then (the journal may lag the console's clock).
    pub as_of: crate::model::Time,
}

/// An export as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub kind: String,
    pub path: String,
    pub sha256: String,
    pub promised: Option<crate::model::Time>,
}

/// The next update an update written at `now` promises: `now` plus the
/// cadence, to the minute (earlier, never later, than the cadence).
pub fn promise(app: &App, now: crate::model::Time) -> Option<crate::model::Time> {
    let m = app.incident.cadence()?;
    let t = now + chrono::Duration::minutes(m as i64);
    Some(
        t - chrono::Duration::seconds(t.timestamp().rem_euclid(60))
            - chrono::Duration::nanoseconds(t.timestamp_subsec_nanos() as i64),
    )
}

/// Render one export, with what the commander should know before sending.
pub fn draft(kind: &str, app: &App, j: &JournalView, now: crate::model::Time) -> Draft {
    let promised = audience(kind).and(promise(app, now));
    let (text, warnings) = match kind {
        "status" => status::render(&facts::Facts::new(app, j), now, promised),
        "internal" => (
            internal::render(&facts::Facts::new(app, j), j, now, promised),
            vec![],
        ),
        "postmortem" => (
            postmortem::render(&facts::Facts::new(app, j), j, now),
            vec![],
        ),
        _ => (evidence::render(app, j), vec![]),
    };
    Draft {
        kind: kind.to_string(),
        // Cleaned here, so the preview shows exactly what is written (the
        // writer cleans again, which changes nothing then).
        text: crate::sanitize::export(&text).into_owned(),
        warnings,
        promised,
        head: j.head.clone(),
        records: j.lines.len() as u64,
        at: now,
        as_of: j.lines.last().map(|(_, e)| e.ts).unwrap_or(now),
    }
}

/// Render one export.
pub fn render(kind: &str, app: &App, j: &JournalView, now: crate::model::Time) -> String {
    draft(kind, app, j, now).text
}

/// Read the incident in `dir` and render one export from it.
pub fn draft_from_dir(dir: &Path, kind: &str, now: crate::model::Time) -> Result<Draft, String> {
    let j = JournalView::read(dir)?;
    let app = j.replay(&incident_of(dir), &dir.display().to_string());
    Ok(draft(kind, &app, &j, now))
}

pub use crate::journal::incident_of;

/// The one place exports are written: the draft's text, atomically, to
/// `path` (default: its file in the incident directory).
pub fn write_export(dir: &Path, d: &Draft, path: Option<PathBuf>) -> Result<Written, String> {
    let path = path.unwrap_or_else(|| dir.join(file_name(&d.kind)));
    write_atomic(&path, &d.text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Written {
        kind: d.kind.clone(),
        path: path.display().to_string(),
        sha256: crate::journal::hash(d.text.as_bytes()),
        promised: d.promised,
    })
}

/// Write via a temp file in the same directory, fsync, rename, fsync the
/// directory: a crash leaves the old file or the new one, never half.
/// Every export passes here and is cleaned again on the way out
/// ([`crate::sanitize::export`]): a re-chained journal can hold an escape.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let text = crate::sanitize::export(text);
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp: PathBuf = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("export"),
        std::process::id()
    ));
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

/// Export kinds into `dir` (the incident directory).
pub fn export_all(
    dir: &Path,
    kinds: &[&str],
    now: crate::model::Time,
) -> Result<Vec<Written>, String> {
    let j = JournalView::read(dir)?;
    let app = j.replay(&incident_of(dir), &dir.display().to_string());
    kinds
        .iter()
        .map(|k| write_export(dir, &draft(k, &app, &j, now), None))
        .collect()
}
