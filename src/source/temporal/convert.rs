//! Temporal shapes → cordon's runs and events. Pure: no IO, tested on
//! answers recorded from a real Temporal dev server
//! (`tests/fixtures/temporal`).
//!
//! A run is one execution: `{workflow id}@{run id}`, so a workflow id used
//! again (a restart after terminate, continue-as-new) is a new run. Event
//! ids are the platform's: `{run}#{event id}` for history events,
//! `{run}/activity/{activity id}/attempt/{n}` for the attempts of a
//! retrying activity (whether seen live among the pending activities or
//! later in the history, each attempt is one event).

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::payload;
use super::wire::{self, Execution, ExecutionInfo, HistoryEvent, PendingActivity};
use crate::model::{Event, Run, RunState, RunStats, Time};
use crate::sanitize;

/// `{workflow id}@{run id}`.
pub fn run_key(e: &Execution) -> String {
    if e.run_id.is_empty() {
        e.workflow_id.clone()
    } else {
        format!("{}@{}", e.workflow_id, e.run_id)
    }
}

/// A run id as cordon shows it → (workflow id, run id if given). A bare
/// workflow id means its latest run.
pub fn execution_of(id: &str) -> (&str, Option<&str>) {
    match id.rsplit_once('@') {
        Some((w, r)) if crate::model::is_uuid(r) && !w.is_empty() => (w, Some(r)),
        _ => (id, None),
    }
}

/// An execution's status as a run state.
pub fn state(s: &str) -> RunState {
    match s.trim_start_matches("WORKFLOW_EXECUTION_STATUS_") {
        "RUNNING" => RunState::Running,
        "COMPLETED" => RunState::Succeeded,
        "FAILED" | "TIMED_OUT" => RunState::Failed,
        "CANCELED" => RunState::Stopped,
        "TERMINATED" => RunState::Ended("terminated".into()),
        "CONTINUED_AS_NEW" => RunState::Ended("continued_as_new".into()),
        "PAUSED" => RunState::Paused,
        "" => RunState::Other("unknown".into()),
        o => RunState::Other(sanitize::line(&o.to_lowercase(), 64)),
    }
}

/// Where a run's agent name comes from (`?agent=memo:KEY`,
/// `?agent=search:KEY`), and its class (`?class=type`: the workflow type,
/// else the task queue).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Naming {
    pub class_by_type: bool,
    pub agent_memo: Option<String>,
    pub agent_search: Option<String>,
}

/// What an execution's history says of it that its listing does not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub assignment: String,
    pub requested_by: String,
    /// The parent execution (`wid@run`), for a child workflow.
    pub parent: Option<String>,
    /// Children this one started, and the run it continued from: executions
    /// to read even if they end between two polls.
    pub related: Vec<Execution>,
    /// Activities scheduled and not closed yet: worth a describe for their
    /// attempts and heartbeats.
    pub open_activities: usize,
}

/// An execution as a cordon run; `None` without a workflow id.
pub fn to_run(
    source: &str,
    info: &ExecutionInfo,
    naming: &Naming,
    facts: Option<&Facts>,
) -> Option<Run> {
    let e = &info.execution;
    if e.workflow_id.is_empty() {
        return None;
    }
    let clean = |s: &str| sanitize::line(s, 256);
    let time = |t: &Option<String>| t.as_deref().and_then(crate::model::time::parse);
    let named = naming
        .agent_memo
        .as_deref()
        .and_then(|k| payload::field(&info.memo, k))
        .or_else(|| {
            naming
                .agent_search
                .as_deref()
                .and_then(|k| payload::field(&info.search_attributes, k))
        });
    let wtype = clean(&info.kind.name);
    let facts = facts.cloned().unwrap_or_default();
    let requested_by = match (&facts.parent, facts.requested_by.is_empty()) {
        (Some(p), _) => format!("parent workflow {p}"),
        (None, false) => facts.requested_by.clone(),
        (None, true) => String::new(),
    };
    Some(Run {
        source: source.into(),
        id: clean(&run_key(e)).into(),
        agent: clean(named.as_deref().unwrap_or(&e.workflow_id)).into(),
        agent_class: if naming.class_by_type {
            wtype.clone().into()
        } else {
            clean(&info.task_queue).into()
        },
        workflow: wtype.into(),
        state: state(&info.status),
        started_at: time(&info.start_time),
        updated_at: time(&info.close_time).or(time(&info.execution_time)),
        assignment: sanitize::line(&facts.assignment, 500),
        requested_by: clean(&requested_by).into(),
        tools: vec![],
        credentials: vec![],
        stats: RunStats::default(),
        // Only a canary cordon started is one (the drill marks it): a
        // platform's metadata alone could hide harm.
        canary: false,
    })
}

fn event(
    id: String,
    run: &str,
    at: Option<&str>,
    kind: &str,
    summary: String,
    extra: Value,
    now: Time,
) -> Option<Event> {
    let mut w = json!({"id": id, "run_id": run, "at": at, "kind": kind, "summary": summary});
    if let (Some(m), Value::Object(x)) = (w.as_object_mut(), extra) {
        m.extend(x);
    }
    Event::from_wire_value(&w, now)
}

/// An activity as its scheduling says.
#[derive(Debug, Clone, Default)]
struct Activity {
    id: String,
    name: String,
}

fn attempt_id(run: &str, activity: &str, n: i64) -> String {
    format!("{run}/activity/{activity}/attempt/{n}")
}

/// The retry events for attempts 2..=`upto` of an activity not given yet.
/// `last`: the failure that preceded attempt `upto`, if known.
fn attempts(
    run: &str,
    a: &Activity,
    upto: i64,
    last: Option<&wire::Failure>,
    at: Option<&str>,
    emitted: &mut HashSet<String>,
    now: Time,
) -> Vec<Event> {
    let mut out = Vec::new();
    for n in 2..=upto.min(100_000) {
        let id = attempt_id(run, &a.id, n);
        if emitted.contains(&id) {
            continue;
        }
        let summary = match last.filter(|_| n == upto) {
            Some(f) => format!(
                "{} attempt {n}, after attempt {} failed: {}",
                a.name,
                n - 1,
                f.text()
            ),
            None => format!(
                "{} attempt {n} (attempt {} failed; its message was not kept by the server)",
                a.name,
                n - 1
            ),
        };
        let failure = last.filter(|_| n == upto).map(|f| f.text());
        if let Some(e) = event(
            id.clone(),
            run,
            at,
            "retry",
            summary,
            json!({"tool": a.name, "data": {"activity_id": a.id, "attempt": n, "previous_failure": failure}}),
            now,
        ) {
            emitted.insert(id);
            out.push(e);
        }
    }
    out
}

/// The events of an execution's history after event `after` (the whole
/// history is given, for context: which activity an event closes), and
/// what it says about the execution.
pub fn history_events(
    run: &str,
    events: &[HistoryEvent],
    after: i64,
    emitted: &mut HashSet<String>,
    now: Time,
) -> (Vec<Event>, Facts) {
    let mut facts = Facts::default();
    let mut activities: HashMap<i64, Activity> = HashMap::new();
    let mut closed: HashSet<i64> = HashSet::new();
    let mut out = Vec::new();
    for e in events {
        let at = e.time.as_deref();
        let id = format!("{run}#{}", e.id);
        let new = e.id > after && !emitted.contains(&id);
        let mut push = |kind: &str, summary: String, extra: Value| {
            if new && let Some(ev) = event(id.clone(), run, at, kind, summary, extra, now) {
                out.push(ev);
            }
        };
        match e.kind.as_str() {
            "WORKFLOW_EXECUTION_STARTED" => {
                let a: wire::WorkflowStarted = e.attrs();
                let input = payload::text(&a.input);
                facts.assignment = input.clone();
                facts.requested_by = a.identity.clone();
                facts.parent = a.parent_workflow_execution.as_ref().map(run_key);
                let mut s = format!("{} started", a.workflow_type.name);
                if let Some(p) = &facts.parent {
                    s.push_str(&format!(" as a child of {p}"));
                } else if !a.identity.is_empty() {
                    s.push_str(&format!(" by {}", a.identity));
                }
                if !a.continued_execution_run_id.is_empty() {
                    s.push_str(&format!(
                        " (continued from run {})",
                        a.continued_execution_run_id
                    ));
                    facts.related.push(Execution {
                        workflow_id: execution_of(run).0.to_string(),
                        run_id: a.continued_execution_run_id.clone(),
                    });
                }
                if !input.is_empty() {
                    s.push_str(&format!(": {input}"));
                }
                push(
                    "assignment",
                    s,
                    json!({"data": {"input": payload::list(&a.input), "identity": a.identity,
                        "parent": facts.parent, "task_queue": a.task_queue.name,
                        "continued_from": a.continued_execution_run_id}}),
                );
            }
            "ACTIVITY_TASK_SCHEDULED" => {
                let a: wire::ActivityScheduled = e.attrs();
                let name = if a.activity_type.name.is_empty() {
                    "activity".to_string()
                } else {
                    a.activity_type.name.clone()
                };
                let args = payload::list(&a.input);
                let shown = match args.as_slice() {
                    [Value::String(s)] => format!("{s:?}"),
                    [one] => one.to_string(),
                    [] => String::new(),
                    many => Value::Array(many.to_vec()).to_string(),
                };
                push(
                    "tool_call",
                    format!("{name}({})", sanitize::line(&shown, 200)),
                    json!({"tool": name, "data": {"args": args, "activity_id": a.activity_id}}),
                );
                activities.insert(
                    e.id,
                    Activity {
                        id: if a.activity_id.is_empty() {
                            e.id.to_string()
                        } else {
                            a.activity_id
                        },
                        name,
                    },
                );
            }
            "ACTIVITY_TASK_STARTED" => {
                // Written when the last attempt ends: it says how many there were.
                let s: wire::ActivityStarted = e.attrs();
                if e.id > after
                    && let Some(a) = activities.get(&s.scheduled_event_id)
                {
                    out.extend(attempts(
                        run,
                        a,
                        s.attempt,
                        s.last_failure.as_ref(),
                        at,
                        emitted,
                        now,
                    ));
                }
            }
            k @ ("ACTIVITY_TASK_COMPLETED"
            | "ACTIVITY_TASK_FAILED"
            | "ACTIVITY_TASK_TIMED_OUT"
            | "ACTIVITY_TASK_CANCELED") => {
                let c: wire::ActivityClosed = e.attrs();
                closed.insert(c.scheduled_event_id);
                let a = activities
                    .get(&c.scheduled_event_id)
                    .cloned()
                    .unwrap_or_default();
                let name = if a.name.is_empty() {
                    "activity"
                } else {
                    &a.name
                };
                let failure = c
                    .failure
                    .as_ref()
                    .map(wire::Failure::text)
                    .unwrap_or_default();
                let (kind, summary) = match k {
                    "ACTIVITY_TASK_COMPLETED" => (
                        "tool_result",
                        format!("{name} → {}", payload::text(&c.result)),
                    ),
                    "ACTIVITY_TASK_FAILED" => ("error", format!("{name} failed: {failure}")),
                    "ACTIVITY_TASK_TIMED_OUT" => ("error", format!("{name} timed out: {failure}")),
                    _ => ("state_change", format!("{name} cancelled")),
                };
                push(
                    kind,
                    summary,
                    json!({"tool": name, "data": {"activity_id": a.id, "result": payload::list(&c.result),
                        "failure": (!failure.is_empty()).then_some(failure), "retry_state": c.retry_state}}),
                );
            }
            "WORKFLOW_EXECUTION_SIGNALED" => {
                let s: wire::Signaled = e.attrs();
                let mut summary = format!("signal {}", s.signal_name);
                if !s.identity.is_empty() {
                    summary.push_str(&format!(" from {}", s.identity));
                }
                let input = payload::text(&s.input);
                if !input.is_empty() {
                    summary.push_str(&format!(": {input}"));
                }
                push(
                    "human_intervention",
                    summary,
                    json!({"data": {"signal": s.signal_name, "input": payload::list(&s.input), "identity": s.identity}}),
                );
            }
            k @ ("WORKFLOW_EXECUTION_CANCEL_REQUESTED"
            | "WORKFLOW_EXECUTION_CANCELED"
            | "WORKFLOW_EXECUTION_TERMINATED") => {
                let c: wire::WorkflowClosed = e.attrs();
                let why = [c.cause.as_str(), c.reason.as_str()]
                    .into_iter()
                    .find(|s| !s.is_empty())
                    .unwrap_or("");
                let mut summary = match k {
                    "WORKFLOW_EXECUTION_CANCEL_REQUESTED" => "cancel requested".to_string(),
                    "WORKFLOW_EXECUTION_CANCELED" => "workflow cancelled".to_string(),
                    _ => "workflow terminated".to_string(),
                };
                if !c.identity.is_empty() {
                    summary.push_str(&format!(" by {}", c.identity));
                }
                if !why.is_empty() {
                    summary.push_str(&format!(": {why}"));
                }
                push(
                    "containment",
                    summary,
                    json!({"data": {"identity": c.identity, "reason": why}}),
                );
            }
            "WORKFLOW_EXECUTION_COMPLETED" => {
                let c: wire::WorkflowClosed = e.attrs();
                push(
                    "state_change",
                    format!("workflow completed: {}", payload::text(&c.result)),
                    json!({"data": {"result": payload::list(&c.result)}}),
                );
            }
            k @ ("WORKFLOW_EXECUTION_FAILED" | "WORKFLOW_EXECUTION_TIMED_OUT") => {
                let c: wire::WorkflowClosed = e.attrs();
                let f = c
                    .failure
                    .as_ref()
                    .map(wire::Failure::text)
                    .unwrap_or_default();
                let what = if k.ends_with("FAILED") {
                    "failed"
                } else {
                    "timed out"
                };
                push(
                    "error",
                    format!("workflow {what}: {f}"),
                    json!({"data": {"failure": f}}),
                );
            }
            "WORKFLOW_EXECUTION_CONTINUED_AS_NEW" => {
                let c: wire::WorkflowClosed = e.attrs();
                if !c.new_execution_run_id.is_empty() {
                    // The next run: read it even if it ends before a listing.
                    facts.related.push(Execution {
                        workflow_id: execution_of(run).0.to_string(),
                        run_id: c.new_execution_run_id.clone(),
                    });
                }
                push(
                    "state_change",
                    format!("continued as new: run {}", c.new_execution_run_id),
                    json!({"data": {"new_run_id": c.new_execution_run_id}}),
                );
            }
            "WORKFLOW_TASK_FAILED" => {
                let c: wire::WorkflowTaskFailed = e.attrs();
                let f = c
                    .failure
                    .as_ref()
                    .map(wire::Failure::text)
                    .unwrap_or_default();
                push(
                    "error",
                    format!(
                        "workflow task failed ({}): {f}",
                        c.cause
                            .trim_start_matches("WORKFLOW_TASK_FAILED_CAUSE_")
                            .to_lowercase()
                    ),
                    json!({}),
                );
            }
            "START_CHILD_WORKFLOW_EXECUTION_INITIATED" => {
                let c: wire::ChildEvent = e.attrs();
                push(
                    "state_change",
                    format!(
                        "starts child {} {}: {}",
                        c.workflow_type.name,
                        c.workflow_id,
                        payload::text(&c.input)
                    ),
                    json!({"data": {"child_workflow_id": c.workflow_id, "input": payload::list(&c.input)}}),
                );
            }
            k if k.starts_with("CHILD_WORKFLOW_EXECUTION_") => {
                let c: wire::ChildEvent = e.attrs();
                let child = c.workflow_execution.clone().unwrap_or_default();
                let key = run_key(&child);
                if k.ends_with("STARTED") && !child.workflow_id.is_empty() {
                    facts.related.push(child.clone());
                }
                let verb = k
                    .trim_start_matches("CHILD_WORKFLOW_EXECUTION_")
                    .to_lowercase()
                    .replace('_', " ");
                let f = c
                    .failure
                    .as_ref()
                    .map(wire::Failure::text)
                    .unwrap_or_default();
                let (kind, mut summary) = match verb.as_str() {
                    "failed" | "timed out" => ("error", format!("child {key} {verb}: {f}")),
                    _ => ("state_change", format!("child {key} {verb}")),
                };
                let result = payload::text(&c.result);
                if !result.is_empty() {
                    summary.push_str(&format!(": {result}"));
                }
                push(kind, summary, json!({"data": {"child": key}}));
            }
            "WORKFLOW_TASK_SCHEDULED"
            | "WORKFLOW_TASK_STARTED"
            | "WORKFLOW_TASK_COMPLETED"
            | "TIMER_STARTED"
            | "TIMER_FIRED"
            | "TIMER_CANCELED" => {}
            other => push(
                "state_change",
                other.to_lowercase().replace('_', " "),
                json!({}),
            ),
        }
        if new {
            emitted.insert(id);
        }
    }
    facts.open_activities = activities.keys().filter(|k| !closed.contains(k)).count();
    (out, facts)
}

/// The events the pending activities of a running execution give: each
/// attempt of a retrying activity (with the failure before it), an attempt
/// running now, and its heartbeats (at most one event a minute).
pub fn pending_events(
    run: &str,
    pending: &[PendingActivity],
    emitted: &mut HashSet<String>,
    now: Time,
) -> Vec<Event> {
    let mut out = Vec::new();
    for p in pending {
        let a = Activity {
            id: p.activity_id.clone(),
            name: if p.activity_type.name.is_empty() {
                "activity".into()
            } else {
                p.activity_type.name.clone()
            },
        };
        let at = p
            .last_started_time
            .as_deref()
            .or(p.scheduled_time.as_deref());
        out.extend(attempts(
            run,
            &a,
            p.attempt,
            p.last_failure.as_ref(),
            at,
            emitted,
            now,
        ));
        if p.state.ends_with("STARTED") {
            let id = format!("{}/running", attempt_id(run, &a.id, p.attempt.max(1)));
            if emitted.insert(id.clone()) {
                let mut s = format!("{} running (attempt {})", a.name, p.attempt.max(1));
                if !p.last_worker_identity.is_empty() {
                    s.push_str(&format!(" on {}", p.last_worker_identity));
                }
                out.extend(event(
                    id,
                    run,
                    at,
                    "state_change",
                    s,
                    json!({"tool": a.name}),
                    now,
                ));
            }
            if let Some(hb) = p.last_heartbeat_time.as_deref() {
                let minute = hb.get(..16).unwrap_or(hb);
                let id = format!(
                    "{}/heartbeat/{minute}",
                    attempt_id(run, &a.id, p.attempt.max(1))
                );
                if emitted.insert(id.clone()) {
                    let details = payload::text(&p.heartbeat_details);
                    out.extend(event(
                        id,
                        run,
                        Some(hb),
                        "state_change",
                        format!("{} heartbeat: {details}", a.name),
                        json!({"tool": a.name, "data": {"details": payload::list(&p.heartbeat_details)}}),
                        now,
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Time {
        "2026-12-01T04:00:00Z".parse().unwrap()
    }

    fn fixture(name: &str) -> Value {
        crate::source::fixture("temporal", name)
    }

    fn history(name: &str) -> Vec<HistoryEvent> {
        let page: wire::HistoryPage = serde_json::from_value(fixture(name)).unwrap();
        page.history
            .events
            .iter()
            .filter_map(HistoryEvent::from_value)
            .collect()
    }

    fn kinds<'a>(evs: &'a [Event], k: &str) -> Vec<&'a Event> {
        evs.iter().filter(|e| e.kind.as_str() == k).collect()
    }

    #[test]
    fn ids_of_executions() {
        let r = "01a22f9d-2b48-7596-a961-942d02cab658";
        assert_eq!(execution_of(&format!("bill@x@{r}")), ("bill@x", Some(r)));
        assert_eq!(execution_of("bill-1"), ("bill-1", None));
        assert_eq!(execution_of("a@b"), ("a@b", None));
    }

    /// Attempts seen live (pending activities) and later in the history are
    /// one event each; the failure messages are there.
    #[test]
    fn a_retry_loop_is_every_attempt_once_with_its_failure() {
        let run = "bill-1@01a22f9d-2b48-7596-a961-942d02cab658";
        let d: wire::Describe = serde_json::from_value(fixture("describe_retrying.json")).unwrap();
        let mut emitted = HashSet::new();
        let live = pending_events(run, &d.pending_activities, &mut emitted, now());
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].kind.as_str(), "retry");
        assert!(
            live[0].summary.contains("card declined for cust_42"),
            "{}",
            live[0].summary
        );
        let (evs, facts) = history_events(
            run,
            &history("history_billing.json"),
            0,
            &mut emitted,
            now(),
        );
        let retries = kinds(&evs, "retry");
        // 9 attempts: 2 was seen live, 3..=9 come from the history.
        assert_eq!(retries.len(), 7, "{evs:#?}");
        assert!(retries.last().unwrap().summary.contains("attempt 8"));
        let calls = kinds(&evs, "tool_call");
        assert_eq!(calls.len(), 2);
        assert!(
            calls[0].summary.starts_with("charge_card({"),
            "{}",
            calls[0].summary
        );
        assert!(calls[0].summary.contains("cust_42"));
        let results = kinds(&evs, "tool_result");
        assert!(
            results[0].summary.contains("charged 4000 to cust_42"),
            "{}",
            results[0].summary
        );
        assert_eq!(facts.requested_by, "ops-lead@laptop");
        assert!(facts.assignment.contains("cust_42"));
        assert_eq!(facts.open_activities, 0);
        // Read again: nothing new.
        let (again, _) = history_events(
            run,
            &history("history_billing.json"),
            0,
            &mut emitted,
            now(),
        );
        assert!(again.is_empty(), "{again:#?}");
    }

    #[test]
    fn a_heartbeating_activity_shows_running_and_its_progress() {
        let d: wire::Describe = serde_json::from_value(fixture("describe_heartbeat.json")).unwrap();
        let mut emitted = HashSet::new();
        let evs = pending_events("bill-2@r", &d.pending_activities, &mut emitted, now());
        assert_eq!(evs.len(), 2, "{evs:#?}");
        assert!(
            evs[0]
                .summary
                .starts_with("export_ledger running (attempt 1)")
        );
        assert!(
            evs[1].summary.contains("\"rows\":100"),
            "{}",
            evs[1].summary
        );
        assert!(pending_events("bill-2@r", &d.pending_activities, &mut emitted, now()).is_empty());
    }

    #[test]
    fn signals_children_and_continue_as_new() {
        let (evs, _) = history_events(
            "approve-1@r",
            &history("history_approve-1.json"),
            0,
            &mut HashSet::new(),
            now(),
        );
        let sig = kinds(&evs, "human_intervention");
        assert_eq!(sig.len(), 1);
        assert_eq!(
            sig[0].summary,
            "signal approve from alice@console: {\"approved\":true,\"by\":\"ops-lead\"}"
        );
        let (evs, facts) = history_events(
            "batch-1@r",
            &history("history_batch-1.json"),
            0,
            &mut HashSet::new(),
            now(),
        );
        assert_eq!(facts.related.len(), 2, "children to follow");
        assert!(
            evs.iter()
                .any(|e| e.summary.starts_with("starts child RefundChild batch-1-c1"))
        );
        let (_, child) = history_events(
            "batch-1-c1@r",
            &history("history_batch-1-c1.json"),
            0,
            &mut HashSet::new(),
            now(),
        );
        assert!(
            child
                .parent
                .as_deref()
                .is_some_and(|p| p.starts_with("batch-1@")),
            "{child:?}"
        );
        let (evs, facts) = history_events(
            "poller-1@r",
            &history("history_poller_continued.json"),
            0,
            &mut HashSet::new(),
            now(),
        );
        assert!(
            evs.iter()
                .any(|e| e.summary.starts_with("continued as new: run ")),
            "{evs:#?}"
        );
        assert_eq!(
            facts.related.len(),
            2,
            "the run it continued from, and the next"
        );
    }

    #[test]
    fn terminology_and_cancel_ignored() {
        let (evs, _) = history_events(
            "s@r",
            &history("history_stubborn-1.json"),
            0,
            &mut HashSet::new(),
            now(),
        );
        let c = kinds(&evs, "containment");
        assert_eq!(c[0].summary, "cancel requested by cordon: test");
        assert_eq!(
            c.last().unwrap().summary,
            "workflow terminated by frontend-service: enough"
        );
        assert!(evs.iter().all(|e| !e.summary.contains("activity activity")));
        // It went on calling its tool after the cancel request.
        let after = evs
            .iter()
            .skip_while(|e| e.kind.as_str() != "containment")
            .filter(|e| e.kind.as_str() == "tool_call")
            .count();
        assert!(after > 1);
    }

    #[test]
    fn encoded_payloads_are_named_not_guessed_and_memo_names_the_agent() {
        let (evs, facts) = history_events(
            "enc-1@r",
            &history("history_enc-1.json"),
            0,
            &mut HashSet::new(),
            now(),
        );
        assert!(
            facts
                .assignment
                .contains("encoded (12 bytes, binary/encrypted)"),
            "{}",
            facts.assignment
        );
        assert!(evs[0].summary.contains("encoded (12 bytes"));
        let l: wire::Listing = serde_json::from_value(fixture("list_memo.json")).unwrap();
        let info: ExecutionInfo = serde_json::from_value(l.executions[0].clone()).unwrap();
        let naming = Naming {
            agent_memo: Some("agent".into()),
            ..Naming::default()
        };
        let run = to_run("tm", &info, &naming, Some(&facts)).unwrap();
        assert_eq!(run.agent, "refund-bot-7");
        assert!(run.id.starts_with("enc-1@"));
        assert_eq!(run.state, RunState::Running);
    }
}
