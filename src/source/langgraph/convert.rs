//! LangGraph shapes → cordon's runs and events. Pure: no IO, tested on
//! answers recorded from a real Agent Server (`tests/fixtures/langgraph`).
//!
//! Event ids are the platform's own, so a re-read never makes a second
//! event: a checkpoint's step is its checkpoint id; a message is its
//! message id (a tool call `{message}/call/{i}`); a task's error
//! `{checkpoint}/error/{task}`; an interrupt `{checkpoint}/interrupt/{id}`;
//! a resume `{run}/resume`; a run's own error `{run}/error`.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::wire::{self, Checkpoint, Message};
use crate::model::{Event, Run, RunState, RunStats, Time};
use crate::sanitize;

/// How a LangGraph run shows in cordon. `waiting`: its thread is
/// `interrupted` and it is the thread's newest run — it stopped at an
/// `interrupt()` (or a breakpoint) and waits for a human, though LangGraph
/// calls the run itself `success`.
pub fn run_state(status: &str, waiting: bool) -> RunState {
    match status {
        "pending" => RunState::Queued,
        "running" => RunState::Running,
        "success" if waiting => RunState::WaitingReview,
        "success" => RunState::Succeeded,
        "error" | "timeout" => RunState::Failed,
        // Cancelled with action=interrupt: cordon's "stopped".
        "interrupted" => RunState::Stopped,
        "" => RunState::Other("unknown".into()),
        o => RunState::Other(sanitize::line(o, 64)),
    }
}

/// The workflow a run or thread belongs to: the configured metadata key
/// (default `workflow`), else the graph.
pub fn workflow_of(meta: &Value, key: Option<&str>, graph: &str) -> String {
    let key = key.unwrap_or("workflow");
    meta.get(key)
        .or_else(|| meta.get("graph_id"))
        .and_then(Value::as_str)
        .map(|s| sanitize::line(s, 128))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| sanitize::line(graph, 128))
}

/// What a run's listing does not say by itself.
#[derive(Debug, Clone, Default)]
pub struct RunContext<'a> {
    /// The assistant's name (`support-bot-v2`), else its graph.
    pub assistant: Option<&'a wire::Assistant>,
    pub waiting: bool,
    pub workflow_key: Option<&'a str>,
}

/// A LangGraph run as a cordon run; `None` without an id.
pub fn to_run(source: &str, r: &wire::Run, ctx: &RunContext) -> Option<Run> {
    if r.run_id.is_empty() {
        return None;
    }
    let meta_str = |k: &str| {
        r.metadata
            .get(k)
            .and_then(Value::as_str)
            .map(|s| sanitize::line(s, 128))
            .filter(|s| !s.is_empty())
    };
    let graph = ctx
        .assistant
        .map(|a| a.graph_id.clone())
        .filter(|g| !g.is_empty())
        .or_else(|| meta_str("graph_id"))
        .unwrap_or_default();
    let agent = ctx
        .assistant
        .map(|a| a.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| graph.clone());
    let time = |t: &Option<String>| t.as_deref().and_then(crate::model::time::parse);
    Some(Run {
        source: source.into(),
        id: sanitize::line(&r.run_id, 128).into(),
        agent: sanitize::line(&agent, 128).into(),
        agent_class: sanitize::line(&graph, 128).into(),
        workflow: workflow_of(&r.metadata, ctx.workflow_key, &graph).into(),
        state: run_state(&r.status, ctx.waiting),
        started_at: time(&r.created_at),
        updated_at: time(&r.updated_at),
        assignment: assignment(&r.kwargs),
        requested_by: meta_str("created_by")
            .or_else(|| meta_str("user_id"))
            .unwrap_or_default()
            .into(),
        tools: vec![],
        credentials: vec![],
        stats: RunStats::default(),
        // Only a canary cordon started is one (the drill marks it): a
        // platform's metadata alone could hide harm.
        canary: false,
    })
}

/// The run's input as the commander reads it: the first human message of a
/// chat input, else the input as JSON; a resume says so.
fn assignment(k: &wire::RunKwargs) -> String {
    if let Some(resume) = k.command.get("resume") {
        return sanitize::line(&format!("resume: {}", text(resume)), 500);
    }
    let human = wire::messages_of(&k.input)
        .into_iter()
        .find(|m| m.kind == "human")
        .map(|m| text(&m.content));
    match (human, &k.input) {
        (Some(h), _) => sanitize::line(&h, 500),
        (None, Value::Null) => String::new(),
        (None, v) => sanitize::line(&v.to_string(), 500),
    }
}

/// A JSON value as text: strings bare, anything else as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        // Content blocks: their text parts.
        Value::Array(a) if a.iter().all(|b| b.get("text").is_some()) => a
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        o => o.to_string(),
    }
}

pub(crate) use crate::source::event_of as event;

/// `research:1f1e…|inner:2a…` → `research › inner`.
pub fn ns_label(ns: &str) -> String {
    ns.split('|')
        .map(|p| p.split(':').next().unwrap_or(p))
        .collect::<Vec<_>>()
        .join(" › ")
}

/// Checkpoints of a thread and its subgraphs in the order they were
/// written, each once: a message is then stamped with the time of the
/// (sub)graph step that made it, not of the parent step that got it later.
pub fn oldest_first(cps: &mut Vec<Checkpoint>) {
    cps.sort_by_key(|c| c.created_at.as_deref().and_then(crate::model::time::parse));
    let mut seen = HashSet::new();
    cps.retain(|c| seen.insert(c.checkpoint.checkpoint_id.clone()));
}

/// The events one checkpoint gives that are not in `seen` (event ids, and
/// message ids): its step, its tasks' errors and interrupts (which appear
/// on the checkpoint after it was first written, so they are asked of
/// every read), and the messages it is the first to hold. `seen` is
/// updated. Checkpoints should be given oldest first, so each message is
/// stamped with the time of the checkpoint that first held it.
pub fn checkpoint_events(cp: &Checkpoint, now: Time, seen: &mut HashSet<String>) -> Vec<Event> {
    let cid = &cp.checkpoint.checkpoint_id;
    let run = &cp.metadata.run_id;
    let mut out = Vec::new();
    if cid.is_empty() || run.is_empty() {
        return out;
    }
    let at = cp.created_at.as_deref();
    let ns = &cp.checkpoint.checkpoint_ns;
    let prefix = if ns.is_empty() {
        String::new()
    } else {
        format!("{} › ", ns_label(ns))
    };
    let step = cp.metadata.step.unwrap_or(0);
    if seen.insert(cid.clone()) {
        let names: Vec<&str> = cp.tasks.iter().map(|t| t.name.as_str()).collect();
        let summary = if names.is_empty() {
            format!("{prefix}step {step}: done")
        } else {
            format!("{prefix}step {step}: next {}", names.join(", "))
        };
        let mut data = json!({"step": step, "checkpoint_id": cid});
        if !ns.is_empty() {
            data["checkpoint_ns"] = json!(ns);
        }
        out.extend(event(
            cid.clone(),
            run,
            at,
            "state_change",
            summary,
            json!({"data": data}),
            now,
        ));
    }
    let messages = cp.messages();
    for t in &cp.tasks {
        if let Some(err) = t.error.as_ref().filter(|e| !e.is_null()) {
            let id = format!("{cid}/error/{}", task_key(t));
            if seen.insert(id.clone()) {
                out.extend(task_error(id, run, at, &prefix, t, err, &messages, now));
            }
        }
        for (i, intr) in t.interrupts.iter().enumerate() {
            let key = intr.id.clone().unwrap_or_else(|| i.to_string());
            let id = format!("{cid}/interrupt/{key}");
            if seen.insert(id.clone()) {
                out.extend(event(
                    id,
                    run,
                    at,
                    "review_requested",
                    format!(
                        "{prefix}{} waits for a human (interrupt): {}",
                        t.name,
                        text(&intr.value)
                    ),
                    json!({"data": {"interrupt_id": intr.id, "value": intr.value, "task": t.name}}),
                    now,
                ));
            }
        }
    }
    out.extend(message_events(&messages, run, at, now, seen));
    out
}

fn task_key(t: &wire::Task) -> String {
    if t.id.is_empty() {
        t.name.clone()
    } else {
        t.id.clone()
    }
}

/// A task's exception. In a tool node it is the tool's: if calls in the
/// state have no result yet, the error names them.
#[allow(clippy::too_many_arguments)]
fn task_error(
    id: String,
    run: &str,
    at: Option<&str>,
    prefix: &str,
    t: &wire::Task,
    err: &Value,
    messages: &[Message],
    now: Time,
) -> Option<Event> {
    let answered: HashSet<&str> = messages
        .iter()
        .filter_map(|m| m.tool_call_id.as_deref())
        .collect();
    let pending: Vec<&wire::ToolCall> = messages
        .iter()
        .rev()
        .find(|m| m.kind == "ai" && !m.tool_calls.is_empty())
        .map(|m| {
            m.tool_calls
                .iter()
                .filter(|c| c.id.as_deref().is_none_or(|i| !answered.contains(i)))
                .collect()
        })
        .unwrap_or_default();
    let what = text(err);
    let (summary, tool, call) = match pending.as_slice() {
        [c] => (
            format!("{prefix}{} failed in {}: {what}", c.name, t.name),
            Some(c.name.clone()),
            c.id.clone(),
        ),
        [] => (format!("{prefix}{} failed: {what}", t.name), None, None),
        many => (
            format!(
                "{prefix}{} failed (calls without a result: {}): {what}",
                t.name,
                many.iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
            None,
        ),
    };
    event(
        id,
        run,
        at,
        "error",
        summary,
        json!({"tool": tool, "data": {"task": t.name, "error": what, "call_id": call}}),
        now,
    )
}

/// Events for messages not seen before (by message id): instructions,
/// model output, tool calls (one event each), results and tool errors.
pub fn message_events(
    messages: &[Message],
    run: &str,
    at: Option<&str>,
    now: Time,
    seen: &mut HashSet<String>,
) -> Vec<Event> {
    let mut out = Vec::new();
    for m in messages {
        let Some(mid) = m.id.clone().filter(|i| !i.is_empty()) else {
            continue;
        };
        if !seen.insert(mid.clone()) {
            continue;
        }
        let content = text(&m.content);
        match m.kind.as_str() {
            "ai" | "AIMessageChunk" => {
                if !content.is_empty() {
                    out.extend(event(
                        mid.clone(),
                        run,
                        at,
                        "model_output",
                        content,
                        json!({}),
                        now,
                    ));
                }
                for (i, c) in m.tool_calls.iter().enumerate() {
                    let name = if c.name.is_empty() { "tool" } else { &c.name };
                    out.extend(event(
                        format!("{mid}/call/{i}"),
                        run,
                        at,
                        "tool_call",
                        format!("{name}({})", sanitize::line(&c.args.to_string(), 200)),
                        json!({"tool": name, "data": {"args": c.args, "call_id": c.id}}),
                        now,
                    ));
                }
            }
            "tool" => {
                let failed = m.status.as_deref() == Some("error");
                let name = m.name.clone().unwrap_or_default();
                let summary = match (name.is_empty(), failed) {
                    (true, _) => content,
                    (false, false) => format!("{name} → {content}"),
                    (false, true) => format!("{name} failed: {content}"),
                };
                out.extend(event(
                    mid.clone(),
                    run,
                    at,
                    if failed { "error" } else { "tool_result" },
                    summary,
                    json!({"tool": (!name.is_empty()).then_some(name), "data": {"call_id": m.tool_call_id}}),
                    now,
                ));
            }
            "human" | "system" => out.extend(event(
                mid.clone(),
                run,
                at,
                "instruction",
                content,
                json!({}),
                now,
            )),
            _ => {}
        }
    }
    out
}

/// A human's answer to an interrupt: the run that carries
/// `Command(resume=…)` (or `goto` / `update`).
pub fn command_event(r: &wire::Run, now: Time) -> Option<Event> {
    let c = &r.kwargs.command;
    if !c.is_object()
        || c.as_object()
            .is_some_and(|o| o.values().all(Value::is_null))
    {
        return None;
    }
    let (kind, summary) = match c.get("resume").filter(|v| !v.is_null()) {
        Some(v) => (
            "review_decision",
            format!("resumed by a human: {}", text(v)),
        ),
        None => ("human_intervention", format!("command: {}", text(c))),
    };
    event(
        format!("{}/resume", r.run_id),
        &r.run_id,
        r.created_at.as_deref(),
        kind,
        summary,
        json!({"data": {"command": c}}),
        now,
    )
}

/// A run's own failure (from its join or stream), for runs whose error is
/// not on a task of a checkpoint.
pub fn run_error_event(
    run: &str,
    at: Option<&str>,
    e: &wire::RunError,
    now: Time,
) -> Option<Event> {
    let what = match (e.error.is_empty(), e.message.is_empty()) {
        (false, false) => format!("{}: {}", e.error, e.message),
        (true, false) => e.message.clone(),
        (false, true) => e.error.clone(),
        (true, true) => "failed (no detail given)".into(),
    };
    event(
        format!("{run}/error"),
        run,
        at,
        "error",
        format!("run failed: {what}"),
        json!({"data": {"error": e.error, "message": e.message}}),
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Time {
        "2026-12-01T04:00:00Z".parse().unwrap()
    }

    fn fixture(name: &str) -> Value {
        crate::source::fixture("langgraph", name)
    }

    /// Every event of a history read oldest first.
    fn events_of(history: &Value, seen: &mut HashSet<String>) -> Vec<Event> {
        let mut cps: Vec<Checkpoint> = wire::list(history);
        cps.reverse();
        cps.iter()
            .flat_map(|cp| checkpoint_events(cp, now(), seen))
            .collect()
    }

    #[test]
    fn a_failed_tool_gives_its_error_naming_the_tool() {
        let h = fixture("history_failed_tool.json");
        let evs = events_of(&h, &mut HashSet::new());
        let err: Vec<&Event> = evs.iter().filter(|e| e.kind.as_str() == "error").collect();
        assert_eq!(err.len(), 1, "{evs:#?}");
        assert_eq!(err[0].tool.as_deref(), Some("ledger_write"));
        assert!(
            err[0]
                .summary
                .contains("ledger write rejected: account a1 is frozen"),
            "{}",
            err[0].summary
        );
        let calls: Vec<&str> = evs
            .iter()
            .filter(|e| e.kind.as_str() == "tool_call")
            .filter_map(|e| e.tool.as_deref())
            .collect();
        assert_eq!(
            calls,
            [
                "lookup_customer",
                "update_invoice",
                "charge_card",
                "send_email",
                "ledger_write"
            ]
        );
        assert_eq!(
            evs.iter()
                .filter(|e| e.kind.as_str() == "tool_result")
                .count(),
            4
        );
        // Each message once, stamped with the checkpoint that first held it.
        let ids: HashSet<&str> = evs.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), evs.len());
        let first_call = evs.iter().find(|e| e.kind.as_str() == "tool_call").unwrap();
        let step1 = evs
            .iter()
            .find(|e| e.summary.starts_with("step 1"))
            .unwrap();
        assert_eq!(first_call.at, step1.at);
    }

    /// The error appears on a checkpoint that was first read without it:
    /// a second read of the same checkpoint still gives it.
    #[test]
    fn an_error_added_to_a_checkpoint_seen_before_is_not_lost() {
        let h = fixture("history_failed_tool.json");
        let mut tip: Checkpoint = wire::list::<Checkpoint>(&h).remove(0);
        let err = tip.tasks[0].error.take();
        let mut seen = HashSet::new();
        let first = checkpoint_events(&tip, now(), &mut seen);
        assert!(first.iter().all(|e| e.kind.as_str() != "error"));
        tip.tasks[0].error = err;
        let again = checkpoint_events(&tip, now(), &mut seen);
        assert_eq!(again.len(), 1, "{again:#?}");
        assert_eq!(again[0].kind.as_str(), "error");
    }

    #[test]
    fn an_interrupt_is_a_review_request_and_the_run_waits() {
        let h = fixture("history_interrupted.json");
        let evs = events_of(&h, &mut HashSet::new());
        let r: Vec<&Event> = evs
            .iter()
            .filter(|e| e.kind.as_str() == "review_requested")
            .collect();
        assert_eq!(r.len(), 1);
        assert!(
            r[0].summary.contains("Send the refund notice?"),
            "{}",
            r[0].summary
        );
        let runs: Vec<wire::Run> = wire::list(&fixture("runs_interrupted.json"));
        let thread: wire::Thread =
            serde_json::from_value(fixture("thread_interrupted.json")).unwrap();
        assert_eq!(thread.status, "interrupted");
        assert_eq!(runs[0].status, "success");
        let run = to_run(
            "lg",
            &runs[0],
            &RunContext {
                waiting: true,
                ..RunContext::default()
            },
        )
        .unwrap();
        assert_eq!(run.state, RunState::WaitingReview);
        assert!(run.state.is_active());
    }

    #[test]
    fn a_resume_is_a_human_decision() {
        let runs: Vec<wire::Run> = wire::list(&fixture("runs_resumed.json"));
        let resumed = &runs[0];
        let e = command_event(resumed, now()).expect("the resume run carries a command");
        assert_eq!(e.kind.as_str(), "review_decision");
        assert!(e.summary.contains("\"approved\":true"), "{}", e.summary);
        assert_eq!(e.run_id, resumed.run_id.as_str());
        assert!(command_event(&runs[1], now()).is_none());
        let run = to_run("lg", resumed, &RunContext::default()).unwrap();
        assert!(run.assignment.starts_with("resume:"), "{}", run.assignment);
    }

    #[test]
    fn subgraph_steps_carry_their_own_times_and_names() {
        let child = fixture("history_subgraph_child.json");
        let parent = fixture("history_subgraph_parent_done.json");
        let mut cps: Vec<Checkpoint> = wire::list(&parent);
        cps.extend(wire::list::<Checkpoint>(&child));
        oldest_first(&mut cps);
        let mut seen = HashSet::new();
        let evs: Vec<Event> = cps
            .iter()
            .flat_map(|cp| checkpoint_events(cp, now(), &mut seen))
            .collect();
        let sub: Vec<&Event> = evs
            .iter()
            .filter(|e| e.summary.starts_with("research › step"))
            .collect();
        assert_eq!(sub.len(), 5, "{evs:#?}");
        let times: HashSet<Time> = sub.iter().map(|e| e.at).collect();
        assert_eq!(times.len(), 5, "each step at its own time");
        // The subgraph's tool calls are there once, whichever state held
        // them first.
        let search: Vec<&Event> = evs
            .iter()
            .filter(|e| e.tool.as_deref() == Some("slow_search") && e.kind.as_str() == "tool_call")
            .collect();
        assert_eq!(search.len(), 1);
        let step1 = sub.iter().find(|e| e.summary.contains("step 1")).unwrap();
        assert_eq!(search[0].at, step1.at, "stamped when the subgraph made it");
    }

    #[test]
    fn agent_is_the_assistant_name_and_class_the_graph() {
        let r: wire::Run = serde_json::from_value(fixture("run_stateless_created.json")).unwrap();
        assert!(r.kwargs.temporary);
        let assistants: Vec<wire::Assistant> = wire::list(&fixture("assistants.json"));
        let a = assistants
            .iter()
            .find(|a| a.assistant_id == r.assistant_id)
            .unwrap();
        let run = to_run(
            "lg",
            &r,
            &RunContext {
                assistant: Some(a),
                ..RunContext::default()
            },
        )
        .unwrap();
        assert_eq!(run.agent, "subgraph_agent");
        assert_eq!(run.agent_class, "subgraph_agent");
        assert_eq!(run.workflow, "nightly-digest");
        assert_eq!(run.state, RunState::Queued);
        // Without the assistant, no UUID is shown as the agent.
        let bare = to_run("lg", &r, &RunContext::default()).unwrap();
        assert!(!bare.agent.contains('-'), "{}", bare.agent);
    }

    #[test]
    fn states() {
        assert_eq!(run_state("success", false), RunState::Succeeded);
        assert_eq!(run_state("success", true), RunState::WaitingReview);
        assert_eq!(run_state("interrupted", true), RunState::Stopped);
        assert_eq!(run_state("timeout", false), RunState::Failed);
        assert_eq!(run_state("weird", false), RunState::Other("weird".into()));
    }
}
