//! The console's terminal: raw mode and the alternate screen (and mouse
//! capture with `--mouse`) for as long as a [`Tui`] lives, frames drawn with
//! the loop's theme and sent whole in synchronized output, and the threads
//! that read keys and notice a hangup. The three loops (console, replay,
//! watch) share it; their settings come in as [`TermOptions`].

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::crossterm::event::{self, Event as TermEvent, KeyEventKind};
use ratatui::crossterm::{execute, terminal};
use tokio::sync::mpsc;

use crate::app::{App, Effect, Msg};
use crate::journal::{JournalHandle, Record};
use crate::ui::Theme;

/// How the console's terminal is set up: values from the flags and the
/// config, never read from globals.
#[derive(Debug, Clone, Default)]
pub struct TermOptions {
    /// `--mouse`: capture the mouse (a click focuses and selects, the
    /// wheel scrolls).
    pub mouse: bool,
    /// The theme to draw with, at the terminal's colour depth (`:theme`
    /// changes it for the session).
    pub theme: Theme,
}

/// The terminal of one console loop, from [`Tui::open`] until it is
/// dropped (then the terminal is given back, also on an early error).
pub struct Tui {
    terminal: Term,
    opts: TermOptions,
}

impl Tui {
    /// Enter the console's terminal and start reading it; the app is told
    /// its size.
    pub fn open(
        opts: TermOptions,
        app: &mut App,
    ) -> Result<(Tui, mpsc::UnboundedReceiver<Input>), String> {
        let tui = Tui {
            terminal: init_terminal(opts.mouse)?,
            opts,
        };
        let (tx, rx) = mpsc::unbounded_channel::<Input>();
        spawn_input(tx)?;
        let size = tui
            .terminal
            .size()
            .map(|s| (s.width, s.height))
            .unwrap_or((80, 24));
        app.update(Msg::Resize(size.0, size.1));
        Ok((tui, rx))
    }

    /// One frame, when something visible changed (see [`FrameOut`]).
    pub fn draw(&mut self, app: &mut App) {
        if app.dirty {
            let theme = &self.opts.theme;
            let _ = self.terminal.draw(|f| crate::ui::draw(app, theme, f));
            app.dirty = false;
        }
    }

    /// `:theme NAME` asked for another theme: drawn with from now on; one
    /// that does not load goes back to the palette with why.
    pub fn on_effects(&mut self, fx: &[Effect], app: &mut App) {
        for f in fx {
            if let Effect::Theme(name) = f {
                match self.opts.theme.switch(name) {
                    Ok(()) => app.dirty = true,
                    Err(e) => {
                        app.update(Msg::ThemeFailed(e));
                    }
                }
            }
        }
    }

    /// What `update` asked of a read-only loop (watch, replay): `true` to
    /// quit; else the theme, and Ctrl-Z at once (they write nothing; the
    /// console's loop flushes its journal first).
    pub fn read_only_effects(&mut self, fx: &[Effect], app: &mut App) -> bool {
        if fx.contains(&Effect::Quit) {
            return true;
        }
        self.on_effects(fx, app);
        if fx.contains(&Effect::Suspend) {
            self.suspend();
            app.dirty = true;
        }
        false
    }

    /// Ctrl-Z: give the terminal back, stop like any job (SIGTSTP), and
    /// take the screen back when the shell continues us.
    pub fn suspend(&mut self) {
        restore_terminal();
        // SAFETY: raising a signal on ourselves; SIGTSTP's default action
        // stops the process until SIGCONT.
        unsafe {
            libc::raise(libc::SIGTSTP);
        }
        if let Ok(t) = init_terminal(self.opts.mouse) {
            self.terminal = t;
        }
        let _ = self.terminal.clear();
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Input comes a few times a second: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Input {
    Msg(Msg),
    /// The terminal went away (EIO, closed pty): end instead of spinning.
    Gone(String),
}

/// The console's terminal: ratatui over crossterm, writing into a
/// [`FrameOut`].
pub type Term = ratatui::Terminal<ratatui::backend::CrosstermBackend<FrameOut>>;

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

/// Where a panic leaves its last word: the console's journal, while it runs.
static PANIC_JOURNAL: std::sync::Mutex<Option<JournalHandle>> = std::sync::Mutex::new(None);

/// The console's journal, for a panic to write its last word to (`None`
/// once the console has closed it).
pub fn panic_journal(j: Option<JournalHandle>) {
    if let Ok(mut p) = PANIC_JOURNAL.lock() {
        *p = j;
    }
}

/// Mouse capture was asked for (`--mouse`): what a panic's restore undoes
/// too (the hook has no `Tui` to ask).
static MOUSE: AtomicBool = AtomicBool::new(false);

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
fn init_terminal(mouse: bool) -> Result<Term, String> {
    check_terminal()?;
    install_panic_hook();
    MOUSE.store(mouse, Ordering::Relaxed);
    let fail = |e: std::io::Error| format!("cannot set up the terminal: {e}");
    terminal::enable_raw_mode().map_err(fail)?;
    execute!(std::io::stdout(), terminal::EnterAlternateScreen).map_err(fail)?;
    if mouse {
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
    if MOUSE.load(Ordering::Relaxed) {
        let _ = execute!(
            std::io::stdout(),
            ratatui::crossterm::event::DisableMouseCapture
        );
    }
    ratatui::restore();
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
}
