//! `cordon drill`: every action each source offers, tried on a canary
//! before the incident — preview, the real action scoped to the canary,
//! its confirmation by the same strict re-read the console uses (the
//! executor in `contain::exec`), the inverse and its confirmation, each
//! timed — journaled like an incident and told as a readiness report.

mod canary;
pub mod report;

use std::sync::Arc;
use std::time::Instant;

use canary::{Canaries, Starter, journal_batch};

use crate::contain::{ActionMsg, Policy, exec};
use crate::journal::{JournalHandle, Operator, Record};
use crate::model::{ActionAnswer, ActionKind, ActionPhase, ActionRequest, Run, Target};
use crate::source::{Actor, Canary, CanaryAsk, SourceSpec};

/// What the drill is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// A run the operator names as the canary (used where the platform
    /// cannot start one).
    pub canary: Option<String>,
    pub ask: CanaryAsk,
    /// Act on kinds whose scope reaches beyond the canary (else: dry run).
    pub include_global: bool,
    pub policy: Policy,
    pub operator: Operator,
    /// Incident id, used in the reasons sent.
    pub incident: String,
}

/// Whether the configured credential may use a kind.
#[derive(Debug, Clone, PartialEq)]
pub enum May {
    /// It acted (whatever the effect).
    Yes,
    /// The platform said 401/403: a finding about who can act, not a
    /// failure of the drill.
    No(String),
    /// Not tried for real.
    Unknown,
}

/// One real action of the drill and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Tried {
    pub id: String,
    pub kind: ActionKind,
    pub target: Target,
    pub phase: ActionPhase,
    /// From sending to the verdict, seconds.
    pub secs: f64,
    pub detail: String,
    /// The HTTP status of a refusal.
    pub status: Option<u16>,
}

impl Tried {
    pub fn confirmed(&self) -> bool {
        self.phase.is_verified_effect()
    }
    fn forbidden(&self) -> bool {
        self.phase == ActionPhase::Refused && matches!(self.status, Some(401 | 403))
    }
    /// Refused as not implemented by this server (HTTP 501).
    fn unimplemented(&self) -> bool {
        self.phase == ActionPhase::Refused && self.status == Some(501)
    }
}

/// One kind on one source.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: ActionKind,
    pub target: Option<Target>,
    /// The dry run: the runs it would affect, or why it failed; `None`:
    /// not previewed (nothing to scope it to).
    pub preview: Option<Result<Vec<String>, String>>,
    pub preview_secs: f64,
    /// Why it was only previewed (global scope, no canary…).
    pub dry_only: Option<String>,
    pub action: Option<Tried>,
    pub inverse: Option<Tried>,
    pub may: May,
    /// A rollback's own proof: the canary's writes that were planned and
    /// whether a fresh dry run afterwards still plans any.
    pub rollback: Option<String>,
    /// The platform offers the kind but this server does not have it
    /// (it answered 501): what it said.
    pub unavailable: Option<String>,
}

impl Row {
    /// Offered and tried, but not proven (the drill fails on it).
    pub fn failed(&self) -> bool {
        if matches!(self.may, May::No(_)) || self.unavailable.is_some() {
            return false;
        }
        // A dry run that failed (for another reason than who may act).
        if matches!(self.preview, Some(Err(_))) {
            return true;
        }
        // Offered, but there was nothing to try it on: not proven.
        if self.action.is_none() && !self.global() {
            return true;
        }
        let bad = |t: &Option<Tried>| t.as_ref().is_some_and(|t| !t.confirmed() && !t.forbidden());
        bad(&self.action) || bad(&self.inverse) || self.rollback_failed()
    }

    /// Previewed only because its scope reaches beyond the canary (by
    /// design, without --include-global).
    pub fn global(&self) -> bool {
        self.dry_only
            .as_deref()
            .is_some_and(|d| d.contains("--include-global"))
    }

    fn rollback_failed(&self) -> bool {
        self.rollback
            .as_deref()
            .is_some_and(|r| r.starts_with("NOT REVERTED"))
    }
}

/// One source's drill.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDrill {
    pub name: String,
    pub kind: String,
    pub url: String,
    /// Which credential (never its value) the source is configured with.
    pub credential: String,
    /// The canary and where it came from; `Err`: why there is none.
    pub canary: Result<(Run, String), String>,
    pub offered: Vec<ActionKind>,
    pub rows: Vec<Row>,
    /// The source could not be read at all.
    pub error: Option<String>,
    pub notes: Vec<String>,
    /// What each kind tried here does not prove, in the platform's terms.
    pub limits: Vec<(ActionKind, String)>,
}

/// The whole drill, for the readiness report.
#[derive(Debug, Clone, PartialEq)]
pub struct Drill {
    pub incident: String,
    pub started: crate::model::Time,
    pub operator: String,
    pub include_global: bool,
    pub sources: Vec<SourceDrill>,
}

impl Drill {
    /// Offered actions that could not be confirmed (and sources that could
    /// not be read): the drill failed.
    pub fn failures(&self) -> usize {
        self.sources
            .iter()
            .map(|s| s.rows.iter().filter(|r| r.failed()).count() + s.error.is_some() as usize)
            .sum()
    }
}

/// The order kinds are drilled in: what can be undone first (the canary
/// keeps running), then what cannot, the run-ending kinds last, and the
/// rollback after the stop (it works on an ended run's writes).
const ORDER: [ActionKind; 8] = [
    ActionKind::PauseWorkflow,
    ActionKind::HoldQueue,
    ActionKind::RevokeTool,
    ActionKind::BlockOutbound,
    ActionKind::RevokeCredential,
    ActionKind::TerminateRun,
    ActionKind::StopRun,
    ActionKind::RollbackRun,
];

/// The target of `kind` scoped to the canary; `Err` says why it cannot be.
pub fn scoped(kind: ActionKind, c: &Run) -> Result<Target, String> {
    use ActionKind::*;
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let t = match kind {
        StopRun | TerminateRun | RollbackRun => Target::run(c.id.to_string()),
        PauseWorkflow | ResumeWorkflow | HoldQueue | ReleaseQueue => Target::workflow(
            nonempty(&c.workflow).ok_or("the canary names no workflow to scope to")?,
        ),
        RevokeTool | RestoreTool => Target::tool(
            nonempty(&c.agent_class).ok_or("the canary names no agent class to scope to")?,
            c.tools
                .first()
                .map(|t| t.to_string())
                .ok_or("the canary holds no tool to revoke")?,
        ),
        RevokeCredential => Target::credential(
            c.credentials
                .first()
                .map(|t| t.to_string())
                .ok_or("the canary holds no credential to revoke")?,
        ),
        BlockOutbound | UnblockOutbound => Target::agent_class(
            nonempty(&c.agent_class).ok_or("the canary names no agent class to scope to")?,
        ),
    };
    Ok(t)
}

/// Which credential a spec carries, by where it is read from (never the
/// value).
pub fn credential_of(spec: &SourceSpec) -> String {
    let query = spec.url.split_once('?').map(|q| q.1).unwrap_or("");
    let found: Vec<String> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| k.contains("token") || k.contains("key"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if found.is_empty() {
        "no token configured".into()
    } else {
        format!("token from {}", found.join(", "))
    }
}

/// Drill one source: read it (what it offers), get a canary, then every
/// offered kind. Everything real is journaled through `journal`.
pub async fn drill_source(
    spec: &SourceSpec,
    opts: &Options,
    journal: &JournalHandle,
    seq: &mut u32,
) -> SourceDrill {
    let mut out = SourceDrill {
        name: spec.name.clone(),
        kind: spec.kind.clone(),
        url: spec.shown_url(),
        credential: credential_of(spec),
        canary: Err("not started".into()),
        offered: Vec::new(),
        rows: Vec::new(),
        error: None,
        notes: Vec::new(),
        limits: Vec::new(),
    };
    let (mut src, actor) = match crate::source::build_pair(spec, crate::source::http::client()) {
        Ok(p) => p,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    let mut first = match src.poll().await {
        Ok(b) => b,
        Err(e) => {
            out.error = Some(format!("cannot read the source: {e}"));
            return out;
        }
    };
    out.offered = first.offered.clone().unwrap_or_default();
    let offered = out.offered.clone();
    let seen = std::mem::take(&mut first.runs);
    let mut cs = Canaries::default();
    for run in &seen {
        journal.append(Record::Run { run: run.clone() });
    }
    journal_batch(journal, &spec.name, first, &cs);
    // The first canary carries queued work behind it where a hold needs
    // some to act on; the fresh ones for run-ending kinds do not.
    let ask = CanaryAsk {
        queue_behind: offered.contains(&ActionKind::HoldQueue),
        ..opts.ask.clone()
    };
    let fresh_ask = opts.ask.clone();
    let mut starter = Starter {
        src: &mut *src,
        actor: &*actor,
        opts,
        journal,
        source: &spec.name,
    };
    out.canary = starter.first(&ask, seen, &mut cs).await;
    if let Err(e) = &out.canary
        && e.starts_with("may not")
    {
        out.notes.push(e.clone());
    }
    for kind in ORDER.into_iter().filter(|k| offered.contains(k)) {
        // A run-ending kind needs a run still going: after an earlier
        // one ended the canary, a fresh canary (where the platform starts
        // them). A rollback works on an ended run's writes where the
        // platform plans some (ACA); where it plans none (LangGraph rolls
        // back only an active run), it too needs a fresh one.
        let needs_fresh = match kind {
            ActionKind::StopRun | ActionKind::TerminateRun => cs.current_ended(),
            ActionKind::RollbackRun => {
                cs.current_ended() && plans_nothing(&actor, cs.current()).await
            }
            _ => false,
        };
        let mut refused_fresh = None;
        if needs_fresh {
            let was = cs
                .current()
                .map(|c| c.run.id.to_string())
                .unwrap_or_default();
            match starter.fresh(&fresh_ask, &mut cs).await {
                Ok(r) => out.notes.push(format!(
                    "{} was drilled on a fresh canary, run {} (the drill had ended run {was})",
                    kind.as_str(),
                    r.id
                )),
                Err(e) => refused_fresh = Some(e),
            }
        }
        let canary = match (&refused_fresh, cs.current()) {
            (None, Some(c)) => Ok(c),
            (Some(e), _) => Err(e.as_str()),
            (None, None) => Err("no canary (see above)"),
        };
        let row = drill_kind(
            kind, canary, &offered, &actor, opts, journal, seq, &spec.name,
        )
        .await;
        if kind.on_run()
            && let (Some(t), Some(id)) = (
                &row.action,
                &row.target.as_ref().and_then(|t| t.run_id.clone()),
            )
            && t.confirmed()
        {
            cs.ended.insert(id.clone());
        }
        out.rows.push(row);
    }
    // Kinds offered only as inverses of something not offered.
    for kind in offered.iter().copied().filter(|k| !ORDER.contains(k)) {
        let paired = kind.inverse().is_some_and(|f| offered.contains(&f));
        if !paired {
            out.notes.push(format!(
                "{} is offered but {} is not: it was not drilled",
                kind.as_str(),
                kind.inverse().map(|k| k.as_str()).unwrap_or("its pair")
            ));
        }
    }
    // What each kind drilled here does not prove, in the platform's terms.
    for r in &out.rows {
        let tried = [r.action.as_ref(), r.inverse.as_ref()];
        for t in tried.into_iter().flatten() {
            if let Some(n) = crate::model::platform_note(&spec.kind, t.kind) {
                out.limits.push((t.kind, n.to_string()));
            }
        }
    }
    if offered.contains(&ActionKind::StopRun) {
        leave_none_running(&cs, &actor, opts, journal, seq, &spec.name, &mut out.notes).await;
    }
    starter.settle(&cs).await;
    out
}

/// Would a rollback of the (ended) canary plan nothing?
async fn plans_nothing(actor: &Arc<dyn Actor>, c: Option<&Canary>) -> bool {
    let Some(Ok(t)) = c.map(|c| scoped(ActionKind::RollbackRun, &c.run)) else {
        return false;
    };
    match actor.dry_run(ActionKind::RollbackRun, t).await {
        Ok(a) => a.affected_runs.is_empty() || a.reverts.as_ref().is_some_and(|r| r.is_empty()),
        Err(_) => false,
    }
}

/// Leave no canary going: each one (and the runs started with it) the
/// drill did not end, if a dry run says there is something to stop, is
/// stopped — journaled and verified like every drill action.
#[allow(clippy::too_many_arguments)]
async fn leave_none_running(
    cs: &Canaries,
    actor: &Arc<dyn Actor>,
    opts: &Options,
    journal: &JournalHandle,
    seq: &mut u32,
    source: &str,
    notes: &mut Vec<String>,
) {
    let ids = cs
        .all
        .iter()
        .flat_map(|c| std::iter::once(c.run.id.to_string()).chain(c.with.iter().cloned()))
        .filter(|id| !cs.ended.contains(id));
    for id in ids {
        let t = Target::run(id.clone());
        match actor.dry_run(ActionKind::StopRun, t.clone()).await {
            Ok(a) if a.affected_runs.contains(&id) => {
                let t = act(actor, ActionKind::StopRun, t, opts, journal, seq, source, Some(a)).await;
                notes.push(format!(
                    "canary run {id} was still going at the end and was stopped: {} ({})",
                    t.phase.label(),
                    t.detail
                ));
            }
            Ok(_) => {}
            Err(e) => notes.push(format!(
                "could not tell whether canary run {id} is still going ({e}): check it on the platform"
            )),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn drill_kind(
    kind: ActionKind,
    canary: Result<&Canary, &str>,
    offered: &[ActionKind],
    actor: &Arc<dyn Actor>,
    opts: &Options,
    journal: &JournalHandle,
    seq: &mut u32,
    source: &str,
) -> Row {
    let mut row = Row {
        kind,
        target: None,
        preview: None,
        preview_secs: 0.0,
        dry_only: None,
        action: None,
        inverse: None,
        may: May::Unknown,
        rollback: None,
        unavailable: None,
    };
    let canary = match canary {
        Ok(c) => c,
        Err(why) => {
            row.dry_only = Some(why.to_string());
            // The global form of the kind, previewed: what it would reach.
            if !kind.on_run() && matches!(kind, ActionKind::HoldQueue | ActionKind::BlockOutbound) {
                preview(actor, kind, Target::global(), &mut row).await;
            }
            return row;
        }
    };
    let target = match scoped(kind, &canary.run) {
        Ok(t) => t,
        Err(e) => {
            row.dry_only = Some(e);
            return row;
        }
    };
    row.target = Some(target.clone());
    let Some(answer) = preview(actor, kind, target.clone(), &mut row).await else {
        return row;
    };
    // The blast radius must be the canary alone: a scope that reaches
    // other runs is global for a drill.
    let others: Vec<&String> = answer
        .affected_runs
        .iter()
        .filter(|r| !canary.owns(r))
        .collect();
    if !others.is_empty() && !opts.include_global {
        row.dry_only = Some(format!(
            "its scope reaches {} run(s) besides the canary ({}): dry run only (--include-global to act)",
            others.len(),
            others
                .iter()
                .take(4)
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return row;
    }
    let plan: Vec<String> = answer
        .reverts
        .as_ref()
        .map(|v| v.iter().map(|r| r.event_id.clone()).collect())
        .unwrap_or_default();
    let t = act(
        actor,
        kind,
        target.clone(),
        opts,
        journal,
        seq,
        source,
        Some(answer),
    )
    .await;
    row.may = if t.forbidden() {
        May::No(t.detail.clone())
    } else if t.unimplemented() {
        // The server lacks it (Temporal without workflow pause): a
        // finding about the platform, not a failure of the control.
        row.unavailable = Some(t.detail.clone());
        May::Unknown
    } else {
        May::Yes
    };
    let worked = t.confirmed();
    row.action = Some(t);
    if worked
        && let Some(inv) = kind.inverse()
        && offered.contains(&inv)
    {
        let inv_preview = actor.dry_run(inv, target.clone()).await.ok();
        row.inverse = Some(
            act(
                actor,
                inv,
                target.clone(),
                opts,
                journal,
                seq,
                source,
                inv_preview,
            )
            .await,
        );
    }
    if kind == ActionKind::RollbackRun && worked {
        row.rollback = Some(rollback_proof(actor, &target, &plan, row.action.as_ref()).await);
    }
    row
}

/// The dry run, timed, into the row; its answer when it came.
async fn preview(
    actor: &Arc<dyn Actor>,
    kind: ActionKind,
    target: Target,
    row: &mut Row,
) -> Option<ActionAnswer> {
    let t0 = Instant::now();
    let r = actor.dry_run(kind, target).await;
    row.preview_secs = t0.elapsed().as_secs_f64();
    match r {
        Ok(a) => {
            row.preview = Some(Ok(a.affected_runs.clone()));
            Some(a)
        }
        Err(e) => {
            if matches!(e.status, Some(401 | 403)) {
                row.may = May::No(format!("even the dry run: {e}"));
            }
            row.preview = Some(Err(e.message));
            None
        }
    }
}

/// The canary's writes really reverted: every write the plan named is in
/// the verified `reverted`, and a fresh dry run plans no revert left.
async fn rollback_proof(
    actor: &Arc<dyn Actor>,
    target: &Target,
    plan: &[String],
    done: Option<&Tried>,
) -> String {
    let Some(done) = done else {
        return "NOT REVERTED: no rollback ran".into();
    };
    let again = actor.dry_run(ActionKind::RollbackRun, target.clone()).await;
    let left: Option<Vec<String>> = match &again {
        Ok(a) => a
            .reverts
            .as_ref()
            .map(|v| v.iter().map(|r| r.event_id.clone()).collect()),
        Err(_) => None,
    };
    let left_of_plan: Vec<&String> = left.iter().flatten().filter(|e| plan.contains(e)).collect();
    match (&again, &left) {
        // The platform's rollback deletes the run (LangGraph): a fresh
        // read finding nothing is the proof there is.
        (Err(e), _) if e.status == Some(404) => {
            format!("the run is gone on a fresh read ({e}): {}", done.detail)
        }
        (Err(e), _) => format!(
            "reverted per the run's record ({}); a fresh dry run failed ({e}), so it was not re-checked",
            done.detail
        ),
        (Ok(_), None) => format!(
            "reverted per the run's record ({}); this platform plans no reverts of its own to re-check",
            done.detail
        ),
        (Ok(_), Some(_)) if !left_of_plan.is_empty() => format!(
            "NOT REVERTED: a fresh dry run still plans {} of the {} writes: {}",
            left_of_plan.len(),
            plan.len(),
            left_of_plan
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (Ok(_), Some(_)) => format!(
            "all {} reversible write(s) of the canary reverted; a fresh dry run plans none left",
            plan.len()
        ),
    }
}

/// One real action: intent journaled (and synced by the executor before
/// it leaves), sent, verified by the executor's strict re-read, timed.
#[allow(clippy::too_many_arguments)]
async fn act(
    actor: &Arc<dyn Actor>,
    kind: ActionKind,
    target: Target,
    opts: &Options,
    journal: &JournalHandle,
    seq: &mut u32,
    source: &str,
    preview: Option<ActionAnswer>,
) -> Tried {
    *seq += 1;
    let key = uuid::Uuid::new_v4().to_string();
    let req = ActionRequest {
        id: format!("D{}-{}", seq, &key[..8]),
        source: source.to_string(),
        kind,
        target: target.clone(),
        reason: format!(
            "DRILL {}: {} on the canary ({})",
            opts.incident,
            kind.as_str(),
            target.label()
        ),
        key,
        actor: opts.operator.actor(),
    };
    journal.append(Record::ActionIntent {
        request: req.clone(),
        operator: opts.operator.clone(),
        preview: preview.as_ref().map(|a| a.affected_runs.clone()),
        at: chrono::Utc::now(),
        note: None,
        dry_run: preview.clone().map(Box::new),
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let started = chrono::Utc::now();
    exec::execute(
        actor.clone(),
        req.clone(),
        preview,
        Some(journal.clone()),
        tx,
        opts.policy.clone(),
    )
    .await;
    let mut tried = Tried {
        id: req.id.clone(),
        kind,
        target,
        phase: ActionPhase::Failed,
        secs: 0.0,
        detail: "no verdict".into(),
        status: None,
    };
    while let Ok((m, at)) = rx.try_recv() {
        tried.secs = (at - started).num_milliseconds().max(0) as f64 / 1000.0;
        match &m {
            ActionMsg::NotSent { reason, .. } => {
                tried.phase = ActionPhase::NotSent;
                tried.detail = reason.clone();
            }
            ActionMsg::Answered { result: Ok(a), .. } if !a.state.accepted() => {
                tried.phase = ActionPhase::Refused;
                tried.detail = format!("the platform answered {}: {}", a.state.as_str(), a.message);
            }
            ActionMsg::Answered {
                result: Err((status, e)),
                lost: None,
                ..
            } => {
                tried.phase = ActionPhase::Refused;
                tried.status = *status;
                tried.detail = e.clone();
            }
            ActionMsg::Verified {
                outcome, detail, ..
            } => {
                tried.phase = *outcome;
                tried.detail = detail.clone();
            }
            _ => {}
        }
        if let Some(r) = exec::record_of(m, at) {
            journal.append(r);
        }
    }
    tried
}

/// Drill every source, journaled as one drill incident.
pub async fn run(specs: &[SourceSpec], opts: &Options, journal: &JournalHandle) -> Drill {
    let started = chrono::Utc::now();
    // Marked a drill before anything acts, so even a drill cut short is
    // never read as a real incident.
    journal.append(Record::Drill {
        at: started,
        operator: opts.operator.clone(),
        canaries: Vec::new(),
    });
    let mut seq = 0;
    let mut sources = Vec::new();
    for spec in specs {
        sources.push(drill_source(spec, opts, journal, &mut seq).await);
    }
    Drill {
        incident: opts.incident.clone(),
        started,
        operator: opts.operator.label(),
        include_global: opts.include_global,
        sources,
    }
}
