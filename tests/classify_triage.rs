//! Tool calls from platforms that do not say what a call does (LangGraph,
//! Temporal) are classed by the rules (`model::classify`), and triage, the
//! counters, the timeline and the inspector use the verdict: an
//! `update_invoice` or `charge_card` is money, a `send_email` reaches
//! users, and "data left a boundary" never sits next to "no message sent".

mod common;

use common::*;
use cordon::model::classify::{RuleConfig, Rules};
use cordon::model::incident::Answer;
use cordon::model::{Event, Run};
use cordon::source::Batch;
use serde_json::json;

fn run(id: &str, state: &str, workflow: &str) -> Run {
    Run::from_wire(
        "lg",
        &json!({"id": id, "agent": "billing_agent", "agent_class": "billing_agent",
                "workflow": workflow, "state": state, "started_at": "2026-11-24T10:00:00Z"}),
    )
    .unwrap()
}

fn call(id: &str, run: &str, tool: &str, args: serde_json::Value) -> Event {
    Event::from_wire_value(
        &json!({"id": id, "run_id": run, "at": "2026-11-24T10:00:05Z", "kind": "tool_call",
                "summary": format!("{tool}(…)"), "tool": tool, "data": {"args": args}}),
        t0(),
    )
    .unwrap()
}

/// A LangGraph source with one ReAct run that looked a customer up,
/// changed an invoice, charged a card and emailed, and a queued run of the
/// same workflow.
fn app() -> cordon::app::App {
    let mut a = cordon::app::App::new(at(10), "INC-1", "/tmp/inc", operator());
    a.add_source("lg", "langgraph", "http://127.0.0.1:2024");
    let batch = Batch {
        runs: vec![
            run("r1", "running", "billing-fix"),
            run("r2", "queued", "billing-fix"),
        ],
        events: vec![
            call("e1", "r1", "lookup_customer", json!({"customer_id": "c1"})),
            call(
                "e2",
                "r1",
                "update_invoice",
                json!({"invoice_id": "i1", "amount_cents": 4000}),
            ),
            call(
                "e3",
                "r1",
                "charge_card",
                json!({"customer_id": "c1", "amount_cents": 4000}),
            ),
            call(
                "e4",
                "r1",
                "send_email",
                json!({"to": "c1@example.com", "subject": "Refund"}),
            ),
        ],
        ..Batch::default()
    };
    a.update(polled("lg", batch, at(10)));
    a
}

#[test]
fn money_users_and_the_queue_are_answered_from_classified_tool_calls() {
    let a = app();
    let t = a.triage();
    let r1 = a.store.run_idx("lg", "r1").unwrap();
    assert!(
        t.implicated.contains(&r1),
        "money and outbound implicate the run"
    );
    let q = |i: usize| &t.answers[i];
    assert_eq!(q(2).answer, Answer::Yes, "money: {:?}", q(2));
    assert!(q(2).note.contains("charge_card") && q(2).note.contains("update_invoice"));
    assert!(q(2).cites.contains(&"e2".to_string()) && q(2).cites.contains(&"e3".to_string()));
    assert_eq!(q(1).answer, Answer::Yes, "data left: {:?}", q(1));
    assert_eq!(q(3).answer, Answer::Yes, "users: {:?}", q(3));
    assert!(q(3).note.contains("send_email"), "{}", q(3).note);
    assert_eq!(q(6).answer, Answer::Yes, "similar queued: {:?}", q(6));
    assert_eq!(q(6).cites, vec!["r2".to_string()]);
    // The impact inventory names what the tool calls changed.
    let targets: Vec<&str> = t.changes.iter().map(|c| c.target.as_str()).collect();
    assert!(targets.contains(&"tool charge_card"), "{targets:?}");
    assert!(
        !targets.contains(&"tool lookup_customer"),
        "a read changes nothing"
    );
}

#[test]
fn counters_come_from_the_evidence_when_the_platform_counts_nothing() {
    let a = app();
    let s = a.store.stats(a.store.run_idx("lg", "r1").unwrap());
    assert_eq!(s.tool_calls.get(), Some(4));
    assert_eq!(s.external_actions.get(), Some(1), "the email");
    let screen = screen(&mut app(), 160, 48);
    let row = screen.lines().find(|l| l.contains(" r1 ")).unwrap();
    assert!(row.contains("  4 "), "TOOLS column: {row}");
    // The inspector's counters say the same, the email as a message sent.
    let mut a = app();
    keys(&mut a, "1");
    a.update(key(ratatui::crossterm::event::KeyCode::Enter));
    let s = common::screen(&mut a, 160, 48);
    assert!(
        s.contains("tool calls 4 · errors 0 · retries 0 · external actions 1 · messages sent 1"),
        "{s}"
    );
}

#[test]
fn outbound_is_contradiction_free_without_user_facing_calls() {
    let mut a = cordon::app::App::new(at(10), "INC-1", "/tmp/inc", operator());
    a.add_source("lg", "langgraph", "http://127.0.0.1:2024");
    let batch = Batch {
        runs: vec![run("r1", "running", "sync")],
        events: vec![call(
            "e1",
            "r1",
            "http_post",
            json!({"url": "https://partner.example"}),
        )],
        ..Batch::default()
    };
    a.update(polled("lg", batch, at(10)));
    let t = a.triage();
    assert_eq!(t.answers[1].answer, Answer::Yes);
    assert_eq!(t.answers[3].answer, Answer::Unknown);
    assert!(
        t.answers[3]
            .note
            .contains("1 outbound events, none a message to people"),
        "{}",
        t.answers[3].note
    );
}

#[test]
fn configured_rules_decide_and_the_inspector_says_which() {
    let mut a = app();
    let cfg = vec![RuleConfig {
        name: "crm lookups are exports".into(),
        tools: vec!["lookup_*".into()],
        args: vec![],
        classes: vec!["outbound".into()],
    }];
    a.store.set_rules(Rules::from_config(&cfg, false).unwrap());
    let t = a.triage();
    assert_eq!(
        t.answers[2].answer,
        Answer::Unknown,
        "no money rule any more"
    );
    assert_eq!(
        a.store
            .stats(a.store.run_idx("lg", "r1").unwrap())
            .external_actions
            .get(),
        Some(1)
    );
    // The inspector on the lookup says why it is outbound.
    keys(&mut a, "1");
    a.update(key(ratatui::crossterm::event::KeyCode::Enter));
    let s = screen(&mut a, 160, 48);
    assert!(
        s.contains("lookup_customer: classified as outbound by rule \"crm lookups are exports\""),
        "{s}"
    );
}

#[test]
fn platforms_that_report_effects_are_taken_at_their_word() {
    // The simulator (ACA) reports its sends as message_sent: its tool calls
    // are not classed again, so nothing is counted twice.
    let a = app_with(&["wrong-segment"], false, 120);
    assert!(a.store.events.iter().all(|s| s.class.is_empty()));
}
