//! A staged restart: a containment control undone in stages (first a
//! canary scope), each stage watched for the incident's harm signatures
//! for a window, the control re-applied at once if one shows.

use serde::{Deserialize, Serialize};

use super::{ActionKind, Target, Time};

/// Default watch window after each stage.
pub const DEFAULT_WINDOW_SECS: u32 = 120;
pub const MIN_WINDOW_SECS: u32 = 30;
pub const MAX_WINDOW_SECS: u32 = 3600;

/// One journaled step of a staged restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum RestartStep {
    /// The plan: the control in force (`control` on `stages`, the first
    /// being the canary scope) and the watch window.
    Planned {
        source: String,
        control: ActionKind,
        stages: Vec<Target>,
        window_secs: u32,
    },
    /// A stage's inverse was confirmed by the commander (its action id).
    Lifting { stage: usize, action: String },
    /// The stage's inverse is confirmed: the scope is watched until then.
    Watching { stage: usize, until: Time },
    /// The window passed with no harm signature in the scope.
    Clean { stage: usize },
    /// A harm signature showed in the scope: the control is re-applied
    /// (`action`, journaled and verified as any action).
    Harm {
        stage: usize,
        run: String,
        event: String,
        why: String,
        action: String,
    },
    /// The window was changed.
    Window { secs: u32 },
    /// Over: every stage clean, a stage that failed, or re-contained.
    Ended { why: String },
}
