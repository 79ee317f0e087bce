use serde::{Deserialize, Serialize};

use super::Time;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// Not polled yet.
    Connecting,
    Ok,
    /// The last poll failed; data shown is from `last_ok`.
    Error,
}

/// What the status bar says about one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub state: HealthState,
    pub last_ok: Option<Time>,
    pub last_error: Option<String>,
    pub last_error_at: Option<Time>,
    /// Consecutive failed polls.
    pub failures: u32,
    /// When the next attempt is due (after backoff).
    pub retry_at: Option<Time>,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            state: HealthState::Connecting,
            last_ok: None,
            last_error: None,
            last_error_at: None,
            failures: 0,
            retry_at: None,
        }
    }
}

impl Health {
    /// Seconds since the last good poll, if ever.
    pub fn age_secs(&self, now: Time) -> Option<i64> {
        self.last_ok.map(|t| (now - t).num_seconds().max(0))
    }

    /// Stale: erroring, or no good poll for longer than `stale_after` secs.
    pub fn is_stale(&self, now: Time, stale_after: i64) -> bool {
        self.state != HealthState::Ok || self.age_secs(now).is_none_or(|a| a > stale_after)
    }
}
