//! The Temporal poller: the IO shell around `convert`.
//!
//! Each poll lists the running executions, then reads, per execution it
//! follows (running now, or running at the last poll and closed since, or
//! a child / a continued-from run its history names): its history, paged
//! (only events after those already turned into events are new); its
//! describe when it closed (how it ended) or while an activity is open
//! (the attempts of a retrying activity and heartbeats, which the history
//! only records when the attempt ends). An execution whose reads all
//! succeeded is committed at once; one whose read failed is left as it was
//! and read again next poll, while what the others gave is delivered (the
//! failure reported as well).

use std::collections::{BTreeSet, HashMap, HashSet};

use futures_util::future::BoxFuture;

use super::convert::{self, Facts};
use super::wire::{self, ExecutionInfo, HistoryEvent};
use super::{Conn, http};
use crate::model::{ActionKind, Run};
use crate::source::{Batch, HttpError};

/// Related executions (children, continued-from runs) read per poll.
const MAX_RELATED: usize = 200;

/// How far back of the newest close time already listed each listing of
/// closed executions looks again.
const CLOSED_OVERLAP: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// An execution as followed.
#[derive(Default)]
struct Exec {
    /// Highest history event id already turned into events.
    after: i64,
    emitted: HashSet<String>,
    facts: Facts,
    info: Option<ExecutionInfo>,
    /// Closed and read to its end.
    done: bool,
}

pub struct Temporal {
    name: String,
    conn: Conn,
    execs: HashMap<String, Exec>,
    /// Executions to read at the next poll besides the running ones.
    follow: BTreeSet<String>,
    reported: HashMap<String, Run>,
    carry: Batch,
    /// What failed in the last poll that still delivered the rest.
    partial: Option<HttpError>,
    /// The newest close time a listing of closed executions showed: those
    /// closed after it are read, so one that started and ended between two
    /// polls is not missed.
    closed_mark: Option<String>,
    info_sent: bool,
}

impl Temporal {
    pub fn new(name: &str, url: &str, client: reqwest::Client) -> Temporal {
        Temporal {
            name: name.into(),
            conn: Conn::new(url, client),
            execs: HashMap::new(),
            follow: BTreeSet::new(),
            reported: HashMap::new(),
            carry: Batch::default(),
            partial: None,
            closed_mark: None,
            info_sent: false,
        }
    }

    /// An execution's whole history, all pages. `None`: no such execution.
    async fn history(
        &self,
        key: &str,
        bytes: &mut usize,
    ) -> Result<Option<Vec<HistoryEvent>>, HttpError> {
        let base = Conn::execution_path(key, "/history");
        let sep = if base.contains('?') { '&' } else { '?' };
        let mut out = Vec::new();
        let mut token = String::new();
        for _ in 0..10_000 {
            let mut path = format!("{base}{sep}maximumPageSize=1000");
            if !token.is_empty() {
                path.push_str(&format!("&nextPageToken={}", http::urlencode(&token)));
            }
            let page: wire::HistoryPage = match self.conn.get(&path, bytes).await {
                Ok(v) => serde_json::from_value(v).unwrap_or_default(),
                Err(e) if e.status == Some(404) => return Ok(None),
                Err(e) => return Err(e),
            };
            out.extend(
                page.history
                    .events
                    .iter()
                    .filter_map(HistoryEvent::from_value),
            );
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) if t != token => token = t,
                _ => break,
            }
        }
        Ok(Some(out))
    }

    /// Executions closed after `mark` (newest first, paged).
    async fn closed_since(
        &self,
        mark: &str,
        bytes: &mut usize,
    ) -> Result<Vec<ExecutionInfo>, HttpError> {
        let q = http::urlencode(&format!("CloseTime > \"{mark}\""));
        let mut out = Vec::new();
        let mut token = String::new();
        for _ in 0..5 {
            let mut path = format!("/workflows?query={q}&pageSize=1000");
            if !token.is_empty() {
                path.push_str(&format!("&nextPageToken={}", http::urlencode(&token)));
            }
            let page: wire::Listing =
                serde_json::from_value(self.conn.get(&path, bytes).await?).unwrap_or_default();
            out.extend(
                page.executions
                    .into_iter()
                    .filter_map(|v| serde_json::from_value(v).ok()),
            );
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) if t != token => token = t,
                _ => break,
            }
        }
        Ok(out)
    }

    /// Read one execution and commit what it gave. `listed`: its entry in
    /// this poll's listing of running executions.
    async fn read(
        &mut self,
        key: &str,
        listed: Option<&ExecutionInfo>,
        bytes: &mut usize,
    ) -> Result<(), HttpError> {
        // How it ended (or what it is), when the listing does not say.
        let mut described: Option<wire::Describe> = None;
        if listed.is_none() {
            match self.conn.describe_counted(key, bytes).await? {
                Some(v) => described = serde_json::from_value(v).ok(),
                None => {
                    self.follow.remove(key);
                    return Ok(());
                }
            }
        }
        let Some(history) = self.history(key, bytes).await? else {
            self.follow.remove(key);
            return Ok(());
        };
        let now = chrono::Utc::now();
        let x = self.execs.entry(key.to_string()).or_default();
        // Converted against a copy: committed only when every read of this
        // execution has answered (a describe failing below loses nothing).
        let mut emitted = x.emitted.clone();
        let (events, facts) = convert::history_events(key, &history, x.after, &mut emitted, now);
        // Open activities of a running execution: their attempts now.
        let info = listed.cloned().or_else(|| {
            described
                .as_ref()
                .map(|d| d.workflow_execution_info.clone())
        });
        let running = info
            .as_ref()
            .is_some_and(|i| convert::state(&i.status).is_active());
        if running
            && facts.open_activities > 0
            && described.is_none()
            && let Some(v) = self.conn.describe_counted(key, bytes).await?
        {
            described = serde_json::from_value(v).ok();
        }
        // Commit.
        let x = self.execs.entry(key.to_string()).or_default();
        x.emitted = emitted;
        x.after = history
            .iter()
            .map(|e| e.id)
            .max()
            .unwrap_or(x.after)
            .max(x.after);
        self.carry.events.extend(events);
        if let Some(d) = described.as_ref().filter(|_| running) {
            self.carry.events.extend(convert::pending_events(
                key,
                &d.pending_activities,
                &mut x.emitted,
                now,
            ));
        }
        x.facts = facts.clone();
        if let Some(i) = info {
            x.info = Some(i);
        }
        if !running {
            x.done = true;
            self.follow.remove(key);
        } else {
            self.follow.insert(key.to_string());
        }
        for r in facts.related.iter().take(MAX_RELATED) {
            let k = convert::run_key(r);
            if !self.execs.get(&k).is_some_and(|x| x.done) {
                self.follow.insert(k);
            }
        }
        if let Some(info) = self.execs.get(key).and_then(|x| x.info.clone())
            && let Some(run) = convert::to_run(&self.name, &info, &self.conn.naming, Some(&facts))
        {
            self.report(run);
        }
        Ok(())
    }

    fn report(&mut self, run: Run) {
        crate::source::report_changed(&mut self.reported, &mut self.carry, run);
    }

    async fn poll_once(&mut self) -> Result<Batch, HttpError> {
        let mut bytes = 0;
        if !self.info_sent {
            self.conn.get("", &mut bytes).await?;
            self.carry.offered = Some(vec![
                ActionKind::StopRun,
                ActionKind::TerminateRun,
                ActionKind::PauseWorkflow,
                ActionKind::ResumeWorkflow,
            ]);
            self.info_sent = true;
        }
        let listed: Vec<ExecutionInfo> = self
            .conn
            .running(&mut bytes)
            .await?
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect();
        let mut keys: Vec<(String, Option<ExecutionInfo>)> = listed
            .into_iter()
            .map(|i| (convert::run_key(&i.execution), Some(i)))
            .filter(|(k, _)| !k.is_empty())
            .collect();
        // A failed read does not lose the others (see the LangGraph
        // poller): the rest is delivered, the failure said.
        let mut failed: Option<HttpError> = None;
        // Closed since the last look (the first look goes five minutes
        // back: what just ended is part of the incident).
        let mark = self.closed_mark.clone().unwrap_or_else(|| {
            (chrono::Utc::now() - chrono::TimeDelta::minutes(5))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        });
        // Asked with some overlap: visibility is indexed apart from the
        // history (late, and not in close order), so one closed before the
        // newest close time already listed may appear only now. Those read
        // to their end are skipped below.
        let since = crate::model::time::parse(&mark)
            .map(|t| (t - CLOSED_OVERLAP).to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
            .unwrap_or_else(|| mark.clone());
        match self.closed_since(&since, &mut bytes).await {
            Ok(closed) => {
                // A close time far ahead of this clock (a skewed or
                // hostile server) would blind every later listing.
                let horizon = chrono::Utc::now() + chrono::TimeDelta::hours(1);
                let newest = closed
                    .iter()
                    .filter_map(|i| i.close_time.clone())
                    .filter(|t| crate::model::time::parse(t).is_some_and(|t| t <= horizon))
                    .chain(std::iter::once(mark.clone()))
                    .max_by_key(|t| crate::model::time::parse(t));
                self.closed_mark = newest;
                for i in closed {
                    let k = convert::run_key(&i.execution);
                    if !k.is_empty()
                        && !self.execs.get(&k).is_some_and(|x| x.done)
                        && !keys.iter().any(|(x, _)| *x == k)
                    {
                        keys.push((k, Some(i)));
                    }
                }
            }
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
        // Followed ones that left the listing (closed), children and
        // continued-from runs; read until what they give is read.
        let mut queue: Vec<String> = self
            .follow
            .iter()
            .filter(|k| !keys.iter().any(|(x, _)| x == *k))
            .cloned()
            .collect();
        let mut read = HashSet::new();
        for (k, info) in std::mem::take(&mut keys) {
            read.insert(k.clone());
            if let Err(e) = self.read(&k, info.as_ref(), &mut bytes).await {
                // Followed until a read succeeds: one seen only in the
                // closed listing would otherwise never be listed again.
                self.follow.insert(k);
                failed.get_or_insert(e);
            }
        }
        // Reading may add to what is followed (children seen just now).
        let mut rounds = 0;
        while let Some(k) = queue.pop() {
            if read.insert(k.clone())
                && let Err(e) = self.read(&k, None, &mut bytes).await
            {
                failed.get_or_insert(e);
            }
            if queue.is_empty() && rounds < 3 {
                rounds += 1;
                queue.extend(self.follow.iter().filter(|k| !read.contains(*k)).cloned());
            }
        }
        self.partial = failed;
        let mut b = std::mem::take(&mut self.carry);
        b.bytes = bytes;
        Ok(b)
    }
}

impl crate::source::Source for Temporal {
    fn name(&self) -> &str {
        &self.name
    }
    /// The first listing of closed executions goes back to then (rather
    /// than five minutes), with the usual overlap.
    fn resume_from(&mut self, since: crate::model::Time) {
        self.closed_mark = Some(since.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true));
    }
    fn poll(&mut self) -> BoxFuture<'_, Result<Batch, HttpError>> {
        Box::pin(self.poll_once())
    }
    fn partial_error(&mut self) -> Option<HttpError> {
        self.partial.take()
    }
    /// One visibility query (paged), no histories.
    fn list_active(&mut self) -> BoxFuture<'_, Result<Vec<Run>, HttpError>> {
        Box::pin(async move {
            let mut bytes = 0;
            let execs = self.conn.running(&mut bytes).await?;
            Ok(execs
                .iter()
                .filter_map(|v| serde_json::from_value::<ExecutionInfo>(v.clone()).ok())
                .filter_map(|i| convert::to_run(&self.name, &i, &self.conn.naming, None))
                .collect())
        })
    }
}
