use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::read::{StreamEnd, stream_journal};
use super::{Entry, Head, LOCK, Record, Torn, journal_path};

#[derive(Debug)]
pub enum OpenError {
    /// Another cordon holds the writer lock.
    Locked(PathBuf),
    /// A line before the last is bad: appending would bury the damage.
    Corrupt {
        line: usize,
        reason: String,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Locked(p) => write!(
                f,
                "incident {} is open in another cordon (one writer per incident); use `cordon watch --incident-dir {}` to follow it",
                p.display(),
                p.display()
            ),
            OpenError::Corrupt { line, reason } => write!(
                f,
                "journal is damaged at line {line} ({reason}); run `cordon verify` on it and open a new incident dir"
            ),
            OpenError::Io(e) => write!(f, "cannot open the incident journal: {e}"),
        }
    }
}

impl From<std::io::Error> for OpenError {
    fn from(e: std::io::Error) -> Self {
        OpenError::Io(e)
    }
}

enum Cmd {
    Append(Vec<Record>),
    /// Flush, release the lock and end the writer.
    Stop,
    /// Reply once everything before it is on disk (or that it never will be).
    Sync(mpsc::Sender<Result<u64, String>>),
    /// As `Sync`, replying with the durable head: records on disk and the
    /// last one's hash (to print, pin and sign).
    Head(mpsc::Sender<Head>),
}

/// Why the journal stopped taking records: the first write or fsync that
/// failed. From then on nothing more is written this session (after a
/// failed fsync the kernel may have dropped the data and a retry can
/// falsely succeed), the file is cut back to its last durable line, and
/// every `sync` fails, so no action goes out unrecorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub error: String,
    pub at: crate::model::Time,
    /// Records handed to the journal since, and not written.
    pub lost: u64,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "journal not writable since {} UTC: {}; {} record{} not written",
            self.at.format("%H:%M:%S"),
            self.error,
            self.lost,
            if self.lost == 1 { "" } else { "s" }
        )
    }
}

/// A cheap handle to the writer thread. Appends are queued and group-
/// committed (one fsync per batch); `sync` waits for durability.
#[derive(Clone)]
pub struct JournalHandle {
    tx: mpsc::Sender<Cmd>,
    fault: std::sync::Arc<std::sync::Mutex<Option<Fault>>>,
}

impl JournalHandle {
    pub fn append(&self, r: Record) {
        self.append_all(vec![r]);
    }

    /// Append several records as one group (one write, one fsync).
    pub fn append_all(&self, rs: Vec<Record>) {
        if rs.is_empty() {
            return;
        }
        // A send failure means the writer was stopped: the process is ending.
        let _ = self.tx.send(Cmd::Append(rs));
    }

    /// Block until everything appended so far is fsync'd; returns the
    /// sequence number of the last durable line. An error means some of it
    /// is not on disk and never will be: fail closed.
    pub fn sync(&self) -> Result<u64, String> {
        let (tx, rx) = mpsc::channel();
        let closed = || "the journal is closed".to_string();
        self.tx.send(Cmd::Sync(tx)).map_err(|_| closed())?;
        rx.recv().map_err(|_| closed())?
    }

    /// Block until everything appended so far is fsync'd; returns the
    /// head then: what is on disk (after a write failure, the head before
    /// it).
    pub fn head(&self) -> Option<Head> {
        let (tx, rx) = mpsc::channel();
        self.tx.send(Cmd::Head(tx)).ok()?;
        rx.recv().ok()
    }

    /// The write failure that stopped the journal, if one did.
    pub fn fault(&self) -> Option<Fault> {
        lock(&self.fault).clone()
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// An open incident journal: what was there, and a handle to append.
pub struct Journal {
    pub dir: PathBuf,
    pub entries: Vec<Entry>,
    pub torn: Option<Torn>,
    pub handle: JournalHandle,
    thread: Option<std::thread::JoinHandle<Head>>,
}

impl Journal {
    /// Open (or create) the incident in `dir` as its one writer: take the
    /// lock, read what is there, cut a torn tail, and start the writer.
    pub fn open(dir: &Path) -> Result<Journal, OpenError> {
        let mut entries = Vec::new();
        let mut j = Journal::open_with(dir, |e| entries.push(e))?;
        j.entries = entries;
        Ok(j)
    }

    /// [`Journal::open`], handing each entry to `on_entry` as it is read
    /// and checked instead of collecting them (`entries` stays empty): a
    /// big incident is replayed while it is read, never held twice. On
    /// damage the entries before it have been handed over and the open
    /// fails.
    pub fn open_with(dir: &Path, mut on_entry: impl FnMut(Entry)) -> Result<Journal, OpenError> {
        create_private_dir(dir)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(dir.join(LOCK))?;
        if lock.try_lock().is_err() {
            return Err(OpenError::Locked(dir.to_path_buf()));
        }
        let path = journal_path(dir);
        let mut last_seq = None;
        let StreamEnd {
            good_len,
            torn,
            bad,
            head,
            ..
        } = stream_journal(&path, |_, e| {
            last_seq = Some(e.seq);
            on_entry(e)
        })?;
        if let Some((line, reason)) = bad {
            return Err(OpenError::Corrupt { line, reason });
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)?;
        if torn.is_some() {
            // Cut the torn tail so the next record never glues onto it.
            file.set_len(good_len)?;
            file.sync_all()?;
        }
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        let seq = last_seq.map(|s| s + 1).unwrap_or(0);
        let prev = head;
        let (tx, rx) = mpsc::channel();
        let fault = std::sync::Arc::new(std::sync::Mutex::new(None));
        let durable = file.metadata()?.len();
        // Diagnostics for crash tests: after each fsync, say what is now
        // durable ("<last seq> <its hash>") so a test can check that
        // everything acknowledged survives a SIGKILL.
        let acks = std::env::var_os("CORDON_JOURNAL_ACKS").and_then(|p| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(p)
                .ok()
        });
        let state = WriterState {
            file,
            durable,
            head: Head {
                records: seq,
                hash: prev.clone(),
            },
            seq,
            prev,
            acks,
            fault: fault.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || writer_loop(state, lock, rx))?;
        Ok(Journal {
            dir: dir.to_path_buf(),
            entries: Vec::new(),
            torn,
            handle: JournalHandle { tx, fault },
            thread: Some(thread),
        })
    }

    /// Flush everything appended so far, end the writer and release the
    /// lock; returns the head as the journal was left on disk. Appends
    /// through other handles after this are dropped.
    pub fn close(mut self) -> Option<Head> {
        self.stop()
    }

    fn stop(&mut self) -> Option<Head> {
        let t = self.thread.take()?;
        let _ = self.handle.tx.send(Cmd::Stop);
        t.join().ok()
    }
}

/// Dropped without `close` (a panic unwinding through the console): still
/// write out everything queued, so the journal stays whole.
impl Drop for Journal {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Render one entry as its journal line (with trailing newline).
pub fn render_line(
    seq: u64,
    prev: &str,
    ts: crate::model::Time,
    record: Record,
) -> (String, String) {
    let mut out = Vec::new();
    let h = render_into(&mut out, seq, prev, ts, &record);
    (String::from_utf8(out).unwrap_or_default(), h)
}

/// The entry as written: `Entry` borrowing its parts, so rendering copies
/// nothing first.
#[derive(serde::Serialize)]
struct EntryRef<'a> {
    seq: u64,
    prev: &'a str,
    ts: crate::model::Time,
    #[serde(flatten)]
    record: &'a Record,
}

/// Append one entry's line to `out` and return its hash. The line is
/// serialized straight into the group's buffer and hashed in place.
pub fn render_into(
    out: &mut Vec<u8>,
    seq: u64,
    prev: &str,
    ts: crate::model::Time,
    record: &Record,
) -> String {
    use sha2::Digest;
    const HEAD: &[u8] = b"{\"hash\":\"";
    let start = out.len();
    out.extend_from_slice(HEAD);
    out.extend_from_slice(&[b'0'; 64]);
    out.push(b'"');
    let body = out.len();
    let entry = EntryRef {
        seq,
        prev,
        ts,
        record,
    };
    if let Err(e) = serde_json::to_writer(&mut *out, &entry) {
        // Our own types always serialise; keep a record of the impossible.
        out.truncate(body);
        let msg = crate::sanitize::line(&e.to_string(), 200).replace('"', "'");
        out.extend_from_slice(
            format!(
                r#"{{"seq":{seq},"prev":"{prev}","type":"serialize_error","message":"{msg}"}}"#
            )
            .as_bytes(),
        );
    }
    // `{"hash":"…"` + `,` + the entry without its `{`; the hash covers
    // what follows the comma.
    out[body] = b',';
    let digest = sha2::Sha256::digest(&out[body + 1..]);
    let at = start + HEAD.len();
    // Cannot fail: 32 bytes are exactly 64 hex digits.
    let _ = hex::encode_to_slice(digest, &mut out[at..at + 64]);
    out.push(b'\n');
    String::from_utf8_lossy(&out[at..at + 64]).into_owned()
}

/// What the writer thread owns.
struct WriterState {
    file: File,
    /// Length of the file up to its last fsync'd line.
    durable: u64,
    /// The last line on disk: records and its hash.
    head: Head,
    seq: u64,
    prev: String,
    acks: Option<File>,
    fault: std::sync::Arc<std::sync::Mutex<Option<Fault>>>,
}

impl WriterState {
    /// Write and fsync one group; on failure, cut the file back to its
    /// last durable line (a torn line must never stay for the next one to
    /// glue onto) and stop for good.
    fn commit(&mut self, buf: &[u8], records: u64) {
        if let Some(f) = lock(&self.fault).as_mut() {
            f.lost += records;
            return;
        }
        match self.file.write_all(buf).and_then(|_| self.file.sync_data()) {
            Ok(()) => {
                self.durable += buf.len() as u64;
                self.head = Head {
                    records: self.seq,
                    hash: self.prev.clone(),
                };
                if let Some(a) = self.acks.as_mut() {
                    let _ = writeln!(a, "{} {}", self.seq.saturating_sub(1), self.prev);
                }
            }
            Err(e) => {
                let _ = self
                    .file
                    .set_len(self.durable)
                    .and_then(|_| self.file.sync_all());
                *lock(&self.fault) = Some(Fault {
                    error: e.to_string(),
                    at: chrono::Utc::now(),
                    lost: records,
                });
            }
        }
    }

    fn sync_answer(&self) -> Result<u64, String> {
        match &*lock(&self.fault) {
            Some(f) => Err(f.to_string()),
            None => Ok(self.seq.saturating_sub(1)),
        }
    }
}

fn writer_loop(mut st: WriterState, _lock: File, rx: mpsc::Receiver<Cmd>) -> Head {
    let mut buf: Vec<u8> = Vec::new();
    let mut stop = false;
    while !stop && let Ok(first) = rx.recv() {
        let mut waiters = Vec::new();
        let mut heads = Vec::new();
        let mut cmd = Some(first);
        let mut records = 0u64;
        // Group commit: take everything queued, write once, fsync once.
        while let Some(c) = cmd {
            match c {
                Cmd::Append(rs) => {
                    let ts = chrono::Utc::now();
                    for r in rs {
                        st.prev = render_into(&mut buf, st.seq, &st.prev, ts, &r);
                        st.seq += 1;
                        records += 1;
                    }
                }
                Cmd::Sync(w) => waiters.push(w),
                Cmd::Head(w) => heads.push(w),
                Cmd::Stop => {
                    stop = true;
                    break;
                }
            }
            // Write out a big group before taking more (checked before
            // try_recv, so no command is taken and then dropped).
            if buf.len() > (1 << 20) {
                break;
            }
            cmd = rx.try_recv().ok();
        }
        if !buf.is_empty() {
            st.commit(&buf, records);
            buf.clear();
        }
        for w in waiters {
            let _ = w.send(st.sync_answer());
        }
        for w in heads {
            let _ = w.send(st.head.clone());
        }
    }
    let _ = st.file.sync_all();
    st.head
}
