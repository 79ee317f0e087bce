//! The generic Agent Control API (ACA/1) adapter.
//!
//! Cost per poll stays incremental: the event feed is read from the saved
//! cursor; only runs that had events (or are new) are re-read one by one;
//! the active-runs list is reconciled at a slow cadence, not every poll.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::Deserialize;

use super::http::{self, HttpError};
use super::{Batch, Source};
use crate::model::{ActionKind, Controls, Event, Run, event::MaybeEvent};

/// Events asked per page; pages per poll are bounded so one poll cannot run
/// away on a huge backlog (the rest comes next poll).
const PAGE: usize = 500;
const MAX_PAGES: usize = 20;
/// Runs re-read one by one per poll, at most.
const MAX_RUN_READS: usize = 64;
const RECONCILE_EVERY: Duration = Duration::from_secs(10);

pub struct Aca {
    name: String,
    base: String,
    client: Authed,
    cursor: Option<String>,
    /// Runs we know and whether they were active at last read.
    known: HashMap<String, bool>,
    last_reconcile: Option<Instant>,
    info_read: bool,
}

#[derive(Deserialize)]
struct EventsPage<'a> {
    /// Each element read alone: one that is not an event costs itself.
    #[serde(default, borrow)]
    events: Vec<MaybeEvent<'a>>,
    #[serde(default)]
    next_cursor: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RunsPage {
    #[serde(default)]
    runs: Vec<serde_json::Value>,
    #[serde(default)]
    next_cursor: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Info {
    #[serde(default)]
    actions: Vec<String>,
    /// ACA/1.1: it starts canaries on `POST /v1/canaries`.
    #[serde(default)]
    canaries: bool,
}

fn cursor_str(v: &Option<serde_json::Value>) -> Option<String> {
    match v {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(crate::sanitize::line(s, 256)),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// One page of the event feed, parsed and cleaned.
#[derive(Debug, Default)]
pub struct EventsRead {
    /// The events that were events (an element that is not costs itself).
    pub events: Vec<Event>,
    /// Elements the page held, events or not (a short page is the last).
    pub read: usize,
    pub next_cursor: Option<String>,
}

/// A page of `GET /v1/events` as the poller reads it: each element on its
/// own, sanitized; a page refused only for a NaN or a number beyond f64
/// (one event's) is read with that value marked, and the feed goes on.
pub fn events_page(text: &str, now: crate::model::Time) -> Result<EventsRead, HttpError> {
    let fixed;
    let (page, repaired): (EventsPage, bool) = match http::json_str(text) {
        Ok(p) => (p, false),
        Err(e) => {
            fixed = crate::sanitize::repair_json(text).ok_or(e)?;
            (http::json_str(&fixed)?, true)
        }
    };
    let read = page.events.len();
    let mut events: Vec<Event> = page
        .events
        .into_iter()
        .filter_map(|w| Event::from_wire(w.0?, now))
        .collect();
    if repaired {
        for e in &mut events {
            if e.data.has_repaired_number() {
                e.summary
                    .push_str(" [a number JSON cannot carry is kept as text]");
            }
        }
    }
    Ok(EventsRead {
        events,
        read,
        next_cursor: cursor_str(&page.next_cursor),
    })
}

impl Aca {
    /// `URL[?token_env=VAR|token_file=PATH]`: the token is sent as
    /// `Authorization: Bearer`, read from the environment or a 0600 file.
    pub fn new(name: &str, url: &str, client: reqwest::Client) -> Aca {
        let (base, client) = Authed::parse(url, client);
        Aca::with(name, &base, client)
    }

    fn with(name: &str, base: &str, client: Authed) -> Aca {
        Aca {
            name: name.to_string(),
            base: base.to_string(),
            client,
            cursor: None,
            known: HashMap::new(),
            last_reconcile: None,
            info_read: false,
        }
    }

    async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
        bytes: &mut usize,
    ) -> Result<Vec<u8>, HttpError> {
        let req = self
            .client
            .get(format!("{}{}", self.base, path))
            .query(query);
        let cap = if path == "/v1/events" {
            http::MAX_EVENTS_BODY
        } else {
            http::MAX_BODY
        };
        let (_, body) = http::send_capped(req, cap).await?;
        *bytes += body.len();
        Ok(body)
    }

    async fn read_run(&self, id: &str, bytes: &mut usize) -> Result<Option<Run>, HttpError> {
        let raw = crate::sanitize::id_raw(id).unwrap_or(std::borrow::Cow::Borrowed(id));
        let path = format!("/v1/runs/{}", http::urlencode(&raw));
        match self.get(&path, &[], bytes).await {
            Ok(body) => {
                let v: serde_json::Value = http::json(&body)?;
                // An answer about another run is not news of this one
                // (nor a run of its own: it would be a phantom row).
                Ok(Run::from_wire(&self.name, &v).filter(|r| r.id == id))
            }
            // A run that vanished is not a source failure.
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// All active runs, every page.
    async fn active_runs(&self, bytes: &mut usize) -> Result<Vec<Run>, HttpError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES * 10 {
            let mut q = vec![
                ("state", "active".to_string()),
                ("limit", "500".to_string()),
            ];
            if let Some(c) = &cursor {
                q.push(("cursor", c.clone()));
            }
            let page: RunsPage = http::json(&self.get("/v1/runs", &q, bytes).await?)?;
            out.extend(
                page.runs
                    .iter()
                    .filter_map(|v| Run::from_wire(&self.name, v)),
            );
            match cursor_str(&page.next_cursor) {
                Some(c) if Some(&c) != cursor.as_ref() && !page.runs.is_empty() => cursor = Some(c),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn poll_once(&mut self) -> Result<Batch, HttpError> {
        self.client.check()?;
        let mut batch = Batch::default();
        let mut bytes = 0usize;
        if !self.info_read {
            let info: Info = http::json(&self.get("/v1/info", &[], &mut bytes).await?)?;
            batch.offered = Some(
                info.actions
                    .iter()
                    .filter_map(|a| ActionKind::parse(a))
                    .collect(),
            );
            self.info_read = true;
        }
        // 1. New events from the cursor.
        let now = chrono::Utc::now();
        for _ in 0..MAX_PAGES {
            let mut q = vec![("limit", PAGE.to_string())];
            if let Some(c) = &self.cursor {
                q.push(("after", c.clone()));
            }
            let body = self.get("/v1/events", &q, &mut bytes).await?;
            let page = events_page(&http::text(&body), now)?;
            batch.events.extend(page.events);
            if let Some(c) = page.next_cursor {
                self.cursor = Some(c);
            }
            if page.read < PAGE {
                break;
            }
        }
        // 2. Re-read runs that had events (state and counters changed).
        let mut touched: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for e in &batch.events {
            if seen.insert(e.run_id.as_str()) {
                touched.push(e.run_id.to_string());
            }
        }
        // 3. Reconcile the active list at a slow cadence.
        let reconcile = self
            .last_reconcile
            .is_none_or(|t| t.elapsed() >= RECONCILE_EVERY);
        if reconcile {
            let active = self.active_runs(&mut bytes).await?;
            let active_ids: HashSet<&str> = active.iter().map(|r| r.id.as_str()).collect();
            // Runs we thought active that left the list: read their end state.
            for (id, was_active) in &self.known {
                if *was_active && !active_ids.contains(id.as_str()) && !seen.contains(id.as_str()) {
                    touched.push(id.clone());
                }
            }
            touched.retain(|id| !active_ids.contains(id.as_str()));
            for r in &active {
                self.known.insert(r.id.to_string(), true);
            }
            batch.runs = active;
            self.last_reconcile = Some(Instant::now());
        }
        for id in touched.into_iter().take(MAX_RUN_READS) {
            if let Some(r) = self.read_run(&id, &mut bytes).await? {
                self.known.insert(r.id.to_string(), r.state.is_active());
                batch.runs.push(r);
            }
        }
        if reconcile || !batch.events.is_empty() {
            let c: Controls =
                http::json::<Controls>(&self.get("/v1/controls", &[], &mut bytes).await?)?
                    .sanitized();
            batch.controls = Some(c);
        }
        batch.bytes = bytes;
        Ok(batch)
    }
}

impl Source for Aca {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll(&mut self) -> BoxFuture<'_, Result<Batch, HttpError>> {
        Box::pin(self.poll_once())
    }

    fn list_active(&mut self) -> BoxFuture<'_, Result<Vec<Run>, HttpError>> {
        Box::pin(Aca::list_active(self))
    }
}

impl Aca {
    /// Every active run, for `cordon runs`.
    pub async fn list_active(&self) -> Result<Vec<Run>, HttpError> {
        let mut bytes = 0;
        self.active_runs(&mut bytes).await
    }
}

/// ACA/1 actions: `POST /v1/actions` with an Idempotency-Key, and
/// confirmation by reading `/v1/runs/{id}` and `/v1/controls`.
pub struct AcaActor {
    name: String,
    base: String,
    client: Authed,
}

impl AcaActor {
    pub fn new(name: &str, url: &str, client: reqwest::Client) -> AcaActor {
        let (base, client) = Authed::parse(url, client);
        AcaActor {
            name: name.to_string(),
            base,
            client,
        }
    }

    fn body(
        kind: crate::model::ActionKind,
        target: &crate::model::Target,
        reason: &str,
        actor: &str,
    ) -> Result<serde_json::Value, HttpError> {
        // Ids go back to the platform as it spelled them.
        let target = target.for_platform().map_err(|m| HttpError {
            message: m,
            status: None,
            retry_after: None,
            permanent: true,
        })?;
        Ok(
            serde_json::json!({"kind": kind.as_str(), "target": target, "reason": reason, "actor": actor}),
        )
    }

    async fn answer(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<crate::model::ActionAnswer, HttpError> {
        self.client.check()?;
        let (_, body) = http::send(req).await?;
        Ok(http::json::<crate::model::ActionAnswer>(&body)?.sanitized())
    }

    async fn controls(&self) -> Result<Controls, HttpError> {
        let (_, body) = http::send(self.client.get(format!("{}/v1/controls", self.base))).await?;
        Ok(http::json::<Controls>(&body)?.sanitized())
    }

    /// A fresh read of one run, with its rollback record (ACA/1.1);
    /// `None` when the platform does not know it.
    async fn read_run(
        &self,
        id: &str,
    ) -> Result<Option<(Run, Option<super::RollbackRecord>)>, HttpError> {
        // The URL names the platform's raw id, not its visible spelling.
        let raw = crate::sanitize::id_raw(id).unwrap_or(std::borrow::Cow::Borrowed(id));
        let req = self
            .client
            .get(format!("{}/v1/runs/{}", self.base, http::urlencode(&raw)));
        match http::send(req).await {
            Ok((_, body)) => {
                let v: serde_json::Value = http::json(&body)?;
                let rollback = v
                    .get("rollback")
                    .filter(|r| r.is_object())
                    .and_then(|r| serde_json::from_value::<super::RollbackRecord>(r.clone()).ok())
                    .map(|r| super::RollbackRecord {
                        at: r.at.as_deref().map(|t| crate::sanitize::line(t, 64)),
                        reverted: r
                            .reverted
                            .iter()
                            .take(10_000)
                            .map(|e| crate::sanitize::id(e).into_owned())
                            .collect(),
                        failed: r
                            .failed
                            .into_iter()
                            .take(10_000)
                            .map(|f| super::RevertFailure {
                                event_id: crate::sanitize::id(&f.event_id).into_owned(),
                                why: crate::sanitize::line(&f.why, 256),
                            })
                            .collect(),
                    });
                Ok(Run::from_wire(&self.name, &v).map(|r| (r, rollback)))
            }
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The read just before an action leaves; for a rollback, the run's
    /// record then, so that a record it already had proves nothing.
    async fn before_inner(
        &self,
        req: &crate::model::ActionRequest,
    ) -> Result<super::Before, HttpError> {
        let none = super::Prior::default();
        if req.kind != crate::model::ActionKind::RollbackRun {
            let check = self.check_inner(req, None, &none).await?;
            return Ok(super::Before {
                check,
                rollback: None,
            });
        }
        let id = req.target.run_id.clone().unwrap_or_default();
        let seen = self.read_run(&id).await?;
        Ok(super::Before {
            check: super::check_rolled_back(
                &id,
                seen.as_ref()
                    .map(|(r, rb)| (r.id.as_str(), &r.state, rb.as_ref())),
                None,
                &none,
            ),
            rollback: seen.and_then(|(_, rb)| rb),
        })
    }

    async fn check_inner(
        &self,
        req: &crate::model::ActionRequest,
        answer: Option<&crate::model::ActionAnswer>,
        prior: &super::Prior,
    ) -> Result<super::Check, HttpError> {
        use super::Check::{Confirmed, NotYet};
        use crate::model::ActionKind::*;
        let t = &req.target;
        let all = |o: &Option<String>| o.clone().unwrap_or_else(|| "*".into());
        let has = |list: &[String], x: &str| list.iter().any(|v| v == x);
        Ok(match req.kind {
            StopRun | TerminateRun => {
                let id = t.run_id.clone().unwrap_or_default();
                let seen = self.read_run(&id).await?;
                super::check_run_stopped(
                    &id,
                    seen.as_ref()
                        .map(|(r, _)| (r.id.as_str(), &r.state, r.state.as_str())),
                    answer,
                )
            }
            RollbackRun => {
                let id = t.run_id.clone().unwrap_or_default();
                let seen = self.read_run(&id).await?;
                super::check_rolled_back(
                    &id,
                    seen.as_ref()
                        .map(|(r, rb)| (r.id.as_str(), &r.state, rb.as_ref())),
                    answer,
                    prior,
                )
            }
            PauseWorkflow | ResumeWorkflow => {
                let w = t.workflow.clone().unwrap_or_default();
                let paused = has(&self.controls().await?.paused_workflows, &w);
                if req.kind == ResumeWorkflow {
                    if paused {
                        NotYet(format!("{w} still paused"))
                    } else {
                        Confirmed(format!("{w} not paused"))
                    }
                } else if !paused {
                    NotYet(format!("{w} not yet in paused_workflows"))
                } else {
                    // Running, or in a state cordon does not know (which
                    // might be running): either way not proven paused.
                    let runs = self.list_active().await?;
                    let busy: Vec<String> = runs
                        .iter()
                        .filter(|r| r.workflow == w)
                        .filter(|r| {
                            matches!(
                                r.state,
                                crate::model::RunState::Running | crate::model::RunState::Other(_)
                            )
                        })
                        .map(|r| format!("{} ({})", r.id, r.state.as_str()))
                        .collect();
                    if busy.is_empty() {
                        Confirmed(format!("{w} paused, none of its runs running"))
                    } else {
                        NotYet(format!(
                            "{w} paused but {} not proven stopped: {}",
                            busy.len(),
                            busy.join(", ")
                        ))
                    }
                }
            }
            HoldQueue | ReleaseQueue => {
                let q = all(&t.workflow);
                let held = &self.controls().await?.held_queues;
                scoped(
                    req.kind == HoldQueue,
                    &format!("queue {q}"),
                    "held",
                    "released",
                    coverage(held, &q, has),
                )
            }
            RevokeTool | RestoreTool => {
                let pair = crate::model::ToolRevocation {
                    agent_class: t.agent_class.clone().unwrap_or_default(),
                    tool: t.tool.clone().unwrap_or_default(),
                };
                let revoked = &self.controls().await?.revoked_tools;
                let of = |class: &str| {
                    revoked
                        .iter()
                        .any(|r| r.tool == pair.tool && r.agent_class == class)
                };
                let cover = match (of(&pair.agent_class), of("*") && pair.agent_class != "*") {
                    (true, _) => Cover::Own,
                    (false, true) => Cover::Global,
                    (false, false) => Cover::No,
                };
                let what = format!("{} for {}", pair.tool, pair.agent_class);
                scoped(req.kind == RevokeTool, &what, "revoked", "restored", cover)
            }
            RevokeCredential => {
                let c = t.credential.clone().unwrap_or_default();
                if has(&self.controls().await?.revoked_credentials, &c) {
                    Confirmed(format!("credential {c} revoked"))
                } else {
                    NotYet(format!("credential {c} not yet in revoked_credentials"))
                }
            }
            BlockOutbound | UnblockOutbound => {
                let c = all(&t.agent_class);
                let blocked = &self.controls().await?.outbound_blocked;
                scoped(
                    req.kind == BlockOutbound,
                    &format!("outbound for {c}"),
                    "blocked",
                    "unblocked",
                    coverage(blocked, &c, has),
                )
            }
        })
    }

    /// `GET /v1/actions?idempotency_key=K`: 200 is the action's answer;
    /// a 404 in the contract's error shape means it never arrived; any
    /// other refusal (a server without ACA/1.1's lookup: 404 without that
    /// shape, 405, 501) means it cannot be asked.
    async fn lookup_inner(
        &self,
        r: &crate::model::ActionRequest,
    ) -> Result<super::Lookup, HttpError> {
        self.client.check()?;
        let req = self
            .client
            .get(format!("{}/v1/actions", self.base))
            .query(&[("idempotency_key", r.key.as_str())]);
        match fetch(req).await? {
            (200..=299, body) => {
                let a: crate::model::ActionAnswer = http::json(&body)?;
                Ok(super::Lookup::Found(a.sanitized()))
            }
            (404, body) if aca_error(&body) => Ok(super::Lookup::NeverReceived),
            (s, _) if s >= 500 || s == 429 || s == 408 => Err(HttpError {
                message: format!("idempotency lookup: HTTP {s}"),
                status: Some(s),
                retry_after: None,
                permanent: false,
            }),
            _ => Ok(super::Lookup::Unsupported),
        }
    }

    /// ACA/1.1 canary: asked only of a platform whose `/v1/info` lists
    /// `"canaries": true`.
    async fn canary(&self, ask: &super::CanaryAsk) -> Result<Option<super::Canary>, HttpError> {
        self.client.check()?;
        let (_, body) = http::send(self.client.get(format!("{}/v1/info", self.base))).await?;
        if !http::json::<Info>(&body)?.canaries {
            return Ok(None);
        }
        let req = self
            .client
            .post(format!("{}/v1/canaries", self.base))
            .json(&serde_json::json!({"workflow": ask.workflow, "agent_class": ask.agent_class, "writes": ask.writes}));
        let (_, body) = http::send(req).await?;
        let v: serde_json::Value = http::json(&body)?;
        Run::from_wire(&self.name, &v)
            .map(|r| Some(super::Canary::of(r)))
            .ok_or_else(|| HttpError::other("the canary the platform started is not a run"))
    }

    async fn list_active(&self) -> Result<Vec<Run>, HttpError> {
        Aca::with(&self.name, &self.base, self.client.clone())
            .list_active()
            .await
    }
}

impl super::Actor for AcaActor {
    /// The platform works out what is affected (`?dry_run=true` asks it
    /// to change nothing); one body for both.
    fn act<'a>(&'a self, a: super::Act<'a>) -> super::Acting<'a> {
        Box::pin(async move {
            let super::Act {
                kind,
                target,
                req: r,
            } = a;
            let (query, reason, actor) = match r {
                None => ("?dry_run=true", "dry run", ""),
                Some(r) => ("", r.reason.as_str(), r.actor.as_str()),
            };
            let mut req = self.client.post(format!("{}/v1/actions{query}", self.base));
            if let Some(r) = r {
                req = req.header("Idempotency-Key", &r.key);
            }
            self.answer(req.json(&Self::body(kind, target, reason, actor)?))
                .await
        })
    }

    fn check<'a>(&'a self, v: super::Verify<'a>) -> super::Checking<'a> {
        Box::pin(self.check_inner(v.req, v.answer, v.prior))
    }

    fn before<'a>(
        &'a self,
        req: &'a crate::model::ActionRequest,
    ) -> BoxFuture<'a, Result<super::Before, HttpError>> {
        Box::pin(self.before_inner(req))
    }

    fn lookup<'a>(
        &'a self,
        req: &'a crate::model::ActionRequest,
    ) -> BoxFuture<'a, Result<super::Lookup, HttpError>> {
        Box::pin(self.lookup_inner(req))
    }

    fn start_canary<'a>(&'a self, ask: &'a super::CanaryAsk) -> super::Starting<'a> {
        Box::pin(self.canary(ask))
    }
}

/// How a scoped control (a class, a queue, a tool for a class) is in
/// force: named itself, only through `*` (every class, every queue), or
/// not at all.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cover {
    Own,
    Global,
    No,
}

fn coverage(list: &[String], x: &str, has: impl Fn(&[String], &str) -> bool) -> Cover {
    if has(list, x) {
        Cover::Own
    } else if x != "*" && has(list, "*") {
        Cover::Global
    } else {
        Cover::No
    }
}

/// The verdict on a scoped control from `/v1/controls`: in force (itself
/// or through `*`) proves a block; a lift is proven only when neither
/// the scope itself nor `*` still holds it.
fn scoped(apply: bool, what: &str, on: &str, off: &str, cover: Cover) -> super::Check {
    use super::Check::{Confirmed, NotYet};
    match (apply, cover) {
        (true, Cover::Own) => Confirmed(format!("{what} {on}")),
        (true, Cover::Global) => Confirmed(format!("{what} {on} (through '*', every scope)")),
        (true, Cover::No) => NotYet(format!("{what} not yet {on}")),
        (false, Cover::No) => Confirmed(format!("{what} {off}")),
        (false, Cover::Own) => NotYet(format!("{what} still {on}")),
        (false, Cover::Global) => NotYet(format!(
            "{what} is still {on} by '*' (every scope), which this action does not lift: not {off}"
        )),
    }
}

/// Status and body (at most 1 MiB) whatever the status: the lookup must
/// tell a 404 in the contract's shape from one that is not.
async fn fetch(req: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), HttpError> {
    use futures_util::StreamExt;
    let failed = |e: reqwest::Error| {
        HttpError::other(format!(
            "idempotency lookup: {}",
            crate::sanitize::line(&e.to_string(), 200)
        ))
    };
    let resp = req.send().await.map_err(failed)?;
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    let mut chunks = resp.bytes_stream();
    while let Some(c) = chunks.next().await {
        let c = c.map_err(failed)?;
        if body.len() + c.len() > (1 << 20) {
            return Err(HttpError::other("idempotency lookup: answer over 1 MiB"));
        }
        body.extend_from_slice(&c);
    }
    Ok((status, body))
}

/// An ACA error body: `{"error": {"code": …}}`.
fn aca_error(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error")?.get("code")?.as_str().map(|_| ()))
        .is_some()
}

/// The shared client plus this source's bearer token, if it has one.
#[derive(Clone)]
pub struct Authed {
    inner: reqwest::Client,
    token: Result<Option<crate::secret::Secret>, String>,
}

impl Authed {
    /// Split `URL?token_env=VAR` / `?token_file=PATH` into the base URL and
    /// an authenticated client. The token never appears in the URL kept.
    pub fn parse(url: &str, inner: reqwest::Client) -> (String, Authed) {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut env = None;
        let mut file = None;
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            match kv.split_once('=') {
                Some(("token_env", v)) => env = Some(v.to_string()),
                Some(("token_file", v)) => file = Some(v.to_string()),
                _ => {}
            }
        }
        let token = match (&env, &file) {
            (None, None) => Ok(None),
            _ => crate::secret::load(env.as_deref(), file.as_deref()).map(Some),
        };
        (
            base.trim_end_matches('/').to_string(),
            Authed { inner, token },
        )
    }

    fn auth(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Ok(Some(t)) => r.bearer_auth(t.expose()),
            // A missing token is reported by the request failing with 401;
            // the error below says why first.
            _ => r,
        }
    }

    /// The token could not be read: say so instead of sending anything.
    pub fn check(&self) -> Result<(), HttpError> {
        match &self.token {
            Err(e) => Err(HttpError {
                message: format!("token: {e}"),
                status: None,
                retry_after: None,
                permanent: true,
            }),
            Ok(_) => Ok(()),
        }
    }

    pub fn get(&self, url: String) -> reqwest::RequestBuilder {
        self.auth(self.inner.get(url))
    }

    pub fn post(&self, url: String) -> reqwest::RequestBuilder {
        self.auth(self.inner.post(url))
    }
}

#[cfg(test)]
mod tests {
    use super::events_page;

    /// The benchmarks' synthetic feed reads through this same function: a
    /// page of it is every event, cleaned, with its cursor.
    #[test]
    fn a_page_is_read_element_by_element_with_its_cursor() {
        let now = "2026-11-24T10:00:00Z".parse().unwrap();
        let body = crate::sim::scale::page(10, 13, 100, now);
        let p = events_page(&String::from_utf8(body).unwrap(), now).unwrap();
        assert_eq!((p.events.len(), p.read), (3, 3));
        assert_eq!(p.next_cursor.as_deref(), Some("13"));
        assert_eq!(crate::sim::scale::parse_page(b"not json", now), vec![]);
        // One element that is not an event costs itself; a NaN (not JSON)
        // is kept as text and said.
        let text = r#"{"events": [7, {"id": "e1", "run_id": "r1", "at": "2026-11-24T10:00:00Z",
            "kind": "tool_call", "summary": "s", "data": {"x": NaN}}], "next_cursor": 9}"#;
        let p = events_page(text, now).unwrap();
        assert_eq!((p.events.len(), p.read), (1, 2));
        assert!(
            p.events[0].summary.ends_with("kept as text]"),
            "{}",
            p.events[0].summary
        );
        assert_eq!(p.next_cursor.as_deref(), Some("9"));
    }
}
