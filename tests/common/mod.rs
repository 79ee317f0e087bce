//! Shared test helpers: a fixed clock, deterministic simulated worlds, and
//! rendering to a TestBackend.
#![allow(dead_code)]

use std::time::Duration;

use cordon::app::{App, Msg};
use cordon::journal::Operator;
use cordon::model::{Event, Run, Time};
use cordon::sim::World;
use cordon::source::{Batch, SourceMsg};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub fn t0() -> Time {
    "2026-11-24T10:00:00Z".parse().unwrap()
}

pub fn at(secs: i64) -> Time {
    t0() + chrono::Duration::seconds(secs)
}

pub fn world(scenarios: &[&str], background: bool, secs: u64) -> World {
    let names: Vec<String> = scenarios.iter().map(|s| s.to_string()).collect();
    let mut w = World::new(&names, background, 7, t0()).unwrap();
    w.advance(Duration::from_secs(secs));
    w
}

/// What an adapter would deliver for everything in the world so far.
pub fn batch_of(w: &World, source: &str) -> Batch {
    let runs: Vec<Run> = w
        .runs
        .iter()
        .filter_map(|r| Run::from_wire(source, &r.to_json()))
        .collect();
    let events: Vec<Event> = w
        .events
        .iter()
        .filter_map(|v| Event::from_wire_value(v, t0()))
        .collect();
    Batch {
        runs,
        events,
        controls: Some(w.controls.clone()),
        offered: Some(cordon::model::ActionKind::ALL.to_vec()),
        credentials: vec![],
        bytes: 0,
        linked: vec![],
    }
}

pub fn operator() -> Operator {
    Operator {
        user: "alice".into(),
        host: "bastion-1".into(),
        ssh_client: None,
    }
}

pub fn app(now: Time) -> App {
    let mut a = App::new(now, "INC-20261124-100000", "/tmp/inc", operator());
    a.add_source("sim", "aca", "http://127.0.0.1:7300");
    a
}

pub fn polled(source: &str, batch: Batch, now: Time) -> Msg {
    Msg::Source(
        Box::new(SourceMsg::Polled {
            source: source.into(),
            batch,
        }),
        now,
    )
}

/// An app that has seen `secs` seconds of the given scenarios.
pub fn app_with(scenarios: &[&str], background: bool, secs: u64) -> App {
    let w = world(scenarios, background, secs);
    let now = at(secs as i64);
    let mut a = app(now);
    a.update(polled("sim", batch_of(&w, "sim"), now));
    a
}

pub fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

pub fn keys(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(ch(c));
    }
}

pub fn render(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    render_themed(app, &cordon::ui::Theme::default(), w, h)
}

/// Drawn with a theme of the test's choosing (the loop's, not the app's).
pub fn render_themed(
    app: &mut App,
    theme: &cordon::ui::Theme,
    w: u16,
    h: u16,
) -> Terminal<TestBackend> {
    app.update(Msg::Resize(w, h));
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| cordon::ui::draw(app, theme, f)).unwrap();
    t
}

/// The rendered text only, one line per row.
pub fn screen(app: &mut App, w: u16, h: u16) -> String {
    let t = render(app, w, h);
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The effects of one update, split: journal records and the rest.
pub fn split(
    fx: Vec<cordon::app::Effect>,
) -> (Vec<cordon::journal::Record>, Vec<cordon::app::Effect>) {
    let mut recs = Vec::new();
    let mut rest = Vec::new();
    for f in fx {
        match f {
            cordon::app::Effect::Journal(r) => recs.push(r),
            o => rest.push(o),
        }
    }
    (recs, rest)
}

/// `cordon sim` on a free port, for consoles that reopen an incident: a
/// demo only ever writes a new one. Killed when dropped.
pub struct SimServer {
    child: std::process::Child,
    pub url: String,
}

impl SimServer {
    pub fn start(args: &[&str]) -> SimServer {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
            .args(["sim", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("cordon sim starts");
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        // The sim says where it listens, then nothing until it ends.
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("cordon sim did not say where: {line}"))
            .to_string();
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        SimServer { child, url }
    }

    /// `--source` for a console on this simulator.
    pub fn source(&self) -> String {
        format!("sim=aca:{}", self.url)
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Type a palette command and press Enter.
pub fn palette(a: &mut App, line: &str) -> Vec<cordon::app::Effect> {
    a.update(ch(':'));
    keys(a, line);
    a.update(key(KeyCode::Enter))
}

/// The rows of `area` in a rendered screen.
pub fn rows_of(screen: &str, area: ratatui::layout::Rect) -> String {
    screen
        .lines()
        .skip(area.y as usize)
        .take(area.height as usize)
        .map(|l| {
            l.chars()
                .skip(area.x as usize)
                .take(area.width as usize)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
/// Wait until an incident's writer lock is free, as the next console
/// needs it. A SIGKILLed console's command line leaves /proc (what pgrep
/// reads) when its main thread drops the address space, but its lock goes
/// with the file table, after its last thread: a journal thread inside an
/// fsync keeps it for as long as the disk takes (seconds under load).
pub fn wait_lock_free(dir: &std::path::Path, what: &str) {
    let start = std::time::Instant::now();
    loop {
        let free = match std::fs::OpenOptions::new()
            .write(true)
            .open(dir.join(cordon::journal::LOCK))
        {
            Ok(f) => f.try_lock().is_ok(),
            Err(_) => true,
        };
        if free {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what}: the killed console still holds the incident's lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether tmux is here to drive the real binary in (else the test says
/// SKIP).
pub fn have_tmux() -> bool {
    let ok = std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok();
    if !ok {
        eprintln!("SKIP: tmux is not installed; this test drives the real binary in tmux");
    }
    ok
}

/// Run tmux; its stdout.
pub fn tmux(args: &[&str]) -> String {
    let o = std::process::Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux runs");
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Wait for a condition on something outside this process (a terminal, a
/// file): polled, with a deadline, never a fixed sleep. On timeout, the
/// screen of `session` is in the message.
pub fn wait_for(session: &str, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !f() {
        if std::time::Instant::now() >= deadline {
            let screen = match session {
                "" => tmux(&["capture-pane", "-p"]),
                s => tmux(&["capture-pane", "-p", "-t", s]),
            };
            panic!("timed out waiting for {what}; the screen:\n{screen}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
