//! The hold cordon enforces on LangGraph. The server has no hold of its
//! own: `POST /runs/cancel {"status": "pending"}` cancels what is queued at
//! that moment, and runs queued a second later run anyway. So while a hold
//! is in force (set by the actor when `hold_queue` is sent, cleared by
//! `release_queue`), the poller cancels every run it finds queued in a held
//! queue, journals that it did, and reports the hold as a control in force,
//! "enforced by cordon while it runs". When cordon stops, nothing holds the
//! queue: the controls it reports then no longer list it.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde_json::json;

use super::{Shared, convert, lock};
use crate::model::{Controls, Event, Time};
use crate::source::http::HttpError;

/// What `hold_queue` answers: what it did, and that the hold holds.
pub const STARTED: &str = "pending runs cancelled, crons disabled; cordon cancels runs queued later while it runs (release_queue ends the hold)";
pub const ENDED: &str =
    "hold ended: cordon no longer cancels queued runs; the crons it held are enabled again";

/// The hold is in force from now (the actor sent `hold_queue`).
pub fn start(shared: &Mutex<Shared>, workflow: Option<&str>) {
    lock(shared)
        .held
        .insert(workflow.unwrap_or("*").to_string());
}

/// The hold ends (`release_queue`).
pub fn end(shared: &Mutex<Shared>, workflow: Option<&str>) {
    let mut s = lock(shared);
    match workflow {
        Some(w) => {
            s.held.remove(w);
        }
        None => s.held.clear(),
    }
}

/// `POST /runs/cancel` answers 404 "No runs found to cancel" when nothing
/// is queued: for a hold that is no failure (there was nothing to cancel;
/// the hold still starts).
pub fn tolerate_nothing_pending<T: Default>(r: Result<T, HttpError>) -> Result<T, HttpError> {
    match r {
        Err(e) if e.status == Some(404) => Ok(T::default()),
        r => r,
    }
}

/// Is a run of `workflow` held?
pub fn held(holds: &BTreeSet<String>, workflow: &str) -> bool {
    holds.contains("*") || holds.contains(workflow)
}

/// The controls to report: the holds cordon enforces.
pub fn controls(holds: &BTreeSet<String>) -> Controls {
    Controls {
        held_queues: holds.iter().cloned().collect(),
        ..Controls::default()
    }
}

/// What the timeline says when the poller cancelled a queued run.
pub fn cancelled_event(run: &str, workflow: &str, outcome: &str, now: Time) -> Option<Event> {
    let at = now.to_rfc3339();
    convert::event(
        format!("{run}/held"),
        run,
        Some(&at),
        "containment",
        format!(
            "hold in force on {}: cordon cancelled this queued run ({outcome}); the hold lasts while cordon runs",
            if workflow.is_empty() {
                "every queue"
            } else {
                workflow
            }
        ),
        json!({"data": {"held": workflow, "outcome": outcome}}),
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope() {
        let mut h = BTreeSet::new();
        assert!(!held(&h, "refunds"));
        h.insert("refunds".to_string());
        assert!(held(&h, "refunds") && !held(&h, "nightly"));
        h.insert("*".into());
        assert!(held(&h, "nightly"));
        assert_eq!(controls(&h).held_queues, vec!["*", "refunds"]);
    }
}
