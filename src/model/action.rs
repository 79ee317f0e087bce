use serde::{Deserialize, Serialize};

/// Containment action kinds of ACA/1. Unknown kinds are kept as text so a
/// platform's extra offers can at least be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    StopRun,
    RollbackRun,
    PauseWorkflow,
    ResumeWorkflow,
    HoldQueue,
    ReleaseQueue,
    RevokeTool,
    RestoreTool,
    RevokeCredential,
    BlockOutbound,
    UnblockOutbound,
    /// Hard stop: the run closes at once, its own code gets no say
    /// (Temporal terminate). `stop_run` is the graceful cancel.
    TerminateRun,
}

impl ActionKind {
    pub const ALL: [ActionKind; 12] = [
        ActionKind::StopRun,
        ActionKind::RollbackRun,
        ActionKind::PauseWorkflow,
        ActionKind::ResumeWorkflow,
        ActionKind::HoldQueue,
        ActionKind::ReleaseQueue,
        ActionKind::RevokeTool,
        ActionKind::RestoreTool,
        ActionKind::RevokeCredential,
        ActionKind::BlockOutbound,
        ActionKind::UnblockOutbound,
        ActionKind::TerminateRun,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::StopRun => "stop_run",
            ActionKind::RollbackRun => "rollback_run",
            ActionKind::PauseWorkflow => "pause_workflow",
            ActionKind::ResumeWorkflow => "resume_workflow",
            ActionKind::HoldQueue => "hold_queue",
            ActionKind::ReleaseQueue => "release_queue",
            ActionKind::RevokeTool => "revoke_tool",
            ActionKind::RestoreTool => "restore_tool",
            ActionKind::RevokeCredential => "revoke_credential",
            ActionKind::BlockOutbound => "block_outbound",
            ActionKind::UnblockOutbound => "unblock_outbound",
            ActionKind::TerminateRun => "terminate_run",
        }
    }

    pub fn parse(s: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The action that undoes this one, if any.
    pub fn inverse(self) -> Option<ActionKind> {
        use ActionKind::*;
        match self {
            PauseWorkflow => Some(ResumeWorkflow),
            ResumeWorkflow => Some(PauseWorkflow),
            HoldQueue => Some(ReleaseQueue),
            ReleaseQueue => Some(HoldQueue),
            RevokeTool => Some(RestoreTool),
            RestoreTool => Some(RevokeTool),
            BlockOutbound => Some(UnblockOutbound),
            UnblockOutbound => Some(BlockOutbound),
            StopRun | RollbackRun | RevokeCredential | TerminateRun => None,
        }
    }
}

/// What an action applies to. Empty fields are omitted on the wire; an
/// empty target means "all" for `hold_queue` and `block_outbound`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ToolRevocation {
    pub agent_class: String,
    pub tool: String,
}

/// The containment now in force (`GET /v1/controls`). `"*"` means all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controls {
    #[serde(default)]
    pub outbound_blocked: Vec<String>,
    #[serde(default)]
    pub revoked_tools: Vec<ToolRevocation>,
    #[serde(default)]
    pub revoked_credentials: Vec<String>,
    #[serde(default)]
    pub paused_workflows: Vec<String>,
    #[serde(default)]
    pub held_queues: Vec<String>,
}

impl Controls {
    /// Clean every string (they come from the platform) and cap the lists.
    pub fn sanitized(self) -> Controls {
        let line = |s: &str| crate::sanitize::id(s).into_owned();
        // Names of workflows, classes, tools, credentials: identities,
        // spelled as the runs that carry them are.
        let clean = |v: Vec<String>| -> Vec<String> {
            v.into_iter().take(1000).map(|s| line(&s)).collect()
        };
        Controls {
            outbound_blocked: clean(self.outbound_blocked),
            revoked_tools: self
                .revoked_tools
                .into_iter()
                .take(1000)
                .map(|t| ToolRevocation {
                    agent_class: line(&t.agent_class),
                    tool: line(&t.tool),
                })
                .collect(),
            revoked_credentials: clean(self.revoked_credentials),
            paused_workflows: clean(self.paused_workflows),
            held_queues: clean(self.held_queues),
        }
    }

    /// The controls as a confirmed action left them. Its confirmation was
    /// a fresh read of these same controls, so the list shows the effect
    /// at once instead of at the next poll.
    pub fn apply_confirmed(&mut self, kind: ActionKind, t: &Target) {
        use ActionKind::*;
        fn add(v: &mut Vec<String>, x: &str) {
            if !v.iter().any(|y| y == x) {
                v.push(x.to_string());
            }
        }
        fn drop(v: &mut Vec<String>, x: Option<&str>) {
            match x {
                Some(x) => v.retain(|y| y != x),
                None => v.clear(),
            }
        }
        let all = |o: &Option<String>| o.clone().unwrap_or_else(|| "*".into());
        match kind {
            BlockOutbound => add(&mut self.outbound_blocked, &all(&t.agent_class)),
            UnblockOutbound => drop(&mut self.outbound_blocked, t.agent_class.as_deref()),
            HoldQueue => add(&mut self.held_queues, &all(&t.workflow)),
            ReleaseQueue => drop(&mut self.held_queues, t.workflow.as_deref()),
            PauseWorkflow => {
                if let Some(w) = &t.workflow {
                    add(&mut self.paused_workflows, w)
                }
            }
            ResumeWorkflow => {
                if let Some(w) = &t.workflow {
                    drop(&mut self.paused_workflows, Some(w))
                }
            }
            RevokeCredential => {
                if let Some(c) = &t.credential {
                    add(&mut self.revoked_credentials, c)
                }
            }
            RevokeTool | RestoreTool => {
                if let (Some(c), Some(tool)) = (&t.agent_class, &t.tool) {
                    let pair = ToolRevocation {
                        agent_class: c.clone(),
                        tool: tool.clone(),
                    };
                    self.revoked_tools.retain(|r| *r != pair);
                    if kind == RevokeTool {
                        self.revoked_tools.push(pair);
                    }
                }
            }
            StopRun | RollbackRun | TerminateRun => {}
        }
    }

    pub fn outbound_blocked_for(&self, class: &str) -> bool {
        self.outbound_blocked.iter().any(|c| c == "*" || c == class)
    }
    pub fn tool_revoked(&self, class: &str, tool: &str) -> bool {
        self.revoked_tools
            .iter()
            .any(|r| (r.agent_class == class || r.agent_class == "*") && r.tool == tool)
    }
    pub fn queue_held(&self, workflow: &str) -> bool {
        self.held_queues.iter().any(|q| q == "*" || q == workflow)
    }
    pub fn workflow_paused(&self, workflow: &str) -> bool {
        self.paused_workflows.iter().any(|w| w == workflow)
    }
}

/// The `state` of an action answer. Unknown values are kept (and shown),
/// never taken for one of ours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AnswerState {
    /// A dry run's answer.
    Preview,
    /// Accepted; the effect follows.
    #[default]
    Pending,
    Applied,
    /// The platform refused or could not do it.
    Failed,
    Other(String),
}

impl AnswerState {
    pub fn parse(s: &str) -> AnswerState {
        match s {
            "preview" => AnswerState::Preview,
            "pending" => AnswerState::Pending,
            "applied" => AnswerState::Applied,
            "failed" => AnswerState::Failed,
            o => AnswerState::Other(crate::sanitize::line(o, 32)),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            AnswerState::Preview => "preview",
            AnswerState::Pending => "pending",
            AnswerState::Applied => "applied",
            AnswerState::Failed => "failed",
            AnswerState::Other(s) => s,
        }
    }

    /// The platform took the action on (what is confirmed is another
    /// matter: only a fresh read says that). An unknown state is not a
    /// refusal either: the re-read decides.
    pub fn accepted(&self) -> bool {
        !matches!(self, AnswerState::Failed)
    }
}

impl From<&str> for AnswerState {
    fn from(s: &str) -> Self {
        AnswerState::parse(s)
    }
}

impl Serialize for AnswerState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AnswerState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(AnswerState::parse(&String::deserialize(d)?))
    }
}

/// One write a rollback will revert (ACA/1.1 `reverts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedRevert {
    pub event_id: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub target: String,
}

/// One write a rollback cannot revert, and why (`cannot_revert`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannotRevert {
    pub event_id: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub why: String,
}

/// `null` where a string or a list belongs reads as empty: it says
/// nothing, and refusing the whole answer for it helps no one.
fn or_empty<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The platform's answer to an action (`POST /v1/actions`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionAnswer {
    /// `null` on a sloppy platform's dry run (which creates no action).
    #[serde(default, deserialize_with = "or_empty")]
    pub action_id: String,
    #[serde(default, deserialize_with = "or_empty")]
    pub kind: String,
    #[serde(default)]
    pub state: AnswerState,
    #[serde(default, deserialize_with = "or_empty")]
    pub affected_runs: Vec<String>,
    #[serde(default, deserialize_with = "or_empty")]
    pub message: String,
    /// Rollback: the writes it reverts. `None`: the platform plans no
    /// reverts of its own (LangGraph's rollback deletes the run instead);
    /// `Some(empty)`: nothing to roll back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverts: Option<Vec<PlannedRevert>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cannot_revert: Vec<CannotRevert>,
    /// Runs that will start as soon as the target stops (LangGraph runs
    /// queued on the same thread): the blast radius of what comes next.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starts_next: Vec<String>,
}

impl ActionAnswer {
    /// Clean every string (they come from the platform) and cap the lists.
    pub fn sanitized(mut self) -> ActionAnswer {
        use crate::sanitize::{MAX_SHORT, line};
        const MAX: usize = 10_000;
        // Run and event ids are identities, spelled as the feed's are
        // ([`crate::sanitize::id`]), so they compare with what is stored.
        let id = |s: &str| crate::sanitize::id(s).into_owned();
        let ids =
            |v: Vec<String>| -> Vec<String> { v.into_iter().take(MAX).map(|r| id(&r)).collect() };
        self.action_id = line(&self.action_id, MAX_SHORT);
        self.kind = line(&self.kind, 64);
        self.message = line(&self.message, 512);
        self.affected_runs = ids(self.affected_runs);
        self.starts_next = ids(self.starts_next);
        self.reverts = self.reverts.map(|v| {
            v.into_iter()
                .take(MAX)
                .map(|r| PlannedRevert {
                    event_id: id(&r.event_id),
                    kind: line(&r.kind, 64),
                    target: line(&r.target, MAX_SHORT),
                })
                .collect()
        });
        self.cannot_revert = self
            .cannot_revert
            .into_iter()
            .take(MAX)
            .map(|r| CannotRevert {
                event_id: id(&r.event_id),
                kind: line(&r.kind, 64),
                target: line(&r.target, MAX_SHORT),
                why: line(&r.why, 256),
            })
            .collect();
        self
    }
}

impl Target {
    /// Everything the action's kind reaches on a source.
    pub fn global() -> Target {
        Target::default()
    }

    /// One run.
    pub fn run(id: impl Into<String>) -> Target {
        Target {
            run_id: Some(id.into()),
            ..Target::default()
        }
    }

    /// A workflow (`None`: every workflow).
    pub fn workflow(w: impl Into<Option<String>>) -> Target {
        Target {
            workflow: w.into(),
            ..Target::default()
        }
    }

    /// An agent class (`None`: every class).
    pub fn agent_class(c: impl Into<Option<String>>) -> Target {
        Target {
            agent_class: c.into(),
            ..Target::default()
        }
    }

    /// One tool of an agent class.
    pub fn tool(agent_class: impl Into<String>, tool: impl Into<String>) -> Target {
        Target {
            agent_class: Some(agent_class.into()),
            tool: Some(tool.into()),
            ..Target::default()
        }
    }

    /// One credential.
    pub fn credential(c: impl Into<String>) -> Target {
        Target {
            credential: Some(c.into()),
            ..Target::default()
        }
    }

    /// The target as the platform spelled it: every id back from its
    /// visible spelling ([`crate::sanitize::id_raw`]). Refused when an id
    /// was cut or redacted on the way in: sending what is left could hit
    /// another object.
    pub fn for_platform(&self) -> Result<Target, String> {
        let raw = |v: &Option<String>| -> Result<Option<String>, String> {
            match v {
                None => Ok(None),
                Some(s) => crate::sanitize::id_raw(s)
                    .map(|r| Some(r.into_owned()))
                    .ok_or_else(|| {
                        format!(
                            "'{s}' was cut or redacted when it came in; cordon cannot send it back whole (act on it in the platform itself)"
                        )
                    }),
            }
        };
        Ok(Target {
            run_id: raw(&self.run_id)?,
            workflow: raw(&self.workflow)?,
            agent_class: raw(&self.agent_class)?,
            tool: raw(&self.tool)?,
            credential: raw(&self.credential)?,
        })
    }

    /// Everything (empty target) for kinds that allow a global scope.
    pub fn is_global(&self) -> bool {
        self.run_id.is_none()
            && self.workflow.is_none()
            && self.agent_class.is_none()
            && self.tool.is_none()
            && self.credential.is_none()
    }

    /// How a person names this target.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = &self.run_id {
            parts.push(format!("run {r}"));
        }
        if let Some(w) = &self.workflow {
            parts.push(format!("workflow {w}"));
        }
        if let Some(c) = &self.agent_class {
            parts.push(format!("agent class {c}"));
        }
        if let Some(t) = &self.tool {
            parts.push(format!("tool {t}"));
        }
        if let Some(c) = &self.credential {
            parts.push(format!("credential {c}"));
        }
        if parts.is_empty() {
            "everything".into()
        } else {
            parts.join(", ")
        }
    }

    /// The word a commander types to confirm a dangerous action on it.
    pub fn confirm_word(&self) -> String {
        self.run_id
            .clone()
            .or_else(|| self.credential.clone())
            .or_else(|| self.tool.clone())
            .or_else(|| self.workflow.clone())
            .or_else(|| self.agent_class.clone())
            .unwrap_or_else(|| "yes".into())
    }
}

impl ActionKind {
    /// What undoing it takes, said plainly for the confirm dialog.
    pub fn undo_note(self) -> &'static str {
        use ActionKind::*;
        match self {
            StopRun => {
                "cannot be undone: a stopped run does not resume (start a new run if needed)"
            }
            RollbackRun => {
                "cannot be undone: the run is stopped if still active, and only the writes listed as reverted are undone"
            }
            RevokeCredential => "cannot be undone here: a revoked credential must be re-issued",
            PauseWorkflow => "undo with resume_workflow",
            ResumeWorkflow => "undo with pause_workflow",
            HoldQueue => "undo with release_queue",
            ReleaseQueue => "undo with hold_queue",
            RevokeTool => "undo with restore_tool",
            RestoreTool => "undo with revoke_tool",
            BlockOutbound => "undo with unblock_outbound",
            UnblockOutbound => "undo with block_outbound",
            TerminateRun => "cannot be undone: the run is closed at once, without clean-up",
        }
    }

    /// Short verb for buttons and the Containment pane.
    pub fn verb(self) -> &'static str {
        use ActionKind::*;
        match self {
            StopRun => "Stop run",
            RollbackRun => "Roll back run",
            PauseWorkflow => "Pause workflow",
            ResumeWorkflow => "Resume workflow",
            HoldQueue => "Hold queue",
            ReleaseQueue => "Release queue",
            RevokeTool => "Revoke tool",
            RestoreTool => "Restore tool",
            RevokeCredential => "Revoke credential",
            BlockOutbound => "Block outbound",
            UnblockOutbound => "Unblock outbound",
            TerminateRun => "Terminate run",
        }
    }
}

/// One containment request as cordon sends and tracks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRequest {
    /// cordon's own id for it (stable across retries and replays).
    pub id: String,
    pub source: String,
    pub kind: ActionKind,
    pub target: Target,
    pub reason: String,
    /// Sent as Idempotency-Key on every attempt.
    pub key: String,
    /// Who asked, as sent to the platform ("alice@bastion-1").
    pub actor: String,
}

/// Where an action stands. Only `Confirmed` means the effect was seen:
/// a fresh read of the same object showed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionPhase {
    /// Journaled, not yet on the wire.
    Intent,
    Sent,
    /// The platform said yes; the effect is not yet seen.
    Accepted,
    Confirmed,
    /// A rollback of which some planned writes were reverted and some
    /// failed (the run's `rollback.failed`).
    Partial,
    /// The run had ended before the action reached it: nothing to stop.
    AlreadyEnded,
    /// Nothing to do: a rollback whose plan reverts no write, or a
    /// containment control already in force before the action was sent.
    NothingToDo,
    /// Accepted but the effect never showed within the time allowed.
    Unconfirmed,
    /// The platform said no (4xx) or answered `failed`.
    Refused,
    /// Never got an answer (retries exhausted), and the re-read did not
    /// show the effect either.
    Failed,
    /// Never left cordon: its intent could not be made durable.
    NotSent,
    /// The platform says it never received it (idempotency lookup, asked
    /// again while re-reading, after a lost answer every attempt of which
    /// was answered); closed, never re-sent.
    NotReceived,
    /// cordon cannot tell whether it was applied (after a restart, or an
    /// attempt that may still be under way): it may still arrive.
    Unknown,
}

impl ActionPhase {
    pub fn label(self) -> &'static str {
        match self {
            ActionPhase::Intent => "intent",
            ActionPhase::Sent => "sent",
            ActionPhase::Accepted => "accepted",
            ActionPhase::Confirmed => "CONFIRMED",
            ActionPhase::Partial => "PARTLY DONE",
            ActionPhase::AlreadyEnded => "ALREADY ENDED",
            ActionPhase::NothingToDo => "NOTHING TO DO",
            ActionPhase::Unconfirmed => "UNCONFIRMED",
            ActionPhase::Refused => "REFUSED",
            ActionPhase::Failed => "NO ANSWER",
            ActionPhase::NotSent => "NOT SENT",
            ActionPhase::NotReceived => "NOT RECEIVED",
            ActionPhase::Unknown => "UNKNOWN",
        }
    }

    pub fn is_final(self) -> bool {
        !matches!(
            self,
            ActionPhase::Intent | ActionPhase::Sent | ActionPhase::Accepted
        )
    }

    /// A fresh read of the same object proved the effect this action
    /// asked for. The one test reports use for "it worked".
    pub fn is_verified_effect(self) -> bool {
        self == ActionPhase::Confirmed
    }

    /// The action had nothing to act on (an ended run, an empty rollback
    /// plan) or never reached the platform: it says nothing about whether
    /// the stop control works.
    pub fn tested_nothing(self) -> bool {
        matches!(
            self,
            ActionPhase::AlreadyEnded
                | ActionPhase::NothingToDo
                | ActionPhase::NotSent
                | ActionPhase::NotReceived
        )
    }
}

impl ActionKind {
    /// Tightens containment (stop, pause, hold, revoke, block). Its
    /// inverses loosen it and are not stop controls.
    pub fn is_containment(self) -> bool {
        use ActionKind::*;
        matches!(
            self,
            StopRun
                | RollbackRun
                | TerminateRun
                | PauseWorkflow
                | HoldQueue
                | RevokeTool
                | RevokeCredential
                | BlockOutbound
        )
    }

    /// Acts on one run (stop, terminate, rollback).
    pub fn on_run(self) -> bool {
        matches!(
            self,
            ActionKind::StopRun | ActionKind::RollbackRun | ActionKind::TerminateRun
        )
    }
}

/// What a platform's own version of an action does and does not undo,
/// said in the dialog and journaled with the intent. `source_kind` is the
/// adapter (`aca`, `langgraph`, `temporal`, `openai-admin`).
pub fn platform_note(source_kind: &str, kind: ActionKind) -> Option<&'static str> {
    use ActionKind::*;
    Some(match (source_kind, kind) {
        ("langgraph", RollbackRun) => {
            "LangGraph's rollback cancels the run, then DELETES the run and its checkpoints; it reverts nothing outside LangGraph (emails sent, files, records, payments stay), and a run that has already ended cannot be rolled back"
        }
        ("langgraph", StopRun) => {
            "LangGraph's cancel (action=interrupt) stops the run where it is; what it already did stays, and the next run queued on its thread starts at once"
        }
        ("langgraph", HoldQueue) => {
            "LangGraph has no queue to hold: this cancels the runs pending now and disables the crons in scope; runs started later are not held"
        }
        ("langgraph", ReleaseQueue) => {
            "release re-enables the crons cordon held and ends cordon's hold; the runs the hold cancelled stay cancelled (LangGraph cannot restart them)"
        }
        ("temporal", PauseWorkflow) => {
            "Temporal's pause stops each execution's workflow tasks where it is; an activity already running on a worker may still finish, and the server must have workflow pause enabled"
        }
        ("temporal", StopRun) => {
            "Temporal's cancel asks the workflow to stop: its own code decides what clean-up (compensations) to run; activities already completed stay done"
        }
        ("temporal", TerminateRun) => {
            "Temporal's terminate closes the execution at once: no clean-up code runs and completed activities stay done"
        }
        ("openai-admin", RevokeCredential) => {
            "deletes the project API key: calls with it fail from now on; what was done with it stays"
        }
        _ => return None,
    })
}
