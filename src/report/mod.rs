//! Exports derived from the journal: the postmortem draft (Markdown), the
//! status update for affected users, and the evidence bundle (JSON). All
//! are rebuilt from the journal alone and written atomically.

pub mod evidence;
pub mod postmortem;
pub mod status;

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

pub const KINDS: [&str; 3] = ["postmortem", "status", "evidence"];

pub fn file_name(kind: &str) -> &'static str {
    match kind {
        "postmortem" => "postmortem.md",
        "status" => "status-update.md",
        _ => "evidence.json",
    }
}

/// Render one export.
pub fn render(kind: &str, app: &App, j: &JournalView, now: crate::model::Time) -> String {
    match kind {
        "postmortem" => postmortem::render(app, j, now),
        "status" => status::render(app, now),
        _ => evidence::render(app, j),
    }
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

/// Export kinds into `dir` (the incident directory); returns the paths.
pub fn export_all(
    dir: &Path,
    kinds: &[&str],
    now: crate::model::Time,
) -> Result<Vec<(String, PathBuf)>, String> {
    let j = JournalView::read(dir)?;
    let incident = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let app = j.replay(&incident, &dir.display().to_string());
    let mut out = Vec::new();
    for k in kinds {
        let path = dir.join(file_name(k));
        write_atomic(&path, &render(k, &app, &j, now))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        out.push((k.to_string(), path));
    }
    Ok(out)
}
