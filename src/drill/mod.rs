//! `cordon drill`: every action each source offers, tried on a canary
//! before the incident — preview, the real action scoped to the canary,
//! its confirmation by the same strict re-read the console uses (the
//! executor in `contain::exec`), the inverse and its confirmation, each
//! timed — journaled like an incident and told as a readiness report.

pub mod report;

use std::sync::Arc;
use std::time::Instant;

use crate::contain::{ActionMsg, Policy, exec};
use crate::journal::{JournalHandle, Operator, Record};
use crate::model::{ActionAnswer, ActionKind, ActionPhase, ActionRequest, Run, Target};
use crate::source::{Actor, CanaryAsk, Source, SourceSpec};

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
}

impl Row {
    /// Offered and tried, but not proven (the drill fails on it).
    pub fn failed(&self) -> bool {
        if matches!(self.may, May::No(_)) {
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
        StopRun | TerminateRun | RollbackRun => Target {
            run_id: Some(c.id.to_string()),
            ..Target::default()
        },
        PauseWorkflow | ResumeWorkflow | HoldQueue | ReleaseQueue => Target {
            workflow: Some(
                nonempty(&c.workflow).ok_or("the canary names no workflow to scope to")?,
            ),
            ..Target::default()
        },
        RevokeTool | RestoreTool => Target {
            agent_class: Some(
                nonempty(&c.agent_class).ok_or("the canary names no agent class to scope to")?,
            ),
            tool: Some(
                c.tools
                    .first()
                    .map(|t| t.to_string())
                    .ok_or("the canary holds no tool to revoke")?,
            ),
            ..Target::default()
        },
        RevokeCredential => Target {
            credential: Some(
                c.credentials
                    .first()
                    .map(|t| t.to_string())
                    .ok_or("the canary holds no credential to revoke")?,
            ),
            ..Target::default()
        },
        BlockOutbound | UnblockOutbound => Target {
            agent_class: Some(
                nonempty(&c.agent_class).ok_or("the canary names no agent class to scope to")?,
            ),
            ..Target::default()
        },
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
    };
    let (mut src, actor) = match crate::source::build_pair(spec, crate::source::http::client()) {
        Ok(p) => p,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    let first = match src.poll().await {
        Ok(b) => b,
        Err(e) => {
            out.error = Some(format!("cannot read the source: {e}"));
            return out;
        }
    };
    journal_batch(journal, &spec.name, &first);
    out.offered = first.offered.clone().unwrap_or_default();
    out.canary = canary(&mut *src, &*actor, opts, first.runs, journal, &spec.name).await;
    if let Ok((c, _)) = &out.canary {
        journal.append(Record::Drill {
            at: chrono::Utc::now(),
            operator: opts.operator.clone(),
            canaries: vec![format!("{}/{}", spec.name, c.id)],
        });
    }
    if let Err(e) = &out.canary
        && e.starts_with("may not")
    {
        out.notes.push(e.clone());
    }
    let offered = out.offered.clone();
    for kind in ORDER.into_iter().filter(|k| offered.contains(k)) {
        let row = drill_kind(kind, &out, &actor, opts, journal, seq, &spec.name).await;
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
    // Leave no canary running: stop it if the drill did not.
    if let Ok((c, _)) = &out.canary
        && offered.contains(&ActionKind::StopRun)
        && !out
            .rows
            .iter()
            .any(|r| r.kind.on_run() && r.kind != ActionKind::RollbackRun && r.action.is_some())
        && let Ok(t) = scoped(ActionKind::StopRun, c)
    {
        let t = act(
            &actor,
            ActionKind::StopRun,
            t,
            opts,
            journal,
            seq,
            &spec.name,
            None,
        )
        .await;
        out.notes.push(format!(
            "the canary was stopped at the end: {} ({})",
            t.phase.label(),
            t.detail
        ));
    }
    out
}

/// Runs and events a read brought, journaled as evidence of the drill.
fn journal_batch(j: &JournalHandle, source: &str, b: &crate::source::Batch) {
    for run in &b.runs {
        j.append(Record::Run { run: run.clone() });
    }
    for event in &b.events {
        j.append(Record::Event {
            source: source.to_string(),
            event: event.clone(),
        });
    }
}

/// The canary: one the platform starts, else the run the operator named.
async fn canary(
    src: &mut dyn Source,
    actor: &dyn Actor,
    opts: &Options,
    seen: Vec<Run>,
    journal: &JournalHandle,
    source: &str,
) -> Result<(Run, String), String> {
    let mut why_none = String::new();
    match actor.start_canary(&opts.ask).await {
        Ok(Some(run)) => {
            journal.append(Record::Run { run: run.clone() });
            // The poller must know it too (LangGraph: its thread).
            let deadline = Instant::now() + opts.policy.verify_timeout;
            let mut seen_run = run.clone();
            while Instant::now() < deadline {
                if let Ok(b) = src.poll().await {
                    journal_batch(journal, source, &b);
                    if let Some(r) = b.runs.into_iter().find(|r| r.id == run.id) {
                        seen_run = r;
                        break;
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            return Ok((seen_run, "started by the platform for this drill".into()));
        }
        Ok(None) => why_none.push_str("the platform does not start canaries"),
        Err(e) if matches!(e.status, Some(401 | 403)) => {
            why_none = format!("may not start a canary with this credential ({e})")
        }
        Err(e) => why_none = format!("starting a canary failed: {e}"),
    }
    let Some(id) = &opts.canary else {
        return Err(format!(
            "{why_none}; no --canary RUN named: only dry runs were possible"
        ));
    };
    let want = crate::sanitize::id(id);
    let mut runs = seen;
    if !runs.iter().any(|r| r.id == want.as_ref()) {
        runs = src.list_active().await.unwrap_or_default();
    }
    runs.into_iter()
        .find(|r| r.id == want.as_ref())
        .map(|r| (r, format!("named by the operator ({why_none})")))
        .ok_or_else(|| format!("{why_none}; the canary {want} named is not an active run here"))
}

#[allow(clippy::too_many_arguments)]
async fn drill_kind(
    kind: ActionKind,
    s: &SourceDrill,
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
    };
    let canary = match &s.canary {
        Ok((c, _)) => c,
        Err(_) => {
            row.dry_only = Some("no canary (see above)".into());
            // The global form of the kind, previewed: what it would reach.
            if !kind.on_run() && matches!(kind, ActionKind::HoldQueue | ActionKind::BlockOutbound) {
                preview(actor, kind, Target::default(), &mut row).await;
            }
            return row;
        }
    };
    let target = match scoped(kind, canary) {
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
        .filter(|r| **r != canary.id.as_str())
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
    } else {
        May::Yes
    };
    let worked = t.confirmed();
    row.action = Some(t);
    if worked
        && let Some(inv) = kind.inverse()
        && s.offered.contains(&inv)
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
        actor: match &opts.operator.ssh_client {
            Some(ip) => format!("{} (ssh from {ip})", opts.operator.label()),
            None => opts.operator.label(),
        },
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
