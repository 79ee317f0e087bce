//! `cordon watch`: a responder's read-only view of a commander's live
//! incident on the same host. It follows the journal file (no lock, no
//! platform polling), checks the chain as it goes, and survives the
//! commander restarting (a cut torn tail makes it re-read from the start).

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::app::App;
use crate::journal::{self, GENESIS, Record};

pub struct Follower {
    path: PathBuf,
    offset: u64,
    prev: String,
    partial: Vec<u8>,
    pub records: usize,
    /// A broken chain: said once, plainly.
    pub broken: Option<String>,
}

impl Follower {
    pub fn new(dir: &Path) -> Follower {
        Follower {
            path: journal::journal_path(dir),
            offset: 0,
            prev: GENESIS.into(),
            partial: Vec::new(),
            records: 0,
            broken: None,
        }
    }

    /// Read what was appended since the last call; returns the new records
    /// in order, or `Restart` when the file got shorter (rewritten).
    pub fn poll(&mut self) -> std::io::Result<Vec<Record>> {
        let mut f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let len = f.metadata()?.len();
        if len < self.offset {
            // The commander's restart cut a torn tail: start over.
            *self = Follower::new(self.path.parent().unwrap_or(Path::new(".")));
        }
        f.seek(SeekFrom::Start(self.offset))?;
        let mut buf = Vec::new();
        f.take(8 << 20).read_to_end(&mut buf)?;
        self.offset += buf.len() as u64;
        self.partial.extend_from_slice(&buf);
        let mut out = Vec::new();
        while let Some(i) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).collect();
            match journal::read::check_line(&line[..line.len() - 1], &self.prev) {
                Ok((h, e)) => {
                    self.prev = h;
                    self.records += 1;
                    out.push(e.record);
                }
                Err(reason) => {
                    if self.broken.is_none() {
                        self.broken = Some(format!(
                            "journal line {} does not verify ({reason}); what follows is not shown",
                            self.records + 1
                        ));
                    }
                    self.partial.clear();
                    break;
                }
            }
        }
        Ok(out)
    }
}

/// The most recent incident under the state directory.
pub fn latest_incident() -> Option<PathBuf> {
    let base = journal::default_dir("x").parent()?.to_path_buf();
    let mut dirs: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(base)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let p = e.path();
            let m = std::fs::metadata(journal::journal_path(&p))
                .ok()?
                .modified()
                .ok()?;
            Some((m, p))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|d| d.1)
}

/// Apply followed records to a watcher's app.
pub fn apply(app: &mut App, records: Vec<Record>) {
    for r in records {
        app.apply(&r);
    }
    app.refresh();
    app.dirty = true;
}
