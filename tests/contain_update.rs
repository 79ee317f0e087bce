//! Containment in `update()`: every key opens the right dialog, Cancel is
//! the default, read-only binds nothing dangerous, marked runs are all
//! targeted, intents are journaled before the execute effect.

mod common;

use common::*;
use cordon::app::{App, ConfirmFocus, Effect, Mode, Msg, Pane, Preview, What};
use cordon::contain::ActionMsg;
use cordon::journal::Record;
use cordon::model::{ActionAnswer, ActionKind, ActionPhase, Target};
use ratatui::crossterm::event::KeyCode;

/// An app on the "all" scenarios, with the Runs selection on a running run
/// of `workflow`.
fn app_on(workflow: &str) -> App {
    let mut a = app_with(&["all"], false, 20);
    let pos = a
        .runs
        .rows
        .iter()
        .position(|&r| a.store.runs[r].workflow == workflow && a.store.runs[r].state.is_active())
        .unwrap();
    a.runs.sel = pos;
    a
}

fn confirm(a: &App) -> &cordon::app::Confirm {
    match &a.mode {
        Mode::Confirm(c) => c,
        m => panic!("expected a confirm dialog, got {m:?}"),
    }
}

fn kind_and_target(a: &App) -> (ActionKind, Target) {
    let c = confirm(a);
    match &c.what {
        What::Builtin(k) => (*k, c.targets[0].1.clone()),
        _ => panic!("custom"),
    }
}

/// Press `k`, Tab to the action, Enter: the journal records and the first
/// request sent.
fn press_and_confirm(a: &mut App, k: char) -> (Vec<Record>, cordon::model::ActionRequest) {
    a.update(ch(k));
    a.update(key(KeyCode::Tab));
    let (recs, rest) = split(a.update(key(KeyCode::Enter)));
    let req = rest
        .iter()
        .find_map(|f| match f {
            Effect::Execute(r, _) => Some(r.clone()),
            _ => None,
        })
        .expect("an action sent");
    (recs, req)
}

fn sel_run(a: &App) -> cordon::model::Run {
    a.store.runs[a.selected_run().unwrap()].clone()
}

#[test]
fn each_key_opens_the_right_dialog_with_a_dry_run() {
    let cases: &[(char, ActionKind)] = &[
        ('x', ActionKind::StopRun),
        ('X', ActionKind::RollbackRun),
        ('P', ActionKind::PauseWorkflow),
        ('h', ActionKind::HoldQueue),
        ('H', ActionKind::HoldQueue),
        ('b', ActionKind::BlockOutbound),
        ('B', ActionKind::BlockOutbound),
    ];
    for &(key, kind) in cases {
        let mut a = app_on("refund-followups");
        let run = sel_run(&a);
        let fx = a.update(ch(key));
        let (k, t) = kind_and_target(&a);
        assert_eq!(k, kind, "key {key}");
        let expected = match key {
            'x' | 'X' => Target {
                run_id: Some(run.id.to_string()),
                ..Target::default()
            },
            'P' | 'h' => Target {
                workflow: Some(run.workflow.to_string()),
                ..Target::default()
            },
            'b' => Target {
                agent_class: Some(run.agent_class.to_string()),
                ..Target::default()
            },
            _ => Target::default(),
        };
        assert_eq!(t, expected, "key {key}");
        assert!(
            matches!(&fx[..], [Effect::Preview { kind: k, source, .. }] if *k == kind && source == "sim"),
            "key {key} asks for a dry run: {fx:?}"
        );
        assert_eq!(
            confirm(&a).focus,
            ConfirmFocus::Cancel,
            "Cancel is the default"
        );
        assert_eq!(confirm(&a).preview, Preview::Loading);
    }
}

#[test]
fn tool_and_credential_pickers() {
    let mut a = app_on("refund-followups");
    let run = sel_run(&a);
    a.update(ch('t'));
    let Mode::Pick(p) = &a.mode else {
        panic!("picker")
    };
    assert_eq!(p.items, run.tools);
    a.update(ch('j'));
    a.update(key(KeyCode::Enter));
    let (k, t) = kind_and_target(&a);
    assert_eq!(k, ActionKind::RevokeTool);
    assert_eq!(t.agent_class.as_deref(), Some(run.agent_class.as_str()));
    assert_eq!(t.tool.as_deref(), Some(run.tools[1].as_str()));

    let mut a = app_on("refund-followups");
    a.update(ch('c'));
    a.update(key(KeyCode::Enter));
    let (k, t) = kind_and_target(&a);
    assert_eq!(k, ActionKind::RevokeCredential);
    assert_eq!(t.credential.as_deref(), Some("cred_sendgrid_prod"));
}

#[test]
fn cancel_is_the_default_and_sends_nothing() {
    let mut a = app_on("invoice-sync");
    a.update(ch('x'));
    let fx = a.update(key(KeyCode::Enter));
    assert!(fx.is_empty(), "Enter on the default button cancels: {fx:?}");
    assert_eq!(a.mode, Mode::Normal);
    a.update(ch('x'));
    let fx = a.update(key(KeyCode::Esc));
    assert!(fx.is_empty());
    assert!(a.actions.is_empty());
}

#[test]
fn confirm_journals_intent_then_executes_with_its_key() {
    let mut a = app_on("invoice-sync");
    let run = sel_run(&a);
    a.update(ch('x'));
    a.update(key(KeyCode::Tab));
    assert_eq!(confirm(&a).focus, ConfirmFocus::Confirm);
    let fx = a.update(key(KeyCode::Enter));
    assert_eq!(fx.len(), 2, "{fx:?}");
    let (
        Effect::Journal(Record::ActionIntent {
            request, operator, ..
        }),
        Effect::Execute(req, _),
    ) = (&fx[0], &fx[1])
    else {
        panic!("intent first, then execute: {fx:?}");
    };
    assert_eq!(request, req);
    assert_eq!(req.kind, ActionKind::StopRun);
    assert_eq!(req.target.run_id.as_deref(), Some(run.id.as_str()));
    assert_eq!(req.key.len(), 36, "a fresh uuid idempotency key");
    assert!(
        req.reason.contains("INC-20261124-100000"),
        "reason prefilled from the incident"
    );
    assert_eq!(operator.user, "alice");
    assert_eq!(req.actor, "alice@bastion-1");
    assert_eq!(a.actions[0].phase, ActionPhase::Intent);
}

#[test]
fn reason_is_editable_and_required() {
    let mut a = app_on("invoice-sync");
    a.update(ch('x'));
    // Tab twice: Confirm, then the reason field.
    a.update(key(KeyCode::Tab));
    a.update(key(KeyCode::Tab));
    assert_eq!(confirm(&a).focus, ConfirmFocus::Reason);
    for _ in 0..200 {
        a.update(key(KeyCode::Backspace));
    }
    keys(&mut a, "retry storm on billing");
    assert_eq!(confirm(&a).reason, "retry storm on billing");
    // Typing 'q' or 'x' in the reason must not quit or act.
    // Enter in the field moves to the Confirm button, not past it.
    a.update(key(KeyCode::Enter));
    assert_eq!(confirm(&a).focus, ConfirmFocus::Confirm);
    let fx = a.update(key(KeyCode::Enter));
    let (_, rest) = split(fx);
    let Effect::Execute(req, _) = &rest[0] else {
        panic!()
    };
    assert_eq!(req.reason, "retry storm on billing");
    // An empty reason is refused with a message.
    let mut b = app_on("invoice-sync");
    b.update(ch('x'));
    b.update(key(KeyCode::BackTab));
    for _ in 0..200 {
        b.update(key(KeyCode::Backspace));
    }
    b.update(key(KeyCode::Enter));
    let fx = b.update(key(KeyCode::Enter));
    assert!(fx.is_empty());
    assert!(confirm(&b).warning.as_deref().unwrap().contains("reason"));
}

#[test]
fn global_scope_needs_the_word_typed() {
    let mut a = app_on("refund-followups");
    a.update(ch('B'));
    assert!(confirm(&a).needs_typing());
    a.update(key(KeyCode::Tab));
    let fx = a.update(key(KeyCode::Enter));
    assert!(fx.is_empty(), "not without typing");
    assert_eq!(confirm(&a).focus, ConfirmFocus::Typed);
    keys(&mut a, "ye");
    a.update(key(KeyCode::Enter));
    assert!(
        a.update(key(KeyCode::Enter)).is_empty(),
        "'ye' is not 'yes'"
    );
    keys(&mut a, "s");
    a.update(key(KeyCode::Enter));
    let (recs, rest) = split(a.update(key(KeyCode::Enter)));
    assert!(matches!(&recs[0], Record::ActionIntent { request, .. } if request.target.is_global()));
    assert!(matches!(&rest[0], Effect::Execute(..)));
}

#[test]
fn ten_affected_runs_need_typing() {
    let mut a = app_on("refund-followups");
    a.update(ch('P'));
    let proposal = confirm(&a).proposal;
    assert!(!confirm(&a).needs_typing());
    let many: Vec<String> = (0..12).map(|i| format!("run_{i}")).collect();
    a.update(Msg::Action(
        ActionMsg::Preview {
            proposal,
            result: Ok(ActionAnswer {
                affected_runs: many,
                ..ActionAnswer::default()
            }),
        },
        at(21),
    ));
    assert_eq!(
        confirm(&a).preview.affected().unwrap(),
        (0..12).map(|i| format!("run_{i}")).collect::<Vec<_>>()
    );
    assert!(confirm(&a).needs_typing());
    a.update(key(KeyCode::Tab));
    assert!(a.update(key(KeyCode::Enter)).is_empty());
    keys(&mut a, "refund-followups");
    a.update(key(KeyCode::Enter));
    let (_, rest) = split(a.update(key(KeyCode::Enter)));
    assert!(matches!(&rest[0], Effect::Execute(r, _) if r.kind == ActionKind::PauseWorkflow));
}

#[test]
fn marked_runs_are_all_targeted() {
    let mut a = app_with(&["all"], false, 20);
    let active: Vec<usize> = (0..a.runs.rows.len())
        .filter(|&p| a.store.runs[a.runs.rows[p]].state.is_active())
        .collect();
    let mut ids = Vec::new();
    for &p in active.iter().take(3) {
        a.runs.sel = p;
        ids.push(sel_run(&a).id);
        a.update(ch(' '));
    }
    assert_eq!(a.marked.len(), 3);
    a.update(ch('x'));
    let targeted: Vec<String> = confirm(&a)
        .targets
        .iter()
        .map(|(_, t)| t.run_id.clone().unwrap())
        .collect();
    let mut want = ids.clone();
    want.sort();
    let mut got = targeted.clone();
    got.sort();
    assert_eq!(got, want);
    a.update(key(KeyCode::Tab));
    let (recs, rest) = split(a.update(key(KeyCode::Enter)));
    assert_eq!(recs.len(), 3);
    assert_eq!(rest.len(), 3);
    let keys: std::collections::HashSet<String> = rest
        .iter()
        .map(|e| {
            if let Effect::Execute(r, _) = e {
                r.key.clone()
            } else {
                panic!()
            }
        })
        .collect();
    assert_eq!(keys.len(), 3, "one idempotency key per action");
    assert!(a.marked.is_empty(), "marks clear once the stop is sent");
}

#[test]
fn read_only_binds_nothing_dangerous() {
    let mut a = app_on("refund-followups");
    a.read_only = true;
    for c in cordon::app::contain::DANGEROUS {
        let fx = a.update(ch(*c));
        assert!(
            fx.iter()
                .all(|e| !matches!(e, Effect::Preview { .. } | Effect::Execute(..))),
            "key {c}"
        );
        assert!(
            !matches!(a.mode, Mode::Confirm(_) | Mode::Pick(_)),
            "key {c} opened {:?}",
            a.mode
        );
        a.mode = Mode::Normal;
    }
    // The palette refuses actions.
    a.update(ch(':'));
    keys(&mut a, "block-outbound");
    a.update(key(KeyCode::Enter));
    let Mode::Palette(p) = &a.mode else {
        panic!("palette stays open with its error")
    };
    assert!(p.error.as_deref().unwrap().contains("read-only"));
    // Help does not list what is not bound.
    a.mode = Mode::Normal;
    a.update(ch('?'));
    let s = screen(&mut a, 120, 48);
    assert!(!s.contains("stop the run"), "{s}");
    assert!(s.contains("command palette"));
}

#[test]
fn unoffered_actions_are_not_offered() {
    let mut a = app_on("refund-followups");
    a.sources[0].offered = vec![ActionKind::StopRun];
    a.update(ch('P'));
    assert_eq!(a.mode, Mode::Normal);
    assert!(
        a.flash
            .as_deref()
            .unwrap()
            .contains("does not offer pause_workflow")
    );
    a.update(ch('x'));
    assert!(matches!(a.mode, Mode::Confirm(_)));
}

#[test]
fn palette_takes_actions_by_name() {
    let mut a = app_on("invoice-sync");
    let run = sel_run(&a);
    a.update(ch(':'));
    keys(&mut a, &format!("stop {}", run.id));
    a.update(key(KeyCode::Enter));
    assert_eq!(
        kind_and_target(&a),
        (
            ActionKind::StopRun,
            Target {
                run_id: Some(run.id.to_string()),
                ..Target::default()
            }
        )
    );
    a.mode = Mode::Normal;
    a.update(ch(':'));
    keys(&mut a, "pause refund-followups");
    a.update(key(KeyCode::Enter));
    assert_eq!(
        kind_and_target(&a).1.workflow.as_deref(),
        Some("refund-followups")
    );
    a.mode = Mode::Normal;
    a.update(ch(':'));
    keys(&mut a, "block-outbound");
    a.update(key(KeyCode::Enter));
    assert_eq!(
        kind_and_target(&a),
        (ActionKind::BlockOutbound, Target::default())
    );
    a.mode = Mode::Normal;
    a.update(ch(':'));
    keys(&mut a, "revoke-tool billing-sync billing.api");
    a.update(key(KeyCode::Enter));
    assert_eq!(kind_and_target(&a).1.tool.as_deref(), Some("billing.api"));
    a.mode = Mode::Normal;
    a.update(ch(':'));
    keys(&mut a, "explode now");
    a.update(key(KeyCode::Enter));
    let Mode::Palette(p) = &a.mode else { panic!() };
    assert!(p.error.as_deref().unwrap().contains("unknown command"));
}

#[test]
fn palette_completes_and_remembers() {
    let mut a = app_on("invoice-sync");
    a.update(ch(':'));
    keys(&mut a, "pau");
    a.update(key(KeyCode::Tab));
    let Mode::Palette(p) = &a.mode else { panic!() };
    assert_eq!(p.text, "pause ");
    keys(&mut a, "inv");
    a.update(key(KeyCode::Tab));
    let Mode::Palette(p) = &a.mode else { panic!() };
    assert_eq!(p.text, "pause invoice-sync ");
    a.update(key(KeyCode::Enter));
    a.mode = Mode::Normal;
    a.update(ch(':'));
    a.update(key(KeyCode::Up));
    let Mode::Palette(p) = &a.mode else { panic!() };
    assert_eq!(p.text, "pause invoice-sync");
}

#[test]
fn lifecycle_messages_move_the_action_and_are_journaled() {
    let mut a = app_on("invoice-sync");
    let (_, req) = press_and_confirm(&mut a, 'x');
    let id = req.id.clone();
    let (recs, _) = split(a.update(Msg::Action(
        ActionMsg::Sent { id: id.clone() },
        at(20) + chrono::Duration::milliseconds(3),
    )));
    assert!(matches!(&recs[0], Record::ActionSent { .. }));
    assert_eq!(a.actions[0].phase, ActionPhase::Sent);
    let answer = ActionAnswer {
        action_id: "act_1".into(),
        kind: "stop_run".into(),
        state: "applied".into(),
        affected_runs: vec![],
        message: "run stopped".into(),
        ..ActionAnswer::default()
    };
    let (recs, _) = split(a.update(Msg::Action(
        ActionMsg::Answered {
            id: id.clone(),
            result: Ok(answer),
            attempts: 1,
            lost: None,
        },
        at(20) + chrono::Duration::milliseconds(40),
    )));
    assert!(matches!(
        &recs[0],
        Record::ActionResult { accepted: true, .. }
    ));
    assert_eq!(
        a.actions[0].phase,
        ActionPhase::Accepted,
        "a 2xx alone is not done"
    );
    let (recs, _) = split(a.update(Msg::Action(
        ActionMsg::Verified {
            id: id.clone(),
            outcome: ActionPhase::Confirmed,
            detail: "run is stopped".into(),
            reverted: vec![],
        },
        at(20) + chrono::Duration::milliseconds(430),
    )));
    assert!(matches!(
        &recs[0],
        Record::ActionVerified {
            confirmed: true,
            ..
        }
    ));
    assert_eq!(a.actions[0].phase, ActionPhase::Confirmed);
    assert_eq!(a.actions[0].secs(a.actions[0].verified_at), Some(0.43));
    assert_eq!(
        cordon::ui::containment::progress(&a.actions[0]),
        "sent 3 ms → accepted 40 ms → CONFIRMED in 0.4 s"
    );
    a.update(ch('4'));
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("CONFIRMED stop_run"), "{s}");
}

#[test]
fn refused_and_unconfirmed_are_never_done() {
    let mut a = app_on("invoice-sync");
    let (_, req) = press_and_confirm(&mut a, 'x');
    a.update(Msg::Action(
        ActionMsg::Answered {
            id: req.id.clone(),
            result: Err((
                Some(403),
                "403 forbidden (the token may not do this)".into(),
            )),
            attempts: 1,
            lost: None,
        },
        at(21),
    ));
    assert_eq!(a.actions[0].phase, ActionPhase::Refused);
    assert!(a.actions[0].detail.contains("403"));
    let mut b = app_on("invoice-sync");
    let (_, req) = press_and_confirm(&mut b, 'x');
    let ok = ActionAnswer {
        action_id: "a".into(),
        kind: "stop_run".into(),
        state: "applied".into(),
        affected_runs: vec![],
        message: String::new(),
        ..ActionAnswer::default()
    };
    b.update(Msg::Action(
        ActionMsg::Answered {
            id: req.id.clone(),
            result: Ok(ok),
            attempts: 1,
            lost: None,
        },
        at(21),
    ));
    b.update(Msg::Action(
        ActionMsg::Verified {
            id: req.id.clone(),
            outcome: ActionPhase::Unconfirmed,
            detail: "effect not seen after 20 s: run still running".into(),
            reverted: vec![],
        },
        at(41),
    ));
    assert_eq!(b.actions[0].phase, ActionPhase::Unconfirmed);
}

#[test]
fn inverse_from_containment_pane_and_from_run() {
    let mut a = app_on("refund-followups");
    let mut controls = cordon::model::Controls::default();
    controls.paused_workflows.push("refund-followups".into());
    controls.outbound_blocked.push("*".into());
    a.store.controls.insert("sim".into(), controls);
    // On the run: u undoes what holds it back.
    a.update(ch('u'));
    let (k, _) = kind_and_target(&a);
    assert!(
        matches!(k, ActionKind::UnblockOutbound | ActionKind::ResumeWorkflow),
        "{k:?}"
    );
    a.mode = Mode::Normal;
    // In the Containment pane: the selected control's inverse.
    a.update(ch('4'));
    assert_eq!(a.focus, Pane::Containment);
    a.update(ch('u'));
    assert_eq!(
        kind_and_target(&a),
        (ActionKind::UnblockOutbound, Target::default())
    );
    a.mode = Mode::Normal;
    a.update(ch('j'));
    a.update(key(KeyCode::Enter));
    assert_eq!(
        kind_and_target(&a),
        (
            ActionKind::ResumeWorkflow,
            Target {
                workflow: Some("refund-followups".into()),
                ..Target::default()
            }
        )
    );
}

#[test]
fn replayed_action_records_rebuild_the_pane() {
    let mut a = app_on("invoice-sync");
    a.update(ch('x'));
    a.update(key(KeyCode::Tab));
    let (mut recs, rest) = split(a.update(key(KeyCode::Enter)));
    let Effect::Execute(req, _) = &rest[0] else {
        panic!()
    };
    let (r2, _) = split(a.update(Msg::Action(ActionMsg::Sent { id: req.id.clone() }, at(21))));
    recs.extend(r2);
    let mut b = app(at(0));
    for r in &recs {
        b.apply(r);
    }
    assert_eq!(b.actions, a.actions);
}

#[test]
fn custom_action_confirms_runs_and_is_journaled() {
    use cordon::app::CustomDone;
    use cordon::contain::custom::{CustomAction, Scope};
    let mut a = app_on("refund-followups");
    let run = sel_run(&a);
    a.custom_actions.push(CustomAction {
        name: "revoke-vault-lease".into(),
        key: 'V',
        scope: Scope::Run,
        command: Some(vec![
            "vault".into(),
            "lease".into(),
            "revoke".into(),
            "-prefix".into(),
            "agents/$AGENT_CLASS/$RUN_ID".into(),
        ]),
        http: None,
        dangerous: true,
        confirm: true,
    });
    a.update(ch('V'));
    let c = confirm(&a);
    let What::Custom { argv, .. } = &c.what else {
        panic!()
    };
    assert_eq!(argv[4], format!("agents/{}/{}", run.agent_class, run.id));
    assert_eq!(c.focus, ConfirmFocus::Cancel);
    a.update(key(KeyCode::Tab));
    let fx = a.update(key(KeyCode::Enter));
    let Some(Effect::RunCustom { id, index, vars }) = fx.into_iter().next() else {
        panic!()
    };
    assert_eq!(vars.run_id, run.id);
    let (recs, _) = split(a.update(Msg::CustomDone(CustomDone {
        id,
        index,
        vars,
        exit: Some(0),
        output: "revoked 3 leases".into(),
        at: at(21),
    })));
    assert!(
        matches!(&recs[0], Record::CustomAction { exit: Some(0), name, .. } if name == "revoke-vault-lease")
    );
    // Read-only: a dangerous custom action is not bound.
    let mut b = app_on("refund-followups");
    b.read_only = true;
    b.custom_actions = a.custom_actions.clone();
    let fx = b.update(ch('V'));
    assert!(fx.is_empty());
    assert_eq!(b.mode, Mode::Normal);
}

#[test]
fn moved_keys_act_and_the_help_shows_them() {
    let mut a = app_on("invoice-sync");
    a.keymap = cordon::app::bindings::Keymap::from_config(&[("stop".into(), "Z".into())]).unwrap();
    assert!(
        a.update(ch('x')).is_empty(),
        "the old key is no longer bound"
    );
    assert_eq!(a.mode, Mode::Normal);
    a.update(ch('Z'));
    assert!(matches!(
        &confirm(&a).what,
        What::Builtin(ActionKind::StopRun)
    ));
    a.update(key(KeyCode::Esc));
    // Typing in a filter is text, not commands: 'Z' stays 'Z'.
    a.update(ch('/'));
    keys(&mut a, "Zx");
    assert_eq!(a.runs.filter, "Zx");
    a.update(key(KeyCode::Esc));
    a.update(ch('?'));
    let s = screen(&mut a, 120, 60);
    assert!(
        s.lines()
            .any(|l| l.contains(" Z ") && l.contains("stop the run")),
        "{s}"
    );
}

/// The Runs-table position of the first run in `state`.
fn select_state(a: &mut App, state: cordon::model::RunState) -> cordon::model::Run {
    let pos = a
        .runs
        .rows
        .iter()
        .position(|&r| a.store.runs[r].state == state)
        .unwrap_or_else(|| panic!("no {state:?} run"));
    a.runs.sel = pos;
    sel_run(a)
}

/// `x` on a run that has ended opens no dialog and sends nothing: a stop
/// could only "confirm" what was already so. Before, it opened a second
/// stop and confirmed it.
#[test]
fn x_on_an_ended_run_opens_no_second_stop() {
    let mut a = app_with(&["all"], false, 40);
    let run = select_state(&mut a, cordon::model::RunState::Succeeded);
    let fx = a.update(ch('x'));
    assert_eq!(a.mode, Mode::Normal);
    assert!(fx.is_empty(), "{fx:?}");
    let flash = a.flash.clone().unwrap();
    assert!(
        flash.contains(&format!(
            "run {} already ended (succeeded): nothing to stop",
            run.id
        )),
        "{flash}"
    );
    // `K` (terminate) the same; `X` (rollback) still opens: it undoes a
    // finished run's writes.
    a.update(ch('K'));
    assert_eq!(a.mode, Mode::Normal);
    a.update(ch('X'));
    assert!(matches!(a.mode, Mode::Confirm(_)));
}

/// A stop that is confirmed (or still under way) is not offered again,
/// even before the next poll shows the run stopped.
#[test]
fn a_run_being_stopped_is_not_stopped_twice() {
    let mut a = app_on("invoice-sync");
    let (_, req) = press_and_confirm(&mut a, 'x');
    let id = req.id.clone();
    a.update(ch('x'));
    assert_eq!(a.mode, Mode::Normal);
    assert!(
        a.flash.as_deref().unwrap().contains("already intent"),
        "{:?}",
        a.flash
    );
    a.update(Msg::Action(
        ActionMsg::Verified {
            id,
            outcome: ActionPhase::Confirmed,
            detail: "run is stopped".into(),
            reverted: vec![],
        },
        at(21),
    ));
    a.update(ch('x'));
    assert_eq!(a.mode, Mode::Normal);
    assert!(
        a.flash.as_deref().unwrap().contains("already CONFIRMED"),
        "{:?}",
        a.flash
    );
}

/// Marked runs: the ended ones are left out, and the dialog says so.
#[test]
fn marked_ended_runs_are_left_out_of_a_stop() {
    let mut a = app_with(&["all"], false, 40);
    let done = select_state(&mut a, cordon::model::RunState::Succeeded);
    a.update(ch(' '));
    let live = select_state(&mut a, cordon::model::RunState::Running);
    a.update(ch(' '));
    a.update(ch('x'));
    let c = confirm(&a);
    assert_eq!(c.targets.len(), 1);
    assert_eq!(c.targets[0].1.run_id.as_deref(), Some(live.id.as_str()));
    assert!(
        c.context
            .contains(&format!("run {} already ended", done.id)),
        "{}",
        c.context
    );
}

const FAULT: &str = "journal not writable since 10:00:21 UTC: No space left on device (os error 28); 12 records not written";

/// A journal that cannot be written: a red banner that stays, every
/// action refused (keys and an already open dialog), watching goes on.
#[test]
fn an_unwritable_journal_refuses_every_action_and_says_so() {
    let mut a = app_on("invoice-sync");
    a.update(ch('x'));
    a.update(Msg::JournalFailed(FAULT.into()));
    a.update(key(KeyCode::Tab));
    let fx = a.update(key(KeyCode::Enter));
    assert!(
        !fx.iter()
            .any(|f| matches!(f, Effect::Execute(..) | Effect::Journal(_))),
        "{fx:?}"
    );
    assert!(confirm(&a).warning.as_deref().unwrap().contains("refused"));
    a.update(key(KeyCode::Esc));
    let fx = a.update(ch('b'));
    assert!(fx.is_empty() && a.mode == Mode::Normal);
    assert!(
        a.flash
            .as_deref()
            .unwrap()
            .starts_with("refused: journal not writable")
    );
    // Polls still show.
    let events = a.store.events.len();
    let w = world(&["all"], false, 30);
    a.update(polled("sim", batch_of(&w, "sim"), at(30)));
    assert!(a.store.events.len() > events);
    a.flash = None;
    let s = screen(&mut a, 160, 48);
    assert!(
        s.lines().next().unwrap().contains("JOURNAL NOT WRITABLE"),
        "{s}"
    );
    assert!(s.contains("No space left on device"), "{s}");
}

fn preview_with(a: &mut App, answer: ActionAnswer) {
    let proposal = confirm(a).proposal;
    a.update(Msg::Action(
        ActionMsg::Preview {
            proposal,
            result: Ok(answer),
        },
        at(21),
    ));
}

/// What starts next: the platform says runs are queued behind the target
/// (a LangGraph thread); `a` adds their stops, sent before the run's own.
#[test]
fn the_runs_queued_behind_a_stopped_run_can_be_stopped_with_it() {
    let mut a = app_on("invoice-sync");
    let run = sel_run(&a);
    a.update(ch('x'));
    preview_with(
        &mut a,
        ActionAnswer {
            affected_runs: vec![run.id.to_string()],
            starts_next: vec!["run_q1".into(), "run_q2".into()],
            ..ActionAnswer::default()
        },
    );
    let n = confirm(&a).next.clone().expect("an offer");
    assert!(
        n.warning
            .contains("2 runs queued behind it will start as soon as it stops")
    );
    assert!(!n.on, "off until asked");
    let s = screen(&mut a, 160, 48);
    assert!(
        s.contains("Starts next") && s.contains("also stop the 2 queued runs"),
        "{s}"
    );
    a.update(key(KeyCode::Tab));
    a.update(ch('a'));
    assert!(confirm(&a).next.as_ref().unwrap().on);
    let fx = a.update(key(KeyCode::Enter));
    let order: Vec<String> = fx
        .iter()
        .filter_map(|f| match f {
            Effect::Execute(r, _) => r.target.run_id.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(order, vec!["run_q1", "run_q2", run.id.as_str()]);
    // Each intent is journaled before its execute.
    for (i, f) in fx.iter().enumerate() {
        if let Effect::Execute(r, _) = f {
            assert!(fx[..i].iter().any(|g| matches!(g, Effect::Journal(Record::ActionIntent { request, .. }) if request.id == r.id)));
        }
    }
}

/// A workflow whose queue will feed more runs: stopping one of its runs
/// offers to hold its queue too.
#[test]
fn stopping_a_run_offers_to_hold_its_workflows_queue() {
    let mut a = app_on("refund-followups");
    let queued = a
        .store
        .runs
        .iter()
        .filter(|r| r.workflow == "refund-followups" && r.state == cordon::model::RunState::Queued)
        .count();
    assert!(queued > 0);
    a.update(ch('x'));
    let n = confirm(&a).next.clone().expect("an offer");
    assert!(
        n.warning.contains(&format!("{queued} queued run")),
        "{}",
        n.warning
    );
    a.update(key(KeyCode::Tab));
    a.update(ch('a'));
    let fx = a.update(key(KeyCode::Enter));
    let kinds: Vec<ActionKind> = fx
        .iter()
        .filter_map(|f| match f {
            Effect::Execute(r, _) => Some(r.kind),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, vec![ActionKind::HoldQueue, ActionKind::StopRun]);
}

/// A lost answer is not a refusal: the action waits for its re-reads,
/// and the pane says the answer was lost.
#[test]
fn a_lost_answer_is_not_refused() {
    let mut a = app_on("invoice-sync");
    let (_, req) = press_and_confirm(&mut a, 'x');
    let id = req.id.clone();
    a.update(Msg::Action(
        ActionMsg::Answered {
            id: id.clone(),
            result: Err((Some(500), "HTTP 500 after 6 attempt(s)".into())),
            attempts: 6,
            lost: Some("HTTP 500 after 6 attempt(s)".into()),
        },
        at(22),
    ));
    assert_eq!(a.actions[0].phase, ActionPhase::Sent);
    assert!(a.actions[0].detail.contains("answer lost"));
    a.update(Msg::Action(
        ActionMsg::Verified {
            id,
            outcome: ActionPhase::Confirmed,
            detail: "run r is stopped".into(),
            reverted: vec![],
        },
        at(23),
    ));
    assert_eq!(a.actions[0].phase, ActionPhase::Confirmed);
    assert!(cordon::ui::containment::progress(&a.actions[0]).contains("answer lost"));
    assert!(a.actions[0].detail.contains("(answer lost: HTTP 500"));
}

/// Only stop controls that were put to the test count: not inverses,
/// not stops of ended runs, not what never left.
#[test]
fn only_verified_containment_counts_as_a_working_stop_control() {
    let mut a = app_on("invoice-sync");
    let mut ids = Vec::new();
    for k in ['x', 'b'] {
        ids.push(press_and_confirm(&mut a, k).1.id);
    }
    a.propose(
        ActionKind::UnblockOutbound,
        vec![("sim".into(), Target::default())],
        &mut vec![],
    );
    a.update(key(KeyCode::Tab));
    a.update(key(KeyCode::BackTab));
    a.update(key(KeyCode::BackTab));
    keys(&mut a, "yes");
    a.update(key(KeyCode::Enter));
    let (_, rest) = split(a.update(key(KeyCode::Enter)));
    if let Effect::Execute(r, _) = &rest[0] {
        ids.push(r.id.clone());
    }
    assert_eq!(ids.len(), 3);
    for (id, o) in ids.iter().zip([
        ActionPhase::AlreadyEnded,
        ActionPhase::Confirmed,
        ActionPhase::Confirmed,
    ]) {
        a.update(Msg::Action(
            ActionMsg::Verified {
                id: id.clone(),
                outcome: o,
                detail: "seen".into(),
                reverted: vec![],
            },
            at(25),
        ));
    }
    let verdicts: Vec<Option<bool>> = a.actions.iter().map(|x| x.control_worked()).collect();
    assert_eq!(
        verdicts,
        vec![None, Some(true), None],
        "stop (ended), block, unblock"
    );
}

/// Reopened with an action that never got its outcome: it is reconciled
/// (asked about, never re-sent), and the pane says so.
#[test]
fn reopening_reconciles_actions_left_without_an_outcome() {
    let mut a = app_on("invoice-sync");
    let (recs, req) = press_and_confirm(&mut a, 'x');
    let sent = a.update(Msg::Action(ActionMsg::Sent { id: req.id.clone() }, at(21)));
    // The restart: replay what the journal held.
    let mut b = common::app(at(60));
    for r in recs.iter().chain(split(sent).0.iter()) {
        b.apply(r);
    }
    let fx = b.reconcile_effects();
    assert_eq!(
        fx,
        vec![Effect::Reconcile {
            request: req.clone(),
            answer: None,
            dry_run: b.actions[0].dry_run.clone().map(Box::new),
            since: b.actions[0].at_key,
        }]
    );
    assert!(b.notices.last().unwrap().contains("never re-sent"));
    b.update(ch('4'));
    let s = screen(&mut b, 160, 48);
    assert!(s.contains("no outcome when cordon last stopped"), "{s}");
}

/// A run in a state cordon does not know is not counted as ended: the
/// header and the Runs title say how many there are ("0 active" after an
/// unknown "RUNNING" was the old header).
#[test]
fn runs_in_an_unknown_state_are_counted_as_unknown_not_ended() {
    let mut a = common::app(at(1));
    let run = |id: &str, state: &str| {
        cordon::model::Run::from_wire("sim", &serde_json::json!({"id": id, "state": state}))
            .unwrap()
    };
    let batch = cordon::source::Batch {
        runs: vec![run("run_a", "RUNNING"), run("run_b", "succeeded")],
        ..Default::default()
    };
    a.update(polled("sim", batch, at(1)));
    let s = screen(&mut a, 160, 48);
    let header = s.lines().next().unwrap();
    assert!(header.contains("0 active +1 unknown / 2 runs"), "{header}");
    assert!(s.contains("Runs 2/2 · 0 active +1 unknown"), "{s}");
}
