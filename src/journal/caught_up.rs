//! Where a reopened journal left each source: the time the last session
//! had it caught up, so its poller can read what changed while no console
//! ran (runs that started and ended in the gap, runs that were in flight
//! at a crash).

use std::collections::HashMap;

use super::{Entry, Record};
use crate::model::Time;

/// Built while the journal is replayed, one entry at a time.
#[derive(Default)]
pub struct CaughtUp {
    /// Sources a session polled (from `session_started`).
    polled: Vec<String>,
    /// The last record written, by any part of cordon.
    last: Option<Time>,
    /// Sources whose last status said down: since when.
    down: HashMap<String, Time>,
}

impl CaughtUp {
    pub fn see(&mut self, e: &Entry) {
        self.last = Some(self.last.map_or(e.ts, |t| t.max(e.ts)));
        match &e.record {
            Record::SessionStarted { sources, .. } => {
                for s in sources {
                    let name = s.split_once('=').map_or(s.as_str(), |(n, _)| n);
                    if !self.polled.iter().any(|p| p == name) {
                        self.polled.push(name.to_string());
                    }
                }
            }
            // A failure (whole or partial) leaves reads undone until a
            // poll answers: the source is caught up only to then.
            Record::SourceStatus {
                source, ok: false, ..
            } => {
                self.down.entry(source.clone()).or_insert(e.ts);
            }
            Record::SourceStatus {
                source, ok: true, ..
            } => {
                self.down.remove(source);
            }
            _ => {}
        }
    }

    /// Per source polled before: caught up as of when.
    pub fn times(&self) -> HashMap<String, Time> {
        let Some(last) = self.last else {
            return HashMap::new();
        };
        self.polled
            .iter()
            .map(|s| (s.clone(), self.down.get(s).copied().unwrap_or(last)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Operator;

    fn entry(secs: i64, record: Record) -> Entry {
        Entry {
            seq: 0,
            prev: String::new(),
            ts: chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap(),
            record,
        }
    }

    fn status(source: &str, ok: bool) -> Record {
        Record::SourceStatus {
            source: source.into(),
            ok,
            message: String::new(),
        }
    }

    #[test]
    fn each_source_is_caught_up_to_its_last_good_moment() {
        let mut c = CaughtUp::default();
        c.see(&entry(
            0,
            Record::SessionStarted {
                incident: "i".into(),
                operator: Operator::default(),
                version: String::new(),
                sources: vec![
                    "lg=langgraph:http://x".into(),
                    "tm=temporal:http://y".into(),
                ],
            },
        ));
        c.see(&entry(10, status("tm", false)));
        c.see(&entry(20, status("tm", false)));
        c.see(&entry(30, status("lg", false)));
        c.see(&entry(40, status("lg", true)));
        c.see(&entry(
            50,
            Record::SessionEnded {
                reason: "quit".into(),
            },
        ));
        let t = c.times();
        let at = |s: i64| chrono::DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap();
        assert_eq!(t.get("lg"), Some(&at(50)));
        assert_eq!(t.get("tm"), Some(&at(10)), "down since 10, never back");
        assert_eq!(t.get("new"), None, "never polled: nothing to catch up");
        assert!(CaughtUp::default().times().is_empty());
    }
}
