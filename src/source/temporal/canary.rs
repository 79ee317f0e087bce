//! Drill canaries on Temporal: a workflow of the drill type the operator
//! names (`--canary-workflow-type`, a harmless loop their drill worker
//! registers) started on the drill task queue (`--canary-task-queue`),
//! with a memo saying it is a canary. Its own workflow id, so cancel,
//! terminate and pause (of its type) touch only drill work.

use serde_json::json;

use super::{TemporalActor, convert, wire};
use crate::source::http::{self, HttpError};
use crate::source::{Canary, CanaryAsk};

/// The workflow type asked for when the operator names none.
pub const TYPE: &str = "DrillCanary";

pub async fn start(a: &TemporalActor, ask: &CanaryAsk) -> Result<Option<Canary>, HttpError> {
    let Some(queue) = ask.task_queue.as_deref() else {
        return Ok(None);
    };
    let wtype = ask.workflow_type.as_deref().unwrap_or(TYPE);
    let key = uuid::Uuid::new_v4().to_string();
    let wid = format!("cordon-drill-canary-{}", &key[..8]);
    let body = json!({
        "workflowType": {"name": wtype},
        "taskQueue": {"name": queue},
        "input": [ask.seconds],
        "identity": "cordon drill",
        "requestId": key,
        "memo": {"fields": {"canary": true}},
    });
    let started = a
        .conn
        .post(&format!("/workflows/{}", http::urlencode(&wid)), body)
        .await?;
    let run = started
        .get("runId")
        .and_then(|r| r.as_str())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| HttpError::other("the server started the canary but named no run"))?;
    // The run as the poller will show it: from a describe of that run.
    let id = format!("{wid}@{run}");
    let described =
        a.conn.describe(&id).await?.ok_or_else(|| {
            HttpError::other(format!("the canary {id} just started is not found"))
        })?;
    let d: wire::Describe = serde_json::from_value(described)
        .map_err(|e| HttpError::other(format!("the canary's describe: {e}")))?;
    let mut r = convert::to_run(&a.name, &d.workflow_execution_info, &a.conn.naming, None)
        .ok_or_else(|| HttpError::other("the canary's describe names no workflow"))?;
    r.assignment = "Drill canary (harmless no-op loop; cancel, terminate, pause it)".into();
    r.requested_by = "cordon drill".into();
    let mut c = Canary::of(r);
    // Pause and its preview name executions by workflow id alone.
    c.aliases.push(crate::sanitize::id(&wid).into_owned());
    Ok(Some(c))
}
