//! The generic Agent Control API (ACA/1) adapter.
//!
//! Cost per poll stays incremental: the event feed is read from the saved
//! cursor; only runs that had events (or are new) are re-read one by one;
//! the active-runs list is reconciled at a slow cadence, not every poll.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::Deserialize;

use super::http::{self, HttpError};
use super::{Batch, Source};
use crate::model::{ActionKind, Controls, Event, Run, event::WireEvent};

/// Events asked per page; pages per poll are bounded so one poll cannot run
/// away on a huge backlog (the rest comes next poll).
const PAGE: usize = 500;
const MAX_PAGES: usize = 20;
/// Runs re-read one by one per poll, at most.
const MAX_RUN_READS: usize = 64;
const RECONCILE_EVERY: Duration = Duration::from_secs(10);

pub struct Aca {
    name: String,
    base: String,
    client: reqwest::Client,
    cursor: Option<String>,
    /// Runs we know and whether they were active at last read.
    known: HashMap<String, bool>,
    last_reconcile: Option<Instant>,
    info_read: bool,
}

#[derive(Deserialize)]
struct EventsPage {
    #[serde(default)]
    events: Vec<WireEvent>,
    #[serde(default)]
    next_cursor: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RunsPage {
    #[serde(default)]
    runs: Vec<serde_json::Value>,
    #[serde(default)]
    next_cursor: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Info {
    #[serde(default)]
    actions: Vec<String>,
}

fn cursor_str(v: &Option<serde_json::Value>) -> Option<String> {
    match v {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(crate::sanitize::line(s, 256)),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

impl Aca {
    pub fn new(name: &str, base: &str, client: reqwest::Client) -> Aca {
        Aca {
            name: name.to_string(),
            base: base.trim_end_matches('/').to_string(),
            client,
            cursor: None,
            known: HashMap::new(),
            last_reconcile: None,
            info_read: false,
        }
    }

    async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
        bytes: &mut usize,
    ) -> Result<Vec<u8>, HttpError> {
        let req = self
            .client
            .get(format!("{}{}", self.base, path))
            .query(query);
        let (_, body) = http::send(req).await?;
        *bytes += body.len();
        Ok(body)
    }

    async fn read_run(&self, id: &str, bytes: &mut usize) -> Result<Option<Run>, HttpError> {
        let path = format!("/v1/runs/{}", urlencode(id));
        match self.get(&path, &[], bytes).await {
            Ok(body) => {
                let v: serde_json::Value = http::json(&body)?;
                Ok(Run::from_wire(&self.name, &v))
            }
            // A run that vanished is not a source failure.
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// All active runs, every page.
    async fn active_runs(&self, bytes: &mut usize) -> Result<Vec<Run>, HttpError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES * 10 {
            let mut q = vec![
                ("state", "active".to_string()),
                ("limit", "500".to_string()),
            ];
            if let Some(c) = &cursor {
                q.push(("cursor", c.clone()));
            }
            let page: RunsPage = http::json(&self.get("/v1/runs", &q, bytes).await?)?;
            out.extend(
                page.runs
                    .iter()
                    .filter_map(|v| Run::from_wire(&self.name, v)),
            );
            match cursor_str(&page.next_cursor) {
                Some(c) if Some(&c) != cursor.as_ref() && !page.runs.is_empty() => cursor = Some(c),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn poll_once(&mut self) -> Result<Batch, HttpError> {
        let mut batch = Batch::default();
        let mut bytes = 0usize;
        if !self.info_read {
            let info: Info = http::json(&self.get("/v1/info", &[], &mut bytes).await?)?;
            batch.offered = Some(
                info.actions
                    .iter()
                    .filter_map(|a| ActionKind::parse(a))
                    .collect(),
            );
            self.info_read = true;
        }
        // 1. New events from the cursor.
        let now = chrono::Utc::now();
        for _ in 0..MAX_PAGES {
            let mut q = vec![("limit", PAGE.to_string())];
            if let Some(c) = &self.cursor {
                q.push(("after", c.clone()));
            }
            let page: EventsPage = http::json(&self.get("/v1/events", &q, &mut bytes).await?)?;
            let n = page.events.len();
            batch.events.extend(
                page.events
                    .into_iter()
                    .filter_map(|w| Event::from_wire(w, now)),
            );
            if let Some(c) = cursor_str(&page.next_cursor) {
                self.cursor = Some(c);
            }
            if n < PAGE {
                break;
            }
        }
        // 2. Re-read runs that had events (state and counters changed).
        let mut touched: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for e in &batch.events {
            if seen.insert(e.run_id.as_str()) {
                touched.push(e.run_id.clone());
            }
        }
        // 3. Reconcile the active list at a slow cadence.
        let reconcile = self
            .last_reconcile
            .is_none_or(|t| t.elapsed() >= RECONCILE_EVERY);
        if reconcile {
            let active = self.active_runs(&mut bytes).await?;
            let active_ids: HashSet<&str> = active.iter().map(|r| r.id.as_str()).collect();
            // Runs we thought active that left the list: read their end state.
            for (id, was_active) in &self.known {
                if *was_active && !active_ids.contains(id.as_str()) && !seen.contains(id.as_str()) {
                    touched.push(id.clone());
                }
            }
            touched.retain(|id| !active_ids.contains(id.as_str()));
            for r in &active {
                self.known.insert(r.id.clone(), true);
            }
            batch.runs = active;
            self.last_reconcile = Some(Instant::now());
        }
        for id in touched.into_iter().take(MAX_RUN_READS) {
            if let Some(r) = self.read_run(&id, &mut bytes).await? {
                self.known.insert(r.id.clone(), r.state.is_active());
                batch.runs.push(r);
            }
        }
        if reconcile || !batch.events.is_empty() {
            let c: Controls = http::json(&self.get("/v1/controls", &[], &mut bytes).await?)?;
            batch.controls = Some(c);
        }
        batch.bytes = bytes;
        Ok(batch)
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Source for Aca {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll(&mut self) -> BoxFuture<'_, Result<Batch, HttpError>> {
        Box::pin(self.poll_once())
    }
}

impl Aca {
    /// Every active run, for `cordon runs`.
    pub async fn list_active(&self) -> Result<Vec<Run>, HttpError> {
        let mut bytes = 0;
        self.active_runs(&mut bytes).await
    }
}
