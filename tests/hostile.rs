//! A hostile platform (wiremock) feeding terminal escapes, bidi overrides,
//! huge and absurd values through the aca adapter: nothing that reaches the
//! screen, the journal or an export carries a control character or a bidi
//! override; sizes are capped with a visible mark; nothing panics.

mod common;

use common::*;
use cordon::app::Effect;
use cordon::journal::{GENESIS, writer::render_line};
use cordon::report::{self, JournalView};
use cordon::sanitize::is_clean;
use cordon::source::{Source, aca::Aca, http};
use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NASTY: &[&str] = &[
    "\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}", // OSC 52 clipboard write
    "\u{1b}]8;;https://evil.example\u{1b}\\click\u{1b}]8;;\u{1b}\\", // OSC 8 link
    "\u{1b}[2J\u{1b}[H",                 // clear screen, cursor home
    "\u{1b}[10;10H\u{1b}[6n",            // cursor move, status report
    "\u{9b}31m",                         // 8-bit CSI
    "\u{1b}Pq#0;2;0;0;0#0!100~\u{1b}\\", // DCS (sixel)
    "\u{202e}gnp.exe",                   // RLO bidi override
    "\u{2066}isolate\u{2069}",           // bidi isolates
    "👩\u{200d}💻 数据 zero\u{200b}width", // ZWJ, wide, zero-width
    "\u{1b}]0;unterminated title",       // unterminated OSC
];

fn nasty(i: usize) -> String {
    format!("before {} after", NASTY[i % NASTY.len()])
}

#[tokio::test]
async fn hostile_strings_never_reach_screen_journal_or_exports() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/info"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"actions":["stop_run"], "extra": {"unknown": true}})),
        )
        .mount(&server)
        .await;
    let mut events = Vec::new();
    for i in 0..40 {
        events.push(json!({
            "id": format!("evt_{i}{}", if i % 7 == 0 { "\u{1b}[1m" } else { "" }),
            "run_id": "run_\u{1b}[31mevil",
            // Out of order on purpose.
            "at": format!("2026-11-24T10:00:{:02}Z", 59 - i),
            "kind": if i % 5 == 0 { "quantum\u{1b}[2Jleap".to_string() } else { ["message_sent", "tool_call", "error", "db_write"][i % 4].to_string() },
            "summary": nasty(i),
            "tool": nasty(i + 1),
            "target": nasty(i + 2),
            "outbound": i % 2 == 0,
            "reversible": false,
            "data": {"k\u{1b}[2J": nasty(i + 3), "deep": [[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]},
            "unknown_field": {"x": 1},
        }));
    }
    // A duplicate id and a 1 MB summary.
    events.push(events[1].clone());
    events.push(json!({"id": "evt_huge", "run_id": "run_\u{1b}[31mevil", "at": "2026-11-24T10:01:00Z", "kind": "model_output", "summary": "A".repeat(1 << 20)}));
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"events": events, "next_cursor": "1"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"events": [], "next_cursor": "1"})),
        )
        .mount(&server)
        .await;
    let run = json!({"id": "run_\u{1b}[31mevil", "agent": nasty(3), "agent_class": nasty(4), "workflow": nasty(5), "state": "running\u{1b}[5m",
        "assignment": nasty(6), "requested_by": nasty(7), "tools": [nasty(8), nasty(9)], "credentials": [nasty(0)],
        "stats": {"tool_calls": u64::MAX, "errors": -5, "retries": "many", "external_actions": 1e300}});
    Mock::given(method("GET"))
        .and(path("/v1/runs"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"runs": [run.clone()], "next_cursor": null})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1/runs/.+"))
        .respond_with(ResponseTemplate::new(200).set_body_json(run))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/controls"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"outbound_blocked": [nasty(2)], "paused_workflows": [nasty(1)]}),
            ),
        )
        .mount(&server)
        .await;

    let mut src = Aca::new("sim", &server.uri(), http::client());
    let batch = src.poll().await.expect("a hostile page is still a page");
    assert_eq!(batch.events.len(), 42);
    let mut a = app(at(60));
    a.key_seed = Some(0);
    let mut journal = String::new();
    let mut prev = GENESIS.to_string();
    let mut seq = 0;
    let mut keep = |fx: Vec<Effect>, journal: &mut String| {
        for f in fx {
            if let Effect::Journal(r) = f {
                let (line, h) = render_line(seq, &prev, at(60), r);
                journal.push_str(&line);
                prev = h;
                seq += 1;
            }
        }
    };
    keep(a.update(polled("sim", batch, at(60))), &mut journal);
    assert_eq!(a.store.events.len(), 41, "the duplicate id is kept once");
    assert_eq!(
        a.store.runs[0].stats.tool_calls,
        cordon::model::Count::OutOfRange,
        "absurd counters shown as out of range"
    );
    let huge = a
        .store
        .events
        .iter()
        .find(|s| s.event.id == "evt_huge")
        .unwrap();
    assert!(
        huge.event.summary.ends_with(cordon::sanitize::TRUNCATED),
        "1 MB cut with a visible mark"
    );
    assert!(huge.event.summary.len() < 20_000);
    assert!(
        a.store
            .events
            .iter()
            .any(|s| s.event.kind.as_str() == "quantumleap"),
        "unknown kinds kept, cleaned"
    );
    // Every field of every stored thing is clean.
    for s in a.store.events.iter() {
        let e = &s.event;
        for f in [
            &e.id,
            &e.run_id,
            &e.summary,
            e.kind.as_str(),
            e.tool.as_deref().unwrap_or(""),
            e.target.as_deref().unwrap_or(""),
            &e.data.value().to_string(),
        ] {
            assert!(is_clean(f), "{f:?}");
        }
    }
    // Every screen: main at two sizes, the inspector, help.
    for (w, h) in [(160, 48), (80, 24)] {
        let s = screen(&mut a, w, h);
        assert!(is_clean(&s), "rendered buffer {w}x{h}");
        assert!(!s.contains("evil.example") || !s.contains('\u{1b}'));
    }
    a.update(ch('1'));
    a.update(key(ratatui::crossterm::event::KeyCode::Enter));
    assert!(is_clean(&screen(&mut a, 160, 48)), "inspector");
    // The journal's parsed strings, and every export.
    let j = JournalView::from_bytes(journal.as_bytes());
    assert_eq!(j.lines.len(), seq as usize);
    for (_, e) in &j.lines {
        assert!(
            is_clean(
                &serde_json::to_string(&e.record)
                    .unwrap()
                    .replace("\\u001b", "")
            ),
            "journal record"
        );
        let v = serde_json::to_value(&e.record).unwrap();
        walk(&v);
    }
    let replayed = j.replay("INC", "/tmp");
    for kind in report::KINDS {
        let text = report::render(kind, &replayed, &j, at(120));
        assert!(is_clean(&text), "{kind} export");
    }
}

/// Every string inside a JSON value is clean.
fn walk(v: &serde_json::Value) {
    match v {
        serde_json::Value::String(s) => assert!(is_clean(s), "{s:?}"),
        serde_json::Value::Array(a) => a.iter().for_each(walk),
        serde_json::Value::Object(m) => m.iter().for_each(|(k, x)| {
            assert!(is_clean(k), "{k:?}");
            walk(x)
        }),
        _ => {}
    }
}

/// 100,000 events in one page (about 30 MB, over the 16 MiB cap for other
/// answers): read in one poll, handed to the UI loop in pieces of at most
/// 2,000 so keys and frames go on between them, all kept once, and the
/// frame still draws. A page over the 64 MiB events cap is refused in a line.
#[tokio::test]
async fn a_page_of_100000_events_is_taken_in_bounded_pieces() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"actions": []})))
        .mount(&server)
        .await;
    let events: Vec<serde_json::Value> = (0..100_000)
        .map(|i| {
            json!({"id": format!("e{i}"), "run_id": format!("r{}", i % 50), "at": "2026-11-25T12:00:00Z",
                   "kind": "tool_call", "tool": "crm.update", "target": format!("row:{i}"),
                   "summary": format!("{} {}", nasty(i), "x".repeat(200))})
        })
        .collect();
    let body = serde_json::to_vec(&json!({"events": events, "next_cursor": "100000"})).unwrap();
    assert!(body.len() > http::MAX_BODY, "{} bytes", body.len());
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .and(wiremock::matchers::query_param_is_missing("after"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"events": [], "next_cursor": "100000"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1/(runs|controls)"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"runs": []})))
        .mount(&server)
        .await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let src = Aca::new("sim", &server.uri(), http::client());
    let poller = tokio::spawn(cordon::source::poll_loop(
        Box::new(src),
        std::time::Duration::from_secs(3600),
        tx,
    ));
    let mut a = app(at(60));
    let (mut pieces, mut total) = (0, 0);
    while total < 100_000 {
        let m = rx.recv().await.expect("the poller sends");
        match &m {
            cordon::source::SourceMsg::Polled { batch, .. } => {
                assert!(batch.events.len() <= cordon::source::PIECE);
                total += batch.events.len();
                pieces += 1;
            }
            other => panic!("{other:?}"),
        }
        a.update(cordon::app::Msg::Source(Box::new(m), at(60)));
    }
    poller.abort();
    assert_eq!(total, 100_000);
    assert!(pieces >= 50, "{pieces} pieces");
    assert_eq!(a.store.events.len(), 100_000);
    let s = screen(&mut a, 160, 48);
    assert!(
        is_clean(&s) && s.contains("100000 events") && s.contains("tool_call"),
        "{s}"
    );

    // Over the events cap: refused with one line that says what to do.
    let server2 = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"actions": []})))
        .mount(&server2)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(" ".repeat(http::MAX_EVENTS_BODY + 1)),
        )
        .mount(&server2)
        .await;
    let mut src = Aca::new("sim", &server2.uri(), http::client());
    let e = src.poll().await.unwrap_err();
    assert!(
        e.message
            .contains("refused; ask the platform for smaller pages"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn invalid_utf8_and_deep_nesting_neither_crash_nor_stall_the_feed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"actions": []})))
        .mount(&server)
        .await;
    let mut body =
        b"{\"events\":[{\"id\":\"e1\",\"run_id\":\"r\",\"kind\":\"error\",\"summary\":\"".to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    body.extend_from_slice(b"\"}],\"next_cursor\":\"1\"}");
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1/(runs|controls)"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"runs": []})))
        .mount(&server)
        .await;
    let mut src = Aca::new("sim", &server.uri(), http::client());
    // The bad bytes become U+FFFD; the page (and the feed) is not stalled.
    let batch = src
        .poll()
        .await
        .expect("invalid UTF-8 does not stall the feed");
    assert_eq!(batch.events.len(), 1);
    assert!(batch.events[0].summary.contains('\u{fffd}'));
    // 100,000 levels where an event should be, and inside an event's
    // `data`: skipped without recursion (no stack overflow), the first
    // dropped like any event without an id, the second cut.
    let deep = format!(
        "{{\"events\":[{open}1{close},{{\"id\":\"e1\",\"run_id\":\"r1\",\"kind\":\"error\",\"data\":{open}1{close}}}]}}",
        open = "[".repeat(100_000),
        close = "]".repeat(100_000)
    );
    let server2 = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"actions": []})))
        .mount(&server2)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(ResponseTemplate::new(200).set_body_string(deep))
        .mount(&server2)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1/(runs|controls)"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"runs": []})))
        .mount(&server2)
        .await;
    let mut src = Aca::new("sim", &server2.uri(), http::client());
    let batch = src
        .poll()
        .await
        .expect("deep nesting does not stall the feed");
    assert_eq!(batch.events.len(), 1, "the nest with no id is dropped");
    assert_eq!(
        batch.events[0].data.value(),
        json!(cordon::sanitize::TRUNCATED),
        "the nest in data is cut"
    );
}
