use std::io::Read;
use std::path::Path;

use super::{Entry, GENESIS, hash};

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
/// the caller, in order; this part can run on several lines at once).
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
    if hash(rest.as_bytes()) != h {
        return Err("hash mismatch (line was altered)".into());
    }
    let entry: Entry = serde_json::from_str(s).map_err(|e| format!("unreadable record: {e}"))?;
    Ok((h.to_string(), entry))
}

/// Read and check a journal. A missing file is an empty journal.
pub fn read_journal(path: &Path) -> std::io::Result<ReadOutcome> {
    let mut bytes = Vec::new();
    match std::fs::File::open(path) {
        Ok(mut f) => {
            f.read_to_end(&mut bytes)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(read_bytes(&[])),
        Err(e) => return Err(e),
    }
    Ok(read_bytes(&bytes))
}

/// The chain check over bytes.
pub fn read_bytes(bytes: &[u8]) -> ReadOutcome {
    let mut out = ReadOutcome {
        entries: Vec::new(),
        good_len: 0,
        torn: None,
        bad: None,
        head: String::new(),
        hashes: Vec::new(),
    };
    // Lines first (cheap), then hashes and records on every core (the
    // costly part: 1,000,000 records reopen in seconds, not tens), then
    // the chain in order.
    let mut lines: Vec<(usize, usize, bool)> = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        match bytes[pos..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                lines.push((pos, pos + i, true));
                pos += i + 1;
            }
            None => {
                lines.push((pos, bytes.len(), false));
                pos = bytes.len();
            }
        }
    }
    let workers = std::thread::available_parallelism()
        .map(|n| n.get().min(8))
        .unwrap_or(1);
    let per = lines.len().div_ceil(workers).max(1024);
    let parse = |part: &[(usize, usize, bool)]| -> Vec<Result<(String, Entry), String>> {
        part.iter()
            .map(|&(a, b, complete)| {
                if complete {
                    parse_line(&bytes[a..b])
                } else {
                    Err("no newline at end".into())
                }
            })
            .collect()
    };
    let parsed: Vec<Result<(String, Entry), String>> = if lines.len() <= per {
        parse(&lines)
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = lines
                .chunks(per)
                .map(|part| (part.len(), s.spawn(move || parse(part))))
                .collect();
            handles
                .into_iter()
                .flat_map(|(n, h)| {
                    // Never silently short: a failed reader marks its lines bad.
                    h.join()
                        .unwrap_or_else(|_| vec![Err("reader thread failed".into()); n])
                })
                .collect()
        })
    };
    let mut prev = GENESIS.to_string();
    for (line_no, (result, &(start, end, complete))) in parsed.into_iter().zip(&lines).enumerate() {
        let line_no = line_no + 1;
        let pos = start;
        let next = if complete { end + 1 } else { end };
        let is_last = next >= bytes.len();
        let result = result.and_then(|(h, e)| {
            if e.prev == prev {
                Ok((h, e))
            } else {
                Err("chain broken (prev does not match the line before)".to_string())
            }
        });
        match result {
            Ok((h, e)) => {
                out.hashes.push(h.clone());
                prev = h;
                out.entries.push(e);
                out.good_len = next as u64;
            }
            Err(reason) if is_last => {
                out.torn = Some(Torn {
                    line: line_no,
                    bytes: (bytes.len() - pos) as u64,
                    reason,
                });
                break;
            }
            Err(reason) => {
                out.bad = Some((line_no, reason));
                break;
            }
        }
    }
    out.head = prev;
    out
}

/// `cordon verify`: Ok(head hash, lines) or Err(first bad line, reason).
pub fn verify(path: &Path) -> std::io::Result<Result<(String, usize), (usize, String)>> {
    let bytes = std::fs::read(path)?;
    let out = read_bytes(&bytes);
    if let Some(bad) = out.bad {
        return Ok(Err(bad));
    }
    if let Some(t) = out.torn {
        return Ok(Err((t.line, format!("torn record: {}", t.reason))));
    }
    Ok(Ok((out.head, out.entries.len())))
}
