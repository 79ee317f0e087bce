//! Real peers for integration tests: started on free loopback ports from
//! the project's own install (scripts/install-peers.sh → .peers/), waited
//! for, and stopped on drop. Absent peers skip with a clear message, unless
//! CORDON_REQUIRE_PEERS is set (CI), where absence is a failure.
//!
//! A test binary shares one server of each kind ([`shared_langgraph`],
//! [`shared_temporal`]): started by the first test that asks, held by a
//! thread that lives as long as the binary, and killed with it (the
//! children ask the kernel for SIGTERM when that thread goes).
#![allow(dead_code)]

pub mod console;
pub mod drill;
pub mod proxy;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn peers_bin(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("CORDON_PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".peers"));
    let p = dir.join("venv/bin").join(name);
    p.exists().then_some(p)
}

/// The peer's binary, or None after saying why (a failure under CI).
pub fn require(name: &str) -> Option<PathBuf> {
    match peers_bin(name) {
        Some(p) => Some(p),
        None => {
            let msg = format!(
                "SKIP: {name} is not installed; run scripts/install-peers.sh (CI sets CORDON_REQUIRE_PEERS=1)"
            );
            if std::env::var_os("CORDON_REQUIRE_PEERS").is_some() {
                panic!("{msg}");
            }
            eprintln!("{msg}");
            None
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Peer {
    child: Child,
    pub url: String,
    pub port: u16,
}

impl Drop for Peer {
    fn drop(&mut self) {
        // The server's process group: it may have spawned workers.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

fn spawn(mut cmd: Command, log: &str) -> Child {
    use std::os::unix::process::CommandExt;
    let out = std::fs::File::create(log).unwrap();
    cmd.stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out))
        .stdin(Stdio::null())
        .process_group(0);
    // Dies with the thread that started it: a shared peer is never left
    // behind by a test binary that ended (or was killed).
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    cmd.spawn().expect("peer starts")
}

/// A server shared by the tests of one binary.
#[derive(Debug, Clone)]
pub struct SharedPeer {
    /// LangGraph: the API; Temporal: the HTTP API.
    pub url: String,
    /// Temporal: the gRPC address (for SDK clients).
    pub grpc: String,
}

/// Start `make` once, on a thread that outlives every test (so the peer's
/// PDEATHSIG does not fire when one test's thread ends), and hand out its
/// address.
/// What starts a shared peer: its address, and the processes to hold.
type Starter = fn() -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Option<(SharedPeer, Vec<Peer>)>> + Send>,
>;

fn shared(
    cell: &'static std::sync::OnceLock<Option<SharedPeer>>,
    make: Starter,
) -> Option<SharedPeer> {
    cell.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let got = rt.block_on(make());
            match got {
                Some((p, held)) => {
                    let _ = tx.send(Some(p));
                    // Hold the children for the binary's whole life.
                    let _held = held;
                    loop {
                        std::thread::park();
                    }
                }
                None => {
                    let _ = tx.send(None);
                }
            }
        });
        rx.recv().ok().flatten()
    })
    .clone()
}

/// The binary's LangGraph server (8 concurrent runs).
pub fn shared_langgraph() -> Option<SharedPeer> {
    static CELL: std::sync::OnceLock<Option<SharedPeer>> = std::sync::OnceLock::new();
    shared(&CELL, || {
        Box::pin(async {
            let p = langgraph_with(&["--n-jobs-per-worker", "8"]).await?;
            Some((
                SharedPeer {
                    url: p.url.clone(),
                    grpc: String::new(),
                },
                vec![p],
            ))
        })
    })
}

/// The binary's Temporal dev server, with a worker on queue `agents` (and
/// the drill worker on [`DRILL_QUEUE`]), a second namespace `billing` and a
/// search attribute `AgentName`. Workflow pause is off, as the dev
/// server has it by default.
pub fn shared_temporal() -> Option<SharedPeer> {
    static CELL: std::sync::OnceLock<Option<SharedPeer>> = std::sync::OnceLock::new();
    shared(&CELL, || {
        Box::pin(shared_temporal_with(&[
            "--namespace",
            "billing",
            "--search-attribute",
            "AgentName=Keyword",
        ]))
    })
}

/// The binary's Temporal dev server with workflow pause enabled (the
/// dynamic config `frontend.WorkflowPauseEnabled`), and the same workers.
pub fn shared_temporal_with_pause() -> Option<SharedPeer> {
    static CELL: std::sync::OnceLock<Option<SharedPeer>> = std::sync::OnceLock::new();
    shared(&CELL, || {
        Box::pin(shared_temporal_with(&[
            "--dynamic-config-value",
            "frontend.WorkflowPauseEnabled=true",
        ]))
    })
}

async fn shared_temporal_with(extra: &'static [&'static str]) -> Option<(SharedPeer, Vec<Peer>)> {
    let t = temporal_with(Some("agents"), extra).await?;
    let shared = SharedPeer {
        url: t.server.url.clone(),
        grpc: t.grpc.clone(),
    };
    let mut held = vec![t.server];
    held.extend(t.worker);
    Some((shared, held))
}

/// The task queue the harness's drill worker polls: it runs `DrillCanary`
/// (peers/temporal/worker.py), the harmless canary `cordon drill` starts.
pub const DRILL_QUEUE: &str = "drill";

/// Poll until `ok` or the deadline (the peer is another process).
pub async fn wait_until<F, Fut>(what: &str, secs: u64, mut ok: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !ok().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `langgraph dev` with the project's LLM-free graph.
pub async fn langgraph() -> Option<Peer> {
    langgraph_with(&[]).await
}

async fn langgraph_with(extra: &[&str]) -> Option<Peer> {
    let bin = require("langgraph")?;
    let port = free_port();
    // A fresh copy of the app per server: `langgraph dev` keeps its
    // in-memory state on disk next to the app (`.langgraph_api`), and tests
    // start clean. A port comes round again: an earlier server's directory
    // with its runs still pending would be loaded, and its one background
    // worker would run those first (seen: a 60 s run from an hour before
    // kept a new test's run pending until it timed out).
    let app = std::env::temp_dir().join(format!("cordon-lg-app-{port}"));
    let _ = std::fs::remove_dir_all(&app);
    std::fs::create_dir_all(&app).unwrap();
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/langgraph");
    for f in ["agent.py", "agents.py", "drill.py", "langgraph.json"] {
        std::fs::copy(src.join(f), app.join(f)).unwrap();
    }
    let mut cmd = Command::new(bin);
    cmd.args([
        "dev",
        "--no-browser",
        "--no-reload",
        "--port",
        &port.to_string(),
        "--config",
        "langgraph.json",
    ])
    .args(extra)
    .current_dir(&app)
    .env("LANGGRAPH_CLI_NO_ANALYTICS", "1")
    .env("LANGSMITH_TRACING", "false");
    let log = std::env::temp_dir().join(format!("cordon-langgraph-{port}.log"));
    let child = spawn(cmd, log.to_str().unwrap());
    let peer = Peer {
        child,
        url: format!("http://127.0.0.1:{port}"),
        port,
    };
    let client = cordon::source::http::client();
    let url = format!("{}/ok", peer.url);
    wait_until("langgraph dev to answer /ok", 90, || {
        let (c, u) = (client.clone(), url.clone());
        async move { c.get(u).send().await.is_ok_and(|r| r.status().is_success()) }
    })
    .await;
    Some(peer)
}

/// `temporal server start-dev` on free ports; `url` is the HTTP API.
pub struct TemporalPeer {
    pub server: Peer,
    pub grpc: String,
    worker: Option<Peer>,
}

pub async fn temporal(with_worker_queue: Option<&str>) -> Option<TemporalPeer> {
    temporal_with(with_worker_queue, &[]).await
}

async fn temporal_with(with_worker_queue: Option<&str>, extra: &[&str]) -> Option<TemporalPeer> {
    let bin = require("temporal")?;
    let (grpc, http) = (free_port(), free_port());
    let mut cmd = Command::new(bin);
    cmd.args([
        "server",
        "start-dev",
        "--headless",
        "--ip",
        "127.0.0.1",
        "--port",
        &grpc.to_string(),
        "--http-port",
        &http.to_string(),
        "--ui-port",
        &free_port().to_string(),
        "--metrics-port",
        &free_port().to_string(),
        "--log-level",
        "error",
    ])
    .args(extra);
    let log = std::env::temp_dir().join(format!("cordon-temporal-{http}.log"));
    let child = spawn(cmd, log.to_str().unwrap());
    let server = Peer {
        child,
        url: format!("http://127.0.0.1:{http}"),
        port: http,
    };
    let client = cordon::source::http::client();
    let ns = format!("{}/api/v1/namespaces/default", server.url);
    wait_until("temporal dev server to answer", 90, || {
        let (c, u) = (client.clone(), ns.clone());
        async move { c.get(u).send().await.is_ok_and(|r| r.status().is_success()) }
    })
    .await;
    let grpc_addr = format!("127.0.0.1:{grpc}");
    let worker = match with_worker_queue {
        Some(q) => {
            let py = require("python")?;
            let mut cmd = Command::new(py);
            cmd.arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/temporal/worker.py"))
                .args([&grpc_addr, q, DRILL_QUEUE]);
            let wlog = std::env::temp_dir().join(format!("cordon-temporal-worker-{http}.log"));
            let child = spawn(cmd, wlog.to_str().unwrap());
            let wl = wlog.clone();
            wait_until("the temporal worker", 60, || {
                let wl = wl.clone();
                async move { std::fs::read_to_string(&wl).is_ok_and(|s| s.contains("worker ready")) }
            })
            .await;
            Some(Peer {
                child,
                url: String::new(),
                port: 0,
            })
        }
        None => None,
    };
    Some(TemporalPeer {
        server,
        grpc: grpc_addr,
        worker,
    })
}

/// Run one action through the real executor and collect its reports.
pub async fn act(
    actor: std::sync::Arc<dyn cordon::source::Actor>,
    kind: cordon::model::ActionKind,
    target: cordon::model::Target,
) -> Vec<cordon::contain::ActionMsg> {
    let req = cordon::model::ActionRequest {
        id: "A1-peer".into(),
        // A label only: the executor acts through `actor`.
        source: "peer".into(),
        kind,
        target,
        reason: "INC-1: test".into(),
        key: uuid::Uuid::new_v4().to_string(),
        actor: "test@local".into(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let policy = cordon::contain::Policy {
        verify_timeout: Duration::from_secs(20),
        ..cordon::contain::Policy::default()
    };
    cordon::contain::execute(actor, req, None, None, tx, policy).await;
    let mut out = Vec::new();
    while let Ok((m, _)) = rx.try_recv() {
        out.push(m);
    }
    out
}

/// The confirmation detail, if the action was confirmed.
pub fn confirmed(msgs: &[cordon::contain::ActionMsg]) -> Option<String> {
    msgs.iter().find_map(|m| match m {
        cordon::contain::ActionMsg::Verified {
            outcome: cordon::model::ActionPhase::Confirmed,
            detail,
            ..
        } => Some(detail.clone()),
        _ => None,
    })
}

/// A thread (workflow `refund-followups`) and a run of the test graph on it
/// that sleeps `sleep` s per step for `loops` steps; (thread id, run id).
pub async fn start_run(base: &str, sleep: f64, loops: u32) -> (String, String) {
    start_run_after(base, sleep, loops, 0).await
}

/// [`start_run`], the run held pending by the server for `after` seconds
/// first (LangGraph's `after_seconds`) when `after` > 0.
pub async fn start_run_after(base: &str, sleep: f64, loops: u32, after: u32) -> (String, String) {
    let t = post_json(
        &format!("{base}/threads"),
        serde_json::json!({"metadata": {"workflow": "refund-followups"}}),
    )
    .await;
    let tid = t["thread_id"].as_str().unwrap().to_string();
    let mut body = serde_json::json!({"assistant_id": "support_agent", "input": {"sleep": sleep, "loops": loops}});
    if after > 0 {
        body["after_seconds"] = after.into();
    }
    let r = post_json(&format!("{base}/threads/{tid}/runs"), body).await;
    (tid, r["run_id"].as_str().unwrap().to_string())
}

/// Another run on thread `tid`, queued behind the one running there
/// (`multitask_strategy: enqueue`); its id.
pub async fn enqueue_run(base: &str, tid: &str) -> String {
    let body = serde_json::json!({"assistant_id": "support_agent",
        "input": {"sleep": 1.0, "loops": 20}, "multitask_strategy": "enqueue"});
    let r = post_json(&format!("{base}/threads/{tid}/runs"), body).await;
    r["run_id"].as_str().unwrap().to_string()
}

async fn post_json(url: &str, body: serde_json::Value) -> serde_json::Value {
    cordon::source::http::client()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A source's poller and actor from its spec.
pub fn pair(
    spec: &str,
) -> (
    Box<dyn cordon::source::Source>,
    std::sync::Arc<dyn cordon::source::Actor>,
) {
    let spec: cordon::source::SourceSpec = spec.parse().unwrap();
    cordon::source::build_pair(&spec, cordon::source::http::client()).unwrap()
}

/// A LangGraph run's status as the server says it (`None`: not found).
pub async fn lg_status(base: &str, tid: &str, rid: &str) -> Option<String> {
    let r = cordon::source::http::client()
        .get(format!("{base}/threads/{tid}/runs/{rid}"))
        .send()
        .await
        .unwrap();
    if r.status() == 404 {
        return None;
    }
    let v: serde_json::Value = r.json().await.unwrap();
    v["status"].as_str().map(String::from)
}

/// Wait until a LangGraph run's status is `want`.
pub async fn lg_wait_status(base: &str, tid: &str, rid: &str, want: &str) {
    let (b, t, r, w) = (
        base.to_string(),
        tid.to_string(),
        rid.to_string(),
        want.to_string(),
    );
    wait_until(&format!("run {rid} {want}"), 60, || {
        let (b, t, r, w) = (b.clone(), t.clone(), r.clone(), w.clone());
        async move { lg_status(&b, &t, &r).await.as_deref() == Some(w.as_str()) }
    })
    .await;
}

/// POST JSON, the answer as JSON (panics on transport errors: the peer is
/// local).
pub async fn post(url: &str, body: serde_json::Value) -> serde_json::Value {
    let r = cordon::source::http::client()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.is_success(), "POST {url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

pub async fn get(url: &str) -> Option<serde_json::Value> {
    let r = cordon::source::http::client().get(url).send().await.ok()?;
    if !r.status().is_success() {
        return None;
    }
    r.json().await.ok()
}

/// LangGraph: a new thread in `workflow`.
pub async fn lg_thread(base: &str, workflow: &str) -> String {
    let t = post(
        &format!("{base}/threads"),
        serde_json::json!({"metadata": {"workflow": workflow}}),
    )
    .await;
    t["thread_id"].as_str().unwrap().to_string()
}

/// LangGraph: a run of `assistant` on a thread with this body (input,
/// command, …); its id.
pub async fn lg_run(base: &str, tid: &str, assistant: &str, mut body: serde_json::Value) -> String {
    body["assistant_id"] = assistant.into();
    let r = post(&format!("{base}/threads/{tid}/runs"), body).await;
    r["run_id"].as_str().unwrap().to_string()
}

/// The input of the scripted ReAct agent: one step per inner list.
pub fn react_input(plan: serde_json::Value, sleep: f64) -> serde_json::Value {
    let script = serde_json::json!({"plan": plan, "sleep": sleep, "final": "done"});
    serde_json::json!({"input": {"messages": [{"type": "human", "content": script.to_string()}]}})
}

/// Wait until the run's status is one of `want`.
pub async fn lg_wait(base: &str, tid: &str, rid: &str, want: &[&str]) {
    let (b, t, r) = (base.to_string(), tid.to_string(), rid.to_string());
    let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    wait_until(&format!("run {rid} {want:?}"), 90, || {
        let (b, t, r, w) = (b.clone(), t.clone(), r.clone(), want.clone());
        async move { lg_status(&b, &t, &r).await.is_some_and(|s| w.contains(&s)) }
    })
    .await;
}

/// A thread's whole history as the platform holds it, with its
/// subgraphs' (read directly, not through cordon).
pub async fn lg_history(base: &str, tid: &str) -> Vec<serde_json::Value> {
    let mut out: Vec<serde_json::Value> = Vec::new();
    let mut ns_queue = vec![String::new()];
    let mut done = std::collections::HashSet::new();
    while let Some(ns) = ns_queue.pop() {
        if !done.insert(ns.clone()) {
            continue;
        }
        let mut body = serde_json::json!({"limit": 1000});
        if !ns.is_empty() {
            body["checkpoint"] = serde_json::json!({"checkpoint_ns": ns});
        }
        let h = post(&format!("{base}/threads/{tid}/history"), body).await;
        for cp in h.as_array().cloned().unwrap_or_default() {
            for t in cp["tasks"].as_array().cloned().unwrap_or_default() {
                if let Some(n) = t["checkpoint"]["checkpoint_ns"]
                    .as_str()
                    .filter(|n| !n.is_empty())
                {
                    ns_queue.push(n.to_string());
                }
            }
            out.push(cp);
        }
    }
    out
}

/// Temporal: start a workflow over the HTTP API; its run id.
pub async fn tm_start(api: &str, id: &str, wtype: &str, input: serde_json::Value) -> String {
    let r = post(
        &format!("{api}/workflows/{id}"),
        serde_json::json!({"workflowType": {"name": wtype}, "taskQueue": {"name": "agents"},
            "input": input, "identity": "ops-lead@laptop"}),
    )
    .await;
    r["runId"].as_str().unwrap_or_default().to_string()
}

/// Temporal: an execution's status (`WORKFLOW_EXECUTION_STATUS_…`).
pub async fn tm_status(api: &str, id: &str, run: &str) -> String {
    get(&format!("{api}/workflows/{id}?execution.runId={run}"))
        .await
        .and_then(|v| {
            v.pointer("/workflowExecutionInfo/status")
                .and_then(|s| s.as_str())
                .map(String::from)
        })
        .unwrap_or_default()
}

/// Wait until the execution is closed (any status but running).
pub async fn tm_wait_closed(api: &str, id: &str, run: &str) {
    let (a, i, r) = (api.to_string(), id.to_string(), run.to_string());
    wait_until(&format!("{id} to close"), 120, || {
        let (a, i, r) = (a.clone(), i.clone(), r.clone());
        async move {
            let s = tm_status(&a, &i, &r).await;
            !s.is_empty() && !s.ends_with("RUNNING")
        }
    })
    .await;
}

/// Temporal: an execution's whole history (read directly).
pub async fn tm_history(api: &str, id: &str, run: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let mut url =
            format!("{api}/workflows/{id}/history?execution.runId={run}&maximumPageSize=500");
        if !token.is_empty() {
            url.push_str(&format!(
                "&nextPageToken={}",
                cordon::source::http::urlencode(&token)
            ));
        }
        let v = get(&url).await.unwrap_or_default();
        out.extend(
            v.pointer("/history/events")
                .and_then(|e| e.as_array())
                .cloned()
                .unwrap_or_default(),
        );
        match v["nextPageToken"].as_str().filter(|t| !t.is_empty()) {
            Some(t) if t != token => token = t.to_string(),
            _ => break,
        }
    }
    out
}

/// A run as the console holds it.
pub fn run_of<'a>(
    app: &'a cordon::app::App,
    source: &str,
    id: &str,
) -> Option<&'a cordon::model::Run> {
    app.store.run_idx(source, id).map(|i| &app.store.runs[i])
}

/// A run's events as the console holds them, in arrival order.
pub fn events_of<'a>(
    app: &'a cordon::app::App,
    source: &str,
    run: &str,
) -> Vec<&'a cordon::model::Event> {
    app.store
        .run_idx(source, run)
        .map(|ri| {
            app.store
                .events_of_run(ri)
                .iter()
                .map(|&e| &app.store.events[e as usize].event)
                .collect()
        })
        .unwrap_or_default()
}
