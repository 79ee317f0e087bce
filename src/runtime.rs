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
    /// The operator's SSH key: the head is signed at every export.
    pub sign_key: Option<std::path::PathBuf>,
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
            sign_key: None,
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
            Effect::Execute(req, dry_run) => {
                // The intent record is in `pending`: append it before the
                // executor's sync, so it is durable before the request.
                self.flush();
                match self.actors.get(&req.source) {
                    Some(a) => {
                        tokio::spawn(contain::execute(
                            a.clone(),
                            req,
                            dry_run.map(|d| *d),
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
            Effect::Reconcile {
                request,
                answer,
                dry_run,
                since,
            } => match self.actors.get(&request.source) {
                Some(a) => {
                    tokio::spawn(contain::reconcile(
                        a.clone(),
                        request,
                        answer,
                        contain::exec::prior_after_crash(dry_run, since),
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
            Effect::Render { kind, request } => {
                // Exports are rebuilt from the journal: flush it first.
                self.flush();
                let (journal, tx, dir) = (
                    self.journal.clone(),
                    self.custom_tx.clone(),
                    self.incident_dir.clone(),
                );
                tokio::task::spawn_blocking(move || {
                    // A journal that cannot be written: the draft is built
                    // from what is on disk, and says so.
                    let synced = journal.sync();
                    let result = crate::report::draft_from_dir(&dir, &kind, chrono::Utc::now())
                        .map(|mut d| {
                            if let Err(e) = synced {
                                d.warnings.insert(
                                    0,
                                    format!("built from the journal on disk, which misses what came after its write failure ({e})"),
                                );
                            }
                            Box::new(d)
                        });
                    let _ = tx.send(Msg::Rendered { request, result });
                });
            }
            Effect::Export(draft) => {
                let (tx, dir, key) = (
                    self.custom_tx.clone(),
                    self.incident_dir.clone(),
                    self.sign_key.clone(),
                );
                tokio::task::spawn_blocking(move || {
                    let result = crate::report::write_export(&dir, &draft, None).map(|w| vec![w]);
                    // The head the draft was rendered from: pinned (and
                    // signed) with the file that rests on it.
                    let head = crate::journal::Head {
                        records: draft.records,
                        hash: draft.head.clone(),
                    };
                    let pin = result
                        .is_ok()
                        .then(|| (head.hash.clone(), pin_and_sign(&head, &dir, key.as_deref())));
                    let _ = tx.send(Msg::Exported(result, pin, chrono::Utc::now()));
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

/// "journal head <hash>", and where the head was signed (or why not):
/// said at every export so it can be pasted into the incident channel.
pub fn pin_and_sign(
    head: &crate::journal::Head,
    dir: &std::path::Path,
    key: Option<&std::path::Path>,
) -> String {
    let mut s = format!("journal head {}", head.hash);
    if let Some(key) = key {
        let incident = dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        match crate::journal::head::sign(key, dir, &incident, head) {
            Ok(sig) => s.push_str(&format!(", signed: {}", sig.display())),
            Err(e) => s.push_str(&format!(", NOT signed: {e}")),
        }
    }
    s
}

/// How a console session ended.
pub struct Console {
    pub ended: Ended,
    /// The journal's head as it was left on disk.
    pub head: Option<crate::journal::Head>,
    /// The journal's write failure, if it had one.
    pub fault: Option<crate::journal::Fault>,
    /// What the commander did after that failure, to copy (never lost
    /// silently): [`App::unsaved_lines`].
    pub unsaved: Vec<String>,
}

/// Run the console until quit. `app` already holds the replayed journal.
/// Returns how it ended, the journal's head as it was left on disk, and
/// the journal's write failure, if it had one (to be said at exit: records
/// after it are missing).
pub async fn run_console(
    mut app: App,
    journal: Journal,
    specs: &[SourceSpec],
    poll: Duration,
    custom: Vec<CustomAction>,
    sign_key: Option<std::path::PathBuf>,
) -> Result<Console, String> {
    let (src_tx, mut src_rx) = mpsc::unbounded_channel::<SourceMsg>();
    // Listening sources (OTLP) are bounded: a console behind is felt by
    // their senders, not in memory.
    let (lis_tx, mut lis_rx) = mpsc::channel::<SourceMsg>(source::LISTEN_QUEUE);
    let client = source::http::client();
    let mut actors = HashMap::new();
    for spec in specs {
        let (src, actor) = source::build_pair(spec, client.clone())?;
        actors.insert(spec.name.clone(), actor);
        if src.listens() {
            tokio::spawn(source::listen_loop(src, poll, lis_tx.clone()));
        } else {
            tokio::spawn(source::poll_loop(src, poll, src_tx.clone()));
        }
    }
    drop((src_tx, lis_tx));
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
    exec.sign_key = sign_key;

    let mut terminal = init_terminal()?;
    let (in_tx, mut in_rx) = mpsc::unbounded_channel::<Input>();
    spawn_input(in_tx)?;
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
    let mut enders = Enders::new()?;
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
            Some(m) = lis_rx.recv() => msgs.push(Msg::Source(Box::new(m), chrono::Utc::now())),
            Some((m, at)) = act_rx.recv() => msgs.push(Msg::Action(m, at)),
            Some(m) = custom_rx.recv() => msgs.push(m),
            _ = tick.tick() => {
                if app.generation >= given_back_at + crate::mem::GIVE_BACK_AFTER {
                    crate::mem::give_back();
                    given_back_at = app.generation;
                }
                msgs.push(Msg::Tick(chrono::Utc::now()))
            }
            n = enders.recv() => break Ended::Signal(n),
        }
        // Coalesce: take whatever else is ready before drawing once. A
        // terminal gone taken here ends the loop once these are applied
        // (it was dropped by a pattern that took only keys, and the
        // console then waited forever on a dead terminal).
        let mut gone = None;
        while msgs.len() < 256 {
            match in_rx.try_recv() {
                Ok(Input::Msg(m)) => msgs.push(m),
                Ok(Input::Gone(why)) => {
                    gone = Some(why);
                    break;
                }
                Err(_) => match src_rx
                    .try_recv()
                    .or_else(|_| lis_rx.try_recv().map_err(|_| ()))
                {
                    Ok(m) => msgs.push(Msg::Source(Box::new(m), chrono::Utc::now())),
                    Err(_) => break,
                },
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
        if let Some(why) = gone {
            break Ended::TerminalGone(why);
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
    let head = journal.close();
    restore_terminal();
    Ok(Console {
        ended,
        head,
        fault: handle.fault(),
        unsaved: app.unsaved_lines(),
    })
}

fn signal(kind: tokio::signal::unix::SignalKind) -> Result<tokio::signal::unix::Signal, String> {
    tokio::signal::unix::signal(kind).map_err(|e| format!("cannot install a signal handler: {e}"))
}

/// The signals that end a console: SIGINT (`kill -INT`; Ctrl-C itself is
/// a key in raw mode), SIGTERM and SIGHUP. Caught, so the terminal is
/// restored and the journal closed with `session_ended` before exit.
struct Enders {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Enders {
    fn new() -> Result<Enders, String> {
        use tokio::signal::unix::SignalKind;
        Ok(Enders {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// The next of them to arrive.
    async fn recv(&mut self) -> i32 {
        tokio::select! {
            _ = self.int.recv() => libc::SIGINT,
            _ = self.term.recv() => libc::SIGTERM,
            _ = self.hup.recv() => libc::SIGHUP,
        }
    }
}

/// The console's terminal: ratatui over crossterm, writing into a
/// [`FrameOut`].
type Term = ratatui::Terminal<ratatui::backend::CrosstermBackend<FrameOut>>;

/// The terminal's output, held until a frame is complete, then written in
/// one piece inside synchronized output (DEC 2026) so SSH links don't
/// flicker. ratatui only emits the cells that changed, but every frame
/// also resets the styles and hides the cursor: a frame that brings only
/// that (learned once at start, `idle`) is not sent at all, so an idle
/// console is silent.
#[derive(Default)]
pub struct FrameOut {
    buf: Vec<u8>,
    /// What a frame that changed no cell writes.
    idle: Vec<u8>,
    /// The next flush is that no-op frame: keep it as `idle` (set from
    /// outside: the backend does not lend its writer).
    learning: Arc<std::sync::atomic::AtomicBool>,
}

impl Write for FrameOut {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let Some(frame) = self.take_frame() else {
            return Ok(());
        };
        let mut out = std::io::stdout().lock();
        out.write_all(&frame).and_then(|_| out.flush())
    }
}

impl FrameOut {
    /// The bytes to send for what was written since the last flush, in
    /// synchronized output; `None` for nothing or a no-op frame.
    fn take_frame(&mut self) -> Option<Vec<u8>> {
        let buf = std::mem::take(&mut self.buf);
        if self
            .learning
            .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            self.idle = buf;
            return None;
        }
        if buf.is_empty() || buf == self.idle {
            return None;
        }
        let mut frame = Vec::with_capacity(buf.len() + 16);
        frame.extend_from_slice(b"\x1b[?2026h");
        frame.extend_from_slice(&buf);
        frame.extend_from_slice(b"\x1b[?2026l");
        Some(frame)
    }
}

/// One frame (see [`FrameOut`]).
fn draw(terminal: &mut Term, app: &App) {
    let _ = terminal.draw(|f| crate::ui::draw(app, f));
}

/// The console needs a terminal to draw on and read keys from: without
/// one (stdout redirected, no controlling tty under cron or `ssh` without
/// `-t`) say so in one line instead of failing inside the terminal set-up.
pub fn check_terminal() -> Result<(), String> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return Err(
            "needs a terminal: stdout is not a tty (run it in a terminal, or over `ssh -t`)".into(),
        );
    }
    // crossterm reads keys from stdin when it is a tty, else /dev/tty.
    if !std::io::stdin().is_terminal() && std::fs::File::open("/dev/tty").is_err() {
        return Err("needs a terminal: stdin is not a tty and there is no controlling terminal (run it in a terminal, or over `ssh -t`)".into());
    }
    Ok(())
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
    let mut terminal = init_terminal()?;
    let (in_tx, mut in_rx) = mpsc::unbounded_channel::<Input>();
    spawn_input(in_tx)?;
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    app.update(Msg::Resize(size.0, size.1));
    let clock = rp.clock;
    rp.advance_to(&mut app, clock);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut last = std::time::Instant::now();
    let mut enders = Enders::new()?;
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
            n = enders.recv() => break Ended::Signal(n),
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
    let mut terminal = init_terminal()?;
    let (in_tx, mut in_rx) = mpsc::unbounded_channel::<Input>();
    spawn_input(in_tx)?;
    let mut follower = crate::watch::Follower::new(&dir);
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    app.update(Msg::Resize(size.0, size.1));
    // Often enough to be "within a second" of the commander, cheap when idle.
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut ticks = 0u64;
    let watching = |f: &crate::watch::Follower, lock| crate::app::Watching {
        lock,
        last_record: f.last_ts,
        records: f.records,
        broken: f.broken.clone(),
    };
    let mut lock = crate::watch::lock_state(&dir);
    app.watching = Some(watching(&follower, lock));
    let mut enders = Enders::new()?;
    let ended = loop {
        app.replay_badge = Some(crate::watch::badge(&app));
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
            n = enders.recv() => break Ended::Signal(n),
            _ = tick.tick() => {
                let before = follower.records;
                match follower.poll() {
                    Ok(entries) if !entries.is_empty() => {
                        if follower.records < before {
                            // Re-read from the start after a rewrite.
                            let (id, d) = (app.incident_id.clone(), app.incident_dir.clone());
                            let (op, theme, size) = (app.operator.clone(), app.theme.clone(), app.size);
                            app = App::new(chrono::Utc::now(), &id, &d, op);
                            app.read_only = true;
                            app.theme = theme;
                            app.update(Msg::Resize(size.0, size.1));
                        }
                        crate::watch::apply(&mut app, entries);
                    }
                    Ok(_) => {}
                    Err(e) => app.flash = Some(format!("cannot read the journal: {e}")),
                }
                // Whether the commander is live: the lock, once a second.
                ticks += 1;
                if ticks.is_multiple_of(5) {
                    lock = crate::watch::lock_state(&dir);
                }
                let w = watching(&follower, lock);
                if app.watching.as_ref() != Some(&w) {
                    app.watching = Some(w);
                    app.dirty = true;
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
/// --mouse); an error is one line saying what is missing.
fn init_terminal() -> Result<Term, String> {
    check_terminal()?;
    install_panic_hook();
    let fail = |e: std::io::Error| format!("cannot set up the terminal: {e}");
    terminal::enable_raw_mode().map_err(fail)?;
    execute!(std::io::stdout(), terminal::EnterAlternateScreen).map_err(fail)?;
    if crate::commands::MOUSE.load(std::sync::atomic::Ordering::Relaxed) {
        let _ = execute!(
            std::io::stdout(),
            ratatui::crossterm::event::EnableMouseCapture
        );
    }
    let learning = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let out = FrameOut {
        learning: learning.clone(),
        ..FrameOut::default()
    };
    let mut t =
        ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(out)).map_err(fail)?;
    // Two empty frames: the second changes no cell, so what it writes is
    // the per-frame noise never worth sending.
    let _ = t.draw(|_| {});
    learning.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = t.draw(|_| {});
    Ok(t)
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
fn suspend_terminal(terminal: &mut Term) {
    restore_terminal();
    // SAFETY: raising a signal on ourselves; SIGTSTP's default action stops
    // the process until SIGCONT.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    if let Ok(t) = init_terminal() {
        *terminal = t;
    }
    let _ = terminal.clear();
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_frame_that_changes_no_cell_sends_nothing() {
        use std::io::Write;
        let mut out = super::FrameOut::default();
        let noise = b"\x1b[39m\x1b[49m\x1b[59m\x1b[0m\x1b[?25l";
        out.learning
            .store(true, std::sync::atomic::Ordering::Relaxed);
        out.write_all(noise).unwrap();
        assert_eq!(out.take_frame(), None, "learned, not sent");
        out.write_all(noise).unwrap();
        assert_eq!(out.take_frame(), None, "a no-op frame is not sent");
        assert_eq!(out.take_frame(), None, "nothing is not sent");
        out.write_all(b"\x1b[1;27H5").unwrap();
        out.write_all(noise).unwrap();
        let f = out.take_frame().expect("a changed cell is sent");
        assert!(f.starts_with(b"\x1b[?2026h\x1b[1;27H5") && f.ends_with(b"\x1b[?2026l"));
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
