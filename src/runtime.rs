//! The async side: terminal, input thread, source pollers, clock, and the
//! effects `update` asks for. The UI loop never waits on the network or
//! the disk: the journal has its own thread, sources their own tasks.

use std::io::Write;
use std::time::Duration;

use ratatui::crossterm::event::{self, Event as TermEvent, KeyEventKind};
use ratatui::crossterm::{execute, terminal};
use tokio::sync::mpsc;

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::{App, Effect, Msg};
use crate::contain::{self, ActionMsg, Policy, custom::CustomAction};
use crate::journal::{Journal, JournalHandle, Record};
use crate::model::Time;
use crate::source::{self, Actor, SourceMsg, SourceSpec};

/// Input comes a few times a second: its size does not matter.
#[allow(clippy::large_enum_variant)]
enum Input {
    Msg(Msg),
    /// The terminal went away (EIO, closed pty): end instead of spinning.
    Gone(String),
}

/// How the console ended.
#[derive(Debug, PartialEq)]
pub enum Ended {
    Quit,
    Signal(i32),
    TerminalGone(String),
}

/// Carries out the effects `update` asks for, off the UI loop.
pub struct Executor {
    actors: HashMap<String, Arc<dyn Actor>>,
    journal: JournalHandle,
    tx: mpsc::UnboundedSender<(ActionMsg, Time)>,
    custom_tx: mpsc::UnboundedSender<Msg>,
    client: reqwest::Client,
    custom: Vec<CustomAction>,
    pub policy: Policy,
    /// Records waiting to be appended as one group.
    pending: Vec<Record>,
    /// Where exports are written.
    pub incident_dir: std::path::PathBuf,
}

impl Executor {
    pub fn new(
        specs: &[SourceSpec],
        client: reqwest::Client,
        journal: JournalHandle,
        custom: Vec<CustomAction>,
        tx: mpsc::UnboundedSender<(ActionMsg, Time)>,
        custom_tx: mpsc::UnboundedSender<Msg>,
    ) -> Result<Executor, String> {
        let mut actors = HashMap::new();
        for s in specs {
            actors.insert(s.name.clone(), source::build_actor(s, client.clone())?);
        }
        Ok(Executor::with_actors(
            actors, client, journal, custom, tx, custom_tx,
        ))
    }

    /// With actors already built (sharing state with their pollers).
    pub fn with_actors(
        actors: HashMap<String, Arc<dyn Actor>>,
        client: reqwest::Client,
        journal: JournalHandle,
        custom: Vec<CustomAction>,
        tx: mpsc::UnboundedSender<(ActionMsg, Time)>,
        custom_tx: mpsc::UnboundedSender<Msg>,
    ) -> Executor {
        Executor {
            actors,
            journal,
            tx,
            custom_tx,
            client,
            custom,
            policy: Policy::default(),
            pending: Vec::new(),
            incident_dir: std::path::PathBuf::from("."),
        }
    }

    /// Carry out one effect; returns true on Quit.
    pub fn run(&mut self, fx: Effect) -> bool {
        match fx {
            Effect::Journal(r) => self.pending.push(r),
            Effect::Quit => return true,
            // Only replay moves its clock.
            Effect::JumpTo(_) => {}
            // Handled by the UI loop, which owns the terminal.
            Effect::Suspend => {}
            Effect::Copy(text) => {
                // OSC 52: the terminal (also over SSH and in tmux with
                // set-clipboard on) puts it on the clipboard.
                let mut out = std::io::stdout();
                let _ = write!(out, "\x1b]52;c;{}\x07", base64(text.as_bytes()));
                let _ = out.flush();
            }
            Effect::Preview {
                proposal,
                source,
                kind,
                targets,
            } => match self.actors.get(&source) {
                Some(a) => {
                    tokio::spawn(contain::preview(
                        a.clone(),
                        proposal,
                        kind,
                        targets,
                        self.tx.clone(),
                    ));
                }
                None => {
                    let _ = self.tx.send((
                        ActionMsg::Preview {
                            proposal,
                            result: Err(format!("no source named {source}")),
                        },
                        chrono::Utc::now(),
                    ));
                }
            },
            Effect::Execute(req) => {
                // The intent record is in `pending`: append it before the
                // executor's sync, so it is durable before the request.
                self.flush();
                match self.actors.get(&req.source) {
                    Some(a) => {
                        tokio::spawn(contain::execute(
                            a.clone(),
                            req,
                            Some(self.journal.clone()),
                            self.tx.clone(),
                            self.policy.clone(),
                        ));
                    }
                    None => {
                        let _ = self.tx.send((
                            ActionMsg::NotSent {
                                id: req.id,
                                reason: format!("nothing sent: no source named {}", req.source),
                            },
                            chrono::Utc::now(),
                        ));
                    }
                }
            }
            Effect::Reconcile { request, answer } => match self.actors.get(&request.source) {
                Some(a) => {
                    tokio::spawn(contain::reconcile(
                        a.clone(),
                        request,
                        answer,
                        self.tx.clone(),
                        self.policy.clone(),
                    ));
                }
                None => {
                    let _ = self.tx.send((
                        ActionMsg::Verified {
                            outcome: crate::model::ActionPhase::Unknown,
                            detail: format!(
                                "reconciled after a restart: source {} is not configured in this session, so cordon cannot tell whether it was applied; not re-sent",
                                request.source
                            ),
                            id: request.id,
                            reverted: vec![],
                        },
                        chrono::Utc::now(),
                    ));
                }
            },
            Effect::Export(kinds) => {
                // Exports are rebuilt from the journal: flush it first.
                self.flush();
                let (journal, tx, dir) = (
                    self.journal.clone(),
                    self.custom_tx.clone(),
                    self.incident_dir.clone(),
                );
                tokio::task::spawn_blocking(move || {
                    let _ = journal.sync();
                    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
                    let now = chrono::Utc::now();
                    let result = crate::report::export_all(&dir, &kinds, now).map(|v| {
                        v.into_iter()
                            .map(|(k, p)| (k, p.display().to_string()))
                            .collect()
                    });
                    let _ = tx.send(Msg::Exported(result, now));
                });
            }
            Effect::RunCustom { id, index, vars } => {
                if let Some(a) = self.custom.get(index).cloned() {
                    let (client, tx) = (self.client.clone(), self.custom_tx.clone());
                    tokio::spawn(async move {
                        let (exit, output) = a.run(&vars, &client).await;
                        let _ = tx.send(Msg::CustomDone(crate::app::CustomDone {
                            id,
                            index,
                            vars,
                            exit,
                            output,
                            at: chrono::Utc::now(),
                        }));
                    });
                }
            }
        }
        false
    }

    /// Append what is pending as one group (one write, one fsync).
    pub fn flush(&mut self) {
        self.journal.append_all(std::mem::take(&mut self.pending));
    }
}

/// Run the console until quit. `app` already holds the replayed journal.
/// Also returns the journal's write failure, if it had one (to be said at
/// exit: records after it are missing).
pub async fn run_console(
    mut app: App,
    journal: Journal,
    specs: &[SourceSpec],
    poll: Duration,
    custom: Vec<CustomAction>,
) -> Result<(Ended, Option<crate::journal::Fault>), String> {
    let (src_tx, mut src_rx) = mpsc::unbounded_channel::<SourceMsg>();
    let client = source::http::client();
    let mut actors = HashMap::new();
    for spec in specs {
        let (src, actor) = source::build_pair(spec, client.clone())?;
        actors.insert(spec.name.clone(), actor);
        tokio::spawn(source::poll_loop(src, poll, src_tx.clone()));
    }
    drop(src_tx);
    let (act_tx, mut act_rx) = mpsc::unbounded_channel::<(ActionMsg, Time)>();
    let (custom_tx, mut custom_rx) = mpsc::unbounded_channel::<Msg>();
    let mut exec = Executor::with_actors(
        actors,
        client.clone(),
        journal.handle.clone(),
        custom,
        act_tx,
        custom_tx,
    );
    exec.incident_dir = journal.dir.clone();

    let (in_tx, mut in_rx) = mpsc::unbounded_channel::<Input>();
    spawn_input(in_tx)?;

    let mut terminal = init_terminal();
    if let Ok(mut j) = PANIC_JOURNAL.lock() {
        *j = Some(journal.handle.clone());
    }
    // Fault injection for the crash tests: F12 panics the UI loop.
    let test_panic = std::env::var_os("CORDON_TEST_PANIC").is_some();
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    app.update(Msg::Resize(size.0, size.1));
    // Actions left without an outcome by the last session: settle them
    // with the platform (never re-sent).
    for fx in app.reconcile_effects() {
        exec.run(fx);
    }
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut sigterm = signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut sighup = signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut given_back_at = app.generation;

    let ended = loop {
        if app.dirty {
            draw(&mut terminal, &app);
            app.dirty = false;
        }
        let mut msgs = Vec::new();
        tokio::select! {
            Some(i) = in_rx.recv() => match i {
                Input::Msg(m) => msgs.push(m),
                Input::Gone(why) => break Ended::TerminalGone(why),
            },
            Some(m) = src_rx.recv() => msgs.push(Msg::Source(Box::new(m), chrono::Utc::now())),
            Some((m, at)) = act_rx.recv() => msgs.push(Msg::Action(m, at)),
            Some(m) = custom_rx.recv() => msgs.push(m),
            _ = tick.tick() => {
                if app.generation >= given_back_at + crate::mem::GIVE_BACK_AFTER {
                    crate::mem::give_back();
                    given_back_at = app.generation;
                }
                msgs.push(Msg::Tick(chrono::Utc::now()))
            }
            _ = sigterm.recv() => break Ended::Signal(libc::SIGTERM),
            _ = sighup.recv() => break Ended::Signal(libc::SIGHUP),
        }
        // Coalesce: take whatever else is ready before drawing once.
        while msgs.len() < 256 {
            if let Ok(Input::Msg(m)) = in_rx.try_recv() {
                msgs.push(m);
            } else if let Ok(m) = src_rx.try_recv() {
                msgs.push(Msg::Source(Box::new(m), chrono::Utc::now()));
            } else {
                break;
            }
        }
        let mut quit = false;
        // Keys carry no time of their own: bring the clock up to date so
        // action times are measured from the key press.
        msgs.insert(0, Msg::Tick(chrono::Utc::now()));
        let mut suspend = false;
        for m in msgs {
            if test_panic
                && let Msg::Key(k) = &m
                && k.code == ratatui::crossterm::event::KeyCode::F(12)
            {
                exec.flush();
                panic!("CORDON_TEST_PANIC: F12 pressed");
            }
            for fx in app.update(m) {
                suspend |= fx == Effect::Suspend;
                quit |= exec.run(fx);
            }
        }
        if suspend {
            exec.flush();
            suspend_terminal(&mut terminal);
            app.dirty = true;
        }
        // One group per loop turn: one write and one fsync.
        exec.flush();
        if app.journal_fault.is_none()
            && let Some(f) = journal.handle.fault()
        {
            // Said on screen (a banner), never as raw stderr over it.
            app.update(Msg::JournalFailed(f.to_string()));
        }
        if quit {
            break Ended::Quit;
        }
    };
    if ended != Ended::Quit {
        let reason = match &ended {
            Ended::Signal(n) => format!("signal {n}"),
            Ended::TerminalGone(w) => format!("terminal gone: {w}"),
            Ended::Quit => unreachable!(),
        };
        journal.handle.append(Record::SessionEnded { reason });
    }
    if let Ok(mut j) = PANIC_JOURNAL.lock() {
        *j = None;
    }
    let handle = journal.handle.clone();
    journal.close();
    restore_terminal();
    Ok((ended, handle.fault()))
}

fn signal(kind: tokio::signal::unix::SignalKind) -> Result<tokio::signal::unix::Signal, String> {
    tokio::signal::unix::signal(kind).map_err(|e| format!("cannot install a signal handler: {e}"))
}

/// One frame, wrapped in synchronized output so SSH links don't flicker.
fn draw(terminal: &mut ratatui::DefaultTerminal, app: &App) {
    let mut out = std::io::stdout();
    let _ = execute!(out, terminal::BeginSynchronizedUpdate);
    let _ = terminal.draw(|f| crate::ui::draw(app, f));
    let _ = execute!(out, terminal::EndSynchronizedUpdate);
    let _ = out.flush();
}

/// Keys, mouse and resizes on one thread; a hangup watch on another.
fn spawn_input(tx: mpsc::UnboundedSender<Input>) -> Result<(), String> {
    let hup_tx = tx.clone();
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || input_thread(tx))
        .map_err(|e| format!("cannot start the input thread: {e}"))?;
    std::thread::Builder::new()
        .name("hangup".into())
        .spawn(move || hangup_watch(hup_tx))
        .map_err(|e| format!("cannot start the hangup watch: {e}"))?;
    Ok(())
}

fn input_thread(tx: mpsc::UnboundedSender<Input>) {
    let mut errors = 0;
    loop {
        match event::read() {
            Ok(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => {
                if tx.send(Input::Msg(Msg::Key(k))).is_err() {
                    return;
                }
            }
            Ok(TermEvent::Mouse(m)) => {
                if tx.send(Input::Msg(Msg::Mouse(m))).is_err() {
                    return;
                }
            }
            Ok(TermEvent::Resize(w, h)) => {
                if tx.send(Input::Msg(Msg::Resize(w, h))).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                errors += 1;
                if errors > 3 {
                    let _ = tx.send(Input::Gone(e.to_string()));
                    return;
                }
            }
        }
    }
}

/// Wait (without CPU) for the terminal to hang up: the far side of the pty
/// closed. crossterm's reader spins on the EIO that follows instead of
/// returning an error, so this watch is what ends the console then. With
/// no events asked for, poll(2) still reports POLLHUP/POLLERR.
fn hangup_watch(tx: mpsc::UnboundedSender<Input>) {
    // crossterm reads stdin when it is a tty, else /dev/tty: watch the same.
    // SAFETY: isatty only inspects the descriptor.
    let tty = if unsafe { libc::isatty(libc::STDIN_FILENO) } == 1 {
        None
    } else {
        match std::fs::File::open("/dev/tty") {
            Ok(f) => Some(f),
            Err(_) => return,
        }
    };
    let fd = tty
        .as_ref()
        .map(std::os::fd::AsRawFd::as_raw_fd)
        .unwrap_or(libc::STDIN_FILENO);
    loop {
        let mut p = libc::pollfd {
            fd,
            events: 0,
            revents: 0,
        };
        // SAFETY: one valid pollfd, blocking until something happens.
        let n = unsafe { libc::poll(&mut p, 1, -1) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
            let _ = tx.send(Input::Gone("the terminal hung up".into()));
            return;
        }
    }
}

/// Standard base64 (for OSC 52).
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Play a journal back in the console (read-only; nothing is written).
pub async fn run_replay(mut rp: crate::replay::Replay, mut app: App) -> Result<Ended, String> {
    use ratatui::crossterm::event::KeyCode;
    let (in_tx, mut in_rx) = mpsc::unbounded_channel::<Input>();
    spawn_input(in_tx)?;
    let mut terminal = init_terminal();
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    app.update(Msg::Resize(size.0, size.1));
    let clock = rp.clock;
    rp.advance_to(&mut app, clock);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut last = std::time::Instant::now();
    let ended = loop {
        app.replay_badge = Some(rp.badge());
        if app.dirty {
            draw(&mut terminal, &app);
            app.dirty = false;
        }
        tokio::select! {
            Some(i) = in_rx.recv() => match i {
                Input::Gone(w) => break Ended::TerminalGone(w),
                Input::Msg(Msg::Key(k)) if app.mode == crate::app::Mode::Normal && !app.notes_editing => {
                    let minute = chrono::Duration::seconds(60);
                    match k.code {
                        KeyCode::Char(' ') => rp.paused = !rp.paused,
                        KeyCode::Char('.') => { rp.paused = true; rp.step(&mut app); }
                        KeyCode::Char('n') => { rp.paused = true; rp.next_action(&mut app); }
                        KeyCode::Char(']') => { let t = rp.clock + minute; rp.advance_to(&mut app, t); }
                        KeyCode::Char('[') => { let t = (rp.clock - minute).max(rp.start); rp.advance_to(&mut app, t); }
                        KeyCode::Char('+') => rp.speed = (rp.speed * 2.0).min(1024.0),
                        KeyCode::Char('-') => rp.speed = (rp.speed / 2.0).max(0.125),
                        KeyCode::Char('T') => {
                            app.mode = crate::app::Mode::Prompt(crate::app::Prompt {
                                purpose: crate::app::PromptFor::JumpTo,
                                label: "jump to (HH:MM[:SS] UTC)".into(),
                                text: String::new(),
                            });
                        }
                        _ => {
                            if app.update(Msg::Key(k)).contains(&Effect::Quit) {
                                break Ended::Quit;
                            }
                        }
                    }
                    app.dirty = true;
                }
                Input::Msg(m) => {
                    let fx = app.update(m);
                    if fx.contains(&Effect::Quit) {
                        break Ended::Quit;
                    }
                    for f in fx {
                        if let Effect::JumpTo(t) = f {
                            rp.paused = true;
                            rp.advance_to(&mut app, t.clamp(rp.start, rp.end));
                        }
                    }
                }
            },
            _ = tick.tick() => {
                let now = std::time::Instant::now();
                let dt = now.duration_since(last);
                last = now;
                if !rp.paused && !rp.done() {
                    let t = rp.clock + chrono::Duration::from_std(dt.mul_f64(rp.speed)).unwrap_or_default();
                    rp.advance_to(&mut app, t);
                }
            }
        }
    };
    restore_terminal();
    Ok(ended)
}

/// Follow a commander's journal, read-only (responders' watch mode).
pub async fn run_watch(dir: std::path::PathBuf, mut app: App) -> Result<Ended, String> {
    let (in_tx, mut in_rx) = mpsc::unbounded_channel::<Input>();
    spawn_input(in_tx)?;
    let mut follower = crate::watch::Follower::new(&dir);
    let mut terminal = init_terminal();
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    app.update(Msg::Resize(size.0, size.1));
    // Often enough to be "within a second" of the commander, cheap when idle.
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let ended = loop {
        let commander = app.commander.clone().unwrap_or_else(|| "nobody yet".into());
        app.replay_badge = Some(match &follower.broken {
            Some(b) => format!("WATCHING (read-only) · {b}"),
            None => format!(
                "WATCHING (read-only) · commander {commander} · {} records · ? help · q quit",
                follower.records
            ),
        });
        if app.dirty {
            draw(&mut terminal, &app);
            app.dirty = false;
        }
        tokio::select! {
            Some(i) = in_rx.recv() => match i {
                Input::Gone(w) => break Ended::TerminalGone(w),
                Input::Msg(m) => {
                    if app.update(m).contains(&Effect::Quit) {
                        break Ended::Quit;
                    }
                }
            },
            _ = tick.tick() => {
                let before = follower.records;
                match follower.poll() {
                    Ok(records) if !records.is_empty() => {
                        if follower.records < before {
                            // Re-read from the start after a rewrite.
                            let (id, d) = (app.incident_id.clone(), app.incident_dir.clone());
                            let op = app.operator.clone();
                            app = App::new(chrono::Utc::now(), &id, &d, op);
                            app.read_only = true;
                            app.update(Msg::Resize(size.0, size.1));
                        }
                        crate::watch::apply(&mut app, records);
                    }
                    Ok(_) => {}
                    Err(e) => app.flash = Some(format!("cannot read the journal: {e}")),
                }
                app.update(Msg::Tick(chrono::Utc::now()));
            }
        }
    };
    restore_terminal();
    Ok(ended)
}

/// Where a panic leaves its last word: the console's journal, while it runs.
static PANIC_JOURNAL: std::sync::Mutex<Option<JournalHandle>> = std::sync::Mutex::new(None);

/// On a panic: journal why (the unwinding then drops `Journal`, which
/// writes out everything queued), give the terminal back (mouse capture
/// too, which `ratatui::init`'s own hook leaves on), then print the panic.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Ok(j) = PANIC_JOURNAL.lock()
                && let Some(h) = j.as_ref()
            {
                let msg = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                h.append(Record::SessionEnded {
                    reason: crate::sanitize::line(
                        &format!("panic: {msg}"),
                        crate::sanitize::MAX_SHORT,
                    ),
                });
            }
            restore_terminal();
            prev(info);
        }));
    });
}

/// Enter the alternate screen and raw mode (and mouse capture with
/// --mouse).
fn init_terminal() -> ratatui::DefaultTerminal {
    let t = ratatui::init();
    install_panic_hook();
    if crate::commands::MOUSE.load(std::sync::atomic::Ordering::Relaxed) {
        let _ = execute!(
            std::io::stdout(),
            ratatui::crossterm::event::EnableMouseCapture
        );
    }
    t
}

fn restore_terminal() {
    if crate::commands::MOUSE.load(std::sync::atomic::Ordering::Relaxed) {
        let _ = execute!(
            std::io::stdout(),
            ratatui::crossterm::event::DisableMouseCapture
        );
    }
    ratatui::restore();
}

/// Ctrl-Z: restore the terminal, stop like any job (SIGTSTP), and take
/// the screen back when the shell continues us.
fn suspend_terminal(terminal: &mut ratatui::DefaultTerminal) {
    restore_terminal();
    // SAFETY: raising a signal on ourselves; SIGTSTP's default action stops
    // the process until SIGCONT.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    *terminal = init_terminal();
    let _ = terminal.clear();
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
