use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use crate::journal::JournalHandle;
use crate::model::{ActionAnswer, ActionKind, ActionRequest, Target, Time};
use crate::source::{Actor, Check, HttpError, http};

/// What the executor tells the app.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionMsg {
    /// Dry-run answers for a confirm dialog (`proposal` is the dialog's id).
    Preview {
        proposal: u64,
        result: Result<Vec<String>, String>,
    },
    /// The first attempt left.
    Sent { id: String },
    /// Retrying: say why, so the commander sees it is not stuck.
    Retrying {
        id: String,
        attempt: u32,
        error: String,
    },
    /// The platform's answer, or the last error.
    Answered {
        id: String,
        result: Result<ActionAnswer, (Option<u16>, String)>,
        attempts: u32,
    },
    /// The effect showed (or never did, within the policy's time).
    Verified {
        id: String,
        confirmed: bool,
        detail: String,
    },
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub max_attempts: u32,
    /// Longest wait between attempts, even if Retry-After asks for more.
    pub retry_cap: Duration,
    /// Give up getting an answer after this long.
    pub answer_deadline: Duration,
    /// Re-read for this long before calling the action unconfirmed.
    pub verify_timeout: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_attempts: 6,
            retry_cap: Duration::from_secs(30),
            answer_deadline: Duration::from_secs(90),
            verify_timeout: Duration::from_secs(20),
        }
    }
}

/// Re-read schedule: at once, then quickly, then every second.
fn verify_delay(n: u32) -> Duration {
    match n {
        0 => Duration::ZERO,
        1 => Duration::from_millis(100),
        2 => Duration::from_millis(200),
        3 => Duration::from_millis(400),
        4 => Duration::from_millis(700),
        _ => Duration::from_secs(1),
    }
}

fn retryable(e: &HttpError) -> bool {
    !e.permanent
}

/// Dry-run every target and report the union of affected runs.
pub async fn preview(
    actor: Arc<dyn Actor>,
    proposal: u64,
    kind: ActionKind,
    targets: Vec<Target>,
    tx: UnboundedSender<(ActionMsg, Time)>,
) {
    let mut affected: Vec<String> = Vec::new();
    let mut result = Ok(());
    for t in targets {
        match actor.dry_run(kind, t).await {
            Ok(a) => {
                for r in a.affected_runs {
                    if !affected.contains(&r) {
                        affected.push(r);
                    }
                }
            }
            Err(e) => {
                result = Err(e.message);
                break;
            }
        }
    }
    let _ = tx.send((
        ActionMsg::Preview {
            proposal,
            result: result.map(|_| affected),
        },
        chrono::Utc::now(),
    ));
}

/// Send `req` (after its intent is durable), retrying under the same key,
/// then verify. Every step is reported on `tx` with the instant it
/// happened (wall clock).
pub async fn execute(
    actor: Arc<dyn Actor>,
    req: ActionRequest,
    journal: Option<JournalHandle>,
    tx: UnboundedSender<(ActionMsg, Time)>,
    policy: Policy,
) {
    // The intent must be on disk before anything is on the wire.
    if let Some(j) = journal {
        let _ = tokio::task::spawn_blocking(move || j.sync()).await;
    }
    let send = |m: ActionMsg| {
        let _ = tx.send((m, chrono::Utc::now()));
    };
    let started = Instant::now();
    let mut rng = fastrand::Rng::new();
    let mut attempts = 0u32;
    let answer = loop {
        attempts += 1;
        if attempts == 1 {
            send(ActionMsg::Sent { id: req.id.clone() });
        }
        match actor.send(&req).await {
            Ok(a) => break Ok(a),
            Err(e) => {
                let give_up = !retryable(&e)
                    || attempts >= policy.max_attempts
                    || started.elapsed() >= policy.answer_deadline;
                if give_up {
                    break Err((e.status, e.message));
                }
                let wait = e
                    .retry_after
                    .unwrap_or_else(|| http::backoff(attempts, &mut rng))
                    .min(policy.retry_cap);
                send(ActionMsg::Retrying {
                    id: req.id.clone(),
                    attempt: attempts + 1,
                    error: format!(
                        "{} (retrying in {:.1} s, same key)",
                        e.message,
                        wait.as_secs_f64()
                    ),
                });
                tokio::time::sleep(wait).await;
            }
        }
    };
    let accepted = matches!(&answer, Ok(a) if a.state != "failed");
    send(ActionMsg::Answered {
        id: req.id.clone(),
        result: answer,
        attempts,
    });
    if !accepted {
        return;
    }
    let deadline = Instant::now() + policy.verify_timeout;
    let mut n = 0;
    let mut last;
    loop {
        tokio::time::sleep(verify_delay(n)).await;
        n += 1;
        match actor.check(&req).await {
            Ok(Check::Confirmed(detail)) => {
                send(ActionMsg::Verified {
                    id: req.id.clone(),
                    confirmed: true,
                    detail,
                });
                return;
            }
            Ok(Check::NotYet(detail)) => last = detail,
            Err(e) => last = format!("re-read failed: {}", e.message),
        }
        if Instant::now() >= deadline {
            send(ActionMsg::Verified {
                id: req.id.clone(),
                confirmed: false,
                detail: format!(
                    "effect not seen after {:.0} s: {last}",
                    policy.verify_timeout.as_secs_f64()
                ),
            });
            return;
        }
    }
}

/// The journal record for an executor report (none for previews and
/// retries, which are not evidence of what happened to the world).
pub fn record_of(m: ActionMsg, at: Time) -> Option<crate::journal::Record> {
    use crate::journal::Record;
    Some(match m {
        ActionMsg::Preview { .. } | ActionMsg::Retrying { .. } => return None,
        ActionMsg::Sent { id } => Record::ActionSent { id, at },
        ActionMsg::Answered {
            id,
            result: Ok(a),
            attempts,
        } => Record::ActionResult {
            id,
            accepted: a.state != "failed",
            status: None,
            answer: Some(a),
            error: None,
            attempts,
            at,
        },
        ActionMsg::Answered {
            id,
            result: Err((status, e)),
            attempts,
        } => Record::ActionResult {
            id,
            accepted: false,
            status,
            answer: None,
            error: Some(e),
            attempts,
            at,
        },
        ActionMsg::Verified {
            id,
            confirmed,
            detail,
        } => Record::ActionVerified {
            id,
            confirmed,
            detail,
            at,
        },
    })
}
