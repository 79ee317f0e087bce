//! A large synthetic incident for the benchmarks: many runs and events
//! shaped like a real one (mostly healthy background work, one workflow
//! in a retry loop, one sending to the wrong segment), produced as ACA
//! wire JSON so measuring it goes through the same parse and sanitize
//! path as a platform's answer.

use serde_json::{Value, json};

use crate::model::{Event, Run, Time};

const TOOLS: [&str; 6] = [
    "crm.update",
    "email.send",
    "db.query",
    "files.write",
    "search.web",
    "tickets.comment",
];
/// Healthy background work: reads, calls, an occasional reversible write.
const BACKGROUND: [&str; 8] = [
    "tool_call",
    "tool_result",
    "model_output",
    "retrieval",
    "tool_call",
    "tool_result",
    "model_output",
    "db_write",
];
/// The incident's runs: sending to the wrong segment, failing, retrying.
const INCIDENT: [&str; 5] = ["tool_call", "message_sent", "error", "retry", "db_write"];

/// Run `i` of `n` as wire JSON. Runs 0..50 are the incident: a refund
/// workflow stuck retrying; the rest are healthy background runs.
pub fn wire_run(i: usize, now: Time) -> Value {
    let incident = i < 50;
    let state = match i % 10 {
        _ if incident => "running",
        0..=5 => "succeeded",
        6 | 7 => "running",
        8 => "queued",
        _ => "waiting_review",
    };
    json!({
        "id": format!("run_{i:06}"),
        "agent": format!("agent-{}", i % 37),
        "agent_class": if incident { "refund-agent" } else { ["support-agent", "triage-bot", "report-writer"][i % 3] },
        "workflow": if incident { "refunds".to_string() } else { format!("wf-{}", i % 200) },
        "state": state,
        "started_at": (now - chrono::Duration::seconds((i % 3600) as i64)).to_rfc3339(),
        "updated_at": now.to_rfc3339(),
        "assignment": format!("Handle ticket #{} for customer {}", 10_000 + i, i % 997),
        "requested_by": "ops@example.com",
        "tools": ["crm.update", "email.send"],
        "stats": {"tool_calls": i % 17, "errors": if incident { 4 } else { 0 }, "retries": if incident { 3 } else { 0 }},
    })
}

/// Event `j` (of a feed spread over `runs` runs) as wire JSON.
pub fn wire_event(j: usize, runs: usize, now: Time) -> Value {
    let run = (j.wrapping_mul(7919)) % runs.max(1);
    // The k-th event of a run (j = run's first + k·runs, roughly) cycles
    // through the kinds.
    let k = j / runs.max(1) + run;
    let kind = if run < 50 {
        INCIDENT[k % INCIDENT.len()]
    } else {
        BACKGROUND[k % BACKGROUND.len()]
    };
    let tool = TOOLS[j % TOOLS.len()];
    let at = now - chrono::Duration::milliseconds(((usize::MAX - j) % 3_600_000) as i64);
    let mut e = json!({
        "id": format!("evt_{j:08}"),
        "run_id": format!("run_{run:06}"),
        "at": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "kind": kind,
        "summary": format!("{tool} on record {} for ticket #{}: status updated after model review", j % 5000, 10_000 + run),
        "tool": tool,
        "target": format!("db:crm/tickets/{}", j % 5000),
    });
    if kind == "message_sent" {
        e["outbound"] = json!(true);
        e["reversible"] = json!(false);
        e["tool"] = json!("email.send");
        e["target"] = json!("segment:all-customers");
        e["data"] = json!({"recipients": 48112, "template": "refund-approved"});
    }
    if kind == "db_write" {
        e["reversible"] = json!(true);
        e["data"] = json!({"table": "tickets", "rows": 1});
    }
    if kind == "error" {
        e["summary"] = json!(format!(
            "crm.update failed: 503 upstream timeout after {} ms",
            100 + j % 900
        ));
    }
    e
}

/// Clean runs, as an adapter would deliver them.
pub fn runs(n: usize, source: &str, now: Time) -> Vec<Run> {
    (0..n)
        .filter_map(|i| Run::from_wire(source, &wire_run(i, now)))
        .collect()
}

/// One page of the event feed (`from..to`) as the bytes a platform sends.
pub fn page(from: usize, to: usize, runs: usize, now: Time) -> Vec<u8> {
    let events: Vec<Value> = (from..to).map(|j| wire_event(j, runs, now)).collect();
    serde_json::to_vec(&json!({"events": events, "next_cursor": to.to_string()}))
        .unwrap_or_default()
}

/// Parse and sanitize a page with the `aca` adapter's own reader.
pub fn parse_page(body: &[u8], now: Time) -> Vec<Event> {
    crate::source::aca::events_page(&crate::source::http::text(body), now)
        .map(|p| p.events)
        .unwrap_or_default()
}
