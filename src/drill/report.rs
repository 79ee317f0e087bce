//! The readiness report: per source, per action kind — offered, tried,
//! confirmed in N s, inverse confirmed, who may use it — then what failed
//! and what to fix. It says only what the drill saw.

use std::fmt::Write;

use super::{Drill, May, Row, SourceDrill, Tried};
use crate::model::ActionPhase;
use crate::report::md::{code, secs, text as cell};

pub fn render(d: &Drill) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Stop-control readiness report (DRILL)\n");
    let _ = writeln!(
        o,
        "Drill {}, {} by {}. Every action was scoped to a canary run; nothing here is a real incident.\n",
        code(&d.incident),
        d.started.format("%Y-%m-%d %H:%M:%S UTC"),
        cell(&d.operator)
    );
    let failures = d.failures();
    let may_not: usize = d
        .sources
        .iter()
        .flat_map(|s| &s.rows)
        .filter(|r| matches!(r.may, May::No(_)))
        .count();
    let confirmed: usize = d
        .sources
        .iter()
        .flat_map(|s| &s.rows)
        .filter(|r| r.action.as_ref().is_some_and(Tried::confirmed))
        .count();
    let offered: usize = d.sources.iter().map(|s| s.rows.len()).sum();
    let global: usize = d
        .sources
        .iter()
        .flat_map(|s| &s.rows)
        .filter(|r| r.global())
        .count();
    let unavailable: usize = d
        .sources
        .iter()
        .flat_map(|s| &s.rows)
        .filter(|r| r.unavailable.is_some())
        .count();
    let _ = writeln!(
        o,
        "**{}**: {confirmed} of {offered} offered action kinds confirmed by a fresh read; {failures} failed or not proven; {may_not} the configured credential may not use; {unavailable} not available on the server; {global} previewed only (their scope reaches beyond the canary).\n",
        if failures == 0 { "READY" } else { "NOT READY" }
    );
    for s in &d.sources {
        source(s, &mut o);
    }
    let _ = writeln!(o, "## What failed and what to fix\n");
    let mut any = false;
    for s in &d.sources {
        if let Some(e) = &s.error {
            any = true;
            let _ = writeln!(
                o,
                "- **{}**: {}. Fix: make the source reachable from here with the console's own URL and credential, then drill again.",
                cell(&s.name),
                cell(e)
            );
        }
        for r in s.rows.iter().filter(|r| r.failed()) {
            any = true;
            let _ = writeln!(o, "- **{} {}**: {}", cell(&s.name), r.kind.as_str(), fix(r));
        }
        for r in &s.rows {
            if let Some(why) = &r.unavailable {
                any = true;
                let _ = writeln!(
                    o,
                    "- **{} {}**: offered, but this server does not have it ({}). Fix: enable it on the platform, or plan the incident on the controls confirmed above.",
                    cell(&s.name),
                    r.kind.as_str(),
                    cell(why)
                );
            }
            if let May::No(why) = &r.may {
                any = true;
                let _ = writeln!(
                    o,
                    "- **{} {}**: the configured credential may not use it ({}). Fix: if the incident commander must be able to, give them a credential that may; else write down who can.",
                    cell(&s.name),
                    r.kind.as_str(),
                    cell(why)
                );
            }
        }
    }
    if !any {
        let _ = writeln!(
            o,
            "Nothing: every offered action was confirmed, and undone where it can be."
        );
    }
    o
}

fn source(s: &SourceDrill, o: &mut String) {
    let _ = writeln!(
        o,
        "## Source {} ({}, {})\n",
        code(&s.name),
        cell(&s.kind),
        cell(&s.url)
    );
    let _ = writeln!(o, "- Credential: {}", cell(&s.credential));
    match &s.canary {
        Ok((r, how)) => {
            let _ = writeln!(
                o,
                "- Canary: run {} (workflow {}, agent class {}), {}",
                code(&r.id),
                cell(&r.workflow),
                cell(&r.agent_class),
                cell(how)
            );
        }
        Err(e) => {
            let _ = writeln!(o, "- Canary: none ({})", cell(e));
        }
    }
    if let Some(e) = &s.error {
        let _ = writeln!(o, "- **Not drilled**: {}\n", cell(e));
        return;
    }
    let _ = writeln!(
        o,
        "- Offered: {}\n",
        if s.offered.is_empty() {
            "nothing (it only observes)".to_string()
        } else {
            s.offered
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let _ = writeln!(
        o,
        "| Kind | Scope | Preview | Tried | Confirmed | Inverse | Who may use it |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|");
    for r in &s.rows {
        let scope = r
            .target
            .as_ref()
            .map(|t| t.label())
            .unwrap_or_else(|| "—".into());
        let preview = match &r.preview {
            Some(Ok(runs)) => format!("{} run(s), in {}", runs.len(), secs(r.preview_secs)),
            Some(Err(e)) => format!("failed: {e}"),
            None => "—".into(),
        };
        let tried = match (&r.action, &r.dry_only) {
            (Some(_), _) => "yes".to_string(),
            (None, Some(why)) => format!("dry run only: {why}"),
            (None, None) => "no".into(),
        };
        let inverse = match (&r.inverse, r.kind.inverse()) {
            (Some(t), _) => format!("{} {}", t.kind.as_str(), verdict(t)),
            (None, Some(k)) if r.action.as_ref().is_some_and(Tried::confirmed) => {
                format!("{} not offered", k.as_str())
            }
            (None, Some(_)) => "—".into(),
            (None, None) => format!("none ({})", r.kind.undo_note()),
        };
        let mut confirmed = match (&r.action, &r.may) {
            (Some(_), May::No(_)) => "— (refused: see who may)".into(),
            (Some(_), _) if r.unavailable.is_some() => "— (not available on this server)".into(),
            (Some(t), _) => verdict(t),
            (None, _) => "—".into(),
        };
        if let Some(p) = &r.rollback {
            confirmed.push_str(&format!("; {p}"));
        }
        let may = match &r.may {
            May::Yes => "may (it acted)".to_string(),
            May::No(why) => format!("**may not**: {}", cell(why)),
            May::Unknown if r.unavailable.is_some() => "unknown (the server lacks it)".into(),
            May::Unknown => "unknown (not tried)".into(),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.kind.as_str(),
            cell(&scope),
            cell(&preview),
            cell(&tried),
            cell(&confirmed),
            cell(&inverse),
            may
        );
    }
    let _ = writeln!(o);
    for n in &s.notes {
        let _ = writeln!(o, "- {}", cell(n));
    }
    if !s.notes.is_empty() {
        let _ = writeln!(o);
    }
    if !s.limits.is_empty() {
        let _ = writeln!(o, "What a confirmed action here does not prove:\n");
        for (k, n) in &s.limits {
            let _ = writeln!(o, "- {}: {}", k.as_str(), cell(n));
        }
        let _ = writeln!(o);
    }
}

/// "CONFIRMED in 0.4 s" or the phase and what was seen.
fn verdict(t: &Tried) -> String {
    if t.confirmed() {
        format!("CONFIRMED in {}", secs(t.secs))
    } else {
        format!("{} after {}: {}", t.phase.label(), secs(t.secs), t.detail)
    }
}

/// What failed, and the fix to try.
fn fix(r: &Row) -> String {
    if r.action.is_none() && r.preview.as_ref().is_none_or(|p| p.is_ok()) {
        return format!(
            "offered but not tried: {}. Fix: let the platform start a canary (LangGraph: --canary-assistant NAME; Temporal: --canary-task-queue QUEUE) or name a run (--canary RUN), then drill again.",
            r.dry_only.as_deref().unwrap_or("no canary")
        );
    }
    if let Some(Err(e)) = &r.preview
        && r.action.is_none()
    {
        return format!(
            "the dry run failed ({e}). Fix: the console cannot even show this action's blast radius; check the platform's action endpoint."
        );
    }
    let bad = [&r.action, &r.inverse]
        .into_iter()
        .flatten()
        .find(|t| !t.confirmed());
    let Some(t) = bad else {
        return format!(
            "{}. Fix: the rollback did not undo what it planned; check the platform's compensations.",
            r.rollback.as_deref().unwrap_or("rollback not proven")
        );
    };
    let what = format!("{} {}: {}", t.kind.as_str(), t.phase.label(), t.detail);
    let hint = match t.phase {
        ActionPhase::Unconfirmed => {
            "the platform accepted it but a fresh read never showed the effect: find out why (a worker that ignores cancellation, a control that is only recorded) before relying on it in an incident"
        }
        ActionPhase::Refused => {
            "the platform refused it: read its message, fix the request or the platform's configuration"
        }
        ActionPhase::Failed | ActionPhase::NotReceived | ActionPhase::Unknown => {
            "no answer came and the effect never showed: check the platform's reachability and timeouts"
        }
        ActionPhase::NotSent => {
            "the journal could not be written: free the disk, check the incident directory"
        }
        ActionPhase::Partial => {
            "only some writes were reverted: check the compensations that failed"
        }
        ActionPhase::AlreadyEnded | ActionPhase::NothingToDo => {
            "the canary gave it nothing to act on: start a canary that runs until stopped (and makes reversible writes), then drill again"
        }
        _ => "see the journal",
    };
    format!("{what}. Fix: {hint}.")
}
