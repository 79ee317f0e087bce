//! Triage from the evidence: which runs are implicated, the seed's
//! questions pre-answered with the events that answer them, the impact
//! inventory, and a suggested severity. Pure functions of the app state.

use std::collections::BTreeMap;

use super::App;
use super::store::{Stored, is_outbound};
use crate::model::classify::Class;
use crate::model::incident::{Answer, HARMS, Repair, Severity};
use crate::model::{EventKind, RunState};

/// One question's answer: what, why, and what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    pub answer: Answer,
    pub note: String,
    /// Event ids or run ids the answer cites.
    pub cites: Vec<String>,
    /// The commander answered (their answer is kept over the evidence's).
    pub by_commander: bool,
}

impl Answered {
    /// An answer from the evidence (not the commander's).
    fn seen(answer: Answer, note: String, cites: Vec<String>) -> Answered {
        Answered {
            answer,
            note,
            cites,
            by_commander: false,
        }
    }
}

/// One target the incident's runs changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub target: String,
    pub kinds: Vec<String>,
    pub count: usize,
    pub runs: Vec<String>,
    /// Some(false) if any change to it is irreversible.
    pub reversible: Option<bool>,
    pub outbound: bool,
    pub recipients: u64,
    pub first: crate::model::Time,
    pub last: crate::model::Time,
    pub first_event: String,
    pub repair: Repair,
    pub repair_note: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Triage {
    /// Run indexes implicated in the incident.
    pub implicated: Vec<usize>,
    /// Drill canaries that would otherwise be implicated (acted on,
    /// flagged, marked): left out, as drills are not harm, and named so
    /// the reports can say what they left out.
    pub canaries: Vec<usize>,
    pub answers: Vec<Answered>,
    pub changes: Vec<Change>,
    pub suggested: Option<Severity>,
    pub because: String,
    /// What the evidence answers, before the commander's answers: shown
    /// beside theirs when the two disagree.
    pub evidence: Vec<Answered>,
}

/// How stale triage may be behind the platforms' events (it is redrawn
/// each second at the latest, by the clock).
pub const TRIAGE_EVERY: chrono::TimeDelta = chrono::TimeDelta::milliseconds(250);

/// Triage as last computed, and what it was computed from.
#[derive(Debug)]
pub struct Cached {
    platform: u64,
    commander: u64,
    marked: std::collections::BTreeSet<usize>,
    at: crate::model::Time,
    triage: std::rc::Rc<Triage>,
}

const MONEY: [&str; 6] = [
    "billing", "payment", "payout", "refund", "invoice", "ledger",
];

fn system_of(target: &str) -> String {
    let (scheme, rest) = target.split_once(':').unwrap_or(("other", target));
    match scheme {
        "file" => "files (repository)".into(),
        "db" => format!("database {}", rest.split('/').next().unwrap_or(rest)),
        "segment" | "email" => "email / customer messaging".into(),
        s => format!("{s} {}", rest.split(['/', '@']).next().unwrap_or(""))
            .trim()
            .to_string(),
    }
}

impl App {
    /// Everything triage derives from what was observed; recomputed only
    /// when a record was applied or the marks changed since the last call
    /// (drawing calls it every frame).
    ///
    /// Under a flood of events it is recomputed at most every
    /// [`TRIAGE_EVERY`] of the app clock (each recompute reads every
    /// implicated run's events); anything the commander does, and the marks,
    /// show at once.
    pub fn triage(&self) -> std::rc::Rc<Triage> {
        if let Ok(c) = self.triage_cache.try_borrow()
            && let Some(c) = c.as_ref()
            && c.commander == self.commander_generation
            && c.marked == self.marked
            && (c.platform == self.generation || self.now - c.at < TRIAGE_EVERY)
        {
            return c.triage.clone();
        }
        let t = std::rc::Rc::new(self.compute_triage());
        if let Ok(mut c) = self.triage_cache.try_borrow_mut() {
            *c = Some(Cached {
                platform: self.generation,
                commander: self.commander_generation,
                marked: self.marked.clone(),
                at: self.now,
                triage: t.clone(),
            });
        }
        t
    }

    fn compute_triage(&self) -> Triage {
        let store = &self.store;
        let mut implicated: Vec<usize> = Vec::new();
        // Flagged by their own evidence (kept by the store as events
        // arrive), acted on, or marked by the commander.
        implicated.extend(store.flagged.iter().copied());
        let acted = self
            .actions
            .iter()
            .filter_map(|a| store.run_idx(&a.req.source, a.req.target.run_id.as_deref()?));
        implicated.extend(acted.chain(self.marked.iter().copied()).filter(|&ri| {
            store
                .runs
                .get(ri)
                .is_some_and(|r| r.source != crate::model::CORDON_SOURCE)
        }));
        implicated.sort_unstable();
        implicated.dedup();
        let (canaries, implicated): (Vec<usize>, Vec<usize>) = implicated
            .into_iter()
            .partition(|&ri| store.runs.get(ri).is_some_and(|r| r.canary));
        // The evidence: each implicated run's events, and events naming a
        // run the platform does not list (they count all the same).
        let groups: Vec<(&str, &[u32])> = implicated
            .iter()
            .map(|&ri| (store.runs[ri].id.as_str(), store.events_of_run(ri)))
            .chain(store.implicating_orphans())
            .collect();
        fn stored<'a>(
            store: &'a super::store::Store,
            evs: &'a [u32],
        ) -> impl Iterator<Item = &'a Stored> + 'a {
            evs.iter().map(move |&e| &store.events[e as usize])
        }
        let all_stored = || groups.iter().flat_map(|&(_, evs)| stored(store, evs));
        let all_events = || all_stored().map(|s| &s.event);
        // A tool call the classification rules say changes the world.
        let classed_change = |s: &Stored| {
            [
                Class::DataWrite,
                Class::Money,
                Class::UserFacing,
                Class::Outbound,
            ]
            .iter()
            .any(|c| s.class.has(*c))
        };
        // Impact inventory.
        let mut by_target: BTreeMap<String, Change> = BTreeMap::new();
        for &(run_id, evs) in &groups {
            for st in
                stored(store, evs).filter(|s| s.event.kind.is_world_change() || classed_change(s))
            {
                let e = &st.event;
                let target: std::borrow::Cow<str> = match (&e.target, &e.tool) {
                    (Some(t), _) => t.as_str().into(),
                    // A tool call without a target: the tool is what changed.
                    (None, Some(tool)) if e.kind == EventKind::ToolCall => {
                        format!("tool {tool}").into()
                    }
                    (None, _) => format!("({} by {run_id})", e.kind.as_str()).into(),
                };
                if !by_target.contains_key(target.as_ref()) {
                    by_target.insert(
                        target.to_string(),
                        Change {
                            target: target.to_string(),
                            kinds: vec![],
                            count: 0,
                            runs: vec![],
                            reversible: e.reversible,
                            outbound: false,
                            recipients: 0,
                            first: e.at,
                            last: e.at,
                            first_event: e.id.to_string(),
                            repair: Repair::Open,
                            repair_note: String::new(),
                        },
                    );
                }
                let Some(c) = by_target.get_mut(target.as_ref()) else {
                    continue;
                };
                c.count += 1;
                if !c.kinds.iter().any(|k| k == e.kind.as_str()) {
                    c.kinds.push(e.kind.as_str().to_string());
                }
                if !c.runs.iter().any(|x| x == run_id) {
                    c.runs.push(run_id.to_string());
                }
                c.reversible = match (c.reversible, e.reversible) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                };
                c.outbound |= is_outbound(e, st.class);
                // A platform's absurd count must not overflow the sum.
                c.recipients = c
                    .recipients
                    .saturating_add(e.data.get_u64("recipients").unwrap_or(0));
                c.first = c.first.min(e.at);
                c.last = c.last.max(e.at);
            }
        }
        let mut changes: Vec<Change> = by_target.into_values().collect();
        for c in &mut changes {
            if let Some((state, note)) = self.incident.repairs.get(&c.target) {
                c.repair = *state;
                c.repair_note = note.clone();
            }
        }
        // The questions.
        let cite = |it: Vec<String>| it.into_iter().take(6).collect::<Vec<_>>();
        let mut answers = Vec::new();
        // 1. Systems touched.
        let mut systems: BTreeMap<String, String> = BTreeMap::new();
        for e in all_events().filter(|e| e.kind.is_world_change() || e.kind == EventKind::ToolCall)
        {
            // Without a target (LangGraph tool calls), the tool names the
            // system it reaches.
            let system = match (&e.target, &e.tool) {
                (Some(t), _) => Some(system_of(t)),
                (None, Some(tool)) => Some(format!("tool {tool}")),
                (None, None) => None,
            };
            if let Some(s) = system {
                systems.entry(s).or_insert_with(|| e.id.to_string());
            }
        }
        answers.push(if systems.is_empty() {
            Answered::seen(
                Answer::Unknown,
                "no tool call or change seen yet".into(),
                vec![],
            )
        } else {
            Answered::seen(
                Answer::Yes,
                systems.keys().cloned().collect::<Vec<_>>().join(", "),
                cite(systems.values().cloned().collect()),
            )
        });
        // 2. Data left a boundary.
        let outbound: Vec<String> = all_stored()
            .filter(|s| is_outbound(&s.event, s.class))
            .map(|s| s.event.id.to_string())
            .collect();
        answers.push(if outbound.is_empty() {
            Answered::seen(Answer::Unknown, "no outbound event seen".into(), vec![])
        } else {
            Answered::seen(
                Answer::Yes,
                format!("{} outbound events", outbound.len()),
                cite(outbound.clone()),
            )
        });
        // 3. Money moved: writes to billing systems, or tool calls the rules
        // class as money (a `charge_card`, an `update_invoice`).
        let money: Vec<&crate::model::Event> = all_stored()
            .filter(|s| {
                let e = &s.event;
                s.class.has(Class::Money)
                    || (matches!(e.kind, EventKind::DbWrite | EventKind::ExternalAction)
                        && e.target
                            .as_deref()
                            .is_some_and(|t| MONEY.iter().any(|m| t.contains(m))))
            })
            .map(|s| &s.event)
            .collect();
        answers.push(if money.is_empty() {
            Answered::seen(
                Answer::Unknown,
                "no write to a billing or payment system seen".into(),
                vec![],
            )
        } else {
            let targets: Vec<String> = money
                .iter()
                .filter_map(|e| {
                    e.target
                        .as_deref()
                        .map(str::to_string)
                        .or_else(|| e.tool.as_deref().map(|t| format!("tool {t}")))
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let by_rule = if money.iter().any(|e| e.kind == EventKind::ToolCall) {
                " (tool calls classified as money by the rules)"
            } else {
                ""
            };
            Answered::seen(
                Answer::Yes,
                format!("may have: {}{by_rule}", targets.join(", ")),
                cite(money.iter().map(|e| e.id.to_string()).collect()),
            )
        });
        // 4. Users affected: messages sent, or tool calls the rules class
        // as reaching people (a `send_email`).
        let sent: Vec<&crate::model::Event> = all_events()
            .filter(|e| e.kind == EventKind::MessageSent && e.outbound)
            .collect();
        let user_calls: Vec<&crate::model::Event> = all_stored()
            .filter(|s| s.class.has(Class::UserFacing))
            .map(|s| &s.event)
            .collect();
        answers.push(if sent.is_empty() && user_calls.is_empty() {
            Answered::seen(Answer::Unknown, if outbound.is_empty() {
                    "no message sent seen".into()
                } else {
                    // Not a contradiction of "data left a boundary": say why.
                    format!(
                        "{} outbound events, none a message to people by the classification rules",
                        outbound.len()
                    )
                }, vec![])
        } else if sent.is_empty() {
            let tools: std::collections::BTreeSet<&str> =
                user_calls.iter().filter_map(|e| e.tool.as_deref()).collect();
            Answered::seen(Answer::Yes, format!(
                    "{} calls to {} (classified as user-facing by the rules); recipients not counted",
                    user_calls.len(),
                    tools.into_iter().collect::<Vec<_>>().join(", ")
                ), cite(user_calls.iter().map(|e| e.id.to_string()).collect()))
        } else {
            let n: u64 = sent
                .iter()
                .map(|e| e.data.get_u64("recipients").unwrap_or(0))
                .fold(0, u64::saturating_add);
            Answered::seen(Answer::Yes, format!("{} messages sent, {n} recipients", sent.len()), cite(sent.iter().map(|e| e.id.to_string()).collect()))
        });
        // 5. Reversible.
        let irreversible: Vec<String> = all_events()
            .filter(|e| e.kind.is_world_change() && e.irreversible())
            .map(|e| e.id.to_string())
            .collect();
        let any_change = all_events().any(|e| e.kind.is_world_change());
        let all_rev = any_change
            && all_events()
                .filter(|e| e.kind.is_world_change())
                .all(|e| e.reversible == Some(true));
        answers.push(if !irreversible.is_empty() {
            Answered::seen(
                Answer::No,
                format!("{} irreversible changes", irreversible.len()),
                cite(irreversible),
            )
        } else if all_rev {
            Answered::seen(
                Answer::Yes,
                "every change seen is reversible".into(),
                vec![],
            )
        } else {
            Answered::seen(Answer::Unknown, "the platform did not say".into(), vec![])
        });
        // 6. Still running.
        let running: Vec<String> = implicated
            .iter()
            .map(|&ri| &store.runs[ri])
            .filter(|r| matches!(r.state, RunState::Running | RunState::WaitingReview))
            .map(|r| r.id.to_string())
            .collect();
        answers.push(if running.is_empty() {
            Answered::seen(Answer::No, "no implicated run is running".into(), vec![])
        } else {
            Answered::seen(
                Answer::Yes,
                format!("{} running", running.len()),
                cite(running),
            )
        });
        // 7. Similar runs queued: of the same source and workflow (or,
        // without one, of the same agent class).
        let similar = |a: &crate::model::Run, b: &crate::model::Run| {
            a.source == b.source
                && if a.workflow.is_empty() || b.workflow.is_empty() {
                    !a.agent_class.is_empty() && a.agent_class == b.agent_class
                } else {
                    a.workflow == b.workflow
                }
        };
        let queued: Vec<String> = store
            .runs
            .iter()
            .filter(|r| {
                r.state == RunState::Queued
                    && implicated.iter().any(|&ri| similar(&store.runs[ri], r))
            })
            .map(|r| r.id.to_string())
            .collect();
        answers.push(if queued.is_empty() {
            Answered::seen(
                Answer::No,
                "none queued in the same workflows".into(),
                vec![],
            )
        } else {
            Answered::seen(
                Answer::Yes,
                format!("{} queued", queued.len()),
                cite(queued),
            )
        });
        // 8. A pattern: the pattern finder's signatures (same tool and
        // target, same error) shared by another run, else several
        // implicated runs of one workflow.
        let mut sigs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for &ri in &implicated {
            for p in self.shared_signatures(ri) {
                if p.runs.len() >= 2 {
                    sigs.entry(p.what).or_insert_with(|| {
                        p.runs
                            .iter()
                            .map(|&r| store.runs[r].id.to_string())
                            .collect()
                    });
                }
            }
        }
        if sigs.is_empty() {
            for &ri in &implicated {
                sigs.entry(format!("workflow {}", store.runs[ri].workflow))
                    .or_default()
                    .push(store.runs[ri].id.to_string());
            }
            sigs.retain(|_, v| v.len() >= 2);
        }
        let pattern: Vec<(String, Vec<String>)> = sigs.into_iter().take(3).collect();
        answers.push(match (implicated.len(), pattern.is_empty()) {
            (0, _) => Answered::seen(Answer::Unknown, "no implicated run yet".into(), vec![]),
            (_, false) => Answered::seen(
                Answer::Yes,
                pattern
                    .iter()
                    .map(|(w, v)| format!("{} runs share {w}", v.len()))
                    .collect::<Vec<_>>()
                    .join("; "),
                cite(pattern.into_iter().flat_map(|(_, v)| v).collect()),
            ),
            _ => Answered::seen(Answer::No, "one run per workflow so far".into(), vec![]),
        });
        // The commander's answers win (the evidence's are kept beside).
        let evidence = answers.clone();
        for (q, a) in answers.iter_mut().enumerate() {
            if let Some((ans, note)) = self.incident.answers.get(&q) {
                a.answer = *ans;
                if !note.is_empty() {
                    a.note = note.clone();
                }
                a.by_commander = true;
            }
        }
        let (suggested, because) = suggest(&answers, &self.incident.harms, !changes.is_empty());
        Triage {
            implicated,
            canaries,
            answers,
            changes,
            suggested: Some(suggested),
            because,
            evidence,
        }
    }
}

/// A severity from the answers and harms; when a key question is unknown,
/// the higher level (the seed: "if unsure, the higher").
pub fn suggest(
    answers: &[Answered],
    harms: &std::collections::BTreeSet<String>,
    changed_world: bool,
) -> (Severity, String) {
    let a = |q: usize| answers.get(q).map(|x| x.answer).unwrap_or(Answer::Unknown);
    let users = a(3) == Answer::Yes;
    let money = a(2) == Answer::Yes;
    let boundary = a(1) == Answer::Yes;
    let irreversible = a(4) == Answer::No;
    let running = a(5) == Answer::Yes || a(6) == Answer::Yes;
    let pattern = a(7) == Answer::Yes;
    let serious = HARMS[3..].iter().any(|h| harms.contains(*h));
    let mut why = Vec::new();
    let mut sev = if users && irreversible && (money || serious || pattern) {
        why.push("users affected irreversibly, with money, serious harm or a pattern");
        1
    } else if users || money || (boundary && irreversible) || serious {
        why.push("users, money or data beyond a boundary affected");
        2
    } else if changed_world || running || harms.contains(HARMS[2]) {
        why.push("changes to the world or work still running");
        3
    } else if harms.contains(HARMS[1]) {
        why.push("a quality issue");
        4
    } else {
        why.push("no impact seen");
        5
    };
    let unsure = [1usize, 2, 3].iter().any(|&q| a(q) == Answer::Unknown);
    if unsure && sev > 2 && (changed_world || running) {
        sev -= 1;
        why.push("raised one level: whether data, money or users were affected is unknown");
    } else if unsure && sev == 2 && irreversible {
        sev = 1;
        why.push("raised one level: irreversible, and money or users still unknown");
    }
    (Severity(sev), why.join("; "))
}
