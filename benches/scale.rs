//! Scale harness: ingest rate, memory per event, scrolling back through
//! everything, and reopening a big incident.
//!   cargo bench --bench scale            (1,000,000 events over 100,000 runs)
//!   SCALE_EVENTS=200000 cargo bench --bench scale
//! Under `cargo test` it is a smoke run at 20,000 events.
//!
//! Ingest is parse and sanitize (the adapter's path, `sim::scale::parse_page`),
//! store (`App::update`) and journal (render, hash, write, fsync on the
//! writer thread). "On one core" is events / (CPU time of the UI thread
//! for that work + CPU time of the journal thread), both read from the
//! kernel, so the two threads running in parallel do not flatter it.

use std::time::{Duration, Instant};

use cordon::app::{App, Effect, Msg};
use cordon::journal::{Journal, Operator};
use cordon::sim::scale;
use cordon::source::{Batch, SourceMsg};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::{TerminalOptions, Viewport};

// The same allocator as the binary (src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// CPU seconds of this thread so far.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime fills the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// CPU seconds of the thread named `name` (from /proc, 10 ms ticks).
fn named_thread_cpu(name: &str) -> f64 {
    let tck = 100.0;
    let mut total = 0.0;
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for t in dir.flatten() {
            let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
            let Some(close) = stat.rfind(')') else {
                continue;
            };
            let comm = &stat[stat.find('(').unwrap_or(0) + 1..close];
            if comm != name {
                continue;
            }
            let f: Vec<&str> = stat[close + 2..].split_whitespace().collect();
            let v = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
            // utime and stime are fields 14 and 15 (index 11, 12 after comm).
            total += (v(11) + v(12)) / tck;
        }
    }
    total
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn polled(batch: Batch, now: cordon::model::Time) -> Msg {
    Msg::Source(
        Box::new(SourceMsg::Polled {
            source: "sim".into(),
            batch,
        }),
        now,
    )
}

fn frame_ms(app: &App) -> f64 {
    let mut t = Terminal::with_options(
        CrosstermBackend::new(std::io::sink()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 160, 48)),
        },
    )
    .unwrap();
    let start = Instant::now();
    t.draw(|f| cordon::ui::draw(app, &cordon::ui::Theme::default(), f))
        .unwrap();
    start.elapsed().as_secs_f64() * 1e3
}

/// Reopen in a fresh process, as `cordon` does at start: time and RSS.
fn reopen_only(dir: &std::path::Path) {
    let base = rss_mb();
    let t0 = Instant::now();
    let (app, j) = cordon::commands::open_incident(dir, &[]).unwrap();
    let took = t0.elapsed();
    let frame = frame_ms(&app);
    println!(
        "reopen in a fresh process: {} events in {:.2} s, first frame {frame:.2} ms; RSS {:.0} MB (empty process {base:.0} MB)",
        app.store.events.len(),
        took.as_secs_f64(),
        rss_mb()
    );
    j.close();
}

fn main() {
    if let Some(dir) = std::env::var_os("SCALE_REOPEN_ONLY") {
        reopen_only(std::path::Path::new(&dir));
        return;
    }
    let bench = std::env::args().any(|a| a == "--bench");
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let n_events = env("SCALE_EVENTS", if bench { 1_000_000 } else { 20_000 });
    let n_runs = env("SCALE_RUNS", if bench { 100_000 } else { 2_000 });
    let now: cordon::model::Time = "2026-11-25T12:00:00Z".parse().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // SCALE_DIR keeps the incident (e.g. to profile reopening it).
    let dir = std::env::var_os("SCALE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("INC-SCALE"));
    let base_rss = rss_mb();

    let journal = Journal::open(&dir).unwrap();
    let op = Operator {
        user: "bench".into(),
        host: "bench".into(),
        ssh_client: None,
    };
    let mut app = App::new(now, "INC-SCALE", &dir.display().to_string(), op);
    app.add_source("sim", "aca", "http://127.0.0.1:7300");
    app.update(Msg::Resize(160, 48));
    let keep = |fx: Vec<Effect>, j: &Journal| {
        let recs: Vec<_> = fx
            .into_iter()
            .filter_map(|f| match f {
                Effect::Journal(r) => Some(r),
                _ => None,
            })
            .collect();
        j.handle.append_all(recs);
    };
    for chunk in scale::runs(n_runs, "sim", now).chunks(2_000) {
        let b = Batch {
            runs: chunk.to_vec(),
            ..Batch::default()
        };
        keep(app.update(polled(b, now)), &journal);
    }
    journal.handle.sync().unwrap();

    // Ingest in pages of 2,000 (the size a poll hands the UI loop).
    let (mut cpu, mut wall, mut bytes) = (0.0, Duration::ZERO, 0usize);
    let journal_cpu0 = named_thread_cpu("journal");
    let mut from = 0;
    while from < n_events {
        let to = (from + cordon::source::PIECE).min(n_events);
        let body = scale::page(from, to, n_runs, now);
        bytes += body.len();
        let (c0, w0) = (thread_cpu(), Instant::now());
        let events = scale::parse_page(&body, now);
        let b = Batch {
            events,
            ..Batch::default()
        };
        keep(app.update(polled(b, now)), &journal);
        cpu += thread_cpu() - c0;
        wall += w0.elapsed();
        from = to;
    }
    let w0 = Instant::now();
    journal.handle.sync().unwrap();
    wall += w0.elapsed();
    let jcpu = named_thread_cpu("journal") - journal_cpu0;
    let one_core = n_events as f64 / (cpu + jcpu);
    println!(
        "ingest {n_events} events ({:.0} MB of wire JSON) over {n_runs} runs: wall {:.2} s = {:.0} events/s; UI thread {:.2} s CPU + journal thread {:.2} s CPU = {:.0} events/s on one core",
        bytes as f64 / 1e6,
        wall.as_secs_f64(),
        n_events as f64 / wall.as_secs_f64(),
        cpu,
        jcpu,
        one_core
    );
    assert_eq!(app.store.events.len(), n_events, "every event stored once");
    let rss_before_tick = rss_mb();
    // What the UI loop does on its next tick after a flood.
    let t = Instant::now();
    cordon::mem::give_back();
    let give_back_ms = t.elapsed().as_secs_f64() * 1e3;
    let rss = rss_mb();
    println!(
        "RSS before the UI loop's next tick: {rss_before_tick:.0} MB; giving freed memory back took {give_back_ms:.1} ms"
    );
    println!(
        "memory holding {n_events} events + {n_runs} runs: RSS {rss:.0} MB ({:.0} MB over the empty process), {:.0} bytes per event",
        rss - base_rss,
        (rss - base_rss) * 1048576.0 / n_events as f64
    );

    if std::env::var_os("SCALE_INGEST_ONLY").is_some() {
        journal.close();
        return;
    }
    let t = Instant::now();
    let tri = app.triage();
    println!(
        "triage (cold): {:.2} ms, {} runs implicated",
        t.elapsed().as_secs_f64() * 1e3,
        tri.implicated.len()
    );
    // Scroll back through everything: the oldest event is on screen.
    keep(app.update(key(KeyCode::Char('2'))), &journal);
    keep(app.update(key(KeyCode::Char('g'))), &journal);
    let top = frame_ms(&app);
    let oldest = app.timeline.selected_event();
    keep(app.update(key(KeyCode::Char('G'))), &journal);
    let bottom = frame_ms(&app);
    for _ in 0..env("SCALE_EXTRA_FRAMES", 0) {
        frame_ms(&app);
    }
    println!("scroll: top frame {top:.2} ms (event index {oldest:?}), bottom frame {bottom:.2} ms");
    assert_eq!(oldest, Some(0));
    let _ = KeyModifiers::NONE;

    journal.close();
    drop(app);
    // Reopen: read and verify the chain, replay into a fresh app.
    let t0 = Instant::now();
    let (app2, j2) = cordon::commands::open_incident(&dir, &[]).unwrap();
    let reopen = t0.elapsed();
    println!(
        "reopen {} journal records ({:.0} MB): {:.2} s; RSS after {:.0} MB",
        app2.store.events.len() + n_runs,
        std::fs::metadata(cordon::journal::journal_path(&dir))
            .map(|m| m.len() as f64 / 1e6)
            .unwrap_or(0.0),
        reopen.as_secs_f64(),
        rss_mb()
    );
    assert_eq!(app2.store.events.len(), n_events);
    j2.close();
    drop(app2);
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("SCALE_REOPEN_ONLY", &dir)
        .output()
        .unwrap();
    print!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
