//! The real binary under a pty (160x48) with a terminal emulator reading
//! what it writes: shared by the benches that look at the screen.
#![allow(dead_code)]

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_cordon");

/// Everything the console wrote: each chunk, when it arrived, and the
/// screen's text after it (through a terminal emulator, since a frame
/// only rewrites the cells that changed).
pub type Screen = Arc<Mutex<Vec<(Instant, Vec<u8>, String)>>>;

pub struct Console {
    child: Child,
    pub out: Screen,
}

impl Console {
    pub fn start(args: &[&str], dir: &std::path::Path) -> Console {
        let (mut m, mut s) = (0, 0);
        let ws = libc::winsize {
            ws_row: 48,
            ws_col: 160,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty fills two fds we then own.
        let rc =
            unsafe { libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), &ws) };
        assert_eq!(rc, 0);
        // SAFETY: flags on fds we own; the child must not inherit the master.
        unsafe {
            libc::fcntl(m, libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(s, libc::F_SETFD, libc::FD_CLOEXEC);
        }
        // SAFETY: fresh fds from openpty.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(m), OwnedFd::from_raw_fd(s)) };
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .arg("--incident-dir")
            .arg(dir)
            .env("TERM", "xterm-256color")
            .env("XDG_STATE_HOME", dir.parent().unwrap())
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::null());
        // SAFETY: setsid is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let child = cmd.spawn().expect("cordon starts");
        drop(cmd);
        drop(slave);
        let out: Screen = Arc::default();
        let o = out.clone();
        let mut f = std::fs::File::from(master);
        std::thread::spawn(move || {
            let nz = |n: u16| std::num::NonZero::new(n).unwrap();
            let mut vt = vt100::Parser::new(nz(48), nz(160), 0);
            let mut buf = vec![0u8; 1 << 16];
            while let Ok(n) = f.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let at = Instant::now();
                vt.process(&buf[..n]);
                let text = vt.screen().contents();
                o.lock().unwrap().push((at, buf[..n].to_vec(), text));
            }
        });
        Console { child, out }
    }

    pub fn bytes(&self) -> usize {
        self.out
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b, _)| b.len())
            .sum()
    }

    pub fn chunks(&self) -> usize {
        self.out.lock().unwrap().len()
    }

    /// When `needle` was first on screen, looking from chunk `from`.
    pub fn seen(&self, needle: &str, from: usize) -> Option<Instant> {
        let out = self.out.lock().unwrap();
        out.iter()
            .skip(from)
            .find(|(_, _, text)| text.contains(needle))
            .map(|(t, _, _)| *t)
    }

    pub fn wait_for(&self, needle: &str, from: usize) -> Instant {
        let start = Instant::now();
        loop {
            if let Some(t) = self.seen(needle, from) {
                return t;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "never saw {needle}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub fn cpu_secs(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        let f: Vec<&str> = stat[stat.rfind(')').unwrap_or(0) + 2..]
            .split_whitespace()
            .collect();
        let v = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
        (v(11) + v(12)) / 100.0
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// min / median / max of samples, one line.
pub fn stats(name: &str, unit: &str, mut v: Vec<f64>) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{name:<44} n={:<3} min {:>8.1}  median {:>8.1}  max {:>8.1} {unit}",
        v.len(),
        v[0],
        v[v.len() / 2],
        v[v.len() - 1]
    );
}
