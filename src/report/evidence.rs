//! The evidence bundle: every journal entry with its hash, the chain head,
//! and per run the evidence the seed lists.

use serde_json::{Value, json};

use super::JournalView;
use crate::app::App;
use crate::model::EventKind;

pub fn render(app: &App, j: &JournalView) -> String {
    let entries: Vec<Value> = j
        .lines
        .iter()
        .map(|(h, e)| json!({"hash": h, "entry": e}))
        .collect();
    let mut runs = Vec::new();
    for (ri, r) in app.store.runs.iter().enumerate() {
        if r.source == crate::model::CORDON_SOURCE {
            continue;
        }
        let evs: Vec<&crate::model::Event> = app
            .store
            .events_of_run(ri)
            .iter()
            .map(|&e| &app.store.events[e as usize].event)
            .collect();
        let pick = |f: &dyn Fn(&EventKind) -> bool| -> Vec<Value> {
            evs.iter().filter(|e| f(&e.kind)).map(|e| json!({"id": e.id, "at": e.at, "kind": e.kind, "summary": e.summary, "tool": e.tool, "target": e.target, "outbound": e.outbound, "reversible": e.reversible, "data": e.data})).collect()
        };
        runs.push(json!({
            "source": r.source, "run_id": r.id, "agent": r.agent, "agent_class": r.agent_class, "workflow": r.workflow,
            "state": r.state, "started_at": r.started_at, "requested_by": r.requested_by,
            "assignment": r.assignment,
            "permissions": {"tools": r.tools, "credentials": r.credentials},
            "instructions": pick(&|k| matches!(k, EventKind::Assignment | EventKind::Instruction)),
            "model_outputs": pick(&|k| *k == EventKind::ModelOutput),
            "tool_calls": pick(&|k| matches!(k, EventKind::ToolCall | EventKind::ToolResult)),
            "retrieved_context": pick(&|k| matches!(k, EventKind::Retrieval | EventKind::MemoryRead)),
            "files_read": pick(&|k| *k == EventKind::FileRead),
            "files_changed": pick(&|k| *k == EventKind::FileWrite),
            "records_written": pick(&|k| *k == EventKind::DbWrite),
            "messages_sent": pick(&|k| *k == EventKind::MessageSent),
            "external_actions": pick(&|k| *k == EventKind::ExternalAction),
            "retries": pick(&|k| *k == EventKind::Retry),
            "errors": pick(&|k| *k == EventKind::Error),
            "reviews": pick(&|k| matches!(k, EventKind::ReviewRequested | EventKind::ReviewDecision)),
            "human_interventions": pick(&|k| matches!(k, EventKind::HumanIntervention | EventKind::Containment | EventKind::PermissionChange)),
            "other": pick(&|k| matches!(k, EventKind::Other(_) | EventKind::StateChange)),
            "stats": r.stats,
        }));
    }
    let bundle = json!({
        "incident": app.incident_id,
        "chain_head": j.head,
        "records": j.lines.len(),
        "entries": entries,
        "runs": runs,
    });
    serde_json::to_string_pretty(&bundle).unwrap_or_default() + "\n"
}
