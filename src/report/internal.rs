//! The internal brief for stakeholders (leadership, support, legal): the
//! same facts as the user update, with ids, severity, containment state
//! and the questions still open. One page, newest state first.

use std::fmt::Write;

use super::facts::{Facts, Outcome};
use super::{JournalView, md};
use crate::model::incident::{Answer, QUESTIONS, Role};
use crate::model::{EventKind, Time};

pub fn render(f: &Facts, j: &JournalView, now: Time, promised: Option<Time>) -> String {
    let app = f.app;
    let s = &app.incident;
    let mut o = String::new();
    let _ = writeln!(o, "{}", heading(f, "Internal brief"));
    let _ = writeln!(
        o,
        "_As of {} (the journal's last record; written {}) · for stakeholders, not for customers · next update {}_\n",
        md::when(f.as_of),
        md::when(now),
        promised
            .map(|p| format!("by {} UTC", p.format("%H:%M")))
            .unwrap_or_else(|| "when there is news (no cadence set)".into())
    );
    let sev = s
        .current_severity()
        .map(|x| format!("**{}** ({})", x.label(), x.definition()))
        .unwrap_or_else(|| "**not set**".into());
    let _ = writeln!(o, "- Severity: {sev}");
    let _ = writeln!(o, "- Status: **{}**", s.current_status().as_str());
    let who = |r: Role| s.holder(r).map(md::text).unwrap_or_else(|| "—".into());
    let _ = writeln!(
        o,
        "- Commander: {} · comms: {}",
        who(Role::Commander),
        who(Role::CommsLead)
    );
    let mark = |m: &Option<super::facts::Mark>| {
        m.as_ref()
            .map(|m| {
                format!(
                    "{} ({}{})",
                    md::when(m.at),
                    m.how,
                    m.cite
                        .as_deref()
                        .map(|c| format!(", {}", md::code(c)))
                        .unwrap_or_default()
                )
            })
            .unwrap_or_else(|| "not yet".into())
    };
    if let Some(x) = f.first_harm {
        let _ = writeln!(
            o,
            "- First harm: {} ({})",
            md::when(x.e.at),
            md::code(&x.e.id)
        );
    }
    let _ = writeln!(o, "- Detected: {}", mark(&f.detection));
    let _ = writeln!(o, "- Declared: {}", mark(&f.declared));
    let _ = writeln!(
        o,
        "- Time to detect: {} · time to contain: {}",
        match f.time_to_detect() {
            Some(Ok(d)) => md::dur(d),
            Some(Err(why)) => format!("not measured ({why})"),
            None => "unknown".into(),
        },
        match f.time_to_contain() {
            Some(d) if d <= chrono::TimeDelta::zero() =>
                "0 s (the harm had stopped before detection)".into(),
            Some(d) => md::dur(d),
            None if !f.harmful_active.is_empty() => "not contained yet".into(),
            None => "unknown".into(),
        }
    );
    o.push('\n');

    let _ = writeln!(o, "## Impact\n");
    impact(f, &mut o);

    let _ = writeln!(o, "## Containment\n");
    containment(f, &mut o);

    let _ = writeln!(o, "## Open questions\n");
    let mut any = false;
    for (q, a) in f.tri.answers.iter().enumerate() {
        if a.answer == Answer::Unknown {
            any = true;
            let _ = writeln!(o, "- {} {}", QUESTIONS[q], f.prose(&a.note));
        }
    }
    for a in app.actions.iter() {
        let out = f.outcome(a);
        if matches!(
            out,
            Outcome::Unconfirmed
                | Outcome::Open
                | Outcome::NoAnswer
                | Outcome::PartlyDone
                | Outcome::Unknown
                | Outcome::NotHeld
        ) {
            any = true;
            let _ = writeln!(
                o,
                "- Did {} on {} take effect? {}",
                md::code(a.req.kind.as_str()),
                super::timeline::target_label(&a.req.target),
                if out == Outcome::NotHeld {
                    format!(
                        "{} (the fresh read said: {})",
                        f.outcome_words(a),
                        f.prose(&a.detail)
                    )
                } else {
                    format!("{}: {}", out.words(), f.prose(&a.detail))
                }
            );
        }
    }
    if !f.unknown.is_empty() {
        any = true;
        let ids: Vec<&str> = f.unknown.iter().map(|x| x.e.id.as_str()).collect();
        let mut kinds: Vec<&str> = f.unknown.iter().map(|x| x.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let _ = writeln!(
            o,
            "- What did the events of kinds cordon does not know do? {} ({}{})",
            md::codes(&kinds),
            md::codes(&ids[..ids.len().min(LISTED)]),
            if ids.len() > LISTED {
                format!(" and {} more", ids.len() - LISTED)
            } else {
                String::new()
            }
        );
    }
    let irrev_ext: Vec<String> = f
        .harm
        .iter()
        .filter(|x| *x.kind == EventKind::ExternalAction && x.e.irreversible())
        .map(|x| x.e.id.to_string())
        .collect();
    if !irrev_ext.is_empty() {
        any = true;
        let _ = writeln!(
            o,
            "- Were the irreversible external actions completed? ({}) Nothing in the journal says.",
            md::codes(&irrev_ext)
        );
    }
    for r in f.reach.iter().filter(|r| r.group) {
        let p = r.people();
        let conflict = r.size_conflict();
        if !p.certain() || conflict.is_some() {
            any = true;
            let mut why = Vec::new();
            if r.uncounted > 0 {
                why.push(format!(
                    "{} gave no count",
                    md::plural(r.uncounted as u64, "send", "sends")
                ));
            }
            if !r.incredible.is_empty() {
                why.push(format!(
                    "{} a count that cannot be right ({})",
                    md::plural(r.incredible.len() as u64, "send gave", "sends gave"),
                    md::codes(&r.incredible[..r.incredible.len().min(LISTED)])
                ));
            }
            if let Some((stated, largest)) = conflict {
                why.push(format!(
                    "the list's stated size ({}) is smaller than one send to it ({}); the larger is used",
                    md::num(stated),
                    md::num(largest)
                ));
            }
            let _ = writeln!(
                o,
                "- How many people did {} reach? {} by the evidence{}.",
                md::code(&r.target),
                capitalized(&p.words()),
                why.iter().map(|w| format!("; {w}")).collect::<String>()
            );
        }
    }
    // Open repairs, one line per kind of target (a run that edited 40
    // files is one question, not 40).
    let mut open: std::collections::BTreeMap<&str, Vec<&crate::app::triage::Change>> =
        Default::default();
    for c in f.tri.changes.iter().filter(|c| f.open_repair(c)) {
        let scheme = c.target.split_once(':').map(|x| x.0).unwrap_or("");
        open.entry(scheme).or_default().push(c);
    }
    for cs in open.values() {
        any = true;
        let irreversible = cs.iter().filter(|c| c.reversible == Some(false)).count();
        let names: Vec<&str> = cs.iter().take(4).map(|c| c.target.as_str()).collect();
        let _ = writeln!(
            o,
            "- Repair open for {}{} ({}{}).",
            md::codes(&names),
            if cs.len() > 4 {
                format!(" and {} more", cs.len() - 4)
            } else {
                String::new()
            },
            cs[0].kinds.join(", "),
            match irreversible {
                0 => String::new(),
                n if n == cs.len() =>
                    ", irreversible: a follow-up or compensation is the only repair".into(),
                n => format!(", {n} irreversible"),
            }
        );
    }
    if !any {
        let _ = writeln!(o, "- None recorded.");
    }
    o.push('\n');

    let _ = writeln!(o, "## Communications\n");
    communications(f, &mut o);
    let _ = writeln!(
        o,
        "\n---\n\nFrom the incident journal: {} records, head hash {}.",
        md::num(j.lines.len() as u64),
        md::code(&j.head)
    );
    // The same question twice (two stops that both went unconfirmed) is
    // asked once, with how many times.
    md::once(&o, true)
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// How many of a kind a report lists one by one before it counts them.
pub const LISTED: usize = 5;

/// People, money and changes per target, with the events they rest on.
pub fn impact(f: &Facts, o: &mut String) {
    if !f.tri.canaries.is_empty() {
        let _ = writeln!(
            o,
            "Left out: {} drill canary run(s) ({}): a stop-control drill's, not harm; what was done to them is in the containment record.\n",
            f.tri.canaries.len(),
            runs_list(f, &f.tri.canaries)
        );
    }
    if f.harm.is_empty() {
        let _ = writeln!(
            o,
            "{}\n",
            if f.complete() {
                "No change to the world by the implicated runs was seen."
            } else {
                "No change to the world by the implicated runs is in the journal, but the evidence is incomplete: unknown, not none."
            }
        );
        gaps(f, o);
        if !f.gaps.is_empty() || !f.not_credible.is_empty() {
            o.push('\n');
        }
        return;
    }
    let _ = writeln!(
        o,
        "People reached, each list counted once: {}.\n",
        f.people().figure()
    );
    // Lists one by one; people messaged one at a time, one by one only
    // while they are few.
    let individuals: Vec<&super::facts::Reach> = f.reach.iter().filter(|r| !r.group).collect();
    let listed = f
        .reach
        .iter()
        .filter(|r| r.group || individuals.len() <= LISTED);
    if individuals.len() > LISTED {
        let sends: usize = individuals.iter().map(|r| r.sends).sum();
        let _ = writeln!(
            o,
            "- {} people messaged one by one, in {} ({} … {})",
            md::num(individuals.len() as u64),
            md::plural(sends as u64, "send", "sends"),
            md::code(&individuals[0].target),
            md::code(&individuals[individuals.len() - 1].target)
        );
    }
    for r in listed {
        let mut people = r.people().words();
        if let Some((n, cite)) = &r.size {
            people.push_str(&format!(
                " (the list holds {}, {})",
                md::num(*n),
                md::code(cite)
            ));
        }
        if !r.spellings.is_empty() {
            people.push_str(&format!(" (also written {})", md::codes(&r.spellings)));
        }
        let when = if r.sends == 1 {
            format!("at {} ({})", md::clock(r.first), md::code(&r.first_event))
        } else {
            format!(
                "{} to {} ({} … {})",
                md::clock(r.first),
                md::clock(r.last),
                md::code(&r.first_event),
                md::code(&r.last_event)
            )
        };
        let mut unsure = Vec::new();
        if r.uncounted > 0 {
            unsure.push(format!("{} gave no count", md::num(r.uncounted as u64)));
        }
        if !r.incredible.is_empty() {
            unsure.push(format!(
                "{} gave a count that cannot be right",
                md::num(r.incredible.len() as u64)
            ));
        }
        let counted = r.sends - r.uncounted - r.incredible.len();
        let _ = writeln!(
            o,
            "- {}: {people}; {} in {}{} by {}, {when}{}",
            md::code(&r.target),
            if counted == 0 {
                "no recipients counted".to_string()
            } else {
                md::plural(r.recipients, "recipient", "recipients")
            },
            md::plural(r.sends as u64, "send", "sends"),
            if unsure.is_empty() {
                String::new()
            } else {
                format!(" ({})", unsure.join(", "))
            },
            md::codes(&r.runs),
            if r.reversible == Some(false) {
                " — irreversible"
            } else {
                ""
            }
        );
    }
    if !f.other_changes.is_empty() {
        let ids: Vec<&str> = f.other_changes.iter().map(|x| x.e.id.as_str()).collect();
        let mut what: Vec<String> = f
            .other_changes
            .iter()
            .map(|x| {
                if x.class.is_empty() {
                    x.kind.as_str().to_string()
                } else {
                    format!("{} classed {}", x.kind.as_str(), x.class.label())
                }
            })
            .collect();
        what.sort();
        what.dedup();
        let _ = writeln!(
            o,
            "- Other changes: {} ({}) ({}{})",
            md::num(ids.len() as u64),
            what.iter()
                .map(|w| md::text(w))
                .collect::<Vec<_>>()
                .join("; "),
            md::codes(&ids[..ids.len().min(LISTED)]),
            if ids.len() > LISTED {
                format!(" and {} more", ids.len() - LISTED)
            } else {
                String::new()
            }
        );
    }
    if !f.money.events.is_empty() {
        let m = &f.money;
        let _ = writeln!(
            o,
            "- Money: {}{}{} ({})",
            if m.usd > 0.0 {
                md::usd(m.usd)
            } else {
                "amount not given".into()
            },
            if m.rows > 0 {
                format!(
                    " in {} {}",
                    md::num(m.rows),
                    m.noun.as_deref().unwrap_or("rows")
                )
            } else {
                String::new()
            },
            m.status
                .as_deref()
                .map(|s| format!(", status {}", md::text(s)))
                .unwrap_or_default(),
            md::codes(&m.events)
        );
    }
    if f.records_changed.len() > LISTED {
        let _ = writeln!(
            o,
            "- {} customer records changed ({} of them over newer data); the first {} below",
            md::num(f.records_changed.len() as u64),
            md::num(f.overwrote.len() as u64),
            LISTED
        );
    }
    for (row, evs) in f.records_changed.iter().take(LISTED) {
        let _ = writeln!(
            o,
            "- Customer record {} changed ({}){}",
            md::code(row),
            md::codes(evs),
            if evs.iter().any(|e| f.overwrote.contains(e)) {
                " — overwrote newer data"
            } else {
                ""
            }
        );
    }
    if !f.files.is_empty() {
        let mut files: Vec<&str> = f
            .files
            .iter()
            .filter_map(|x| x.e.target.as_deref())
            .collect();
        files.sort_unstable();
        files.dedup();
        let _ = writeln!(
            o,
            "- Files: {} written ({}{})",
            files.len(),
            md::codes(&files[..files.len().min(6)]),
            if files.len() > 6 {
                format!(" and {} more", files.len() - 6)
            } else {
                String::new()
            }
        );
    }
    let (listed, more) = f.before_review_listed();
    for b in listed {
        let _ = writeln!(
            o,
            "- Written before the review decision: {} after review request {}{}",
            md::code(&b.write),
            md::code(&b.requested),
            match &b.decision {
                Some((id, at, _)) =>
                    format!(", decided only at {} ({})", md::clock(*at), md::code(id)),
                None => ", with no decision yet".into(),
            }
        );
    }
    o.push_str(&more);
    if let Some(d) = &f.detection {
        let h = f.harm_after(d.at);
        let _ = writeln!(o, "- After detection: {}", harm_count(&h));
    }
    if let Some(a) = f.first_containment {
        let h = f.harm_after(a.verified_at.unwrap_or(a.at_key));
        let _ = writeln!(
            o,
            "- After the first verified containment ({} at {}): {}",
            md::code(a.req.kind.as_str()),
            md::clock(a.verified_at.unwrap_or(a.at_key)),
            harm_count(&h)
        );
    }
    gaps(f, o);
    o.push('\n');
}

/// What the journal lacks, and the events whose time cannot be right.
fn gaps(f: &Facts, o: &mut String) {
    for g in &f.gaps {
        let _ = writeln!(o, "- Evidence gap: {}", g.describe());
    }
    for (x, why) in f.not_credible.iter().take(LISTED) {
        let _ = writeln!(
            o,
            "- Time not credible: {} {}; left out of every figure that rests on time",
            md::code(&x.e.id),
            why
        );
    }
    if f.not_credible.len() > LISTED {
        let _ = writeln!(
            o,
            "- … and {} more events whose time is not credible",
            f.not_credible.len() - LISTED
        );
    }
}

pub fn harm_count(h: &super::facts::HarmCount) -> String {
    if h.events == 0 {
        return "no further change to the world seen".into();
    }
    let mut parts = vec![md::plural(h.events as u64, "change", "changes")];
    if h.recipients > 0 {
        parts.push(md::plural(h.recipients, "recipient", "recipients"));
    }
    if h.usd > 0.0 {
        parts.push(md::usd(h.usd));
    }
    let cites = match (&h.first, &h.last) {
        (Some(a), Some(b)) if a != b => format!("{} … {}", md::code(a), md::code(b)),
        (Some(a), _) => md::code(a),
        _ => String::new(),
    };
    format!("{} ({cites})", parts.join(", "))
}

/// Controls in force, every action with its verified outcome, runs still
/// active.
pub fn containment(f: &Facts, o: &mut String) {
    let app = f.app;
    let mut in_force = Vec::new();
    for (src, c) in &app.store.controls {
        let all = |x: &str| {
            if x == "*" {
                "everything".to_string()
            } else {
                md::code(x)
            }
        };
        for x in &c.outbound_blocked {
            in_force.push(format!("outbound blocked for {} ({src})", all(x)));
        }
        for x in &c.held_queues {
            in_force.push(format!("queue held: {} ({src})", all(x)));
        }
        for x in &c.paused_workflows {
            in_force.push(format!("workflow paused: {} ({src})", md::code(x)));
        }
        for x in &c.revoked_tools {
            in_force.push(format!(
                "tool {} revoked for {} ({src})",
                md::code(&x.tool),
                all(&x.agent_class)
            ));
        }
        for x in &c.revoked_credentials {
            in_force.push(format!("credential {} revoked ({src})", md::code(x)));
        }
    }
    in_force.sort();
    let _ = writeln!(
        o,
        "- In force (as last read from the platforms): {}",
        if in_force.is_empty() {
            "nothing".into()
        } else {
            in_force.join("; ")
        }
    );
    for a in &app.actions {
        let o2 = f.outcome(a);
        let _ = writeln!(
            o,
            "- {} {} on {} — {}{}{}",
            md::clock(a.at_key),
            md::code(a.req.kind.as_str()),
            super::timeline::target_label(&a.req.target),
            f.outcome_words(a),
            if o2 == Outcome::Verified {
                a.secs(a.verified_at)
                    .map(|x| format!(" in {}", md::secs(x)))
                    .unwrap_or_default()
            } else {
                String::new()
            },
            match (a.detail.is_empty(), o2 == Outcome::NotHeld) {
                (true, _) => String::new(),
                (false, true) => format!(" (the fresh read said: {})", f.prose(&a.detail)),
                (false, false) => format!(": {}", f.prose(&a.detail)),
            }
        );
    }
    if app.actions.is_empty() {
        let _ = writeln!(o, "- No containment action taken from cordon.");
    }
    let _ = writeln!(
        o,
        "- Implicated runs still active: {}\n",
        runs_list(f, &f.active)
    );
}

/// "# What: `INC-…` — title", and a blank line.
pub fn heading(f: &Facts, what: &str) -> String {
    let s = &f.app.incident;
    let title = if s.title.is_empty() {
        "(untitled incident)".to_string()
    } else {
        f.prose(&s.title)
    };
    let drill = match &f.app.drill {
        Some(c) => format!(
            "\n> **DRILL**: this was a stop-control drill (`cordon drill`) on canary runs{}, not a real incident.\n",
            if c.is_empty() {
                String::new()
            } else {
                format!(" ({})", md::codes(c))
            }
        ),
        None => String::new(),
    };
    let what = if f.app.drill.is_some() {
        format!("DRILL — {what}")
    } else {
        what.to_string()
    };
    format!(
        "# {what}: {} — {title}\n{drill}",
        md::code(&f.app.incident_id)
    )
}

/// "`run_1` (`agent-1`, `workflow`, running), …" or "none".
pub fn runs_list(f: &Facts, runs: &[usize]) -> String {
    let v: Vec<String> = runs
        .iter()
        .map(|&ri| {
            let r = &f.app.store.runs[ri];
            format!(
                "{} ({}, {}, {})",
                md::code(&r.id),
                f.prose(&r.agent),
                f.prose(&r.workflow),
                r.state.as_str()
            )
        })
        .collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Every communication exported, to whom, and whether it went out.
pub fn communications(f: &Facts, o: &mut String) {
    let comms = &f.app.incident.comms;
    if comms.is_empty() {
        let _ = writeln!(o, "None exported yet.");
        return;
    }
    let _ = writeln!(o, "| exported | what | to | by | sent | text SHA-256 |");
    let _ = writeln!(o, "| --- | --- | --- | --- | --- | --- |");
    for c in comms {
        let _ = writeln!(
            o,
            "{}",
            md::row(&[
                md::when(c.exported_at),
                super::title_of(&c.kind).to_string(),
                md::text(&c.to),
                md::text(&c.by),
                c.sent
                    .as_ref()
                    .map(|(at, by)| format!("{} by {}", md::when(*at), md::text(by)))
                    .unwrap_or_else(|| "not marked sent".into()),
                md::code(&super::timeline::short_hash(&c.sha256))
            ])
        );
    }
}
