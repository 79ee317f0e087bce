//! Runs and events as observed, with the indexes the panes need. Applying
//! journal records is the only way in, so replay rebuilds exactly the live
//! state.

use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hash, Hasher};

use crate::model::classify::{Class, Classes, Rules};
use crate::model::event::Short;
use crate::model::{Controls, Event, EventKind, Run, RunStats};

/// Maps keyed by our own ids and hashes: foldhash, not SipHash (these are
/// hit once or twice per event; nothing here is keyed by a platform in a
/// way that could be used to flood one bucket — ids are de-duplicated by
/// a table of indexes, not by these maps).
type Fold = foldhash::fast::FixedState;
type HashMap<K, V> = hashbrown::HashMap<K, V, Fold>;
type HashSet<K> = hashbrown::HashSet<K, Fold>;
const SEED: u64 = 0x636f72646f6e;

/// What a run's own events say about it, kept as events arrive so triage
/// and the counters never rescan the feed.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct RunAgg {
    /// Files, rows, messages, external actions, and tool calls the rules
    /// class as writes or money.
    pub writes: u32,
    /// Any of them irreversible, or anything it did outbound.
    pub harmful: bool,
    /// Counted from the evidence (the platform may not count at all).
    pub tool_calls: u32,
    pub errors: u32,
    pub retries: u32,
    /// Outbound events (as the platform says or the rules class them),
    /// messages sent and external actions.
    pub external: u32,
    /// Events that left the system (by the platform's word or the rules').
    pub outbound: u32,
    /// Changes the platform says cannot be undone.
    pub irreversible: u32,
    /// People reached and money moved, where the event data says so (or
    /// the rules class a tool call as money).
    pub recipients: u64,
    pub money: bool,
    pub amount_usd: u64,
}

/// A run implicates itself by its own evidence: harm, five writes, or
/// three errors.
fn implicates(a: &RunAgg, errors: u64) -> bool {
    a.harmful || a.writes >= 5 || errors >= 3
}

/// Source kinds whose platforms do not say what a tool call does to the
/// world (no `message_sent`, no `outbound`): the classification rules
/// speak for them. Platforms that report effects themselves (ACA) are
/// taken at their word, so nothing is counted twice.
pub const CLASSIFIED_KINDS: [&str; 3] = ["langgraph", "temporal", "otlp"];

/// What the classification rules make of an event: its tool call's
/// classes; none for anything else.
pub fn classes_of(rules: &Rules, e: &Event) -> Classes {
    match (&e.kind, &e.tool) {
        (EventKind::ToolCall, Some(tool)) => {
            let data = e.data.value();
            rules.classify(tool, data.get("args")).classes
        }
        _ => Classes::default(),
    }
}

/// Outbound, by the platform's word or the rules'.
pub fn is_outbound(e: &Event, c: Classes) -> bool {
    e.outbound || c.has(Class::Outbound)
}

/// A pattern signature shared by runs: a tool on a target, or an error's
/// shape, within one source. Hashed (64-bit) so the index holds no text.
pub fn signature(source: u16, tag: u8, parts: &[&str]) -> u64 {
    let mut h = Fold::with_seed(SEED).build_hasher();
    (source, tag).hash(&mut h);
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

/// Normalise an error for comparison: digits and ids vary, the shape
/// repeats.
pub fn error_shape(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .take(80)
        .collect()
}

/// The signatures an event gives its run (at most two).
pub fn event_signatures(source: u16, e: &Event) -> impl Iterator<Item = u64> {
    let tt = match (&e.tool, &e.target) {
        (Some(tool), Some(target)) if e.kind == EventKind::ToolCall || e.kind.is_world_change() => {
            Some(signature(source, 0, &[tool, target]))
        }
        _ => None,
    };
    let err =
        (e.kind == EventKind::Error).then(|| signature(source, 1, &[&error_shape(&e.summary)]));
    tt.into_iter().chain(err)
}

/// An event and the source it came from (index into `Store::sources`).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub source: u16,
    /// The classification rules' verdict, kept with the event.
    pub class: Classes,
    pub event: Event,
}

#[derive(Debug, Default)]
pub struct Store {
    /// Source names, in first-seen order.
    pub sources: Vec<String>,
    pub runs: Vec<Run>,
    run_index: HashMap<(u16, Short), usize>,
    /// Every event, in arrival order.
    pub events: Chunked<Stored>,
    /// Event indexes by hash of (source, event id): de-duplication without
    /// a second copy of every id.
    seen: hashbrown::HashTable<u32>,
    /// Event indexes per run index.
    by_run: Vec<Vec<u32>>,
    /// Per run index, its event with the latest time (late arrivals, in
    /// arrival order before older ones, do not count as its last event).
    latest: Vec<Option<u32>>,
    /// The latest execution of a workflow id, for runs keyed
    /// `{workflow id}@{run uuid}` (Temporal): what a bare workflow id names.
    latest_execution: HashMap<(u16, Short), usize>,
    /// Events whose run has not been seen yet, by run key.
    orphans: HashMap<(u16, Short), Vec<u32>>,
    /// How many runs are active (kept, not counted per frame).
    pub active: usize,
    /// How many runs are in a state cordon does not know (it may be
    /// running): never counted as ended.
    pub unknown: usize,
    /// Per run (parallel to `runs`): its events' aggregate.
    pub run_agg: Vec<RunAgg>,
    /// Runs whose own evidence implicates them: harmful or ≥5 writes or
    /// ≥3 errors (triage adds the acted-on and marked ones).
    pub flagged: BTreeSet<usize>,
    /// Runs by (source, workflow) and (source, agent class).
    by_workflow: HashMap<(u16, String), Vec<u32>>,
    by_class: HashMap<(u16, String), Vec<u32>>,
    /// Runs by signature, each run once.
    by_sig: HashMap<u64, Vec<u32>>,
    sig_seen: HashSet<(u64, u32)>,
    /// Controls in force, per source.
    pub controls: std::collections::HashMap<String, Controls>,
    /// The controls each source last reported itself (what the journal
    /// holds as evidence); `controls` may run ahead of it by a confirmed
    /// action's effect.
    pub reported_controls: std::collections::HashMap<String, Controls>,
    /// Credentials a source can revoke, as it last listed them.
    pub credentials: std::collections::HashMap<String, Vec<String>>,
    /// The rules that class tool calls (config, else defaults).
    pub rules: Rules,
    /// Sources whose tool calls the rules class ([`CLASSIFIED_KINDS`]).
    classified: HashSet<u16>,
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

    pub fn source_index(&self, name: &str) -> Option<u16> {
        self.sources
            .iter()
            .position(|s| s == name)
            .map(|i| i as u16)
    }

    pub fn source_name(&self, id: u16) -> &str {
        self.sources
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("?")
    }

    pub fn run_idx(&self, source: &str, id: &str) -> Option<usize> {
        let s = self.sources.iter().position(|x| x == source)? as u16;
        self.run_index.get(&(s, Short::new(id))).copied()
    }

    /// The run an id names in a source: the exact id, else, for a bare
    /// workflow id, its latest execution (`{id}@{run uuid}`). A span that
    /// carries only a Temporal workflow id is evidence about that run.
    pub fn resolve_run(&self, source: &str, id: &str) -> Option<usize> {
        let s = self.source_index(source)?;
        let k = (s, Short::new(id));
        self.run_index
            .get(&k)
            .or_else(|| self.latest_execution.get(&k))
            .copied()
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
        let key = (s, Short::new(&run.id));
        let i = match self.run_index.get(&key) {
            Some(&i) => {
                let old = std::mem::replace(&mut self.runs[i], run);
                let new = &self.runs[i];
                self.active =
                    self.active + new.state.is_active() as usize - old.state.is_active() as usize;
                self.unknown = self.unknown + new.state.is_unknown() as usize
                    - old.state.is_unknown() as usize;
                if old.workflow != new.workflow {
                    unindex(&mut self.by_workflow, (s, old.workflow.to_string()), i);
                    index(&mut self.by_workflow, (s, new.workflow.to_string()), i);
                }
                if old.agent_class != new.agent_class {
                    unindex(&mut self.by_class, (s, old.agent_class.to_string()), i);
                    index(&mut self.by_class, (s, new.agent_class.to_string()), i);
                }
                i
            }
            None => {
                self.active += run.state.is_active() as usize;
                self.unknown += run.state.is_unknown() as usize;
                self.runs.push(run);
                self.run_agg.push(RunAgg::default());
                self.by_run.push(Vec::new());
                self.latest.push(None);
                let i = self.runs.len() - 1;
                let r = &self.runs[i];
                index(&mut self.by_workflow, (s, r.workflow.to_string()), i);
                index(&mut self.by_class, (s, r.agent_class.to_string()), i);
                self.run_index.insert(key.clone(), i);
                if let Some((w, r)) = r.id.rsplit_once('@')
                    && crate::model::is_uuid(r)
                    && !w.is_empty()
                {
                    let wk = (s, Short::new(w));
                    let newer = match self.latest_execution.get(&wk) {
                        Some(&j) => self.runs[j].started_at <= self.runs[i].started_at,
                        None => true,
                    };
                    if newer {
                        self.latest_execution.insert(wk, i);
                    }
                }
                // Events may have arrived before their run.
                if let Some(orphans) = self.orphans.remove(&key) {
                    for &n in &orphans {
                        self.index_event(i, n as usize);
                        self.bump_latest(i, n);
                    }
                    self.by_run[i] = orphans;
                }
                i
            }
        };
        self.reflag(i);
        i
    }

    /// Fold event `n` into run `ri`'s aggregate and the signature index.
    fn index_event(&mut self, ri: usize, n: usize) {
        let st = &self.events[n];
        let e = &st.event;
        let c = st.class;
        if let Some(a) = self.run_agg.get_mut(ri) {
            super::harm::fold(a, e, c);
        }
        for sig in event_signatures(st.source, e) {
            if self.sig_seen.insert((sig, ri as u32)) {
                self.by_sig.entry(sig).or_default().push(ri as u32);
            }
        }
        self.reflag(ri);
    }

    fn reflag(&mut self, ri: usize) {
        let (Some(a), Some(r)) = (self.run_agg.get(ri), self.runs.get(ri)) else {
            return;
        };
        let errors = r.stats.errors.or_zero().max(a.errors as u64);
        if r.source != crate::model::CORDON_SOURCE && implicates(a, errors) {
            self.flagged.insert(ri);
        } else {
            self.flagged.remove(&ri);
        }
    }

    /// Runs of this source sharing the workflow / agent class, ascending.
    pub fn runs_with_workflow(&self, source: u16, workflow: &str) -> Vec<usize> {
        lookup(&self.by_workflow, &(source, workflow.to_string()))
    }

    pub fn runs_with_class(&self, source: u16, class: &str) -> Vec<usize> {
        lookup(&self.by_class, &(source, class.to_string()))
    }

    /// Runs that have this signature, ascending.
    pub fn runs_with_signature(&self, sig: u64) -> Vec<usize> {
        lookup(&self.by_sig, &sig)
    }

    pub fn has_event(&self, source: &str, id: &str) -> bool {
        match self.source_index(source) {
            Some(s) => self.find_event(s, id).is_some(),
            None => false,
        }
    }

    /// An event of `source` by its id.
    pub fn event_by_id(&self, source: &str, id: &str) -> Option<&Event> {
        let s = self.source_index(source)?;
        let i = self.find_event(s, id)?;
        self.events.get(i).map(|st| &st.event)
    }

    fn find_event(&self, s: u16, id: &str) -> Option<usize> {
        let events = &self.events;
        self.seen
            .find(id_hash(s, id), |&i| {
                let st = &events[i as usize];
                st.source == s && st.event.id == id
            })
            .map(|&i| i as usize)
    }

    /// Add an event unless its id was seen; returns its index if added.
    pub fn push_event(&mut self, source: &str, event: Event) -> Option<usize> {
        let s = self.source_id(source);
        if self.find_event(s, &event.id).is_some() {
            return None;
        }
        let n = self.events.len();
        let events = &self.events;
        let hash_of = |&i: &u32| {
            let st: &Stored = &events[i as usize];
            id_hash(st.source, &st.event.id)
        };
        self.seen
            .insert_unique(id_hash(s, &event.id), n as u32, hash_of);
        let key = (s, event.run_id.clone());
        let run = self.run_index.get(&key).copied();
        match run {
            Some(ri) => self.by_run[ri].push(n as u32),
            None => self.orphans.entry(key).or_default().push(n as u32),
        }
        let class = if self.classified.contains(&s) {
            classes_of(&self.rules, &event)
        } else {
            Classes::default()
        };
        self.events.push(Stored {
            source: s,
            class,
            event,
        });
        if let Some(ri) = run {
            self.index_event(ri, n);
            self.bump_latest(ri, n as u32);
        }
        Some(n)
    }

    /// A run's counters: the platform's, or what its evidence holds when
    /// that is more (LangGraph and Temporal count nothing themselves).
    pub fn stats(&self, ri: usize) -> RunStats {
        let (Some(r), Some(a)) = (self.runs.get(ri), self.run_agg.get(ri)) else {
            return RunStats::default();
        };
        RunStats {
            tool_calls: r.stats.tool_calls.at_least(a.tool_calls as u64),
            errors: r.stats.errors.at_least(a.errors as u64),
            retries: r.stats.retries.at_least(a.retries as u64),
            external_actions: r.stats.external_actions.at_least(a.external as u64),
        }
    }

    /// Does the classification speak for this source's tool calls?
    pub fn classifies(&self, source: u16) -> bool {
        self.classified.contains(&source)
    }

    /// Say what kind of platform a source is: the rules class the tool
    /// calls of [`CLASSIFIED_KINDS`].
    pub fn set_kind(&mut self, source: &str, kind: &str) {
        let s = self.source_id(source);
        if CLASSIFIED_KINDS.contains(&kind) && self.classified.insert(s) && !self.events.is_empty()
        {
            self.set_rules(self.rules.clone());
        }
    }

    /// New classification rules: every event is classed again and the
    /// aggregates rebuilt (done once, at start, after a reopen).
    pub fn set_rules(&mut self, rules: Rules) {
        self.rules = rules;
        let n = self.events.len();
        for i in 0..n {
            let st = &self.events[i];
            let c = if self.classified.contains(&st.source) {
                classes_of(&self.rules, &st.event)
            } else {
                Classes::default()
            };
            if let Some(st) = self.events.get_mut(i) {
                st.class = c;
            }
        }
        self.run_agg.iter_mut().for_each(|a| *a = RunAgg::default());
        self.by_sig.clear();
        self.sig_seen.clear();
        for ri in 0..self.runs.len() {
            for k in 0..self.by_run[ri].len() {
                let n = self.by_run[ri][k] as usize;
                self.index_event(ri, n);
            }
            self.reflag(ri);
        }
    }

    /// Events naming a run the platform never listed, grouped by that
    /// run's id, where they implicate it as a listed run's would (harm, or
    /// five writes, or three errors): evidence counts whatever run it names.
    pub fn implicating_orphans(&self) -> impl Iterator<Item = (&str, &[u32])> {
        self.orphans.iter().filter_map(|((_, run), evs)| {
            let mut a = RunAgg::default();
            for &n in evs {
                let st = &self.events[n as usize];
                super::harm::fold(&mut a, &st.event, st.class);
            }
            implicates(&a, a.errors as u64).then_some((run.as_str(), evs.as_slice()))
        })
    }

    pub fn events_of_run(&self, run: usize) -> &[u32] {
        self.by_run.get(run).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The last event of a run by time (of equal times, the later
    /// arrival), if any.
    pub fn last_event(&self, run: usize) -> Option<&Event> {
        let i = (*self.latest.get(run)?)?;
        self.events.get(i as usize).map(|s| &s.event)
    }

    /// Event `n` (stored) of run `ri`: its last event if none is later.
    fn bump_latest(&mut self, ri: usize, n: u32) {
        let at = |j: u32| self.events.get(j as usize).map(|s| s.event.at);
        let newer = match self.latest[ri] {
            Some(j) => at(j) <= at(n),
            None => true,
        };
        if newer {
            self.latest[ri] = Some(n);
        }
    }

    /// The run an event belongs to.
    pub fn run_of_event(&self, ev: usize) -> Option<usize> {
        let st = self.events.get(ev)?;
        self.run_index
            .get(&(st.source, st.event.run_id.clone()))
            .copied()
    }
}

fn index<K: Eq + Hash>(m: &mut HashMap<K, Vec<u32>>, k: K, i: usize) {
    m.entry(k).or_default().push(i as u32);
}

fn unindex<K: Eq + Hash>(m: &mut HashMap<K, Vec<u32>>, k: K, i: usize) {
    if let Some(v) = m.get_mut(&k) {
        v.retain(|&x| x as usize != i);
    }
}

fn lookup<K: Eq + Hash>(m: &HashMap<K, Vec<u32>>, k: &K) -> Vec<usize> {
    let mut v: Vec<usize> = m
        .get(k)
        .map(|v| v.iter().map(|&x| x as usize).collect())
        .unwrap_or_default();
    v.sort_unstable();
    v
}

fn id_hash(source: u16, id: &str) -> u64 {
    Fold::with_seed(SEED).hash_one((source, id))
}

/// Elements in fixed-size chunks: growing never moves what is stored (no
/// doubling copy of a million events, no half-empty capacity at the end).
#[derive(Debug, PartialEq)]
pub struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

const CHUNK: usize = 4096;

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, v: T) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(v),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(v);
                self.chunks.push(c);
            }
        }
        self.len += 1;
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    pub fn last(&self) -> Option<&T> {
        self.chunks.last()?.last()
    }
}

impl<T> std::ops::Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RunState;

    fn run(id: &str, started: i64) -> Run {
        let mut r = Run::from_wire("tm", &serde_json::json!({"id": id, "state": "running"}))
            .expect("a run");
        r.state = RunState::Running;
        r.started_at = chrono::DateTime::from_timestamp(started, 0);
        r
    }

    #[test]
    fn a_bare_workflow_id_names_its_latest_execution() {
        let mut s = Store::default();
        let newer = "wf-1@01a23049-438f-7c83-936f-3cf10151b9f5";
        let older = "wf-1@01a23046-e395-738a-a1db-7cd568c7dcba";
        // Listed newest first, as Temporal lists them.
        s.upsert_run(run(newer, 200));
        s.upsert_run(run(older, 100));
        s.upsert_run(run("plain", 50));
        fn at(s: &Store, id: &str) -> Option<String> {
            s.resolve_run("tm", id).map(|i| s.runs[i].id.to_string())
        }
        assert_eq!(at(&s, "wf-1").as_deref(), Some(newer));
        assert_eq!(at(&s, older).as_deref(), Some(older), "an exact id wins");
        assert_eq!(at(&s, "plain").as_deref(), Some("plain"));
        assert_eq!(at(&s, "wf-2"), None);
        assert_eq!(s.resolve_run("other", "wf-1"), None);
        // Not a run uuid after the `@`: no alias.
        s.upsert_run(run("mail@example.com", 300));
        assert_eq!(at(&s, "mail"), None);
    }
}
