//! Runs and events as observed, with the indexes the panes need. Applying
//! journal records is the only way in, so replay rebuilds exactly the live
//! state.

use std::collections::{HashMap, HashSet};

use crate::model::{Controls, Event, Run};

/// An event and the source it came from (index into `Store::sources`).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub source: u16,
    pub event: Event,
}

#[derive(Debug, Default)]
pub struct Store {
    /// Source names, in first-seen order.
    pub sources: Vec<String>,
    pub runs: Vec<Run>,
    run_index: HashMap<(u16, String), usize>,
    /// Every event, in arrival order.
    pub events: Vec<Stored>,
    seen: HashSet<(u16, String)>,
    /// Event indexes per run index.
    by_run: HashMap<usize, Vec<u32>>,
    /// Events whose run has not been seen yet, by run key.
    orphans: HashMap<(u16, String), Vec<u32>>,
    /// Controls in force, per source.
    pub controls: HashMap<String, Controls>,
    /// Credentials a source can revoke, as it last listed them.
    pub credentials: HashMap<String, Vec<String>>,
}

impl Store {
    pub fn source_id(&mut self, name: &str) -> u16 {
        match self.sources.iter().position(|s| s == name) {
            Some(i) => i as u16,
            None => {
                self.sources.push(name.to_string());
                (self.sources.len() - 1) as u16
            }
        }
    }

    pub fn source_name(&self, id: u16) -> &str {
        self.sources
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("?")
    }

    pub fn run_idx(&self, source: &str, id: &str) -> Option<usize> {
        let s = self.sources.iter().position(|x| x == source)? as u16;
        self.run_index.get(&(s, id.to_string())).copied()
    }

    /// Is this run new or different from what we hold?
    pub fn run_changed(&self, run: &Run) -> bool {
        match self.run_idx(&run.source, &run.id) {
            Some(i) => self.runs[i] != *run,
            None => true,
        }
    }

    /// Insert or replace; returns the run's index.
    pub fn upsert_run(&mut self, run: Run) -> usize {
        let s = self.source_id(&run.source);
        let key = (s, run.id.clone());
        match self.run_index.get(&key) {
            Some(&i) => {
                self.runs[i] = run;
                i
            }
            None => {
                self.runs.push(run);
                let i = self.runs.len() - 1;
                // Events may have arrived before their run.
                if let Some(orphans) = self.orphans.remove(&key) {
                    self.by_run.insert(i, orphans);
                }
                self.run_index.insert(key, i);
                i
            }
        }
    }

    pub fn has_event(&self, source: &str, id: &str) -> bool {
        match self.sources.iter().position(|x| x == source) {
            Some(s) => self.seen.contains(&(s as u16, id.to_string())),
            None => false,
        }
    }

    /// Add an event unless its id was seen; returns its index if added.
    pub fn push_event(&mut self, source: &str, event: Event) -> Option<usize> {
        let s = self.source_id(source);
        if !self.seen.insert((s, event.id.clone())) {
            return None;
        }
        let n = self.events.len();
        let key = (s, event.run_id.clone());
        match self.run_index.get(&key) {
            Some(&ri) => self.by_run.entry(ri).or_default().push(n as u32),
            None => self.orphans.entry(key).or_default().push(n as u32),
        }
        self.events.push(Stored { source: s, event });
        Some(n)
    }

    pub fn events_of_run(&self, run: usize) -> &[u32] {
        self.by_run.get(&run).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The last event of a run, if any.
    pub fn last_event(&self, run: usize) -> Option<&Event> {
        let &i = self.events_of_run(run).last()?;
        self.events.get(i as usize).map(|s| &s.event)
    }

    /// The run an event belongs to.
    pub fn run_of_event(&self, ev: usize) -> Option<usize> {
        let st = self.events.get(ev)?;
        self.run_index
            .get(&(st.source, st.event.run_id.clone()))
            .copied()
    }
}
