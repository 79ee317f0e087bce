//! The simulated world: runs executing their scripts on a simulated clock,
//! an append-only event feed, and the containment controls that really
//! change what runs do next.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::{Value, json};

use super::scenarios;
use super::script::{Emit, Plan, Step};
use crate::model::{
    ActionAnswer, ActionKind, AnswerState, CannotRevert, Controls, PlannedRevert, Target, Time,
    ToolRevocation,
};

const BACKGROUND_CYCLE: Duration = Duration::from_secs(60);
const BACKGROUND_PER_CYCLE: usize = 8;

#[derive(Debug, Clone)]
pub struct SimRun {
    pub id: String,
    pub plan: Plan,
    pub state: String,
    pub started_at: Time,
    pub updated_at: Time,
    /// Index of the next step, and when it is due.
    pub pc: usize,
    pub due: Time,
    /// Remaining iterations of each `Repeat` step, by step index.
    pub loops: HashMap<usize, u32>,
    pub stats: [u64; 4], // tool_calls, errors, retries, external_actions
    /// Every change it made to the world, for rollback (ACA/1.1).
    pub writes: Vec<SimWrite>,
    /// What a rollback did, once one ran.
    pub rollback: Option<SimRollback>,
    /// When it leaves the queue (if queued).
    pub start_due: Option<Time>,
}

/// One world-changing event of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct SimWrite {
    pub event_id: String,
    pub kind: &'static str,
    pub target: String,
    /// A file edit or a database write with a compensation.
    pub reversible: bool,
    /// Reverted by a rollback.
    pub reverted: bool,
}

impl SimWrite {
    /// Why a rollback cannot undo it.
    fn why_not(&self) -> &'static str {
        match self.kind {
            "message_sent" => "a sent message cannot be unsent",
            "external_action" => "an action in another system has no compensation here",
            _ => "the platform has no compensation for this write",
        }
    }
}

/// `rollback` on the run resource.
#[derive(Debug, Clone, PartialEq)]
pub struct SimRollback {
    pub at: Time,
    pub reverted: Vec<String>,
}

impl SimRun {
    fn active(&self) -> bool {
        matches!(
            self.state.as_str(),
            "queued" | "running" | "waiting_review" | "paused"
        )
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id, "agent": self.plan.agent, "agent_class": self.plan.agent_class,
            "workflow": self.plan.workflow, "state": self.state,
            "started_at": ts(self.started_at), "updated_at": ts(self.updated_at),
            "assignment": self.plan.assignment, "requested_by": self.plan.requested_by,
            "tools": self.plan.tools, "credentials": self.plan.credentials,
            "stats": {"tool_calls": self.stats[0], "errors": self.stats[1],
                      "retries": self.stats[2], "external_actions": self.stats[3]},
        });
        if self.plan.scenario == super::canary::SCENARIO {
            v["canary"] = json!(true);
        }
        if let Some(rb) = &self.rollback {
            v["rollback"] = json!({"at": ts(rb.at), "reverted": rb.reverted, "failed": []});
        }
        v
    }

    /// A rollback's plan now: the writes it would revert (newest first)
    /// and those it cannot.
    pub fn rollback_plan(&self) -> (Vec<PlannedRevert>, Vec<CannotRevert>) {
        let mut reverts = Vec::new();
        let mut cannot = Vec::new();
        for w in self.writes.iter().rev().filter(|w| !w.reverted) {
            if w.reversible {
                reverts.push(PlannedRevert {
                    event_id: w.event_id.clone(),
                    kind: w.kind.into(),
                    target: w.target.clone(),
                });
            } else {
                cannot.push(CannotRevert {
                    event_id: w.event_id.clone(),
                    kind: w.kind.into(),
                    target: w.target.clone(),
                    why: w.why_not().into(),
                });
            }
        }
        (reverts, cannot)
    }
}

pub fn ts(t: Time) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Errors an action can meet, mapped to HTTP statuses by the API layer.
#[derive(Debug, PartialEq)]
pub enum ActionError {
    BadRequest(String),
    NotFound(String),
    NotOffered(String),
    Conflict(String),
}

pub struct World {
    pub start: Time,
    pub now: Time,
    pub runs: Vec<SimRun>,
    by_id: HashMap<String, usize>,
    pub events: Vec<Value>,
    pub controls: Controls,
    pending_plans: Vec<Plan>,
    rng: fastrand::Rng,
    pub actions: BTreeMap<String, ActionAnswer>,
    idem: HashMap<String, (Value, ActionAnswer)>,
    /// Actions that become `applied` once their effect is in place.
    pending_actions: Vec<(String, ActionKind, Target)>,
    background: bool,
    next_background: Duration,
    pub offered: Vec<ActionKind>,
    /// When each real action arrived, by Idempotency-Key (for latency
    /// figures and for tests that check the key on the wire).
    pub arrivals: Vec<(String, std::time::Instant)>,
    /// Fault for drills: stops (and terminates) are accepted but never
    /// take effect, so a drill must fail.
    pub stops_ignored: bool,
    /// Bearer tokens that may read and preview but not act (403).
    pub read_only_tokens: Vec<String>,
}

impl World {
    /// A world playing `scenarios` (names, or "all"), with background runs
    /// if `background`, starting at `start`.
    pub fn new(
        scenario_names: &[String],
        background: bool,
        seed: u64,
        start: Time,
    ) -> Result<World, String> {
        let mut plans = Vec::new();
        for name in scenario_names {
            if name == "all" {
                for n in scenarios::NAMES {
                    plans.extend(scenarios::plans(n).unwrap_or_default());
                }
            } else if name == "none" {
            } else {
                plans.extend(scenarios::plans(name).ok_or_else(|| {
                    format!(
                        "unknown scenario '{name}'; known: all, {}",
                        scenarios::NAMES.join(", ")
                    )
                })?);
            }
        }
        let mut w = World {
            start,
            now: start,
            runs: Vec::new(),
            by_id: HashMap::new(),
            events: Vec::new(),
            controls: Controls::default(),
            pending_plans: Vec::new(),
            rng: fastrand::Rng::with_seed(seed),
            actions: BTreeMap::new(),
            idem: HashMap::new(),
            pending_actions: Vec::new(),
            background,
            next_background: Duration::ZERO,
            // ACA/1's kinds; terminate_run is not in the contract.
            offered: ActionKind::ALL
                .into_iter()
                .filter(|k| *k != ActionKind::TerminateRun)
                .collect(),
            arrivals: Vec::new(),
            stops_ignored: false,
            read_only_tokens: Vec::new(),
        };
        plans.sort_by_key(|p| p.start);
        w.pending_plans = plans;
        w.advance(Duration::ZERO);
        Ok(w)
    }

    /// Add planned runs (offsets from now), e.g. for benchmarks and drills.
    pub fn add_plans(&mut self, plans: Vec<Plan>) {
        let elapsed = (self.now - self.start).to_std().unwrap_or_default();
        for mut p in plans {
            p.start += elapsed;
            self.pending_plans.push(p);
        }
        self.pending_plans.sort_by_key(|p| p.start);
    }

    fn new_run_id(&mut self) -> String {
        loop {
            let id = format!("run_{:04x}", self.rng.u16(..));
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }

    fn push_event(&mut self, run: usize, kind: &str, summary: String, extra: Value) -> String {
        let id = format!("evt_{:06}", self.events.len() + 1);
        let mut ev = json!({"id": id, "run_id": self.runs[run].id, "at": ts(self.now),
                            "kind": kind, "summary": summary});
        if let (Some(m), Value::Object(x)) = (ev.as_object_mut(), extra) {
            m.extend(x);
        }
        self.events.push(ev);
        self.runs[run].updated_at = self.now;
        id
    }

    fn set_state(&mut self, run: usize, state: &str, why: &str) {
        let old = std::mem::replace(&mut self.runs[run].state, state.to_string());
        if old != state {
            self.push_event(
                run,
                "state_change",
                format!("{old} → {state}: {why}"),
                json!({"data": {"from": old, "to": state}}),
            );
        }
    }

    /// Move the clock forward by `dt`, executing everything that falls due
    /// (run steps and run creations) in time order.
    pub fn advance(&mut self, dt: Duration) {
        let end = self.now + chrono::Duration::from_std(dt).unwrap_or_default();
        self.plan_background(end);
        loop {
            let next_run = self
                .runs
                .iter()
                .enumerate()
                .filter_map(|(i, r)| self.next_due(r).map(|t| (t, i)))
                .min();
            let next_plan = self.pending_plans.first().map(|p| self.offset(p.start));
            match (next_run, next_plan) {
                (Some((t, i)), p) if t <= end && p.is_none_or(|p| t < p) => {
                    self.now = self.now.max(t);
                    self.tick_run(i);
                }
                (_, Some(p)) if p <= end => {
                    self.now = self.now.max(p);
                    let plan = self.pending_plans.remove(0);
                    self.create_run(plan);
                }
                _ => break,
            }
        }
        self.now = end;
        self.settle_pending_actions();
    }

    fn offset(&self, d: Duration) -> Time {
        self.start + chrono::Duration::from_std(d).unwrap_or_default()
    }

    fn next_due(&self, r: &SimRun) -> Option<Time> {
        match r.state.as_str() {
            "queued" => {
                let d = r.start_due?;
                (!self.controls.queue_held(r.plan.workflow)
                    && !self.controls.workflow_paused(r.plan.workflow))
                .then_some(d)
            }
            "running" | "waiting_review" => Some(r.due),
            _ => None,
        }
    }

    /// Plan background runs for every cycle that starts by `end`.
    fn plan_background(&mut self, end: Time) {
        if !self.background {
            return;
        }
        while self.offset(self.next_background) <= end {
            let offset = self.next_background;
            let mut batch =
                scenarios::background(&mut self.rng, BACKGROUND_PER_CYCLE, BACKGROUND_CYCLE);
            for p in &mut batch {
                p.start += offset;
            }
            self.pending_plans.extend(batch);
            self.pending_plans.sort_by_key(|p| p.start);
            self.next_background += BACKGROUND_CYCLE;
        }
    }

    fn create_run(&mut self, plan: Plan) {
        let at = self.now;
        let id = self.new_run_id();
        let queued = !plan.queued_for.is_zero()
            || self.controls.queue_held(plan.workflow)
            || self.controls.workflow_paused(plan.workflow);
        let start_due = at + chrono::Duration::from_std(plan.queued_for).unwrap_or_default();
        let first = plan.steps.first().map(|s| s.after).unwrap_or_default();
        let run = SimRun {
            id: id.clone(),
            plan,
            state: if queued { "queued" } else { "running" }.into(),
            started_at: at,
            updated_at: at,
            pc: 0,
            due: at + chrono::Duration::from_std(first).unwrap_or_default(),
            loops: HashMap::new(),
            stats: [0; 4],
            writes: Vec::new(),
            rollback: None,
            start_due: queued.then_some(start_due),
        };
        self.by_id.insert(id, self.runs.len());
        self.runs.push(run);
        let i = self.runs.len() - 1;
        let prev = self.now;
        self.now = self.now.max(at);
        let state = self.runs[i].state.clone();
        self.push_event(
            i,
            "state_change",
            format!("created → {state}"),
            json!({"data": {"to": state}}),
        );
        self.now = prev.max(self.now);
    }

    fn tick_run(&mut self, i: usize) {
        if self.runs[i].state == "queued" {
            self.set_state(i, "running", "left the queue");
            let first = self.runs[i]
                .plan
                .steps
                .first()
                .map(|s| s.after)
                .unwrap_or_default();
            self.runs[i].due = self.now + chrono::Duration::from_std(first).unwrap_or_default();
            self.runs[i].start_due = None;
            return;
        }
        let pc = self.runs[i].pc;
        let Some(step) = self.runs[i].plan.steps.get(pc).map(|s| s.step.clone()) else {
            self.set_state(i, "succeeded", "script ended");
            return;
        };
        let mut next_pc = pc + 1;
        match step {
            Step::Emit(ref em) => self.emit(i, em),
            Step::Repeat { back, times } => {
                let left = self.runs[i]
                    .loops
                    .entry(pc)
                    .or_insert(times.unwrap_or(u32::MAX));
                if *left > 0 {
                    if times.is_some() {
                        *left -= 1;
                    }
                    next_pc = pc.saturating_sub(back);
                } else {
                    self.runs[i].loops.remove(&pc);
                }
            }
            Step::AwaitReview => {
                self.set_state(i, "waiting_review", "waiting for a review decision")
            }
            Step::Finish(state) => {
                self.set_state(i, state, "finished");
                return;
            }
        }
        if self.runs[i].state == "waiting_review" && !matches!(step, Step::AwaitReview) {
            self.set_state(i, "running", "review decided");
        }
        self.runs[i].pc = next_pc;
        let after = self.runs[i]
            .plan
            .steps
            .get(next_pc)
            .map(|s| s.after)
            .unwrap_or_default();
        self.runs[i].due = self.now + chrono::Duration::from_std(after).unwrap_or_default();
    }

    /// Emit a step's event, unless containment turns it into a refusal.
    fn emit(&mut self, i: usize, em: &Emit) {
        let class = self.runs[i].plan.agent_class;
        let mut extra = json!({});
        if let Some(t) = em.tool {
            extra["tool"] = json!(t);
        }
        if let Some(t) = &em.target {
            extra["target"] = json!(t);
        }
        if let Some(tool) = em.tool.filter(|t| self.controls.tool_revoked(class, t)) {
            self.runs[i].stats[1] += 1;
            self.push_event(
                i,
                "error",
                format!("Call to {tool} refused: tool revoked for agent class {class}"),
                json!({"tool": tool, "data": {"refused": em.kind, "reason": "tool_revoked"}}),
            );
            return;
        }
        if let Some(cred) = em
            .credential
            .filter(|c| self.controls.revoked_credentials.iter().any(|x| x == c))
        {
            self.runs[i].stats[1] += 1;
            self.push_event(i, "error", format!("{} failed: credential {cred} revoked (401 from provider)", em.tool.unwrap_or("call")),
                json!({"tool": em.tool, "data": {"refused": em.kind, "reason": "credential_revoked"}}));
            return;
        }
        if em.outbound && self.controls.outbound_blocked_for(class) {
            self.runs[i].stats[1] += 1;
            self.push_event(i, "error", format!("Outbound blocked, not sent: {}", em.summary),
                json!({"tool": em.tool, "target": em.target, "data": {"refused": em.kind, "reason": "outbound_blocked"}}));
            return;
        }
        if em.outbound {
            extra["outbound"] = json!(true);
        }
        if let Some(r) = em.reversible {
            extra["reversible"] = json!(r);
        }
        if !em.data.is_null() {
            extra["data"] = em.data.clone();
        }
        let c = em.counts;
        let st = &mut self.runs[i].stats;
        st[0] += c.tool_call as u64;
        st[1] += c.error as u64;
        st[2] += c.retry as u64;
        st[3] += c.external as u64;
        let id = self.push_event(i, em.kind, em.summary.clone(), extra);
        if matches!(
            em.kind,
            "file_write" | "db_write" | "message_sent" | "external_action"
        ) {
            self.runs[i].writes.push(SimWrite {
                event_id: id,
                kind: em.kind,
                target: em.target.clone().unwrap_or_default(),
                reversible: em.reversible == Some(true),
                reverted: false,
            });
        }
    }

    /// `POST /v1/canaries` (ACA/1.1): start a canary now, its assignment
    /// and reversible writes made before it is returned, so a drill can
    /// roll them back whatever the clock does.
    pub fn start_canary(&mut self, body: &Value) -> Result<Value, ActionError> {
        let ask = super::canary::Ask::from_body(body).map_err(ActionError::BadRequest)?;
        let n = self
            .runs
            .iter()
            .filter(|r| r.plan.scenario == super::canary::SCENARIO)
            .count()
            + 1;
        let plan = ask.plan(n);
        let upfront = 1 + ask.writes as usize;
        let created = self.runs.len();
        self.create_run(plan);
        let i = created;
        if self.runs[i].state == "running" {
            while self.runs[i].pc < upfront {
                self.tick_run(i);
            }
        }
        Ok(self.runs[i].to_json())
    }

    pub fn run(&self, id: &str) -> Option<&SimRun> {
        self.by_id.get(id).map(|&i| &self.runs[i])
    }

    /// Runs an action would affect (its blast radius).
    fn affected(&self, kind: ActionKind, t: &Target) -> Vec<String> {
        use ActionKind::*;
        let class_match = |r: &SimRun| {
            t.agent_class
                .as_deref()
                .is_none_or(|c| c == "*" || c == r.plan.agent_class)
        };
        let wf_match = |r: &SimRun| {
            t.workflow
                .as_deref()
                .is_none_or(|w| w == "*" || w == r.plan.workflow)
        };
        self.runs
            .iter()
            // A rollback acts on a finished run too (its writes).
            .filter(|r| r.active() || (kind == RollbackRun && !r.rollback_plan().0.is_empty()))
            .filter(|r| match kind {
                StopRun | RollbackRun | TerminateRun => t.run_id.as_deref() == Some(&r.id),
                PauseWorkflow | ResumeWorkflow => t.workflow.as_deref() == Some(r.plan.workflow),
                HoldQueue | ReleaseQueue => r.state == "queued" && wf_match(r),
                RevokeTool | RestoreTool => {
                    class_match(r) && t.tool.as_deref().is_some_and(|x| r.plan.tools.contains(&x))
                }
                RevokeCredential => t
                    .credential
                    .as_deref()
                    .is_some_and(|c| r.plan.credentials.contains(&c)),
                BlockOutbound | UnblockOutbound => class_match(r),
            })
            .map(|r| r.id.clone())
            .collect()
    }

    fn validate(&self, kind: ActionKind, t: &Target) -> Result<(), ActionError> {
        use ActionKind::*;
        let need = |f: &Option<String>, name: &str| {
            f.as_deref()
                .filter(|s| !s.is_empty())
                .map(|_| ())
                .ok_or_else(|| {
                    ActionError::BadRequest(format!("{} needs target.{name}", kind.as_str()))
                })
        };
        match kind {
            StopRun | RollbackRun | TerminateRun => {
                need(&t.run_id, "run_id")?;
                let id = t.run_id.as_deref().unwrap_or_default();
                if self.run(id).is_none() {
                    return Err(ActionError::NotFound(format!("no run {id}")));
                }
            }
            PauseWorkflow | ResumeWorkflow => need(&t.workflow, "workflow")?,
            RevokeTool | RestoreTool => {
                need(&t.agent_class, "agent_class")?;
                need(&t.tool, "tool")?
            }
            RevokeCredential => need(&t.credential, "credential")?,
            HoldQueue | ReleaseQueue | BlockOutbound | UnblockOutbound => {}
        }
        Ok(())
    }

    /// `POST /v1/actions`. `key` is the Idempotency-Key (required unless dry).
    pub fn act(
        &mut self,
        body: &Value,
        key: Option<&str>,
        dry: bool,
    ) -> Result<ActionAnswer, ActionError> {
        let kind_s = body
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or_default();
        let kind = ActionKind::parse(kind_s)
            .filter(|k| self.offered.contains(k))
            .ok_or_else(|| {
                ActionError::NotOffered(format!("action kind '{kind_s}' is not offered"))
            })?;
        let target: Target =
            serde_json::from_value(body.get("target").cloned().unwrap_or(json!({})))
                .map_err(|e| ActionError::BadRequest(format!("bad target: {e}")))?;
        if !dry {
            if let Some(k) = key {
                self.arrivals
                    .push((k.to_string(), std::time::Instant::now()));
            }
            let key = key.filter(|k| !k.is_empty()).ok_or_else(|| {
                ActionError::BadRequest("Idempotency-Key header is required".into())
            })?;
            if let Some((first_body, answer)) = self.idem.get(key) {
                if first_body != body {
                    return Err(ActionError::Conflict(
                        "Idempotency-Key reused with a different body".into(),
                    ));
                }
                // The first answer again, as it stands now.
                return Ok(self
                    .actions
                    .get(&answer.action_id)
                    .cloned()
                    .unwrap_or_else(|| answer.clone()));
            }
        }
        self.validate(kind, &target)?;
        let affected = self.affected(kind, &target);
        let plan = (kind == ActionKind::RollbackRun)
            .then(|| {
                target
                    .run_id
                    .as_deref()
                    .and_then(|id| self.run(id))
                    .map(|r| r.rollback_plan())
            })
            .flatten();
        if dry {
            return Ok(ActionAnswer {
                kind: kind.as_str().into(),
                state: AnswerState::Preview,
                message: match &plan {
                    Some((r, c)) => format!(
                        "would revert {} write(s); {} cannot be reverted",
                        r.len(),
                        c.len()
                    ),
                    None => format!("would affect {} run(s)", affected.len()),
                },
                affected_runs: affected,
                reverts: plan.as_ref().map(|p| p.0.clone()),
                cannot_revert: plan.map(|p| p.1).unwrap_or_default(),
                ..ActionAnswer::default()
            });
        }
        let id = format!("act_{}", self.actions.len() + 1);
        let reason = body
            .get("reason")
            .and_then(|r| r.as_str())
            .unwrap_or_default()
            .to_string();
        let (state, message) = self.apply(kind, &target, &affected, &reason);
        let answer = ActionAnswer {
            action_id: id.clone(),
            kind: kind.as_str().into(),
            state: AnswerState::parse(state),
            affected_runs: affected,
            message,
            reverts: plan.as_ref().map(|p| p.0.clone()),
            cannot_revert: plan.map(|p| p.1).unwrap_or_default(),
            ..ActionAnswer::default()
        };
        if state == "pending" {
            self.pending_actions.push((id.clone(), kind, target));
        }
        self.actions.insert(id, answer.clone());
        if let Some(k) = key {
            self.idem
                .insert(k.to_string(), (body.clone(), answer.clone()));
        }
        Ok(answer)
    }

    /// `GET /v1/actions?idempotency_key=K` (ACA/1.1): the answer of the
    /// action sent with that key, as it stands now.
    pub fn action_by_key(&self, key: &str) -> Option<ActionAnswer> {
        let (_, first) = self.idem.get(key)?;
        Some(
            self.actions
                .get(&first.action_id)
                .cloned()
                .unwrap_or_else(|| first.clone()),
        )
    }

    /// ACA/1.1 rollback: stop the run if it is still active, then revert
    /// its reversible writes newest first, one `containment` event each.
    fn rollback(&mut self, i: usize, reason: &str) -> (&'static str, String) {
        let (plan, cannot) = self.runs[i].rollback_plan();
        let was_active = self.runs[i].active();
        if plan.is_empty() && !was_active {
            return (
                "applied",
                format!(
                    "nothing to roll back: run {} has no reversible write left ({} cannot be reverted)",
                    self.runs[i].state,
                    cannot.len()
                ),
            );
        }
        self.containment_event(i, format!("rollback_run by operator: {reason}"));
        if was_active {
            self.set_state(i, "stopped", "stopped by operator for a rollback");
        }
        let mut reverted = Vec::new();
        for p in &plan {
            self.push_event(
                i,
                "containment",
                format!("Reverted {} ({})", p.target, p.event_id),
                json!({"target": p.target, "data": {"reverts": p.event_id}}),
            );
            if let Some(w) = self.runs[i]
                .writes
                .iter_mut()
                .find(|w| w.event_id == p.event_id)
            {
                w.reverted = true;
            }
            reverted.push(p.event_id.clone());
        }
        let n = reverted.len();
        let at = self.now;
        let rb = self.runs[i].rollback.get_or_insert(SimRollback {
            at,
            reverted: Vec::new(),
        });
        rb.at = at;
        rb.reverted.extend(reverted);
        (
            "applied",
            format!(
                "{}{n} write(s) reverted; {} cannot be reverted",
                if was_active { "run stopped; " } else { "" },
                cannot.len()
            ),
        )
    }

    fn containment_event(&mut self, run: usize, msg: String) {
        self.push_event(run, "containment", msg, json!({}));
    }

    /// Change the world. Pausing is `pending`: running runs finish their
    /// current step first, like a real worker would.
    fn apply(
        &mut self,
        kind: ActionKind,
        t: &Target,
        affected: &[String],
        reason: &str,
    ) -> (&'static str, String) {
        use ActionKind::*;
        let idx: Vec<usize> = affected
            .iter()
            .filter_map(|id| self.by_id.get(id).copied())
            .collect();
        let all = |o: &Option<String>| o.clone().unwrap_or_else(|| "*".into());
        match kind {
            StopRun | TerminateRun => {
                let Some(&i) = self.by_id.get(t.run_id.as_deref().unwrap_or_default()) else {
                    return ("failed", "no such run".into());
                };
                if !self.runs[i].active() {
                    return ("applied", format!("run already {}", self.runs[i].state));
                }
                if self.stops_ignored {
                    // Says yes, does nothing: the fault a drill exists to find.
                    return ("applied", "run stopping".into());
                }
                self.containment_event(i, format!("{} by operator: {reason}", kind.as_str()));
                self.set_state(i, "stopped", "stopped by operator");
                ("applied", "run stopped".into())
            }
            RollbackRun => {
                let Some(&i) = self.by_id.get(t.run_id.as_deref().unwrap_or_default()) else {
                    return ("failed", "no such run".into());
                };
                self.rollback(i, reason)
            }
            PauseWorkflow => {
                let w = t.workflow.clone().unwrap_or_default();
                if !self.controls.paused_workflows.contains(&w) {
                    self.controls.paused_workflows.push(w.clone());
                }
                (
                    "pending",
                    format!(
                        "pausing {w}: {} run(s) will pause after their current step",
                        idx.len()
                    ),
                )
            }
            ResumeWorkflow => {
                let w = t.workflow.clone().unwrap_or_default();
                self.controls.paused_workflows.retain(|x| *x != w);
                for i in idx {
                    if self.runs[i].state == "paused" {
                        self.set_state(i, "running", "workflow resumed");
                        self.runs[i].due = self.now;
                    }
                }
                ("applied", format!("{w} resumed"))
            }
            HoldQueue => {
                let q = all(&t.workflow);
                if !self.controls.held_queues.contains(&q) {
                    self.controls.held_queues.push(q.clone());
                }
                (
                    "applied",
                    format!("queue {q} held: {} queued run(s) will not start", idx.len()),
                )
            }
            ReleaseQueue => {
                let q = all(&t.workflow);
                self.controls.held_queues.retain(|x| *x != q);
                ("applied", format!("queue {q} released"))
            }
            RevokeTool | RestoreTool => {
                let r = ToolRevocation {
                    agent_class: t.agent_class.clone().unwrap_or_default(),
                    tool: t.tool.clone().unwrap_or_default(),
                };
                if kind == RevokeTool {
                    if !self.controls.revoked_tools.contains(&r) {
                        self.controls.revoked_tools.push(r.clone());
                    }
                    for i in idx {
                        self.push_event(
                            i,
                            "permission_change",
                            format!("Tool {} revoked for {}", r.tool, r.agent_class),
                            json!({"tool": r.tool}),
                        );
                    }
                } else {
                    self.controls.revoked_tools.retain(|x| *x != r);
                }
                (
                    "applied",
                    format!(
                        "{} {} for {}",
                        if kind == RevokeTool {
                            "revoked"
                        } else {
                            "restored"
                        },
                        r.tool,
                        r.agent_class
                    ),
                )
            }
            RevokeCredential => {
                let c = t.credential.clone().unwrap_or_default();
                if !self.controls.revoked_credentials.contains(&c) {
                    self.controls.revoked_credentials.push(c.clone());
                }
                for i in idx {
                    self.push_event(
                        i,
                        "permission_change",
                        format!("Credential {c} revoked"),
                        json!({}),
                    );
                }
                ("applied", format!("credential {c} revoked"))
            }
            BlockOutbound => {
                let c = all(&t.agent_class);
                if !self.controls.outbound_blocked.contains(&c) {
                    self.controls.outbound_blocked.push(c.clone());
                }
                ("applied", format!("outbound blocked for {c}"))
            }
            UnblockOutbound => {
                let c = all(&t.agent_class);
                self.controls.outbound_blocked.retain(|x| *x != c);
                ("applied", format!("outbound unblocked for {c}"))
            }
        }
    }

    /// Pending pauses take effect: running runs of a paused workflow pause.
    fn settle_pending_actions(&mut self) {
        let pending = std::mem::take(&mut self.pending_actions);
        for (id, kind, t) in pending {
            if kind == ActionKind::PauseWorkflow {
                let w = t.workflow.clone().unwrap_or_default();
                let targets: Vec<usize> = (0..self.runs.len())
                    .filter(|&i| {
                        self.runs[i].plan.workflow == w
                            && matches!(self.runs[i].state.as_str(), "running" | "waiting_review")
                    })
                    .collect();
                for i in targets {
                    self.set_state(i, "paused", "workflow paused by operator");
                }
                if let Some(a) = self.actions.get_mut(&id) {
                    a.state = AnswerState::Applied;
                    a.message = format!("{w} paused");
                }
            }
        }
    }
}
