//! The aca adapter against a misbehaving platform (wiremock): every fault
//! becomes a one-line error; nothing panics; the cursor is not lost.

mod common;

use std::time::Duration;

use common::*;
use cordon::model::HealthState;
use cordon::source::{Source, SourceMsg, aca::Aca, http};
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn healthy_info(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v1/info"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"platform":"x","api_version":"1","actions":["stop_run"]})),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/runs"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"runs":[],"next_cursor":null})),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/controls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(server)
        .await;
}

fn quick_client() -> reqwest::Client {
    http::client_with(
        Duration::from_millis(300),
        Duration::from_millis(300),
        Duration::from_secs(1),
    )
}

/// A platform whose event feed answers 200 with `body`.
async fn events_body(body: &str) -> (MockServer, Aca) {
    let server = MockServer::start().await;
    healthy_info(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body.to_string()))
        .mount(&server)
        .await;
    let a = Aca::new("w", &server.uri(), quick_client());
    (server, a)
}

#[tokio::test]
async fn http_500_is_a_one_line_error_quoting_the_platform() {
    let server = MockServer::start().await;
    healthy_info(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error":{"code":"boom","message":"db down\u{1b}[2J"}})),
        )
        .mount(&server)
        .await;
    let mut a = Aca::new("w", &server.uri(), quick_client());
    let e = a.poll().await.unwrap_err();
    assert_eq!(e.message, "HTTP 500: db down");
    assert!(!e.permanent);
}

#[tokio::test]
async fn http_429_carries_retry_after() {
    let server = MockServer::start().await;
    healthy_info(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7"))
        .mount(&server)
        .await;
    let mut a = Aca::new("w", &server.uri(), quick_client());
    let e = a.poll().await.unwrap_err();
    assert!(e.message.starts_with("429 rate limited"), "{}", e.message);
    assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn non_json_is_reported_not_panicked() {
    for body in ["", "<html>login</html>", "{\"events\": 5}", "[1,2"] {
        let (_s, mut a) = events_body(body).await;
        let e = a.poll().await.unwrap_err();
        assert!(
            e.message.contains("not the expected JSON"),
            "{body}: {}",
            e.message
        );
    }
}

#[tokio::test]
async fn a_50_mb_body_is_refused() {
    // Any answer but an event page is capped at 16 MiB (event pages at 64
    // MiB: tests/hostile.rs).
    let server = MockServer::start().await;
    let huge = format!("{{\"actions\":[],\"pad\":\"{}\"}}", "x".repeat(50 << 20));
    Mock::given(method("GET"))
        .and(path("/v1/info"))
        .respond_with(ResponseTemplate::new(200).set_body_string(huge))
        .mount(&server)
        .await;
    let mut a = Aca::new("w", &server.uri(), http::client());
    let e = a.poll().await.unwrap_err();
    assert!(e.message.contains("larger than 16 MiB"), "{}", e.message);
}

#[tokio::test]
async fn slow_platform_times_out() {
    let server = MockServer::start().await;
    healthy_info(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(3))
                .set_body_json(json!({"events":[]})),
        )
        .mount(&server)
        .await;
    let mut a = Aca::new("w", &server.uri(), quick_client());
    let e = a.poll().await.unwrap_err();
    assert!(e.message.contains("timed out"), "{}", e.message);
}

/// A body that drips a byte at a time, each within the read timeout: only
/// the total timeout ends it, and the poll says so in one line.
#[tokio::test]
async fn slow_drip_body_is_cut_by_the_total_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{\"actions\":[")
                    .await;
                loop {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if s.write_all(b" ").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let mut a = Aca::new("w", &format!("http://{addr}"), quick_client());
    let start = std::time::Instant::now();
    let e = a.poll().await.unwrap_err();
    assert!(e.message.contains("timed out"), "{}", e.message);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "the drip was not cut"
    );
}

#[tokio::test]
async fn platform_down_says_what_to_do() {
    // A port nobody listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let mut a = Aca::new("w", &format!("http://127.0.0.1:{port}"), quick_client());
    let e = a.poll().await.unwrap_err();
    assert!(e.message.starts_with("cannot connect"), "{}", e.message);
    assert!(e.message.contains("is the platform up"), "{}", e.message);
}

#[tokio::test]
async fn repeated_events_across_pages_are_kept_once() {
    let server = MockServer::start().await;
    healthy_info(&server).await;
    let ev =
        |id: &str| json!({"id":id,"run_id":"r1","at":"2026-11-24T10:00:00Z","kind":"tool_call"});
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .and(query_param("after", "c1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"events":[ev("e2"), ev("e3")],"next_cursor":"c2"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"events":[ev("e1"), ev("e2")],"next_cursor":"c1"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/runs/r1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id":"r1","state":"running"})),
        )
        .mount(&server)
        .await;
    let mut a = Aca::new("w", &server.uri(), quick_client());
    let mut app = app(at(0));
    app.add_source("w", "aca", &server.uri());
    let b1 = a.poll().await.unwrap();
    app.update(polled("w", b1, at(1)));
    let b2 = a.poll().await.unwrap();
    app.update(polled("w", b2, at(2)));
    let ids: Vec<&str> = app
        .store
        .events
        .iter()
        .map(|s| s.event.id.as_str())
        .collect();
    assert_eq!(ids, ["e1", "e2", "e3"]);
}

#[tokio::test]
async fn source_dies_and_comes_back_without_loss_or_duplicates() {
    // The simulator, stopped mid-incident and restarted on the same port.
    let names = vec!["wrong-segment".to_string()];
    let world = cordon::sim::World::new(&names, false, 7, t0()).unwrap();
    let sim = cordon::sim::start_with("127.0.0.1:0".parse().unwrap(), world, 0.0)
        .await
        .unwrap();
    let addr = sim.addr;
    let shared = sim.world.clone();
    shared.lock().unwrap().advance(Duration::from_secs(10));
    let mut src = Aca::new("sim", &sim.url(), quick_client());
    let mut a = app(at(0));
    a.update(polled("sim", src.poll().await.unwrap(), at(10)));
    let seen = a.store.events.len();
    drop(sim);
    // Down: the failure is shown, what was observed is kept.
    let e = src.poll().await.unwrap_err();
    a.update(cordon::app::Msg::Source(
        Box::new(SourceMsg::Failed {
            source: "sim".into(),
            error: e.message,
            retry_in: Duration::from_secs(1),
        }),
        at(12),
    ));
    assert_eq!(a.sources[0].health.state, HealthState::Error);
    assert_eq!(a.store.events.len(), seen);
    // Back, with the same world having moved on.
    shared.lock().unwrap().advance(Duration::from_secs(10));
    let world = std::mem::replace(
        &mut *shared.lock().unwrap(),
        cordon::sim::World::new(&[], false, 1, t0()).unwrap(),
    );
    let sim2 = cordon::sim::start_with(addr, world, 0.0).await.unwrap();
    a.update(polled("sim", src.poll().await.unwrap(), at(22)));
    assert_eq!(a.sources[0].health.state, HealthState::Ok);
    let expected: Vec<String> = sim2
        .world
        .lock()
        .unwrap()
        .events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    let got: Vec<String> = a
        .store
        .events
        .iter()
        .map(|s| s.event.id.to_string())
        .collect();
    assert_eq!(got, expected, "no loss and no duplicates after recovery");
}

/// A listener that accepts and drops every connection (a reset).
fn resetting_listener() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            // Read the request, then close without answering.
            use std::io::Read;
            let mut s = s;
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            drop(s);
        }
    });
    port
}

#[tokio::test]
async fn connection_reset_dns_failure_and_tls_error_are_one_line_each() {
    // Reset by the peer.
    let port = resetting_listener();
    let mut a = Aca::new("w", &format!("http://127.0.0.1:{port}"), quick_client());
    let e = a.poll().await.unwrap_err();
    assert!(
        !e.message.is_empty() && !e.message.contains('\n'),
        "{}",
        e.message
    );
    assert!(!e.permanent, "a reset is worth retrying");
    // A name that cannot resolve (.invalid is reserved for that).
    let mut a = Aca::new("w", "http://cordon-test.invalid:7300", quick_client());
    let e = a.poll().await.unwrap_err();
    assert!(
        e.message.starts_with("cannot connect")
            || e.message.contains("dns")
            || e.message.contains("resolve"),
        "{}",
        e.message
    );
    // TLS spoken to a plain-HTTP server.
    let server = MockServer::start().await;
    let tls_url = server.uri().replace("http://", "https://");
    let mut a = Aca::new("w", &tls_url, quick_client());
    let e = a.poll().await.unwrap_err();
    assert!(
        !e.message.is_empty() && !e.message.contains('\n'),
        "{}",
        e.message
    );
    eprintln!("reset/dns/tls messages ok: {}", e.message);
}

/// A run read back under another id (`GET /v1/runs/run_a` answering
/// `run_b`) is no news of `run_a`, and never a run of its own.
#[tokio::test]
async fn a_run_read_answering_for_another_run_adds_no_phantom() {
    let server = MockServer::start().await;
    healthy_info(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"events": [
            {"id": "e1", "run_id": "run_a", "kind": "tool_call", "at": "2026-11-24T10:00:00Z", "summary": "x"}
        ], "next_cursor": "c1"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/runs/run_a"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": "run_b", "state": "stopped", "agent": "x", "workflow": "w"}),
        ))
        .mount(&server)
        .await;
    let mut a = Aca::new("w", &server.uri(), quick_client());
    let b = a.poll().await.unwrap();
    assert_eq!(b.events.len(), 1);
    assert!(
        b.runs.iter().all(|r| r.id != "run_b"),
        "{:?}",
        b.runs.iter().map(|r| r.id.to_string()).collect::<Vec<_>>()
    );
}
