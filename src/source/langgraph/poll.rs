//! The LangGraph poller: the IO shell around `convert`.
//!
//! Each poll reads the threads that are busy or waiting at an interrupt and
//! every thread with a run cordon follows (a run is followed from when it
//! is first seen queued or running until it has ended and its last steps
//! are read, whatever its thread's status says). Per thread: its runs, and
//! its history from the newest checkpoint back to the first one already
//! read (paged), with the histories of subgraphs still open. A thread whose
//! reads all succeeded is committed at once; a thread whose read failed is
//! left as it was and read again next poll, while what the others gave is
//! delivered (the failure is reported as well). Nothing read is dropped:
//! what a poll gathered before it failed as a whole is kept (`carry`) for
//! the next poll that answers.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::convert::{self, RunContext};
use super::wire::{self, Checkpoint};
use super::{Conn, Shared, hold, lock};
use crate::model::{ActionKind, Run, RunState};
use crate::sanitize;
use crate::source::Batch;
use crate::source::http::{self, HttpError};

/// Run streams followed at once (each is one open connection).
const MAX_STREAMS: usize = 64;
/// Checkpoints asked per history page: the first page is small (a poll
/// usually finds a step or two), later ones larger.
const FIRST_PAGE: usize = 10;
const PAGE: usize = 100;
/// Pages read back per thread and poll; past that, the next poll goes on.
const MAX_PAGES: usize = 200;
/// Pages of 100 updated threads read at the most per poll (a reopened
/// incident catches up on a gap in one poll).
const MAX_THREAD_PAGES: usize = 50;
/// How far before a reopened journal's last good moment the first search
/// looks (the server's clock may differ from this one).
const RESUME_MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(2);
/// A thread's runs asked per page, and pages read at the most per poll.
const RUN_PAGE: usize = 100;
const MAX_RUN_PAGES: usize = 50;
/// Subgraph nesting followed.
const MAX_DEPTH: usize = 4;

/// What a run's stream said, for runs whose history the server does not
/// keep (stateless and cron runs).
#[derive(Debug, Clone)]
enum Note {
    /// The state after a step (the stream's `values`): cumulative.
    Values(Value),
    Error(wire::RunError),
}

#[derive(Default)]
struct Streams {
    following: HashSet<String>,
    /// Stateless runs: their thread, latest values and any error.
    notes: HashMap<String, (String, Vec<Note>)>,
    /// Runs whose stream reported an error.
    failed: HashSet<String>,
}

/// A thread as followed: what was read and turned into events already.
#[derive(Default)]
struct ThreadSeen {
    /// Event ids and message ids already given.
    seen: HashSet<String>,
    /// Checkpoints already read (any namespace).
    known: HashSet<String>,
    /// Subgraph namespaces still to read.
    open_ns: BTreeSet<String>,
    done_ns: HashSet<String>,
    /// Runs whose failure is on record (a task error, or their own).
    errored: HashSet<String>,
}

/// A run cordon follows until it ends.
#[derive(Debug, Clone)]
struct Tracked {
    thread: String,
    workflow: String,
    state: RunState,
}

pub struct LangGraph {
    name: String,
    conn: Conn,
    /// Rung by run streams when the server sends anything.
    wake: Arc<tokio::sync::Notify>,
    streams: Arc<Mutex<Streams>>,
    shared: Arc<Mutex<Shared>>,
    threads: HashMap<String, ThreadSeen>,
    runs: HashMap<String, Tracked>,
    /// Runs as last reported, so an unchanged run is not sent again.
    reported: HashMap<String, Run>,
    assistants: HashMap<String, Option<wire::Assistant>>,
    /// Runs the enforced hold cancelled.
    enforced: HashSet<String>,
    /// Threads found busy, waiting or changed, read until a read finds
    /// nothing active on them (a read that failed does not drop one).
    watched: BTreeSet<String>,
    /// The newest thread update seen by a discovery that answered: threads
    /// updated after it are read even when they were never seen busy (a
    /// run that started and ended between two polls, or while discovery
    /// failed).
    watermark: Option<String>,
    /// Read but not yet delivered (the poll failed as a whole).
    carry: Batch,
    /// What failed in the last poll that still delivered the rest.
    partial: Option<HttpError>,
    info_sent: bool,
}

impl Conn {
    /// `GET path`, as JSON.
    async fn get(&self, path: &str, bytes: &mut usize) -> Result<Value, HttpError> {
        self.json(self.req(reqwest::Method::GET, path), bytes).await
    }
}

fn streams(s: &Mutex<Streams>) -> std::sync::MutexGuard<'_, Streams> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// A 404 on a thread's own path: the thread was deleted (a stateless or
/// cron run's thread, when the run ends), not a broken source.
fn gone(e: &HttpError) -> bool {
    e.status == Some(404)
}

impl LangGraph {
    pub fn new(
        name: &str,
        url: &str,
        client: reqwest::Client,
        shared: Arc<Mutex<Shared>>,
    ) -> LangGraph {
        LangGraph {
            name: name.into(),
            conn: Conn::new(url, client),
            shared,
            wake: Arc::new(tokio::sync::Notify::new()),
            streams: Arc::new(Mutex::new(Streams::default())),
            threads: HashMap::new(),
            runs: HashMap::new(),
            reported: HashMap::new(),
            assistants: HashMap::new(),
            enforced: HashSet::new(),
            watched: BTreeSet::new(),
            watermark: None,
            carry: Batch::default(),
            partial: None,
            info_sent: false,
        }
    }

    /// Follow a run's SSE stream, resuming with Last-Event-ID after a drop,
    /// and ring the waker on every event. History stays the record; for
    /// stateless runs (no history kept) the stream's states and error are
    /// noted for the poller.
    fn follow(&self, thread: &str, run: &str, temporary: bool) {
        let mut s = streams(&self.streams);
        // One connection per followed run: past the cap (a long queue),
        // the rest are read at the poll interval.
        if s.following.len() >= MAX_STREAMS || !s.following.insert(run.to_string()) {
            return;
        }
        drop(s);
        let (conn, wake, streams_) = (self.conn.clone(), self.wake.clone(), self.streams.clone());
        let (thread, run) = (thread.to_string(), run.to_string());
        tokio::spawn(async move {
            use futures_util::StreamExt;
            let mut last_id: Option<String> = None;
            for _attempt in 0..20 {
                let mut req = conn.req(
                    reqwest::Method::GET,
                    &format!("/threads/{thread}/runs/{run}/stream"),
                );
                if let Some(id) = &last_id {
                    req = req.header("Last-Event-ID", id);
                }
                // No total timeout on a stream; the connect timeout still holds.
                let Ok(resp) = req
                    .timeout(std::time::Duration::from_secs(24 * 3600))
                    .send()
                    .await
                else {
                    break;
                };
                if !resp.status().is_success() {
                    break;
                }
                let mut body = resp.bytes_stream();
                let mut buf = String::new();
                while let Some(Ok(chunk)) = body.next().await {
                    // SSE lines may end in CRLF (LangGraph sends CRLF).
                    buf.push_str(&String::from_utf8_lossy(&chunk).replace('\r', ""));
                    if buf.len() > http::MAX_BODY {
                        buf.clear();
                    }
                    while let Some(i) = buf.find("\n\n") {
                        let ev: String = buf.drain(..i + 2).collect();
                        let (mut name, mut data) = ("", String::new());
                        for line in ev.lines() {
                            if let Some(id) = line.strip_prefix("id:") {
                                last_id = Some(sanitize::line(id.trim(), 128));
                            } else if let Some(n) = line.strip_prefix("event:") {
                                name = n.trim();
                            } else if let Some(d) = line.strip_prefix("data:") {
                                data.push_str(d.trim_start());
                            }
                        }
                        note(&streams_, &thread, &run, name, &data, temporary);
                        wake.notify_one();
                    }
                }
                // The stream ended: the run finished, or the link dropped.
                wake.notify_one();
                if last_id.is_none() {
                    break;
                }
            }
            streams(&streams_).following.remove(&run);
        });
    }

    /// The assistant behind a run (its name and graph), asked once.
    async fn assistant(&mut self, id: &str, bytes: &mut usize) -> Option<wire::Assistant> {
        if id.is_empty() {
            return None;
        }
        if let Some(a) = self.assistants.get(id) {
            return a.clone();
        }
        let r = self.conn.get(&format!("/assistants/{id}"), bytes).await;
        match r {
            Ok(v) => {
                let a = serde_json::from_value::<wire::Assistant>(v).ok();
                self.assistants.insert(id.to_string(), a.clone());
                a
            }
            // Not found: remembered. Anything else: asked again next poll
            // (a name is not worth failing a poll for).
            Err(e) if gone(&e) => {
                self.assistants.insert(id.to_string(), None);
                None
            }
            Err(_) => None,
        }
    }

    /// Threads updated after the watermark (newest first, paged), and the
    /// new watermark. On a new incident the first discovery only sets the
    /// watermark: what ended before cordon started is not read back; a
    /// reopened one starts from where its journal left the source
    /// ([`crate::source::Source::resume_from`]).
    async fn updated_threads(
        &self,
        bytes: &mut usize,
    ) -> Result<(Vec<wire::Thread>, Option<String>), HttpError> {
        let time = |t: &wire::Thread| t.updated_at.as_deref().and_then(crate::model::time::parse);
        let mark = self
            .watermark
            .as_deref()
            .and_then(crate::model::time::parse);
        let mut out = Vec::new();
        let mut newest: Option<String> = None;
        for page in 0..MAX_THREAD_PAGES {
            let v = self
                .conn
                .json(
                    self.conn
                        .req(reqwest::Method::POST, "/threads/search")
                        .json(&json!({"sort_by": "updated_at", "sort_order": "desc",
                            "limit": 100, "offset": page * 100,
                            "select": ["thread_id", "status", "metadata", "updated_at"]})),
                    bytes,
                )
                .await?;
            let got: Vec<wire::Thread> = wire::list(&v);
            let n = got.len();
            if page == 0 {
                newest = got.first().and_then(|t| t.updated_at.clone());
            }
            let Some(mark) = mark else { break };
            let before = got.iter().any(|t| time(t).is_some_and(|u| u <= mark));
            out.extend(
                got.into_iter()
                    .filter(|t| time(t).is_some_and(|u| u > mark)),
            );
            if before || n < 100 {
                break;
            }
        }
        let newest = match (newest, &self.watermark) {
            (Some(n), Some(w)) if time_of(&n) <= time_of(w) => Some(w.clone()),
            (None, w) => w.clone(),
            (n, _) => n,
        };
        Ok((out, newest))
    }

    /// Threads with the status, all pages.
    async fn threads_with(
        &self,
        status: &str,
        bytes: &mut usize,
    ) -> Result<Vec<wire::Thread>, HttpError> {
        let mut out = Vec::new();
        for page in 0..20 {
            let v = self
                .conn
                .json(
                    self.conn
                        .req(reqwest::Method::POST, "/threads/search")
                        .json(
                            &json!({"status": status, "limit": 1000, "offset": page * 1000,
                            "select": ["thread_id", "status", "metadata"]}),
                        ),
                    bytes,
                )
                .await?;
            let got: Vec<wire::Thread> = wire::list(&v);
            let n = got.len();
            out.extend(got);
            if n < 1000 {
                break;
            }
        }
        Ok(out)
    }

    /// One namespace's checkpoints, newest first, from the tip back to the
    /// first one already read. `None`: the thread is gone.
    async fn history(
        &self,
        tid: &str,
        ns: &str,
        bytes: &mut usize,
    ) -> Result<Option<Vec<Checkpoint>>, HttpError> {
        let known = self.threads.get(tid).map(|t| &t.known);
        let mut out: Vec<Checkpoint> = Vec::new();
        let mut before: Option<String> = None;
        for page in 0..MAX_PAGES {
            let limit = if page == 0 { FIRST_PAGE } else { PAGE };
            let mut body = json!({"limit": limit});
            if !ns.is_empty() {
                body["checkpoint"] = json!({"checkpoint_ns": ns});
            }
            if let Some(b) = &before {
                // The API's CheckpointConfig, and the config form the
                // in-memory server reads.
                body["before"] = json!({"checkpoint_id": b, "configurable": {"checkpoint_id": b}});
            }
            let r = self
                .conn
                .json(
                    self.conn
                        .req(reqwest::Method::POST, &format!("/threads/{tid}/history"))
                        .json(&body),
                    bytes,
                )
                .await;
            let v = match r {
                Ok(v) => v,
                Err(e) if gone(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
            let got: Vec<Checkpoint> = wire::list(&v);
            let n = got.len();
            let reached = got
                .iter()
                .any(|c| known.is_some_and(|k| k.contains(&c.checkpoint.checkpoint_id)));
            before = got.last().map(|c| c.checkpoint.checkpoint_id.clone());
            out.extend(got);
            if reached || n < limit || before.is_none() {
                break;
            }
        }
        Ok(Some(out))
    }

    /// A thread's runs, newest first, paged: a long queue on one thread
    /// (70 runs enqueued at once) is read whole. Paging stops at a short
    /// page, or at one whose runs were all seen ended already (older ones
    /// were read with them). `None`: the thread is gone.
    async fn thread_runs(
        &self,
        tid: &str,
        bytes: &mut usize,
    ) -> Result<Option<Vec<wire::Run>>, HttpError> {
        let mut out = Vec::new();
        for page in 0..MAX_RUN_PAGES {
            let path = format!(
                "/threads/{tid}/runs?limit={RUN_PAGE}&offset={}",
                page * RUN_PAGE
            );
            let got = match self.conn.get(&path, bytes).await {
                Ok(v) => wire::list::<wire::Run>(&v),
                Err(e) if gone(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
            let n = got.len();
            let seen_ended = got.iter().all(|r| {
                self.reported
                    .get(&r.run_id)
                    .is_some_and(|x| !x.state.is_active())
            });
            out.extend(got);
            if n < RUN_PAGE || seen_ended {
                break;
            }
        }
        Ok(Some(out))
    }

    /// Read one thread and commit what it gave to `carry`. `status`: the
    /// thread's own, when the search said it.
    async fn read_thread(
        &mut self,
        tid: &str,
        status: Option<&str>,
        bytes: &mut usize,
    ) -> Result<(), HttpError> {
        // Phase 1, IO: the runs, the assistants, the histories.
        let Some(runs) = self.thread_runs(tid, bytes).await? else {
            self.thread_gone(tid);
            return Ok(());
        };
        // A followed run past the listing's page: read on its own.
        let mut runs = runs;
        let missing: Vec<String> = self
            .runs
            .iter()
            .filter(|(r, t)| t.thread == tid && !runs.iter().any(|x| &x.run_id == *r))
            .map(|(r, _)| r.clone())
            .collect();
        for run in missing {
            match self.conn.run(tid, &run, bytes).await? {
                Some(v) => runs.extend(serde_json::from_value::<wire::Run>(v).ok()),
                None => {
                    self.runs.remove(&run);
                    if let Some(mut last) = self.reported.get(&run).cloned() {
                        last.state = RunState::Other("deleted".into());
                        self.report(last);
                    }
                }
            }
        }
        let status = match status {
            Some(s) => s.to_string(),
            None => match self.conn.get(&format!("/threads/{tid}"), bytes).await {
                Ok(v) => serde_json::from_value::<wire::Thread>(v)
                    .map(|t| t.status)
                    .unwrap_or_default(),
                Err(e) if gone(&e) => {
                    self.thread_gone(tid);
                    return Ok(());
                }
                Err(e) => return Err(e),
            },
        };
        let mut assistants = HashMap::new();
        for r in &runs {
            if !assistants.contains_key(&r.assistant_id) {
                let a = self.assistant(&r.assistant_id, bytes).await;
                assistants.insert(r.assistant_id.clone(), a);
            }
        }
        let stateful = runs.iter().any(|r| !r.kwargs.temporary);
        let mut cps: Vec<Checkpoint> = Vec::new();
        if stateful {
            match self.history(tid, "", bytes).await? {
                Some(h) => cps.extend(h),
                None => {
                    self.thread_gone(tid);
                    return Ok(());
                }
            }
            // Subgraphs: the namespaces the tasks name, and those still open.
            let (mut open, done) = self
                .threads
                .get(tid)
                .map(|t| (t.open_ns.clone(), t.done_ns.clone()))
                .unwrap_or_default();
            open.extend(subgraph_ns(&cps));
            let mut queue: Vec<String> = open
                .iter()
                .filter(|ns| !done.contains(*ns))
                .cloned()
                .collect();
            let mut read_ns: Vec<(String, bool)> = Vec::new();
            while let Some(ns) = queue.pop() {
                if read_ns.iter().any(|(r, _)| *r == ns) || ns.matches('|').count() >= MAX_DEPTH {
                    continue;
                }
                let sub = self.history(tid, &ns, bytes).await?.unwrap_or_default();
                // Finished: its newest checkpoint has nothing next.
                let finished = sub.first().is_some_and(|c| c.next.is_empty());
                read_ns.push((ns, finished));
                for n in subgraph_ns(&sub) {
                    if open.insert(n.clone()) {
                        queue.push(n);
                    }
                }
                cps.extend(sub);
            }
            let t = self.threads.entry(tid.to_string()).or_default();
            t.open_ns.extend(open);
            for (ns, finished) in read_ns {
                if finished {
                    t.done_ns.insert(ns);
                }
            }
        }
        // Phase 2: convert and commit.
        let now = chrono::Utc::now();
        let newest = runs
            .iter()
            .max_by(|a, b| a.created_at.cmp(&b.created_at))
            .map(|r| r.run_id.clone());
        let mut ended_failed = Vec::new();
        for r in &runs {
            let ctx = RunContext {
                assistant: assistants.get(&r.assistant_id).and_then(Option::as_ref),
                waiting: status == "interrupted" && newest.as_deref() == Some(&r.run_id),
                workflow_key: self.conn.workflow_key.as_deref(),
            };
            let Some(run) = convert::to_run(&self.name, r, &ctx) else {
                continue;
            };
            if run.state.is_active() {
                self.follow(tid, &r.run_id, r.kwargs.temporary);
                self.runs.insert(
                    r.run_id.clone(),
                    Tracked {
                        thread: tid.to_string(),
                        workflow: run.workflow.to_string(),
                        state: run.state.clone(),
                    },
                );
            } else if self.runs.remove(&r.run_id).is_some() && r.status == "error" {
                ended_failed.push((r.run_id.clone(), r.updated_at.clone()));
            }
            self.report(run);
        }
        let t = self.threads.entry(tid.to_string()).or_default();
        for r in &runs {
            if let Some(e) = convert::command_event(r, now)
                && t.seen.insert(e.id.to_string())
            {
                self.carry.events.push(e);
            }
        }
        convert::oldest_first(&mut cps);
        for cp in &cps {
            for e in convert::checkpoint_events(cp, now, &mut t.seen) {
                if e.kind.as_str() == "error" {
                    t.errored.insert(e.run_id.to_string());
                }
                self.carry.events.push(e);
            }
            t.known.insert(cp.checkpoint.checkpoint_id.clone());
        }
        // Phase 3: a failed run whose failure is on no task (a recursion
        // limit, an error outside a node): its own error, from its join.
        for (run, at) in ended_failed {
            if self
                .threads
                .get(tid)
                .is_some_and(|t| t.errored.contains(&run))
            {
                continue;
            }
            let v = match self
                .conn
                .get(&format!("/threads/{tid}/runs/{run}/join"), bytes)
                .await
            {
                Ok(v) => v,
                Err(e) if gone(&e) => Value::Null,
                Err(e) => {
                    // Asked again next poll: follow it once more.
                    if runs.iter().any(|r| r.run_id == run) {
                        self.runs.insert(
                            run.clone(),
                            Tracked {
                                thread: tid.to_string(),
                                workflow: String::new(),
                                state: RunState::Failed,
                            },
                        );
                    }
                    return Err(e);
                }
            };
            let err = v
                .get("__error__")
                .and_then(|e| serde_json::from_value::<wire::RunError>(e.clone()).ok())
                .unwrap_or_default();
            if let Some(e) = convert::run_error_event(&run, at.as_deref(), &err, now) {
                let t = self.threads.entry(tid.to_string()).or_default();
                if t.seen.insert(e.id.to_string()) {
                    t.errored.insert(run.clone());
                    self.carry.events.push(e);
                }
            }
        }
        Ok(())
    }

    fn report(&mut self, run: Run) {
        crate::source::report_changed(&mut self.reported, &mut self.carry, run);
    }

    /// The thread was deleted (a stateless or cron run ended, or it was
    /// rolled back): its followed runs have ended; how, only their stream
    /// may have said.
    fn thread_gone(&mut self, tid: &str) {
        let ended: Vec<String> = self
            .runs
            .iter()
            .filter(|(_, t)| t.thread == tid)
            .map(|(r, _)| r.clone())
            .collect();
        self.drain_streams();
        let failed = streams(&self.streams).failed.clone();
        for run in ended {
            self.runs.remove(&run);
            let Some(mut last) = self.reported.get(&run).cloned() else {
                continue;
            };
            last.state = if failed.contains(&run) {
                RunState::Failed
            } else {
                // The server kept nothing to say how it ended.
                RunState::Other("ended".into())
            };
            self.report(last);
        }
    }

    /// Stateless runs: their stream's states and errors become events.
    fn drain_streams(&mut self) {
        let notes = std::mem::take(&mut streams(&self.streams).notes);
        let now = chrono::Utc::now();
        let at = now.to_rfc3339();
        for (run, (thread, notes)) in notes {
            let t = self.threads.entry(thread).or_default();
            for n in notes {
                match n {
                    Note::Values(v) => {
                        let msgs = wire::messages_of(&v);
                        self.carry.events.extend(convert::message_events(
                            &msgs,
                            &run,
                            Some(&at),
                            now,
                            &mut t.seen,
                        ));
                    }
                    Note::Error(e) => {
                        if let Some(ev) = convert::run_error_event(&run, Some(&at), &e, now)
                            && t.seen.insert(ev.id.to_string())
                        {
                            t.errored.insert(run.clone());
                            self.carry.events.push(ev);
                        }
                    }
                }
            }
        }
    }

    /// The hold in force: cancel what is queued in a held queue.
    async fn enforce(&mut self, bytes: &mut usize) -> Result<(), HttpError> {
        let holds = lock(&self.shared).held.clone();
        if holds.is_empty() {
            return Ok(());
        }
        let queued: Vec<(String, Tracked)> = self
            .runs
            .iter()
            .filter(|(r, t)| {
                t.state == RunState::Queued
                    && hold::held(&holds, &t.workflow)
                    && !self.enforced.contains(*r)
            })
            .map(|(r, t)| (r.clone(), t.clone()))
            .collect();
        for (run, t) in queued {
            let r = http::send(self.conn.req(
                reqwest::Method::POST,
                &format!("/threads/{}/runs/{run}/cancel?action=interrupt", t.thread),
            ))
            .await;
            let outcome = match r {
                Ok((_, b)) => {
                    *bytes += b.len();
                    "cancelled"
                }
                // Started or gone meanwhile: said as it is.
                Err(e) if matches!(e.status, Some(404 | 409 | 422)) => {
                    "it had already left the queue"
                }
                Err(e) => return Err(e),
            };
            self.enforced.insert(run.clone());
            let tseen = self.threads.entry(t.thread.clone()).or_default();
            if let Some(e) = hold::cancelled_event(&run, &t.workflow, outcome, chrono::Utc::now())
                && tseen.seen.insert(e.id.to_string())
            {
                self.carry.events.push(e);
            }
        }
        Ok(())
    }

    async fn poll_once(&mut self) -> Result<Batch, HttpError> {
        let mut bytes = 0;
        if !self.info_sent {
            // The server answers, or this is not a LangGraph server.
            self.conn
                .json(self.conn.req(reqwest::Method::GET, "/info"), &mut bytes)
                .await?;
            self.carry.offered = Some(vec![
                ActionKind::StopRun,
                ActionKind::RollbackRun,
                ActionKind::HoldQueue,
                ActionKind::ReleaseQueue,
            ]);
            self.info_sent = true;
        }
        // A failed read does not lose the others: what was read is
        // delivered, the failure said, and the failed part read again next
        // poll. Only a poll where nothing answered is a failed poll.
        let mut failed: Option<HttpError> = None;
        let mut answered = 0usize;
        let mut threads: Vec<(String, Option<String>)> = Vec::new();
        for status in ["busy", "interrupted"] {
            match self.threads_with(status, &mut bytes).await {
                Ok(ts) => {
                    answered += 1;
                    for t in ts {
                        if !t.thread_id.is_empty()
                            && !threads.iter().any(|(x, _)| *x == t.thread_id)
                        {
                            threads.push((t.thread_id, Some(t.status)));
                        }
                    }
                }
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        match self.updated_threads(&mut bytes).await {
            Ok((ts, mark)) => {
                answered += 1;
                self.watermark = mark;
                self.watched.extend(ts.into_iter().map(|t| t.thread_id));
            }
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
        self.watched.extend(threads.iter().map(|(t, _)| t.clone()));
        // Followed runs, whatever their thread's status says now, and
        // threads seen whose read has not yet succeeded.
        let mut followed: BTreeSet<String> = self.runs.values().map(|t| t.thread.clone()).collect();
        followed.extend(self.watched.iter().cloned());
        for tid in followed {
            if !threads.iter().any(|(x, _)| *x == tid) {
                threads.push((tid, None));
            }
        }
        self.drain_streams();
        for (tid, status) in &threads {
            match self.read_thread(tid, status.as_deref(), &mut bytes).await {
                Ok(()) => {
                    answered += 1;
                    // Read: from now on it is followed through its runs.
                    self.watched.remove(tid);
                }
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        self.drain_streams();
        if let Err(e) = self.enforce(&mut bytes).await {
            failed.get_or_insert(e);
        }
        if let Some(e) = failed.take() {
            if answered == 0 {
                return Err(e);
            }
            self.partial = Some(e);
        }
        {
            let mut s = lock(&self.shared);
            for (run, t) in &self.runs {
                s.thread_of.insert(run.clone(), t.thread.clone());
                s.workflow_of.insert(run.clone(), t.workflow.clone());
            }
            self.carry.controls = Some(hold::controls(&s.held));
        }
        let mut b = std::mem::take(&mut self.carry);
        b.bytes = bytes;
        Ok(b)
    }
}

fn time_of(t: &str) -> Option<crate::model::Time> {
    crate::model::time::parse(t)
}

/// The subgraph namespaces the checkpoints' tasks point to.
fn subgraph_ns(cps: &[Checkpoint]) -> Vec<String> {
    cps.iter()
        .flat_map(|c| c.tasks.iter())
        .filter_map(|t| t.checkpoint.as_ref())
        .map(|c| c.checkpoint_ns.clone())
        .filter(|ns| !ns.is_empty())
        .collect()
}

/// Keep what a stream said: for stateless runs the latest state and any
/// error; for the rest, that it failed.
fn note(s: &Mutex<Streams>, thread: &str, run: &str, event: &str, data: &str, temporary: bool) {
    let mut s = streams(s);
    fn entry<'a>(s: &'a mut Streams, thread: &str, run: &str) -> &'a mut Vec<Note> {
        &mut s
            .notes
            .entry(run.to_string())
            .or_insert_with(|| (thread.to_string(), Vec::new()))
            .1
    }
    match event {
        "error" => {
            s.failed.insert(run.to_string());
            if temporary {
                let e = serde_json::from_str::<wire::RunError>(data).unwrap_or(wire::RunError {
                    error: String::new(),
                    message: sanitize::line(data, 500),
                });
                entry(&mut s, thread, run).push(Note::Error(e));
            }
        }
        "values" if temporary => {
            if let Ok(v) = serde_json::from_str::<Value>(data) {
                let n = entry(&mut s, thread, run);
                // Values are cumulative: the latest holds every message.
                n.retain(|x| !matches!(x, Note::Values(_)));
                n.push(Note::Values(v));
            }
        }
        _ => {}
    }
}

impl crate::source::Source for LangGraph {
    fn name(&self) -> &str {
        &self.name
    }
    fn waker(&self) -> Option<Arc<tokio::sync::Notify>> {
        Some(self.wake.clone())
    }
    fn poll(&mut self) -> futures_util::future::BoxFuture<'_, Result<Batch, HttpError>> {
        Box::pin(self.poll_once())
    }
    fn partial_error(&mut self) -> Option<HttpError> {
        self.partial.take()
    }
    /// Threads updated since then (less a margin for the server's clock)
    /// are read at the first poll: runs that ended while no console ran,
    /// and runs that were in flight when the last one stopped.
    fn resume_from(&mut self, since: crate::model::Time) {
        let from = since - RESUME_MARGIN;
        self.watermark = Some(from.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    }
}
