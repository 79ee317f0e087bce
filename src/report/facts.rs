//! What the reports may say, derived once from the incident: the harm the
//! implicated runs did (people counted once per target, money from the
//! events' own figures), the milestones (first harm, first evidence seen,
//! detection, declaration), what each containment action verifiably did,
//! and the review and permission facts the postmortem's "why" questions
//! rest on. Every figure keeps the ids of the events it comes from.
//!
//! Nothing a platform sends is taken as good news by default: a change is
//! a change whatever its kind is called (`DB_WRITE`, `record_deleted`, a
//! tool call the rules class as a write), an event dated where it cannot
//! be is kept out of the figures, a count no list can hold is no count,
//! and evidence the journal lacks (a source down, a run without events)
//! makes what it would have said unknown.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::JournalView;
use crate::app::{ActionState, App, triage::Triage};
use crate::journal::Record;
use crate::model::classify::{Class, Classes};
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
    /// Verified, and then contradicted: the runs it aimed at made changes
    /// after the fresh read (see [`Facts::after`]). Not containment.
    NotHeld,
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
            Outcome::NotHeld => "verified, then contradicted by later changes",
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
    /// Its kind as the reports read it ([`read_kind`]): `DB_WRITE` is a
    /// `db_write`.
    pub kind: &'a EventKind,
    /// What the classification rules make of it.
    pub class: Classes,
}

impl<'a> Ev<'a> {
    /// Does it change the world? One of the four kinds that do, a tool
    /// call the rules class as a write, money or reaching people, anything
    /// the platform calls outbound, or a kind cordon does not know whose
    /// name says it changes something (`record_deleted`).
    pub fn is_change(&self) -> bool {
        self.kind.is_world_change()
            || [
                Class::DataWrite,
                Class::Money,
                Class::UserFacing,
                Class::Outbound,
            ]
            .iter()
            .any(|c| self.class.has(*c))
            || self.e.outbound
            || matches!(self.kind, EventKind::Other(k) if named_like_a_change(k))
    }

    /// A change that is none of the four kinds the reports describe in
    /// their own words (a classified tool call, an unknown kind).
    pub fn is_other_change(&self) -> bool {
        self.is_change() && !self.kind.is_world_change()
    }

    /// A kind cordon does not know that does not say what it did: not
    /// good news, not harm either.
    pub fn is_unknown(&self) -> bool {
        matches!(self.kind, EventKind::Other(k) if !k.contains("alert")) && !self.is_change()
    }

    pub fn target(&self) -> &'a str {
        self.e.target.as_deref().unwrap_or("")
    }
}

/// A known kind in another casing or spelling (`DB_WRITE`, `Message-Sent`)
/// is that kind; anything else is itself.
pub fn read_kind(k: &EventKind) -> &EventKind {
    match k {
        EventKind::Other(s) => {
            let n = s.trim().to_ascii_lowercase().replace(['-', ' ', '.'], "_");
            EventKind::known().find(|x| x.as_str() == n).unwrap_or(k)
        }
        k => k,
    }
}

/// Words in an unknown kind that say it changed something.
const CHANGE_WORDS: [&str; 24] = [
    "writ", "delet", "remov", "insert", "updat", "creat", "modif", "edit", "drop", "truncat",
    "purg", "overwr", "sent", "send", "mail", "messag", "notif", "publish", "pay", "charg",
    "refund", "transfer", "deploy", "push",
];

fn named_like_a_change(kind: &str) -> bool {
    let k = kind.to_ascii_lowercase();
    CHANGE_WORDS.iter().any(|w| k.contains(w))
}

/// More people than there are: a count above this is no count.
pub const MOST_PEOPLE: u64 = 10_000_000_000;

/// A count of people: at least `low`, at most `high` (`None`: no bound
/// the evidence gives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct People {
    pub low: u64,
    pub high: Option<u64>,
}

impl People {
    /// "48,112 people", "between 2,000 and 10,000 people", "up to 500
    /// people", "at least 2,000 people", "an unknown number of people".
    pub fn words(&self) -> String {
        let n = super::md::num;
        match (self.low, self.high) {
            (l, Some(h)) if l >= h => super::md::plural(h, "person", "people"),
            (0, Some(h)) => format!("up to {} people", n(h)),
            (l, Some(h)) => format!("between {} and {} people", n(l), n(h)),
            (0, None) => "an unknown number of people".into(),
            (l, None) => format!("at least {} people", n(l)),
        }
    }

    /// The number alone: "500", "between 2,000 and 10,001", "up to 500",
    /// "at least 2,000", "unknown".
    pub fn figure(&self) -> String {
        let n = super::md::num;
        match (self.low, self.high) {
            (l, Some(h)) if l >= h => n(h),
            (0, Some(h)) => format!("up to {}", n(h)),
            (l, Some(h)) => format!("between {} and {}", n(l), n(h)),
            (0, None) => "unknown".into(),
            (l, None) => format!("at least {} (the rest unknown)", n(l)),
        }
    }

    pub fn certain(&self) -> bool {
        self.high == Some(self.low)
    }
}

/// One target messages went to: people counted once, however the
/// platform spelled it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reach {
    /// As first spelled.
    pub target: String,
    /// Other spellings of the same target (case, spaces).
    pub spellings: Vec<String>,
    /// A list, segment or cohort (not one person).
    pub group: bool,
    /// The group's largest stated size, where an event says it, and that
    /// event.
    pub size: Option<(u64, String)>,
    /// Recipients as the sends report them, summed (credible counts only).
    pub recipients: u64,
    /// The most one send reached: the people certainly reached.
    pub largest: u64,
    pub sends: usize,
    /// Sends that did not say how many they reached.
    pub uncounted: usize,
    /// Sends whose count cannot be right (above [`MOST_PEOPLE`]).
    pub incredible: Vec<String>,
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
    /// The people this target stands for. A person is one. A list: at
    /// least the most one send reached (sends may repeat the same people:
    /// a list sent in full again, a batch retried), at most what the sends
    /// add up to, and never more than the list holds (its stated size, or
    /// one send's count when that is larger). A send that gave no count,
    /// or one that cannot be right, leaves only the list's size as a bound.
    pub fn people(&self) -> People {
        if !self.group {
            return People {
                low: 1,
                high: Some(1),
            };
        }
        let holds = self.size.as_ref().map(|(n, _)| (*n).max(self.largest));
        let all_counted = self.uncounted == 0 && self.incredible.is_empty();
        let high = match (holds, all_counted) {
            (Some(h), true) => Some(h.min(self.recipients)),
            (Some(h), false) => Some(h),
            (None, true) => Some(self.recipients),
            (None, false) => None,
        };
        People {
            low: high.map_or(self.largest, |h| self.largest.min(h)),
            high,
        }
    }

    /// The list's stated size and the larger count of one send to it, when
    /// the two disagree.
    pub fn size_conflict(&self) -> Option<(u64, u64)> {
        self.size
            .as_ref()
            .filter(|(n, _)| *n < self.largest)
            .map(|(n, _)| (*n, self.largest))
    }
}

/// A target as the reports compare it: case, spaces and the spaces around
/// the scheme's colon do not make another list.
pub fn same_target(t: &str) -> String {
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let t = match t.split_once(':') {
        Some((a, b)) => format!("{}:{}", a.trim(), b.trim()),
        None => t,
    };
    t.to_lowercase()
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

/// Evidence the journal lacks.
#[derive(Debug, Clone, PartialEq)]
pub enum Gap {
    /// A source that could not be reached and had not come back when the
    /// journal ends.
    Down {
        source: String,
        since: Time,
        why: String,
    },
    /// A source that was down and came back (its feed resumes where it
    /// stopped, so this is for the record).
    WasDown {
        source: String,
        from: Time,
        to: Time,
    },
    /// An implicated run with no event in the journal.
    NoEvents { run: String },
    /// An implicated run its platform counts more of than the journal
    /// holds.
    Fewer {
        run: String,
        what: &'static str,
        platform: u64,
        seen: u64,
    },
}

impl Gap {
    /// Does it leave what the journal says about the incident incomplete?
    pub fn incomplete(&self) -> bool {
        !matches!(self, Gap::WasDown { .. })
    }

    /// For the internal brief and the postmortem.
    pub fn describe(&self) -> String {
        use super::md;
        match self {
            Gap::Down { source, since, why } => format!(
                "{} unreachable since {} ({}): what happened there since is not in the journal",
                md::code(source),
                md::clock(*since),
                md::text(why)
            ),
            Gap::WasDown { source, from, to } => format!(
                "{} was unreachable from {} to {} (its feed resumed where it stopped)",
                md::code(source),
                md::clock(*from),
                md::clock(*to)
            ),
            Gap::NoEvents { run } => {
                format!("{}: no event of it is in the journal", md::code(run))
            }
            Gap::Fewer {
                run,
                what,
                platform,
                seen,
            } => format!(
                "{}: the platform counts {} {what}; {} {} in the journal",
                md::code(run),
                md::num(*platform),
                md::num(*seen),
                if *seen == 1 { "is" } else { "are" }
            ),
        }
    }
}

pub struct Facts<'a> {
    pub app: &'a App,
    pub tri: std::rc::Rc<Triage>,
    /// Every event of the implicated runs, by time.
    pub events: Vec<Ev<'a>>,
    /// Their world changes ([`Ev::is_change`]), by time.
    pub harm: Vec<Ev<'a>>,
    /// The first and last of them whose time is credible.
    pub first_harm: Option<Ev<'a>>,
    pub last_harm: Option<Ev<'a>>,
    /// Changes of no kind the reports describe in their own words.
    pub other_changes: Vec<Ev<'a>>,
    /// Events of a kind cordon does not know, that do not say what they did.
    pub unknown: Vec<Ev<'a>>,
    /// Events whose time cannot be right, and why; left out of every
    /// figure that rests on time.
    pub not_credible: Vec<(Ev<'a>, String)>,
    /// The same, by (run, event id).
    incredible: HashSet<(usize, &'a str)>,
    /// What the journal lacks: sources down, runs without their evidence.
    pub gaps: Vec<Gap>,
    /// The journal's last record: what the reports know is as of then.
    pub as_of: Time,
    /// Per action (by index): the changes its runs made after it was
    /// verified (see [`Facts::after`]).
    after: Vec<Vec<Ev<'a>>>,
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
    /// Runs still active on the platforms, implicated or not: while any
    /// is, finding nothing yet is no finding.
    pub running: usize,
    pub harmful_active: Vec<usize>,
    /// The first verified containment action that held.
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
                store.events_of_run(run).iter().map(move |&i| {
                    let st = &store.events[i as usize];
                    Ev {
                        run,
                        e: &st.event,
                        kind: read_kind(&st.event.kind),
                        class: st.class,
                    }
                })
            })
            .collect();
        events.sort_by(|a, b| a.e.at.cmp(&b.e.at).then_with(|| a.e.id.cmp(&b.e.id)));
        let not_credible = not_credible(app, j, &events);
        // Looked up per event (a platform may date every event 2099).
        let incredible: HashSet<(usize, &'a str)> = not_credible
            .iter()
            .map(|(x, _)| (x.run, x.e.id.as_str()))
            .collect();
        let credible = |x: &Ev| !incredible.contains(&(x.run, x.e.id.as_str()));
        let harm: Vec<Ev<'a>> = events.iter().copied().filter(Ev::is_change).collect();
        let first_harm = harm.iter().copied().find(|x| credible(x));
        let last_harm = harm.iter().rev().copied().find(|x| credible(x));
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
            other_changes: harm.iter().copied().filter(Ev::is_other_change).collect(),
            unknown: events.iter().copied().filter(Ev::is_unknown).collect(),
            events,
            harm,
            first_harm,
            last_harm,
            not_credible,
            incredible,
            gaps: gaps(app, j, &tri.implicated),
            as_of: j.lines.last().map(|(_, e)| e.ts).unwrap_or(app.now),
            after: vec![],
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
            running: store
                .runs
                .iter()
                .filter(|r| r.source != crate::model::CORDON_SOURCE && r.state.is_active())
                .count(),
            first_containment: None,
            known: BTreeSet::new(),
            reverted: BTreeSet::new(),
        };
        f.after = app.actions.iter().map(|a| f.changes_after(a)).collect();
        f.first_containment = app
            .actions
            .iter()
            .filter(|a| f.contained(a))
            .min_by_key(|a| a.verified_at.unwrap_or(a.at_key));
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

    /// Is this event's time credible (not in [`Facts::not_credible`])?
    pub fn credible(&self, x: &Ev) -> bool {
        !self.incredible.contains(&(x.run, x.e.id.as_str()))
    }

    /// Is the journal's evidence of the incident complete: no source down,
    /// every implicated run's evidence there?
    pub fn complete(&self) -> bool {
        !self.gaps.iter().any(Gap::incomplete)
    }

    /// Does run `ri` fall under action `a` (by id, its workflow, its class,
    /// or everything)?
    pub fn aims_at(&self, a: &ActionState, ri: usize) -> bool {
        let r = &self.app.store.runs[ri];
        let t = &a.req.target;
        a.req.source == r.source.as_str()
            && (t.is_global()
                || t.run_id.as_deref() == Some(r.id.as_str())
                || t.workflow.as_deref() == Some(r.workflow.as_str())
                || t.agent_class.as_deref() == Some(r.agent_class.as_str()))
    }

    /// The changes a verified action should have prevented and did not:
    /// made, by the runs it aims at, after the fresh read that verified
    /// it (a stop, a pause or a rollback: any change; a block: anything
    /// outbound; a revoked tool: its calls).
    fn changes_after(&self, a: &ActionState) -> Vec<Ev<'a>> {
        let Some(t) = a.verified_at.filter(|_| verified(a)) else {
            return vec![];
        };
        let prevents = |x: &Ev| match a.req.kind {
            ActionKind::StopRun
            | ActionKind::TerminateRun
            | ActionKind::RollbackRun
            | ActionKind::PauseWorkflow => true,
            ActionKind::BlockOutbound => {
                x.e.outbound
                    || x.class.has(Class::Outbound)
                    || matches!(x.kind, EventKind::MessageSent | EventKind::ExternalAction)
            }
            ActionKind::RevokeTool => {
                x.e.tool.is_some() && x.e.tool.as_deref() == a.req.target.tool.as_deref()
            }
            _ => false,
        };
        // The changes are in time order: only those after the read.
        let from = self.harm.partition_point(|x| x.e.at <= t);
        self.harm[from..]
            .iter()
            .copied()
            .filter(|x| self.credible(x) && prevents(x) && self.aims_at(a, x.run))
            .collect()
    }

    /// The changes made after action `a` was verified by the runs it aims
    /// at: each one contradicts it.
    pub fn after(&self, a: &ActionState) -> &[Ev<'a>] {
        self.app
            .actions
            .iter()
            .position(|b| std::ptr::eq(a, b))
            .and_then(|i| self.after.get(i))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Verified, and not contradicted by a later change: containment the
    /// reports may claim.
    pub fn contained(&self, a: &ActionState) -> bool {
        verified(a) && self.after(a).is_empty()
    }

    /// What an action came to, with what came after it.
    pub fn outcome(&self, a: &ActionState) -> Outcome {
        match outcome(a) {
            Outcome::Verified if !self.after(a).is_empty() => Outcome::NotHeld,
            o => o,
        }
    }

    /// An action's outcome as the brief and the postmortem word it: a
    /// verified one that later changes contradict says so, with them.
    pub fn outcome_words(&self, a: &ActionState) -> String {
        let after = self.after(a);
        match (self.outcome(a), after.first(), after.last()) {
            (Outcome::NotHeld, Some(first), Some(last)) => {
                let mut runs: Vec<&str> = after.iter().map(|x| self.run_id(x.run)).collect();
                runs.dedup();
                format!(
                    "verified at {}, but {} by {} {} recorded after it ({}): not contained",
                    super::md::clock(a.verified_at.unwrap_or(a.at_key)),
                    super::md::plural(after.len() as u64, "change", "changes"),
                    super::md::codes(&runs),
                    if after.len() == 1 { "is" } else { "are" },
                    if after.len() == 1 {
                        super::md::code(&first.e.id)
                    } else {
                        format!(
                            "{} … {}",
                            super::md::code(&first.e.id),
                            super::md::code(&last.e.id)
                        )
                    }
                )
            }
            (o, _, _) => o.words().to_string(),
        }
    }

    /// As [`ActionState::control_worked`], with a stop that sends came
    /// after counted as one that did not work.
    pub fn control_worked(&self, a: &ActionState) -> Option<bool> {
        a.control_worked().map(|w| w && self.after(a).is_empty())
    }

    pub fn run_id(&self, ri: usize) -> &str {
        &self.app.store.runs[ri].id
    }

    /// Free text with the incident's names in code spans.
    pub fn prose(&self, s: &str) -> String {
        super::md::prose(s, &self.known)
    }

    fn count_harm(&mut self) {
        // By target as compared ([`same_target`]).
        let mut reach: BTreeMap<String, Reach> = BTreeMap::new();
        // Sends whose time is credible set a target's first and last.
        let mut dated: BTreeSet<String> = BTreeSet::new();
        for x in &self.harm {
            let e = x.e;
            let credible = self.credible(x);
            let target = e.target.as_deref().unwrap_or("").trim();
            match x.kind {
                EventKind::MessageSent => {
                    let n = e.data.get_u64("recipients");
                    let incredible = n.is_some_and(|n| n > MOST_PEOPLE);
                    let n = n.filter(|_| !incredible);
                    let key = if target.is_empty() {
                        format!("(unnamed, {})", self.run_id(x.run))
                    } else {
                        same_target(target)
                    };
                    let r = reach.entry(key).or_insert_with(|| Reach {
                        target: if target.is_empty() {
                            format!("(unnamed, {})", self.run_id(x.run))
                        } else {
                            target.to_string()
                        },
                        spellings: vec![],
                        group: false,
                        size: None,
                        recipients: 0,
                        largest: 0,
                        sends: 0,
                        uncounted: 0,
                        incredible: vec![],
                        runs: vec![],
                        first: e.at,
                        last: e.at,
                        first_event: e.id.to_string(),
                        last_event: e.id.to_string(),
                        subject: None,
                        reversible: e.reversible,
                    });
                    if !target.is_empty()
                        && target != r.target
                        && !r.spellings.iter().any(|s| s == target)
                    {
                        r.spellings.push(target.to_string());
                    }
                    r.sends += 1;
                    r.recipients = r.recipients.saturating_add(n.unwrap_or(0));
                    r.largest = r.largest.max(n.unwrap_or(0));
                    r.uncounted += usize::from(n.is_none() && !incredible);
                    if incredible {
                        r.incredible.push(e.id.to_string());
                    }
                    r.group |= is_group(&same_target(target), n.unwrap_or(0)) || incredible;
                    if r.subject.is_none() {
                        r.subject = str_of(e, "subject");
                    }
                    let run = self.run_id(x.run).to_string();
                    if !r.runs.contains(&run) {
                        r.runs.push(run);
                    }
                    if credible {
                        if dated.insert(same_target(&r.target)) {
                            r.first = e.at;
                            r.first_event = e.id.to_string();
                        }
                        r.last = e.at;
                        r.last_event = e.id.to_string();
                    }
                    if e.reversible == Some(false) {
                        r.reversible = Some(false);
                    }
                }
                EventKind::FileWrite => self.files.push(*x),
                _ => {}
            }
            let money = (matches!(x.kind, EventKind::DbWrite | EventKind::ExternalAction)
                && is_money(target))
                || x.class.has(Class::Money);
            if money {
                let m = &mut self.money;
                m.usd += f64_of(e, "amount_usd").unwrap_or(0.0);
                m.rows = m.rows.saturating_add(e.data.get_u64("rows").unwrap_or(0));
                m.events.push(e.id.to_string());
                if *x.kind == EventKind::DbWrite && m.noun.is_none() {
                    m.noun = noun_of(target);
                }
                if m.status.is_none() {
                    m.status = str_of(e, "status");
                }
                if e.outbound {
                    m.outbound.push(e.id.to_string());
                }
            }
            if *x.kind == EventKind::DbWrite
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
        // A group's size: the largest any event of the incident's runs
        // naming the same target says it holds.
        for (key, r) in reach.iter_mut().filter(|(_, r)| r.group) {
            r.size = self
                .events
                .iter()
                .filter(|x| {
                    x.e.target
                        .as_deref()
                        .is_some_and(|t| same_target(t) == *key)
                })
                .filter_map(|x| {
                    ["members", "size", "segment_size"]
                        .iter()
                        .filter_map(|k| x.e.data.get_u64(k))
                        .filter(|&n| n > 0 && n <= MOST_PEOPLE)
                        .max()
                        .map(|n| (n, x.e.id.to_string()))
                })
                .max_by_key(|(n, _)| *n);
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

    /// People reached, counted once: each group as [`Reach::people`], each
    /// person once across messages and changed records. Lists may share
    /// people: at least the most of any one, at most all of them added.
    pub fn people(&self) -> People {
        let mut low = 0u64;
        let mut high = Some(0u64);
        let mut persons: BTreeSet<String> = BTreeSet::new();
        for r in &self.reach {
            if r.group {
                let p = r.people();
                low = low.max(p.low);
                high = high.zip(p.high).map(|(a, b)| a.saturating_add(b));
            } else {
                let t = same_target(&r.target);
                persons.insert(t.split_once(':').map(|x| x.1.to_string()).unwrap_or(t));
            }
        }
        for row in self.records_changed.keys() {
            persons.insert(row.to_lowercase());
        }
        // A change that may have reached people without saying whom (a
        // tool call the rules class as user-facing): no upper bound.
        if self
            .other_changes
            .iter()
            .any(|x| x.class.has(Class::UserFacing) || x.class.has(Class::Outbound) || x.e.outbound)
        {
            high = None;
        }
        // Individuals may also be in a group: at least the larger of the two.
        let n = persons.len() as u64;
        People {
            low: low.max(n),
            high: high.map(|h| h.saturating_add(n)),
        }
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
                .filter(|x| *x.kind == EventKind::ReviewDecision)
                .map(|x| x.e)
                .collect();
            let mut open: Option<&Event> = None;
            for x in evs {
                let e = x.e;
                match x.kind {
                    EventKind::ReviewRequested => open = Some(e),
                    EventKind::ReviewDecision => open = None,
                    _ if x.is_change() => {
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
            let acted: Vec<&Event> = evs
                .iter()
                .filter(|x| x.is_change() && (x.e.outbound || x.e.irreversible()))
                .map(|x| x.e)
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

    /// Harm (world changes) strictly after `t`, of credible time.
    pub fn harm_after(&self, t: Time) -> HarmCount {
        let mut h = HarmCount::default();
        for x in self.harm.iter().filter(|x| x.e.at > t && self.credible(x)) {
            h.events += 1;
            if *x.kind == EventKind::MessageSent {
                let n = x.e.data.get_u64("recipients").filter(|n| *n <= MOST_PEOPLE);
                h.recipients = h.recipients.saturating_add(n.unwrap_or(0));
            }
            if is_money(x.target()) || x.class.has(Class::Money) {
                h.usd += f64_of(x.e, "amount_usd").unwrap_or(0.0);
            }
            if h.first.is_none() {
                h.first = Some(x.e.id.to_string());
            }
            h.last = Some(x.e.id.to_string());
        }
        h
    }

    /// First harm → detection; `Err` (why) when detection comes before
    /// the first harm: a clock is off or the detection time is wrong, and
    /// a negative time to detect means nothing.
    pub fn time_to_detect(&self) -> Option<Result<chrono::TimeDelta, String>> {
        let (d, h) = (self.detection.as_ref()?, self.first_harm?);
        let t = d.at - h.e.at;
        Some(if t < chrono::TimeDelta::zero() {
            Err(format!(
                "detection ({}) is before the first harm ({}, {}): a clock is off or the detection time is wrong",
                super::md::clock(d.at),
                super::md::clock(h.e.at),
                super::md::code(&h.e.id)
            ))
        } else {
            Ok(t)
        })
    }

    /// First harm (the platform's clock) → cordon journaled it (cordon's);
    /// `Err` when cordon's clock says it came first.
    pub fn time_to_see(&self) -> Option<Result<chrono::TimeDelta, String>> {
        let (seen, h) = (self.first_seen.as_ref()?, self.first_harm?);
        // Measured on one event: the first journaled may be one whose
        // own time is not credible.
        if seen.cite.as_deref() != Some(h.e.id.as_str()) {
            return None;
        }
        let t = seen.at - h.e.at;
        Some(if t < chrono::TimeDelta::zero() {
            Err(format!(
                "the platform dates the first harm {} after cordon journaled it: its clock is ahead of cordon's",
                super::md::dur(-t)
            ))
        } else {
            Ok(t)
        })
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
        self.app
            .actions
            .iter()
            .filter(|a| self.aims_at(a, ri))
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

/// How far a platform's clock may run ahead of cordon's before an event
/// dated after cordon received it is not credible.
const AHEAD: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// How old an event may be, against when cordon received it.
const OLDEST: chrono::TimeDelta = chrono::TimeDelta::days(365);

/// Events dated where they cannot be: later than cordon received them
/// (beyond a clock's drift), or long before (the epoch, a zero date).
fn not_credible<'a>(app: &App, j: &JournalView, events: &[Ev<'a>]) -> Vec<(Ev<'a>, String)> {
    let wanted: BTreeSet<(&str, &str)> = events
        .iter()
        .map(|x| (app.store.runs[x.run].source.as_str(), x.e.id.as_str()))
        .collect();
    let mut received: HashMap<(&str, &str), Time> = HashMap::new();
    for (_, entry) in &j.lines {
        if let Record::Event { source, event } = &entry.record
            && let Some(k) = wanted.get(&(source.as_str(), event.id.as_str()))
        {
            received.entry(*k).or_insert(entry.ts);
        }
    }
    events
        .iter()
        .filter_map(|x| {
            let got = *received.get(&(app.store.runs[x.run].source.as_str(), x.e.id.as_str()))?;
            let why = if x.e.at > got + AHEAD {
                "later than cordon received it"
            } else if x.e.at < got - OLDEST {
                "more than a year before cordon received it"
            } else {
                return None;
            };
            Some((
                *x,
                format!(
                    "dated {}, {why} ({})",
                    x.e.at.format("%Y-%m-%d %H:%M:%S UTC"),
                    got.format("%H:%M:%S UTC")
                ),
            ))
        })
        .collect()
}

/// What the journal lacks: sources that went down (and whether they came
/// back), implicated runs with no events or fewer than their platform
/// counts.
fn gaps(app: &App, j: &JournalView, implicated: &[usize]) -> Vec<Gap> {
    let mut out = Vec::new();
    let mut down: BTreeMap<&str, (Time, &str)> = BTreeMap::new();
    for (_, entry) in &j.lines {
        if let Record::SourceStatus {
            source,
            ok,
            message,
        } = &entry.record
        {
            match (ok, down.get(source.as_str())) {
                (false, None) => {
                    down.insert(source, (entry.ts, message));
                }
                (true, Some(&(from, _))) => {
                    out.push(Gap::WasDown {
                        source: source.clone(),
                        from,
                        to: entry.ts,
                    });
                    down.remove(source.as_str());
                }
                _ => {}
            }
        }
    }
    for (source, (since, why)) in down {
        out.push(Gap::Down {
            source: source.to_string(),
            since,
            why: why.to_string(),
        });
    }
    let store = &app.store;
    for &ri in implicated {
        let r = &store.runs[ri];
        let evs: Vec<&crate::app::store::Stored> = store
            .events_of_run(ri)
            .iter()
            .map(|&i| &store.events[i as usize])
            .collect();
        let before = out.len();
        let count = |f: &dyn Fn(&crate::app::store::Stored) -> bool| {
            evs.iter().filter(|s| f(s)).count() as u64
        };
        let external = count(&|s| {
            crate::app::store::is_outbound(&s.event, s.class)
                || matches!(
                    read_kind(&s.event.kind),
                    EventKind::MessageSent | EventKind::ExternalAction
                )
        });
        let calls = count(&|s| *read_kind(&s.event.kind) == EventKind::ToolCall);
        for (what, platform, seen) in [
            ("external actions", r.stats.external_actions, external),
            ("tool calls", r.stats.tool_calls, calls),
        ] {
            if let crate::model::Count::N(n) = platform
                && n > seen
            {
                out.push(Gap::Fewer {
                    run: r.id.to_string(),
                    what,
                    platform: n,
                    seen,
                });
            }
        }
        if evs.is_empty() && out.len() == before {
            out.push(Gap::NoEvents {
                run: r.id.to_string(),
            });
        }
    }
    out
}
