//! The async side: terminal, input thread, source pollers, clock, and the
//! effects `update` asks for. The UI loop never waits on the network or
//! the disk: the journal has its own thread, sources their own tasks.

use std::io::Write;
use std::time::Duration;

use tokio::sync::mpsc;

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::{App, Effect, Msg};
use crate::contain::{self, ActionMsg, Policy, custom::CustomAction};
use crate::journal::{Journal, JournalHandle, Record};
use crate::model::Time;
use crate::source::{self, Actor, SourceMsg, SourceSpec};
use crate::tui::{Input, Tui};
pub use crate::tui::{TermOptions, check_terminal};

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
            // Handled by the UI loop, which owns the terminal and the theme.
            Effect::Suspend | Effect::Theme(_) => {}
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
        let incident = crate::journal::incident_of(dir);
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
    term: TermOptions,
) -> Result<Console, String> {
    let (src_tx, mut src_rx) = mpsc::unbounded_channel::<SourceMsg>();
    // Listening sources (OTLP) are bounded: a console behind is felt by
    // their senders, not in memory.
    let (lis_tx, mut lis_rx) = mpsc::channel::<SourceMsg>(source::LISTEN_QUEUE);
    let client = source::http::client();
    let mut actors = HashMap::new();
    for spec in specs {
        let (mut src, actor) = source::build_pair(spec, client.clone())?;
        if let Some(t) = app.caught_up.get(&spec.name) {
            src.resume_from(*t);
        }
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

    let (mut tui, mut in_rx) = Tui::open(term, &mut app)?;
    crate::tui::panic_journal(Some(journal.handle.clone()));
    // Fault injection for the crash tests: F12 panics the UI loop.
    let test_panic = std::env::var_os("CORDON_TEST_PANIC").is_some();
    // Actions left without an outcome by the last session: settle them
    // with the platform (never re-sent).
    for fx in app.reconcile_effects() {
        exec.run(fx);
    }
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut enders = Enders::new()?;
    let mut given_back_at = app.generation;

    let ended = loop {
        tui.draw(&mut app);
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
            let fxs = app.update(m);
            tui.on_effects(&fxs, &mut app);
            for fx in fxs {
                suspend |= fx == Effect::Suspend;
                quit |= exec.run(fx);
            }
        }
        if suspend {
            exec.flush();
            tui.suspend();
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
    crate::tui::panic_journal(None);
    let handle = journal.handle.clone();
    let head = journal.close();
    drop(tui);
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
pub async fn run_replay(
    mut rp: crate::replay::Replay,
    mut app: App,
    term: TermOptions,
) -> Result<Ended, String> {
    use ratatui::crossterm::event::KeyCode;
    let (mut tui, mut in_rx) = Tui::open(term, &mut app)?;
    let clock = rp.clock;
    rp.advance_to(&mut app, clock);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut last = std::time::Instant::now();
    let mut enders = Enders::new()?;
    let ended = loop {
        app.replay_badge = Some(rp.badge());
        tui.draw(&mut app);
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
                            let fx = app.update(Msg::Key(k));
                            if tui.read_only_effects(&fx, &mut app) {
                                break Ended::Quit;
                            }
                        }
                    }
                    app.dirty = true;
                }
                Input::Msg(m) => {
                    let fx = app.update(m);
                    if tui.read_only_effects(&fx, &mut app) {
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
    drop(tui);
    Ok(ended)
}

/// Follow a commander's journal, read-only (responders' watch mode).
pub async fn run_watch(
    dir: std::path::PathBuf,
    mut app: App,
    term: TermOptions,
) -> Result<Ended, String> {
    let (mut tui, mut in_rx) = Tui::open(term, &mut app)?;
    let mut follower = crate::watch::Follower::new(&dir);
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
        tui.draw(&mut app);
        tokio::select! {
            Some(i) = in_rx.recv() => match i {
                Input::Gone(w) => break Ended::TerminalGone(w),
                Input::Msg(m) => {
                    let fx = app.update(m);
                    if tui.read_only_effects(&fx, &mut app) {
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
                            let (op, size) = (app.operator.clone(), app.size);
                            app = App::new(chrono::Utc::now(), &id, &d, op);
                            app.read_only = true;
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
    drop(tui);
    Ok(ended)
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
