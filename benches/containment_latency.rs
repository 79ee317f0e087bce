//! Containment latency against the simulator over loopback, through the
//! real app + executor + journal (fsync'd intent before the request):
//!   key → request on the wire: from the confirming Enter to the request's
//!                               arrival at the simulator;
//!   key → confirmed:            from the same Enter until the app shows
//!                               the action CONFIRMED.
//! Run: cargo bench --bench containment_latency

use std::time::{Duration, Instant};

use cordon::app::{App, Mode, Msg};
use cordon::contain::ActionMsg;
use cordon::journal::{Journal, Operator};
use cordon::model::{ActionKind, ActionPhase, Target};
use cordon::runtime::Executor;
use cordon::sim::{self, World, scenarios};
use cordon::source::{Batch, Source, SourceMsg, SourceSpec, aca::Aca, http};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn stats(name: &str, mut v: Vec<f64>) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<32} n={:<4} min {:>7.2} ms  median {:>7.2} ms  p90 {:>7.2} ms  max {:>7.2} ms",
        v.len(),
        v[0],
        p(0.5),
        p(0.9),
        v[v.len() - 1]
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes --bench; under `cargo test` this is a smoke run.
    let bench = std::env::args().any(|a| a == "--bench");
    let iterations: usize = std::env::var("ITER")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if bench { 40 } else { 2 });
    let world = World::new(&["none".into()], false, 7, chrono::Utc::now()).unwrap();
    let sim = sim::start_with("127.0.0.1:0".parse().unwrap(), world, 1.0)
        .await
        .unwrap();
    let tmp = std::env::temp_dir().join(format!("cordon-bench-{}", std::process::id()));
    let journal = Journal::open(&tmp).unwrap();
    let spec: SourceSpec = format!("sim=aca:{}", sim.url()).parse().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (ctx, _crx) = tokio::sync::mpsc::unbounded_channel();
    let mut exec = Executor::new(
        &[spec],
        http::client(),
        journal.handle.clone(),
        vec![],
        tx,
        ctx,
    )
    .unwrap();
    let mut src = Aca::new("sim", &sim.url(), http::client());
    let op = Operator {
        user: "bench".into(),
        host: "local".into(),
        ssh_client: None,
    };
    let mut app = App::new(
        chrono::Utc::now(),
        "INC-BENCH",
        &tmp.display().to_string(),
        op,
    );
    app.add_source("sim", "aca", &sim.url());
    let mut to_wire = Vec::new();
    let mut to_confirmed = Vec::new();
    for _ in 0..iterations {
        // A fresh running run to stop.
        {
            let mut w = sim.world.lock().unwrap();
            let mut p = scenarios::plans("retry-loop").unwrap().remove(0);
            p.start = Duration::ZERO;
            w.add_plans(vec![p]);
            w.advance(Duration::from_millis(1));
        }
        let batch: Batch = src.poll().await.unwrap();
        for fx in app.update(Msg::Source(
            Box::new(SourceMsg::Polled {
                source: "sim".into(),
                batch,
            }),
            chrono::Utc::now(),
        )) {
            exec.run(fx);
        }
        exec.flush();
        let run = app
            .store
            .runs
            .iter()
            .rev()
            .find(|r| r.state.is_active())
            .unwrap()
            .id
            .clone();
        let mut fx = Vec::new();
        app.propose(
            ActionKind::StopRun,
            vec![(
                "sim".into(),
                Target {
                    run_id: Some(run.to_string()),
                    ..Target::default()
                },
            )],
            &mut fx,
        );
        for f in fx {
            exec.run(f);
        }
        app.update(key(KeyCode::Tab));
        assert!(matches!(app.mode, Mode::Confirm(_)));
        // The confirming key press.
        let t0 = Instant::now();
        app.update(Msg::Tick(chrono::Utc::now()));
        for f in app.update(key(KeyCode::Enter)) {
            exec.run(f);
        }
        exec.flush();
        let id = app.actions.last().unwrap().req.id.clone();
        let key_ = app.actions.last().unwrap().req.key.clone();
        loop {
            let (m, at) = rx.recv().await.unwrap();
            let done = matches!(&m, ActionMsg::Verified { id: i, .. } if *i == id);
            for f in app.update(Msg::Action(m, at)) {
                exec.run(f);
            }
            exec.flush();
            if done {
                break;
            }
        }
        let confirmed = t0.elapsed();
        assert_eq!(app.actions.last().unwrap().phase, ActionPhase::Confirmed);
        let arrival = sim
            .world
            .lock()
            .unwrap()
            .arrivals
            .iter()
            .find(|(k, _)| *k == key_)
            .unwrap()
            .1;
        to_wire.push(arrival.duration_since(t0).as_secs_f64() * 1000.0);
        to_confirmed.push(confirmed.as_secs_f64() * 1000.0);
    }
    stats("key → request on the wire", to_wire);
    stats("key → confirmed (stop_run)", to_confirmed);
    journal.close();
    let _ = std::fs::remove_dir_all(&tmp);
}
