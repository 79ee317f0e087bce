//! Property tests (seeded, deterministic): the sanitizer never lets a
//! control character or bidi override through and never grows text past
//! its cap; event parsing never panics on arbitrary JSON; every truncated
//! prefix of a valid journal replays to a prefix of its records.

mod common;

use common::*;
use cordon::app::Effect;
use cordon::journal::{GENESIS, read::read_bytes, writer::render_line};
use cordon::model::{Event, event::WireEvent};
use cordon::sanitize::{self, is_clean};

/// Random strings biased towards the dangerous: ESC, C1, bidi, quotes,
/// brackets, wide and combining characters.
fn nasty_string(rng: &mut fastrand::Rng, max: usize) -> String {
    const PARTS: &[&str] = &[
        "\u{1b}", "[", "]", "\u{7}", "\\", "\u{9b}", "\u{9d}", "\u{90}", "\u{9c}", "\u{202e}",
        "\u{2066}", "\u{200d}", "\u{feff}", "\r", "\n", "\t", "\u{0}", "\u{7f}", "a", "Z", "0",
        ";", "P", "数", "👩", "\u{301}", " ",
    ];
    let n = rng.usize(0..max);
    (0..n).map(|_| PARTS[rng.usize(0..PARTS.len())]).collect()
}

#[test]
fn sanitizer_output_is_always_clean_and_capped() {
    let mut rng = fastrand::Rng::with_seed(42);
    for _ in 0..20_000 {
        let s = nasty_string(&mut rng, 60);
        let cap = rng.usize(1..40);
        for out in [sanitize::text(&s, cap), sanitize::line(&s, cap)] {
            assert!(is_clean(&out), "{s:?} -> {out:?}");
            assert!(
                out.chars().count() <= cap + sanitize::TRUNCATED.chars().count(),
                "{s:?} -> {out:?}"
            );
        }
        assert!(!sanitize::line(&s, cap).contains('\n'));
    }
}

fn random_json(rng: &mut fastrand::Rng, depth: usize) -> serde_json::Value {
    use serde_json::Value;
    match rng.usize(0..if depth > 4 { 4 } else { 6 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.bool()),
        2 => serde_json::json!(rng.i64(..)),
        3 => Value::String(nasty_string(rng, 30)),
        4 => Value::Array(
            (0..rng.usize(0..4))
                .map(|_| random_json(rng, depth + 1))
                .collect(),
        ),
        _ => Value::Object(
            (0..rng.usize(0..4))
                .map(|_| (nasty_string(rng, 8), random_json(rng, depth + 1)))
                .collect(),
        ),
    }
}

#[test]
fn event_parsing_never_panics_and_only_yields_clean_events() {
    let mut rng = fastrand::Rng::with_seed(7);
    let fields = [
        "id",
        "run_id",
        "at",
        "kind",
        "summary",
        "tool",
        "target",
        "outbound",
        "reversible",
        "data",
    ];
    let mut parsed = 0;
    for _ in 0..20_000 {
        let mut obj = serde_json::Map::new();
        for f in fields {
            // Required fields are mostly strings, so most events get parsed.
            let required = matches!(f, "id" | "run_id" | "kind");
            if required && rng.usize(0..10) < 9 {
                obj.insert(
                    f.into(),
                    serde_json::Value::String(format!("x{}", nasty_string(&mut rng, 12))),
                );
            } else if rng.bool() {
                obj.insert(f.into(), random_json(&mut rng, 0));
            }
        }
        // The text path (borrowed strings, `data` as text: what the ACA
        // adapter reads) and the tree path (adapters that build a value)
        // must agree.
        let obj = serde_json::Value::Object(obj);
        let text = obj.to_string();
        let Ok(w) = serde_json::from_str::<WireEvent>(&text) else {
            continue;
        };
        let from_text = Event::from_wire(w, at(0));
        assert_eq!(from_text, Event::from_wire_value(&obj, at(0)), "{text}");
        if let Some(e) = from_text {
            parsed += 1;
            let text = serde_json::to_string(&e).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            fn walk(v: &serde_json::Value) {
                match v {
                    serde_json::Value::String(s) => assert!(is_clean(s), "{s:?}"),
                    serde_json::Value::Array(a) => a.iter().for_each(walk),
                    serde_json::Value::Object(m) => m.iter().for_each(|(k, x)| {
                        assert!(is_clean(k));
                        walk(x)
                    }),
                    _ => {}
                }
            }
            walk(&v);
        }
    }
    assert!(parsed > 100, "the generator reaches the parser: {parsed}");
}

#[test]
fn every_prefix_of_a_journal_replays_to_a_prefix() {
    let mut a = app(at(0));
    let w = world(&["all"], true, 20);
    let mut bytes = String::new();
    let mut prev = GENESIS.to_string();
    for (i, f) in a
        .update(polled("sim", batch_of(&w, "sim"), at(20)))
        .into_iter()
        .enumerate()
    {
        if let Effect::Journal(r) = f {
            let (l, h) = render_line(i as u64, &prev, at(20), r);
            bytes.push_str(&l);
            prev = h;
        }
    }
    let bytes = bytes.into_bytes();
    let full = read_bytes(&bytes);
    assert!(full.entries.len() > 100);
    // Every byte boundary in a window around several lines, plus a sample
    // across the whole file.
    let mut rng = fastrand::Rng::with_seed(3);
    let mut cuts: Vec<usize> = (0..2000.min(bytes.len())).collect();
    cuts.extend((0..500).map(|_| rng.usize(0..=bytes.len())));
    for cut in cuts {
        let out = read_bytes(&bytes[..cut]);
        assert!(out.bad.is_none(), "a prefix is never damage (cut {cut})");
        assert_eq!(
            out.entries[..],
            full.entries[..out.entries.len()],
            "cut {cut}"
        );
        let tail_clean = cut == 0 || bytes[cut - 1] == b'\n';
        assert_eq!(
            out.torn.is_none(),
            tail_clean,
            "a cut mid-line is reported torn (cut {cut})"
        );
    }
}
