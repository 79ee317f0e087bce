//! The async side: terminal, input thread, source pollers, clock, and the
//! effects `update` asks for. The UI loop never waits on the network or
//! the disk: the journal has its own thread, sources their own tasks.

use std::io::Write;
use std::time::Duration;

use ratatui::crossterm::event::{self, Event as TermEvent, KeyEventKind};
use ratatui::crossterm::{execute, terminal};
use tokio::sync::mpsc;

use crate::app::{App, Effect, Msg};
use crate::journal::{Journal, Record};
use crate::source::{self, SourceMsg, SourceSpec};

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

/// Run the console until quit. `app` already holds the replayed journal.
pub async fn run_console(
    mut app: App,
    journal: Journal,
    specs: &[SourceSpec],
    poll: Duration,
) -> Result<Ended, String> {
    let (src_tx, mut src_rx) = mpsc::unbounded_channel::<SourceMsg>();
    let client = source::http::client();
    for spec in specs {
        let src = source::build(spec, client.clone())?;
        tokio::spawn(source::poll_loop(src, poll, src_tx.clone()));
    }
    drop(src_tx);

    let (in_tx, mut in_rx) = mpsc::unbounded_channel::<Input>();
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || input_thread(in_tx))
        .map_err(|e| format!("cannot start the input thread: {e}"))?;

    let mut terminal = ratatui::init();
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    app.update(Msg::Resize(size.0, size.1));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut sigterm = signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut sighup = signal(tokio::signal::unix::SignalKind::hangup())?;

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
            _ = tick.tick() => msgs.push(Msg::Tick(chrono::Utc::now())),
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
        let mut records = Vec::new();
        for m in msgs {
            for fx in app.update(m) {
                match fx {
                    Effect::Journal(r) => records.push(r),
                    Effect::Quit => quit = true,
                }
            }
        }
        // One group per loop turn: one write and one fsync.
        journal.handle.append_all(records);
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
    journal.close();
    ratatui::restore();
    Ok(ended)
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

fn input_thread(tx: mpsc::UnboundedSender<Input>) {
    let mut errors = 0;
    loop {
        match event::read() {
            Ok(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => {
                if tx.send(Input::Msg(Msg::Key(k))).is_err() {
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
