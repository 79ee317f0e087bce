//! Real peers for integration tests: started on free loopback ports from
//! the project's own install (scripts/install-peers.sh → .peers/), waited
//! for, and stopped on drop. Absent peers skip with a clear message, unless
//! CORDON_REQUIRE_PEERS is set (CI), where absence is a failure.
#![allow(dead_code)]

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
    cmd.spawn().expect("peer starts")
}

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
    for f in ["agent.py", "langgraph.json"] {
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
    ]);
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
                .args([&grpc_addr, q]);
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
        source: actor.name().to_string(),
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
    cordon::contain::execute(actor, req, None, tx, policy).await;
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
