//! cordon's own path from a source to its journal, without a terminal: a
//! poll loop (through whatever proxy the test puts in front of the
//! server) feeds a real `App`, whose journal records go to a real journal
//! in a temporary incident directory; the journal is read back as the
//! evidence cordon kept.

use std::time::{Duration, Instant};

use cordon::app::{App, Effect, Msg};
use cordon::journal::{self, Journal, Record};
use cordon::model::Event;
use cordon::source::{SourceMsg, SourceSpec};

pub struct Console {
    pub app: App,
    journal: Journal,
    pub dir: tempfile::TempDir,
    /// Polls that failed (with their message), and that succeeded.
    pub failures: Vec<String>,
    pub polls: usize,
    rx: tokio::sync::mpsc::UnboundedReceiver<SourceMsg>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Console {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Console {
    /// A console on `spec`, polling every `every` with `client`'s bounds.
    pub fn start(spec: &SourceSpec, client: reqwest::Client, every: Duration) -> Console {
        Console::with_actor(spec, client, every).0
    }

    /// [`Console::start`], with the acting side that shares the poller's
    /// state (LangGraph's enforced hold).
    pub fn with_actor(
        spec: &SourceSpec,
        client: reqwest::Client,
        every: Duration,
    ) -> (Console, std::sync::Arc<dyn cordon::source::Actor>) {
        Console::on(tempfile::tempdir().unwrap(), spec, client, every)
    }

    /// The console stops (as a crash would: its poller ends, the journal
    /// keeps what it wrote); its incident directory, to reopen.
    pub fn stop(mut self) -> tempfile::TempDir {
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        // Dropping it ends the poller and closes the journal (its lock).
        drop(self);
        dir
    }

    /// A console reopening the incident in `dir`.
    pub fn reopen(
        dir: tempfile::TempDir,
        spec: &SourceSpec,
        client: reqwest::Client,
        every: Duration,
    ) -> Console {
        Console::on(dir, spec, client, every).0
    }

    fn on(
        dir: tempfile::TempDir,
        spec: &SourceSpec,
        client: reqwest::Client,
        every: Duration,
    ) -> (Console, std::sync::Arc<dyn cordon::source::Actor>) {
        let (app, journal) =
            cordon::commands::open_incident(dir.path(), std::slice::from_ref(spec)).unwrap();
        let (mut src, actor) = cordon::source::build_pair(spec, client).unwrap();
        if let Some(t) = app.caught_up.get(&spec.name) {
            src.resume_from(*t);
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn(cordon::source::poll_loop(src, every, tx));
        let c = Console {
            app,
            journal,
            dir,
            failures: vec![],
            polls: 0,
            rx,
            task,
        };
        (c, actor)
    }

    fn feed(&mut self, m: SourceMsg) {
        match &m {
            SourceMsg::Failed { error, .. } => self.failures.push(error.clone()),
            SourceMsg::Polled { .. } => self.polls += 1,
        }
        let fx = self
            .app
            .update(Msg::Source(Box::new(m), chrono::Utc::now()));
        for f in fx {
            if let Effect::Journal(r) = f {
                self.journal.handle.append(r);
            }
        }
    }

    /// Take what the poll loop sent until `ok(app)` holds, within `secs`.
    pub async fn until(&mut self, what: &str, secs: u64, ok: impl FnMut(&App) -> bool) {
        let done = self.within(secs, ok).await;
        assert!(
            done,
            "timed out waiting for {what}; poll failures: {:?}",
            self.failures
        );
    }

    /// As [`Console::until`], saying whether it held in time.
    pub async fn within(&mut self, secs: u64, mut ok: impl FnMut(&App) -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !ok(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            if let Ok(Some(m)) =
                tokio::time::timeout(left.min(Duration::from_millis(500)), self.rx.recv()).await
            {
                self.feed(m);
            }
        }
        true
    }

    /// Polls until `n` more have answered (after what is now).
    pub async fn polls(&mut self, n: usize, secs: u64) {
        let want = self.polls + n;
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.polls < want {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out waiting for {n} polls; failures {:?}",
                self.failures
            );
            if let Ok(Some(m)) = tokio::time::timeout(left, self.rx.recv()).await {
                self.feed(m);
            }
        }
    }

    /// Every event in the journal, as written (fsync'd first).
    pub fn journal_events(&self) -> Vec<Event> {
        self.journal.handle.sync().expect("the journal syncs");
        let out = journal::read::read_journal(&journal::journal_path(self.dir.path())).unwrap();
        assert!(
            out.bad.is_none() && out.torn.is_none(),
            "the journal is whole"
        );
        out.entries
            .into_iter()
            .filter_map(|e| match e.record {
                Record::Event { event, .. } => Some(event),
                _ => None,
            })
            .collect()
    }
}

impl Console {
    /// The differential check: the journal's events of `runs` against what
    /// the platform's history holds (`compare` gives what is missing and
    /// what is there more than once). Prints the figures; fails on any
    /// miss or repeat, or if no fault was injected and seen.
    pub fn check_journal(
        &self,
        what: &str,
        platform: &str,
        runs: &std::collections::HashSet<&str>,
        compare: impl Fn(&[&Event]) -> (Vec<String>, Vec<String>),
        proxy: &super::proxy::Proxy,
    ) {
        let journal = self.journal_events();
        let mine: Vec<&Event> = journal
            .iter()
            .filter(|e| runs.contains(e.run_id.as_str()))
            .collect();
        let (missing, twice) = compare(&mine);
        eprintln!(
            "FIGURES {what} differential: platform {platform}; journal {} events for them; missing {}; more than once {}; {}; polls failed {}, answered {}",
            mine.len(),
            missing.len(),
            twice.len(),
            proxy.summary(),
            self.failures.len(),
            self.polls
        );
        assert!(missing.is_empty(), "missing from the journal: {missing:?}");
        assert!(twice.is_empty(), "journaled more than once: {twice:?}");
        assert!(
            !proxy.faults().is_empty() && !self.failures.is_empty(),
            "faults were injected and seen"
        );
        let ids: std::collections::HashSet<&str> = journal.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), journal.len(), "no event id twice in the journal");
    }
}

/// A client with short bounds, so an injected stall costs a second.
pub fn quick_client() -> reqwest::Client {
    cordon::source::http::client_with(
        Duration::from_millis(500),
        Duration::from_millis(1500),
        Duration::from_secs(3),
    )
}
