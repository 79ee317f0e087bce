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

/// The platform's answer to an action (`POST /v1/actions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionAnswer {
    pub action_id: String,
    pub kind: String,
    /// `preview`, `pending`, `applied` or `failed`.
    pub state: String,
    #[serde(default)]
    pub affected_runs: Vec<String>,
    #[serde(default)]
    pub message: String,
}

impl Target {
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
                "cannot be undone: the run is stopped and its reversible writes reverted"
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

/// Where an action stands. Only `Confirmed` means the effect was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionPhase {
    /// Journaled, not yet on the wire.
    Intent,
    Sent,
    /// The platform said yes; the effect is not yet seen.
    Accepted,
    Confirmed,
    /// Accepted but the effect never showed within the time allowed.
    Unconfirmed,
    /// The platform said no (4xx) or answered `failed`.
    Refused,
    /// Never got an answer (retries exhausted).
    Failed,
}

impl ActionPhase {
    pub fn label(self) -> &'static str {
        match self {
            ActionPhase::Intent => "intent",
            ActionPhase::Sent => "sent",
            ActionPhase::Accepted => "accepted",
            ActionPhase::Confirmed => "CONFIRMED",
            ActionPhase::Unconfirmed => "UNCONFIRMED",
            ActionPhase::Refused => "REFUSED",
            ActionPhase::Failed => "FAILED",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            ActionPhase::Confirmed
                | ActionPhase::Unconfirmed
                | ActionPhase::Refused
                | ActionPhase::Failed
        )
    }
}
