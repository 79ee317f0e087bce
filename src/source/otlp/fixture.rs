//! Small builders for OTLP requests, shared by the tests and the benches
//! (the shapes the Python SDK exports: resource, scope, spans with ids,
//! times, attributes, status and exception events).

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};

/// A string attribute.
pub fn s(key: &str, value: &str) -> KeyValue {
    kv(key, Value::StringValue(value.into()))
}

/// Any attribute value.
pub fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

/// Nanoseconds since the epoch of `secs` after 2026-11-24T10:00:00Z.
pub fn at(secs: u64) -> u64 {
    (1_795_514_400 + secs) * 1_000_000_000
}

/// A span of trace `trace` (its 16 bytes from the number), `id` (8 bytes),
/// under `parent` (none: the trace's root), from `start` to `end` seconds
/// after the fixed epoch.
pub fn span(
    trace: u128,
    id: u64,
    parent: Option<u64>,
    name: &str,
    (start, end): (u64, u64),
    attributes: Vec<KeyValue>,
) -> Span {
    Span {
        trace_id: trace.to_be_bytes().to_vec(),
        span_id: id.to_be_bytes().to_vec(),
        parent_span_id: parent.map(|p| p.to_be_bytes().to_vec()).unwrap_or_default(),
        // As the Python SDK sets them: the parent is known to be local.
        flags: 0x100 | 1,
        name: name.into(),
        kind: 1,
        start_time_unix_nano: at(start),
        end_time_unix_nano: at(end),
        attributes,
        ..Default::default()
    }
}

/// Mark a span failed as `start_as_current_span` does when an exception
/// leaves it: an `exception` event and an ERROR status.
pub fn failed(mut sp: Span, ty: &str, message: &str) -> Span {
    sp.events.push(span::Event {
        time_unix_nano: sp.end_time_unix_nano,
        name: "exception".into(),
        attributes: vec![s("exception.type", ty), s("exception.message", message)],
        ..Default::default()
    });
    sp.status = Some(Status {
        code: 2,
        message: format!("{ty}: {message}"),
    });
    sp
}

/// One request from one service.
pub fn request(service: &str, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![s("service.name", service)],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// The spans of one agent run the way an instrumented agent exports them
/// (children first, the root last): `tools` tool calls, each after a chat
/// call, under an `invoke_agent` root.
pub fn agent_run(trace: u128, agent: &str, tools: &[(&str, &str)]) -> Vec<Span> {
    let root = 1u64;
    let mut out = Vec::new();
    let mut t = 0u64;
    for (i, (tool, args)) in tools.iter().enumerate() {
        let i = i as u64;
        out.push(span(
            trace,
            100 + i,
            Some(root),
            "chat fake-model",
            (t, t + 1),
            vec![
                s("gen_ai.operation.name", "chat"),
                s("gen_ai.request.model", "fake-model"),
            ],
        ));
        out.push(span(
            trace,
            200 + i,
            Some(root),
            &format!("execute_tool {tool}"),
            (t + 1, t + 2),
            vec![
                s("gen_ai.operation.name", "execute_tool"),
                s("gen_ai.tool.name", tool),
                s("gen_ai.tool.call.id", &format!("call_{trace:x}_{i}")),
                s("gen_ai.tool.call.arguments", args),
                s("gen_ai.tool.call.result", "ok"),
            ],
        ));
        t += 2;
    }
    out.push(span(
        trace,
        root,
        None,
        &format!("invoke_agent {agent}"),
        (0, t + 1),
        vec![
            s("gen_ai.operation.name", "invoke_agent"),
            s("gen_ai.agent.name", agent),
        ],
    ));
    out
}
