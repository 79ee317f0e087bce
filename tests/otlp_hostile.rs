//! Hostile and sloppy OTLP at the real receiver (HTTP and gRPC on
//! loopback): every request is refused with the status the OTLP spec
//! asks for, or taken with what does not fit cut and marked; never a
//! crash or a stall, and the receiver keeps answering good requests after.

use std::io::Write;
use std::time::{Duration, Instant};

use cordon::model::{EventKind, RunState};
use cordon::sanitize::TRUNCATED;
use cordon::source::otlp::fixture::{agent_run, kv, request, s, span};
use cordon::source::otlp::{Options, Otlp};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValueList, any_value::Value};
use prost::Message;

fn start(query: &str) -> (Otlp, String) {
    let o = Options::parse(&format!("http://127.0.0.1:0{query}")).unwrap();
    let src = Otlp::start("otel", &o).unwrap();
    let url = format!("http://{}/v1/traces", src.http_addr());
    (src, url)
}

fn client() -> reqwest::Client {
    let d = Duration::from_secs(30);
    cordon::source::http::client_with(d, d, d)
}

async fn post(url: &str, ct: &str, body: Vec<u8>) -> (u16, Option<String>, Vec<u8>) {
    post_with(url, ct, body, &[]).await
}

async fn post_with(
    url: &str,
    ct: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> (u16, Option<String>, Vec<u8>) {
    let mut req = client().post(url).header("content-type", ct).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("the receiver answers");
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry, r.bytes().await.unwrap().to_vec())
}

const PB: &str = "application/x-protobuf";

fn good() -> Vec<u8> {
    request("svc", agent_run(0xabc, "ok-agent", &[("lookup", "{}")])).encode_to_vec()
}

/// `n` tool spans under one (unsent) root.
fn tool_spans(trace: u128, n: u64) -> Vec<opentelemetry_proto::tonic::trace::v1::Span> {
    (0..n)
        .map(|i| {
            let attrs = vec![
                s("gen_ai.operation.name", "execute_tool"),
                s("gen_ai.tool.name", "t"),
            ];
            span(trace, 10 + i, Some(1), "execute_tool t", (1, 2), attrs)
        })
        .collect()
}

/// After any abuse: a good request is still taken.
async fn still_answers(url: &str) {
    let (status, _, body) = post(url, PB, good()).await;
    assert_eq!(status, 200);
    assert!(
        ExportTraceServiceResponse::decode(body.as_slice())
            .unwrap()
            .partial_success
            .is_none()
    );
}

#[tokio::test]
async fn wrong_type_cut_protobuf_bad_gzip_and_oversize_are_refused() {
    let (_src, url) = start("");
    let (st, _, _) = post(&url, "text/plain", good()).await;
    assert_eq!(st, 415);
    let mut cut = good();
    cut.truncate(cut.len() - 7);
    let (st, _, body) = post(&url, PB, cut).await;
    assert_eq!(st, 400);
    assert!(String::from_utf8_lossy(&body).contains("not an OTLP protobuf trace export"));
    let (st, _, _) = post(&url, "application/json", b"{\"resourceSpans\": [".to_vec()).await;
    assert_eq!(st, 400);
    let (st, _, _) = post_with(
        &url,
        PB,
        b"not gzip".to_vec(),
        &[("content-encoding", "gzip")],
    )
    .await;
    assert_eq!(st, 400);
    let (st, _, _) = post_with(&url, PB, good(), &[("content-encoding", "zstd")]).await;
    assert_eq!(st, 415);
    // 9 MiB of zeros: over the body cap before it is read.
    let (st, _, body) = post(&url, PB, vec![0u8; 9 << 20]).await;
    assert_eq!(st, 413);
    assert!(String::from_utf8_lossy(&body).contains("smaller batches"));
    // A gzip bomb: 40 MiB of zeros in ~40 KiB, refused past 32 MiB.
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![0u8; 40 << 20]).unwrap();
    let (st, _, _) = post_with(
        &url,
        PB,
        z.finish().unwrap(),
        &[("content-encoding", "gzip")],
    )
    .await;
    assert_eq!(st, 413);
    let (st, _, _) = client()
        .get(url.clone())
        .send()
        .await
        .map(|r| (r.status().as_u16(), (), ()))
        .unwrap();
    assert_eq!(st, 405);
    still_answers(&url).await;
}

fn nested(depth: usize) -> AnyValue {
    let mut v = AnyValue {
        value: Some(Value::StringValue("leaf".into())),
    };
    for i in 0..depth {
        v = AnyValue {
            value: Some(Value::KvlistValue(KeyValueList {
                values: vec![kv(&format!("k{i}"), v.value.unwrap())],
            })),
        };
    }
    v
}

#[tokio::test]
async fn deep_nesting_is_cut_with_a_mark_or_refused() {
    let (mut src, url) = start("");
    // 25 levels (75 protobuf messages deep): decoded, and cut at the
    // cleaner's depth with its mark.
    let mut spans = agent_run(0x11, "deep", &[("lookup", "{}")]);
    spans[1]
        .attributes
        .retain(|a| a.key != "gen_ai.tool.call.arguments");
    spans[1]
        .attributes
        .push(kv("gen_ai.tool.call.arguments", nested(25).value.unwrap()));
    let (st, _, _) = post(&url, PB, request("svc", spans).encode_to_vec()).await;
    assert_eq!(st, 200);
    let b = src.take(chrono::Utc::now());
    let call = b
        .events
        .iter()
        .find(|e| e.kind == EventKind::ToolCall)
        .unwrap();
    assert!(call.data.text().unwrap().contains(TRUNCATED));
    // 500 levels: past the protobuf decoder's recursion limit (100
    // messages), refused.
    let mut spans = agent_run(0x12, "deeper", &[]);
    spans[0]
        .attributes
        .push(kv("x", nested(500).value.unwrap()));
    let (st, _, body) = post(&url, PB, request("svc", spans).encode_to_vec()).await;
    assert_eq!(st, 400, "{}", String::from_utf8_lossy(&body));
    // JSON nested 10,000 deep: refused, not a stack overflow.
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let body = format!(r#"{{"resourceSpans":{deep}}}"#);
    let (st, _, _) = post(&url, "application/json", body.into_bytes()).await;
    assert_eq!(st, 400);
    still_answers(&url).await;
}

#[tokio::test]
async fn huge_attributes_and_control_characters_are_cut_and_cleaned() {
    let (mut src, url) = start("");
    let mut spans = agent_run(0x21, "huge\u{1b}[2J\u{202e}agent", &[("send_email", "{}")]);
    spans[1]
        .attributes
        .retain(|a| a.key != "gen_ai.tool.call.result");
    spans[1]
        .attributes
        .push(s("gen_ai.tool.call.result", &"R".repeat(7 << 20)));
    for i in 0..10_000 {
        spans[0].attributes.push(s(&format!("junk.{i}"), "x"));
    }
    let body = request("svc\u{7}", spans).encode_to_vec();
    assert!(body.len() < 8 << 20);
    let (st, _, _) = post(&url, PB, body).await;
    assert_eq!(st, 200);
    let b = src.take(chrono::Utc::now());
    let run = &b.runs[0];
    assert_eq!(run.agent, "hugeagent");
    assert_eq!(run.agent_class, "svc");
    let result = b
        .events
        .iter()
        .find(|e| e.kind == EventKind::ToolResult)
        .unwrap();
    assert!(result.summary.ends_with(TRUNCATED) && result.summary.len() < 300);
    assert!(result.data.text().unwrap().len() < 5_000);
    still_answers(&url).await;
}

#[tokio::test]
async fn ten_thousand_spans_in_one_request_are_all_taken() {
    let (mut src, url) = start("");
    let spans = tool_spans(0x31, 10_000);
    let started = Instant::now();
    let (st, _, body) = post(&url, PB, request("svc", spans).encode_to_vec()).await;
    assert_eq!(st, 200);
    assert!(
        ExportTraceServiceResponse::decode(body.as_slice())
            .unwrap()
            .partial_success
            .is_none()
    );
    assert!(started.elapsed() < Duration::from_secs(30), "no stall");
    let b = src.take(chrono::Utc::now());
    assert_eq!(b.events.len(), 20_000, "a call and a result each");
    assert_eq!(b.runs[0].stats.tool_calls.get(), Some(10_000));
    // Pieces for the console's loop stay small.
    assert!(cordon::source::split(b).len() >= 10);
}

#[tokio::test]
async fn spans_over_the_per_request_cap_are_rejected_as_partial_success_and_marked() {
    let (mut src, url) = start("?max_spans=100");
    let spans = tool_spans(0x41, 150);
    for (ct, body) in [
        (PB, request("svc", spans.clone()).encode_to_vec()),
        (
            "application/json",
            serde_json::to_vec(&request("svc", spans)).unwrap(),
        ),
    ] {
        let (st, _, body) = post(&url, ct, body).await;
        assert_eq!(st, 200);
        let resp: ExportTraceServiceResponse = if ct == PB {
            ExportTraceServiceResponse::decode(body.as_slice()).unwrap()
        } else {
            serde_json::from_slice(&body).unwrap()
        };
        let p = resp.partial_success.expect("partial success");
        assert_eq!(p.rejected_spans, 50);
        assert!(p.error_message.contains("send smaller batches"));
    }
    let b = src.take(chrono::Utc::now());
    let mark = b.events.iter().find(|e| e.run_id == "-").unwrap();
    assert_eq!(mark.kind, EventKind::Error);
    assert!(
        mark.summary.starts_with("receiver rejected 100 spans"),
        "{}",
        mark.summary
    );
}

#[tokio::test]
async fn refusals_the_sender_will_not_retry_are_marked_in_the_timeline() {
    let (mut src, url) = start("");
    let (st, _, _) = post(&url, "text/xml", good()).await;
    assert_eq!(st, 415);
    let b = src.take(chrono::Utc::now());
    let mark = b.events.iter().find(|e| e.run_id == "-").unwrap();
    assert!(mark.summary.contains("refused 1 request(s)") && mark.summary.contains("415"));
}

#[tokio::test]
async fn a_token_is_required_when_configured_and_never_shown() {
    // SAFETY: set before any thread of this test reads it.
    unsafe { std::env::set_var("CORDON_TEST_OTLP_TOKEN", "s3cret-otlp-token") };
    let (mut src, url) = start("?token_env=CORDON_TEST_OTLP_TOKEN");
    let (st, _, body) = post(&url, PB, good()).await;
    assert_eq!(st, 401);
    assert!(!String::from_utf8_lossy(&body).contains("s3cret"));
    let (st, _, _) = post_with(&url, PB, good(), &[("authorization", "Bearer wrong")]).await;
    assert_eq!(st, 401);
    let (st, _, _) = post_with(
        &url,
        PB,
        good(),
        &[("authorization", "Bearer s3cret-otlp-token")],
    )
    .await;
    assert_eq!(st, 200);
    let b = src.take(chrono::Utc::now());
    assert_eq!(b.runs.len(), 1);
    let shown = format!("{b:?}");
    assert!(!shown.contains("s3cret"));
    assert!(shown.contains("refused 2 request(s)"));
}

#[tokio::test]
async fn a_console_behind_makes_senders_wait_then_takes_again() {
    let o = Options::parse("http://127.0.0.1:0").unwrap();
    let src = Otlp::start_capped("otel", &o, 10).unwrap();
    let url = format!("http://{}/v1/traces", src.http_addr());
    // A console that takes one message and then nothing.
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(cordon::source::listen_loop(
        Box::new(src),
        Duration::from_secs(3600),
        tx,
    ));
    let mut statuses = Vec::new();
    let mut retry = None;
    for i in 0..20u128 {
        let body = request("svc", agent_run(0x100 + i, "a", &[("t", "{}")])).encode_to_vec();
        let (st, r, _) = post(&url, PB, body).await;
        statuses.push(st);
        if st == 503 {
            retry = r;
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&503), "{statuses:?}");
    assert_eq!(retry.as_deref(), Some("1"));
    // The console catches up: senders are taken again.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        while rx.try_recv().is_ok() {}
        let (st, _, _) = post(&url, PB, good()).await;
        if st == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "never taken again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn grpc_refuses_without_the_token_and_takes_with_it() {
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    unsafe { std::env::set_var("CORDON_TEST_OTLP_TOKEN2", "grpc-token-9") };
    let (mut src, _) = start("?grpc=0&token_env=CORDON_TEST_OTLP_TOKEN2");
    let addr = format!("http://{}", src.grpc_addr().unwrap());
    let mut c = TraceServiceClient::connect(addr).await.unwrap();
    let req = request("svc", agent_run(0x51, "grpc-agent", &[("t", "{}")]));
    let e = c.export(req.clone()).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unauthenticated);
    let mut r = tonic::Request::new(req);
    r.metadata_mut()
        .insert("authorization", "Bearer grpc-token-9".parse().unwrap());
    c.export(r).await.unwrap();
    let b = src.take(chrono::Utc::now());
    assert_eq!(b.runs[0].agent, "grpc-agent");
    assert_eq!(b.runs[0].state, RunState::Succeeded);
}

/// Empty and odd-but-legal requests are fine.
#[tokio::test]
async fn empty_requests_are_taken() {
    let (_src, url) = start("");
    let (st, _, _) = post(&url, PB, Vec::new()).await;
    assert_eq!(st, 200);
    let (st, _, _) = post(
        &url,
        "application/json",
        serde_json::to_vec(&ExportTraceServiceRequest::default()).unwrap(),
    )
    .await;
    assert_eq!(st, 200);
}
