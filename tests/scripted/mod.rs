//! A scripted platform's state for wiremock: reads that show one thing
//! before a real action arrived and another after, so a test platform
//! changes when it is acted on (as a real one does) instead of showing
//! the effect before anything was sent.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde_json::Value;
use wiremock::{Request, Respond, ResponseTemplate};

/// Whether a real action has reached the platform.
#[derive(Clone, Default)]
pub struct Applied(Arc<AtomicBool>);

impl Applied {
    pub fn new() -> Applied {
        Applied::default()
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Answers a real action with `answer`, and marks it applied whatever
    /// the answer says (a platform that applies, then answers 500).
    pub fn on_action(&self, answer: ResponseTemplate) -> OnAction {
        OnAction {
            applied: self.clone(),
            answer,
        }
    }

    /// A read showing `before` until an action was applied, then `after`.
    pub fn read(&self, before: Value, after: Value) -> BeforeAfter {
        self.answer(
            ResponseTemplate::new(200).set_body_json(before),
            ResponseTemplate::new(200).set_body_json(after),
        )
    }

    /// Answers `before` until an action was applied, then `after`.
    pub fn answer(&self, before: ResponseTemplate, after: ResponseTemplate) -> BeforeAfter {
        BeforeAfter {
            applied: self.clone(),
            before,
            after,
        }
    }
}

pub struct OnAction {
    applied: Applied,
    answer: ResponseTemplate,
}

impl Respond for OnAction {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.applied.0.store(true, Ordering::SeqCst);
        self.answer.clone()
    }
}

pub struct BeforeAfter {
    applied: Applied,
    before: ResponseTemplate,
    after: ResponseTemplate,
}

impl Respond for BeforeAfter {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.applied.is_set() {
            self.after.clone()
        } else {
            self.before.clone()
        }
    }
}

/// Answers `first` to the first `n` requests, then `then`: a platform
/// still at work on a request when it is first asked about it.
pub struct After {
    n: usize,
    seen: AtomicUsize,
    first: ResponseTemplate,
    then: ResponseTemplate,
    /// Set once `then` is given (the action has arrived by then).
    pub applied: Applied,
}

impl After {
    pub fn new(
        n: usize,
        first: ResponseTemplate,
        then: ResponseTemplate,
        applied: &Applied,
    ) -> After {
        After {
            n,
            seen: AtomicUsize::new(0),
            first,
            then,
            applied: applied.clone(),
        }
    }
}

impl Respond for After {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.seen.fetch_add(1, Ordering::SeqCst) < self.n {
            self.first.clone()
        } else {
            self.applied.0.store(true, Ordering::SeqCst);
            self.then.clone()
        }
    }
}

/// An earlier `cordon act` on the incident in `dir` was killed once its
/// request left: the intent (`CLI-earlier`, stop `run_2` under `key`) and
/// `sent` are journaled, nothing after.
pub fn crashed_earlier(dir: &std::path::Path, key: &str) {
    use cordon::journal::Record;
    let j = cordon::journal::Journal::open(dir).unwrap();
    j.handle.append(Record::ActionIntent {
        request: cordon::model::ActionRequest {
            id: "CLI-earlier".into(),
            source: "w".into(),
            kind: cordon::model::ActionKind::StopRun,
            target: cordon::model::Target {
                run_id: Some("run_2".into()),
                ..Default::default()
            },
            reason: "INC-1".into(),
            key: key.into(),
            actor: "alice@bastion-1".into(),
        },
        operator: cordon::journal::Operator::default(),
        preview: None,
        at: chrono::Utc::now(),
        dry_run: None,
        note: None,
    });
    j.handle.append(Record::ActionSent {
        id: "CLI-earlier".into(),
        at: chrono::Utc::now(),
    });
    j.handle.sync().unwrap();
    j.close();
}
