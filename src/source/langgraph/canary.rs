//! Drill canaries on LangGraph: a thread of its own (metadata: the drill
//! workflow, `canary: true`, created by cordon drill) and a run on it of
//! the harmless assistant the operator names (`--canary-assistant`), and,
//! when asked, a second canary run queued behind it, so a queue hold has
//! queued work to cancel. Every scoped action touches only that thread or
//! the drill workflow.

use serde_json::{Value, json};

use super::{LangGraphActor, convert, lock, wire};
use crate::source::http::HttpError;
use crate::source::{Canary, CanaryAsk};

pub async fn start(a: &LangGraphActor, ask: &CanaryAsk) -> Result<Option<Canary>, HttpError> {
    let Some(assistant) = ask.assistant.as_deref() else {
        return Ok(None);
    };
    let key = a.conn.workflow_key.as_deref().unwrap_or("workflow");
    let mut meta = json!({"canary": true, "created_by": "cordon drill"});
    meta[key] = ask.workflow.clone().into();
    let t = post(a, "/threads", &json!({"metadata": meta})).await?;
    let tid = id_of(&t, "thread_id")?;
    let runs = format!("/threads/{tid}/runs");
    let body = json!({"assistant_id": assistant, "input": {"seconds": ask.seconds},
        "metadata": meta});
    let run = post(a, &runs, &body)
        .await
        .map_err(|e| unknown_assistant(e, assistant))?;
    let rid = id_of(&run, "run_id")?;
    let mut with = Vec::new();
    if ask.queue_behind {
        let mut queued = body.clone();
        queued["multitask_strategy"] = "enqueue".into();
        with.push(id_of(&post(a, &runs, &queued).await?, "run_id")?);
    }
    {
        let mut s = lock(&a.shared);
        for r in std::iter::once(&rid).chain(&with) {
            s.thread_of.insert(r.clone(), tid.clone());
            s.workflow_of.insert(r.clone(), ask.workflow.clone());
        }
    }
    let wire: wire::Run = serde_json::from_value(run)
        .map_err(|e| HttpError::other(format!("the canary run: {e}")))?;
    let ctx = convert::RunContext {
        workflow_key: a.conn.workflow_key.as_deref(),
        ..convert::RunContext::default()
    };
    let mut r = convert::to_run(&a.name, &wire, &ctx)
        .ok_or_else(|| HttpError::other("the canary run has no id"))?;
    r.assignment = "Drill canary (harmless no-op loop; stop it, roll it back)".into();
    let mut c = Canary::of(r);
    c.with = with;
    Ok(Some(c))
}

/// POST a JSON body; the answer as JSON.
async fn post(a: &LangGraphActor, path: &str, body: &Value) -> Result<Value, HttpError> {
    let mut bytes = 0;
    a.conn
        .json(
            a.conn.req(reqwest::Method::POST, path).json(body),
            &mut bytes,
        )
        .await
}

/// An id the server gave, used in URLs: only the characters its ids have.
fn id_of(v: &Value, k: &str) -> Result<String, HttpError> {
    v.get(k)
        .and_then(Value::as_str)
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(String::from)
        .ok_or_else(|| HttpError::other(format!("the server's answer names no usable {k}")))
}

/// The assistant the operator named is not there: say what to do.
fn unknown_assistant(e: HttpError, assistant: &str) -> HttpError {
    if matches!(e.status, Some(404 | 422)) {
        HttpError {
            message: format!(
                "no assistant or graph '{}' on this server ({}): deploy a harmless drill graph (like the project's peers/langgraph/drill.py) and name it with --canary-assistant",
                crate::sanitize::line(assistant, 80),
                e.message
            ),
            ..e
        }
    } else {
        e
    }
}
