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
}

impl ActionKind {
    pub const ALL: [ActionKind; 11] = [
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
            StopRun | RollbackRun | RevokeCredential => None,
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
