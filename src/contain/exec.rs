use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use crate::journal::JournalHandle;
use crate::model::{
    ActionAnswer, ActionKind, ActionPhase, ActionRequest, AnswerState, Target, Time,
};
use crate::source::{Actor, Check, HttpError, Lookup, http};

/// What the executor tells the app.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionMsg {
    /// Dry-run answers for a confirm dialog (`proposal` is the dialog's
    /// id), merged over its targets.
    Preview {
        proposal: u64,
        result: Result<ActionAnswer, String>,
    },
    /// The intent could not be made durable: nothing was sent.
    NotSent { id: String, reason: String },
    /// The first attempt left.
    Sent { id: String },
    /// Retrying: say why, so the commander sees it is not stuck.
    Retrying {
        id: String,
        attempt: u32,
        error: String,
    },
    /// The platform's answer, or the last error. `lost` says how the
    /// answer to the POST itself was lost when this one came from asking
    /// the platform by Idempotency-Key afterwards.
    Answered {
        id: String,
        result: Result<ActionAnswer, (Option<u16>, String)>,
        attempts: u32,
        lost: Option<String>,
    },
    /// The verdict of the re-reads (a final phase) and what was seen;
    /// `reverted` lists the rolled-back writes a rollback's re-read showed.
    Verified {
        id: String,
        outcome: ActionPhase,
        detail: String,
        reverted: Vec<String>,
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

/// Dry-run every target and merge the answers: the union of affected
/// runs (and of runs that start next), every planned and impossible
/// revert.
pub async fn preview(
    actor: Arc<dyn Actor>,
    proposal: u64,
    kind: ActionKind,
    targets: Vec<Target>,
    tx: UnboundedSender<(ActionMsg, Time)>,
) {
    let mut merged = ActionAnswer {
        kind: kind.as_str().into(),
        state: AnswerState::Preview,
        ..ActionAnswer::default()
    };
    let mut result = Ok(());
    for t in targets {
        match actor.dry_run(kind, t).await {
            Ok(a) => merge(&mut merged, a),
            Err(e) => {
                result = Err(e.message);
                break;
            }
        }
    }
    let _ = tx.send((
        ActionMsg::Preview {
            proposal,
            result: result.map(|_| merged),
        },
        chrono::Utc::now(),
    ));
}

/// Fold one dry-run answer into another.
pub fn merge(into: &mut ActionAnswer, a: ActionAnswer) {
    let union = |v: &mut Vec<String>, more: Vec<String>| {
        for r in more {
            if !v.contains(&r) {
                v.push(r);
            }
        }
    };
    union(&mut into.affected_runs, a.affected_runs);
    union(&mut into.starts_next, a.starts_next);
    if let Some(r) = a.reverts {
        into.reverts.get_or_insert_with(Vec::new).extend(r);
    }
    into.cannot_revert.extend(a.cannot_revert);
    if into.message.is_empty() {
        into.message = a.message;
    }
}

/// A definite "no" from the platform: retrying cannot help, and it is an
/// answer, not a lost one.
fn refused(e: &HttpError) -> bool {
    e.permanent && e.status.is_some()
}

/// Send `req` (after its intent is durable), retrying under the same key,
/// then verify. Every step is reported on `tx` with the instant it
/// happened (wall clock). Fails closed: if the journal cannot say the
/// intent is on disk, nothing goes on the wire.
pub async fn execute(
    actor: Arc<dyn Actor>,
    req: ActionRequest,
    journal: Option<JournalHandle>,
    tx: UnboundedSender<(ActionMsg, Time)>,
    policy: Policy,
) {
    let send = |m: ActionMsg| {
        let _ = tx.send((m, chrono::Utc::now()));
    };
    if let Some(j) = journal {
        let durable = tokio::task::spawn_blocking(move || j.sync())
            .await
            .unwrap_or_else(|e| Err(format!("journal writer: {e}")));
        if let Err(e) = durable {
            send(ActionMsg::NotSent {
                id: req.id.clone(),
                reason: format!("nothing sent: its intent is not on disk ({e})"),
            });
            return;
        }
    }
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
                let give_up = e.permanent
                    || attempts >= policy.max_attempts
                    || started.elapsed() >= policy.answer_deadline;
                if give_up {
                    break Err(e);
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
    match answer {
        Ok(a) => {
            let accepted = a.state.accepted();
            send(ActionMsg::Answered {
                id: req.id.clone(),
                result: Ok(a.clone()),
                attempts,
                lost: None,
            });
            if accepted {
                verify(&*actor, &req, &a, &policy, "", &send).await;
            }
        }
        Err(e) if e.permanent && e.status.is_none() => {
            // Refused by cordon itself (a token it cannot read): never left.
            send(ActionMsg::NotSent {
                id: req.id.clone(),
                reason: format!("nothing sent: {}", e.message),
            });
        }
        Err(e) if refused(&e) => send(ActionMsg::Answered {
            id: req.id.clone(),
            result: Err((e.status, e.message)),
            attempts,
            lost: None,
        }),
        Err(e) => {
            // The answer was lost (timeouts, resets, 5xx): the platform may
            // have applied it. Ask, then re-read, before calling it anything.
            let lost = format!("{} after {attempts} attempt(s)", e.message);
            reconcile_lost(&*actor, &req, (e.status, lost), attempts, &policy, &send).await;
        }
    }
}

/// An action whose answer never came: ask the platform by key, then read
/// the effect. Applied → verified as usual; never received → closed as
/// such; otherwise what the re-reads show decides.
async fn reconcile_lost(
    actor: &dyn Actor,
    req: &ActionRequest,
    (status, lost): (Option<u16>, String),
    attempts: u32,
    policy: &Policy,
    send: &impl Fn(ActionMsg),
) {
    let answered = |result| ActionMsg::Answered {
        id: req.id.clone(),
        result,
        attempts,
        lost: Some(lost.clone()),
    };
    let (answer, on_timeout, why) = match actor.lookup(req).await {
        Ok(Lookup::Found(a)) => {
            send(answered(Ok(a.clone())));
            if !a.state.accepted() {
                return;
            }
            (Some(a), ActionPhase::Unconfirmed, None)
        }
        Ok(Lookup::NeverReceived) => {
            let why = "the platform has no action under its key: it never received it";
            send(answered(Err((status, format!("{lost}; {why}")))));
            (None, ActionPhase::NotReceived, Some(why))
        }
        Ok(Lookup::Unsupported) | Err(_) => {
            send(answered(Err((status, lost.clone()))));
            let why = "no answer, and the re-reads did not show the effect";
            (None, ActionPhase::Failed, Some(why))
        }
    };
    let v = reread(actor, req, answer.as_ref(), policy.verify_timeout).await;
    send(v.into_msg(req, on_timeout, "", |last| match why {
        Some(w) => format!("{w}: {last}"),
        None => not_seen(policy, last),
    }));
}

fn not_seen(policy: &Policy, last: &str) -> String {
    format!(
        "effect not seen after {:.0} s: {last}",
        policy.verify_timeout.as_secs_f64()
    )
}

/// Accepted: re-read until the effect shows, else unconfirmed.
async fn verify(
    actor: &dyn Actor,
    req: &ActionRequest,
    answer: &ActionAnswer,
    policy: &Policy,
    prefix: &str,
    send: &impl Fn(ActionMsg),
) {
    let v = reread(actor, req, Some(answer), policy.verify_timeout).await;
    send(v.into_msg(req, ActionPhase::Unconfirmed, prefix, |last| {
        not_seen(policy, last)
    }));
}

/// What the re-reads came to.
enum Verdict {
    /// A verdict that cannot change: proven, ended, nothing to do, a
    /// finished partial rollback.
    Final(ActionPhase, String, Vec<String>),
    /// Nothing proven in the time allowed; the last thing seen.
    NotSeen(String),
}

impl Verdict {
    fn into_msg(
        self,
        req: &ActionRequest,
        on_timeout: ActionPhase,
        prefix: &str,
        why: impl FnOnce(&str) -> String,
    ) -> ActionMsg {
        let (outcome, detail, reverted) = match self {
            Verdict::Final(p, d, r) => (p, d, r),
            Verdict::NotSeen(last) => (on_timeout, why(&last), vec![]),
        };
        ActionMsg::Verified {
            id: req.id.clone(),
            outcome,
            detail: format!("{prefix}{detail}"),
            reverted,
        }
    }
}

/// Re-read at once, then on the schedule, for up to `timeout`.
async fn reread(
    actor: &dyn Actor,
    req: &ActionRequest,
    answer: Option<&ActionAnswer>,
    timeout: Duration,
) -> Verdict {
    let deadline = Instant::now() + timeout;
    let mut n = 0;
    loop {
        tokio::time::sleep(verify_delay(n)).await;
        n += 1;
        let last = match actor.check(req, answer).await {
            Ok(Check::Confirmed(d)) => return Verdict::Final(ActionPhase::Confirmed, d, vec![]),
            Ok(Check::Reverted { detail, reverted }) => {
                return Verdict::Final(ActionPhase::Confirmed, detail, reverted);
            }
            Ok(Check::Partial { detail, reverted }) => {
                return Verdict::Final(ActionPhase::Partial, detail, reverted);
            }
            Ok(Check::AlreadyEnded(d)) => {
                return Verdict::Final(ActionPhase::AlreadyEnded, d, vec![]);
            }
            Ok(Check::NothingToDo(d)) => {
                return Verdict::Final(ActionPhase::NothingToDo, d, vec![]);
            }
            Ok(Check::NotYet(d)) => d,
            Err(e) => format!("re-read failed: {}", e.message),
        };
        if Instant::now() >= deadline {
            return Verdict::NotSeen(last);
        }
    }
}

/// After a restart: settle an action whose intent was journaled but whose
/// outcome was not, without ever sending it again. With its answer on
/// record it is verified as usual; otherwise the platform is asked by key
/// (and the effect re-read once); what cannot be told is closed as
/// unknown, with what was seen.
pub async fn reconcile(
    actor: Arc<dyn Actor>,
    req: ActionRequest,
    answer: Option<ActionAnswer>,
    tx: UnboundedSender<(ActionMsg, Time)>,
    policy: Policy,
) {
    let send = |m: ActionMsg| {
        let _ = tx.send((m, chrono::Utc::now()));
    };
    let prefix = "reconciled after a restart: ";
    let answer = match answer {
        Some(a) => a,
        None => match actor.lookup(&req).await {
            Ok(Lookup::Found(a)) => {
                send(ActionMsg::Answered {
                    id: req.id.clone(),
                    result: Ok(a.clone()),
                    attempts: 0,
                    lost: Some("in a crash; found by its idempotency key".into()),
                });
                a
            }
            Ok(Lookup::NeverReceived) => {
                return send(ActionMsg::Verified {
                    id: req.id.clone(),
                    outcome: ActionPhase::NotReceived,
                    detail: format!(
                        "{prefix}the platform has no action under its idempotency key: it never arrived; not re-sent"
                    ),
                    reverted: vec![],
                });
            }
            Ok(Lookup::Unsupported) | Err(_) => {
                // One look at the effect: if it shows, it was applied.
                let v = reread(&*actor, &req, None, Duration::ZERO).await;
                return send(v.into_msg(&req, ActionPhase::Unknown, prefix, |last| {
                    format!(
                        "cannot tell whether it was received (the platform cannot be asked by key); not re-sent; re-read: {last}"
                    )
                }));
            }
        },
    };
    if answer.state.accepted() {
        verify(&*actor, &req, &answer, &policy, prefix, &send).await;
    }
}

/// The journal record for an executor report (none for previews and
/// retries, which are not evidence of what happened to the world).
pub fn record_of(m: ActionMsg, at: Time) -> Option<crate::journal::Record> {
    use crate::journal::Record;
    Some(match m {
        ActionMsg::Preview { .. } | ActionMsg::Retrying { .. } => return None,
        ActionMsg::Sent { id } => Record::ActionSent { id, at },
        ActionMsg::NotSent { id, reason } => Record::ActionVerified {
            id,
            confirmed: false,
            detail: reason,
            at,
            outcome: Some(ActionPhase::NotSent),
            reverted: vec![],
        },
        ActionMsg::Answered {
            id,
            result: Ok(a),
            attempts,
            lost,
        } => Record::ActionResult {
            id,
            accepted: a.state.accepted(),
            status: None,
            answer: Some(a),
            error: None,
            attempts,
            at,
            lost,
        },
        ActionMsg::Answered {
            id,
            result: Err((status, e)),
            attempts,
            lost,
        } => Record::ActionResult {
            id,
            accepted: false,
            status,
            answer: None,
            error: Some(e),
            attempts,
            at,
            lost,
        },
        ActionMsg::Verified {
            id,
            outcome,
            detail,
            reverted,
        } => Record::ActionVerified {
            id,
            confirmed: outcome.is_verified_effect(),
            detail,
            at,
            outcome: Some(outcome),
            reverted,
        },
    })
}
