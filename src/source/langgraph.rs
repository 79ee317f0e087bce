//! LangGraph Agent Server (LangSmith Deployments) adapter.
//!
//! Polling (`poll.rs`): threads that are busy or waiting at an
//! `interrupt()`, plus every thread with a run cordon still follows (a run
//! goes on even when its thread is marked idle); each thread's runs, and its
//! whole history, paged, with the histories of its subgraphs. Stateless and
//! cron runs (their thread is deleted when they end) are read from their
//! stream. Wire shapes in `wire.rs`, the pure conversion in `convert.rs`,
//! the hold cordon enforces while it runs in `hold.rs`.
//! Containment: cancel with `action=interrupt` (stop) or `rollback`, and
//! `POST /runs/cancel` for pending (queued) runs.
//! Auth: `?api_key_env=VAR` (`x-api-key`, LangSmith deployments) or
//! `?bearer_env=VAR` (`Authorization: Bearer`, custom auth); `_file=PATH`
//! variants read a 0600 file.

mod canary;
pub mod convert;
pub mod hold;
mod poll;
pub mod targets;
pub mod wire;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{Value, json};

use super::Check;
use super::http::{self, HttpError};
use crate::model::{ActionAnswer, ActionKind, RunState};
use crate::sanitize;
use crate::secret::Secret;

pub use poll::LangGraph;

/// What the poller learned that the actor needs (each run's thread and
/// workflow), and what the actor tells the poller (the holds in force).
#[derive(Default, Debug)]
pub struct Shared {
    pub thread_of: HashMap<String, String>,
    pub workflow_of: HashMap<String, String>,
    /// Queues held by cordon ("*" or a workflow): while cordon runs, the
    /// poller cancels every run that is queued in them (LangGraph has no
    /// hold of its own; `POST /runs/cancel` is one-shot).
    pub held: BTreeSet<String>,
}

#[derive(Clone, Default)]
enum Auth {
    #[default]
    None,
    /// `x-api-key` (LangSmith deployments).
    ApiKey(Secret),
    /// `Authorization: Bearer` (a deployment's custom auth).
    Bearer(Secret),
}

/// What the source URL's query says (cordon's own parameters: none of
/// them is sent to the server).
#[derive(Clone, Default)]
struct Params {
    base: String,
    auth: Auth,
    workflow_key: Option<String>,
}

const PARAMS: &str = "api_key_env, api_key_file, bearer_env, bearer_file, workflow_key";

impl Params {
    fn parse(url: &str) -> Result<Params, String> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut p = Params {
            base: base.trim_end_matches('/').to_string(),
            ..Params::default()
        };
        let mut set_auth = |a: Auth| -> Result<(), String> {
            if !matches!(p.auth, Auth::None) {
                return Err(
                    "give one of api_key_env, api_key_file, bearer_env, bearer_file".into(),
                );
            }
            p.auth = a;
            Ok(())
        };
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let secret = |env: bool| {
                crate::secret::load(env.then_some(v), (!env).then_some(v))
                    .map_err(|e| format!("LangGraph source: {e}"))
            };
            match k {
                "api_key_env" => set_auth(Auth::ApiKey(secret(true)?))?,
                "api_key_file" => set_auth(Auth::ApiKey(secret(false)?))?,
                "bearer_env" => set_auth(Auth::Bearer(secret(true)?))?,
                "bearer_file" => set_auth(Auth::Bearer(secret(false)?))?,
                "workflow_key" if !v.is_empty() => p.workflow_key = Some(v.to_string()),
                _ => {
                    return Err(format!(
                        "LangGraph source: unknown URL parameter '{k}' (known: {PARAMS})"
                    ));
                }
            }
        }
        Ok(p)
    }
}

/// Check a LangGraph source URL at start: unknown parameters, and an unset
/// key variable, are errors now rather than a silent 401 later.
pub fn check(url: &str) -> Result<(), String> {
    Params::parse(url).map(|_| ())
}

#[derive(Clone)]
pub struct Conn {
    base: String,
    client: reqwest::Client,
    auth: Auth,
    /// Thread metadata key that names the workflow (default: the graph).
    workflow_key: Option<String>,
}

impl Conn {
    /// `URL[?api_key_env=VAR|bearer_env=VAR&workflow_key=KEY]` ([`check`]
    /// it first: a bad URL here falls back to no auth).
    pub fn new(url: &str, client: reqwest::Client) -> Conn {
        let p = Params::parse(url).unwrap_or_else(|_| Params {
            base: url.split('?').next().unwrap_or(url).to_string(),
            ..Params::default()
        });
        Conn {
            base: p.base,
            client,
            auth: p.auth,
            workflow_key: p.workflow_key,
        }
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self
            .client
            .request(method, format!("{}{}", self.base, path));
        match &self.auth {
            Auth::ApiKey(k) => r.header("x-api-key", k.expose()),
            Auth::Bearer(k) => r.header("authorization", format!("Bearer {}", k.expose())),
            Auth::None => r,
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

    /// A list answer, each element read alone as a [`wire::Handle`].
    async fn handles(
        &self,
        r: reqwest::RequestBuilder,
        bytes: &mut usize,
    ) -> Result<Vec<wire::Handle>, HttpError> {
        Ok(wire::list(&self.json(r, bytes).await?))
    }

    async fn busy_threads(&self, bytes: &mut usize) -> Result<Vec<wire::Handle>, HttpError> {
        let r = self
            .req(reqwest::Method::POST, "/threads/search")
            .json(&json!({"status": "busy", "limit": 1000}));
        self.handles(r, bytes).await
    }

    /// The ids of a thread's runs in this status.
    async fn runs_of(
        &self,
        thread: &str,
        status: &str,
        bytes: &mut usize,
    ) -> Result<Vec<String>, HttpError> {
        let path = format!("/threads/{thread}/runs?status={status}&limit=100");
        let runs = self
            .handles(self.req(reqwest::Method::GET, &path), bytes)
            .await?;
        Ok(targets::run_ids(&runs))
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
}

/// A LangGraph run status as a cordon run state, exactly (as a fresh read
/// of the run alone says it): what is not listed stays `Other`, shown as it
/// came and never taken for proof.
pub fn run_state(status: Option<&str>) -> RunState {
    convert::run_state(status.unwrap_or(""), false)
}

fn lock(s: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    s.lock().unwrap_or_else(|p| p.into_inner())
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
        let search = self
            .conn
            .req(reqwest::Method::POST, "/threads/search")
            .json(&json!({"limit": 1000}));
        let all = self.conn.handles(search, &mut bytes).await?;
        for tid in targets::threads_in(&all, None, None) {
            if self.conn.run(&tid, run, &mut bytes).await?.is_some() {
                lock(&self.shared)
                    .thread_of
                    .insert(run.to_string(), tid.clone());
                return Ok(tid);
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
        let threads = self.conn.busy_threads(&mut bytes).await?;
        let key = self.conn.workflow_key.as_deref();
        for tid in targets::threads_in(&threads, workflow, key) {
            for id in self.conn.runs_of(&tid, "pending", &mut bytes).await? {
                out.push((tid.clone(), id));
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
        let search = self
            .conn
            .req(reqwest::Method::POST, "/runs/crons/search")
            .json(&json!({"enabled": enabled, "limit": 1000}));
        let crons = self.conn.handles(search, &mut bytes).await?;
        let key = self.conn.workflow_key.as_deref();
        Ok(targets::crons_in(&crons, enabled, workflow, key))
    }

    /// Disabled crons that cordon's hold disabled.
    async fn held_crons(&self, workflow: Option<&str>) -> Result<Vec<(String, Value)>, HttpError> {
        Ok(targets::held(self.crons(workflow, false).await?))
    }

    /// Enable or disable a cron; a disabled one is marked as held by
    /// cordon (its metadata), so release re-enables only those.
    async fn set_cron(&self, id: &str, enabled: bool, meta: Value) -> Result<(), HttpError> {
        let meta = targets::mark_held(meta, !enabled);
        let patch = self
            .conn
            .req(reqwest::Method::PATCH, &format!("/runs/crons/{id}"))
            .json(&json!({"enabled": enabled, "metadata": meta}));
        http::send(patch).await.map(|_| ())
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

    /// Is the thread waiting at an `interrupt()` (its status
    /// `interrupted`)? A run LangGraph calls `success` on such a thread
    /// waits for a human (the poll side shows it so too).
    async fn thread_waiting(&self, tid: &str) -> Result<bool, HttpError> {
        let mut bytes = 0;
        let t = self
            .conn
            .json(
                self.conn
                    .req(reqwest::Method::GET, &format!("/threads/{tid}")),
                &mut bytes,
            )
            .await?;
        let t = wire::Handle::deserialize(&t).unwrap_or_default();
        Ok(t.status.as_deref() == Some("interrupted"))
    }

    /// A fresh read of a run on its thread: its id as the server names
    /// it, its state, and LangGraph's own word for it (`None`: not found).
    async fn read_run(
        &self,
        tid: &str,
        run: &str,
    ) -> Result<Option<(String, RunState, String)>, HttpError> {
        let mut bytes = 0;
        let seen = self
            .conn
            .run(tid, run, &mut bytes)
            .await?
            .map(|v| targets::run_read(&wire::Handle::deserialize(&v).unwrap_or_default()));
        match seen {
            Some((id, RunState::Succeeded, word)) if self.thread_waiting(tid).await? => Ok(Some((
                id,
                RunState::WaitingReview,
                format!("waiting at an interrupt() (LangGraph: {word})"),
            ))),
            other => Ok(other),
        }
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
        // Nothing to cancel: said so, not sent (a rollback that reverts
        // nothing).
        let nothing = |message: String| {
            let mut a = Self::answer(
                kind,
                if dry { "preview" } else { "applied" },
                vec![],
                message,
            );
            if rollback {
                a.reverts = Some(vec![]);
            }
            a
        };
        let ended = |state: &RunState| {
            nothing(format!(
                "run already {}: nothing to {}",
                state.as_str(),
                if rollback {
                    "roll back (LangGraph rolls back only a run that is still active)"
                } else {
                    "stop"
                }
            ))
        };
        match &before {
            Some((_, s, _)) if !s.is_active() && !matches!(s, RunState::Other(_)) => {
                return Ok(ended(s));
            }
            // Nothing executes while a run waits at an interrupt(): there
            // is nothing to cancel. What would go on is a resume, a new
            // run on the thread: a hold keeps one from starting.
            Some((_, RunState::WaitingReview, _)) => {
                return Ok(nothing(format!(
                    "run {run} waits for a human at an interrupt(): nothing is executing to {}; a resume would start a new run on thread {tid}: hold its workflow's queue (h) to keep one from starting",
                    if rollback { "roll back" } else { "stop" }
                )));
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
                .filter(|id| **id != run)
                .map(|id| sanitize::id(id).into_owned())
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

    async fn check_inner(&self, v: super::Verify<'_>) -> Result<Check, HttpError> {
        let (req, answer) = (v.req, v.answer);
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
    fn act<'a>(&'a self, a: super::Act<'a>) -> super::Acting<'a> {
        Box::pin(async move {
            let super::Act { kind, target, req } = a;
            let dry = req.is_none();
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
                        hold::tolerate_nothing_pending(
                            http::send(
                                self.conn
                                    .req(reqwest::Method::POST, "/runs/cancel")
                                    .json(&json!({"status": "pending"})),
                            )
                            .await,
                        )?;
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
                    for (c, meta) in crons {
                        self.set_cron(&c, false, meta).await?;
                    }
                    hold::start(&self.shared, target.workflow.as_deref());
                    Ok(Self::answer(kind, "pending", ids, hold::STARTED.into()))
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
                    for (c, meta) in held {
                        self.set_cron(&c, true, meta).await?;
                    }
                    hold::end(&self.shared, target.workflow.as_deref());
                    Ok(Self::answer(kind, "pending", ids, hold::ENDED.into()))
                }
                k => Err(HttpError::not_offered("LangGraph", k)),
            }
        })
    }
    fn check<'a>(&'a self, v: super::Verify<'a>) -> super::Checking<'a> {
        Box::pin(self.check_inner(v))
    }
    fn start_canary<'a>(&'a self, ask: &'a super::CanaryAsk) -> super::Starting<'a> {
        Box::pin(canary::start(self, ask))
    }
}
