//! Temporal reads that fail part-way (wiremock): an execution seen only in
//! the listing of closed executions, whose history read fails, is read
//! again at the next poll, not forgotten once the closed-since mark has
//! moved past it; and one that visibility indexes late (its close time
//! before the newest one already listed) is still read; and one dated far
//! ahead by a skewed server does not blind the listings after it.

use cordon::model::EventKind;
use cordon::source::{Batch, Source, temporal::Temporal};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const API: &str = "/api/v1/namespaces/default";
const RUN: &str = "01a23141-d046-7da2-818c-b1951f8037f4";

/// A close time `secs` seconds ago (the first listing looks five minutes back).
fn ago(secs: i64) -> String {
    (chrono::Utc::now() - chrono::TimeDelta::seconds(secs)).to_rfc3339()
}

fn closed(wf: &str, run: &str, close: &str) -> Value {
    json!({"execution": {"workflowId": wf, "runId": run}, "type": {"name": "RefundChild"},
           "startTime": "2026-12-07T10:00:00Z", "closeTime": close,
           "status": "WORKFLOW_EXECUTION_STATUS_COMPLETED", "taskQueue": "agents"})
}

fn history(wf: &str) -> Value {
    json!({"history": {"events": [
        {"eventId": "1", "eventTime": "2026-12-07T10:00:00Z",
         "eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
         "workflowExecutionStartedEventAttributes": {"workflowType": {"name": "RefundChild"},
            "taskQueue": {"name": "agents"}, "input": [wf], "attempt": 1}},
        {"eventId": "2", "eventTime": "2026-12-07T10:00:00.1Z",
         "eventType": "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED",
         "activityTaskScheduledEventAttributes": {"activityId": "1",
            "activityType": {"name": "email_send"}, "input": [format!("customer of {wf}")]}},
        {"eventId": "3", "eventTime": "2026-12-07T10:00:00.2Z",
         "eventType": "EVENT_TYPE_ACTIVITY_TASK_STARTED",
         "activityTaskStartedEventAttributes": {"scheduledEventId": "2", "attempt": 1}},
        {"eventId": "4", "eventTime": "2026-12-07T10:00:00.3Z",
         "eventType": "EVENT_TYPE_ACTIVITY_TASK_COMPLETED",
         "activityTaskCompletedEventAttributes": {"result": ["sent"],
            "scheduledEventId": "2", "startedEventId": "3"}},
        {"eventId": "5", "eventTime": "2026-12-07T10:00:01Z",
         "eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED",
         "workflowExecutionCompletedEventAttributes": {"result": ["done"]}}
    ]}})
}

fn time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.to_utc())
}

/// A server with no running executions; `closed_listings[n]` is what the
/// n-th listing of closed executions answers (the last one repeats).
async fn server(closed_listings: Vec<Vec<Value>>) -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(API))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/workflow-count")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"count": "0"})))
        .mount(&s)
        .await;
    let seen = std::sync::atomic::AtomicUsize::new(0);
    Mock::given(method("GET"))
        .and(path(format!("{API}/workflows")))
        .respond_with(move |r: &Request| {
            let q = r.url.query_pairs().find(|(k, _)| k == "query");
            let q = q.map(|(_, v)| v.to_string()).unwrap_or_default();
            if q.contains("CloseTime") {
                let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                // What visibility holds now, closed after the query's mark.
                let mark = q.split('"').nth(1).and_then(time).expect("a mark");
                let execs: Vec<&Value> = closed_listings[n.min(closed_listings.len() - 1)]
                    .iter()
                    .filter(|x| x["closeTime"].as_str().and_then(time) > Some(mark))
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({"executions": execs}))
            } else {
                ResponseTemplate::new(200).set_body_json(json!({"executions": []}))
            }
        })
        .mount(&s)
        .await;
    for wf in ["wf-a", "wf-b"] {
        Mock::given(method("GET"))
            .and(path(format!("{API}/workflows/{wf}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "workflowExecutionInfo": closed(wf, RUN, &ago(9))})))
            .mount(&s)
            .await;
    }
    s
}

async fn mount_history(s: &MockServer, wf: &str, fail_first: u64) {
    let p = format!("{API}/workflows/{wf}/history");
    if fail_first > 0 {
        Mock::given(method("GET"))
            .and(path(&p))
            .and(query_param("execution.runId", RUN))
            .respond_with(ResponseTemplate::new(500).set_body_string("history unavailable"))
            .up_to_n_times(fail_first)
            .with_priority(1)
            .mount(s)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(&p))
        .respond_with(ResponseTemplate::new(200).set_body_json(history(wf)))
        .mount(s)
        .await;
}

fn sends(b: &[Batch], run: &str) -> usize {
    b.iter()
        .flat_map(|b| &b.events)
        .filter(|e| e.run_id == run && e.kind == EventKind::ToolCall)
        .count()
}

async fn polls(src: &mut Temporal, n: usize) -> (Vec<Batch>, usize) {
    let (mut out, mut partial) = (Vec::new(), 0);
    for _ in 0..n {
        out.push(src.poll().await.expect("the listing answers"));
        partial += usize::from(src.partial_error().is_some());
    }
    (out, partial)
}

#[tokio::test]
async fn a_closed_execution_whose_history_read_failed_is_read_next_poll() {
    let s = server(vec![vec![
        closed("wf-a", RUN, &ago(9)),
        closed("wf-b", RUN, &ago(8)),
    ]])
    .await;
    mount_history(&s, "wf-a", 2).await;
    mount_history(&s, "wf-b", 0).await;
    let mut src = Temporal::new("tm", &s.uri(), cordon::source::http::client());
    let (b, partial) = polls(&mut src, 4).await;
    assert_eq!(partial, 2, "each failed read is said");
    assert_eq!(
        sends(&b, &format!("wf-a@{RUN}")),
        1,
        "the failed execution is read again"
    );
    assert_eq!(
        sends(&b, &format!("wf-b@{RUN}")),
        1,
        "and the other one once"
    );
}

#[tokio::test]
async fn an_execution_indexed_late_is_still_read() {
    // The second listing holds wf-a, closed before the newest close time
    // the first listing showed (visibility lag): it is read all the same.
    let s = server(vec![
        vec![closed("wf-b", RUN, &ago(5))],
        vec![closed("wf-b", RUN, &ago(5)), closed("wf-a", RUN, &ago(7))],
    ])
    .await;
    mount_history(&s, "wf-a", 0).await;
    mount_history(&s, "wf-b", 0).await;
    let mut src = Temporal::new("tm", &s.uri(), cordon::source::http::client());
    let (b, _) = polls(&mut src, 3).await;
    assert_eq!(sends(&b, &format!("wf-a@{RUN}")), 1);
    assert_eq!(sends(&b, &format!("wf-b@{RUN}")), 1);
    let closed_queries: Vec<String> = s
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "query")
                .map(|(_, v)| v.to_string())
        })
        .filter(|q| q.contains("CloseTime"))
        .collect();
    assert!(closed_queries.len() >= 3, "{closed_queries:?}");
}

#[tokio::test]
async fn a_close_time_in_the_far_future_does_not_blind_later_listings() {
    // One execution dated 2099 by a skewed server; one closed since.
    let s = server(vec![
        vec![closed("wf-b", RUN, "2099-01-01T00:00:00Z")],
        vec![
            closed("wf-b", RUN, "2099-01-01T00:00:00Z"),
            closed("wf-a", RUN, &ago(1)),
        ],
    ])
    .await;
    mount_history(&s, "wf-a", 0).await;
    mount_history(&s, "wf-b", 0).await;
    let mut src = Temporal::new("tm", &s.uri(), cordon::source::http::client());
    let (b, _) = polls(&mut src, 3).await;
    assert_eq!(sends(&b, &format!("wf-b@{RUN}")), 1);
    assert_eq!(
        sends(&b, &format!("wf-a@{RUN}")),
        1,
        "read after the 2099 one"
    );
}

#[tokio::test]
async fn a_reopened_incident_reads_what_closed_while_no_console_ran() {
    // Closed 30 minutes ago, while no console ran; the journal had the
    // source caught up 40 minutes ago.
    let s = server(vec![vec![closed("wf-a", RUN, &ago(30 * 60))]]).await;
    mount_history(&s, "wf-a", 0).await;
    let mut fresh = Temporal::new("tm", &s.uri(), cordon::source::http::client());
    let (b, _) = polls(&mut fresh, 1).await;
    assert_eq!(
        sends(&b, &format!("wf-a@{RUN}")),
        0,
        "a new incident looks 5 min back"
    );
    let mut src = Temporal::new("tm", &s.uri(), cordon::source::http::client());
    src.resume_from(chrono::Utc::now() - chrono::TimeDelta::minutes(40));
    let (b, _) = polls(&mut src, 1).await;
    assert_eq!(sends(&b, &format!("wf-a@{RUN}")), 1);
}
