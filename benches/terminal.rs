//! The real binary under a pty (160x48), counting what it writes:
//!   start → first frame;  idle bytes and CPU over 10 s;
//!   bytes of the frame that shows a new event, and platform → screen
//!   latency, against a small ACA platform served here. Events are
//!   injected at phases spread evenly over the console's poll cycle (the
//!   cycle read off the platform's own request log), so the median wait
//!   for the next poll is sampled fairly.
//! Run: cargo bench --bench terminal   (a short smoke run under cargo test)

#[path = "common/pty.rs"]
mod pty;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use pty::{Console, stats};

/// A platform whose feed holds what the harness injected, when each
/// event was first handed to the console, and when the console polled.
#[derive(Clone, Default)]
struct Feed(
    Arc<Mutex<Vec<Value>>>,
    Arc<Mutex<Vec<Option<Instant>>>>,
    Arc<Mutex<Vec<Instant>>>,
);

impl Feed {
    fn polls(&self) -> Vec<Instant> {
        self.2.lock().unwrap().clone()
    }
}

async fn events(
    State(f): State<Feed>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Json<Value> {
    f.2.lock().unwrap().push(Instant::now());
    let after: usize = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let all = f.0.lock().unwrap();
    let mut served = f.1.lock().unwrap();
    served.resize(all.len(), None);
    for s in served.iter_mut().skip(after) {
        s.get_or_insert_with(Instant::now);
    }
    let page: Vec<Value> = all.iter().skip(after).cloned().collect();
    Json(json!({"events": page, "next_cursor": all.len().to_string()}))
}

async fn platform() -> (String, Feed) {
    let feed = Feed::default();
    let run = json!({"id": "run_1", "agent": "a", "agent_class": "support", "workflow": "wf", "state": "running",
                     "started_at": "2026-11-25T12:00:00Z", "updated_at": "2026-11-25T12:00:00Z"});
    let r1 = run.clone();
    let app = Router::new()
        .route(
            "/v1/info",
            get(|| async { Json(json!({"platform": "bench", "api_version": "1", "actions": []})) }),
        )
        .route(
            "/v1/runs",
            get(move || {
                let r = r1.clone();
                async move { Json(json!({"runs": [r], "next_cursor": null})) }
            }),
        )
        .route(
            "/v1/runs/{id}",
            get(move || {
                let r = run.clone();
                async move { Json(r) }
            }),
        )
        .route("/v1/controls", get(|| async { Json(json!({})) }))
        .route("/v1/events", get(events))
        .with_state(feed.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, feed)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::main]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let reps = if bench { 10 } else { 2 };
    let tmp = tempfile::tempdir().unwrap();

    // 1. Start to first frame (the demo: simulator + console).
    let mut starts = Vec::new();
    for i in 0..reps {
        let t0 = Instant::now();
        let c = Console::start(&["demo"], &tmp.path().join(format!("start-{i}")));
        let t = c.wait_for("Runs", 0);
        starts.push((t - t0).as_secs_f64() * 1e3);
    }
    stats("start → first frame (cordon demo)", "ms", starts);

    // 2. Idle: a platform where nothing changes.
    let (url, feed) = platform().await;
    let src = format!("p=aca:{url}");
    let c = Console::start(&["--source", &src, "--poll", "1"], &tmp.path().join("idle"));
    c.wait_for("p ok", 0);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_secs = if bench { 10 } else { 2 };
    let (b0, c0) = (c.bytes(), c.cpu_secs());
    tokio::time::sleep(Duration::from_secs(idle_secs)).await;
    let (b1, c1) = (c.bytes(), c.cpu_secs());
    println!(
        "idle {idle_secs} s (1 s poll, nothing new): {} bytes to the terminal ({:.0} B/s), CPU {:.2} s = {:.2} %",
        b1 - b0,
        (b1 - b0) as f64 / idle_secs as f64,
        c1 - c0,
        (c1 - c0) / idle_secs as f64 * 100.0
    );

    // 3. New events: latency platform → screen and bytes of that frame.
    let probes = if bench { 60 } else { 3 };
    let (mut lat, mut inside, mut frame_bytes) = (Vec::new(), Vec::new(), Vec::new());
    // The poll cycle as the platform sees it: the interval plus the poll's
    // own time (the next poll is scheduled when one ends).
    let gaps =
        |p: &[Instant]| -> Vec<f64> { p.windows(2).map(|w| (w[1] - w[0]).as_secs_f64()).collect() };
    let cycle = {
        let mut g = gaps(&feed.polls());
        g.sort_by(f64::total_cmp);
        g.get(g.len() / 2).copied().unwrap_or(1.0)
    };
    // Phases k/N (+ half a step) of the cycle, in a shuffled order so a
    // slow drift of the cycle does not line up with the phase.
    let mut phases: Vec<usize> = (0..probes).collect();
    fastrand::Rng::with_seed(3).shuffle(&mut phases);
    for (i, &k) in phases.iter().enumerate() {
        // Wait for a poll, then for the chosen phase after it.
        let n = feed.polls().len();
        while feed.polls().len() == n {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let polled = *feed.polls().last().unwrap();
        let phase = (k as f64 + 0.5) / probes as f64 * cycle;
        tokio::time::sleep_until((polled + Duration::from_secs_f64(phase)).into()).await;
        let from = c.chunks();
        let summary = format!("probe {i:03} arrived");
        let t0 = Instant::now();
        {
            let mut f = feed.0.lock().unwrap();
            let n = f.len();
            f.push(json!({"id": format!("e{n}"), "run_id": "run_1", "at": chrono::Utc::now().to_rfc3339(),
                          "kind": "tool_call", "tool": "crm.update", "summary": summary}));
        }
        let seen = tokio::task::block_in_place(|| c.wait_for(&summary, from));
        lat.push((seen - t0).as_secs_f64() * 1e3);
        let served = feed.1.lock().unwrap().last().copied().flatten().unwrap();
        inside.push((seen - served).as_secs_f64() * 1e3);
        // The frame that drew it: every byte from the synchronized-update
        // start of the chunk that showed it to that update's end.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let out = c.out.lock().unwrap();
        let i = out
            .iter()
            .skip(from)
            .position(|(_, _, t)| t.contains(&summary))
            .unwrap()
            + from;
        let mut start = i;
        while start > from && !contains(&out[start].1, b"\x1b[?2026h") {
            start -= 1;
        }
        let mut end = i;
        while end + 1 < out.len() && !contains(&out[end].1, b"\x1b[?2026l") {
            end += 1;
        }
        frame_bytes.push(
            out[start..=end]
                .iter()
                .map(|(_, b, _)| b.len())
                .sum::<usize>() as f64,
        );
    }
    let mut g = gaps(&feed.polls());
    g.sort_by(f64::total_cmp);
    println!(
        "poll cycle seen by the platform: median {:.1} ms (min {:.1}, max {:.1}); injected at {probes} phases spread over it",
        g[g.len() / 2] * 1e3,
        g[0] * 1e3,
        g[g.len() - 1] * 1e3
    );
    stats("event on the platform → on screen (1 s poll)", "ms", lat);
    stats("  of which: answer received → on screen", "ms", inside);
    stats("bytes of the frame showing a new event", "B", frame_bytes);
}
