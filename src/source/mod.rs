//! Platforms behind one trait. An adapter turns its platform's API into the
//! common model (sanitized where it enters) and reports each poll to the app
//! as a message; the poll loop here handles pacing, backoff and health.

pub mod aca;
pub mod http;
pub mod langgraph;
pub mod openai_admin;
pub mod otlp;
pub mod spec;
pub mod temporal;

use std::time::Duration;

use futures_util::future::BoxFuture;

pub use http::HttpError;
pub use spec::SourceSpec;

use crate::model::{
    ActionAnswer, ActionKind, ActionRequest, Controls, Event, Run, RunState, Target,
};

/// What one poll brought: changed or new runs, new events (oldest first),
/// and the controls in force if the adapter read them.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    pub runs: Vec<Run>,
    pub events: Vec<Event>,
    pub controls: Option<Controls>,
    pub offered: Option<Vec<ActionKind>>,
    /// Credentials the source can revoke (listed for the palette).
    pub credentials: Vec<String>,
    /// Bytes read from the network for this poll (for cost figures).
    pub bytes: usize,
    /// Events about runs another source holds (an OTLP span naming a
    /// Temporal workflow), filed under that source's run.
    pub linked: Vec<Linked>,
}

/// An event for a run of `source` seen by another source.
#[derive(Debug, Clone, PartialEq)]
pub struct Linked {
    pub source: String,
    pub event: Event,
}

pub trait Source: Send {
    fn name(&self) -> &str;
    /// One incremental poll: only what changed since the last one.
    fn poll(&mut self) -> BoxFuture<'_, Result<Batch, HttpError>>;
    /// Sources that stream (LangGraph's run stream) ring this when
    /// something happened, so the next poll comes at once, not at the
    /// interval.
    fn waker(&self) -> Option<std::sync::Arc<tokio::sync::Notify>> {
        None
    }
    /// Some reads of the last poll failed though it delivered what the rest
    /// gave (a thread's history timed out): said once, then cleared. The
    /// loop reports it as a failure without the backoff of a source that
    /// does not answer at all; the failed reads are retried next poll.
    fn partial_error(&mut self) -> Option<HttpError> {
        None
    }
    /// A reopened incident had this source caught up as of `since`: read
    /// what changed from then (runs that started and ended, or were in
    /// flight, while no console ran), not only from now. Sources that
    /// read from a cursor of their own from the start need nothing.
    fn resume_from(&mut self, _since: crate::model::Time) {}
    /// Every active run, for `cordon runs` (scripts): only the listing,
    /// not the timeline. By default, one poll's runs.
    fn list_active(&mut self) -> BoxFuture<'_, Result<Vec<Run>, HttpError>> {
        Box::pin(async move {
            let b = self.poll().await?;
            Ok(b.runs.into_iter().filter(|r| r.state.is_active()).collect())
        })
    }
    /// Sources that are sent their data (the OTLP receiver) rather than
    /// asking for it: the console drives them with [`listen_loop`], whose
    /// bounded channel makes a console that falls behind felt by the
    /// senders (as 503) instead of growing memory.
    fn listens(&self) -> bool {
        false
    }
}

/// What the poll loop tells the app.
// Moved once per poll (and boxed in the app's `Msg`): the size of a batch
// in the enum costs nothing worth an indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum SourceMsg {
    Polled {
        source: String,
        batch: Batch,
    },
    Failed {
        source: String,
        error: String,
        retry_in: Duration,
    },
}

/// Check a spec's URL parameters (unknown ones, unset key variables)
/// before anything opens, so a bad source is refused at start in one line.
pub fn check(spec: &SourceSpec) -> Result<(), String> {
    match spec.kind.as_str() {
        "langgraph" => langgraph::check(&spec.url),
        "temporal" => temporal::check(&spec.url),
        _ => Ok(()),
    }
}

/// Build an adapter's polling side and acting side from a spec; they may
/// share what the poller learns (LangGraph: each run's thread).
#[allow(clippy::type_complexity)]
pub fn build_pair(
    spec: &SourceSpec,
    client: reqwest::Client,
) -> Result<(Box<dyn Source>, std::sync::Arc<dyn Actor>), String> {
    use std::sync::Arc;
    match spec.kind.as_str() {
        "aca" => Ok((
            Box::new(aca::Aca::new(&spec.name, &spec.url, client.clone())),
            Arc::new(aca::AcaActor::new(&spec.name, &spec.url, client)),
        )),
        "langgraph" => {
            check(spec)?;
            let shared = Arc::new(std::sync::Mutex::new(langgraph::Shared::default()));
            Ok((
                Box::new(langgraph::LangGraph::new(
                    &spec.name,
                    &spec.url,
                    client.clone(),
                    shared.clone(),
                )),
                Arc::new(langgraph::LangGraphActor::new(
                    &spec.name, &spec.url, client, shared,
                )),
            ))
        }
        "openai-admin" => Ok((
            Box::new(openai_admin::OpenAiAdmin::new(
                &spec.name,
                &spec.url,
                client.clone(),
            )),
            Arc::new(openai_admin::OpenAiAdminActor::new(&spec.url, client)),
        )),
        "otlp" => otlp::build_pair(spec),
        "temporal" => {
            check(spec)?;
            Ok((
                Box::new(temporal::Temporal::new(
                    &spec.name,
                    &spec.url,
                    client.clone(),
                )),
                Arc::new(temporal::TemporalActor::new(&spec.name, &spec.url, client)),
            ))
        }
        k => Err(format!("unknown source kind '{k}'")),
    }
}

/// One event from a platform's facts, through the same cleaning as a wire
/// event (`extra`: tool, target, data…).
pub(crate) fn event_of(
    id: String,
    run: &str,
    at: Option<&str>,
    kind: &str,
    summary: String,
    extra: serde_json::Value,
    now: crate::model::Time,
) -> Option<Event> {
    let mut w =
        serde_json::json!({"id": id, "run_id": run, "at": at, "kind": kind, "summary": summary});
    if let (Some(m), serde_json::Value::Object(x)) = (w.as_object_mut(), extra) {
        m.extend(x);
    }
    Event::from_wire_value(&w, now)
}

/// Put `run` in the batch if it differs from what was last reported of it
/// (pollers that re-read runs every poll send only the changes).
pub(crate) fn report_changed(
    reported: &mut std::collections::HashMap<String, Run>,
    batch: &mut Batch,
    run: Run,
) {
    if reported.get(run.id.as_str()) != Some(&run) {
        reported.insert(run.id.to_string(), run.clone());
        batch.runs.retain(|r| r.id != run.id);
        batch.runs.push(run);
    }
}

/// A recorded platform answer (`tests/fixtures/DIR/NAME`), for the
/// adapters' conversion tests.
#[cfg(test)]
pub(crate) fn fixture(dir: &str, name: &str) -> serde_json::Value {
    let p = format!("{}/tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Build an adapter's polling side from a spec.
pub fn build(spec: &SourceSpec, client: reqwest::Client) -> Result<Box<dyn Source>, String> {
    build_pair(spec, client).map(|p| p.0)
}

/// Most events handed to the UI loop in one message, so a huge page is
/// taken in pieces with keys and frames in between.
pub const PIECE: usize = 2_000;

/// Cut a batch into pieces of at most [`PIECE`] events (its own, then
/// linked ones), in order; the first piece carries the runs, controls and
/// the rest, as a whole batch would (runs before their events).
pub fn split(mut batch: Batch) -> Vec<Batch> {
    if batch.events.len() + batch.linked.len() <= PIECE {
        return vec![batch];
    }
    let mut events = std::mem::take(&mut batch.events).into_iter();
    let mut linked = std::mem::take(&mut batch.linked).into_iter();
    let mut out = Vec::new();
    while out.is_empty() || events.len() + linked.len() > 0 {
        let mut piece = if out.is_empty() {
            std::mem::take(&mut batch)
        } else {
            Batch::default()
        };
        piece.events = events.by_ref().take(PIECE).collect();
        piece.linked = linked.by_ref().take(PIECE - piece.events.len()).collect();
        out.push(piece);
    }
    out
}

/// Where a loop hands the app its messages; false once the app is gone.
trait Sink {
    async fn put(&self, m: SourceMsg) -> bool;
}

impl Sink for tokio::sync::mpsc::UnboundedSender<SourceMsg> {
    async fn put(&self, m: SourceMsg) -> bool {
        self.send(m).is_ok()
    }
}

impl Sink for tokio::sync::mpsc::Sender<SourceMsg> {
    /// Waits while the channel is full: the source stops taking.
    async fn put(&self, m: SourceMsg) -> bool {
        self.send(m).await.is_ok()
    }
}

/// Messages a listening source may have waiting for the console: with
/// [`PIECE`] events each, at most 64,000 events in flight.
pub const LISTEN_QUEUE: usize = 32;

/// Poll forever: every `interval` while healthy, with jittered backoff (or
/// the platform's Retry-After) after failures. Stops when the app is gone.
pub async fn poll_loop(
    src: Box<dyn Source>,
    interval: Duration,
    tx: tokio::sync::mpsc::UnboundedSender<SourceMsg>,
) {
    drive(src, interval, tx).await
}

/// [`poll_loop`] for a listening source: the channel is bounded
/// ([`LISTEN_QUEUE`]), so while the console is behind the source is not
/// drained and its receiver tells senders to wait.
pub async fn listen_loop(
    src: Box<dyn Source>,
    interval: Duration,
    tx: tokio::sync::mpsc::Sender<SourceMsg>,
) {
    drive(src, interval, tx).await
}

async fn drive(mut src: Box<dyn Source>, interval: Duration, tx: impl Sink) {
    let mut failures = 0u32;
    let mut rng = fastrand::Rng::new();
    let wake = src.waker();
    loop {
        let wait = match src.poll().await {
            Ok(batch) => {
                failures = 0;
                for batch in split(batch) {
                    let msg = SourceMsg::Polled {
                        source: src.name().to_string(),
                        batch,
                    };
                    if !tx.put(msg).await {
                        return;
                    }
                }
                if let Some(e) = src.partial_error() {
                    let msg = SourceMsg::Failed {
                        source: src.name().to_string(),
                        error: format!("part of the last poll failed (retried now): {}", e.message),
                        retry_in: interval,
                    };
                    if !tx.put(msg).await {
                        return;
                    }
                }
                interval
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let wait = e
                    .retry_after
                    .unwrap_or_else(|| http::backoff(failures, &mut rng));
                let msg = SourceMsg::Failed {
                    source: src.name().to_string(),
                    error: e.message,
                    retry_in: wait,
                };
                if !tx.put(msg).await {
                    return;
                }
                wait
            }
        };
        match (&wake, failures) {
            // Healthy and streaming: poll at the interval or when woken.
            (Some(w), 0) => {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = w.notified() => {}
                }
            }
            _ => tokio::time::sleep(wait).await,
        }
    }
}

/// What a fresh read says about an action's effect (ACA/1.1 strictness:
/// the read must be of the same object, states are compared exactly, and
/// what cordon does not know proves nothing).
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// The effect is in place on the object asked about; the text says
    /// what was seen.
    Confirmed(String),
    /// A rollback whose every planned write shows in `rollback.reverted`.
    Reverted {
        detail: String,
        reverted: Vec<String>,
    },
    /// A rollback that is over, with some planned writes reverted and the
    /// others failed.
    Partial {
        detail: String,
        reverted: Vec<String>,
    },
    /// Not (yet) proven: the text says what was seen instead (a state
    /// cordon does not know is quoted as it came).
    NotYet(String),
    /// The run had already ended (or ended on its own, not by this
    /// action): nothing to stop.
    AlreadyEnded(String),
    /// A rollback whose plan reverts nothing, or a control that was
    /// already in force before the action was sent.
    NothingToDo(String),
}

impl Check {
    /// What was seen, whatever the verdict.
    pub fn detail(&self) -> &str {
        match self {
            Check::Confirmed(d)
            | Check::NotYet(d)
            | Check::AlreadyEnded(d)
            | Check::NothingToDo(d) => d,
            Check::Reverted { detail, .. } | Check::Partial { detail, .. } => detail,
        }
    }
}

/// What a check weighs besides its fresh read and the platform's answer
/// (ACA/1.1 strictness): an effect in place before the action left is not
/// its effect, and a rollback must prove the plan the commander approved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prior {
    /// The dry run the commander approved (the intent's): its planned
    /// reverts are what a rollback must prove, whatever the real answer
    /// planned.
    pub approved: Option<ActionAnswer>,
    /// A read of the object just before the action left; `None` when
    /// none was made (after a crash) or it failed.
    pub before: Option<Before>,
    /// When the action left (after a crash: when it was decided): a
    /// rollback record older than this is not its record.
    pub since: Option<crate::model::Time>,
}

/// The object an action is about, read just before it was sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Before {
    /// The verdict a check gave then, with no answer yet: `Confirmed`
    /// means the effect was already in place.
    pub check: Check,
    /// The run's rollback record then (ACA/1.1), if it had one.
    pub rollback: Option<RollbackRecord>,
}

/// The platform's clock and cordon's may differ by this much: a rollback
/// record stamped at most this long before the action may still be its.
pub const CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// Weigh a fresh check against the read made just before the action was
/// sent. A stop of a run that had already ended (stopped, succeeded,
/// failed) stopped nothing, whatever the platform's answer lists as
/// affected: ALREADY ENDED, never CONFIRMED. A containment control that
/// was already in force (a class blocked by `*`, a workflow already
/// paused) did nothing new: NOTHING TO DO. What the re-read shows now
/// still counts when it is worse (a run running again stays unproven).
/// Inverses are judged by the state they reach; rollbacks by their record
/// (see [`check_rolled_back`]).
pub fn weigh(kind: ActionKind, before: Option<&Before>, now: Check) -> Check {
    let Some(b) = before else {
        return now;
    };
    let settled = matches!(
        now,
        Check::Confirmed(_) | Check::AlreadyEnded(_) | Check::NothingToDo(_)
    );
    match (kind, &b.check) {
        (ActionKind::StopRun | ActionKind::TerminateRun, Check::AlreadyEnded(d)) if settled => {
            Check::AlreadyEnded(format!("{d} (read just before the action was sent)"))
        }
        (ActionKind::StopRun | ActionKind::TerminateRun, Check::Confirmed(d)) if settled => {
            Check::AlreadyEnded(format!(
                "already ended before the action was sent (the read just before said: {d}): nothing to stop, whatever the platform's answer lists as affected"
            ))
        }
        (k, Check::Confirmed(d)) if k.is_containment() && !k.on_run() && settled => {
            Check::NothingToDo(format!(
                "already in force before the action was sent (the read just before said: {d}); now: {}",
                now.detail()
            ))
        }
        _ => now,
    }
}

/// What the platform says about an Idempotency-Key (ACA/1.1
/// `GET /v1/actions?idempotency_key=K`).
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// It received the action: its answer as it stands now.
    Found(ActionAnswer),
    /// It never received an action under this key.
    NeverReceived,
    /// The platform cannot be asked.
    Unsupported,
}

/// The strict reading of a run after `stop_run` / `terminate_run`:
/// `seen` is the re-read (its id, its state, and the platform's own word
/// for it; `None` when it is not found), `answer` the platform's answer to
/// the action, if it came.
pub fn check_run_stopped(
    asked: &str,
    seen: Option<(&str, &RunState, &str)>,
    answer: Option<&ActionAnswer>,
) -> Check {
    let Some((id, state, word)) = seen else {
        return Check::NotYet(format!("run {asked} not found: no proof of a stop"));
    };
    if id != asked {
        return Check::NotYet(format!(
            "the re-read of run {asked} named run {id}: no proof"
        ));
    }
    match state {
        RunState::Stopped => match answer {
            // The platform says this action affected no run: it was
            // stopped before (by someone, or by an earlier action).
            Some(a) if !a.affected_runs.iter().any(|r| r == asked) => Check::AlreadyEnded(format!(
                "run {asked} was already stopped: nothing to stop (the platform affected no run{})",
                said(a)
            )),
            _ => Check::Confirmed(format!("run {asked} is {word}")),
        },
        RunState::Succeeded | RunState::Failed | RunState::Ended(_) => Check::AlreadyEnded(
            format!("run {asked} ended as {word}, not by this action: nothing to stop"),
        ),
        RunState::Other(raw) => Check::NotYet(format!(
            "run {asked} reports state '{raw}', which cordon does not know: no proof"
        )),
        // Waiting for a human, nothing executing, and the platform says
        // this action affected no run: there was nothing to stop.
        RunState::WaitingReview
            if answer.is_some_and(|a| !a.affected_runs.iter().any(|r| r == asked)) =>
        {
            Check::NothingToDo(format!(
                "run {asked} is {word}: nothing executing to stop{}",
                answer.map(said).unwrap_or_default()
            ))
        }
        _ => Check::NotYet(format!("run {asked} is still {word}")),
    }
}

/// ": '<message>'" when the platform said something.
fn said(a: &ActionAnswer) -> String {
    if a.message.is_empty() {
        String::new()
    } else {
        format!(": '{}'", a.message)
    }
}

/// A run's rollback record (ACA/1.1 `rollback` on the run resource).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct RollbackRecord {
    /// When the platform rolled the run back, as it wrote it.
    #[serde(default)]
    pub at: Option<String>,
    #[serde(default)]
    pub reverted: Vec<String>,
    #[serde(default)]
    pub failed: Vec<RevertFailure>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct RevertFailure {
    #[serde(default)]
    pub event_id: String,
    #[serde(default)]
    pub why: String,
}

/// Why `rec` cannot be this action's record, if it cannot: it is the
/// record the run already had just before the action left, or (with no
/// such read, as after a crash) it is stamped before the action, or not
/// stamped at all.
fn stale_record(asked: &str, rec: &RollbackRecord, prior: &Prior) -> Option<String> {
    let at = rec.at.as_deref().unwrap_or("no time");
    if let Some(b) = &prior.before {
        return (b.rollback.as_ref() == Some(rec)).then(|| {
            format!(
                "run {asked}'s rollback record (at {at}) is the one it had before this action was sent: no proof"
            )
        });
    }
    let since = prior.since?;
    match rec
        .at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    {
        Some(t) if t >= since - CLOCK_SKEW => None,
        Some(_) => Some(format!(
            "run {asked}'s rollback record dates from {at}, before this action: no proof"
        )),
        None => Some(format!(
            "run {asked}'s rollback record carries no readable time ({at}): it cannot be told from an earlier one, no proof"
        )),
    }
}

/// The strict reading of a run after `rollback_run`. What must be proven
/// is every write of the plan the commander approved (the dry run) and
/// every write the platform's answer planned (without either, what the
/// run's record says was attempted): confirmed when each shows in
/// `rollback.reverted` of a record made by this action (see
/// [`stale_record`]); partly done when the rest failed (`failed`) or were
/// dropped from the platform's plan (approved, not in its answer), each
/// named; nothing to roll back when every plan is empty. The run must
/// also no longer be running.
pub fn check_rolled_back(
    asked: &str,
    seen: Option<(&str, &RunState, Option<&RollbackRecord>)>,
    answer: Option<&ActionAnswer>,
    prior: &Prior,
) -> Check {
    let Some((id, state, record)) = seen else {
        return Check::NotYet(format!("run {asked} not found: no proof of a rollback"));
    };
    if id != asked {
        return Check::NotYet(format!(
            "the re-read of run {asked} named run {id}: no proof"
        ));
    }
    fn ids(a: Option<&ActionAnswer>) -> Option<Vec<&str>> {
        a.and_then(|a| a.reverts.as_ref())
            .map(|v| v.iter().map(|r| r.event_id.as_str()).collect())
    }
    let answered = ids(answer);
    let approved = ids(prior.approved.as_ref());
    let mut plan: Option<Vec<&str>> = None;
    for e in approved.iter().chain(answered.iter()).flatten() {
        let p = plan.get_or_insert_with(Vec::new);
        if !p.contains(e) {
            p.push(e);
        }
    }
    if plan.is_none() && (answered.is_some() || approved.is_some()) {
        let cannot = answer.map(|a| a.cannot_revert.len()).unwrap_or(0);
        return Check::NothingToDo(format!(
            "nothing to roll back: the platform's plan reverts no write of run {asked}{}",
            if cannot > 0 {
                format!(" ({cannot} cannot be reverted)")
            } else {
                String::new()
            }
        ));
    }
    if let RunState::Other(raw) = state {
        return Check::NotYet(format!(
            "run {asked} reports state '{raw}', which cordon does not know: no proof"
        ));
    }
    if state.is_active() {
        return Check::NotYet(format!("run {asked} is still {}", state.as_str()));
    }
    let Some(rec) = record else {
        return Check::NotYet(format!("run {asked} shows no rollback record yet"));
    };
    if let Some(why) = stale_record(asked, rec, prior) {
        return Check::NotYet(why);
    }
    let plan: Vec<&str> = plan.unwrap_or_else(|| {
        rec.reverted
            .iter()
            .map(String::as_str)
            .chain(rec.failed.iter().map(|f| f.event_id.as_str()))
            .collect()
    });
    if plan.is_empty() {
        return Check::NothingToDo(format!(
            "nothing to roll back: run {asked}'s rollback record lists no write"
        ));
    }
    let reverted: Vec<String> = plan
        .iter()
        .filter(|e| rec.reverted.iter().any(|r| r == *e))
        .map(|e| e.to_string())
        .collect();
    let failed: Vec<String> = rec
        .failed
        .iter()
        .filter(|f| plan.contains(&f.event_id.as_str()) && !reverted.contains(&f.event_id))
        .map(|f| format!("{} ({})", f.event_id, f.why))
        .collect();
    // Approved, then left out of the plan the platform answered with: it
    // will not be reverted, and the rollback is over once the platform's
    // own plan is.
    let dropped: Vec<String> = match &answered {
        Some(ans) => plan
            .iter()
            .filter(|e| !ans.contains(e) && !reverted.iter().any(|r| r == *e))
            .filter(|e| !rec.failed.iter().any(|f| f.event_id == **e))
            .map(|e| e.to_string())
            .collect(),
        None => vec![],
    };
    let n = plan.len();
    let s = |n: usize| if n == 1 { "" } else { "s" };
    if reverted.len() == n {
        return Check::Reverted {
            detail: format!(
                "run {asked}: all {n} planned write{} reverted ({})",
                s(n),
                list(&reverted)
            ),
            reverted,
        };
    }
    let mut not = Vec::new();
    if !failed.is_empty() {
        not.push(format!("failed: {}", list(&failed)));
    }
    if !dropped.is_empty() {
        not.push(format!(
            "not reverted: {} (approved in the dry run, left out of the platform's plan)",
            list(&dropped)
        ));
    }
    let so_far = format!(
        "run {asked}: {} of {n} planned write{} reverted{}",
        reverted.len(),
        s(n),
        if reverted.is_empty() {
            String::new()
        } else {
            format!(" ({})", list(&reverted))
        }
    );
    let over = reverted.len() + failed.len() + dropped.len() == n;
    // Only failures: partly done (as the platform says); only drops and
    // nothing reverted: not proven that anything happened.
    if over && (!reverted.is_empty() || dropped.is_empty()) {
        Check::Partial {
            detail: format!("{so_far}; {}", not.join("; ")),
            reverted,
        }
    } else if not.is_empty() {
        Check::NotYet(format!("{so_far} so far"))
    } else {
        Check::NotYet(format!("{so_far}; {}", not.join("; ")))
    }
}

/// Up to six ids, then a count.
fn list(ids: &[String]) -> String {
    let mut s = ids.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > 6 {
        s.push_str(&format!(" … +{}", ids.len() - 6));
    }
    s
}

/// What an actor is asked to do: the dry run of `kind` on `target`
/// (`req` is `None`), or the real action `req`.
#[derive(Clone, Copy)]
pub struct Act<'a> {
    pub kind: ActionKind,
    pub target: &'a Target,
    pub req: Option<&'a ActionRequest>,
}

/// What a check weighs: the request; the platform's answer to it, when
/// one came (its `affected_runs` and rollback plan are part of what is
/// checked); what was approved and seen before it left ([`Prior`]).
#[derive(Clone, Copy)]
pub struct Verify<'a> {
    pub req: &'a ActionRequest,
    pub answer: Option<&'a ActionAnswer>,
    pub prior: &'a Prior,
}

/// An actor's answer to an [`Act`], and to a [`Verify`].
pub type Acting<'a> = BoxFuture<'a, Result<ActionAnswer, HttpError>>;
pub type Checking<'a> = BoxFuture<'a, Result<Check, HttpError>>;
/// A drill's canary, where the platform can start one.
pub type Starting<'a> = BoxFuture<'a, Result<Option<Canary>, HttpError>>;

/// The acting side of an adapter: dry runs, actions, and reading back
/// whether an action took effect. Shared (`Arc`) by concurrent actions.
pub trait Actor: Send + Sync {
    /// The dry run and the real action in one function: what is affected
    /// is worked out once, and the dry run answers it where the real run
    /// acts on it, so the preview cannot drift from the action.
    fn act<'a>(&'a self, a: Act<'a>) -> Acting<'a>;
    /// The blast radius, changing nothing.
    fn dry_run(&self, kind: ActionKind, target: Target) -> Acting<'_> {
        Box::pin(async move {
            let target = &target;
            self.act(Act {
                kind,
                target,
                req: None,
            })
            .await
        })
    }
    /// One attempt at the real action (the caller retries with the same key).
    fn send<'a>(&'a self, req: &'a ActionRequest) -> Acting<'a> {
        self.act(Act {
            kind: req.kind,
            target: &req.target,
            req: Some(req),
        })
    }
    /// Read the platform afresh and say whether the effect shows.
    fn check<'a>(&'a self, v: Verify<'a>) -> Checking<'a>;
    /// Read the object just before the action leaves: what its check
    /// says with no answer yet (and, where the platform has one, the
    /// run's rollback record then).
    fn before<'a>(&'a self, req: &'a ActionRequest) -> BoxFuture<'a, Result<Before, HttpError>> {
        Box::pin(async move {
            let prior = Prior::default();
            let check = self
                .check(Verify {
                    req,
                    answer: None,
                    prior: &prior,
                })
                .await?;
            Ok(Before {
                check,
                rollback: None,
            })
        })
    }
    /// Ask what became of the action sent under `req.key`, when its answer
    /// was lost. By default the platform cannot be asked.
    fn lookup<'a>(&'a self, _req: &'a ActionRequest) -> BoxFuture<'a, Result<Lookup, HttpError>> {
        Box::pin(async { Ok(Lookup::Unsupported) })
    }
    /// Start a harmless canary run for a drill, where the platform allows
    /// it (`Ok(None)`: it cannot; the drill then needs a run the operator
    /// names, or does dry runs only).
    fn start_canary<'a>(&'a self, _ask: &'a CanaryAsk) -> Starting<'a> {
        Box::pin(async { Ok(None) })
    }
}

/// A canary a platform started for a drill.
#[derive(Debug, Clone, PartialEq)]
pub struct Canary {
    /// Marked `canary`.
    pub run: Run,
    /// Other names the platform gives the canary's own work in a blast
    /// radius (a Temporal workflow id without its run).
    pub aliases: Vec<String>,
    /// Canary runs started with it (LangGraph: one queued behind it, so a
    /// hold has queued work to cancel): part of the canary's scope, and
    /// stopped at the end of the drill if still going.
    pub with: Vec<String>,
}

impl Canary {
    pub fn of(mut run: Run) -> Canary {
        run.canary = true;
        Canary {
            run,
            aliases: Vec::new(),
            with: Vec::new(),
        }
    }

    /// Is `id` (as a blast radius names it) this canary's own work?
    pub fn owns(&self, id: &str) -> bool {
        self.run.id == id
            || self.aliases.iter().any(|a| a == id)
            || self.with.iter().any(|w| w == id)
    }
}

/// What a drill asks a platform to start as its canary.
#[derive(Debug, Clone, PartialEq)]
pub struct CanaryAsk {
    /// ACA: the canary's workflow and agent class (its own, so every
    /// scoped action touches only it).
    pub workflow: String,
    pub agent_class: String,
    /// Reversible writes it makes, so a rollback can be proven.
    pub writes: u32,
    /// LangGraph: the drill assistant the operator names.
    pub assistant: Option<String>,
    /// Also queue canary work behind it where the platform queues per
    /// run (LangGraph), so a queue hold has something to cancel.
    pub queue_behind: bool,
    /// How long the canary may run by itself at most (a canary the drill
    /// could not stop ends on its own), seconds.
    pub seconds: u32,
    /// Temporal: the drill task queue (and its workflow type).
    pub task_queue: Option<String>,
    pub workflow_type: Option<String>,
}

impl Default for CanaryAsk {
    fn default() -> Self {
        CanaryAsk {
            workflow: "drill".into(),
            agent_class: "drill".into(),
            writes: 2,
            assistant: None,
            queue_behind: false,
            seconds: 300,
            task_queue: None,
            workflow_type: None,
        }
    }
}

/// Build the acting side of an adapter from a spec.
pub fn build_actor(
    spec: &SourceSpec,
    client: reqwest::Client,
) -> Result<std::sync::Arc<dyn Actor>, String> {
    if spec.kind == "otlp" {
        // Its actor only refuses: no receiver is started for it.
        return Ok(otlp::actor(&spec.name));
    }
    build_pair(spec, client).map(|p| p.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PlannedRevert;

    fn plan(ids: &[&str]) -> ActionAnswer {
        ActionAnswer {
            reverts: Some(
                ids.iter()
                    .map(|e| PlannedRevert {
                        event_id: e.to_string(),
                        kind: "db_write".into(),
                        target: format!("db:{e}"),
                    })
                    .collect(),
            ),
            ..ActionAnswer::default()
        }
    }

    fn record(at: Option<&str>, reverted: &[&str]) -> RollbackRecord {
        RollbackRecord {
            at: at.map(str::to_string),
            reverted: reverted.iter().map(|e| e.to_string()).collect(),
            failed: vec![],
        }
    }

    fn rolled(rec: &RollbackRecord, answer: Option<&ActionAnswer>, prior: &Prior) -> Check {
        check_rolled_back(
            "run_1",
            Some(("run_1", &RunState::Succeeded, Some(rec))),
            answer,
            prior,
        )
    }

    fn since(s: &str) -> Option<crate::model::Time> {
        Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().into())
    }

    /// After a crash no read before the action survives: a record counts
    /// only if stamped after the action was decided (30 s of clock skew
    /// allowed), never one without a readable time.
    #[test]
    fn after_a_crash_a_rollback_record_must_be_newer_than_the_action() {
        let prior = Prior {
            approved: Some(plan(&["evt_1"])),
            before: None,
            since: since("2026-12-01T10:00:00Z"),
        };
        for (at, proves) in [
            (Some("2020-01-01T00:00:00Z"), false),
            (Some("2026-12-01T09:59:00Z"), false),
            (Some("2026-12-01T09:59:45Z"), true),
            (Some("2026-12-01T10:00:03+01:00"), false),
            (Some("2026-12-01T10:00:03Z"), true),
            (Some("yesterday"), false),
            (None, false),
        ] {
            let c = rolled(&record(at, &["evt_1"]), None, &prior);
            assert_eq!(matches!(c, Check::Reverted { .. }), proves, "{at:?}: {c:?}");
        }
    }

    /// With a read before the action, the record must differ from the one
    /// the run had then; its time does not matter.
    #[test]
    fn a_rollback_record_unchanged_since_before_the_action_proves_nothing() {
        let old = record(Some("2020-01-01T00:00:00Z"), &["evt_1", "evt_2"]);
        let prior = |rb: Option<RollbackRecord>| Prior {
            approved: Some(plan(&["evt_1", "evt_2"])),
            before: Some(Before {
                check: Check::NotYet("read".into()),
                rollback: rb,
            }),
            since: since("2026-12-01T10:00:00Z"),
        };
        let c = rolled(
            &old,
            Some(&plan(&["evt_1", "evt_2"])),
            &prior(Some(old.clone())),
        );
        assert!(
            matches!(&c, Check::NotYet(d) if d.contains("the one it had before")),
            "{c:?}"
        );
        // The run had no record before: this one is the action's.
        let c = rolled(&old, Some(&plan(&["evt_1", "evt_2"])), &prior(None));
        assert!(matches!(c, Check::Reverted { .. }), "{c:?}");
    }

    /// The plan the commander approved is what must be proven: a write the
    /// real answer left out is named as not reverted (partly done once the
    /// platform's own plan is over); nothing reverted at all is no proof.
    #[test]
    fn a_write_dropped_from_the_approved_plan_is_named() {
        let prior = Prior {
            approved: Some(plan(&["evt_1", "evt_2"])),
            before: None,
            since: None,
        };
        let c = rolled(&record(None, &["evt_1"]), Some(&plan(&["evt_1"])), &prior);
        match c {
            Check::Partial { detail, reverted } => {
                assert_eq!(reverted, vec!["evt_1".to_string()]);
                assert!(
                    detail.contains("1 of 2 planned writes reverted"),
                    "{detail}"
                );
                assert!(detail.contains("not reverted: evt_2"), "{detail}");
            }
            c => panic!("{c:?}"),
        }
        // The answer's own plan not yet done: not over.
        let c = rolled(&record(None, &[]), Some(&plan(&["evt_1"])), &prior);
        assert!(matches!(c, Check::NotYet(_)), "{c:?}");
        // An empty real plan after an approved one: not "nothing to do".
        let c = rolled(&record(None, &[]), Some(&plan(&[])), &prior);
        assert!(
            matches!(&c, Check::NotYet(d) if d.contains("0 of 2") && d.contains("evt_1, evt_2")),
            "{c:?}"
        );
    }

    fn before(c: Check) -> Before {
        Before {
            check: c,
            rollback: None,
        }
    }

    /// A stop of a run that had already ended before the action left is
    /// ALREADY ENDED whatever the re-read now says; a containment control
    /// already in force is NOTHING TO DO; a worse re-read stays unproven;
    /// inverses are judged on the state they reach.
    #[test]
    fn the_read_before_the_action_decides_what_was_already_so() {
        use ActionKind::*;
        let stopped = Check::Confirmed("run run_1 is stopped".into());
        for kind in [StopRun, TerminateRun] {
            let c = weigh(kind, Some(&before(stopped.clone())), stopped.clone());
            assert!(
                matches!(&c, Check::AlreadyEnded(d) if d.contains("before the action was sent")),
                "{c:?}"
            );
        }
        let ended = Check::AlreadyEnded("run run_1 ended as succeeded".into());
        assert!(matches!(
            weigh(StopRun, Some(&before(ended)), stopped.clone()),
            Check::AlreadyEnded(_)
        ));
        let running = Check::NotYet("run run_1 is still running".into());
        assert_eq!(
            weigh(StopRun, Some(&before(stopped.clone())), running.clone()),
            running
        );
        assert_eq!(
            weigh(StopRun, Some(&before(running.clone())), stopped.clone()),
            stopped
        );
        assert_eq!(weigh(StopRun, None, stopped.clone()), stopped);
        let blocked = Check::Confirmed("outbound for drafter blocked".into());
        assert!(matches!(
            weigh(BlockOutbound, Some(&before(blocked.clone())), blocked.clone()),
            Check::NothingToDo(d) if d.contains("already in force")
        ));
        let unblocked = Check::Confirmed("outbound for drafter unblocked".into());
        assert_eq!(
            weigh(
                UnblockOutbound,
                Some(&before(unblocked.clone())),
                unblocked.clone()
            ),
            unblocked
        );
    }

    /// The same rule holds for Temporal: an execution already canceled
    /// before the cancel left (its answer lost, so nothing says it was
    /// not affected) is ALREADY ENDED, not CONFIRMED.
    #[test]
    fn a_temporal_execution_canceled_before_the_cancel_is_already_ended() {
        use temporal::{ExecStatus, check_closed};
        let canceled = ExecStatus::Canceled;
        let seen = Some(("wf-1", &canceled));
        let then = check_closed("wf-1", &ExecStatus::Canceled, "cancel", seen, None);
        assert!(matches!(then, Check::Confirmed(_)), "{then:?}");
        let now = check_closed("wf-1", &ExecStatus::Canceled, "cancel", seen, None);
        assert!(matches!(
            weigh(ActionKind::StopRun, Some(&before(then)), now),
            Check::AlreadyEnded(_)
        ));
    }
}
