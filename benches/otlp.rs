//! The OTLP source's figures (issue 19):
//!   1. spans/s through decode (protobuf) + map + store + journal. "On one
//!      core" is spans / CPU seconds of the whole process for that work
//!      (this thread decoding, mapping and storing; the journal thread
//!      rendering, hashing, writing and syncing), so the two threads
//!      running in parallel do not flatter it. Also decode + map alone.
//!   2. memory holding what 1,000,000 spans became (the app's runs and
//!      events, and the mapper's own state).
//!   3. span → screen: the real binary under a pty (160x48) with
//!      `--source otel=otlp:…`; from just before one span is POSTed to
//!      the first frame that shows it.
//!
//! Run: cargo bench --bench otlp   (OTLP_SPANS=N to change; a 5,000-span smoke run
//! under cargo test).

#[path = "common/pty.rs"]
mod pty;

use std::time::{Duration, Instant};

use cordon::app::{App, Effect, Msg};
use cordon::journal::{Journal, Operator, Record};
use cordon::source::otlp::decode::{self, Encoding};
use cordon::source::otlp::fixture::{agent_run, failed, request, s, span};
use cordon::source::otlp::{MapOptions, Mapper, Options};
use cordon::source::{Batch, SourceMsg};
use prost::Message;

// The same allocator as the binary (src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU seconds of the whole process so far (every thread).
fn process_cpu() -> f64 {
    // SAFETY: getrusage fills the struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// Resident memory in MiB (from /proc/self/statm).
fn resident_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    // SAFETY: sysconf only reads a system constant.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64 / 1048576.0
}

/// Request bodies as a Collector forwards them (about 2,000 spans each):
/// agent runs of 7 spans (3 chat calls without captured content, 3 tool
/// calls with JSON arguments and results, one in 20 failing with an
/// exception, then the `invoke_agent` root), `spans` in all.
fn bodies(spans: usize) -> Vec<Vec<u8>> {
    let runs = spans.div_ceil(7);
    let tools = [
        ("lookup_customer", r#"{"customer_id":"c-1042"}"#),
        (
            "send_email",
            r#"{"to":"dana@example.com","subject":"Your refund","body":"On its way."}"#,
        ),
        ("update_ticket", r#"{"ticket":"T-77","status":"resolved"}"#),
    ];
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for r in 0..runs {
        let mut run = agent_run(
            0x1000_0000 + r as u128,
            &format!("agent-{}", r % 50),
            &tools,
        );
        if r % 20 == 0 {
            run[5] = failed(run[5].clone(), "TimeoutError", "ticket service timed out");
        }
        pending.extend(run);
        if pending.len() >= 2_000 || r + 1 == runs {
            out.push(request("support-bot", std::mem::take(&mut pending)).encode_to_vec());
        }
    }
    out
}

fn polled(batch: Batch, now: cordon::model::Time) -> Msg {
    Msg::Source(
        Box::new(SourceMsg::Polled {
            source: "otel".into(),
            batch,
        }),
        now,
    )
}

fn records(fx: Vec<Effect>) -> Vec<Record> {
    fx.into_iter()
        .filter_map(|f| match f {
            Effect::Journal(r) => Some(r),
            _ => None,
        })
        .collect()
}

fn mapper() -> Mapper {
    let o = Options::parse("http://127.0.0.1:4318").unwrap();
    Mapper::new(MapOptions::new("otel", &o))
}

fn throughput_and_memory(n: usize) {
    let now = chrono::Utc::now();
    let wire = bodies(n);
    let bytes: usize = wire.iter().map(Vec::len).sum();

    // Decode + map alone.
    let (c0, w0) = (process_cpu(), Instant::now());
    let mut m = mapper();
    let mut events = 0usize;
    for body in &wire {
        let req = decode::decode(body, Encoding::Protobuf).unwrap();
        m.map(&req, now);
        events += m.drain(now).1.len();
    }
    let (cpu, wall) = (process_cpu() - c0, w0.elapsed().as_secs_f64());
    println!(
        "decode + map {n} spans ({:.0} MB of protobuf, {events} events): {:.0} spans/s on one core ({cpu:.2} s CPU), wall {wall:.2} s",
        bytes as f64 / 1e6,
        n as f64 / cpu
    );
    drop(m);
    cordon::mem::give_back();

    // Decode + map + journal (the records the app would write, written
    // straight to a journal), then the same through the app's store, as
    // the console does.
    for through_app in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("INC-OTLP");
        cordon::mem::give_back();
        let base = resident_mib();
        let journal = Journal::open(&dir).unwrap();
        let op = Operator {
            user: "bench".into(),
            host: "bench".into(),
            ssh_client: None,
        };
        let mut app = App::new(now, "INC-OTLP", &dir.display().to_string(), op);
        app.add_source("otel", "otlp", "http://127.0.0.1:4318");
        app.update(Msg::Resize(160, 48));
        let mut m = mapper();
        let mut written = 0usize;
        let (c0, w0) = (process_cpu(), Instant::now());
        for body in &wire {
            let req = decode::decode(body, Encoding::Protobuf).unwrap();
            m.map(&req, now);
            let (runs, events, linked) = m.drain(now);
            if through_app {
                let batch = Batch {
                    runs,
                    events,
                    linked,
                    ..Batch::default()
                };
                for piece in cordon::source::split(batch) {
                    let recs = records(app.update(polled(piece, now)));
                    written += recs.len();
                    journal.handle.append_all(recs);
                }
            } else {
                let recs: Vec<Record> = runs
                    .into_iter()
                    .map(|run| Record::Run { run })
                    .chain(events.into_iter().map(|event| Record::Event {
                        source: "otel".into(),
                        event,
                    }))
                    .collect();
                written += recs.len();
                journal.handle.append_all(recs);
            }
        }
        journal.handle.sync().expect("the journal syncs");
        let (cpu, wall) = (process_cpu() - c0, w0.elapsed().as_secs_f64());
        let what = if through_app {
            "decode + map + store (App::update) + journal"
        } else {
            "decode + map + journal"
        };
        println!(
            "{what} {n} spans ({written} records): {:.0} spans/s on one core ({cpu:.2} s CPU, both threads), wall {wall:.2} s = {:.0} spans/s",
            n as f64 / cpu,
            n as f64 / wall
        );
        if through_app {
            assert_eq!(app.store.events.len(), events, "every event stored once");
            cordon::mem::give_back();
            let rss = resident_mib();
            println!(
                "memory after {n} spans in the app: RSS {rss:.0} MiB, {:.0} MiB over the process before ({:.0} bytes per span; {} runs; the mapper follows {})",
                rss - base,
                (rss - base) * 1048576.0 / n as f64,
                app.store.runs.len(),
                m.followed()
            );
        }
        drop(app);
        journal.close();
    }
}

async fn latency(reps: usize) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-OTLP-LAT");
    let src = format!("otel=otlp:http://127.0.0.1:{port}");
    let c = pty::Console::start(&["--source", &src], &dir);
    c.wait_for("otel ok", 0);
    let url = format!("http://127.0.0.1:{port}/v1/traces");
    let d = Duration::from_secs(10);
    let client = cordon::source::http::client_with(d, d, d);
    let post = |spans| {
        let body = request("support-bot", spans).encode_to_vec();
        client
            .post(url.clone())
            .header("content-type", "application/x-protobuf")
            .body(body)
            .send()
    };
    // A run that stays open (its root never ends).
    let first = vec![span(
        0xfeed,
        2,
        Some(1),
        "chat m",
        (0, 1),
        vec![s("gen_ai.operation.name", "chat")],
    )];
    post(first).await.unwrap();
    c.wait_for("▶ running", 0);
    let mut lat = Vec::new();
    for i in 0..reps {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let name = format!("probe{i:03}");
        let sp = span(
            0xfeed,
            100 + i as u64,
            Some(1),
            &format!("execute_tool {name}"),
            (1, 2),
            vec![
                s("gen_ai.operation.name", "execute_tool"),
                s("gen_ai.tool.name", &name),
            ],
        );
        let from = c.chunks();
        let t0 = Instant::now();
        post(vec![sp]).await.unwrap();
        let seen = c.wait_for(&format!("{name}()"), from);
        lat.push(seen.duration_since(t0).as_secs_f64() * 1e3);
    }
    pty::stats("span POSTed → on screen", "ms", lat);
}

#[tokio::main]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let n = std::env::var("OTLP_SPANS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 1_000_000 } else { 5_000 });
    tokio::task::block_in_place(|| throughput_and_memory(n));
    latency(if bench { 40 } else { 3 }).await;
}
