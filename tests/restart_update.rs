//! Staged restart in `update()`, on a fixed clock: `R` on a control in
//! force lifts its canary scope through the confirm dialog; a confirmed
//! inverse opens the watch window; the tick closes a clean window and the
//! next stage is offered; harm in the watched scope re-applies the control
//! in the same update that brought it. Every step is journaled.

mod common;

use common::*;
use cordon::app::restart::Phase;
use cordon::app::{App, Effect, Mode, Msg, Pane};
use cordon::contain::ActionMsg;
use cordon::journal::Record;
use cordon::model::restart::RestartStep;
use cordon::model::{ActionKind, ActionPhase, Controls, Event, Run, Target};
use cordon::source::Batch;
use ratatui::crossterm::event::KeyCode;
use serde_json::json;

fn run(id: &str, workflow: &str) -> Run {
    Run::from_wire(
        "sim",
        &json!({"id": id, "agent": format!("agent-{id}"), "agent_class": "support-drafter",
                "workflow": workflow, "state": "paused", "started_at": "2026-11-24T09:59:00Z",
                "tools": ["email.send"]}),
    )
    .unwrap()
}

fn event(id: &str, run: &str, secs: i64, outbound: bool) -> Event {
    Event::from_wire_value(
        &json!({"id": id, "run_id": run, "at": at(secs).to_rfc3339(),
                "kind": if outbound { "message_sent" } else { "tool_call" },
                "summary": if outbound { "Sent refund email to segment all-customers" } else { "crm.read(…)" },
                "outbound": outbound}),
        at(secs),
    )
    .unwrap()
}

/// Two workflows paused; the Containment pane focused on the first.
fn paused_two() -> App {
    let mut a = app(at(0));
    let batch = Batch {
        runs: vec![
            run("run_a", "refund-followups"),
            run("run_b", "weekly-digest"),
        ],
        controls: Some(Controls {
            paused_workflows: vec!["refund-followups".into(), "weekly-digest".into()],
            ..Controls::default()
        }),
        offered: Some(ActionKind::ALL.to_vec()),
        ..Batch::default()
    };
    a.update(polled("sim", batch, at(0)));
    a.focus = Pane::Containment;
    a.contain_sel = 0;
    a
}

fn restart_steps(recs: &[Record]) -> Vec<RestartStep> {
    recs.iter()
        .filter_map(|r| match r {
            Record::Restart { step, .. } => Some(step.clone()),
            _ => None,
        })
        .collect()
}

fn executed(fx: &[Effect]) -> Vec<cordon::model::ActionRequest> {
    fx.iter()
        .filter_map(|f| match f {
            Effect::Execute(r, _) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn verified(a: &mut App, id: &str, secs: i64) -> Vec<Effect> {
    a.update(Msg::Action(
        ActionMsg::Verified {
            id: id.into(),
            outcome: ActionPhase::Confirmed,
            detail: "seen".into(),
            reverted: vec![],
        },
        at(secs),
    ))
}

/// `R`, then confirm the dialog: the stage's inverse is sent.
fn start_stage(a: &mut App) -> cordon::model::ActionRequest {
    let (recs, _) = split(a.update(ch('R')));
    assert!(
        matches!(a.mode, Mode::Confirm(_)),
        "R opens the confirm dialog"
    );
    a.update(key(KeyCode::Tab));
    let (more, rest) = split(a.update(key(KeyCode::Enter)));
    let reqs = executed(&rest);
    assert_eq!(reqs.len(), 1);
    let steps = restart_steps(&[recs, more].concat());
    assert!(
        steps
            .iter()
            .any(|s| matches!(s, RestartStep::Lifting { action, .. } if *action == reqs[0].id)),
        "{steps:?}"
    );
    reqs[0].clone()
}

/// Through stage 1's confirmation: the window is open.
fn watching() -> (App, cordon::model::ActionRequest) {
    let mut a = paused_two();
    let req = start_stage(&mut a);
    assert_eq!(req.kind, ActionKind::ResumeWorkflow);
    assert_eq!(req.target.workflow.as_deref(), Some("refund-followups"));
    let (recs, _) = split(verified(&mut a, &req.id, 1));
    let steps = restart_steps(&recs);
    assert_eq!(
        steps,
        vec![RestartStep::Watching {
            stage: 0,
            until: at(1 + 120)
        }]
    );
    (a, req)
}

#[test]
fn r_plans_the_selected_scope_first_and_the_rest_as_the_next_stage() {
    let mut a = paused_two();
    let (recs, _) = split(a.update(ch('R')));
    match &restart_steps(&recs)[..] {
        [
            RestartStep::Planned {
                control,
                stages,
                window_secs,
                ..
            },
        ] => {
            assert_eq!(*control, ActionKind::PauseWorkflow);
            let wfs: Vec<_> = stages.iter().map(|t| t.workflow.clone().unwrap()).collect();
            assert_eq!(wfs, ["refund-followups", "weekly-digest"]);
            assert_eq!(*window_secs, 120);
        }
        s => panic!("{s:?}"),
    }
    // Esc leaves the control in force and nothing sent.
    let fx = a.update(key(KeyCode::Esc));
    assert!(executed(&fx).is_empty());
}

#[test]
fn a_clean_window_offers_the_next_stage() {
    let (mut a, _) = watching();
    // Benign work in scope, harm out of scope: the window stays clean.
    let b = Batch {
        events: vec![
            event("e1", "run_a", 30, false),
            event("e2", "run_b", 31, true),
        ],
        ..Batch::default()
    };
    let fx = a.update(polled("sim", b, at(31)));
    assert!(executed(&fx).is_empty(), "nothing re-applied");
    let (recs, _) = split(a.update(Msg::Tick(at(120))));
    assert!(restart_steps(&recs).is_empty(), "the window is not over");
    let (recs, _) = split(a.update(Msg::Tick(at(121))));
    assert_eq!(restart_steps(&recs), vec![RestartStep::Clean { stage: 0 }]);
    assert_eq!(a.restarts[0].phase, Phase::Clean);
    assert!(
        a.flash
            .as_deref()
            .unwrap()
            .contains("R restarts the next stage")
    );
    // R now proposes stage 2: the other workflow.
    let req = start_stage(&mut a);
    assert_eq!(req.target.workflow.as_deref(), Some("weekly-digest"));
    let (recs, _) = split(verified(&mut a, &req.id, 130));
    assert!(matches!(
        restart_steps(&recs)[..],
        [RestartStep::Watching { stage: 1, .. }]
    ));
    let (recs, _) = split(a.update(Msg::Tick(at(251))));
    let steps = restart_steps(&recs);
    assert!(
        matches!(
            steps[..],
            [RestartStep::Clean { stage: 1 }, RestartStep::Ended { .. }]
        ),
        "{steps:?}"
    );
}

#[test]
fn harm_in_the_window_reapplies_the_control_in_the_same_update() {
    let (mut a, _) = watching();
    let b = Batch {
        events: vec![event("e9", "run_a", 40, true)],
        ..Batch::default()
    };
    let (recs, rest) = split(a.update(polled("sim", b, at(40))));
    // The intent is journaled before the effect that sends it, in the
    // update that brought the harm: before the next poll.
    let reqs = executed(&rest);
    assert_eq!(reqs.len(), 1, "{rest:?}");
    let r = &reqs[0];
    assert_eq!(r.kind, ActionKind::PauseWorkflow);
    assert_eq!(
        r.target,
        Target {
            workflow: Some("refund-followups".into()),
            ..Target::default()
        }
    );
    assert!(
        r.reason.contains("automatic re-containment"),
        "{}",
        r.reason
    );
    assert!(
        recs.iter()
            .any(|x| matches!(x, Record::ActionIntent { request, .. } if request.id == r.id))
    );
    match &restart_steps(&recs)[..] {
        [
            RestartStep::Harm {
                run,
                event,
                why,
                action,
                ..
            },
        ] => {
            assert_eq!(
                (run.as_str(), event.as_str(), action),
                ("run_a", "e9", &r.id)
            );
            assert!(why.starts_with("outbound from run run_a"), "{why}");
        }
        s => panic!("{s:?}"),
    }
    // Confirmed as any action.
    verified(&mut a, &r.id, 41);
    let act = a.actions.iter().find(|x| x.req.id == r.id).unwrap();
    assert_eq!(act.phase, ActionPhase::Confirmed);
    assert!(matches!(a.restarts[0].phase, Phase::Recontained { .. }));
    // The window's end no longer offers anything.
    let (recs, _) = split(a.update(Msg::Tick(at(500))));
    assert!(restart_steps(&recs).is_empty());
}

#[test]
fn a_stage_whose_inverse_is_not_confirmed_ends_the_restart() {
    let mut a = paused_two();
    let req = start_stage(&mut a);
    let (recs, _) = split(a.update(Msg::Action(
        ActionMsg::Verified {
            id: req.id.clone(),
            outcome: ActionPhase::Unconfirmed,
            detail: "still paused".into(),
            reverted: vec![],
        },
        at(5),
    )));
    assert!(
        matches!(&restart_steps(&recs)[..], [RestartStep::Ended { why }] if why.contains("not confirmed"))
    );
}

#[test]
fn the_window_is_editable_and_replays_from_the_journal() {
    let (mut a, _) = watching();
    let (recs, _) = split(a.update(ch(']')));
    assert_eq!(
        restart_steps(&recs),
        vec![RestartStep::Window { secs: 150 }]
    );
    assert_eq!(a.restarts[0].phase, Phase::Watching { until: at(151) });
    // A replay of the journal alone tells the same restart.
    let mut all = Vec::new();
    let mut b = paused_two();
    for m in [ch('R'), key(KeyCode::Tab), key(KeyCode::Enter)] {
        all.extend(split(b.update(m)).0);
    }
    let id = b.actions[0].req.id.clone();
    all.extend(split(verified(&mut b, &id, 1)).0);
    all.extend(split(b.update(ch('['))).0);
    let mut c = paused_two();
    for r in &all {
        c.apply(r);
    }
    assert_eq!(c.restarts, b.restarts);
    assert_eq!(c.restarts[0].window_secs, 90);
}

/// Watching, then an outbound send in scope at 40 s.
fn recontained() -> App {
    let (mut a, _) = watching();
    let b = Batch {
        events: vec![event("e9", "run_a", 40, true)],
        ..Batch::default()
    };
    a.update(polled("sim", b, at(40)));
    a
}

#[test]
fn the_postmortem_tells_every_stage_window_and_recontainment() {
    let a = recontained();
    let j = cordon::report::JournalView::from_bytes(b"");
    let pm = cordon::report::render("postmortem", &a, &j, at(60));
    let section = &pm[pm.find("## Containment").unwrap()..pm.find("## Timeline").unwrap()];
    assert!(
        section.contains("### Staged restart 1 of `pause_workflow`"),
        "{section}"
    );
    for said in [
        "staged restart planned",
        "stage 1: resume_workflow workflow refund-followups sent",
        "watching",
        "harm in the window",
    ] {
        assert!(section.contains(said), "{said} missing:\n{section}");
    }
    let timeline = &pm[pm.find("## Timeline").unwrap()..];
    assert!(timeline.contains("**Staged restart 1**"), "{timeline}");
    assert!(timeline.contains("re-applied at once"), "{timeline}");
}

#[test]
fn containment_pane_with_a_staged_restart_in_progress() {
    let mut a = cordon::scenes::restart_app();
    assert!(matches!(a.restarts[0].phase, Phase::Watching { .. }));
    insta::assert_snapshot!(screen(&mut a, 160, 48));
}

#[test]
fn after_a_recontainment_r_starts_a_new_restart() {
    let mut a = recontained();
    a.update(key(KeyCode::Esc));
    let (recs, _) = split(a.update(ch('R')));
    assert!(
        matches!(&restart_steps(&recs)[..], [RestartStep::Planned { .. }]),
        "{:?} {:?}",
        recs,
        a.flash
    );
    assert_eq!(a.restarts.len(), 2);
}
