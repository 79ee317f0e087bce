//! The OTLP source against the real OpenTelemetry Python SDK exporters
//! (installed by scripts/install-peers.sh): an instrumented fake agent
//! (peers/otel/agent.py, GenAI conventions) over OTLP/HTTP protobuf, JSON
//! and gRPC, and a LangChain agent traced by OpenInference
//! (peers/otel/openinference_agent.py). Spans arrive at the receiver the
//! console runs; the app journals and shows what they say, and that is
//! compared with the agent's own account of every span it ended.

mod common;
mod peers;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cordon::app::App;
use cordon::journal::Record;
use cordon::model::{EventKind, Run, RunState};
use cordon::source::otlp::{Options, Otlp};

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("peers/otel")
        .join(name)
}

fn receiver(query: &str) -> Otlp {
    let o = Options::parse(&format!("http://127.0.0.1:0{query}")).unwrap();
    Otlp::start("otel", &o).unwrap()
}

/// Run a peer script to the end; it must say "agent done".
async fn run_agent(py: &std::path::Path, script: &str, args: &[String]) {
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(py)
            .arg(self::script(script))
            .args(args)
            .output(),
    )
    .await
    .expect("the agent finishes")
    .expect("the agent runs");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("agent done"), "{script}: {text}");
}

/// Feed what the source mapped into an app (as the console's loop does)
/// until `done` holds or the deadline passes; the journal records.
async fn follow(src: &mut Otlp, app: &mut App, mut done: impl FnMut(&App) -> bool) -> Vec<Record> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut records = Vec::new();
    loop {
        let now = chrono::Utc::now();
        let batch = src.take(now);
        let fx = app.update(common::polled("otel", batch, now));
        records.extend(common::split(fx).0);
        if done(app) {
            return records;
        }
        assert!(
            Instant::now() < deadline,
            "timed out; runs: {:?}",
            app.store.runs
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn app() -> App {
    let mut a = App::new(
        chrono::Utc::now(),
        "INC-OTLP",
        "/tmp/inc",
        common::operator(),
    );
    a.add_source("otel", "otlp", "http://127.0.0.1:4318");
    a
}

fn run<'a>(app: &'a App, id: &str) -> Option<&'a Run> {
    app.store.runs.iter().find(|r| r.id == id)
}

fn ended(app: &App, id: &str) -> bool {
    run(app, id).is_some_and(|r| !r.state.is_active())
}

fn events(records: &[Record]) -> Vec<&cordon::model::Event> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Event { event, .. } => Some(event),
            _ => None,
        })
        .collect()
}

/// The GenAI agent's two runs, checked against what it says it did.
fn check_genai_runs(app: &App, records: &[Record], recorded: &str) {
    let refund = run(app, "conv-refund-1").expect("the refund agent's run");
    assert_eq!(refund.agent, "refund-agent");
    assert_eq!(refund.agent_class, "support-bot");
    assert_eq!(refund.requested_by, "ops@example.com");
    assert_eq!(refund.assignment, "Refund order 1042 and tell the customer");
    assert_eq!(
        refund.state,
        RunState::Failed,
        "the declined charge failed it"
    );
    assert_eq!(refund.stats.tool_calls.get(), Some(4));
    assert_eq!(refund.stats.retries.get(), Some(1));
    assert_eq!(refund.stats.external_actions.get(), Some(1));
    let triage = run(app, "conv-triage-1").expect("the triage agent's run");
    assert_eq!(
        (triage.agent.as_str(), &triage.state),
        ("triage-agent", &RunState::Succeeded)
    );
    let evs = events(records);
    let email = evs
        .iter()
        .find(|e| e.kind == EventKind::ToolCall && e.tool.as_deref() == Some("send_email"))
        .expect("the send_email call");
    assert!(email.outbound, "an email to every customer is outbound");
    assert_eq!(email.target.as_deref(), Some("all-customers@example.com"));
    assert_eq!(email.data.value()["args"]["subject"], "Your refund");
    assert!(evs.iter().any(|e| {
        e.kind == EventKind::Error
            && e.summary
                == "charge_card failed: __main__.Declined: card 9995 declined (insufficient funds)"
            && e.data.value()["stacktrace"]
                .as_str()
                .is_some_and(|s| s.contains("in charge_card"))
    }));
    assert!(
        evs.iter()
            .any(|e| e.kind == EventKind::Retry && e.summary.contains("call_charge_1"))
    );

    // Differential: every tool span the agent ended is a tool call at its
    // start time, with its tool and arguments; every exception an error.
    let mut spans = 0;
    for line in recorded.lines() {
        let s: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = cordon::source::otlp::map::span_key(
            &hex::decode(s["trace_id"].as_str().unwrap()).unwrap(),
            &hex::decode(s["span_id"].as_str().unwrap()).unwrap(),
        );
        let start = chrono::DateTime::from_timestamp_nanos(s["start"].as_i64().unwrap());
        let a = &s["attributes"];
        if a["gen_ai.operation.name"] == "execute_tool" {
            spans += 1;
            let e = evs
                .iter()
                .find(|e| e.id == id)
                .unwrap_or_else(|| panic!("no event for tool span {id}"));
            assert_eq!(e.kind, EventKind::ToolCall);
            assert_eq!(e.at, start);
            assert_eq!(e.tool.as_deref(), a["gen_ai.tool.name"].as_str());
            let args: serde_json::Value =
                serde_json::from_str(a["gen_ai.tool.call.arguments"].as_str().unwrap()).unwrap();
            assert_eq!(e.data.value()["args"], args);
        }
        for (i, x) in s["exceptions"].as_array().unwrap().iter().enumerate() {
            let suffix = if i == 0 {
                ".e".to_string()
            } else {
                format!(".e{i}")
            };
            let e = evs
                .iter()
                .find(|e| e.id == format!("{id}{suffix}"))
                .unwrap_or_else(|| panic!("no error for the exception on {id}"));
            assert_eq!(e.kind, EventKind::Error);
            assert!(
                e.summary.contains(x["exception.message"].as_str().unwrap()),
                "{}",
                e.summary
            );
        }
    }
    assert_eq!(spans, 5, "lookup, send_email, charge twice, lookup_ticket");
}

async fn genai_over(protocol: &str) -> Option<(App, Vec<Record>, String)> {
    let py = peers::require("python")?;
    let mut src = receiver(if protocol == "grpc" { "?grpc=0" } else { "" });
    let endpoint = match protocol {
        "grpc" => src.grpc_addr().unwrap().to_string(),
        _ => format!("http://{}", src.http_addr()),
    };
    let tmp = tempfile::tempdir().unwrap();
    let rec = tmp.path().join("spans.jsonl");
    run_agent(
        &py,
        "agent.py",
        &[
            endpoint,
            "--protocol".into(),
            protocol.into(),
            "--record".into(),
            rec.display().to_string(),
        ],
    )
    .await;
    let mut app = app();
    let records = follow(&mut src, &mut app, |a| {
        ended(a, "conv-refund-1") && ended(a, "conv-triage-1")
    })
    .await;
    let recorded = std::fs::read_to_string(&rec).unwrap();
    Some((app, records, recorded))
}

#[tokio::test]
async fn the_python_sdk_over_otlp_http_protobuf_is_journaled_and_shown() {
    let Some((mut app, records, recorded)) = genai_over("http").await else {
        return;
    };
    check_genai_runs(&app, &records, &recorded);
    assert!(records.iter().any(|r| matches!(r, Record::Run { run } if run.agent == "refund-agent" && run.state == RunState::Failed)));
    // On screen: both agents in the Runs pane, the email in the timeline,
    // flagged as leaving the system.
    let screen = common::screen(&mut app, 160, 48);
    for want in [
        "refund-agent",
        "triage-agent",
        "failed",
        "send_email",
        "OUT",
    ] {
        assert!(screen.contains(want), "{want} not on screen:\n{screen}");
    }
}

#[tokio::test]
async fn the_python_sdk_over_otlp_http_json() {
    let Some((app, records, recorded)) = genai_over("json").await else {
        return;
    };
    check_genai_runs(&app, &records, &recorded);
}

#[tokio::test]
async fn the_python_sdk_over_otlp_grpc() {
    let Some((app, records, recorded)) = genai_over("grpc").await else {
        return;
    };
    check_genai_runs(&app, &records, &recorded);
}

#[tokio::test]
async fn a_langchain_agent_traced_by_openinference() {
    let Some(py) = peers::require("python") else {
        return;
    };
    let mut src = receiver("");
    run_agent(
        &py,
        "openinference_agent.py",
        &[format!("http://{}", src.http_addr())],
    )
    .await;
    let mut app = app();
    let records = follow(&mut src, &mut app, |a| ended(a, "oi-session-1")).await;
    let r = run(&app, "oi-session-1").unwrap();
    assert_eq!(r.agent, "support_agent");
    assert_eq!(r.agent_class, "lc-support");
    assert_eq!(r.state, RunState::Succeeded);
    assert_eq!(r.assignment, "Tell customers about the outage credit");
    let evs = events(&records);
    let call = evs
        .iter()
        .find(|e| e.kind == EventKind::ToolCall)
        .expect("the tool call");
    assert_eq!(call.tool.as_deref(), Some("send_email"));
    assert!(call.outbound);
    assert_eq!(call.target.as_deref(), Some("all-customers@example.com"));
    assert!(evs.iter().any(|e| e.kind == EventKind::ToolResult
        && e.summary == "send_email → sent to all-customers@example.com"));
    let said: Vec<&str> = evs
        .iter()
        .filter(|e| e.kind == EventKind::ModelOutput)
        .map(|e| e.summary.as_str())
        .collect();
    assert_eq!(said, ["I emailed every customer about the credit."]);
}

/// A Temporal workflow whose activities are traced as GenAI tool calls
/// carrying the workflow id: with `link=tm:temporalWorkflowID` the spans
/// show on Temporal's run (one run, not two), `x` on it proposes the stop
/// to Temporal, and that stop is confirmed by Temporal's own state.
#[tokio::test]
async fn a_temporal_workflow_traced_with_opentelemetry_is_one_run_stopped_on_temporal() {
    use cordon::model::{ActionKind, Target};
    use tokio::io::AsyncBufReadExt;
    let Some(py) = peers::require("python") else {
        return;
    };
    let Some(tp) = peers::temporal(None).await else {
        return;
    };
    let spec: cordon::source::SourceSpec =
        format!("tm=temporal:{}", tp.server.url).parse().unwrap();
    let (mut tm, actor) =
        cordon::source::build_pair(&spec, cordon::source::http::client()).unwrap();
    let mut otel = receiver("?link=tm:temporalWorkflowID");
    let wf = "refund-wf-otel-1";
    let mut agent = tokio::process::Command::new(&py)
        .arg(script("temporal_agent.py"))
        .args([&tp.grpc, &format!("http://{}", otel.http_addr()), wf])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(agent.stdout.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(90), async {
        while let Some(l) = lines.next_line().await.unwrap() {
            if l.contains("workflow waiting") {
                return;
            }
        }
        panic!("the agent ended before its workflow waited");
    })
    .await
    .expect("the workflow reaches its wait");
    let mut app = App::new(chrono::Utc::now(), "INC-TM", "/tmp/inc", common::operator());
    app.add_source("tm", "temporal", &tp.server.url);
    app.add_source("otel", "otlp", "http://127.0.0.1:4318");
    let deadline = Instant::now() + Duration::from_secs(60);
    let on_run = |app: &App| -> Vec<String> {
        app.store
            .resolve_run("tm", wf)
            .map(|ri| {
                app.store
                    .events_of_run(ri)
                    .iter()
                    .map(|&i| app.store.events[i as usize].event.summary.to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    loop {
        let now = chrono::Utc::now();
        if let Ok(b) = tm.poll().await {
            app.update(common::polled("tm", b, now));
        }
        app.update(common::polled("otel", otel.take(now), now));
        if on_run(&app)
            .iter()
            .any(|s| s.starts_with("[otel] send_email("))
        {
            break;
        }
        assert!(Instant::now() < deadline, "{:?}", on_run(&app));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Temporal keys a run `{workflow id}@{run id}`; the spans name only
    // the workflow id and are filed under its latest execution.
    assert_eq!(app.store.runs.len(), 1, "one run: Temporal's");
    assert!(app.store.runs[0].id.starts_with(&format!("{wf}@")));
    let evs = on_run(&app);
    assert!(
        evs.iter().any(|s| s.starts_with("[otel] lookup_customer(")),
        "{evs:?}"
    );
    let row = app
        .runs
        .rows
        .iter()
        .position(|&r| Some(r) == app.store.resolve_run("tm", wf))
        .unwrap();
    app.runs.sel = row;
    let fx = app.update(common::ch('x'));
    assert!(
        fx.iter()
            .any(|f| matches!(f, cordon::app::Effect::Preview { source, .. } if source == "tm")),
        "{fx:?}"
    );
    let msgs = peers::act(
        actor,
        ActionKind::StopRun,
        Target {
            run_id: Some(wf.into()),
            ..Target::default()
        },
    )
    .await;
    assert!(peers::confirmed(&msgs).is_some(), "{msgs:?}");
    drop(agent);
}
