//! OTLP runs in the app (pure `update`): an observing source's runs say so
//! when a stop is asked, custom actions still act on them, and a span that
//! names a run of a controllable source is shown on that run, so `x`
//! stops it on its platform.

mod common;

use common::{at, ch, split};
use cordon::app::{App, Effect, Mode, What};
use cordon::journal::Record;
use cordon::model::{ActionKind, Run, RunState};
use cordon::source::Batch;
use cordon::source::otlp::fixture::{agent_run, request, s};
use cordon::source::otlp::{MapOptions, Mapper, Options};

fn mapper(query: &str) -> Mapper {
    let o = Options::parse(&format!("http://127.0.0.1:4318{query}")).unwrap();
    Mapper::new(MapOptions::new("otel", &o))
}

/// What the OTLP source hands the app after mapping `spans`.
fn otlp_batch(m: &mut Mapper, spans: Vec<opentelemetry_proto::tonic::trace::v1::Span>) -> Batch {
    m.map(&request("support-bot", spans), at(5));
    let (runs, events, linked) = m.drain(at(5));
    Batch {
        runs,
        events,
        linked,
        offered: Some(vec![]),
        ..Batch::default()
    }
}

fn temporal_run(id: &str) -> Run {
    Run::from_wire(
        "tm",
        &serde_json::json!({"id": id, "agent": "refund-worker", "agent_class": "refunds",
            "workflow": "RefundWorkflow", "state": "running"}),
    )
    .unwrap()
}

fn app() -> App {
    let mut a = App::new(at(0), "INC-1", "/tmp/inc", common::operator());
    a.add_source("tm", "temporal", "http://127.0.0.1:7243");
    a.add_source("otel", "otlp", "http://127.0.0.1:4318");
    a.update(common::polled(
        "tm",
        Batch {
            runs: vec![temporal_run("wf-refund-7")],
            offered: Some(vec![ActionKind::StopRun]),
            ..Batch::default()
        },
        at(1),
    ));
    a
}

fn select(a: &mut App, id: &str) {
    let row = a
        .runs
        .rows
        .iter()
        .position(|&r| a.store.runs[r].id == id)
        .expect("the run is listed");
    a.runs.sel = row;
}

#[test]
fn a_span_naming_a_temporal_workflow_is_shown_on_it_and_x_stops_it_there() {
    let mut a = app();
    let mut m = mapper("?link=tm:temporalWorkflowID");
    let mut spans = agent_run(7, "refund-agent", &[("send_email", r#"{"to":"all@x"}"#)]);
    for sp in &mut spans {
        sp.attributes.push(s("temporalWorkflowID", "wf-refund-7"));
    }
    let (recs, _) = split(a.update(common::polled("otel", otlp_batch(&mut m, spans), at(5))));
    // One run: the platform's, holding the span's evidence.
    assert_eq!(a.store.runs.len(), 1);
    let ri = a.store.run_idx("tm", "wf-refund-7").unwrap();
    let on_run: Vec<&str> = a
        .store
        .events_of_run(ri)
        .iter()
        .map(|&i| a.store.events[i as usize].event.summary.as_str())
        .collect();
    assert!(on_run[0].starts_with("[otel] send_email("), "{on_run:?}");
    assert_eq!(on_run.len(), 3);
    assert!(
        recs.iter()
            .all(|r| matches!(r, Record::Event { source, .. } if source == "tm"))
    );
    select(&mut a, "wf-refund-7");
    let fx = a.update(ch('x'));
    assert!(
        fx.iter().any(|f| matches!(f, Effect::Preview { source, kind: ActionKind::StopRun, .. } if source == "tm")),
        "{fx:?}"
    );
}

#[test]
fn a_link_to_a_source_not_in_this_session_stays_with_the_receiver() {
    let mut a = app();
    let mut m = mapper("?link=lg:metadata.run_id");
    let mut spans = agent_run(8, "graph", &[("t", "{}")]);
    for sp in &mut spans {
        sp.attributes.push(s("metadata", r#"{"run_id":"run-1"}"#));
    }
    a.update(common::polled("otel", otlp_batch(&mut m, spans), at(5)));
    assert!(
        a.store
            .has_event("otel", &a.store.events.last().unwrap().event.id)
    );
    assert_eq!(a.store.runs.len(), 1, "no run invented for it");
}

#[test]
fn x_on_an_observed_run_says_it_only_observes_and_a_custom_action_still_acts() {
    use cordon::contain::custom::{CustomAction, Scope};
    let mut a = app();
    let mut m = mapper("");
    let mut spans = agent_run(9, "refund-agent", &[("send_email", "{}")]);
    spans.pop(); // still running: the root has not ended
    a.update(common::polled("otel", otlp_batch(&mut m, spans), at(5)));
    let id = format!("{:032x}", 9);
    let run = a.store.runs[a.store.run_idx("otel", &id).unwrap()].clone();
    assert_eq!(run.state, RunState::Running);
    select(&mut a, &id);
    let fx = a.update(ch('x'));
    assert!(fx.iter().all(|f| !matches!(f, Effect::Preview { .. })));
    assert_eq!(a.mode, Mode::Normal);
    assert!(
        a.flash
            .as_deref()
            .unwrap_or("")
            .contains("otel only observes"),
        "{:?}",
        a.flash
    );
    a.custom_actions.push(CustomAction {
        name: "kill-pod".into(),
        key: 'V',
        scope: Scope::Run,
        command: Some(vec![
            "kubectl".into(),
            "delete".into(),
            "pod".into(),
            "$RUN_ID".into(),
        ]),
        http: None,
        dangerous: true,
        confirm: true,
    });
    a.update(ch('V'));
    let Mode::Confirm(c) = &a.mode else {
        panic!("{:?}", a.mode)
    };
    let What::Custom { argv, .. } = &c.what else {
        panic!()
    };
    assert_eq!(argv[3], id);
    a.update(common::key(ratatui::crossterm::event::KeyCode::Tab));
    let fx = a.update(common::key(ratatui::crossterm::event::KeyCode::Enter));
    assert!(
        fx.iter()
            .any(|f| matches!(f, Effect::RunCustom { vars, .. } if vars.run_id == id)),
        "{fx:?}"
    );
}
