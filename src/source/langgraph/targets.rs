//! What the actor reads before and after it acts (threads, runs, crons),
//! as pure functions of the typed answers ([`Handle`]): the HTTP stays in
//! `langgraph.rs`, these are tested on recorded answers.

use serde_json::{Value, json};

use super::convert::{run_state, workflow_of};
use super::wire::Handle;
use crate::model::RunState;
use crate::sanitize;

/// Cron metadata mark: disabled by cordon's hold_queue.
pub const HELD: &str = "cordon_held";

/// The ids of the threads in scope (a workflow, or all), as the server
/// spells them; a thread without one is skipped.
pub fn threads_in(threads: &[Handle], workflow: Option<&str>, key: Option<&str>) -> Vec<String> {
    threads
        .iter()
        .filter(|t| workflow.is_none_or(|w| workflow_of(&t.metadata, key, "") == w))
        .filter_map(|t| t.thread_id.clone())
        .collect()
}

/// The ids of a run list, as the server spells them (sent back as they
/// came); a run without one is skipped.
pub fn run_ids(runs: &[Handle]) -> Vec<String> {
    runs.iter().filter_map(|r| r.run_id.clone()).collect()
}

/// The crons that are `enabled` (or not) in scope, each with its metadata
/// (an object: what a PATCH sends back). A server that ignores the search's
/// filter is filtered here; no `enabled` reads as enabled.
pub fn crons_in(
    crons: &[Handle],
    enabled: bool,
    workflow: Option<&str>,
    key: Option<&str>,
) -> Vec<(String, Value)> {
    crons
        .iter()
        .filter(|c| c.enabled.unwrap_or(true) == enabled)
        .filter(|c| workflow.is_none_or(|w| workflow_of(&c.metadata, key, "") == w))
        .filter_map(|c| {
            let meta = Some(c.metadata.clone())
                .filter(Value::is_object)
                .unwrap_or_else(|| json!({}));
            Some((c.cron_id.clone()?, meta))
        })
        .collect()
}

/// Of these crons, the ones cordon's hold disabled.
pub fn held(crons: Vec<(String, Value)>) -> Vec<(String, Value)> {
    crons
        .into_iter()
        .filter(|(_, m)| m.get(HELD).is_some_and(|h| h == true))
        .collect()
}

/// A cron's metadata with cordon's hold mark set (`held`) or taken off;
/// everything else in it as the server had it.
pub fn mark_held(mut meta: Value, held: bool) -> Value {
    if let Some(m) = meta.as_object_mut() {
        if held {
            m.insert(HELD.into(), json!(true));
        } else {
            m.remove(HELD);
        }
    }
    meta
}

/// A fresh read of a run: its id as the feed spells it, its state, and
/// LangGraph's own word for it.
pub fn run_read(r: &Handle) -> (String, RunState, String) {
    let status = r.status.as_deref().map(|s| sanitize::line(s, 128));
    // An id is identity: spelled as the feed spells it.
    let id = r.run_id.as_deref().map(|x| sanitize::id(x).into_owned());
    let state = run_state(status.as_deref().unwrap_or(""), false);
    (id.unwrap_or_default(), state, status.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::langgraph::wire;

    fn fixture(name: &str) -> Vec<Handle> {
        wire::list(&crate::source::fixture("langgraph", name))
    }

    #[test]
    fn threads_in_scope_by_workflow() {
        let threads = fixture("threads_search.json");
        let all = threads_in(&threads, None, None);
        assert_eq!(all.len(), threads.len());
        assert_eq!(all[0], "01a22f9e-d7ac-77ba-b7d3-462d087c4d76");
        let refunds = threads_in(&threads, Some("refunds"), None);
        assert!(!refunds.is_empty() && refunds.len() <= all.len());
        assert!(threads_in(&threads, Some("no-such-workflow"), None).is_empty());
        // By another metadata key: the graph when it is missing.
        let by_graph = threads_in(&threads, Some("review_agent"), Some("team"));
        assert!(by_graph.contains(&all[0]), "{by_graph:?}");
    }

    #[test]
    fn runs_read_as_the_server_spells_them() {
        let runs = fixture("runs_interrupted.json");
        assert_eq!(run_ids(&runs), ["01a22f9e-d9c0-73a3-aa74-57377a00cbbc"]);
        let (id, state, word) = run_read(&runs[0]);
        assert_eq!(id, "01a22f9e-d9c0-73a3-aa74-57377a00cbbc");
        assert_eq!((state, word.as_str()), (RunState::Succeeded, "success"));
    }

    #[test]
    fn crons_by_state_scope_and_cordons_mark() {
        // A search answer holding both states (a server may ignore the
        // filter): one enabled (nightly), one held by cordon (refunds).
        let crons = fixture("crons_search.json");
        let on = crons_in(&crons, true, None, None);
        assert_eq!(on.len(), 1);
        assert_eq!(on[0].0, "01a2309a-4a69-7594-bfc6-5e67ae40edbe");
        assert_eq!(on[0].1, json!({"workflow": "nightly"}));
        assert!(crons_in(&crons, true, Some("refunds"), None).is_empty());
        let off = crons_in(&crons, false, Some("refunds"), None);
        assert_eq!(held(off.clone()), off);
        assert_eq!(off[0].0, "01a2309a-4a99-735a-a9c0-bc77558cc832");
        assert!(held(on.clone()).is_empty());
        let marked = mark_held(on[0].1.clone(), true);
        assert_eq!(marked, json!({"workflow": "nightly", "cordon_held": true}));
        assert_eq!(held(vec![(on[0].0.clone(), marked.clone())]).len(), 1);
        assert_eq!(mark_held(marked, false), on[0].1);
        assert_eq!(
            mark_held(off[0].1.clone(), false),
            json!({"workflow": "refunds"})
        );
    }

    #[test]
    fn odd_fields_read_as_absent_and_hide_nothing_else() {
        let v = json!([
            {"thread_id": 7, "run_id": "r1", "status": ["x"], "enabled": "yes",
             "cron_id": "c1", "metadata": "not an object"},
            "not an object",
            {"run_id": "r\u{1b}[2", "status": "running"}
        ]);
        let h: Vec<Handle> = wire::list(&v);
        assert_eq!(h.len(), 2);
        assert!(threads_in(&h, None, None).is_empty());
        assert_eq!(run_ids(&h), ["r1", "r\u{1b}[2"]);
        assert_eq!(
            crons_in(&h, true, None, None),
            [("c1".to_string(), json!({}))]
        );
        assert_eq!(run_read(&h[0]).1, RunState::Other("unknown".into()));
        let (id, state, _) = run_read(&h[1]);
        assert_eq!((id.as_str(), state), ("r␛[2", RunState::Running));
    }
}
