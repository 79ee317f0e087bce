//! Temporal adapter, over the Temporal HTTP API
//! (`/api/v1/namespaces/{ns}/...`).
//!
//! Runs: one per execution (`{workflow id}@{run id}`: a workflow id used
//! again, or continued as new, is a new run), from the visibility listing
//! of running executions (paged), plus every execution followed until it
//! closed, the children its history starts and the runs it continued
//! from. The workflow type is the "workflow", the task queue (or the type,
//! with `class=type`) the agent class; the agent is the workflow id, or a
//! memo field / search attribute (`agent=memo:KEY`, `agent=search:KEY`).
//! Timeline (`poll.rs`, pure conversion in `convert.rs`): each execution's
//! history, paged, payloads decoded (`payload.rs`); while an activity is
//! open, the execution's pending activities: every attempt of a retrying
//! activity, with its failure, and heartbeats.
//! Containment: `stop_run` = cancel (graceful: the workflow's own code
//! cleans up), `terminate_run` = terminate (hard),
//! `pause_workflow`/`resume_workflow` = pause/unpause every running
//! execution of the type, where the server has pause enabled (it says
//! clearly when it has not).
//! Auth: `api_key_env=VAR` / `api_key_file=PATH` (`Authorization: Bearer`,
//! Temporal Cloud API keys); mTLS with `tls_cert=PATH&tls_key=PATH`
//! (`tls_ca=PATH` for a private CA).

mod canary;
pub mod convert;
pub mod payload;
mod poll;
pub mod wire;

use serde_json::{Value, json};

use super::Check;
use super::http::{self, HttpError};
use crate::model::{ActionAnswer, ActionKind};
use crate::sanitize;
use crate::secret::Secret;

pub use poll::Temporal;

/// What the source URL's query says (cordon's own parameters).
#[derive(Clone, Default)]
struct Params {
    base: String,
    namespace: String,
    naming: convert::Naming,
    api_key: Option<Secret>,
    tls: Option<(String, String, Option<String>)>,
}

const PARAMS: &str =
    "namespace, class, agent, api_key_env, api_key_file, tls_cert, tls_key, tls_ca";

impl Params {
    fn parse(url: &str) -> Result<Params, String> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut p = Params {
            base: base.trim_end_matches('/').to_string(),
            namespace: "default".into(),
            ..Params::default()
        };
        let (mut cert, mut key, mut ca) = (None, None, None);
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let v = v.to_string();
            let secret = |env: bool| {
                crate::secret::load(env.then_some(v.as_str()), (!env).then_some(v.as_str()))
                    .map_err(|e| format!("Temporal source: {e}"))
            };
            match k {
                "namespace" if v.contains(',') => {
                    return Err(format!(
                        "Temporal source: several namespaces ({v}) are several sources; the console splits them, `act` takes one"
                    ));
                }
                "namespace" if !v.is_empty() => p.namespace = v,
                "class" => p.naming.class_by_type = v == "type",
                "agent" => match v.split_once(':') {
                    Some(("memo", f)) if !f.is_empty() => p.naming.agent_memo = Some(f.into()),
                    Some(("search", f)) if !f.is_empty() => p.naming.agent_search = Some(f.into()),
                    _ => {
                        return Err(format!(
                            "Temporal source: agent={v}: expected agent=memo:KEY or agent=search:ATTRIBUTE"
                        ));
                    }
                },
                "api_key_env" => p.api_key = Some(secret(true)?),
                "api_key_file" => p.api_key = Some(secret(false)?),
                "tls_cert" => cert = Some(v),
                "tls_key" => key = Some(v),
                "tls_ca" => ca = Some(v),
                _ => {
                    return Err(format!(
                        "Temporal source: unknown URL parameter '{k}' (known: {PARAMS})"
                    ));
                }
            }
        }
        match (cert, key) {
            (Some(c), Some(k)) => p.tls = Some((c, k, ca)),
            (None, None) if ca.is_none() => {}
            (None, None) => p.tls = Some((String::new(), String::new(), ca)),
            _ => return Err("Temporal source: mTLS needs both tls_cert and tls_key".into()),
        }
        Ok(p)
    }

    /// A client with the mTLS identity (and CA), when asked for.
    fn client(&self, shared: reqwest::Client) -> Result<reqwest::Client, String> {
        let Some((cert, key, ca)) = &self.tls else {
            return Ok(shared);
        };
        let read = |p: &str| {
            std::fs::read(p).map_err(|e| format!("Temporal source: cannot read {p}: {e}"))
        };
        // The shared client's bounds (http::client): 3 s to connect, 5 s
        // between reads, 10 s in all.
        let mut b = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(3))
            .read_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(10))
            .user_agent(concat!("cordon/", env!("CARGO_PKG_VERSION")));
        if !cert.is_empty() {
            let mut pem = read(cert)?;
            pem.extend(read(key)?);
            let id = reqwest::Identity::from_pem(&pem)
                .map_err(|e| format!("Temporal source: tls_cert/tls_key: {e}"))?;
            b = b.identity(id);
        }
        if let Some(ca) = ca {
            for c in reqwest::Certificate::from_pem_bundle(&read(ca)?)
                .map_err(|e| format!("Temporal source: tls_ca: {e}"))?
            {
                b = b.add_root_certificate(c);
            }
        }
        b.build()
            .map_err(|e| format!("Temporal source: TLS set-up failed: {e}"))
    }
}

/// Check a Temporal source URL at start: unknown parameters, an unset key
/// variable, unreadable certificates are errors now, not a 401 later.
pub fn check(url: &str) -> Result<(), String> {
    let p = Params::parse(url)?;
    p.client(http::client()).map(|_| ())
}

#[derive(Clone)]
pub struct Conn {
    api: String,
    client: reqwest::Client,
    api_key: Option<Secret>,
    naming: convert::Naming,
}

impl Conn {
    /// `URL[?namespace=NS&class=queue|type&agent=memo:KEY&api_key_env=VAR…]`
    /// ([`check`] it first: a bad URL here falls back to the defaults).
    pub fn new(url: &str, client: reqwest::Client) -> Conn {
        let p = Params::parse(url).unwrap_or_else(|_| Params {
            base: url
                .split('?')
                .next()
                .unwrap_or(url)
                .trim_end_matches('/')
                .to_string(),
            namespace: "default".into(),
            ..Params::default()
        });
        let client = p.client(client.clone()).unwrap_or(client);
        Conn {
            api: format!(
                "{}/api/v1/namespaces/{}",
                p.base,
                http::urlencode(&p.namespace)
            ),
            client,
            api_key: p.api_key,
            naming: p.naming,
        }
    }

    fn auth(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.api_key {
            Some(k) => r.header("authorization", format!("Bearer {}", k.expose())),
            None => r,
        }
    }

    async fn get(&self, path: &str, bytes: &mut usize) -> Result<Value, HttpError> {
        let (_, body) =
            http::send(self.auth(self.client.get(format!("{}{path}", self.api)))).await?;
        *bytes += body.len();
        http::json(&body)
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, HttpError> {
        let (_, b) = http::send(
            self.auth(self.client.post(format!("{}{path}", self.api)))
                .json(&body),
        )
        .await?;
        Ok(serde_json::from_slice(&b).unwrap_or(Value::Null))
    }

    /// POST `verb` (cancel, terminate) to one execution: `wid@run` names
    /// that run, a bare workflow id its latest.
    async fn post_execution(
        &self,
        id: &str,
        verb: &str,
        mut body: Value,
    ) -> Result<Value, HttpError> {
        let (wid, run) = convert::execution_of(id);
        if let (Some(r), Some(o)) = (run, body.as_object_mut()) {
            o.insert(
                "workflowExecution".into(),
                json!({"workflowId": wid, "runId": r}),
            );
        }
        self.post(&format!("/workflows/{}/{verb}", http::urlencode(wid)), body)
            .await
    }

    /// `?execution.runId=R` for `wid@R`, and the path's workflow id.
    fn execution_path(id: &str, rest: &str) -> String {
        let (wid, run) = convert::execution_of(id);
        let mut p = format!("/workflows/{}{rest}", http::urlencode(wid));
        if let Some(r) = run {
            p.push_str(&format!("?execution.runId={}", http::urlencode(r)));
        }
        p
    }

    /// Every running execution, all pages. The server caps a page at
    /// 1,000 and hands a token whenever a page is full, even when nothing
    /// follows; so the count is asked alongside the first page, and when
    /// that page already holds them all there is no second round trip (a
    /// listing is a snapshot: as of that moment it is complete).
    pub async fn running(&self, bytes: &mut usize) -> Result<Vec<Value>, HttpError> {
        self.listing("Running", bytes).await
    }

    /// Every execution in `status` (as visibility names it: `Running`,
    /// `Paused`), all pages, as [`Conn::running`] reads them.
    pub async fn listing(&self, status: &str, bytes: &mut usize) -> Result<Vec<Value>, HttpError> {
        let q = http::urlencode(&format!("ExecutionStatus=\"{status}\""));
        let mut out = Vec::new();
        let mut token = String::new();
        let mut count_bytes = 0;
        let count_path = format!("/workflow-count?query={q}");
        let count = self.get(&count_path, &mut count_bytes);
        let mut count = Some(count);
        let mut total = None;
        for _ in 0..1000 {
            let mut path = format!("/workflows?query={q}&pageSize=1000");
            if !token.is_empty() {
                path.push_str(&format!("&nextPageToken={}", http::urlencode(&token)));
            }
            let v = match count.take() {
                Some(c) => {
                    let (c, v) = tokio::join!(c, self.get(&path, bytes));
                    // An older server without the count: follow the tokens.
                    total = c.ok().and_then(|c| {
                        let n = c.get("count")?;
                        n.as_u64().or_else(|| n.as_str()?.parse().ok())
                    });
                    v?
                }
                None => self.get(&path, bytes).await?,
            };
            out.extend(
                v.get("executions")
                    .and_then(|e| e.as_array())
                    .cloned()
                    .unwrap_or_default(),
            );
            match v
                .get("nextPageToken")
                .and_then(|t| t.as_str())
                .filter(|t| !t.is_empty())
            {
                _ if total.is_some_and(|n| out.len() as u64 >= n) => break,
                Some(t) if t != token => token = t.to_string(),
                _ => break,
            }
        }
        drop(count);
        *bytes += count_bytes;
        Ok(out)
    }

    /// One execution (`wid@run`, or a workflow id's latest run); `None`
    /// when the server has no such execution.
    async fn describe(&self, id: &str) -> Result<Option<Value>, HttpError> {
        let mut b = 0;
        self.describe_counted(id, &mut b).await
    }

    async fn describe_counted(&self, id: &str, b: &mut usize) -> Result<Option<Value>, HttpError> {
        match self.get(&Self::execution_path(id, ""), b).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A Temporal execution status, exactly as the server names it (the
/// actor compares these; what is not listed proves nothing).
#[derive(Debug, Clone, PartialEq)]
pub enum ExecStatus {
    Running,
    Completed,
    Failed,
    TimedOut,
    Canceled,
    Terminated,
    ContinuedAsNew,
    Paused,
    Other(String),
}

impl ExecStatus {
    pub fn parse(s: &str) -> ExecStatus {
        match s.trim_start_matches("WORKFLOW_EXECUTION_STATUS_") {
            "RUNNING" => ExecStatus::Running,
            "COMPLETED" => ExecStatus::Completed,
            "FAILED" => ExecStatus::Failed,
            "TIMED_OUT" => ExecStatus::TimedOut,
            "CANCELED" => ExecStatus::Canceled,
            "TERMINATED" => ExecStatus::Terminated,
            "CONTINUED_AS_NEW" => ExecStatus::ContinuedAsNew,
            "PAUSED" => ExecStatus::Paused,
            o => ExecStatus::Other(sanitize::line(o, 64)),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ExecStatus::Running => "running",
            ExecStatus::Completed => "completed",
            ExecStatus::Failed => "failed",
            ExecStatus::TimedOut => "timed out",
            ExecStatus::Canceled => "canceled",
            ExecStatus::Terminated => "terminated",
            ExecStatus::ContinuedAsNew => "continued as new",
            ExecStatus::Paused => "paused",
            ExecStatus::Other(s) => s,
        }
    }

    /// Closed: nothing left to stop.
    pub fn is_closed(&self) -> bool {
        !matches!(
            self,
            ExecStatus::Running | ExecStatus::Paused | ExecStatus::Other(_)
        )
    }
}

/// The strict reading of an execution after a cancel (`want` Canceled) or
/// a terminate (`want` Terminated): `seen` is the describe's workflow id
/// and status.
pub fn check_closed(
    asked: &str,
    want: &ExecStatus,
    verb: &str,
    seen: Option<(&str, &ExecStatus)>,
    answer: Option<&ActionAnswer>,
) -> Check {
    let Some((id, st)) = seen else {
        return Check::NotYet(format!("workflow {asked} not found: no proof"));
    };
    if id != asked {
        return Check::NotYet(format!(
            "the re-read of workflow {asked} named {id}: no proof"
        ));
    }
    let affected = answer.is_none_or(|a| a.affected_runs.iter().any(|r| r == asked));
    match st {
        s if s == want && affected => Check::Confirmed(format!("{asked} is {}", s.as_str())),
        s if s.is_closed() => Check::AlreadyEnded(format!(
            "{asked} closed as {}, not by this {verb}: nothing to stop",
            s.as_str()
        )),
        ExecStatus::Other(raw) => Check::NotYet(format!(
            "{asked} reports status '{raw}', which cordon does not know: no proof"
        )),
        s => Check::NotYet(format!("{asked} is still {}", s.as_str())),
    }
}

pub struct TemporalActor {
    name: String,
    conn: Conn,
}

impl TemporalActor {
    pub fn new(name: &str, url: &str, client: reqwest::Client) -> TemporalActor {
        TemporalActor {
            name: name.into(),
            conn: Conn::new(url, client),
        }
    }

    /// The workflow ids of the executions of type `wtype` in any of
    /// `statuses`. A paused execution is listed as `Paused`, not
    /// `Running`: a resume must look for it there.
    async fn of_type(&self, wtype: &str, statuses: &[&str]) -> Result<Vec<String>, HttpError> {
        let mut b = 0;
        let mut out = Vec::new();
        for status in statuses {
            out.extend(
                self.conn
                    .listing(status, &mut b)
                    .await?
                    .iter()
                    .filter(|v| v.pointer("/type/name").and_then(|x| x.as_str()) == Some(wtype))
                    .filter_map(|v| {
                        v.pointer("/execution/workflowId")
                            .and_then(|x| x.as_str())
                            .map(String::from)
                    }),
            );
        }
        Ok(out)
    }

    /// A fresh describe: the workflow id it names, its status, and whether
    /// it is paused (status or pause info).
    /// The id comes back in the form it was asked in: `wid@run` (the
    /// execution the describe names) or a bare workflow id, so a describe
    /// of another execution never passes for the one asked about.
    async fn read(&self, wid: &str) -> Result<Option<(String, ExecStatus, bool)>, HttpError> {
        let by_run = convert::execution_of(wid).1.is_some();
        Ok(self.conn.describe(wid).await?.map(|d| {
            let field = |k: &str| {
                d.pointer(&format!("/workflowExecutionInfo/execution/{k}"))
                    .and_then(|x| x.as_str())
                    .map(|x| sanitize::id(x).into_owned())
                    .unwrap_or_default()
            };
            let id = if by_run {
                format!("{}@{}", field("workflowId"), field("runId"))
            } else {
                field("workflowId")
            };
            let st = ExecStatus::parse(
                d.pointer("/workflowExecutionInfo/status")
                    .and_then(|s| s.as_str())
                    .unwrap_or_default(),
            );
            let paused = st == ExecStatus::Paused
                || d.pointer("/workflowExtendedInfo/pauseInfo")
                    .is_some_and(|p| !p.is_null());
            (id, st, paused)
        }))
    }

    async fn check_inner(&self, v: super::Verify<'_>) -> Result<Check, HttpError> {
        let (req, answer) = (v.req, v.answer);
        match req.kind {
            ActionKind::StopRun | ActionKind::TerminateRun => {
                let wid = req.target.run_id.clone().unwrap_or_default();
                let (want, verb) = if req.kind == ActionKind::StopRun {
                    (ExecStatus::Canceled, "cancel")
                } else {
                    (ExecStatus::Terminated, "terminate")
                };
                let seen = self.read(&wid).await?;
                Ok(check_closed(
                    &wid,
                    &want,
                    verb,
                    seen.as_ref().map(|(id, st, _)| (id.as_str(), st)),
                    answer,
                ))
            }
            ActionKind::PauseWorkflow | ActionKind::ResumeWorkflow => {
                let wtype = req.target.workflow.clone().unwrap_or_default();
                let pause = req.kind == ActionKind::PauseWorkflow;
                // The executions the action was sent to; without its
                // answer, those of the type running or paused now.
                let ids = match answer {
                    Some(a) => a.affected_runs.clone(),
                    None => self.of_type(&wtype, &["Running", "Paused"]).await?,
                };
                if ids.is_empty() {
                    return Ok(Check::NothingToDo(if pause {
                        format!("no running {wtype} execution to pause")
                    } else {
                        format!("no paused {wtype} execution to unpause")
                    }));
                }
                let mut not = Vec::new();
                for id in &ids {
                    match self.read(id).await? {
                        Some((seen, st, paused))
                            if seen == *id && !st.is_closed() && paused == pause => {}
                        Some((_, st, _)) => not.push(format!("{id} ({})", st.as_str())),
                        None => not.push(format!("{id} (not found)")),
                    }
                }
                Ok(if not.is_empty() {
                    Check::Confirmed(format!(
                        "all {} {wtype} execution(s) {}",
                        ids.len(),
                        if pause { "paused" } else { "unpaused" }
                    ))
                } else {
                    Check::NotYet(format!("not yet: {}", not.join(", ")))
                })
            }
            _ => Ok(Check::NotYet("not verifiable here".into())),
        }
    }
}

impl super::Actor for TemporalActor {
    fn act<'a>(&'a self, a: super::Act<'a>) -> super::Acting<'a> {
        Box::pin(async move {
            let super::Act { kind, target, req } = a;
            let answer = |state: &str, affected: Vec<String>, message: String| ActionAnswer {
                kind: kind.as_str().into(),
                state: state.into(),
                affected_runs: affected,
                message,
                ..ActionAnswer::default()
            };
            let (reason, identity, key) = match req {
                Some(r) => (r.reason.clone(), r.actor.clone(), r.key.clone()),
                None => (String::new(), String::new(), String::new()),
            };
            match kind {
                ActionKind::StopRun | ActionKind::TerminateRun => {
                    let wid = target.run_id.clone().unwrap_or_default();
                    let Some((_, st, _)) = self.read(&wid).await? else {
                        return Err(HttpError {
                            message: format!("no workflow {wid}"),
                            status: Some(404),
                            retry_after: None,
                            permanent: true,
                        });
                    };
                    if st.is_closed() {
                        // Nothing to stop: say so rather than send it.
                        return Ok(answer(
                            if req.is_none() { "preview" } else { "applied" },
                            vec![],
                            format!("{wid} already closed as {}: nothing to stop", st.as_str()),
                        ));
                    }
                    if req.is_none() {
                        return Ok(answer(
                            "preview",
                            vec![wid],
                            "would stop this execution".into(),
                        ));
                    }
                    let (path, body) = if kind == ActionKind::StopRun {
                        (
                            "cancel",
                            json!({"reason": reason, "identity": identity, "requestId": key}),
                        )
                    } else {
                        ("terminate", json!({"reason": reason, "identity": identity}))
                    };
                    self.conn.post_execution(&wid, path, body).await?;
                    Ok(answer("pending", vec![wid], format!("{path} requested")))
                }
                ActionKind::PauseWorkflow | ActionKind::ResumeWorkflow => {
                    let wtype = target.workflow.clone().unwrap_or_default();
                    let ids = if kind == ActionKind::PauseWorkflow {
                        self.of_type(&wtype, &["Running"]).await?
                    } else {
                        self.of_type(&wtype, &["Paused"]).await?
                    };
                    if req.is_none() {
                        return Ok(answer(
                            "preview",
                            ids,
                            if kind == ActionKind::PauseWorkflow {
                                format!("would pause every running {wtype}")
                            } else {
                                format!("would unpause every paused {wtype}")
                            },
                        ));
                    }
                    let verb = if kind == ActionKind::PauseWorkflow {
                        "pause"
                    } else {
                        "unpause"
                    };
                    for id in &ids {
                        let r = self
                            .conn
                            .post(
                                &format!("/workflows/{}/{verb}", http::urlencode(id)),
                                json!({"reason": reason, "identity": identity, "requestId": key}),
                            )
                            .await;
                        if let Err(e) = r {
                            let off = e.message.contains("not enabled");
                            return Err(HttpError {
                                message: if off {
                                    format!(
                                        "pause is not enabled on this Temporal namespace ({}); use stop_run (cancel) or terminate_run, or enable workflow pause on the server",
                                        e.message
                                    )
                                } else {
                                    e.message
                                },
                                permanent: off || e.permanent,
                                ..e
                            });
                        }
                    }
                    Ok(answer("pending", ids, format!("{verb} requested")))
                }
                k => Err(HttpError::not_offered("Temporal", k)),
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
