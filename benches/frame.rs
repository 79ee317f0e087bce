//! Frame cost (update + draw + diff) at 160x48, small and big incidents:
//!   small: 100 runs / 1,000 events;  big: 100,000 runs / 1,000,000 events
//! (under `cargo test`, "big" is 10,000 / 100,000 to stay quick).
//! Cases: a key moving the Timeline selection, the same with a `/` filter,
//! and a new event arriving while following.
//! Run: cargo bench --bench frame

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use cordon::app::{App, Msg};
use cordon::journal::Operator;
use cordon::model::{Event, Time};
use cordon::sim::scale;
use cordon::source::{Batch, SourceMsg};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn now() -> Time {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

fn polled(batch: Batch) -> Msg {
    Msg::Source(
        Box::new(SourceMsg::Polled {
            source: "sim".into(),
            batch,
        }),
        now(),
    )
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn app(runs: usize, events: usize) -> App {
    let op = Operator {
        user: "bench".into(),
        host: "bench".into(),
        ssh_client: None,
    };
    let mut a = App::new(now(), "INC-BENCH", "/tmp/inc-bench", op);
    a.add_source("sim", "aca", "http://127.0.0.1:7300");
    a.update(Msg::Resize(160, 48));
    for chunk in scale::runs(runs, "sim", now()).chunks(5_000) {
        a.update(polled(Batch {
            runs: chunk.to_vec(),
            ..Batch::default()
        }));
    }
    let mut from = 0;
    while from < events {
        let to = (from + 5_000).min(events);
        let evs = scale::parse_page(&scale::page(from, to, runs, now()), now());
        a.update(polled(Batch {
            events: evs,
            ..Batch::default()
        }));
        from = to;
    }
    a.update(key(KeyCode::Char('2')));
    a
}

fn terminal() -> Terminal<CrosstermBackend<std::io::Sink>> {
    Terminal::with_options(
        CrosstermBackend::new(std::io::sink()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 160, 48)),
        },
    )
    .unwrap()
}

fn one_event(j: usize, runs: usize) -> Event {
    Event::from_wire_value(&scale::wire_event(j, runs, now()), now()).unwrap()
}

fn bench(c: &mut Criterion) {
    let big = std::env::args().any(|a| a == "--bench");
    let sizes = [
        ("small", 100, 1_000),
        if big {
            ("big", 100_000, 1_000_000)
        } else {
            ("big", 10_000, 100_000)
        },
    ];
    let only = std::env::var("FRAME_ONLY").unwrap_or_default();
    for (name, runs, events) in sizes {
        if !only.is_empty() && only != name {
            continue;
        }
        let mut a = app(runs, events);
        let theme = cordon::ui::Theme::default();
        let mut t = terminal();
        t.draw(|f| cordon::ui::draw(&a, &theme, f)).unwrap();
        let mut up = false;
        c.bench_function(&format!("frame {name}: key j/k in Timeline"), |b| {
            b.iter(|| {
                up = !up;
                a.update(key(if up {
                    KeyCode::Char('k')
                } else {
                    KeyCode::Char('j')
                }));
                t.draw(|f| cordon::ui::draw(&a, &theme, f)).unwrap();
            })
        });
        let mut next = events;
        a.update(key(KeyCode::Char('G')));
        c.bench_function(
            &format!("frame {name}: a new event arrives (following)"),
            |b| {
                b.iter(|| {
                    next += 1;
                    a.update(polled(Batch {
                        events: vec![one_event(next, runs)],
                        ..Batch::default()
                    }));
                    t.draw(|f| cordon::ui::draw(&a, &theme, f)).unwrap();
                })
            },
        );
        // Filtered: the Timeline shows only errors.
        a.update(key(KeyCode::Char('/')));
        for ch in "failed".chars() {
            a.update(key(KeyCode::Char(ch)));
        }
        a.update(key(KeyCode::Enter));
        c.bench_function(
            &format!("frame {name}: key j/k in Timeline, filtered"),
            |b| {
                b.iter(|| {
                    up = !up;
                    a.update(key(if up {
                        KeyCode::Char('k')
                    } else {
                        KeyCode::Char('j')
                    }));
                    t.draw(|f| cordon::ui::draw(&a, &theme, f)).unwrap();
                })
            },
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
