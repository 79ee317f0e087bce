//! What starts as soon as the target stops (runs queued behind it, its
//! workflow's queue), and the dialog's offer to stop or hold that too.

use crate::app::App;
use crate::app::confirm::{Confirm, NextOffer, What};
use crate::model::{ActionKind, RunState, Target};

/// The offer to stop the runs that start next too (those not targeted
/// already).
fn stop_too(source: &str, next: &[String], targets: &[Target]) -> NextOffer {
    let ids: Vec<&str> = next
        .iter()
        .map(String::as_str)
        .filter(|r| !targets.iter().any(|t| t.run_id.as_deref() == Some(*r)))
        .collect();
    NextOffer {
        warning: format!(
            "{} run{} queued behind it will start as soon as it stops: {}",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" },
            shown(&ids)
        ),
        label: format!(
            "also stop the {} queued run{}",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" }
        ),
        actions: ids
            .iter()
            .map(|r| {
                (
                    source.to_string(),
                    ActionKind::StopRun,
                    Target::run(r.to_string()),
                )
            })
            .collect(),
        on: false,
    }
}

/// Up to six names, then a count.
fn shown(ids: &[&str]) -> String {
    let mut s = ids.iter().take(6).copied().collect::<Vec<_>>().join(", ");
    if ids.len() > 6 {
        s.push_str(&format!(" … +{}", ids.len() - 6));
    }
    s
}

impl App {
    /// What will start as soon as the target stops, and the offer to stop
    /// or hold it too: the runs the platform says are queued behind it (a
    /// LangGraph thread), else the queued runs of its workflow cordon has
    /// seen, whose queue is not held.
    pub(in crate::app) fn next_offer(&self, c: &Confirm) -> Option<NextOffer> {
        let What::Builtin(kind) = c.what else {
            return None;
        };
        let [(source, target)] = c.targets.as_slice() else {
            return self.next_offer_marked(c);
        };
        if !kind.on_run() {
            return None;
        }
        if let Some(a) = c.preview.answer()
            && !a.starts_next.is_empty()
        {
            return Some(stop_too(
                source,
                &a.starts_next,
                std::slice::from_ref(target),
            ));
        }
        let run = &self.store.runs[self.store.run_idx(source, target.run_id.as_deref()?)?];
        let queued: Vec<&str> = self
            .store
            .runs
            .iter()
            .filter(|r| {
                r.source == source
                    && r.workflow == run.workflow
                    && r.id != run.id
                    && r.state == RunState::Queued
            })
            .map(|r| r.id.as_str())
            .collect();
        let held = self
            .store
            .controls
            .get(source)
            .is_some_and(|c| c.queue_held(&run.workflow));
        if queued.is_empty() || held || self.offers(source, ActionKind::HoldQueue).is_err() {
            return None;
        }
        Some(NextOffer {
            warning: format!(
                "{} queued run{} of workflow {} will still start: {}",
                queued.len(),
                if queued.len() == 1 { "" } else { "s" },
                run.workflow,
                shown(&queued)
            ),
            label: format!("also hold workflow {}'s queue", run.workflow),
            actions: vec![(
                source.clone(),
                ActionKind::HoldQueue,
                Target::workflow(run.workflow.to_string()),
            )],
            on: false,
        })
    }

    /// Marked runs stopped together, from one source: the runs queued
    /// behind them that are not marked themselves.
    fn next_offer_marked(&self, c: &Confirm) -> Option<NextOffer> {
        let a = c.preview.answer()?;
        let (source, _) = c.targets.first()?;
        if a.starts_next.is_empty() || c.targets.iter().any(|(s, _)| s != source) {
            return None;
        }
        let ts: Vec<Target> = c.targets.iter().map(|(_, t)| t.clone()).collect();
        Some(stop_too(source, &a.starts_next, &ts))
    }
}
