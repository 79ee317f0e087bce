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
    /// Sources a session polled (from `session_started`): when first.
    polled: HashMap<String, Time>,
    /// The last record a source's poll wrote (a run, an event, its
    /// status or controls). Only its own: a session killed while a source
    /// was still catching up wrote other records, and none of this
    /// source's after the point it had read to.
    last: HashMap<String, Time>,
    /// Sources whose last status said down: since when.
    down: HashMap<String, Time>,
}

impl CaughtUp {
    pub fn see(&mut self, e: &Entry) {
        let mut wrote = |source: &str| {
            let t = self.last.entry(source.to_string()).or_insert(e.ts);
            *t = (*t).max(e.ts);
        };
        match &e.record {
            Record::Run { run } => wrote(&run.source),
            Record::Event { source, .. } | Record::Controls { source, .. } => wrote(source),
            Record::SourceStatus { source, .. } => wrote(source),
            _ => {}
        }
        match &e.record {
            Record::SessionStarted { sources, .. } => {
                for s in sources {
                    let name = s.split_once('=').map_or(s.as_str(), |(n, _)| n);
                    self.polled.entry(name.to_string()).or_insert(e.ts);
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

    /// Per source polled before: caught up as of when (down since then;
    /// else its last record; else when a session first polled it).
    pub fn times(&self) -> HashMap<String, Time> {
        self.polled
            .iter()
            .map(|(s, first)| {
                let t = self
                    .down
                    .get(s)
                    .or_else(|| self.last.get(s))
                    .unwrap_or(first);
                (s.clone(), *t)
            })
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

    fn started(secs: i64, sources: &[&str]) -> Entry {
        entry(
            secs,
            Record::SessionStarted {
                incident: "i".into(),
                operator: Operator::default(),
                version: String::new(),
                sources: sources.iter().map(|s| s.to_string()).collect(),
            },
        )
    }

    #[test]
    fn each_source_is_caught_up_to_its_last_good_moment() {
        let mut c = CaughtUp::default();
        c.see(&started(
            0,
            &["lg=langgraph:http://x", "tm=temporal:http://y"],
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
        assert_eq!(t.get("lg"), Some(&at(40)), "its own last record");
        assert_eq!(t.get("tm"), Some(&at(10)), "down since 10, never back");
        assert_eq!(t.get("new"), None, "never polled: nothing to catch up");
        assert!(CaughtUp::default().times().is_empty());
        // A session killed while lg was still catching up wrote records of
        // its own, none of lg's: lg is caught up only as before.
        c.see(&started(
            60,
            &["lg=langgraph:http://x", "oa=openai-admin:http://z"],
        ));
        c.see(&entry(70, status("tm", true)));
        let t = c.times();
        assert_eq!(t.get("lg"), Some(&at(40)));
        assert_eq!(t.get("tm"), Some(&at(70)));
        assert_eq!(
            t.get("oa"),
            Some(&at(60)),
            "no record of its own: since first polled"
        );
    }
}
