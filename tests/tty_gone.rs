//! A vanished terminal (the pty's far side closed, reads fail with EIO)
//! ends the console instead of spinning: it exits on its own, having used
//! little CPU, with `session_ended` journaled and the chain intact.
//!
//! The console runs in its own session, so closing the pty sends it no
//! SIGHUP: only the failing reads can tell it the terminal is gone.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_vanished_tty_ends_the_process_instead_of_spinning() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("INC-EIO");
    let (mut master, mut slave) = (0, 0);
    let ws = libc::winsize {
        ws_row: 40,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty fills two fds we then own.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &ws,
        )
    };
    assert_eq!(rc, 0, "openpty failed");
    // The child must not inherit the master, or the pty never closes.
    // SAFETY: setting a flag on fds we own.
    unsafe {
        libc::fcntl(master, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(slave, libc::F_SETFD, libc::FD_CLOEXEC);
    }
    // SAFETY: both fds are fresh from openpty and owned here only.
    let master = unsafe { OwnedFd::from_raw_fd(master) };
    let slave = unsafe { OwnedFd::from_raw_fd(slave) };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cordon"));
    cmd.args(["demo", "--incident-dir"])
        .arg(&dir)
        .env("XDG_STATE_HOME", tmp.path())
        .env("TERM", "xterm-256color")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::null());
    // SAFETY: setsid is async-signal-safe; no controlling tty, no SIGHUP.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    // Reaped below with wait4, which also gives its CPU time.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("cordon starts");
    drop(cmd);
    drop(slave);
    // Read the screen until the first frame shows the simulator healthy.
    let mut term = std::fs::File::from(master);
    let mut seen = Vec::new();
    let mut buf = [0u8; 65536];
    let start = Instant::now();
    while !String::from_utf8_lossy(&seen).contains("sim ok") {
        assert!(start.elapsed() < Duration::from_secs(30), "no first frame");
        let n = term.read(&mut buf).expect("the console draws");
        seen.extend_from_slice(&buf[..n]);
    }
    // The terminal vanishes.
    drop(term);
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data filled by wait4.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let start = Instant::now();
    loop {
        // SAFETY: waiting on our own child, non-blocking.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if start.elapsed() > Duration::from_secs(20) {
            // SAFETY: killing our own child before failing.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("cordon still running 20 s after its terminal vanished");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(libc::WIFEXITED(status), "ended by a signal: {status}");
    let cpu = usage.ru_utime.tv_sec as f64
        + usage.ru_utime.tv_usec as f64 / 1e6
        + usage.ru_stime.tv_sec as f64
        + usage.ru_stime.tv_usec as f64 / 1e6;
    // A spinning input loop would burn a core for the whole wait.
    assert!(cpu < 5.0, "used {cpu:.1} s of CPU");
    let journal = cordon::journal::journal_path(&dir);
    let text = std::fs::read_to_string(&journal).unwrap();
    let last = text.lines().last().unwrap();
    assert!(
        last.contains("\"type\":\"session_ended\"") && last.contains("terminal gone"),
        "{last}"
    );
    assert!(cordon::journal::verify(&journal).unwrap().is_ok());
}
