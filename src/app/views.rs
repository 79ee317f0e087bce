//! Per-pane view state: selection, scroll offset, sort and filter, and the
//! row indexes they produce. Rows are indexes into the store, so drawing a
//! frame only touches the visible slice.

use super::store::Store;
use crate::model::Time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Runs,
    Timeline,
    Triage,
    Containment,
    Notes,
}

impl Pane {
    pub const ALL: [Pane; 5] = [
        Pane::Runs,
        Pane::Timeline,
        Pane::Triage,
        Pane::Containment,
        Pane::Notes,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Runs => "Runs",
            Pane::Timeline => "Timeline",
            Pane::Triage => "Triage",
            Pane::Containment => "Containment",
            Pane::Notes => "Notes",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Attention order: running, waiting review, queued, paused, ended.
    State,
    /// Most recent activity first.
    Activity,
    Age,
    Agent,
    Workflow,
    Errors,
    Source,
}

impl SortKey {
    const ORDER: [SortKey; 7] = [
        SortKey::State,
        SortKey::Activity,
        SortKey::Age,
        SortKey::Agent,
        SortKey::Workflow,
        SortKey::Errors,
        SortKey::Source,
    ];

    pub fn next(self) -> SortKey {
        let i = Self::ORDER.iter().position(|k| *k == self).unwrap_or(0);
        Self::ORDER[(i + 1) % Self::ORDER.len()]
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::State => "state",
            SortKey::Activity => "activity",
            SortKey::Age => "age",
            SortKey::Agent => "agent",
            SortKey::Workflow => "workflow",
            SortKey::Errors => "errors",
            SortKey::Source => "source",
        }
    }
}

/// Move a selection by `delta` within `len`, keeping `offset` such that the
/// selection stays inside a window of `height` rows.
pub fn scroll(sel: &mut usize, offset: &mut usize, len: usize, height: usize) {
    if len == 0 {
        *sel = 0;
        *offset = 0;
        return;
    }
    *sel = (*sel).min(len - 1);
    let h = height.max(1);
    if *sel < *offset {
        *offset = *sel;
    } else if *sel >= *offset + h {
        *offset = *sel + 1 - h;
    }
    *offset = (*offset).min(len.saturating_sub(h));
}

#[derive(Debug, Clone)]
pub struct RunsView {
    pub sel: usize,
    pub offset: usize,
    pub sort: SortKey,
    pub reverse: bool,
    pub filter: String,
    pub active_only: bool,
    /// Run indexes in display order.
    pub rows: Vec<usize>,
    /// Rows need rebuilding (runs changed, sort or filter changed).
    pub stale: bool,
}

impl Default for RunsView {
    fn default() -> Self {
        RunsView {
            sel: 0,
            offset: 0,
            sort: SortKey::State,
            reverse: false,
            filter: String::new(),
            active_only: false,
            rows: Vec::new(),
            stale: true,
        }
    }
}

fn matches_filter(hay: &[&str], needle: &str) -> bool {
    needle.is_empty() || hay.iter().any(|h| contains_ci(h, needle))
}

/// Case-insensitive substring (ASCII folding; cheap and allocation-free).
pub fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

impl RunsView {
    pub fn rebuild(&mut self, store: &Store, _now: Time) {
        let f = self.filter.as_str();
        let mut rows: Vec<usize> = store
            .runs
            .iter()
            .enumerate()
            .filter(|(_, r)| !self.active_only || r.state.is_active())
            .filter(|(_, r)| {
                matches_filter(
                    &[
                        &r.id,
                        &r.agent,
                        &r.agent_class,
                        &r.workflow,
                        r.state.as_str(),
                        &r.source,
                        &r.assignment,
                    ],
                    f,
                )
            })
            .map(|(i, _)| i)
            .collect();
        let activity = |i: usize| {
            store
                .last_event(i)
                .map(|e| e.at)
                .or(store.runs[i].updated_at)
                .or(store.runs[i].started_at)
        };
        rows.sort_by(|&a, &b| {
            let (ra, rb) = (&store.runs[a], &store.runs[b]);
            let o = match self.sort {
                SortKey::State => ra
                    .state
                    .rank()
                    .cmp(&rb.state.rank())
                    .then(activity(b).cmp(&activity(a))),
                SortKey::Activity => activity(b).cmp(&activity(a)),
                SortKey::Age => ra.started_at.cmp(&rb.started_at),
                SortKey::Agent => ra.agent.cmp(&rb.agent),
                SortKey::Workflow => ra.workflow.cmp(&rb.workflow),
                SortKey::Errors => store.stats(b).errors.cmp(&store.stats(a).errors),
                SortKey::Source => ra.source.cmp(&rb.source),
            }
            .then_with(|| ra.id.cmp(&rb.id));
            if self.reverse { o.reverse() } else { o }
        });
        self.rows = rows;
        self.stale = false;
    }

    pub fn clamp(&mut self, height: usize) {
        scroll(&mut self.sel, &mut self.offset, self.rows.len(), height);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    AllRuns,
    SelectedRun,
}

/// Timeline rows: every event (no index needed) or a list of indexes.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    All(usize),
    List(Vec<u32>),
}

impl Rows {
    pub fn len(&self) -> usize {
        match self {
            Rows::All(n) => *n,
            Rows::List(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn get(&self, i: usize) -> Option<usize> {
        match self {
            Rows::All(n) => (i < *n).then_some(i),
            Rows::List(v) => v.get(i).map(|&x| x as usize),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TimelineView {
    pub scope: Scope,
    pub sel: usize,
    pub offset: usize,
    /// Keep the newest event selected as events arrive.
    pub follow: bool,
    pub filter: String,
    pub rows: Rows,
    /// New events that arrived while not following.
    pub unseen: usize,
}

impl Default for TimelineView {
    fn default() -> Self {
        TimelineView {
            scope: Scope::AllRuns,
            sel: 0,
            offset: 0,
            follow: true,
            filter: String::new(),
            rows: Rows::All(0),
            unseen: 0,
        }
    }
}

fn event_matches(store: &Store, i: usize, f: &str) -> bool {
    let Some(s) = store.events.get(i) else {
        return false;
    };
    let e = &s.event;
    matches_filter(
        &[
            &e.summary,
            e.kind.as_str(),
            &e.run_id,
            e.tool.as_deref().unwrap_or(""),
            e.target.as_deref().unwrap_or(""),
        ],
        f,
    )
}

impl TimelineView {
    /// Recompute rows for the scope and filter.
    pub fn rebuild(&mut self, store: &Store, run: Option<usize>) {
        let f = self.filter.as_str();
        self.rows = match (self.scope, f.is_empty()) {
            (Scope::AllRuns, true) => Rows::All(store.events.len()),
            (Scope::AllRuns, false) => Rows::List(
                (0..store.events.len())
                    .filter(|&i| event_matches(store, i, f))
                    .map(|i| i as u32)
                    .collect(),
            ),
            (Scope::SelectedRun, _) => Rows::List(
                run.map(|r| store.events_of_run(r))
                    .unwrap_or(&[])
                    .iter()
                    .copied()
                    .filter(|&i| event_matches(store, i as usize, f))
                    .collect(),
            ),
        };
        if self.follow {
            self.sel = self.rows.len().saturating_sub(1);
        }
    }

    /// An event was stored at index `n`: add it to the rows if it belongs.
    pub fn on_new_event(&mut self, store: &Store, n: usize, selected_run: Option<usize>) {
        let belongs = match self.scope {
            Scope::AllRuns => true,
            Scope::SelectedRun => selected_run.is_some() && store.run_of_event(n) == selected_run,
        } && event_matches(store, n, &self.filter);
        if !belongs {
            return;
        }
        match &mut self.rows {
            Rows::All(len) => *len = n + 1,
            Rows::List(v) => v.push(n as u32),
        }
        if self.follow {
            self.sel = self.rows.len() - 1;
        } else {
            self.unseen += 1;
        }
    }

    pub fn clamp(&mut self, height: usize) {
        scroll(&mut self.sel, &mut self.offset, self.rows.len(), height);
    }

    pub fn selected_event(&self) -> Option<usize> {
        self.rows.get(self.sel)
    }
}
