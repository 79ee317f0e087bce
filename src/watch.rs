//! `cordon watch`: a responder's read-only view of a commander's live
//! incident on the same host. It follows the journal file (no lock, no
//! platform polling), checks the chain as it goes, and survives the
//! commander restarting (a cut torn tail makes it re-read from the start).
//! It says whether the commander is live (the writer lock, the session
//! records) and how old the journal is; it never guesses which incident
//! to show.

use std::io::{BufRead, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::app::{App, Lock};
use crate::journal::{self, Entry, GENESIS, Record};
use crate::model::Time;

pub struct Follower {
    path: PathBuf,
    offset: u64,
    prev: String,
    partial: Vec<u8>,
    pub records: usize,
    /// When the last record was written.
    pub last_ts: Option<Time>,
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
            last_ts: None,
            broken: None,
        }
    }

    /// Read what was appended since the last call; returns the new entries
    /// in order. When the file got shorter (the commander's restart cut a
    /// torn tail) it starts over and `records` goes back down.
    pub fn poll(&mut self) -> std::io::Result<Vec<Entry>> {
        let mut f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let len = f.metadata()?.len();
        if len < self.offset {
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
                    self.last_ts = Some(e.ts);
                    out.push(e);
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

/// Is the incident's writer lock held now, and by which process? Read
/// from `/proc/locks` so the watcher never takes the lock itself (a
/// commander starting at that instant would be refused).
pub fn lock_state(dir: &Path) -> Lock {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(dir.join(journal::LOCK)) else {
        // No lock file: nobody ever opened the incident as its writer.
        return Lock::Free;
    };
    let Ok(locks) = std::fs::read_to_string("/proc/locks") else {
        return Lock::Unknown;
    };
    let dev = meta.dev();
    // SAFETY: major/minor only decode the number.
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    lock_holder(&locks, major, minor, meta.ino())
}

/// The holder of a flock on (device, inode) in `/proc/locks` text.
pub fn lock_holder(locks: &str, major: u32, minor: u32, ino: u64) -> Lock {
    let mut same_inode = false;
    for l in locks.lines() {
        // "1: FLOCK  ADVISORY  WRITE 8815 fe:00:10010679 0 EOF"; waiters
        // ("1: -> FLOCK …") hold nothing.
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 6 || f[1] != "FLOCK" {
            continue;
        }
        let mut id = f[5].split(':');
        let (Some(ma), Some(mi), Some(i)) = (id.next(), id.next(), id.next()) else {
            continue;
        };
        if i.parse::<u64>().ok() != Some(ino) {
            continue;
        }
        let dev_ok = u32::from_str_radix(ma, 16).ok() == Some(major)
            && u32::from_str_radix(mi, 16).ok() == Some(minor);
        if dev_ok && let Ok(pid) = f[4].parse() {
            return Lock::Held(pid);
        }
        same_inode = true;
    }
    // The inode is locked on a device we cannot match (overlay file
    // systems report another): say unknown rather than guess.
    if same_inode {
        Lock::Unknown
    } else {
        Lock::Free
    }
}

/// Apply followed entries to a watcher's app.
pub fn apply(app: &mut App, entries: Vec<Entry>) {
    for e in entries {
        app.apply(&e.record);
    }
    app.refresh();
    app.dirty = true;
}

/// The watcher's status line: who commands, whether they are live, how
/// old the journal is.
pub fn badge(app: &App) -> String {
    let Some(w) = &app.watching else {
        return String::new();
    };
    if let Some(b) = &w.broken {
        return format!("WATCHING (read-only) · {b}");
    }
    let commander = crate::app::Commander::of(app, w);
    let age = w
        .last_record
        .map(|t| crate::ui::age((app.now - t).num_seconds()))
        .unwrap_or_else(|| "never".into());
    let journal = if commander.is_live() {
        format!("journal written {age} ago")
    } else {
        format!("journal last written {age} ago: runs as of then, not now")
    };
    format!(
        "WATCHING (read-only) · commander {} · {journal} · {} records · ? help · q quit",
        commander.label(),
        w.records
    )
}

/// One incident under the state directory, as `cordon watch` lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub dir: PathBuf,
    pub title: String,
    pub status: String,
    pub severity: String,
    pub commander: String,
    pub lock: Lock,
    /// How the last session ended (`None`: open, or crashed).
    pub ended: Option<String>,
    pub last_ts: Option<Time>,
}

/// The `n` most recently written incidents under `base`, newest first,
/// with their state. Only the session and incident records are parsed
/// (a cheap text filter skips the evidence lines).
pub fn recent_incidents(base: &Path, n: usize) -> Vec<Listed> {
    let Ok(rd) = std::fs::read_dir(base) else {
        return Vec::new();
    };
    let mut dirs: Vec<(std::time::SystemTime, PathBuf)> = rd
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
    dirs.sort_by_key(|d| std::cmp::Reverse(d.0));
    dirs.into_iter()
        .take(n)
        .map(|(_, dir)| summarize(&dir))
        .collect()
}

fn summarize(dir: &Path) -> Listed {
    use crate::journal::IncidentChange;
    let mut l = Listed {
        dir: dir.to_path_buf(),
        title: String::new(),
        status: "investigating".into(),
        severity: "-".into(),
        commander: "-".into(),
        lock: lock_state(dir),
        ended: None,
        last_ts: None,
    };
    let Ok(f) = std::fs::File::open(journal::journal_path(dir)) else {
        return l;
    };
    let mut last = Vec::new();
    for line in std::io::BufReader::new(f)
        .split(b'\n')
        .map_while(Result::ok)
    {
        let wanted = |t: &[u8]| line.windows(t.len()).any(|w| w == t);
        if (wanted(b"\"type\":\"session_") || wanted(b"\"type\":\"incident\""))
            && let Some(e) = entry_of(&line)
        {
            match e.record {
                Record::SessionStarted { operator, .. } => {
                    l.commander = operator.label();
                    l.ended = None;
                }
                Record::SessionEnded { reason } => l.ended = Some(reason),
                Record::Incident { change, .. } => match change {
                    IncidentChange::Title { title } => l.title = title,
                    IncidentChange::Status { status } => l.status = status.as_str().into(),
                    IncidentChange::Severity { severity, .. } => l.severity = severity.label(),
                    _ => {}
                },
                _ => {}
            }
        }
        last = line;
    }
    l.last_ts = entry_of(&last).map(|e| e.ts);
    l
}

/// A line's entry, unchecked (a listing only reads a few lines; `verify`
/// and the watcher check the chain).
fn entry_of(line: &[u8]) -> Option<Entry> {
    journal::record::parse_entry(std::str::from_utf8(line).ok()?).ok()
}

/// The listing `cordon watch` prints when no incident is named.
pub fn listing(items: &[Listed], now: Time) -> String {
    let mut out = String::from("recent incidents (newest first):\n");
    for l in items {
        let who = match (l.lock, &l.ended) {
            (Lock::Held(pid), _) => format!("{} LIVE (pid {pid})", l.commander),
            (Lock::Unknown, None) => format!("{} live? (lock unreadable)", l.commander),
            (_, Some(why)) => format!("{} gone ({why})", l.commander),
            (_, None) => format!("{} gone (ended without a word)", l.commander),
        };
        let age = l
            .last_ts
            .map(|t| {
                format!(
                    "last written {} ago",
                    crate::ui::age((now - t).num_seconds())
                )
            })
            .unwrap_or_else(|| "empty".into());
        out.push_str(&format!(
            "  {}  {} {}  {}  {age}{}\n",
            l.dir.display(),
            l.severity,
            l.status,
            who,
            if l.title.is_empty() {
                String::new()
            } else {
                format!("  \"{}\"", l.title)
            }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCKS: &str = "1: FLOCK  ADVISORY  WRITE 8815 fe:00:10010679 0 EOF\n\
                         1: -> FLOCK  ADVISORY  WRITE 9000 fe:00:10010679 0 EOF\n\
                         2: POSIX  ADVISORY  WRITE 77 fe:00:42 0 EOF\n";

    #[test]
    fn the_lock_holder_is_read_from_proc_locks() {
        assert_eq!(lock_holder(LOCKS, 0xfe, 0, 10010679), Lock::Held(8815));
        assert_eq!(lock_holder(LOCKS, 0xfe, 0, 5), Lock::Free);
        // POSIX locks are not the writer's flock.
        assert_eq!(lock_holder(LOCKS, 0xfe, 0, 42), Lock::Free);
        // Same inode, another device: not claimed either way.
        assert_eq!(lock_holder(LOCKS, 0x08, 1, 10010679), Lock::Unknown);
    }

    #[test]
    fn a_live_writer_holds_the_lock_and_a_closed_one_does_not() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("INC-LOCK");
        let j = journal::Journal::open(&dir).unwrap();
        if std::fs::read_to_string("/proc/locks").is_err() {
            eprintln!("SKIP: no /proc/locks here");
            return;
        }
        assert_eq!(lock_state(&dir), Lock::Held(std::process::id()));
        j.close();
        assert_eq!(lock_state(&dir), Lock::Free);
    }
}
