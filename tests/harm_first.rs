//! The Runs pane puts harm first: a HARM column at every width, harm the
//! default sort, the most harmful active run selected until the commander
//! picks one; and the screen around it (sizes, help, quiet when idle).

mod common;

use common::*;
use cordon::app::harm::of_run;
use cordon::app::{App, Msg, Pane, SortKey};
use ratatui::crossterm::event::KeyCode;

fn runs_pane(a: &mut App, w: u16, h: u16) -> String {
    let s = screen(a, w, h);
    let areas = cordon::ui::layout::compute(ratatui::layout::Rect::new(0, 0, w, h));
    rows_of(&s, areas.runs)
}

#[test]
fn harm_is_the_default_sort_and_the_most_harmful_active_run_is_selected() {
    let a = app_with(&["all"], true, 30);
    assert_eq!(a.runs.sort, SortKey::Harm);
    let ranks: Vec<_> = a
        .runs
        .rows
        .iter()
        .map(|&r| of_run(&a.store, r).rank())
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] >= w[1]),
        "harm order: {ranks:?}"
    );
    let sel = a.selected_run().unwrap();
    let r = &a.store.runs[sel];
    assert!(r.state.is_active());
    // The wrong-segment drafter: thousands of customers emailed.
    assert_eq!(r.workflow, "refund-followups");
    assert!(of_run(&a.store, sel).recipients >= 2000);
    let best = a
        .store
        .runs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.state.is_active())
        .map(|(i, _)| of_run(&a.store, i).rank())
        .max()
        .unwrap();
    assert_eq!(of_run(&a.store, sel).rank(), best);
}

#[test]
fn the_selection_follows_harm_until_the_commander_moves_it() {
    // At 1 s nothing has been sent yet; at 12 s the drafter has emailed.
    let w = world(&["all"], true, 12);
    let mut a = app(at(0));
    let early = world(&["all"], true, 1);
    a.update(polled("sim", batch_of(&early, "sim"), at(1)));
    a.update(polled("sim", batch_of(&w, "sim"), at(12)));
    let sel = a.selected_run().unwrap();
    assert!(
        of_run(&a.store, sel).recipients > 0,
        "moved onto the sender"
    );
    // The commander moves: the selection is theirs from now on.
    a.update(ch('j'));
    let mine = a.selected_run();
    let later = world(&["all"], true, 40);
    a.update(polled("sim", batch_of(&later, "sim"), at(40)));
    assert_eq!(a.selected_run(), mine);
}

#[test]
fn runs_pane_harm_first_80x24() {
    let mut a = app_with(&["all"], true, 30);
    let pane = runs_pane(&mut a, 80, 24);
    let header = pane.lines().nth(1).unwrap();
    assert!(header.contains("HARM"), "{header}");
    // The sender is on screen, with its reach.
    assert!(pane.contains("✉"), "{pane}");
    insta::assert_snapshot!(pane);
}

#[test]
fn runs_pane_harm_first_160x48() {
    let mut a = app_with(&["all"], true, 30);
    let pane = runs_pane(&mut a, 160, 48);
    assert!(pane.lines().nth(1).unwrap().contains("HARM"));
    assert!(
        pane.contains("$41k"),
        "money where the data says so: {pane}"
    );
    insta::assert_snapshot!(pane);
}

#[test]
fn an_empty_side_pane_collapses_and_key_sentences_wrap() {
    let mut a = app_with(&["all"], true, 30);
    let s = screen(&mut a, 160, 48);
    let areas = cordon::ui::layout::compute_for(&a, ratatui::layout::Rect::new(0, 0, 160, 48));
    // Nothing in force, no actions, no notes: one line each.
    assert_eq!(areas.side[0].height, 1);
    assert_eq!(areas.side[2].height, 1);
    assert_eq!(areas.side[1].height, 44);
    let side = rows_of(&s, areas.side[1]).replace(['│', '\n'], " ");
    let words: String = side.split_whitespace().collect::<Vec<_>>().join(" ");
    // The suggestion is whole, not cut at the pane's edge.
    let t = a.triage();
    assert!(words.contains(&t.because), "{words}");
}

#[test]
fn help_fits_its_columns_at_80x24() {
    let mut a = app_with(&["all"], false, 10);
    a.update(ch('?'));
    let s = screen(&mut a, 80, 24);
    // Every line ends inside the box; no text runs into the context column.
    assert!(!s.contains("completes)glob"), "{s}");
    assert!(s.contains("(Tab"));
    assert!(s.contains("move to the"), "Space says it moves: {s}");
}

#[test]
fn idle_frames_change_no_cell() {
    // Nothing happens on the platform; polls keep answering, the clock
    // ticks: two frames a second apart are the same cells.
    let mut a = app_with(&["wrong-segment"], false, 12);
    let frame = |a: &mut App, s: i64| {
        a.update(polled("sim", Default::default(), at(s)));
        a.update(Msg::Tick(at(s) + chrono::Duration::milliseconds(300)));
        render(a, 160, 48).backend().buffer().clone()
    };
    let one = frame(&mut a, 200);
    let two = frame(&mut a, 201);
    let changed = one.diff(&two);
    assert!(
        changed.is_empty(),
        "cells repainted while idle: {changed:?}"
    );
}

#[test]
fn role_title_and_status_answer_and_the_header_names_the_commander_role() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    palette(&mut a, "role commander bob");
    assert_eq!(a.flash.as_deref(), Some("recorded: commander is now bob"));
    let s = screen(&mut a, 160, 48);
    assert!(s.lines().next().unwrap().contains("commander bob"), "{s}");
    palette(&mut a, "title Refund emails to everyone");
    assert!(a.flash.as_deref().unwrap().contains("title: Refund emails"));
    palette(&mut a, "status contained");
    assert!(a.flash.as_deref().unwrap().contains("status → contained"));
}

#[test]
fn s_in_triage_asks_before_moving_the_status() {
    let mut a = app_with(&["wrong-segment"], false, 12);
    a.update(ch('3'));
    let (recs, _) = split(a.update(ch('s')));
    assert!(recs.is_empty(), "nothing recorded before the answer");
    assert!(screen(&mut a, 160, 48).contains("status investigating → contained?"));
    a.update(ch('n'));
    assert_eq!(
        a.incident.current_status(),
        cordon::model::incident::Status::Investigating
    );
    assert_eq!(a.focus, Pane::Triage);
}

#[test]
fn the_hold_dialog_says_running_work_keeps_running() {
    let mut a = app_with(&["all"], true, 30);
    a.runs.sel = a
        .runs
        .rows
        .iter()
        .position(|&r| a.store.runs[r].workflow == "invoice-sync")
        .unwrap();
    a.update(ch('h'));
    let cordon::app::Mode::Confirm(c) = &a.mode else {
        panic!("no dialog")
    };
    assert!(c.context.contains("keep running"), "{}", c.context);
    a.update(key(KeyCode::Esc));
}
