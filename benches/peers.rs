//! Side by side with the tools a user would otherwise reach for, on the
//! real peers (scripts/install-peers.sh), measured in the same run:
//!   * stop 200 runs on a LangGraph Agent Server until all are confirmed:
//!     cordon's containment path (the executor's `contain::execute`, 16 at
//!     a time, each verified by a fresh read) vs a Python `langgraph-sdk`
//!     script cancelling them one by one, then reading each back until it
//!     is no longer pending or running;
//!   * list 1,000 running workflows on a Temporal dev server:
//!     `cordon runs --json` vs `temporal workflow list -o json`;
//!   * a streamed event on LangGraph → in the console: from the platform's
//!     own timestamp of a step to the console having applied it and drawn
//!     the frame, with the poll interval at 30 s so only the stream brings
//!     steps in.
//!
//! Run: cargo bench --bench peers   (skips, saying so, without the peers;
//! under `cargo test` it does nothing)

#[path = "../tests/peers/mod.rs"]
mod peers;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon::model::{ActionKind, ActionRequest, Target};
use cordon::source::{self, SourceSpec};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_cordon");

async fn start_runs(base: &str, n: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(peers::start_run(base, 0.5, 100).await);
    }
    out
}

async fn langgraph(n: usize) {
    let Some(peer) = peers::langgraph().await else {
        println!("SKIP langgraph: run scripts/install-peers.sh");
        return;
    };
    let base = peer.url.clone();
    // Both sets are started together (interleaved), so they are alike; the
    // SDK goes first, so cordon's set has had longer to get running, which
    // only makes its stops slower (a running run stops at its next step).
    let all = start_runs(&base, 2 * n).await;
    let (runs, mine): (Vec<_>, Vec<_>) =
        all.chunks(2).map(|p| (p[0].clone(), p[1].clone())).unzip();
    // 1. The Python SDK, one by one.
    let script = format!(
        r#"
import asyncio, json, sys
from langgraph_sdk import get_client
async def main():
    c = get_client(url="{base}")
    runs = json.load(sys.stdin)
    for tid, rid in runs:
        await c.runs.cancel(tid, rid)
    # Confirmed as cordon confirms: a fresh read shows the run stopped.
    for tid, rid in runs:
        while (await c.runs.get(tid, rid))["status"] in ("pending", "running"):
            await asyncio.sleep(0.1)
asyncio.run(main())
"#
    );
    let py = peers::require("python").unwrap();
    let t0 = Instant::now();
    let mut child = Command::new(py)
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(serde_json::to_string(&runs).unwrap().as_bytes())
            .unwrap();
    }
    assert!(child.wait().unwrap().success(), "the SDK script failed");
    let sdk = t0.elapsed();

    // 2. cordon, through the same path as the console's marked-runs stop.
    let runs = mine;
    let spec: SourceSpec = format!("lg=langgraph:{base}").parse().unwrap();
    // As in the console: the poller's first poll tells the actor which
    // thread each run is on; the clock starts after it, as the commander's
    // key comes after the runs are on screen.
    let (mut src, actor) = source::build_pair(&spec, source::http::client()).unwrap();
    let seen = src.poll().await.unwrap().runs.len();
    assert!(seen >= n, "the poll saw {seen} runs");
    let pool = Arc::new(tokio::sync::Semaphore::new(16));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (i, (_, rid)) in runs.iter().enumerate() {
        let (actor, pool, rid) = (actor.clone(), pool.clone(), rid.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = pool.acquire().await.unwrap();
            let req = ActionRequest {
                id: format!("A{i}"),
                source: "lg".into(),
                kind: ActionKind::StopRun,
                target: Target {
                    run_id: Some(rid),
                    ..Target::default()
                },
                reason: "bench".into(),
                key: uuid::Uuid::new_v4().to_string(),
                actor: "bench@local".into(),
            };
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            cordon::contain::execute(
                actor,
                req,
                None,
                None,
                tx,
                cordon::contain::Policy::default(),
            )
            .await;
            let mut ok = false;
            while let Ok((m, _)) = rx.try_recv() {
                ok |= matches!(
                    m,
                    cordon::contain::ActionMsg::Verified {
                        outcome: cordon::model::ActionPhase::Confirmed,
                        ..
                    }
                );
            }
            ok
        }));
    }
    let mut confirmed = 0;
    for t in tasks {
        confirmed += t.await.unwrap() as usize;
    }
    let ours = t0.elapsed();
    println!(
        "stop {n} LangGraph runs until confirmed: cordon {:.2} s ({confirmed} confirmed) vs Python langgraph-sdk one by one {:.2} s → ratio {:.2}",
        ours.as_secs_f64(),
        sdk.as_secs_f64(),
        ours.as_secs_f64() / sdk.as_secs_f64()
    );
}

async fn temporal(n: usize) {
    let Some(tp) = peers::temporal(None).await else {
        println!("SKIP temporal: run scripts/install-peers.sh");
        return;
    };
    let base = tp.server.url.clone();
    // n workflows with no worker on their queue: they stay Running.
    let c = source::http::client();
    let sem = Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = Vec::new();
    for i in 0..n {
        let (c, base, sem) = (c.clone(), base.clone(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _p = sem.acquire().await.unwrap();
            let r = c
                .post(format!("{base}/api/v1/namespaces/default/workflows/bench-{i:05}"))
                .json(&json!({"workflowType": {"name": "BenchWorkflow"}, "taskQueue": {"name": "nobody-listens"}}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "start {i}: {}", r.status());
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let temporal = peers::require("temporal").unwrap();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut n_ours, mut n_theirs) = (0, 0);
    for _ in 0..5 {
        let t0 = Instant::now();
        let o = Command::new(&temporal)
            .args([
                "workflow",
                "list",
                "--address",
                &tp.grpc,
                "--query",
                "ExecutionStatus='Running'",
                "-o",
                "json",
            ])
            .output()
            .unwrap();
        theirs.push(t0.elapsed().as_secs_f64());
        n_theirs = serde_json::from_slice::<Value>(&o.stdout)
            .ok()
            .and_then(|v| v.as_array().map(Vec::len))
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .filter(|l| l.contains("\"workflowId\"") || l.contains("\"execution\""))
                    .count()
            });
        let t0 = Instant::now();
        let o = Command::new(BIN)
            .args([
                "runs",
                "--json",
                "--source",
                &format!("tm=temporal:{base}?namespace=default"),
            ])
            .output()
            .unwrap();
        ours.push(t0.elapsed().as_secs_f64());
        n_ours = serde_json::from_slice::<Value>(&o.stdout)
            .ok()
            .and_then(|v| v.as_array().map(Vec::len))
            .unwrap_or(0);
    }
    ours.sort_by(f64::total_cmp);
    theirs.sort_by(f64::total_cmp);
    println!(
        "list {n} running Temporal workflows: cordon runs --json {:.3}/{:.3}/{:.3} s ({n_ours} runs) vs temporal workflow list {:.3}/{:.3}/{:.3} s ({n_theirs}) (min/median/max of 5) → median ratio {:.2}",
        ours[0],
        ours[2],
        ours[4],
        theirs[0],
        theirs[2],
        theirs[4],
        ours[2] / theirs[2]
    );
    let _ = Duration::ZERO;
}

/// A run steps every 0.3 s on the real server; the console's poller
/// (the `langgraph` source and `poll_loop`, as the binary runs them)
/// follows its SSE stream. For each step that arrives after the first
/// poll: platform timestamp (`at`: the checkpoint's `created_at`, same
/// host clock) → `App::update` applied it and a 160x48 frame was drawn
/// (into a sink; the terminal bench measures the write itself).
async fn langgraph_stream(n: usize) {
    use cordon::app::{App, Msg};
    use cordon::source::SourceMsg;
    let Some(peer) = peers::langgraph().await else {
        println!("SKIP langgraph stream: run scripts/install-peers.sh");
        return;
    };
    let base = peer.url.clone();
    let _run = peers::start_run(&base, 0.3, 40).await;
    let spec: SourceSpec = format!("lg=langgraph:{base}").parse().unwrap();
    let src = source::build(&spec, source::http::client()).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(source::poll_loop(src, Duration::from_secs(30), tx));
    let tmp = tempfile::tempdir().unwrap();
    let op = cordon::journal::Operator {
        user: "bench".into(),
        host: "bench".into(),
        ssh_client: None,
    };
    let mut app = App::new(
        chrono::Utc::now(),
        "INC-STREAM",
        &tmp.path().display().to_string(),
        op,
    );
    app.add_source("lg", "langgraph", &base);
    app.update(Msg::Resize(160, 48));
    let theme = cordon::ui::Theme::default();
    let mut term = ratatui::Terminal::with_options(
        ratatui::backend::CrosstermBackend::new(std::io::sink()),
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 160, 48)),
        },
    )
    .unwrap();
    let (mut lat, mut first) = (Vec::new(), true);
    let deadline = Instant::now() + Duration::from_secs(60);
    while lat.len() < n && Instant::now() < deadline {
        let Ok(Some(m)) = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await else {
            continue;
        };
        let fresh: Vec<_> = match &m {
            SourceMsg::Polled { batch, .. } => batch
                .events
                .iter()
                .filter(|e| !app.store.has_event("lg", &e.id))
                .map(|e| e.at)
                .collect(),
            _ => Vec::new(),
        };
        app.update(Msg::Source(Box::new(m), chrono::Utc::now()));
        term.draw(|f| cordon::ui::draw(&app, &theme, f)).unwrap();
        let shown = chrono::Utc::now();
        // The first poll reads the run's history so far: not streamed.
        if std::mem::take(&mut first) {
            continue;
        }
        lat.extend(
            fresh
                .into_iter()
                .map(|at| (shown - at).num_microseconds().unwrap_or(0) as f64 / 1e3),
        );
    }
    lat.sort_by(f64::total_cmp);
    if lat.is_empty() {
        println!("langgraph stream: no streamed events arrived");
        return;
    }
    println!(
        "streamed LangGraph step → applied and drawn (30 s poll, so the stream alone): n={} min {:.1} / median {:.1} / p90 {:.1} / max {:.1} ms",
        lat.len(),
        lat[0],
        lat[lat.len() / 2],
        lat[lat.len() * 9 / 10],
        lat[lat.len() - 1]
    );
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if std::env::var_os("PEERS_ONLY_STREAM").is_some() {
        langgraph_stream(60).await;
        return;
    }
    langgraph_stream(60).await;
    if std::env::var_os("PEERS_SKIP_TEMPORAL").is_none() {
        temporal(1_000).await;
    }
    langgraph(200).await;
}
