//! What the reports may say, derived once from the incident: the harm the
//! implicated runs did (people counted once per target, money from the
//! events' own figures), the milestones (first harm, first evidence seen,
//! detection, declaration), what each containment action verifiably did,
//! and the review and permission facts the postmortem's "why" questions
//! rest on. Every figure keeps the ids of the events it comes from.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::JournalView;
use crate::app::{ActionState, App, triage::Triage};
use crate::journal::Record;
use crate::model::{ActionKind, ActionPhase, Event, EventKind, Time};

/// Did this action verifiably change something? The one place the reports
/// decide it: today, confirmed by a fresh read and not a no-op (a run that
/// had already ended, or a platform saying there was nothing to do).
pub fn verified(a: &ActionState) -> bool {
    a.is_verified_effect()
}

/// What an action came to, as the reports word it (from its phase: the
/// outcome the re-read established).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Verified by a fresh read of the same object (see [`verified`]).
    Verified,
    /// A rollback of which some planned writes were reverted, some failed.
    PartlyDone,
    /// The run had ended before the action reached it.
    AlreadyEnded,
    /// Nothing to act on (a rollback whose plan reverts nothing).
    NothingToDo,
    Unconfirmed,
    Refused,
    NoAnswer,
    /// Never sent: its intent could not be journaled.
    NotSent,
    /// The platform says it never received it.
    NotReceived,
    /// After a restart, whether it was applied cannot be told.
    Unknown,
    /// Still under way when the report was written.
    Open,
}

pub fn outcome(a: &ActionState) -> Outcome {
    match a.phase {
        _ if verified(a) => Outcome::Verified,
        ActionPhase::Partial => Outcome::PartlyDone,
        ActionPhase::AlreadyEnded => Outcome::AlreadyEnded,
        ActionPhase::NothingToDo => Outcome::NothingToDo,
        ActionPhase::Unconfirmed => Outcome::Unconfirmed,
        ActionPhase::Refused => Outcome::Refused,
        ActionPhase::Failed => Outcome::NoAnswer,
        ActionPhase::NotSent => Outcome::NotSent,
        ActionPhase::NotReceived => Outcome::NotReceived,
        ActionPhase::Unknown => Outcome::Unknown,
        _ => Outcome::Open,
    }
}

impl Outcome {
    pub fn words(&self) -> &'static str {
        match self {
            Outcome::Verified => "verified",
            Outcome::PartlyDone => "partly done",
            Outcome::AlreadyEnded => "nothing to do (it had already ended)",
            Outcome::NothingToDo => "nothing to do",
            Outcome::Unconfirmed => "NOT confirmed",
            Outcome::Refused => "refused by the platform",
            Outcome::NoAnswer => "no answer from the platform",
            Outcome::NotSent => "not sent (the journal could not record it)",
            Outcome::NotReceived => "never received by the platform",
            Outcome::Unknown => "unknown (cordon restarted before the answer)",
            Outcome::Open => "still under way",
        }
    }

    /// Nothing was there to act on: says nothing about the control.
    pub fn is_no_op(&self) -> bool {
        matches!(self, Outcome::AlreadyEnded | Outcome::NothingToDo)
    }
}

/// A moment the reports name, with how it was established.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub at: Time,
    /// "set by the commander", "first evidence seen by cordon", …
    pub how: String,
    /// The event (or action) it rests on.
    pub cite: Option<String>,
}

/// An event of an implicated run.
#[derive(Debug, Clone, Copy)]
pub struct Ev<'a> {
    pub run: usize,
    pub e: &'a Event,
}

/// One target messages went to: people counted once.
#[derive(Debug, Clone, PartialEq)]
pub struct Reach {
    pub target: String,
    /// A list, segment or cohort (not one person).
    pub group: bool,
    /// The group's size, where an event says it, and that event.
    pub size: Option<(u64, String)>,
    /// Recipients as the sends report them, summed.
    pub recipients: u64,
    /// The largest sum by one run (a lower bound on people reached when
    /// several runs sent to the same group).
    pub most_by_one_run: u64,
    pub sends: usize,
    /// Sends that did not say how many they reached.
    pub uncounted: usize,
    pub runs: Vec<String>,
    pub first: Time,
    pub last: Time,
    pub first_event: String,
    pub last_event: String,
    /// What the message said, when the event gives a subject.
    pub subject: Option<String>,
    pub reversible: Option<bool>,
}

impl Reach {
    /// (at least, at most) people this target stands for.
    pub fn people(&self) -> (u64, u64) {
        if !self.group {
            return (1, 1);
        }
        // No more people than messages, when every send was counted; no
        // more than the list holds.
        let high = match (&self.size, self.uncounted) {
            (Some((n, _)), 0) => (*n).min(self.recipients),
            (Some((n, _)), _) => *n,
            (None, _) => self.recipients,
        };
        (self.most_by_one_run.min(high), high)
    }
}

/// Changes to billing, payments and the like, with the events' figures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Money {
    /// Sum of `amount_usd` over the events that give one.
    pub usd: f64,
    /// Sum of `rows` over the writes that give one.
    pub rows: u64,
    pub events: Vec<String>,
    /// The words for the rows: "refunds", "invoices", …
    pub noun: Option<String>,
    /// `status` the writes set ("approved").
    pub status: Option<String>,
    /// Outbound money actions (a payment provider asked to pay).
    pub outbound: Vec<String>,
}

/// A world change made after a review was asked for and before it was
/// decided (or with no decision yet).
#[derive(Debug, Clone, PartialEq)]
pub struct WriteBeforeReview {
    pub run: String,
    pub requested: String,
    pub write: String,
    pub write_summary: String,
    pub decision: Option<(String, Time, String)>,
    pub at: Time,
}

/// An instruction that let work skip review.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub run: String,
    pub event: String,
    pub phrase: String,
    pub summary: String,
    pub at: Time,
}

/// An assignment asked for less than the run could do, and did.
#[derive(Debug, Clone, PartialEq)]
pub struct Broader {
    pub run: String,
    pub what: String,
    pub cites: Vec<String>,
}

/// Harm counted over a period: world changes by the implicated runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HarmCount {
    pub events: usize,
    pub recipients: u64,
    pub usd: f64,
    pub first: Option<String>,
    pub last: Option<String>,
}

pub struct Facts<'a> {
    pub app: &'a App,
    pub tri: std::rc::Rc<Triage>,
    /// Every event of the implicated runs, by time.
    pub events: Vec<Ev<'a>>,
    /// Their world changes, by time.
    pub harm: Vec<Ev<'a>>,
    pub first_harm: Option<Ev<'a>>,
    pub last_harm: Option<Ev<'a>>,
    /// When cordon first journaled evidence of harm.
    pub first_seen: Option<Mark>,
    pub detection: Option<Mark>,
    pub declared: Option<Mark>,
    pub reach: Vec<Reach>,
    pub money: Money,
    /// Distinct people whose own records were changed (row ids), with the
    /// events.
    pub records_changed: BTreeMap<String, Vec<String>>,
    /// Records that were overwritten over newer data (`data.overwrote`).
    pub overwrote: Vec<String>,
    pub files: Vec<Ev<'a>>,
    pub before_review: Vec<WriteBeforeReview>,
    pub overrides: Vec<Override>,
    pub broader: Vec<Broader>,
    /// Implicated runs still active, and those of them that changed the world.
    pub active: Vec<usize>,
    pub harmful_active: Vec<usize>,
    /// The first verified containment action.
    pub first_containment: Option<&'a ActionState>,
    /// The incident's own names (see [`super::plain::known_names`]).
    pub known: BTreeSet<String>,
    /// Targets whose writes a verified rollback reverted.
    pub reverted: BTreeSet<String>,
}

/// Targets that name a group of people rather than one.
const GROUP_SCHEMES: [&str; 6] = ["segment", "list", "cohort", "group", "audience", "campaign"];
/// Words that make a target about money.
pub const MONEY: [&str; 7] = [
    "billing", "payment", "payout", "refund", "invoice", "ledger", "charge",
];
/// Words that make a record a person's.
const PERSONAL: [&str; 5] = ["customer", "user", "account", "member", "contact"];
/// Phrases in an instruction that let work skip review.
const OVERRIDES: [&str; 12] = [
    "auto_send=true",
    "auto-send",
    "auto_approve=true",
    "auto_approve",
    "skip_review",
    "skip review",
    "bypass review",
    "bypasses review",
    "without review",
    "no review",
    "review=false",
    "require_review=false",
];
/// Assignments that ask for something to be reviewed, not done.
const DRAFT_WORDS: [&str; 8] = [
    "draft",
    "prepare",
    "propose",
    "suggest",
    "for review",
    "summar",
    "research",
    "read-only",
];

fn scheme(target: &str) -> (&str, &str) {
    target.split_once(':').unwrap_or(("", target))
}

pub fn is_group(target: &str, recipients: u64) -> bool {
    let (s, _) = scheme(target);
    GROUP_SCHEMES.contains(&s) || recipients > 1
}

pub fn is_money(target: &str) -> bool {
    let t = target.to_lowercase();
    MONEY.iter().any(|m| t.contains(m))
}

/// `db:crm.customers/cust_5521` → Some("cust_5521") when the table holds
/// people's records.
pub fn personal_row(target: &str) -> Option<&str> {
    let (s, rest) = scheme(target);
    let (table, row) = rest.rsplit_once('/')?;
    let t = table.to_lowercase();
    (matches!(s, "db" | "crm") || t.contains("crm"))
        .then_some(())
        .filter(|_| PERSONAL.iter().any(|p| t.contains(p)))
        .map(|_| row)
        .filter(|r| !r.is_empty())
}

/// The last word of a table name, as the rows' noun: `db:billing.refunds`
/// → "refunds".
fn noun_of(target: &str) -> Option<String> {
    let (_, rest) = scheme(target);
    let table = rest.split('/').next().unwrap_or(rest);
    let word = table.rsplit(['.', ':']).next()?;
    (word.len() > 2 && word.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| word.to_ascii_lowercase())
}

fn f64_of(e: &Event, key: &str) -> Option<f64> {
    e.data
        .value()
        .get(key)
        .and_then(|v| v.as_f64())
        .filter(|x| x.is_finite() && *x >= 0.0)
}

fn str_of(e: &Event, key: &str) -> Option<String> {
    e.data
        .value()
        .get(key)
        .and_then(|v| v.as_str())
        .map(|s| crate::sanitize::line(s, 200))
}

impl<'a> Facts<'a> {
    pub fn new(app: &'a App, j: &JournalView) -> Facts<'a> {
        let tri = app.triage();
        let store = &app.store;
        let mut events: Vec<Ev<'a>> = tri
            .implicated
            .iter()
            .flat_map(|&run| {
                store.events_of_run(run).iter().map(move |&i| Ev {
                    run,
                    e: &store.events[i as usize].event,
                })
            })
            .collect();
        events.sort_by(|a, b| a.e.at.cmp(&b.e.at).then_with(|| a.e.id.cmp(&b.e.id)));
        let harm: Vec<Ev<'a>> = events
            .iter()
            .copied()
            .filter(|x| x.e.kind.is_world_change())
            .collect();
        let first_harm = harm.first().copied();
        let last_harm = harm.last().copied();
        let first_seen = first_seen(app, j, &harm);
        let detection = detection(app, &events, first_seen.as_ref());
        let declared = app
            .incident
            .severity
            .first()
            .map(|(sev, _, _, by, at)| Mark {
                at: *at,
                how: format!("{} set by {by}", sev.label()),
                cite: None,
            });
        let mut f = Facts {
            app,
            tri: tri.clone(),
            events,
            harm,
            first_harm,
            last_harm,
            first_seen,
            detection,
            declared,
            reach: vec![],
            money: Money::default(),
            records_changed: BTreeMap::new(),
            overwrote: vec![],
            files: vec![],
            before_review: vec![],
            overrides: vec![],
            broader: vec![],
            active: vec![],
            harmful_active: vec![],
            first_containment: app
                .actions
                .iter()
                .filter(|a| verified(a))
                .min_by_key(|a| a.verified_at.unwrap_or(a.at_key)),
            known: BTreeSet::new(),
            reverted: BTreeSet::new(),
        };
        for a in &app.actions {
            for e in f.reverted_by(a) {
                if let Some(t) = e.target.as_deref() {
                    f.reverted.insert(t.to_string());
                }
            }
        }
        f.known = super::plain::known_names(app, f.events.iter().map(|x| x.e));
        f.count_harm();
        let by_run = f.by_run();
        f.review_facts(&by_run);
        f.permission_facts(&by_run);
        for &ri in &tri.implicated {
            if store.runs[ri].state.is_active() {
                f.active.push(ri);
                if f.harm.iter().any(|x| x.run == ri) {
                    f.harmful_active.push(ri);
                }
            }
        }
        f
    }

    pub fn run_id(&self, ri: usize) -> &str {
        &self.app.store.runs[ri].id
    }

    /// Free text with the incident's names in code spans.
    pub fn prose(&self, s: &str) -> String {
        super::md::prose(s, &self.known)
    }

    fn count_harm(&mut self) {
        let mut reach: BTreeMap<String, Reach> = BTreeMap::new();
        let mut per_run: HashMap<(String, usize), u64> = HashMap::new();
        for x in &self.harm {
            let e = x.e;
            let target = e.target.as_deref().unwrap_or("");
            match e.kind {
                EventKind::MessageSent => {
                    let n = e.data.get_u64("recipients");
                    let key = if target.is_empty() {
                        format!("(unnamed, {})", self.run_id(x.run))
                    } else {
                        target.to_string()
                    };
                    let r = reach.entry(key.clone()).or_insert_with(|| Reach {
                        target: key.clone(),
                        group: false,
                        size: None,
                        recipients: 0,
                        most_by_one_run: 0,
                        sends: 0,
                        uncounted: 0,
                        runs: vec![],
                        first: e.at,
                        last: e.at,
                        first_event: e.id.to_string(),
                        last_event: e.id.to_string(),
                        subject: None,
                        reversible: e.reversible,
                    });
                    r.sends += 1;
                    r.recipients += n.unwrap_or(0);
                    r.uncounted += usize::from(n.is_none());
                    r.group |= is_group(target, n.unwrap_or(0));
                    if r.subject.is_none() {
                        r.subject = str_of(e, "subject");
                    }
                    let run = self.run_id(x.run).to_string();
                    if !r.runs.contains(&run) {
                        r.runs.push(run);
                    }
                    r.last = e.at;
                    r.last_event = e.id.to_string();
                    if e.reversible == Some(false) {
                        r.reversible = Some(false);
                    }
                    let mine = per_run.entry((key, x.run)).or_default();
                    *mine += n.unwrap_or(0);
                    r.most_by_one_run = r.most_by_one_run.max(*mine);
                }
                EventKind::FileWrite => self.files.push(*x),
                _ => {}
            }
            if matches!(e.kind, EventKind::DbWrite | EventKind::ExternalAction) && is_money(target)
            {
                let m = &mut self.money;
                m.usd += f64_of(e, "amount_usd").unwrap_or(0.0);
                m.rows += e.data.get_u64("rows").unwrap_or(0);
                m.events.push(e.id.to_string());
                if e.kind == EventKind::DbWrite && m.noun.is_none() {
                    m.noun = noun_of(target);
                }
                if m.status.is_none() {
                    m.status = str_of(e, "status");
                }
                if e.outbound {
                    m.outbound.push(e.id.to_string());
                }
            }
            if e.kind == EventKind::DbWrite
                && let Some(row) = personal_row(target)
            {
                self.records_changed
                    .entry(row.to_string())
                    .or_default()
                    .push(e.id.to_string());
                if str_of(e, "overwrote").is_some() {
                    self.overwrote.push(e.id.to_string());
                }
            }
        }
        // A group's size, from any event of the incident's runs that names
        // the same target and says how many it holds.
        for r in reach.values_mut().filter(|r| r.group) {
            r.size = self
                .events
                .iter()
                .filter(|x| x.e.target.as_deref() == Some(r.target.as_str()))
                .find_map(|x| {
                    ["members", "size", "segment_size"]
                        .iter()
                        .find_map(|k| x.e.data.get_u64(k))
                        .filter(|&n| n > 0)
                        .map(|n| (n, x.e.id.to_string()))
                });
        }
        self.reach = reach.into_values().collect();
    }

    /// The writes made before a review decision a report lists one by
    /// one, and a line for the rest ("" when none are left over).
    pub fn before_review_listed(&self) -> (&[WriteBeforeReview], String) {
        const SHOWN: usize = 5;
        let all = &self.before_review;
        let shown = &all[..all.len().min(SHOWN)];
        let rest = &all[shown.len()..];
        let more = match (rest.first(), rest.last()) {
            (Some(a), Some(b)) => format!(
                "- … and {} more writes before their review was decided ({} … {})\n",
                rest.len(),
                super::md::code(&a.write),
                super::md::code(&b.write)
            ),
            _ => String::new(),
        };
        (shown, more)
    }

    /// A change still to repair: its repair state is open (a rollback
    /// confirmed by a re-read marks a target reverted only when every change
    /// to it was reverted).
    pub fn open_repair(&self, c: &crate::app::triage::Change) -> bool {
        c.repair == crate::model::incident::Repair::Open
    }

    /// People reached, counted once: each group by its size (or what the
    /// sends say), each person once across messages and changed records.
    pub fn people(&self) -> (u64, u64) {
        let mut low = 0u64;
        let mut high = 0u64;
        let mut persons: BTreeSet<&str> = BTreeSet::new();
        for r in &self.reach {
            if r.group {
                let (l, h) = r.people();
                low = low.max(l);
                high += h;
            } else {
                persons.insert(r.target.split_once(':').map(|x| x.1).unwrap_or(&r.target));
            }
        }
        for row in self.records_changed.keys() {
            persons.insert(row.as_str());
        }
        // Individuals may also be in a group: at least the larger of the two.
        let n = persons.len() as u64;
        (low.max(n), high + n)
    }

    /// The implicated runs' events, each run's in time order (one pass).
    fn by_run(&self) -> BTreeMap<usize, Vec<Ev<'a>>> {
        let mut m: BTreeMap<usize, Vec<Ev<'a>>> = BTreeMap::new();
        for x in &self.events {
            m.entry(x.run).or_default().push(*x);
        }
        m
    }

    fn review_facts(&mut self, by_run: &BTreeMap<usize, Vec<Ev<'a>>>) {
        for (&ri, evs) in by_run {
            let decisions: Vec<&Event> = evs
                .iter()
                .filter(|x| x.e.kind == EventKind::ReviewDecision)
                .map(|x| x.e)
                .collect();
            let mut open: Option<&Event> = None;
            for x in evs {
                let e = x.e;
                match &e.kind {
                    EventKind::ReviewRequested => open = Some(e),
                    EventKind::ReviewDecision => open = None,
                    k if k.is_world_change() => {
                        if let Some(req) = open {
                            // The first decision at or after the write.
                            let d = decisions.partition_point(|y| y.at < e.at);
                            let decision = decisions
                                .get(d)
                                .map(|y| (y.id.to_string(), y.at, y.summary.to_string()));
                            self.before_review.push(WriteBeforeReview {
                                run: self.run_id(ri).to_string(),
                                requested: req.id.to_string(),
                                write: e.id.to_string(),
                                write_summary: e.summary.to_string(),
                                decision,
                                at: e.at,
                            });
                        }
                    }
                    EventKind::Instruction | EventKind::Assignment => {
                        let low = e.summary.to_lowercase();
                        let run = self.run_id(ri);
                        let seen = |p: &&str| {
                            self.overrides
                                .iter()
                                .any(|o| o.run == run && o.phrase == *p)
                        };
                        // Once per run and phrase: an agent that logs its
                        // instructions at every step says it once.
                        if let Some(p) = OVERRIDES.iter().find(|p| low.contains(*p) && !seen(p)) {
                            self.overrides.push(Override {
                                run: self.run_id(ri).to_string(),
                                event: e.id.to_string(),
                                phrase: p.to_string(),
                                summary: e.summary.to_string(),
                                at: e.at,
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn permission_facts(&mut self, by_run: &BTreeMap<usize, Vec<Ev<'a>>>) {
        for (&ri, evs) in by_run {
            let run = &self.app.store.runs[ri];
            let asked = run.assignment.to_lowercase();
            let mine: Vec<&Event> = evs.iter().map(|x| x.e).collect();
            let acted: Vec<&Event> = mine
                .iter()
                .copied()
                .filter(|e| e.kind.is_world_change() && (e.outbound || e.irreversible()))
                .collect();
            if !asked.is_empty()
                && DRAFT_WORDS.iter().any(|w| asked.contains(w))
                && !acted.is_empty()
            {
                let tools: BTreeSet<&str> =
                    acted.iter().filter_map(|e| e.tool.as_deref()).collect();
                let what = if tools.is_empty() {
                    format!(
                        "asked to \"{}\", it also acted: {}",
                        run.assignment,
                        super::md::plural(
                            acted.len() as u64,
                            "outbound or irreversible change",
                            "outbound or irreversible changes"
                        )
                    )
                } else {
                    format!(
                        "asked to \"{}\", it could also act with {}: {}",
                        run.assignment,
                        tools.into_iter().collect::<Vec<_>>().join(", "),
                        super::md::plural(
                            acted.len() as u64,
                            "outbound or irreversible change",
                            "outbound or irreversible changes"
                        )
                    )
                };
                self.broader.push(Broader {
                    run: run.id.to_string(),
                    what,
                    cites: acted.iter().take(3).map(|e| e.id.to_string()).collect(),
                });
            }
            // Files the assignment names, against the files it wrote.
            let named: Vec<&str> = run
                .assignment
                .split(|c: char| c.is_whitespace() || "'\"(),;".contains(c))
                .filter(|w| {
                    w.len() > 3
                        && w.contains('.')
                        && !w.ends_with('.')
                        && w.chars().any(|c| c.is_ascii_alphabetic())
                })
                .collect();
            if !named.is_empty() {
                let other: Vec<&Event> = mine
                    .iter()
                    .copied()
                    .filter(|e| e.kind == EventKind::FileWrite)
                    .filter(|e| {
                        let t = e.target.as_deref().unwrap_or("");
                        !named.iter().any(|n| t.ends_with(n))
                    })
                    .collect();
                if !other.is_empty() {
                    self.broader.push(Broader {
                        run: run.id.to_string(),
                        what: format!(
                            "the assignment names {}; it wrote {}",
                            named.join(", "),
                            super::md::plural(other.len() as u64, "other file", "other files")
                        ),
                        cites: other.iter().take(3).map(|e| e.id.to_string()).collect(),
                    });
                }
            }
        }
    }

    /// Harm (world changes) strictly after `t`.
    pub fn harm_after(&self, t: Time) -> HarmCount {
        let mut h = HarmCount::default();
        for x in self.harm.iter().filter(|x| x.e.at > t) {
            h.events += 1;
            if x.e.kind == EventKind::MessageSent {
                h.recipients += x.e.data.get_u64("recipients").unwrap_or(0);
            }
            if is_money(x.e.target.as_deref().unwrap_or("")) {
                h.usd += f64_of(x.e, "amount_usd").unwrap_or(0.0);
            }
            if h.first.is_none() {
                h.first = Some(x.e.id.to_string());
            }
            h.last = Some(x.e.id.to_string());
        }
        h
    }

    /// First harm → detection.
    pub fn time_to_detect(&self) -> Option<chrono::TimeDelta> {
        Some(self.detection.as_ref()?.at - self.first_harm?.e.at)
    }

    /// Detection → the last harmful event, once no run that did harm is
    /// still active (None while one is).
    pub fn time_to_contain(&self) -> Option<chrono::TimeDelta> {
        if !self.harmful_active.is_empty() {
            return None;
        }
        Some(self.last_harm?.e.at - self.detection.as_ref()?.at)
    }

    /// Actions aimed at this run (by id, its workflow, its class, or all).
    pub fn actions_on(&self, ri: usize) -> Vec<&'a ActionState> {
        let r = &self.app.store.runs[ri];
        self.app
            .actions
            .iter()
            .filter(|a| a.req.source == r.source.as_str())
            .filter(|a| {
                let t = &a.req.target;
                t.is_global()
                    || t.run_id.as_deref() == Some(r.id.as_str())
                    || t.workflow.as_deref() == Some(r.workflow.as_str())
                    || t.agent_class.as_deref() == Some(r.agent_class.as_str())
            })
            .collect()
    }

    /// The writes a verified rollback reverted, as the platform's
    /// containment events report them (`Reverted <target>`).
    pub fn reverted_by(&self, a: &ActionState) -> Vec<&'a Event> {
        // The writes the re-read showed in the run's `rollback.reverted`.
        if a.req.kind != ActionKind::RollbackRun
            || !matches!(a.phase, ActionPhase::Confirmed | ActionPhase::Partial)
        {
            return vec![];
        }
        let store = &self.app.store;
        a.reverted
            .iter()
            .filter_map(|id| store.event_by_id(&a.req.source, id))
            .collect()
    }
}

/// When cordon first journaled an event of harm (the journal's own clock,
/// not the platform's).
fn first_seen(app: &App, j: &JournalView, harm: &[Ev]) -> Option<Mark> {
    let wanted: BTreeSet<(&str, &str)> = harm
        .iter()
        .map(|x| {
            let r = &app.store.runs[x.run];
            (r.source.as_str(), x.e.id.as_str())
        })
        .collect();
    j.lines.iter().find_map(|(_, entry)| match &entry.record {
        Record::Event { source, event }
            if wanted.contains(&(source.as_str(), event.id.as_str())) =>
        {
            Some(Mark {
                at: entry.ts,
                how: "first evidence of harm journaled by cordon".into(),
                cite: Some(event.id.to_string()),
            })
        }
        _ => None,
    })
}

/// Detection: the commander's `:detected`, else the first alert a platform
/// sent, else the first evidence of harm cordon saw — never the console's
/// start.
fn detection(app: &App, events: &[Ev], first_seen: Option<&Mark>) -> Option<Mark> {
    if let Some(d) = app.incident.detected {
        let by = app
            .incident
            .changes
            .iter()
            .rev()
            .find(|(c, _, _)| matches!(c, crate::journal::IncidentChange::Detected { .. }))
            .map(|(_, by, _)| by.as_str())
            .unwrap_or("the commander");
        return Some(Mark {
            at: d,
            how: format!("set by {by}"),
            cite: None,
        });
    }
    let alert = events
        .iter()
        .find(|x| matches!(&x.e.kind, EventKind::Other(k) if k.contains("alert")));
    if let Some(x) = alert {
        return Some(Mark {
            at: x.e.at,
            how: "the first alert".into(),
            cite: Some(x.e.id.to_string()),
        });
    }
    first_seen.cloned()
}
