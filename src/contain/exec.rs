use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use crate::journal::JournalHandle;
use crate::model::{
    ActionAnswer, ActionKind, ActionPhase, ActionRequest, AnswerState, Target, Time,
};
use crate::source::{Actor, Before, Check, HttpError, Lookup, Prior, http, weigh};

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
/// answer, not a lost one. A redirect is neither: the platform answered
/// the action with another address (often its result's), which cordon
/// never follows with the action or its credential; whether it was
/// applied is asked and re-read as for a lost answer.
fn refused(e: &HttpError) -> bool {
    e.permanent && e.status.is_some_and(|s| !(300..400).contains(&s))
}

/// Whether a failed attempt may still be under way at the platform: no
/// answer came to it (a timeout, a reset), or a gateway gave up waiting
/// for the platform (504). A lookup that says "never received" after such
/// an attempt can race the request itself.
fn may_be_in_flight(e: &HttpError) -> bool {
    matches!(e.status, None | Some(504))
}

/// Longest the read just before an action leaves may take: a platform
/// slow to answer reads must not hold a stop back for long.
const BEFORE_TIMEOUT: Duration = Duration::from_secs(3);

/// Read the object just before the action leaves ([`Actor::before`]);
/// `None` when the read failed or took longer than [`BEFORE_TIMEOUT`]
/// (the verdict then rests on the re-reads alone, as before ACA/1.1).
pub async fn read_before(actor: &dyn Actor, req: &ActionRequest) -> Option<Before> {
    match tokio::time::timeout(BEFORE_TIMEOUT, actor.before(req)).await {
        Ok(Ok(b)) => Some(b),
        _ => None,
    }
}

/// Send `req` (after its intent is durable), retrying under the same key,
/// then verify. `approved` is the dry run the commander approved (what a
/// rollback must prove). Every step is reported on `tx` with the instant
/// it happened (wall clock). Fails closed: if the journal cannot say the
/// intent is on disk, nothing goes on the wire. Just before the first
/// attempt the object is read, so an effect already in place (a run
/// already stopped, a rollback record it already had, a control already
/// in force) is never taken as this action's.
pub async fn execute(
    actor: Arc<dyn Actor>,
    req: ActionRequest,
    approved: Option<ActionAnswer>,
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
    let prior = Prior {
        approved,
        before: read_before(&*actor, &req).await,
        since: Some(chrono::Utc::now()),
    };
    let started = Instant::now();
    let mut rng = fastrand::Rng::new();
    let mut attempts = 0u32;
    let mut in_flight = false;
    let answer = loop {
        attempts += 1;
        if attempts == 1 {
            send(ActionMsg::Sent { id: req.id.clone() });
        }
        match actor.send(&req).await {
            Ok(a) => break Ok(a),
            Err(e) => {
                in_flight |= may_be_in_flight(&e);
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
            send(ActionMsg::Answered {
                id: req.id.clone(),
                result: Ok(a.clone()),
                attempts,
                lost: None,
            });
            after_answer(&*actor, &req, &a, &policy, &prior, "", &send).await;
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
            // The answer was lost (timeouts, resets, 5xx, a redirect): the
            // platform may have applied it. Ask, then re-read, before
            // calling it anything.
            let lost = format!("{} after {attempts} attempt(s)", e.message);
            let how = Lost {
                status: e.status,
                lost,
                attempts,
                in_flight,
            };
            reconcile_lost(&*actor, &req, how, &policy, &prior, &send).await;
        }
    }
}

/// How the answer to an action was lost.
struct Lost {
    status: Option<u16>,
    lost: String,
    attempts: u32,
    /// An attempt may still be under way at the platform.
    in_flight: bool,
}

/// The platform answered (or was found, asked by key, to have answered):
/// accepted → verified by re-reads; `failed` → refused (the safe side),
/// after one re-read that says what is there.
async fn after_answer(
    actor: &dyn Actor,
    req: &ActionRequest,
    a: &ActionAnswer,
    policy: &Policy,
    prior: &Prior,
    prefix: &str,
    send: &impl Fn(ActionMsg),
) {
    if a.state.accepted() {
        return verify(actor, req, a, policy, prior, prefix, send).await;
    }
    let seen = match actor
        .check(crate::source::Verify {
            req,
            answer: None,
            prior,
        })
        .await
    {
        Ok(c) => weigh(req.kind, prior.before.as_ref(), c)
            .detail()
            .to_string(),
        Err(e) => format!("the re-read failed: {}", e.message),
    };
    send(ActionMsg::Verified {
        id: req.id.clone(),
        outcome: ActionPhase::Refused,
        detail: format!(
            "{prefix}the platform answered {}{}; a re-read shows: {seen}",
            a.state.as_str(),
            if a.message.is_empty() {
                String::new()
            } else {
                format!(" ('{}')", a.message)
            }
        ),
        reverted: vec![],
    });
}

/// An action whose answer never came: ask the platform by key, then read
/// the effect. Applied → verified as usual; not (yet) under its key →
/// asked again while the effect is re-read, then closed as not received
/// (when every attempt was answered) or unknown (when one may still be
/// under way); otherwise what the re-reads show decides.
async fn reconcile_lost(
    actor: &dyn Actor,
    req: &ActionRequest,
    how: Lost,
    policy: &Policy,
    prior: &Prior,
    send: &impl Fn(ActionMsg),
) {
    let answered = |result| ActionMsg::Answered {
        id: req.id.clone(),
        result,
        attempts: how.attempts,
        lost: Some(how.lost.clone()),
    };
    let (ask, on_timeout, why) = match actor.lookup(req).await {
        Ok(Lookup::Found(a)) => {
            send(answered(Ok(a.clone())));
            return after_answer(actor, req, &a, policy, prior, "", send).await;
        }
        Ok(Lookup::NeverReceived) => {
            send(answered(Err((
                how.status,
                format!(
                    "{}; the platform has no action under its key (yet): asking again while re-reading",
                    how.lost
                ),
            ))));
            let secs = policy.verify_timeout.as_secs_f64();
            if how.in_flight {
                (
                    true,
                    ActionPhase::Unknown,
                    format!(
                        "the platform had no action under its key for {secs:.0} s, but an attempt got no answer and may still be under way: it may still arrive; not re-sent"
                    ),
                )
            } else {
                (
                    true,
                    ActionPhase::NotReceived,
                    format!(
                        "every attempt was answered, and the platform had no action under its key for {secs:.0} s: it never received it"
                    ),
                )
            }
        }
        Ok(Lookup::Unsupported) | Err(_) => {
            send(answered(Err((how.status, how.lost.clone()))));
            (
                false,
                ActionPhase::Failed,
                "no answer, and the re-reads did not show the effect".to_string(),
            )
        }
    };
    match reread(actor, req, None, prior, policy.verify_timeout, ask).await {
        Verdict::Found(a) => {
            send(answered(Ok(a.clone())));
            after_answer(actor, req, &a, policy, prior, "", send).await;
        }
        v => send(v.into_msg(req, on_timeout, "", |last| format!("{why}: {last}"))),
    }
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
    prior: &Prior,
    prefix: &str,
    send: &impl Fn(ActionMsg),
) {
    let v = reread(
        actor,
        req,
        Some(answer),
        prior,
        policy.verify_timeout,
        false,
    )
    .await;
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
    /// Asked again by key, the platform now has the action: its answer.
    Found(ActionAnswer),
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
            // Callers verify a found answer instead; should one get here,
            // nothing was proven.
            Verdict::Found(a) => (
                on_timeout,
                why(&format!("found by its key: {}", a.message)),
                vec![],
            ),
        };
        ActionMsg::Verified {
            id: req.id.clone(),
            outcome,
            detail: format!("{prefix}{detail}"),
            reverted,
        }
    }
}

/// Re-read at once, then on the schedule, for up to `timeout`, each
/// verdict weighed against the read made before the action left. With
/// `ask`, the platform is also asked by key again at each later round (an
/// action it had not yet recorded may arrive meanwhile).
async fn reread(
    actor: &dyn Actor,
    req: &ActionRequest,
    answer: Option<&ActionAnswer>,
    prior: &Prior,
    timeout: Duration,
    ask: bool,
) -> Verdict {
    let deadline = Instant::now() + timeout;
    let mut n = 0;
    loop {
        tokio::time::sleep(verify_delay(n)).await;
        n += 1;
        if ask
            && n > 1
            && let Ok(Lookup::Found(a)) = actor.lookup(req).await
        {
            return Verdict::Found(a);
        }
        let checked = actor
            .check(crate::source::Verify { req, answer, prior })
            .await
            .map(|c| weigh(req.kind, prior.before.as_ref(), c));
        let last = match checked {
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

/// What a reconcile after a crash weighs: the approved dry run and when
/// the action was decided (no read made before it left survives a crash).
pub fn prior_after_crash(dry_run: Option<Box<ActionAnswer>>, since: Time) -> Prior {
    Prior {
        approved: dry_run.map(|d| *d),
        before: None,
        since: Some(since),
    }
}

/// After a restart: settle an action whose intent was journaled but whose
/// outcome was not, without ever sending it again. With its answer on
/// record it is verified as usual; otherwise the platform is asked by key
/// and the effect re-read, again and again for the verify timeout: a
/// request cut off by the crash may still be under way, so a key the
/// platform does not know yet proves nothing. What cannot be told is
/// closed as unknown, with what was seen. `prior` carries the approved
/// plan and when the action was decided (no read before it survives a
/// crash).
pub async fn reconcile(
    actor: Arc<dyn Actor>,
    req: ActionRequest,
    answer: Option<ActionAnswer>,
    prior: Prior,
    tx: UnboundedSender<(ActionMsg, Time)>,
    policy: Policy,
) {
    let send = |m: ActionMsg| {
        let _ = tx.send((m, chrono::Utc::now()));
    };
    let prefix = "reconciled after a restart: ";
    let found = |a: &ActionAnswer, when: &str| {
        send(ActionMsg::Answered {
            id: req.id.clone(),
            result: Ok(a.clone()),
            attempts: 0,
            lost: Some(format!("in a crash; found by its idempotency key{when}")),
        })
    };
    if let Some(a) = answer {
        return after_answer(&*actor, &req, &a, &policy, &prior, prefix, &send).await;
    }
    let secs = policy.verify_timeout.as_secs_f64();
    let (ask, why) = match actor.lookup(&req).await {
        Ok(Lookup::Found(a)) => {
            found(&a, "");
            return after_answer(&*actor, &req, &a, &policy, &prior, prefix, &send).await;
        }
        Ok(Lookup::NeverReceived) => (
            true,
            format!(
                "the platform had no action under its idempotency key for {secs:.0} s after the restart, and the effect does not show; it may have been under way when cordon stopped and may still arrive; not re-sent; re-read"
            ),
        ),
        Ok(Lookup::Unsupported) | Err(_) => (
            false,
            format!(
                "cannot tell whether it was received (the platform cannot be asked by key) and the effect did not show in {secs:.0} s; not re-sent; re-read"
            ),
        ),
    };
    match reread(&*actor, &req, None, &prior, policy.verify_timeout, ask).await {
        Verdict::Found(a) => {
            found(&a, " (it arrived after the restart)");
            after_answer(&*actor, &req, &a, &policy, &prior, prefix, &send).await;
        }
        v => send(v.into_msg(&req, ActionPhase::Unknown, prefix, |last| {
            format!("{why}: {last}")
        })),
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
