//! Temporal HTTP API answers as typed wire structs (proto JSON: 64-bit
//! integers arrive as strings, enums as `PREFIX_NAME`). Every field is
//! optional; one odd field never loses an event.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// An integer written as a number or a string (`"5"`).
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => s.parse().unwrap_or(0),
        _ => 0,
    })
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Execution {
    pub workflow_id: String,
    pub run_id: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Named {
    pub name: String,
}

/// One execution in a visibility listing, or `workflowExecutionInfo` of a
/// describe.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ExecutionInfo {
    pub execution: Execution,
    #[serde(rename = "type")]
    pub kind: Named,
    pub start_time: Option<String>,
    pub close_time: Option<String>,
    pub execution_time: Option<String>,
    pub status: String,
    pub task_queue: String,
    pub memo: Value,
    pub search_attributes: Value,
    pub parent_execution: Option<Execution>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Listing {
    pub executions: Vec<Value>,
    pub next_page_token: Option<String>,
}

/// `GET /workflows/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Describe {
    pub workflow_execution_info: ExecutionInfo,
    pub pending_activities: Vec<PendingActivity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PendingActivity {
    pub activity_id: String,
    pub activity_type: Named,
    pub state: String,
    #[serde(deserialize_with = "int")]
    pub attempt: i64,
    pub last_failure: Option<Failure>,
    pub heartbeat_details: Value,
    pub last_heartbeat_time: Option<String>,
    pub last_started_time: Option<String>,
    pub last_worker_identity: String,
    pub scheduled_time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Failure {
    pub message: String,
    pub cause: Option<Box<Failure>>,
}

impl Failure {
    /// The message, with its causes (`activity error: card declined`).
    pub fn text(&self) -> String {
        let mut s = self.message.clone();
        let mut c = self.cause.as_deref();
        let mut n = 0;
        while let Some(f) = c.filter(|_| n < 4) {
            if !f.message.is_empty() && !s.contains(&f.message) {
                s.push_str(": ");
                s.push_str(&f.message);
            }
            c = f.cause.as_deref();
            n += 1;
        }
        s
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HistoryPage {
    pub history: History,
    pub next_page_token: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct History {
    pub events: Vec<Value>,
}

/// One history event: the common fields, and its `…Attributes` object.
#[derive(Debug, Clone, Default)]
pub struct HistoryEvent {
    pub id: i64,
    pub time: Option<String>,
    /// Without the `EVENT_TYPE_` prefix.
    pub kind: String,
    pub attrs: Value,
}

impl HistoryEvent {
    pub fn from_value(v: &Value) -> Option<HistoryEvent> {
        let o = v.as_object()?;
        let id = match o.get("eventId")? {
            Value::String(s) => s.parse().ok()?,
            Value::Number(n) => n.as_i64()?,
            _ => return None,
        };
        let attrs = o
            .iter()
            .find(|(k, _)| k.ends_with("EventAttributes"))
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null);
        Some(HistoryEvent {
            id,
            time: o.get("eventTime").and_then(Value::as_str).map(String::from),
            kind: o
                .get("eventType")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim_start_matches("EVENT_TYPE_")
                .to_string(),
            attrs,
        })
    }

    /// The attributes as the typed struct for this kind.
    pub fn attrs<T: serde::de::DeserializeOwned + Default>(&self) -> T {
        T::deserialize(&self.attrs).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkflowStarted {
    pub workflow_type: Named,
    pub task_queue: Named,
    pub input: Value,
    pub identity: String,
    pub parent_workflow_execution: Option<Execution>,
    pub continued_execution_run_id: String,
    pub memo: Value,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ActivityScheduled {
    pub activity_id: String,
    pub activity_type: Named,
    pub input: Value,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ActivityStarted {
    #[serde(deserialize_with = "int")]
    pub scheduled_event_id: i64,
    #[serde(deserialize_with = "int")]
    pub attempt: i64,
    pub last_failure: Option<Failure>,
    pub identity: String,
}

/// Completed, failed, timed out, cancelled: what closes an activity.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ActivityClosed {
    #[serde(deserialize_with = "int")]
    pub scheduled_event_id: i64,
    #[serde(deserialize_with = "int")]
    pub started_event_id: i64,
    pub result: Value,
    pub failure: Option<Failure>,
    pub retry_state: String,
    pub details: Value,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Signaled {
    pub signal_name: String,
    pub input: Value,
    pub identity: String,
}

/// Cancel requested, terminated, completed, failed, continued as new:
/// the fields any of them may carry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkflowClosed {
    pub cause: String,
    pub reason: String,
    pub identity: String,
    pub result: Value,
    pub failure: Option<Failure>,
    pub details: Value,
    pub new_execution_run_id: String,
    pub retry_state: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ChildEvent {
    pub workflow_id: String,
    pub workflow_type: Named,
    pub workflow_execution: Option<Execution>,
    pub input: Value,
    pub result: Value,
    pub failure: Option<Failure>,
    #[serde(deserialize_with = "int")]
    pub initiated_event_id: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkflowTaskFailed {
    pub cause: String,
    pub failure: Option<Failure>,
}
