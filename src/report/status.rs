//! A status update for affected users: what happened, who is affected,
//! what has been done, what is uncertain, what to do, when the next update
//! comes. Plain accountability: the words say what the system did.

use std::fmt::Write;

use crate::app::App;
use crate::model::ActionKind;
use crate::model::incident::{Answer, NoteKind, QUESTIONS};

pub fn render(app: &App, now: crate::model::Time) -> String {
    let s = &app.incident;
    let tri = app.triage();
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Status update: {}\n",
        if s.title.is_empty() {
            app.incident_id.clone()
        } else {
            s.title.clone()
        }
    );
    let _ = writeln!(
        o,
        "_{} · status: {} · severity: {}_\n",
        now.format("%Y-%m-%d %H:%M UTC"),
        s.current_status().as_str(),
        s.current_severity()
            .map(|x| x.label())
            .unwrap_or_else(|| "being assessed".into())
    );

    let _ = writeln!(o, "## What happened\n");
    let comms: Vec<&crate::model::incident::Note> = s
        .notes
        .iter()
        .filter(|n| n.kind == NoteKind::Comms)
        .collect();
    // Comms notes addressed to users ("you …") go under "what you should
    // do"; the others say what happened.
    if let Some(last) = comms
        .iter()
        .rev()
        .find(|n| !n.text.to_lowercase().contains("you "))
    {
        let _ = writeln!(o, "{}\n", last.text);
    }
    let sent: Vec<_> = tri
        .changes
        .iter()
        .filter(|c| c.kinds.iter().any(|k| k == "message_sent"))
        .collect();
    let writes: Vec<_> = tri
        .changes
        .iter()
        .filter(|c| c.kinds.iter().any(|k| k == "db_write" || k == "file_write"))
        .collect();
    let ext: Vec<_> = tri
        .changes
        .iter()
        .filter(|c| c.kinds.iter().any(|k| k == "external_action"))
        .collect();
    if sent.is_empty() && writes.is_empty() && ext.is_empty() {
        let _ = writeln!(
            o,
            "An automated workflow behaved incorrectly. We have not seen it change anything outside our systems.\n"
        );
    } else {
        let _ = writeln!(
            o,
            "An automated workflow that we operate took actions it should not have taken:\n"
        );
        for c in &sent {
            let _ = writeln!(
                o,
                "- it sent {} message(s) to {}{}",
                c.count,
                c.target,
                if c.recipients > 0 {
                    format!(" ({} recipients)", c.recipients)
                } else {
                    String::new()
                }
            );
        }
        for c in &writes {
            let _ = writeln!(o, "- it changed {} ({} change(s))", c.target, c.count);
        }
        for c in &ext {
            let _ = writeln!(o, "- it triggered {} ({} time(s))", c.target, c.count);
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(o, "## Who is affected\n");
    let recipients: u64 = sent.iter().map(|c| c.recipients).sum();
    if sent.is_empty() {
        let _ = writeln!(
            o,
            "We have no evidence that messages reached customers. We are still checking.\n"
        );
    } else {
        let _ = writeln!(
            o,
            "People in {} received a message that was not meant for them ({recipients} recipients in all).\n",
            sent.iter()
                .map(|c| c.target.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    let _ = writeln!(o, "## What we have done\n");
    let done: Vec<_> = app
        .actions
        .iter()
        .filter(|a| a.is_verified_effect())
        .collect();
    if done.is_empty() {
        let _ = writeln!(o, "- We are working to stop the workflow.");
    }
    for a in done {
        let what = match a.req.kind {
            ActionKind::StopRun => "stopped the run".to_string(),
            ActionKind::RollbackRun if a.reverted.is_empty() => {
                "stopped the run (nothing it changed elsewhere was reverted)".to_string()
            }
            ActionKind::RollbackRun => format!(
                "reverted {} change{} the run made",
                a.reverted.len(),
                if a.reverted.len() == 1 { "" } else { "s" }
            ),
            ActionKind::PauseWorkflow => "paused the workflow".to_string(),
            ActionKind::HoldQueue => "held the queued work so it cannot continue".to_string(),
            ActionKind::RevokeTool => format!(
                "removed the agent's access to {}",
                a.req.target.tool.as_deref().unwrap_or("a tool")
            ),
            ActionKind::RevokeCredential => "revoked the credential the agent used".to_string(),
            ActionKind::BlockOutbound => {
                "blocked all outgoing messages and actions from the agents".to_string()
            }
            k => k.verb().to_lowercase(),
        };
        let _ = writeln!(
            o,
            "- At {} we {what} ({}), and confirmed that it took effect.",
            a.at_key.format("%H:%M UTC"),
            a.req.target.label()
        );
    }
    for c in tri
        .changes
        .iter()
        .filter(|c| c.repair != crate::model::incident::Repair::Open)
    {
        let _ = writeln!(
            o,
            "- {}: {}{}",
            c.target,
            c.repair.as_str(),
            if c.repair_note.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.repair_note)
            }
        );
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## What we do not know yet\n");
    let unknown: Vec<&str> = tri
        .answers
        .iter()
        .enumerate()
        .filter(|(_, a)| a.answer == Answer::Unknown)
        .map(|(q, _)| QUESTIONS[q])
        .collect();
    if unknown.is_empty() {
        let _ = writeln!(
            o,
            "- We are still reviewing the records for anything we have missed."
        );
    }
    for q in unknown {
        let _ = writeln!(o, "- {q}");
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## What you should do\n");
    let advice: Vec<&crate::model::incident::Note> = comms
        .iter()
        .copied()
        .filter(|n| n.text.to_lowercase().contains("you "))
        .collect();
    if let Some(a) = advice.last() {
        let _ = writeln!(o, "{}\n", a.text);
    } else if sent.is_empty() {
        let _ = writeln!(o, "Nothing at this time.\n");
    } else {
        let _ = writeln!(
            o,
            "If you received a message from us today that does not apply to you, you can ignore it; nothing about your account has changed because of it. _(commander: confirm before sending)_\n"
        );
    }

    let _ = writeln!(o, "## Next update\n");
    match s.next_update() {
        Some(n) => {
            let _ = writeln!(o, "By {}.", n.format("%H:%M UTC"));
        }
        None => {
            let _ = writeln!(o, "When we know more, and within a day.");
        }
    }
    o
}
