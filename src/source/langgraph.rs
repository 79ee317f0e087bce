//! LangGraph Agent Server (LangSmith Deployments) adapter.
//!
//! Runs: `POST /threads/search {"status":"busy"}` then, per busy thread,
//! `GET /threads/{tid}/runs?status=running|pending`. Timeline: thread
//! history (checkpoints → node steps; messages → tool calls, results, model
//! output; task errors → errors; interrupts → review requests), read
//! incrementally (only busy threads, only checkpoints not seen before).
//! Containment: cancel with `action=interrupt` (stop) or `rollback`, and
//! `POST /runs/cancel` for pending (queued) runs. Auth: `x-api-key`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::http::{self, HttpError};
use super::{Batch, Check};
use crate::model::{
    ActionAnswer, ActionKind, ActionRequest, Event, Run, RunState, RunStats, Target,
};
use crate::sanitize;

/// What the poller learned that the actor needs: each run's thread and
/// workflow.
#[derive(Default, Debug)]
pub struct Shared {
    pub thread_of: HashMap<String, String>,
    pub workflow_of: HashMap<String, String>,
}

#[derive(Clone)]
pub struct Conn {
    base: String,
    client: reqwest::Client,
    api_key: Option<String>,
    /// Thread metadata key that names the workflow (default: the graph).
    workflow_key: Option<String>,
}

impl Conn {
    /// `URL[?api_key_env=VAR&workflow_key=KEY]`.
    pub fn new(url: &str, client: reqwest::Client) -> Conn {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut api_key = None;
        let mut workflow_key = None;
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            match kv.split_once('=') {
                Some(("api_key_env", v)) => api_key = std::env::var(v).ok(),
                Some(("workflow_key", v)) => workflow_key = Some(v.to_string()),
                _ => {}
            }
        }
        Conn {
            base: base.trim_end_matches('/').to_string(),
            client,
            api_key,
            workflow_key,
        }
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self
            .client
            .request(method, format!("{}{}", self.base, path));
        match &self.api_key {
            Some(k) => r.header("x-api-key", k),
            None => r,
        }
    }

    async fn json(
        &self,
        r: reqwest::RequestBuilder,
        bytes: &mut usize,
    ) -> Result<Value, HttpError> {
        let (_, body) = http::send(r).await?;
        *bytes += body.len();
        http::json(&body)
    }

    async fn busy_threads(&self, bytes: &mut usize) -> Result<Vec<Value>, HttpError> {
        let v = self
            .json(
                self.req(reqwest::Method::POST, "/threads/search")
                    .json(&json!({"status": "busy", "limit": 1000})),
                bytes,
            )
            .await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    async fn runs_of(
        &self,
        thread: &str,
        status: &str,
        bytes: &mut usize,
    ) -> Result<Vec<Value>, HttpError> {
        let v = self
            .json(
                self.req(
                    reqwest::Method::GET,
                    &format!("/threads/{thread}/runs?status={status}&limit=100"),
                ),
                bytes,
            )
            .await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    async fn run(
        &self,
        thread: &str,
        run: &str,
        bytes: &mut usize,
    ) -> Result<Option<Value>, HttpError> {
        match self
            .json(
                self.req(
                    reqwest::Method::GET,
                    &format!("/threads/{thread}/runs/{run}"),
                ),
                bytes,
            )
            .await
        {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn workflow(&self, meta: &Value) -> String {
        let key = self.workflow_key.as_deref().unwrap_or("workflow");
        meta.get(key)
            .or_else(|| meta.get("graph_id"))
            .and_then(|v| v.as_str())
            .map(|s| sanitize::line(s, 128))
            .unwrap_or_default()
    }

    /// A LangGraph run as a cordon run.
    fn to_run(&self, source: &str, v: &Value) -> Option<Run> {
        let s = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .map(|x| sanitize::line(x, 256))
        };
        let meta = v.get("metadata").cloned().unwrap_or(Value::Null);
        let graph = meta
            .get("graph_id")
            .and_then(|x| x.as_str())
            .map(|x| sanitize::line(x, 128));
        let t = |k: &str| {
            s(k).and_then(|x| chrono::DateTime::parse_from_rfc3339(&x).ok())
                .map(|d| d.with_timezone(&chrono::Utc))
        };
        let state = run_state(s("status").as_deref());
        Some(Run {
            source: source.to_string().into(),
            id: s("run_id")?.into(),
            agent: s("assistant_id").unwrap_or_default().into(),
            agent_class: graph.clone().unwrap_or_default().into(),
            workflow: self.workflow(&meta).into(),
            state,
            started_at: t("created_at"),
            updated_at: t("updated_at"),
            assignment: v
                .pointer("/kwargs/input")
                .map(|i| sanitize::line(&i.to_string(), 500))
                .unwrap_or_default(),
            requested_by: meta
                .get("created_by")
                .and_then(|x| x.as_str())
                .map(|x| sanitize::line(x, 128))
                .unwrap_or_default()
                .into(),
            tools: vec![],
            credentials: vec![],
            stats: RunStats::default(),
        })
    }
}

pub struct LangGraph {
    name: String,
    conn: Conn,
    /// Rung by run streams when the server sends anything.
    wake: Arc<tokio::sync::Notify>,
    /// Runs whose stream is being followed.
    streaming: Arc<Mutex<HashSet<String>>>,
    shared: Arc<Mutex<Shared>>,
    /// Checkpoints and messages already turned into events, per thread.
    seen: HashMap<String, HashSet<String>>,
    /// Runs last seen active: run → thread.
    active: HashMap<String, String>,
    info_sent: bool,
}

/// A LangGraph run status as a cordon run state, exactly: what is not
/// listed stays `Other`, shown as it came and never taken for proof.
pub fn run_state(status: Option<&str>) -> RunState {
    match status {
        Some("pending") => RunState::Queued,
        Some("running") => RunState::Running,
        Some("success") => RunState::Succeeded,
        Some("error") | Some("timeout") => RunState::Failed,
        // Cancelled with action=interrupt: cordon's "stopped".
        Some("interrupted") => RunState::Stopped,
        Some(o) => RunState::Other(sanitize::line(o, 64)),
        None => RunState::Other("unknown".into()),
    }
}

fn lock(s: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// Cron metadata mark: disabled by cordon's hold_queue.
const HELD: &str = "cordon_held";

const OUTBOUND_TOOLS: [&str; 5] = ["send", "email", "post", "publish", "notify"];
/// Run streams followed at once (each is one open connection).
const MAX_STREAMS: usize = 64;

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
            streaming: Arc::new(Mutex::new(HashSet::new())),
            seen: HashMap::new(),
            active: HashMap::new(),
            info_sent: false,
        }
    }

    /// Follow a running or pending run's SSE stream, resuming with Last-Event-ID after
    /// a drop, and ring the waker on every event. History stays the record
    /// (deduplicated); the stream only says "something happened, look now".
    fn follow(&self, thread: &str, run: &str) {
        let mut s = self.streaming.lock().unwrap_or_else(|p| p.into_inner());
        // One connection per followed run: past the cap (a long queue),
        // the rest are read at the poll interval.
        if s.len() >= MAX_STREAMS || !s.insert(run.to_string()) {
            return;
        }
        drop(s);
        let (conn, wake, streaming) =
            (self.conn.clone(), self.wake.clone(), self.streaming.clone());
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
                    if buf.len() > 1 << 20 {
                        buf.clear();
                    }
                    while let Some(i) = buf.find("\n\n") {
                        let ev: String = buf.drain(..i + 2).collect();
                        for line in ev.lines() {
                            if let Some(id) = line.strip_prefix("id:") {
                                last_id = Some(sanitize::line(id.trim(), 128));
                            }
                        }
                        wake.notify_one();
                    }
                }
                // The stream ended: the run finished, or the link dropped.
                wake.notify_one();
                if last_id.is_none() {
                    break;
                }
            }
            streaming
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&run);
        });
    }

    fn event(
        &self,
        id: String,
        run: &str,
        at: Option<&str>,
        kind: &str,
        summary: String,
        extra: Value,
    ) -> Option<Event> {
        let mut w = json!({"id": id, "run_id": run, "at": at, "kind": kind, "summary": summary});
        if let (Some(m), Value::Object(x)) = (w.as_object_mut(), extra) {
            m.extend(x);
        }
        Event::from_wire_value(&w, chrono::Utc::now())
    }

    /// New events from a thread's recent history (newest first from the
    /// server; returned oldest first).
    async fn history(&mut self, thread: &str, bytes: &mut usize) -> Result<Vec<Event>, HttpError> {
        let h = self
            .conn
            .json(
                self.conn
                    .req(reqwest::Method::POST, &format!("/threads/{thread}/history"))
                    .json(&json!({"limit": 20})),
                bytes,
            )
            .await?;
        let mut out = Vec::new();
        let seen = self.seen.entry(thread.to_string()).or_default().clone();
        let mut newly = Vec::new();
        for cp in h.as_array().cloned().unwrap_or_default().iter().rev() {
            let Some(cid) = cp
                .pointer("/checkpoint/checkpoint_id")
                .and_then(|x| x.as_str())
            else {
                continue;
            };
            let run = cp
                .pointer("/metadata/run_id")
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_string();
            let at = cp.get("created_at").and_then(|x| x.as_str());
            if run.is_empty() {
                continue;
            }
            if !seen.contains(cid) {
                newly.push(cid.to_string());
                let step = cp
                    .pointer("/metadata/step")
                    .and_then(|x| x.as_i64())
                    .unwrap_or(0);
                let tasks = cp
                    .get("tasks")
                    .and_then(|t| t.as_array())
                    .cloned()
                    .unwrap_or_default();
                let names: Vec<&str> = tasks
                    .iter()
                    .filter_map(|t| t.get("name").and_then(|n| n.as_str()))
                    .collect();
                let summary = if names.is_empty() {
                    format!("step {step}: done")
                } else {
                    format!("step {step}: next {}", names.join(", "))
                };
                out.extend(self.event(
                    cid.to_string(),
                    &run,
                    at,
                    "state_change",
                    summary,
                    json!({"data": {"step": step}}),
                ));
                for t in &tasks {
                    if let Some(err) = t.get("error").filter(|e| !e.is_null()) {
                        let name = t.get("name").and_then(|n| n.as_str()).unwrap_or("task");
                        out.extend(self.event(
                            format!("{cid}/error/{name}"),
                            &run,
                            at,
                            "error",
                            format!(
                                    "{name} failed: {}",
                                    err.as_str()
                                        .map(String::from)
                                        .unwrap_or_else(|| err.to_string())
                                ),
                            json!({}),
                        ));
                    }
                    for (i, intr) in t
                        .get("interrupts")
                        .and_then(|x| x.as_array())
                        .cloned()
                        .unwrap_or_default()
                        .iter()
                        .enumerate()
                    {
                        let what = intr.get("value").map(|v| v.to_string()).unwrap_or_default();
                        out.extend(self.event(
                            format!("{cid}/interrupt/{i}"),
                            &run,
                            at,
                            "review_requested",
                            format!("interrupt: {what}"),
                            json!({}),
                        ));
                    }
                }
            }
            // Messages, by their own ids.
            for m in cp
                .pointer("/values/messages")
                .and_then(|x| x.as_array())
                .cloned()
                .unwrap_or_default()
            {
                let Some(mid) = m.get("id").and_then(|x| x.as_str()).map(String::from) else {
                    continue;
                };
                if seen.contains(&mid) || newly.contains(&mid) {
                    continue;
                }
                newly.push(mid.clone());
                let ty = m.get("type").and_then(|x| x.as_str()).unwrap_or("");
                let content = m
                    .get("content")
                    .map(|c| {
                        c.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| c.to_string())
                    })
                    .unwrap_or_default();
                match ty {
                    "ai" => {
                        let calls = m
                            .get("tool_calls")
                            .and_then(|x| x.as_array())
                            .cloned()
                            .unwrap_or_default();
                        if !content.is_empty() {
                            out.extend(self.event(
                                mid.clone(),
                                &run,
                                at,
                                "model_output",
                                content.clone(),
                                json!({}),
                            ));
                        }
                        for (i, c) in calls.iter().enumerate() {
                            let name = c.get("name").and_then(|x| x.as_str()).unwrap_or("tool");
                            let args = c.get("args").cloned().unwrap_or(Value::Null);
                            let outbound = OUTBOUND_TOOLS.iter().any(|o| name.contains(o));
                            out.extend(self.event(
                                format!("{mid}/call/{i}"),
                                &run,
                                at,
                                "tool_call",
                                format!("{name}({})", sanitize::line(&args.to_string(), 200)),
                                json!({"tool": name, "outbound": outbound, "data": {"args": args}}),
                            ));
                        }
                    }
                    "tool" => {
                        let status = m
                            .get("status")
                            .and_then(|x| x.as_str())
                            .unwrap_or("success");
                        let kind = if status == "error" {
                            "error"
                        } else {
                            "tool_result"
                        };
                        out.extend(self.event(mid.clone(), &run, at, kind, content, json!({})));
                    }
                    "human" => out.extend(self.event(
                        mid.clone(),
                        &run,
                        at,
                        "instruction",
                        content,
                        json!({}),
                    )),
                    _ => {}
                }
            }
        }
        self.seen
            .entry(thread.to_string())
            .or_default()
            .extend(newly);
        Ok(out)
    }

    async fn poll_once(&mut self) -> Result<Batch, HttpError> {
        let mut b = Batch::default();
        let mut bytes = 0;
        if !self.info_sent {
            // The server answers, or this is not a LangGraph server.
            self.conn
                .json(self.conn.req(reqwest::Method::GET, "/info"), &mut bytes)
                .await?;
            b.offered = Some(vec![
                ActionKind::StopRun,
                ActionKind::RollbackRun,
                ActionKind::HoldQueue,
                ActionKind::ReleaseQueue,
            ]);
            self.info_sent = true;
        }
        let threads = self.conn.busy_threads(&mut bytes).await?;
        let mut now_active: HashMap<String, String> = HashMap::new();
        for t in &threads {
            let Some(tid) = t.get("thread_id").and_then(|x| x.as_str()) else {
                continue;
            };
            for status in ["running", "pending"] {
                for r in self.conn.runs_of(tid, status, &mut bytes).await? {
                    if let Some(run) = self.conn.to_run(&self.name, &r) {
                        // Pending runs too: the join stream waits for the
                        // run to start, so its first steps ring at once
                        // rather than at the next poll.
                        self.follow(tid, &run.id);
                        now_active.insert(run.id.to_string(), tid.to_string());
                        b.runs.push(run);
                    }
                }
            }
            b.events.extend(self.history(tid, &mut bytes).await?);
        }
        // Runs that left: read how they ended, and their last steps.
        let gone: Vec<(String, String)> = self
            .active
            .iter()
            .filter(|(r, _)| !now_active.contains_key(*r))
            .map(|(r, t)| (r.clone(), t.clone()))
            .collect();
        for (run, tid) in gone {
            match self.conn.run(&tid, &run, &mut bytes).await? {
                Some(v) => b.runs.extend(self.conn.to_run(&self.name, &v)),
                None => {
                    // Rolled back: the server deleted it.
                    let mut gone = b.runs.iter().find(|r| r.id == run).cloned();
                    if gone.is_none() {
                        gone = Some(Run {
                            source: self.name.clone().into(),
                            id: run.clone().into(),
                            agent: String::new().into(),
                            agent_class: String::new().into(),
                            workflow: String::new().into(),
                            state: RunState::Other("deleted".into()),
                            started_at: None,
                            updated_at: None,
                            assignment: String::new(),
                            requested_by: String::new().into(),
                            tools: vec![],
                            credentials: vec![],
                            stats: RunStats::default(),
                        });
                    }
                    b.runs.extend(gone);
                }
            }
            b.events
                .extend(self.history(&tid, &mut bytes).await.unwrap_or_default());
        }
        {
            let mut s = lock(&self.shared);
            for r in &b.runs {
                if let Some(t) = now_active.get(r.id.as_str()) {
                    s.thread_of.insert(r.id.to_string(), t.clone());
                }
                s.workflow_of
                    .insert(r.id.to_string(), r.workflow.to_string());
            }
        }
        self.active = now_active;
        b.bytes = bytes;
        Ok(b)
    }
}

impl super::Source for LangGraph {
    fn name(&self) -> &str {
        &self.name
    }
    fn waker(&self) -> Option<Arc<tokio::sync::Notify>> {
        Some(self.wake.clone())
    }
    fn poll(&mut self) -> BoxFuture<'_, Result<Batch, HttpError>> {
        Box::pin(self.poll_once())
    }
}

pub struct LangGraphActor {
    name: String,
    conn: Conn,
    shared: Arc<Mutex<Shared>>,
}

impl LangGraphActor {
    pub fn new(
        name: &str,
        url: &str,
        client: reqwest::Client,
        shared: Arc<Mutex<Shared>>,
    ) -> LangGraphActor {
        LangGraphActor {
            name: name.into(),
            conn: Conn::new(url, client),
            shared,
        }
    }

    /// The thread of a run: from the poller, or by asking the server.
    async fn thread_of(&self, run: &str) -> Result<String, HttpError> {
        if let Some(t) = lock(&self.shared).thread_of.get(run) {
            return Ok(t.clone());
        }
        let mut bytes = 0;
        let all = self
            .conn
            .json(
                self.conn
                    .req(reqwest::Method::POST, "/threads/search")
                    .json(&json!({"limit": 1000})),
                &mut bytes,
            )
            .await?;
        for t in all.as_array().cloned().unwrap_or_default() {
            let Some(tid) = t.get("thread_id").and_then(|x| x.as_str()) else {
                continue;
            };
            if self.conn.run(tid, run, &mut bytes).await?.is_some() {
                lock(&self.shared)
                    .thread_of
                    .insert(run.to_string(), tid.to_string());
                return Ok(tid.to_string());
            }
        }
        Err(HttpError {
            message: format!("run {run} not found on {}", self.name),
            status: Some(404),
            retry_after: None,
            permanent: true,
        })
    }

    /// Pending runs in scope (a workflow, or all).
    async fn pending(&self, workflow: Option<&str>) -> Result<Vec<(String, String)>, HttpError> {
        let mut bytes = 0;
        let mut out = Vec::new();
        for t in self.conn.busy_threads(&mut bytes).await? {
            let Some(tid) = t.get("thread_id").and_then(|x| x.as_str()) else {
                continue;
            };
            if workflow.is_some_and(|w| {
                self.conn
                    .workflow(t.get("metadata").unwrap_or(&Value::Null))
                    != w
            }) {
                continue;
            }
            for r in self.conn.runs_of(tid, "pending", &mut bytes).await? {
                if let Some(id) = r.get("run_id").and_then(|x| x.as_str()) {
                    out.push((tid.to_string(), id.to_string()));
                }
            }
        }
        Ok(out)
    }

    /// Crons in scope (by the workflow metadata key), with their metadata.
    async fn crons(
        &self,
        workflow: Option<&str>,
        enabled: bool,
    ) -> Result<Vec<(String, Value)>, HttpError> {
        let mut bytes = 0;
        let v = self
            .conn
            .json(
                self.conn
                    .req(reqwest::Method::POST, "/runs/crons/search")
                    .json(&json!({"enabled": enabled, "limit": 1000})),
                &mut bytes,
            )
            .await?;
        Ok(v.as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.get("enabled").and_then(|e| e.as_bool()).unwrap_or(true) == enabled)
            .filter(|c| {
                workflow.is_none_or(|w| {
                    self.conn
                        .workflow(c.get("metadata").unwrap_or(&Value::Null))
                        == w
                })
            })
            .filter_map(|c| {
                let id = c.get("cron_id")?.as_str()?.to_string();
                let meta = c
                    .get("metadata")
                    .cloned()
                    .filter(|m| m.is_object())
                    .unwrap_or_else(|| json!({}));
                Some((id, meta))
            })
            .collect())
    }

    /// Disabled crons that cordon's hold disabled.
    async fn held_crons(&self, workflow: Option<&str>) -> Result<Vec<(String, Value)>, HttpError> {
        Ok(self
            .crons(workflow, false)
            .await?
            .into_iter()
            .filter(|(_, m)| m.get(HELD).is_some_and(|h| h == true))
            .collect())
    }

    fn answer(
        kind: ActionKind,
        state: &str,
        affected: Vec<String>,
        message: String,
    ) -> ActionAnswer {
        ActionAnswer {
            kind: kind.as_str().into(),
            state: state.into(),
            affected_runs: affected,
            message,
            ..ActionAnswer::default()
        }
    }

    /// A fresh read of a run on its thread: its id as the server names
    /// it, its state, and LangGraph's own word for it (`None`: not found).
    async fn read_run(
        &self,
        tid: &str,
        run: &str,
    ) -> Result<Option<(String, RunState, String)>, HttpError> {
        let mut bytes = 0;
        Ok(self.conn.run(tid, run, &mut bytes).await?.map(|v| {
            let s = |k: &str| {
                v.get(k)
                    .and_then(|x| x.as_str())
                    .map(|x| sanitize::line(x, 128))
            };
            let status = s("status");
            let state = run_state(status.as_deref());
            (
                s("run_id").unwrap_or_default(),
                state,
                status.unwrap_or_default(),
            )
        }))
    }

    /// Stop or roll back one run. An ended run is not cancelled (the
    /// server would answer 404): the answer says it affected nothing. The
    /// runs queued on its thread start as soon as it stops: they are
    /// named as what comes next.
    async fn act_on_run(
        &self,
        kind: ActionKind,
        run: String,
        dry: bool,
    ) -> Result<ActionAnswer, HttpError> {
        let tid = self.thread_of(&run).await?;
        let before = self.read_run(&tid, &run).await?;
        let rollback = kind == ActionKind::RollbackRun;
        let ended = |state: &RunState| {
            let mut a = Self::answer(
                kind,
                if dry { "preview" } else { "applied" },
                vec![],
                format!(
                    "run already {}: nothing to {}",
                    state.as_str(),
                    if rollback {
                        "roll back (LangGraph rolls back only a run that is still active)"
                    } else {
                        "stop"
                    }
                ),
            );
            if rollback {
                a.reverts = Some(vec![]);
            }
            a
        };
        match &before {
            Some((_, s, _)) if !s.is_active() && !matches!(s, RunState::Other(_)) => {
                return Ok(ended(s));
            }
            None => {
                return Err(HttpError {
                    message: format!("run {run} not found on thread {tid}"),
                    status: Some(404),
                    retry_after: None,
                    permanent: true,
                });
            }
            _ => {}
        }
        // What starts next is for the dialog: asked on the dry run only,
        // so the stop itself leaves at once.
        let mut starts_next = Vec::new();
        if dry {
            let mut bytes = 0;
            starts_next = self
                .conn
                .runs_of(&tid, "pending", &mut bytes)
                .await?
                .iter()
                .filter_map(|r| r.get("run_id").and_then(|x| x.as_str()))
                .filter(|id| *id != run)
                .map(|id| sanitize::line(id, 128))
                .collect();
        }
        let action = if rollback { "rollback" } else { "interrupt" };
        let mut a = if dry {
            Self::answer(
                kind,
                "preview",
                vec![run.clone()],
                format!("would cancel the run (action={action})"),
            )
        } else {
            let sent = http::send(self.conn.req(
                reqwest::Method::POST,
                &format!("/threads/{tid}/runs/{run}/cancel?action={action}"),
            ))
            .await;
            match sent {
                Ok(_) => Self::answer(
                    kind,
                    "pending",
                    vec![run.clone()],
                    format!("cancel (action={action}) accepted"),
                ),
                // "No matching runs to cancel": it ended meanwhile.
                Err(e) if e.status == Some(404) => match self.read_run(&tid, &run).await? {
                    Some((_, s, _)) if !s.is_active() && !matches!(s, RunState::Other(_)) => {
                        ended(&s)
                    }
                    _ => return Err(e),
                },
                Err(e) => return Err(e),
            }
        };
        a.starts_next = starts_next;
        Ok(a)
    }

    async fn act(
        &self,
        kind: ActionKind,
        target: &Target,
        dry: bool,
    ) -> Result<ActionAnswer, HttpError> {
        match kind {
            ActionKind::StopRun | ActionKind::RollbackRun => {
                self.act_on_run(kind, target.run_id.clone().unwrap_or_default(), dry)
                    .await
            }
            ActionKind::HoldQueue => {
                let pending = self.pending(target.workflow.as_deref()).await?;
                let crons = self.crons(target.workflow.as_deref(), true).await?;
                let mut ids: Vec<String> = pending.iter().map(|(_, r)| r.clone()).collect();
                ids.extend(crons.iter().map(|(c, _)| format!("cron:{c}")));
                if dry {
                    return Ok(Self::answer(
                        kind,
                        "preview",
                        ids,
                        "would cancel the pending runs".into(),
                    ));
                }
                if target.workflow.is_none() {
                    http::send(
                        self.conn
                            .req(reqwest::Method::POST, "/runs/cancel")
                            .json(&json!({"status": "pending"})),
                    )
                    .await?;
                } else {
                    let mut by_thread: HashMap<&str, Vec<&str>> = HashMap::new();
                    for (t, r) in &pending {
                        by_thread.entry(t.as_str()).or_default().push(r.as_str());
                    }
                    for (t, runs) in by_thread {
                        http::send(
                            self.conn
                                .req(reqwest::Method::POST, "/runs/cancel")
                                .json(&json!({"thread_id": t, "run_ids": runs})),
                        )
                        .await?;
                    }
                }
                // Crons would start new runs: disable them, marked as held
                // by cordon so release re-enables only these.
                for (c, mut meta) in crons {
                    meta[HELD] = json!(true);
                    http::send(
                        self.conn
                            .req(reqwest::Method::PATCH, &format!("/runs/crons/{c}"))
                            .json(&json!({"enabled": false, "metadata": meta})),
                    )
                    .await?;
                }
                Ok(Self::answer(
                    kind,
                    "pending",
                    ids,
                    "pending runs cancelled, crons disabled".into(),
                ))
            }
            ActionKind::ReleaseQueue => {
                let held = self.held_crons(target.workflow.as_deref()).await?;
                let ids: Vec<String> = held.iter().map(|(c, _)| format!("cron:{c}")).collect();
                if dry {
                    return Ok(Self::answer(
                        kind,
                        "preview",
                        ids,
                        "would re-enable the crons cordon held".into(),
                    ));
                }
                for (c, mut meta) in held {
                    if let Some(m) = meta.as_object_mut() {
                        m.remove(HELD);
                    }
                    http::send(
                        self.conn
                            .req(reqwest::Method::PATCH, &format!("/runs/crons/{c}"))
                            .json(&json!({"enabled": true, "metadata": meta})),
                    )
                    .await?;
                }
                Ok(Self::answer(
                    kind,
                    "pending",
                    ids,
                    "held crons re-enabled".into(),
                ))
            }
            k => Err(HttpError {
                message: format!("LangGraph does not offer {}", k.as_str()),
                status: Some(501),
                retry_after: None,
                permanent: true,
            }),
        }
    }

    async fn check_inner(
        &self,
        req: &ActionRequest,
        answer: Option<&ActionAnswer>,
    ) -> Result<Check, HttpError> {
        match req.kind {
            ActionKind::StopRun => {
                let run = req.target.run_id.clone().unwrap_or_default();
                let tid = self.thread_of(&run).await?;
                let seen = self.read_run(&tid, &run).await?;
                Ok(super::check_run_stopped(
                    &run,
                    seen.as_ref()
                        .map(|(id, s, word)| (id.as_str(), s, word.as_str())),
                    answer,
                ))
            }
            ActionKind::RollbackRun => {
                let run = req.target.run_id.clone().unwrap_or_default();
                if answer.is_some_and(|a| a.reverts.as_ref().is_some_and(|r| r.is_empty())) {
                    return Ok(Check::NothingToDo(format!(
                        "nothing to roll back: run {run} had already ended, and LangGraph rolls back only a run that is still active{}",
                        answer
                            .map(|a| format!(" ({})", a.message))
                            .unwrap_or_default()
                    )));
                }
                let tid = self.thread_of(&run).await?;
                Ok(match self.read_run(&tid, &run).await? {
                    None => Check::Confirmed(format!(
                        "run {run} is gone: LangGraph deleted it and its checkpoints; nothing it did outside LangGraph was reverted"
                    )),
                    Some((id, _, _)) if id != run => {
                        Check::NotYet(format!("the re-read of run {run} named run {id}: no proof"))
                    }
                    Some((_, RunState::Succeeded | RunState::Failed, word)) => {
                        Check::AlreadyEnded(format!(
                            "run {run} ended as {word} before the rollback: LangGraph did not delete it"
                        ))
                    }
                    Some((_, RunState::Other(raw), _)) => Check::NotYet(format!(
                        "run {run} reports state '{raw}', which cordon does not know: no proof"
                    )),
                    Some((_, _, word)) => {
                        Check::NotYet(format!("run {run} is {word} and not yet deleted"))
                    }
                })
            }
            ActionKind::HoldQueue => {
                let left = self.pending(req.target.workflow.as_deref()).await?;
                let crons = self.crons(req.target.workflow.as_deref(), true).await?;
                // LangGraph has no queue to hold: the hold cancels what is
                // pending and disables crons. With none, it did nothing.
                let had = answer.is_none_or(|a| !a.affected_runs.is_empty());
                Ok(if left.is_empty() && crons.is_empty() && !had {
                    Check::NothingToDo(
                        "no pending run and no enabled cron in scope: nothing to hold (runs started later are not held)"
                            .into(),
                    )
                } else if left.is_empty() && crons.is_empty() {
                    Check::Confirmed(
                        "no pending runs and no enabled crons in scope (runs started later are not held)"
                            .into(),
                    )
                } else {
                    Check::NotYet(format!(
                        "{} pending runs and {} enabled crons remain",
                        left.len(),
                        crons.len()
                    ))
                })
            }
            ActionKind::ReleaseQueue => {
                let held = self.held_crons(req.target.workflow.as_deref()).await?;
                Ok(if held.is_empty() {
                    Check::Confirmed("every cron cordon held is enabled again".into())
                } else {
                    Check::NotYet(format!("{} crons still held", held.len()))
                })
            }
            _ => Ok(Check::NotYet("not verifiable here".into())),
        }
    }
}

impl super::Actor for LangGraphActor {
    fn name(&self) -> &str {
        &self.name
    }
    fn dry_run(
        &self,
        kind: ActionKind,
        target: Target,
    ) -> BoxFuture<'_, Result<ActionAnswer, HttpError>> {
        Box::pin(async move { self.act(kind, &target, true).await })
    }
    fn send<'a>(
        &'a self,
        req: &'a ActionRequest,
    ) -> BoxFuture<'a, Result<ActionAnswer, HttpError>> {
        Box::pin(self.act(req.kind, &req.target, false))
    }
    fn check<'a>(
        &'a self,
        req: &'a ActionRequest,
        answer: Option<&'a ActionAnswer>,
    ) -> BoxFuture<'a, Result<Check, HttpError>> {
        Box::pin(self.check_inner(req, answer))
    }
}
