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
    /// What reached the world first (see `harm::Harm::rank`), then state.
    Harm,
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
    const ORDER: [SortKey; 8] = [
        SortKey::Harm,
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
            SortKey::Harm => "harm",
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
    /// The commander moved the selection; until then it rests on the most
    /// harmful active run.
    pub chosen: bool,
}

impl Default for RunsView {
    fn default() -> Self {
        RunsView {
            sel: 0,
            offset: 0,
            sort: SortKey::Harm,
            reverse: false,
            filter: String::new(),
            active_only: false,
            rows: Vec::new(),
            stale: true,
            chosen: false,
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
        let harm = |i: usize| super::harm::of_run(store, i).rank();
        rows.sort_by(|&a, &b| {
            let (ra, rb) = (&store.runs[a], &store.runs[b]);
            let o = match self.sort {
                SortKey::Harm => harm(b)
                    .cmp(&harm(a))
                    .then(ra.state.rank().cmp(&rb.state.rank()))
                    .then(activity(b).cmp(&activity(a))),
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

    /// Row of the most harmful active run (the first active row on a tie),
    /// whatever the sort; `None` when no shown run is active.
    pub fn most_harmful_active(&self, store: &Store) -> Option<usize> {
        let mut best: Option<(usize, _)> = None;
        for (pos, &ri) in self.rows.iter().enumerate() {
            if !store.runs[ri].state.is_active() {
                continue;
            }
            let rank = super::harm::of_run(store, ri).rank();
            if best.as_ref().is_none_or(|(_, b)| rank > *b) {
                best = Some((pos, rank));
            }
        }
        best.map(|b| b.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    AllRuns,
    SelectedRun,
}

/// Timeline rows: every event (the view's time order, no second index)
/// or a time-ordered list of indexes.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    All,
    List(Vec<u32>),
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
    /// Every stored event, ordered by its time (then arrival): platforms
    /// may deliver out of order, cordon's own lines carry its clock.
    order: Vec<u32>,
    /// Events that arrived after an event of the same run with a later
    /// time (a bit per event index): shown in time order, marked LATE.
    /// Runs are read one after another, so across runs arrival order says
    /// nothing; within a run it does (the store keeps each run's latest).
    late: Vec<u64>,
}

impl Default for TimelineView {
    fn default() -> Self {
        TimelineView {
            scope: Scope::AllRuns,
            sel: 0,
            offset: 0,
            follow: true,
            filter: String::new(),
            rows: Rows::All,
            unseen: 0,
            order: Vec::new(),
            late: Vec::new(),
        }
    }
}

/// Where event `n` goes in a time-ordered list (after every event at the
/// same time: it arrived last).
fn time_slot(store: &Store, list: &[u32], n: usize) -> usize {
    let at = store.events[n].event.at;
    match list.last() {
        Some(&l) if store.events[l as usize].event.at > at => {
            list.partition_point(|&x| store.events[x as usize].event.at <= at)
        }
        _ => list.len(),
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
    pub fn len(&self) -> usize {
        match &self.rows {
            Rows::All => self.order.len(),
            Rows::List(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The event index shown at row `i`.
    pub fn row(&self, i: usize) -> Option<usize> {
        match &self.rows {
            Rows::All => self.order.get(i),
            Rows::List(v) => v.get(i),
        }
        .map(|&x| x as usize)
    }

    /// Event `n` arrived after an event with a later time.
    pub fn is_late(&self, n: usize) -> bool {
        self.late
            .get(n / 64)
            .is_some_and(|w| w & (1 << (n % 64)) != 0)
    }

    /// Recompute rows for the scope and filter.
    pub fn rebuild(&mut self, store: &Store, run: Option<usize>) {
        let f = self.filter.as_str();
        self.rows = match (self.scope, f.is_empty()) {
            (Scope::AllRuns, true) => Rows::All,
            (Scope::AllRuns, false) => Rows::List(
                self.order
                    .iter()
                    .copied()
                    .filter(|&i| event_matches(store, i as usize, f))
                    .collect(),
            ),
            (Scope::SelectedRun, _) => {
                let mut v: Vec<u32> = run
                    .map(|r| store.events_of_run(r))
                    .unwrap_or(&[])
                    .iter()
                    .copied()
                    .filter(|&i| event_matches(store, i as usize, f))
                    .collect();
                v.sort_by_key(|&i| (store.events[i as usize].event.at, i));
                Rows::List(v)
            }
        };
        if self.follow {
            self.sel = self.len().saturating_sub(1);
        }
    }

    /// An event was stored at index `n`: place it in time order (marking
    /// it late if a later event came first) and add it to the rows if it
    /// belongs. The selected event stays selected and in place.
    pub fn on_new_event(&mut self, store: &Store, n: usize, selected_run: Option<usize>) {
        let at = store.events[n].event.at;
        let later = store
            .run_of_event(n)
            .and_then(|ri| store.last_event(ri))
            .is_some_and(|e| at < e.at);
        if later {
            if self.late.len() <= n / 64 {
                self.late.resize(n / 64 + 1, 0);
            }
            self.late[n / 64] |= 1 << (n % 64);
        }
        let slot = time_slot(store, &self.order, n);
        self.order.insert(slot, n as u32);
        let belongs = match self.scope {
            Scope::AllRuns => true,
            Scope::SelectedRun => selected_run.is_some() && store.run_of_event(n) == selected_run,
        } && event_matches(store, n, &self.filter);
        if !belongs {
            return;
        }
        let pos = match &mut self.rows {
            Rows::All => slot,
            Rows::List(v) => {
                let p = time_slot(store, v, n);
                v.insert(p, n as u32);
                p
            }
        };
        if self.follow {
            self.sel = self.len() - 1;
            return;
        }
        self.unseen += 1;
        if pos <= self.sel && self.len() > 1 {
            self.sel += 1;
        }
        if pos < self.offset {
            self.offset += 1;
        }
    }

    pub fn clamp(&mut self, height: usize) {
        let len = self.len();
        scroll(&mut self.sel, &mut self.offset, len, height);
    }

    pub fn selected_event(&self) -> Option<usize> {
        self.row(self.sel)
    }
}

/// Whether the writer lock of a followed incident is held now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// A process holds it (its pid): a commander is live.
    Held(u32),
    /// Nobody holds it: no commander has the incident open.
    Free,
    /// The lock could not be checked (no /proc/locks).
    Unknown,
}

/// What a watcher knows about the commander it follows (`cordon watch`).
#[derive(Debug, Clone, PartialEq)]
pub struct Watching {
    pub lock: Lock,
    /// When the last journal record was written (its own timestamp).
    pub last_record: Option<Time>,
    pub records: usize,
    /// The chain broke here: said once, plainly.
    pub broken: Option<String>,
}

/// Is the followed commander live, as far as the lock and the journal's
/// session records tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Commander {
    /// Nobody has opened the incident yet.
    Nobody,
    Live {
        who: String,
        pid: Option<u32>,
    },
    /// Gone: how the session ended (`None`: no session_ended record, the
    /// process died without one).
    Gone {
        who: String,
        why: Option<String>,
    },
}

impl Commander {
    pub fn of(app: &super::App, w: &Watching) -> Commander {
        let Some(who) = app.commander.clone() else {
            return Commander::Nobody;
        };
        let why = app.session_ended.clone();
        match w.lock {
            Lock::Held(pid) => Commander::Live {
                who,
                pid: Some(pid),
            },
            Lock::Free => Commander::Gone { who, why },
            // Without the lock, the session records are all there is.
            Lock::Unknown if why.is_none() => Commander::Live { who, pid: None },
            Lock::Unknown => Commander::Gone { who, why },
        }
    }

    /// "alice@host LIVE", "alice@host GONE (quit)".
    pub fn label(&self) -> String {
        match self {
            Commander::Nobody => "none yet".into(),
            Commander::Live { who, .. } => format!("{who} LIVE"),
            Commander::Gone { who, why } => format!(
                "{who} GONE ({})",
                why.as_deref()
                    .unwrap_or("ended without a word: crashed or killed")
            ),
        }
    }

    pub fn is_live(&self) -> bool {
        matches!(self, Commander::Live { .. })
    }
}
