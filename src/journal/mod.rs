//! The journal is the incident: an append-only, hash-chained JSON-lines file.
//! Each line is `{"hash":"<sha256 of the rest>",` followed by the rest of the
//! entry (which carries `prev`, the hash of the line before), so `verify`
//! checks exact bytes and never depends on re-serialisation.

pub mod caught_up;
pub mod head;
pub mod read;
pub mod record;
pub mod writer;

pub use caught_up::CaughtUp;
pub use head::Head;
pub use read::{ReadOutcome, Torn, read_journal, verify, verify_pinned};
pub use record::{Entry, IncidentChange, Operator, Record};
pub use writer::{Fault, Journal, JournalHandle, OpenError};

use std::path::{Path, PathBuf};

pub const FILE: &str = "journal.jsonl";
pub const LOCK: &str = "journal.lock";
/// The `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub fn journal_path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Hex SHA-256.
pub fn hash(bytes: &[u8]) -> String {
    let hex = hash_hex(bytes);
    // Hex digits are ASCII.
    String::from_utf8_lossy(&hex).into_owned()
}

/// Hex SHA-256 without allocating (checking a million lines on reopen).
pub fn hash_hex(bytes: &[u8]) -> [u8; 64] {
    use sha2::Digest;
    let mut out = [0u8; 64];
    // Cannot fail: 32 bytes are exactly 64 hex digits.
    let _ = hex::encode_to_slice(sha2::Sha256::digest(bytes), &mut out);
    out
}

/// Default incident directory: `$XDG_STATE_HOME/cordon/incidents/<id>`
/// (falling back to `~/.local/state`).
pub fn default_dir(incident_id: &str) -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("cordon").join("incidents").join(incident_id)
}

/// The incident id a directory names: its last component ("" for none,
/// as `/` or `..`).
pub fn incident_of(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// [`incident_of`], or `fallback` where the directory names none.
pub fn incident_or(dir: &Path, fallback: &str) -> String {
    match incident_of(dir) {
        id if id.is_empty() => fallback.to_string(),
        id => id,
    }
}

/// A new incident id from the wall clock: `INC-20261124-101502`.
pub fn new_incident_id(now: chrono::DateTime<chrono::Utc>) -> String {
    now.format("INC-%Y%m%d-%H%M%S").to_string()
}
