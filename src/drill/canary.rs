//! The drill's canaries on one source: the one the platform starts (or
//! the run the operator names), a fresh one when an earlier kind ended it
//! and the next kind needs a live run, every run journaled marked as a
//! canary where it is one, and none left running at the end.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::Options;
use crate::journal::{JournalHandle, Record};
use crate::model::{Run, RunState};
use crate::source::{Actor, Batch, Canary, CanaryAsk, Source};

/// The canaries of one source's drill.
#[derive(Debug, Default)]
pub struct Canaries {
    /// Every canary, the current one last.
    pub all: Vec<Canary>,
    /// The platform starts them (else the operator named the one there is).
    pub started: bool,
    /// Runs a confirmed run-ending action of the drill ended.
    pub ended: HashSet<String>,
}

impl Canaries {
    pub fn current(&self) -> Option<&Canary> {
        self.all.last()
    }

    /// Was the current canary ended by the drill?
    pub fn current_ended(&self) -> bool {
        self.current()
            .is_some_and(|c| self.ended.contains(c.run.id.as_str()))
    }

    fn owns(&self, id: &str) -> bool {
        self.all.iter().any(|c| c.owns(id))
    }

    /// Mark the canaries among runs a poll brought (the platform's own
    /// listing does not say so for LangGraph or Temporal).
    pub fn mark(&self, runs: &mut [Run]) {
        for r in runs.iter_mut().filter(|r| self.owns(&r.id)) {
            r.canary = true;
        }
    }
}

/// Runs and events a read brought, journaled as evidence of the drill
/// (the canaries among the runs marked so).
pub fn journal_batch(j: &JournalHandle, source: &str, mut b: Batch, cs: &Canaries) {
    cs.mark(&mut b.runs);
    for run in b.runs {
        j.append(Record::Run { run });
    }
    for event in b.events {
        j.append(Record::Event {
            source: source.to_string(),
            event,
        });
    }
}

/// Where a drill's canaries come from, for one source.
pub struct Starter<'a> {
    pub src: &'a mut dyn Source,
    pub actor: &'a dyn Actor,
    pub opts: &'a Options,
    pub journal: &'a JournalHandle,
    pub source: &'a str,
}

impl Starter<'_> {
    /// The first canary: one the platform starts (`ask`), else the run the
    /// operator named (`seen`: the runs of the first read). Its origin, or
    /// why there is none.
    pub async fn first(
        &mut self,
        ask: &CanaryAsk,
        seen: Vec<Run>,
        cs: &mut Canaries,
    ) -> Result<(Run, String), String> {
        let why_none = match self.start(ask, cs).await {
            Ok(r) => return Ok((r, "started by the platform for this drill".into())),
            Err(e) => e,
        };
        let Some(id) = &self.opts.canary else {
            return Err(format!(
                "{why_none}; no --canary RUN named: only dry runs were possible"
            ));
        };
        let want = crate::sanitize::id(id);
        let mut runs = seen;
        if !runs.iter().any(|r| r.id == want.as_ref()) {
            runs = self.src.list_active().await.unwrap_or_default();
        }
        let mut run = runs
            .into_iter()
            .find(|r| r.id == want.as_ref())
            .ok_or_else(|| {
                format!("{why_none}; the canary {want} named is not an active run here")
            })?;
        run.canary = true;
        self.journal.append(Record::Run { run: run.clone() });
        self.noted(&run);
        cs.all.push(Canary::of(run.clone()));
        Ok((run, format!("named by the operator ({why_none})")))
    }

    /// A fresh canary, after the drill ended the last one; `Err`: why
    /// there is none.
    pub async fn fresh(&mut self, ask: &CanaryAsk, cs: &mut Canaries) -> Result<Run, String> {
        if !cs.started {
            return Err(
                "the canary was ended by an earlier kind of this drill and this platform starts no canaries: name another run (--canary) to drill this one".into(),
            );
        }
        self.start(ask, cs).await
    }

    /// Ask the platform for a canary and wait until the poller shows it
    /// under way (as a commander's console would).
    async fn start(&mut self, ask: &CanaryAsk, cs: &mut Canaries) -> Result<Run, String> {
        let c = match self.actor.start_canary(ask).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                return Err(
                    "the platform starts no canary unless told which (LangGraph: --canary-assistant NAME; Temporal: --canary-task-queue QUEUE); ACA only with ACA/1.1 canaries".into(),
                );
            }
            Err(e) if matches!(e.status, Some(401 | 403)) => {
                return Err(format!("may not start a canary with this credential ({e})"));
            }
            Err(e) => return Err(format!("starting a canary failed: {e}")),
        };
        cs.started = true;
        cs.all.push(c.clone());
        self.journal.append(Record::Run { run: c.run.clone() });
        self.noted(&c.run);
        let deadline = Instant::now() + self.opts.policy.verify_timeout;
        let mut seen = c.run.clone();
        loop {
            if let Ok(b) = self.src.poll().await {
                if let Some(r) = b.runs.iter().find(|r| r.id == c.run.id) {
                    seen = r.clone();
                    seen.canary = true;
                }
                journal_batch(self.journal, self.source, b, cs);
            }
            let under_way = seen.state.is_active() && seen.state != RunState::Queued;
            if under_way || Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if let Some(last) = cs.all.last_mut() {
            last.run = seen.clone();
        }
        Ok(seen)
    }

    /// One last read, journaled, so the drill's record ends with the
    /// canaries as the platform has them after the drill (a replay shows
    /// them ended, not as last seen while running).
    pub async fn settle(&mut self, cs: &Canaries) {
        if let Ok(b) = self.src.poll().await {
            journal_batch(self.journal, self.source, b, cs);
        }
    }

    /// The drill's record names each canary it acts on.
    fn noted(&self, run: &Run) {
        self.journal.append(Record::Drill {
            at: chrono::Utc::now(),
            operator: self.opts.operator.clone(),
            canaries: vec![format!("{}/{}", self.source, run.id)],
        });
    }
}
