//! The postmortem's timeline: every milestone (first harm, first evidence
//! seen, detection, declaration, severity and status changes, each
//! containment action with its verified outcome, each communication,
//! decisions) and the implicated runs' evidence with repeats collapsed
//! ("`run_9744` retried billing.api 122× from 12:01:03 to 12:09:40, all
//! 503"). Repeats never swallow a milestone: a run of repeats is split at
//! every milestone, so what happened after detection or after a stop is
//! its own line; and only consecutive repeats of a run collapse, so what
//! the run did between two of them keeps its place. Nothing is cut; the
//! full record is `evidence.json`.

use std::collections::BTreeMap;

use super::facts::{Ev, Facts, Outcome};
use super::md;
use crate::journal::IncidentChange;
use crate::model::incident::NoteKind;
use crate::model::{EventKind, Time};

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub at: Time,
    pub text: String,
    pub milestone: bool,
}

fn line(at: Time, milestone: bool, text: String) -> Line {
    Line {
        at,
        text,
        milestone,
    }
}

/// Every milestone of the incident, by time.
pub fn milestones(f: &Facts) -> Vec<Line> {
    let app = f.app;
    let s = &app.incident;
    let mut v = Vec::new();
    if let Some(x) = f.first_harm {
        v.push(line(
            x.e.at,
            true,
            format!(
                "**First harm**: {} {}{} ({})",
                md::code(f.run_id(x.run)),
                x.e.kind.as_str(),
                x.e.target
                    .as_deref()
                    .map(|t| format!(" to {}", md::code(t)))
                    .unwrap_or_default(),
                md::code(&x.e.id)
            ),
        ));
    }
    if let Some(m) = &f.first_seen {
        v.push(line(
            m.at,
            true,
            format!(
                "**First evidence seen**: {}{}",
                m.how,
                m.cite
                    .as_deref()
                    .map(|c| format!(" ({})", md::code(c)))
                    .unwrap_or_default()
            ),
        ));
    }
    if let Some(m) = &f.detection {
        v.push(line(
            m.at,
            true,
            format!(
                "**Detected** ({}){}",
                m.how,
                m.cite
                    .as_deref()
                    .map(|c| format!(", {}", md::code(c)))
                    .unwrap_or_default()
            ),
        ));
    }
    let mut prev = None;
    for (i, (sev, sug, reason, by, at)) in s.severity.iter().enumerate() {
        let what = if i == 0 {
            format!("**Declared** at {}", sev.label())
        } else {
            format!(
                "**Severity** {} → {}",
                prev.map(|p: crate::model::incident::Severity| p.label())
                    .unwrap_or_default(),
                sev.label()
            )
        };
        let sug = sug
            .filter(|x| x != sev)
            .map(|x| format!(" (triage suggested {})", x.label()))
            .unwrap_or_default();
        v.push(line(
            *at,
            true,
            format!("{what} by {}: {}{sug}", md::text(by), f.prose(reason)),
        ));
        prev = Some(*sev);
    }
    for (ch, by, at) in &s.changes {
        match ch {
            IncidentChange::Status { status } => v.push(line(
                *at,
                true,
                format!("**Status** {} (by {})", status.as_str(), md::text(by)),
            )),
            IncidentChange::Role { role, person } => v.push(line(
                *at,
                true,
                format!(
                    "**Role**: {} is {} (by {})",
                    role.as_str(),
                    md::text(person),
                    md::text(by)
                ),
            )),
            _ => {}
        }
    }
    for a in &app.actions {
        let o = f.outcome(a);
        let took = a
            .secs(a.verified_at)
            .map(|x| format!(" in {}", md::secs(x)))
            .unwrap_or_default();
        v.push(line(
            a.at_key,
            true,
            format!(
                "**Containment** {} on {} by {} — {}{}{}",
                md::code(a.req.kind.as_str()),
                target_label(&a.req.target),
                md::text(&a.req.actor),
                f.outcome_words(a),
                if o == Outcome::Verified {
                    took
                } else {
                    String::new()
                },
                outcome_detail(f, a)
            ),
        ));
    }
    for c in &s.comms {
        v.push(line(
            c.exported_at,
            true,
            format!(
                "**Communication**: {} for {} exported by {} ({})",
                super::title_of(&c.kind),
                c.to,
                md::text(&c.by),
                md::code(&short_hash(&c.sha256))
            ),
        ));
        if let Some((at, by)) = &c.sent {
            v.push(line(
                *at,
                true,
                format!(
                    "**Communication sent**: {} for {} (marked by {})",
                    super::title_of(&c.kind),
                    c.to,
                    md::text(by)
                ),
            ));
        }
    }
    for n in s.notes_of(NoteKind::Decision) {
        v.push(line(
            n.at,
            true,
            format!("**Decision** by {}: {}", md::text(&n.by), f.prose(&n.text)),
        ));
    }
    // Staged restarts: each stage, window and re-containment.
    for r in &app.restarts {
        for (at, said) in &r.log {
            v.push(line(
                *at,
                true,
                format!(
                    "**Staged restart {}** ({}): {}",
                    r.id,
                    md::code(&r.source),
                    md::text(said)
                ),
            ));
        }
    }
    v
}

/// What the platform said of an action, and the writes a rollback
/// reverted: ": run `run_1` is stopped (9 writes reverted)".
pub fn outcome_detail(f: &Facts, a: &crate::app::ActionState) -> String {
    let mut s = String::new();
    if !a.detail.is_empty() {
        s = if f.outcome(a) == Outcome::NotHeld {
            format!(" (the fresh read said: {})", f.prose(&a.detail))
        } else {
            format!(": {}", f.prose(&a.detail))
        };
    }
    let reverted = f.reverted_by(a).len() as u64;
    if reverted > 0 {
        s.push_str(&format!(
            " ({} reverted)",
            md::plural(reverted, "write", "writes")
        ));
    }
    s
}

/// An action's target with its ids in code spans.
pub fn target_label(t: &crate::model::Target) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &t.run_id {
        parts.push(format!("run {}", md::code(r)));
    }
    if let Some(w) = &t.workflow {
        parts.push(format!("workflow {}", md::code(w)));
    }
    if let Some(c) = &t.agent_class {
        parts.push(format!("agent class {}", md::code(c)));
    }
    if let Some(x) = &t.tool {
        parts.push(format!("tool {}", md::code(x)));
    }
    if let Some(c) = &t.credential {
        parts.push(format!("credential {}", md::code(c)));
    }
    if parts.is_empty() {
        "everything".into()
    } else {
        parts.join(", ")
    }
}

pub fn short_hash(h: &str) -> String {
    h.chars().take(12).collect()
}

/// How events group: a run's attempts at one tool (calls, results,
/// errors, retries) together, anything else by kind and tool.
fn group_key(x: &Ev) -> (usize, String, String) {
    let e = x.e;
    let attempt = matches!(
        x.kind,
        EventKind::ToolCall | EventKind::ToolResult | EventKind::Error | EventKind::Retry
    );
    if attempt {
        // Attempts at one tool (or, without a tool, one target).
        let tool = e.tool.as_deref().or(e.target.as_deref()).unwrap_or("");
        (x.run, "attempt".into(), tool.to_string())
    } else {
        // Writes and sends to many targets are one story: targets listed.
        let tool = e.tool.as_deref().unwrap_or("");
        (x.run, x.kind.as_str().to_string(), tool.to_string())
    }
}

/// The moments a run's repeats are split at: detection, declaration, and
/// every containment action aimed at the run (its id, workflow, class,
/// or everything), so what a run did after each of them is its own line.
fn bounds_of(f: &Facts, run: usize) -> Vec<Time> {
    let mut b: Vec<Time> = [&f.detection, &f.declared]
        .into_iter()
        .flatten()
        .map(|m| m.at)
        .chain(f.actions_on(run).iter().map(|a| a.at_key))
        .collect();
    b.sort();
    b.dedup();
    b
}

/// The implicated runs' evidence, repeats collapsed, split at each run's
/// milestones. Only consecutive repeats of one run collapse: a run of the
/// same thing, or a cycle of a few things repeated (an agent that logs its
/// instruction, writes a record and sends a message, 300 times). Any other
/// event of that run ends the repeat and keeps its own place, so a write
/// between two retries is told between them, not after the whole loop.
/// Other runs' events do not break a run's repeats.
pub fn evidence(f: &Facts) -> Vec<Line> {
    type Sig = (String, String, usize);
    let mut bounds: BTreeMap<usize, Vec<Time>> = BTreeMap::new();
    let mut by_run: BTreeMap<usize, Vec<(usize, Ev, Sig)>> = BTreeMap::new();
    for (i, x) in f.events.iter().enumerate() {
        let (run, kind, tool) = group_key(x);
        let b = bounds.entry(run).or_insert_with(|| bounds_of(f, run));
        let sig = if f.credible(x) {
            (kind, tool, b.partition_point(|t| *t < x.e.at))
        } else {
            // Dated where it cannot be: told alone, never in a span.
            (format!("not credible {i}"), String::new(), 0)
        };
        by_run.entry(run).or_default().push((i, *x, sig));
    }
    let mut done: Vec<(usize, Vec<Line>)> = Vec::new();
    for seq in by_run.values() {
        let sig = |i: usize| &seq[i].2;
        let mut p = 0;
        while p < seq.len() {
            // The same thing again and again.
            let same = seq[p..].iter().take_while(|x| x.2 == seq[p].2).count();
            // Else a short cycle repeated at least three times.
            let cycle = (2..=4)
                .filter(|&l| p + 3 * l <= seq.len())
                .map(|l| {
                    let reps = (0..)
                        .take_while(|r| {
                            let at = p + r * l;
                            at + l <= seq.len() && (0..l).all(|k| sig(at + k) == sig(p + k))
                        })
                        .count();
                    (l, reps)
                })
                .find(|&(_, reps)| reps >= 3);
            match cycle {
                Some((l, reps)) if same < 2 => {
                    for k in 0..l {
                        let g: Vec<Ev> = (0..reps).map(|r| seq[p + r * l + k].1).collect();
                        done.push((seq[p + k].0, group_lines(f, &seq[p + k].2.0, &g)));
                    }
                    p += l * reps;
                }
                _ => {
                    let g: Vec<Ev> = seq[p..p + same].iter().map(|x| x.1).collect();
                    done.push((seq[p].0, group_lines(f, &seq[p].2.0, &g)));
                    p += same;
                }
            }
        }
    }
    // In the order the groups began.
    done.sort_by_key(|(from, _)| *from);
    done.into_iter().flat_map(|(_, lines)| lines).collect()
}

/// One group's lines: a loop of attempts or a run of the same kind as
/// one line, anything else event by event.
fn group_lines(f: &Facts, kind: &str, g: &[Ev]) -> Vec<Line> {
    let retries = g.iter().filter(|x| *x.kind == EventKind::Retry).count();
    if kind == "attempt" && (retries > 0 || g.len() >= 3) {
        vec![attempts(f, g, retries)]
    } else if *g[0].kind != EventKind::StateChange
        && (g.len() >= 3 || (g.len() == 2 && g[0].is_change()))
    {
        // A run's state changes are few and each is part of the story.
        vec![repeated(f, g)]
    } else {
        g.iter().map(|x| single(f, x)).collect()
    }
}

fn flags(g: &[Ev]) -> String {
    let out = g.iter().any(|x| x.e.outbound);
    let irrev = g.iter().any(|x| x.e.irreversible());
    match (out, irrev) {
        (true, true) => " [outbound, irreversible]".into(),
        (true, false) => " [outbound]".into(),
        (false, true) => " [irreversible]".into(),
        _ => String::new(),
    }
}

fn cites(g: &[Ev]) -> String {
    match g {
        [] => String::new(),
        [one] => md::code(&one.e.id),
        [first, .., last] => format!("{} … {}", md::code(&first.e.id), md::code(&last.e.id)),
    }
}

fn single(f: &Facts, x: &Ev) -> Line {
    let e = x.e;
    // A platform that gives no summary still names the target.
    let what = match (e.summary.is_empty(), &e.target) {
        (false, _) => format!(": {}", f.prose(&e.summary)),
        (true, Some(t)) => format!(" to {}", md::code(t)),
        (true, None) => String::new(),
    };
    line(
        e.at,
        false,
        format!(
            "{} {}{}{what} ({}){}",
            md::code(f.run_id(x.run)),
            e.kind.as_str(),
            flags(std::slice::from_ref(x)),
            md::code(&e.id),
            if f.credible(x) {
                ""
            } else {
                " — its time is not credible (see Metrics)"
            }
        ),
    )
}

fn span(g: &[Ev]) -> String {
    let (a, b) = (g[0].e.at, g[g.len() - 1].e.at);
    format!("from {} to {}", md::clock(a), md::clock(b))
}

/// A loop of attempts: "retried billing.api 122× from … to …, all 503".
fn attempts(f: &Facts, g: &[Ev], retries: usize) -> Line {
    let tool = g
        .iter()
        .find_map(|x| x.e.tool.as_deref().or(x.e.target.as_deref()))
        .unwrap_or("a tool");
    // An error by its status, else the reason the platform gave.
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for x in g.iter().filter(|x| *x.kind == EventKind::Error) {
        let v = x.e.data.value();
        let what = v
            .get("status")
            .and_then(|s| s.as_u64())
            .map(|s| s.to_string())
            .or_else(|| v.get("reason").and_then(|r| r.as_str()).map(md::text))
            .unwrap_or_else(|| "errors".into());
        *errors.entry(what).or_default() += 1;
    }
    let results = g
        .iter()
        .filter(|x| *x.kind == EventKind::ToolResult)
        .count();
    let calls = g.iter().filter(|x| *x.kind == EventKind::ToolCall).count();
    let n_err: usize = errors.values().sum();
    let outcome = match (errors.len(), results) {
        (0, 0) => "no answer seen yet".to_string(),
        (0, _) => md::plural(results as u64, "result", "results"),
        (1, 0) => format!(
            "all {}",
            errors.keys().next().map(String::as_str).unwrap_or("errors")
        ),
        _ => {
            let e: Vec<String> = errors.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
            format!(
                "{} ({}), {}",
                md::plural(n_err as u64, "error", "errors"),
                e.join(", "),
                md::plural(results as u64, "result", "results")
            )
        }
    };
    let verb = if retries > 0 {
        format!("retried {} {}×", md::code(tool), retries)
    } else {
        format!("tried {} {}×", md::code(tool), calls.max(n_err + results))
    };
    line(
        g[0].e.at,
        false,
        format!(
            "{} {verb} {}, {outcome}{} ({})",
            md::code(f.run_id(g[0].run)),
            span(g),
            flags(g),
            cites(g)
        ),
    )
}

/// The same kind of event again and again: one line with the count, the
/// targets and (for messages) the recipients.
fn repeated(f: &Facts, g: &[Ev]) -> Line {
    let e0 = g[0].e;
    let mut targets: Vec<&str> = g.iter().filter_map(|x| x.e.target.as_deref()).collect();
    targets.dedup();
    let mut distinct: Vec<&str> = Vec::new();
    for t in targets {
        if !distinct.contains(&t) {
            distinct.push(t);
        }
    }
    let shown: Vec<String> = distinct.iter().take(4).map(|t| md::code(t)).collect();
    let more = distinct.len().saturating_sub(4);
    let to = if distinct.is_empty() {
        String::new()
    } else {
        format!(
            " to {}{}",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )
    };
    let recipients: u64 = g
        .iter()
        .filter_map(|x| x.e.data.get_u64("recipients"))
        .filter(|n| *n <= super::facts::MOST_PEOPLE)
        .fold(0, u64::saturating_add);
    let n = g.len() as u64;
    let what = match g[0].kind {
        EventKind::MessageSent => md::plural(n, "message sent", "messages sent"),
        EventKind::FileWrite => md::plural(n, "file write", "file writes"),
        EventKind::DbWrite => md::plural(n, "database write", "database writes"),
        EventKind::ExternalAction => md::plural(n, "external action", "external actions"),
        k => format!("{} ×{n}", k.as_str()),
    };
    let first = if g[0].is_change() {
        String::new()
    } else {
        format!(", first: {}", f.prose(&e0.summary))
    };
    line(
        e0.at,
        false,
        format!(
            "{} {what}{to} {}{}{first}{} ({})",
            md::code(f.run_id(g[0].run)),
            span(g),
            if recipients > 0 {
                format!(" ({} recipients)", md::num(recipients))
            } else {
                String::new()
            },
            flags(g),
            cites(g)
        ),
    )
}

/// Milestones and collapsed evidence, in time order (evidence before a
/// milestone at the same instant).
pub fn render(f: &Facts) -> Vec<Line> {
    let mut all = evidence(f);
    all.extend(milestones(f));
    all.sort_by(|a, b| a.at.cmp(&b.at).then(a.milestone.cmp(&b.milestone)));
    all
}
