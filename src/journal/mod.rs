//! The journal is the incident: an append-only, hash-chained JSON-lines file.
//! Each line is `{"hash":"<sha256 of the rest>",` followed by the rest of the
//! entry (which carries `prev`, the hash of the line before), so `verify`
//! checks exact bytes and never depends on re-serialisation.

pub mod read;
pub mod record;
pub mod writer;

pub use read::{ReadOutcome, Torn, read_journal, verify};
pub use record::{Entry, IncidentChange, Operator, Record};
pub use writer::{Journal, JournalHandle, OpenError};

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
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
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

/// A new incident id from the wall clock: `INC-20261124-101502`.
pub fn new_incident_id(now: chrono::DateTime<chrono::Utc>) -> String {
    now.format("INC-%Y%m%d-%H%M%S").to_string()
}
