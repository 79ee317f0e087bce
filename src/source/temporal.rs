//! Temporal adapter, over the Temporal HTTP API
//! (`/api/v1/namespaces/{ns}/...`).
//!
//! Runs: running workflow executions by visibility query, paged; the
//! workflow type is the "workflow", the task queue (or the type, with
//! `class=type`) the agent class. Timeline: each running execution's
//! history, only events not seen before (by event id). Containment:
//! `stop_run` = cancel (graceful: the workflow's own code cleans up),
//! `terminate_run` = terminate (hard), `pause_workflow`/`resume_workflow`
//! = pause/unpause every running execution of the type, where the server
//! has pause enabled (it says clearly when it has not).

use std::collections::HashMap;

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::http::{self, HttpError};
use super::{Batch, Check};
use crate::model::{
    ActionAnswer, ActionKind, ActionRequest, Event, Run, RunState, RunStats, Target,
};
use crate::sanitize;

#[derive(Clone)]
pub struct Conn {
    api: String,
    client: reqwest::Client,
    class_by_type: bool,
}

impl Conn {
    /// `URL[?namespace=NS&class=queue|type]`.
    pub fn new(url: &str, client: reqwest::Client) -> Conn {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut ns = "default".to_string();
        let mut class_by_type = false;
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            match kv.split_once('=') {
                Some(("namespace", v)) => ns = v.to_string(),
                Some(("class", v)) => class_by_type = v == "type",
                _ => {}
            }
        }
        Conn {
            api: format!("{}/api/v1/namespaces/{ns}", base.trim_end_matches('/')),
            client,
            class_by_type,
        }
    }

    async fn get(&self, path: &str, bytes: &mut usize) -> Result<Value, HttpError> {
        let (_, body) = http::send(self.client.get(format!("{}{path}", self.api))).await?;
        *bytes += body.len();
        http::json(&body)
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, HttpError> {
        let (_, b) =
            http::send(self.client.post(format!("{}{path}", self.api)).json(&body)).await?;
        Ok(serde_json::from_slice(&b).unwrap_or(Value::Null))
    }

    /// Every running execution, all pages. The server caps a page at
    /// 1,000 and hands a token whenever a page is full, even when nothing
    /// follows; so the count is asked alongside the first page, and when
    /// that page already holds them all there is no second round trip (a
    /// listing is a snapshot: as of that moment it is complete).
    pub async fn running(&self, bytes: &mut usize) -> Result<Vec<Value>, HttpError> {
        let q = http::urlencode("ExecutionStatus=\"Running\"");
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

    async fn describe(&self, id: &str) -> Result<Option<Value>, HttpError> {
        let mut b = 0;
        match self
            .get(&format!("/workflows/{}", http::urlencode(id)), &mut b)
            .await
        {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn to_run(&self, source: &str, v: &Value) -> Option<Run> {
        let s = |p: &str| {
            v.pointer(p)
                .and_then(|x| x.as_str())
                .map(|x| sanitize::line(x, 256))
        };
        let wtype = s("/type/name").unwrap_or_default();
        let queue = s("/taskQueue").unwrap_or_default();
        let t = |p: &str| {
            s(p).and_then(|x| chrono::DateTime::parse_from_rfc3339(&x).ok())
                .map(|d| d.with_timezone(&chrono::Utc))
        };
        Some(Run {
            source: source.into(),
            id: s("/execution/workflowId")?.into(),
            agent: s("/execution/runId")
                .map(|r| format!("run {}", &r[..r.len().min(8)]))
                .unwrap_or_default()
                .into(),
            agent_class: if self.class_by_type {
                wtype.clone().into()
            } else {
                queue.into()
            },
            workflow: wtype.into(),
            state: status(&s("/status").unwrap_or_default()),
            started_at: t("/startTime"),
            updated_at: t("/closeTime").or(t("/executionTime")),
            assignment: String::new(),
            requested_by: String::new().into(),
            tools: vec![],
            credentials: vec![],
            stats: RunStats::default(),
        })
    }
}

fn status(s: &str) -> RunState {
    match s.trim_start_matches("WORKFLOW_EXECUTION_STATUS_") {
        "RUNNING" => RunState::Running,
        "COMPLETED" => RunState::Succeeded,
        "FAILED" | "TIMED_OUT" => RunState::Failed,
        "CANCELED" => RunState::Stopped,
        "TERMINATED" => RunState::Other("terminated".into()),
        "PAUSED" => RunState::Paused,
        o => RunState::Other(o.to_lowercase()),
    }
}

pub struct Temporal {
    name: String,
    conn: Conn,
    /// Highest history event id turned into events, per workflow id.
    seen: HashMap<String, i64>,
    active: Vec<String>,
    info_sent: bool,
}

impl Temporal {
    pub fn new(name: &str, url: &str, client: reqwest::Client) -> Temporal {
        Temporal {
            name: name.into(),
            conn: Conn::new(url, client),
            seen: HashMap::new(),
            active: vec![],
            info_sent: false,
        }
    }

    fn map_event(&self, wid: &str, e: &Value) -> Option<Event> {
        let id = e.get("eventId").and_then(|x| {
            x.as_str()
                .map(String::from)
                .or_else(|| x.as_i64().map(|n| n.to_string()))
        })?;
        let ty = e
            .get("eventType")
            .and_then(|x| x.as_str())
            .unwrap_or("")
            .trim_start_matches("EVENT_TYPE_")
            .to_string();
        let at = e.get("eventTime").cloned().unwrap_or(Value::Null);
        let attr = |k: &str| e.get(k).cloned().unwrap_or(Value::Null);
        let (kind, summary, tool) = match ty.as_str() {
            "WORKFLOW_EXECUTION_STARTED" => {
                let a = attr("workflowExecutionStartedEventAttributes");
                (
                    "assignment",
                    format!(
                        "started {} on {}",
                        a.pointer("/workflowType/name")
                            .and_then(|x| x.as_str())
                            .unwrap_or("?"),
                        a.pointer("/taskQueue/name")
                            .and_then(|x| x.as_str())
                            .unwrap_or("?")
                    ),
                    None,
                )
            }
            "ACTIVITY_TASK_SCHEDULED" => {
                let a = attr("activityTaskScheduledEventAttributes");
                let name = a
                    .pointer("/activityType/name")
                    .and_then(|x| x.as_str())
                    .unwrap_or("activity")
                    .to_string();
                ("tool_call", format!("{name} scheduled"), Some(name))
            }
            "ACTIVITY_TASK_STARTED" => {
                let a = attr("activityTaskStartedEventAttributes");
                let attempt = a.get("attempt").and_then(|x| x.as_i64()).unwrap_or(1);
                if attempt > 1 {
                    ("retry", format!("activity attempt {attempt}"), None)
                } else {
                    return None;
                }
            }
            "ACTIVITY_TASK_COMPLETED" => ("tool_result", "activity completed".to_string(), None),
            "ACTIVITY_TASK_FAILED" | "ACTIVITY_TASK_TIMED_OUT" => {
                let msg = e
                    .pointer("/activityTaskFailedEventAttributes/failure/message")
                    .and_then(|x| x.as_str())
                    .unwrap_or("failed");
                (
                    "error",
                    format!("activity {}: {msg}", ty.to_lowercase().replace('_', " ")),
                    None,
                )
            }
            "WORKFLOW_EXECUTION_SIGNALED" => {
                let name = e
                    .pointer("/workflowExecutionSignaledEventAttributes/signalName")
                    .and_then(|x| x.as_str())
                    .unwrap_or("signal");
                ("human_intervention", format!("signal {name}"), None)
            }
            "WORKFLOW_EXECUTION_CANCEL_REQUESTED"
            | "WORKFLOW_EXECUTION_TERMINATED"
            | "WORKFLOW_EXECUTION_CANCELED" => {
                ("containment", ty.to_lowercase().replace('_', " "), None)
            }
            "WORKFLOW_TASK_SCHEDULED"
            | "WORKFLOW_TASK_STARTED"
            | "WORKFLOW_TASK_COMPLETED"
            | "TIMER_STARTED"
            | "TIMER_FIRED" => return None,
            other => ("state_change", other.to_lowercase().replace('_', " "), None),
        };
        let w = json!({"id": format!("{wid}#{id}"), "run_id": wid, "at": at, "kind": kind, "summary": summary, "tool": tool,
            "outbound": tool.as_deref().is_some_and(|t: &str| t.contains("send") || t.contains("email"))});
        Event::from_wire_value(&w, chrono::Utc::now())
    }

    async fn history(&mut self, wid: &str, bytes: &mut usize) -> Result<Vec<Event>, HttpError> {
        let v = self
            .conn
            .get(
                &format!("/workflows/{}/history", http::urlencode(wid)),
                bytes,
            )
            .await?;
        let last = self.seen.get(wid).copied().unwrap_or(0);
        let mut out = Vec::new();
        let mut max = last;
        for e in v
            .pointer("/history/events")
            .and_then(|x| x.as_array())
            .cloned()
            .unwrap_or_default()
        {
            let n = e
                .get("eventId")
                .and_then(|x| {
                    x.as_str()
                        .and_then(|s| s.parse().ok())
                        .or_else(|| x.as_i64())
                })
                .unwrap_or(0);
            if n <= last {
                continue;
            }
            max = max.max(n);
            out.extend(self.map_event(wid, &e));
        }
        self.seen.insert(wid.to_string(), max);
        Ok(out)
    }

    async fn poll_once(&mut self) -> Result<Batch, HttpError> {
        let mut b = Batch::default();
        let mut bytes = 0;
        if !self.info_sent {
            self.conn.get("", &mut bytes).await?;
            b.offered = Some(vec![
                ActionKind::StopRun,
                ActionKind::TerminateRun,
                ActionKind::PauseWorkflow,
                ActionKind::ResumeWorkflow,
            ]);
            self.info_sent = true;
        }
        let running = self.conn.running(&mut bytes).await?;
        let mut now_active = Vec::new();
        for v in &running {
            if let Some(r) = self.conn.to_run(&self.name, v) {
                now_active.push(r.id.to_string());
                b.runs.push(r);
            }
        }
        let gone: Vec<String> = self
            .active
            .iter()
            .filter(|w| !now_active.contains(w))
            .cloned()
            .collect();
        for w in &gone {
            if let Some(d) = self.conn.describe(w).await? {
                let info = d
                    .get("workflowExecutionInfo")
                    .cloned()
                    .unwrap_or(Value::Null);
                b.runs.extend(self.conn.to_run(&self.name, &info));
            }
        }
        for w in now_active.iter().chain(gone.iter()) {
            b.events.extend(self.history(w, &mut bytes).await?);
        }
        self.active = now_active;
        b.bytes = bytes;
        Ok(b)
    }
}

impl super::Source for Temporal {
    fn name(&self) -> &str {
        &self.name
    }
    fn poll(&mut self) -> BoxFuture<'_, Result<Batch, HttpError>> {
        Box::pin(self.poll_once())
    }
    /// One visibility query (paged), no histories.
    fn list_active(&mut self) -> BoxFuture<'_, Result<Vec<crate::model::Run>, HttpError>> {
        Box::pin(async move {
            let mut bytes = 0;
            let execs = self.conn.running(&mut bytes).await?;
            Ok(execs
                .iter()
                .filter_map(|v| self.conn.to_run(&self.name, v))
                .collect())
        })
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

    async fn of_type(&self, wtype: &str) -> Result<Vec<String>, HttpError> {
        let mut b = 0;
        Ok(self
            .conn
            .running(&mut b)
            .await?
            .iter()
            .filter(|v| v.pointer("/type/name").and_then(|x| x.as_str()) == Some(wtype))
            .filter_map(|v| {
                v.pointer("/execution/workflowId")
                    .and_then(|x| x.as_str())
                    .map(String::from)
            })
            .collect())
    }

    /// A fresh describe: the workflow id it names, its status, and whether
    /// it is paused (status or pause info).
    async fn read(&self, wid: &str) -> Result<Option<(String, ExecStatus, bool)>, HttpError> {
        Ok(self.conn.describe(wid).await?.map(|d| {
            let id = d
                .pointer("/workflowExecutionInfo/execution/workflowId")
                .and_then(|x| x.as_str())
                .map(|x| sanitize::line(x, 256))
                .unwrap_or_default();
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

    async fn act(
        &self,
        req: Option<&ActionRequest>,
        kind: ActionKind,
        target: &Target,
    ) -> Result<ActionAnswer, HttpError> {
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
                self.conn
                    .post(
                        &format!("/workflows/{}/{path}", http::urlencode(&wid)),
                        body,
                    )
                    .await?;
                Ok(answer("pending", vec![wid], format!("{path} requested")))
            }
            ActionKind::PauseWorkflow | ActionKind::ResumeWorkflow => {
                let wtype = target.workflow.clone().unwrap_or_default();
                let ids = self.of_type(&wtype).await?;
                if req.is_none() {
                    return Ok(answer(
                        "preview",
                        ids,
                        format!(
                            "would {} every running {wtype}",
                            if kind == ActionKind::PauseWorkflow {
                                "pause"
                            } else {
                                "unpause"
                            }
                        ),
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
            k => Err(HttpError {
                message: format!("Temporal does not offer {}", k.as_str()),
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
                // answer, those of the type running now.
                let ids = match answer {
                    Some(a) => a.affected_runs.clone(),
                    None => self.of_type(&wtype).await?,
                };
                if ids.is_empty() {
                    return Ok(Check::NothingToDo(format!(
                        "no running {wtype} execution to {}",
                        if pause { "pause" } else { "unpause" }
                    )));
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
    fn name(&self) -> &str {
        &self.name
    }
    fn dry_run(
        &self,
        kind: ActionKind,
        target: Target,
    ) -> BoxFuture<'_, Result<ActionAnswer, HttpError>> {
        Box::pin(async move { self.act(None, kind, &target).await })
    }
    fn send<'a>(
        &'a self,
        req: &'a ActionRequest,
    ) -> BoxFuture<'a, Result<ActionAnswer, HttpError>> {
        Box::pin(self.act(Some(req), req.kind, &req.target))
    }
    fn check<'a>(
        &'a self,
        req: &'a ActionRequest,
        answer: Option<&'a ActionAnswer>,
    ) -> BoxFuture<'a, Result<Check, HttpError>> {
        Box::pin(self.check_inner(req, answer))
    }
}
