use std::io::Read;
use std::path::Path;

use super::{Entry, GENESIS};

/// A torn last line: cut, and reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Torn {
    pub line: usize,
    pub bytes: u64,
    pub reason: String,
}

impl std::fmt::Display for Torn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "journal line {} was torn ({} bytes, {}); it was cut",
            self.line, self.bytes, self.reason
        )
    }
}

#[derive(Debug)]
pub struct ReadOutcome {
    pub entries: Vec<Entry>,
    /// Byte length of the good prefix.
    pub good_len: u64,
    /// The last line was incomplete or invalid.
    pub torn: Option<Torn>,
    /// A bad line followed by more lines: real damage, 1-based line number.
    pub bad: Option<(usize, String)>,
    /// Hash of the last good line (GENESIS when empty).
    pub head: String,
    /// The hash of each good line, in order.
    pub hashes: Vec<String>,
}

/// Check one line against the chain; returns its hash and entry.
pub fn check_line(line: &[u8], prev: &str) -> Result<(String, Entry), String> {
    let (h, entry) = parse_line(line)?;
    if entry.prev != prev {
        return Err("chain broken (prev does not match the line before)".into());
    }
    Ok((h, entry))
}

/// Check a line's own hash and read its record (the chain is checked by
/// the caller, in order).
fn parse_line(line: &[u8]) -> Result<(String, Entry), String> {
    let s = std::str::from_utf8(line).map_err(|_| "not UTF-8".to_string())?;
    const HEAD: &str = "{\"hash\":\"";
    if !s.starts_with(HEAD) || s.len() < HEAD.len() + 66 {
        return Err("no hash field".into());
    }
    let h = &s[HEAD.len()..HEAD.len() + 64];
    if &s[HEAD.len() + 64..HEAD.len() + 66] != "\"," {
        return Err("malformed hash field".into());
    }
    let rest = &s[HEAD.len() + 66..];
    if super::hash_hex(rest.as_bytes()) != h.as_bytes() {
        return Err("hash mismatch (line was altered)".into());
    }
    let entry = super::record::parse_entry(s).map_err(|e| format!("unreadable record: {e}"))?;
    Ok((h.to_string(), entry))
}

/// Read and check a journal. A missing file is an empty journal.
pub fn read_journal(path: &Path) -> std::io::Result<ReadOutcome> {
    let (mut entries, mut hashes) = (Vec::new(), Vec::new());
    let end = stream_journal(path, |h, e| {
        hashes.push(h);
        entries.push(e);
    })?;
    Ok(outcome(entries, hashes, end))
}

/// How a streamed read ended (everything but the entries).
#[derive(Debug)]
pub struct StreamEnd {
    pub good_len: u64,
    pub torn: Option<Torn>,
    pub bad: Option<(usize, String)>,
    pub head: String,
    pub lines: usize,
}

fn outcome(entries: Vec<Entry>, hashes: Vec<String>, end: StreamEnd) -> ReadOutcome {
    ReadOutcome {
        entries,
        hashes,
        good_len: end.good_len,
        torn: end.torn,
        bad: end.bad,
        head: end.head,
    }
}

/// Read and check a journal, handing each good entry (with its line's
/// hash) to `on_entry` in order as soon as it is checked. Lines are read
/// in blocks and checked on a second thread while this one takes the
/// entries, so a million-line journal is never held whole — neither its
/// bytes nor its entries — and reading overlaps with whatever the caller
/// does with each entry (replaying it into the app). A missing file is an
/// empty journal.
pub fn stream_journal(
    path: &Path,
    on_entry: impl FnMut(String, Entry),
) -> std::io::Result<StreamEnd> {
    match std::fs::File::open(path) {
        Ok(f) => stream(f, on_entry),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => stream(std::io::empty(), on_entry),
        Err(e) => Err(e),
    }
}

/// Bytes read at a time; a line longer than this grows the buffer.
const BLOCK: usize = 4 << 20;

type Checked = Vec<(String, Entry)>;

/// The streaming check over any reader.
pub fn stream<R: Read + Send>(
    reader: R,
    on_entry: impl FnMut(String, Entry),
) -> std::io::Result<StreamEnd> {
    stream_blocks(reader, BLOCK, on_entry)
}

fn stream_blocks<R: Read + Send>(
    mut reader: R,
    block: usize,
    mut on_entry: impl FnMut(String, Entry),
) -> std::io::Result<StreamEnd> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Checked>(2);
    std::thread::scope(|s| {
        let checker = std::thread::Builder::new()
            .name("journal-read".into())
            .spawn_scoped(s, move || check_blocks(&mut reader, block, &tx))?;
        for block in rx {
            for (h, e) in block {
                on_entry(h, e);
            }
        }
        checker
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("journal reader thread failed")))
    })
}

/// Read blocks, check each complete line's hash, record and place in the
/// chain, and send the good entries on; stop at the first bad line.
fn check_blocks<R: Read>(
    reader: &mut R,
    block: usize,
    tx: &std::sync::mpsc::SyncSender<Checked>,
) -> std::io::Result<StreamEnd> {
    let mut end = StreamEnd {
        good_len: 0,
        torn: None,
        bad: None,
        head: GENESIS.to_string(),
        lines: 0,
    };
    let mut buf: Vec<u8> = Vec::with_capacity(block);
    let mut eof = false;
    while !eof || !buf.is_empty() {
        // Fill up to a block (or grow for one long line).
        let want = if buf.len() >= block {
            buf.len() * 2
        } else {
            block
        };
        if !eof && buf.len() < want {
            // Into spare capacity, not a zero-filled block: a small
            // journal costs what it holds.
            buf.reserve(want - buf.len());
            let limit = (want - buf.len()) as u64;
            reader.by_ref().take(limit).read_to_end(&mut buf)?;
            eof = buf.len() < want;
        }
        // Complete lines; at EOF the rest is a last line without newline.
        let complete = match buf.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None if eof => 0,
            None => continue,
        };
        // Hashes and records on every core, then the chain in order; the
        // checked entries go on as they are, never copied into a new list.
        let mut pos = 0;
        let mut stop = None;
        for mut part in parse_lines(&buf[..complete]) {
            let mut good = 0;
            for (i, (h, e)) in part.ok.iter().enumerate() {
                end.lines += 1;
                if e.prev != end.head {
                    stop = Some((
                        pos,
                        "chain broken (prev does not match the line before)".to_string(),
                    ));
                    break;
                }
                end.head.clone_from(h);
                let len = part.lens[i] as usize + 1;
                end.good_len += len as u64;
                pos += len;
                good += 1;
            }
            if stop.is_none()
                && let Some(reason) = part.err.take()
            {
                end.lines += 1;
                stop = Some((pos, reason));
            }
            part.ok.truncate(good);
            if !part.ok.is_empty() && tx.send(part.ok).is_err() {
                return Ok(end);
            }
            if stop.is_some() {
                break;
            }
        }
        if stop.is_none() && eof && complete < buf.len() {
            end.lines += 1;
            stop = Some((complete, "no newline at end".to_string()));
        }
        if let Some((at, reason)) = stop {
            // Torn if nothing follows the bad line, damage otherwise.
            let line_end = buf[at..]
                .iter()
                .position(|&b| b == b'\n')
                .map(|i| at + i + 1)
                .unwrap_or(buf.len());
            let mut more = line_end < buf.len();
            let mut rest = buf.len() - at;
            if !more && !eof {
                let mut probe = [0u8; 1];
                more = reader.read(&mut probe)? > 0;
                if more {
                    rest += 1;
                }
            }
            if more {
                end.bad = Some((end.lines, reason));
            } else {
                end.torn = Some(Torn {
                    line: end.lines,
                    bytes: rest as u64,
                    reason,
                });
            }
            return Ok(end);
        }
        buf.drain(..complete);
    }
    Ok(end)
}

/// One share of a block's lines, checked: the good lines in order (hash
/// and entry, with each line's length), then the first bad one's reason.
struct Part {
    ok: Checked,
    lens: Vec<u32>,
    err: Option<String>,
}

/// The complete lines of `lines` (each ends in a newline), their hashes
/// and records checked, split over the machine's cores (the costly part of
/// reading: a million records is seconds on one core). Each share stops at
/// its first bad line.
fn parse_lines(lines: &[u8]) -> Vec<Part> {
    let one = |part: &[u8]| -> Part {
        let mut p = Part {
            ok: Vec::new(),
            lens: Vec::new(),
            err: None,
        };
        for l in part.split_inclusive(|&b| b == b'\n') {
            let l = &l[..l.len() - 1];
            match parse_line(l) {
                Ok(x) => {
                    p.ok.push(x);
                    p.lens.push(l.len() as u32);
                }
                Err(e) => {
                    p.err = Some(e);
                    break;
                }
            }
        }
        p
    };
    let workers = std::thread::available_parallelism()
        .map(|n| n.get().min(8))
        .unwrap_or(1);
    if workers < 2 || lines.len() < 64 << 10 {
        return vec![one(lines)];
    }
    // Cut at newlines near equal shares.
    let mut cuts = vec![0];
    for w in 1..workers {
        let from = (lines.len() * w / workers).max(*cuts.last().unwrap_or(&0));
        match lines[from..].iter().position(|&b| b == b'\n') {
            Some(i) => cuts.push(from + i + 1),
            None => break,
        }
    }
    cuts.push(lines.len());
    cuts.dedup();
    std::thread::scope(|s| {
        let handles: Vec<_> = cuts
            .windows(2)
            .skip(1)
            .map(|w| s.spawn(move || one(&lines[w[0]..w[1]])))
            .collect();
        let mut out = vec![one(&lines[cuts[0]..cuts[1]])];
        for h in handles {
            // Never silently short: a failed share stops the read there.
            out.push(h.join().unwrap_or_else(|_| Part {
                ok: Vec::new(),
                lens: Vec::new(),
                err: Some("reader thread failed".into()),
            }));
        }
        out
    })
}

/// The chain check over bytes.
pub fn read_bytes(bytes: &[u8]) -> ReadOutcome {
    let (mut entries, mut hashes) = (Vec::new(), Vec::new());
    let end = stream(bytes, |h, e| {
        hashes.push(h);
        entries.push(e);
    })
    // Memory cannot fail to read; only the reader thread can fail to start.
    .unwrap_or_else(|e| StreamEnd {
        good_len: 0,
        torn: None,
        bad: Some((1, format!("cannot read: {e}"))),
        head: GENESIS.to_string(),
        lines: 0,
    });
    outcome(entries, hashes, end)
}

/// `cordon verify`: Ok(head hash, lines) or Err(first bad line, reason).
/// Streamed: a journal of any size is checked without being held.
pub fn verify(path: &Path) -> std::io::Result<Result<(String, usize), (usize, String)>> {
    let end = stream(std::fs::File::open(path)?, |_, _| {})?;
    if let Some(bad) = end.bad {
        return Ok(Err(bad));
    }
    if let Some(t) = end.torn {
        return Ok(Err((t.line, format!("torn record: {}", t.reason))));
    }
    Ok(Ok((end.head, end.lines)))
}

/// [`verify`], and where a pinned head hash is in the chain: `Ok((head,
/// lines, Some(line)))` when the pin is line `line` (the journal up to
/// there is as pinned), `None` when no line has that hash (the journal was
/// rewritten or cut before it, even if the chain verifies on its own).
#[allow(clippy::type_complexity)]
pub fn verify_pinned(
    path: &Path,
    pin: &str,
) -> std::io::Result<Result<(String, usize, Option<usize>), (usize, String)>> {
    let (mut line, mut found) = (0usize, None);
    let end = stream(std::fs::File::open(path)?, |h, _| {
        line += 1;
        if found.is_none() && h == pin {
            found = Some(line);
        }
    })?;
    if let Some(bad) = end.bad {
        return Ok(Err(bad));
    }
    if let Some(t) = end.torn {
        return Ok(Err((t.line, format!("torn record: {}", t.reason))));
    }
    Ok(Ok((end.head, end.lines, found)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Record;
    use crate::journal::writer::render_line;

    fn read_in_blocks(bytes: &[u8], block: usize) -> (Vec<(String, Entry)>, String) {
        let mut got = Vec::new();
        let end = stream_blocks(bytes, block, |h, e| got.push((h, e))).unwrap();
        let summary = format!(
            "{} {:?} {:?} {} {}",
            end.good_len, end.torn, end.bad, end.head, end.lines
        );
        (got, summary)
    }

    /// Block boundaries (down to one byte, and lines longer than a block)
    /// never change what is read, torn or found damaged.
    #[test]
    fn any_block_size_reads_the_same() {
        let at: crate::model::Time = "2026-11-25T10:00:00Z".parse().unwrap();
        let mut bytes = String::new();
        let mut prev = GENESIS.to_string();
        for i in 0..40u64 {
            let (l, h) = render_line(
                i,
                &prev,
                at,
                Record::NoteDraft {
                    text: "x".repeat(i as usize * 7),
                    at,
                },
            );
            bytes.push_str(&l);
            prev = h;
        }
        let full = bytes.as_bytes().to_vec();
        let mut damaged = full.clone();
        let mid = full.len() / 2;
        damaged[mid] = b'#';
        let cases = [
            full.clone(),
            full[..full.len() - 10].to_vec(),
            full[..full.len() - 1].to_vec(),
            damaged,
            Vec::new(),
        ];
        for case in &cases {
            let want = read_in_blocks(case, BLOCK);
            for block in [1, 2, 7, 64, 300, 4096] {
                assert_eq!(read_in_blocks(case, block), want, "block {block}");
            }
        }
        assert_eq!(read_in_blocks(&cases[0], 7).0.len(), 40);
        assert!(read_in_blocks(&cases[1], 7).1.contains("Some(Torn"));
        assert!(read_in_blocks(&cases[3], 7).1.contains("Some(("));
    }
}
