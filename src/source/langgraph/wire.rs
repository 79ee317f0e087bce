//! LangGraph Agent Server answers as typed wire structs. Every field is
//! optional and loosely typed where servers differ: one odd field never
//! loses a thread, a run or a checkpoint.

use serde::Deserialize;
use serde_json::Value;

/// `POST /threads/search` (with `select`), `GET /threads/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Thread {
    pub thread_id: String,
    pub status: String,
    pub metadata: Value,
    pub updated_at: Option<String>,
}

/// `GET /threads/{id}/runs`, `GET /threads/{id}/runs/{run}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Run {
    pub run_id: String,
    pub thread_id: String,
    pub assistant_id: String,
    pub status: String,
    pub metadata: Value,
    pub kwargs: RunKwargs,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RunKwargs {
    pub input: Value,
    /// `Command(resume=…)`, `goto`, `update`: a human's decision on an
    /// interrupt.
    pub command: Value,
    /// A stateless run (`POST /runs`, crons): its thread is deleted when
    /// it ends, so its history is never there to read; its stream is.
    pub temporary: bool,
}

/// `POST /assistants/search`, `GET /assistants/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Assistant {
    pub assistant_id: String,
    pub graph_id: String,
    pub name: String,
}

/// One checkpoint of `POST /threads/{id}/history` (a ThreadState).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Checkpoint {
    pub checkpoint: CheckpointRef,
    pub created_at: Option<String>,
    pub metadata: CheckpointMeta,
    pub next: Vec<String>,
    pub tasks: Vec<Task>,
    /// An object (with `messages`) or, for some graphs, a list.
    pub values: Value,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct CheckpointRef {
    pub checkpoint_id: String,
    pub checkpoint_ns: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CheckpointMeta {
    pub run_id: String,
    pub step: Option<i64>,
    pub source: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Task {
    pub id: String,
    pub name: String,
    /// The exception, as Python's repr: `ValueError('…')`.
    pub error: Option<Value>,
    pub interrupts: Vec<Interrupt>,
    /// Set when the task runs a subgraph: where its own checkpoints are.
    pub checkpoint: Option<CheckpointRef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Interrupt {
    pub id: Option<String>,
    pub value: Value,
}

/// A LangChain message inside a checkpoint's `values.messages`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Message {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub content: Value,
    pub name: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub tool_call_id: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ToolCall {
    pub id: Option<String>,
    pub name: String,
    pub args: Value,
}

/// `{"__error__": {"error": "ValueError", "message": "…"}}` from a run's
/// join, or the data of an SSE `error` event.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RunError {
    pub error: String,
    pub message: String,
}

impl Checkpoint {
    /// The messages in this checkpoint's state, each read on its own (one
    /// odd message does not hide the others).
    pub fn messages(&self) -> Vec<Message> {
        messages_of(&self.values)
    }
}

/// Messages of a state's `values` (an object with `messages`, or a list).
pub fn messages_of(values: &Value) -> Vec<Message> {
    let list = match values {
        Value::Object(o) => o.get("messages").and_then(Value::as_array),
        Value::Array(a) => Some(a),
        _ => None,
    };
    list.map(|l| {
        l.iter()
            .filter_map(|m| Message::deserialize(m).ok())
            .collect()
    })
    .unwrap_or_default()
}

/// A thread, run or cron as the actor reads it before and after acting:
/// the few fields it uses, each read leniently (a field of another type
/// reads as absent), so no odd field hides the object.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Handle {
    #[serde(deserialize_with = "lenient")]
    pub thread_id: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub run_id: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub cron_id: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub status: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub enabled: Option<bool>,
    pub metadata: Value,
}

/// A field as `T`, or absent when it is something else.
fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(T::deserialize(Value::deserialize(d)?).ok())
}

/// A list answer, element by element (a malformed element is skipped, not
/// the whole page).
pub fn list<T: serde::de::DeserializeOwned>(v: &Value) -> Vec<T> {
    v.as_array()
        .map(|a| a.iter().filter_map(|x| T::deserialize(x).ok()).collect())
        .unwrap_or_default()
}
