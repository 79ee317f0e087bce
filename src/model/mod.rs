//! Plain data the whole console shares: runs, events, source health,
//! containment controls. No IO here.

pub mod action;
pub mod event;
pub mod health;
pub mod incident;
pub mod run;

pub use action::{
    ActionAnswer, ActionKind, ActionPhase, ActionRequest, Controls, Target, ToolRevocation,
};
pub use event::{Event, EventKind};
pub use health::{Health, HealthState};
pub use run::{Run, RunState, RunStats};

/// A timestamp as the platforms give it (RFC 3339 UTC).
pub type Time = chrono::DateTime<chrono::Utc>;
