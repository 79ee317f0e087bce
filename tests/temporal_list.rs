//! Listing running Temporal workflows (wiremock): the count asked with the
//! first page saves the empty second round trip when the first page holds
//! them all, and tokens are still followed when it does not (or when the
//! server cannot count).

use cordon::source::{http, temporal::Conn};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const API: &str = "/api/v1/namespaces/default";

fn page(from: usize, to: usize, token: &str) -> Value {
    let execs: Vec<Value> = (from..to)
        .map(|i| {
            json!({"execution": {"workflowId": format!("wf-{i}"), "runId": format!("r{i}")},
                        "type": {"name": "W"}, "status": "WORKFLOW_EXECUTION_STATUS_RUNNING"})
        })
        .collect();
    json!({"executions": execs, "nextPageToken": token})
}

async fn server(count: Option<u64>, total: usize) -> MockServer {
    let s = MockServer::start().await;
    match count {
        Some(n) => {
            Mock::given(method("GET"))
                .and(path(format!("{API}/workflow-count")))
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(json!({"count": n.to_string()})),
                )
                .mount(&s)
                .await
        }
        None => {
            Mock::given(method("GET"))
                .and(path(format!("{API}/workflow-count")))
                .respond_with(ResponseTemplate::new(404))
                .mount(&s)
                .await
        }
    }
    // Like the real server: a full page always carries a token.
    Mock::given(method("GET"))
        .and(path(format!("{API}/workflows")))
        .and(query_param_is_missing("nextPageToken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(0, total.min(1000), "t1")))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/workflows")))
        .and(query_param("nextPageToken", "t1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(1000, total, "")))
        .mount(&s)
        .await;
    s
}

async fn list_requests(s: &MockServer) -> usize {
    s.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path().ends_with("/workflows"))
        .count()
}

/// List through a server counting `count` (none: it cannot count) and
/// holding `total`: (workflows listed, list requests made).
async fn list(count: Option<u64>, total: usize) -> (usize, usize) {
    let s = server(count, total).await;
    let mut b = 0;
    let got = Conn::new(&s.uri(), http::client())
        .running(&mut b)
        .await
        .unwrap();
    assert!(b > 0, "bytes are counted");
    (got.len(), list_requests(&s).await)
}

#[tokio::test]
async fn a_full_first_page_that_holds_them_all_is_one_list_request() {
    assert_eq!(
        list(Some(1000), 1000).await,
        (1000, 1),
        "no empty second page"
    );
}

#[tokio::test]
async fn more_than_a_page_follows_the_token() {
    assert_eq!(list(Some(1500), 1500).await, (1500, 2));
}

#[tokio::test]
async fn without_a_count_the_tokens_are_followed() {
    assert_eq!(
        list(None, 1000).await,
        (1000, 2),
        "the empty second page tells the end"
    );
}
