//! A hostile platform, second round (issue 16): redirects that would carry
//! a credential away, echoed tokens, NaN in one event, ids that collide
//! once cleaned, numbers no counter holds. Each is a scripted server
//! (wiremock) driving the real adapter, app, journal and exports.

mod common;

use common::*;
use cordon::app::Effect;
use cordon::journal::{GENESIS, writer::render_line};
use cordon::model::{ActionKind, ActionRequest, Count, Target};
use cordon::report::{self, JournalView};
use cordon::source::{Actor, Source, aca, http, langgraph};
use serde_json::json;
use wiremock::matchers::{method, path, path_regex, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// An ACA platform answering with these runs and this events page (raw
/// text, so it can hold what serde_json would never write), then nothing.
async fn aca_server(runs: &str, events: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"actions": ["stop_run"]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .and(query_param_is_missing("after"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"{{"events": {events}, "next_cursor": "1"}}"#),
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/events"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"events": [], "next_cursor": "1"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/runs"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"{{"runs": {runs}, "next_cursor": null}}"#),
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1/runs/.+"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/controls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    server
}

/// A server that records whatever reaches it and answers 200 `{}`.
async fn bystander() -> MockServer {
    let b = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&b)
        .await;
    b
}

/// A stop of one run, as the console would send it.
fn stop(run: &str) -> ActionRequest {
    ActionRequest {
        id: "A-1".into(),
        source: "sim".into(),
        kind: ActionKind::StopRun,
        target: Target {
            run_id: Some(run.into()),
            ..Target::default()
        },
        reason: "test".into(),
        key: "k-1".into(),
        actor: "alice".into(),
    }
}

/// The journal lines these records make, chained from the start.
fn chained(records: impl IntoIterator<Item = cordon::journal::Record>) -> String {
    let mut prev = GENESIS.to_string();
    let mut text = String::new();
    for (i, r) in records.into_iter().enumerate() {
        let (l, h) = render_line(i as u64, &prev, at(i as i64), r);
        text.push_str(&l);
        prev = h;
    }
    text
}

fn redirect_to(status: u16, to: String) -> ResponseTemplate {
    ResponseTemplate::new(status).insert_header("location", to.as_str())
}

/// 1. A redirect to another origin is never followed, for reads or
///    actions, so neither the bearer token nor LangGraph's `x-api-key`
///    (which reqwest would have carried along) nor an action's body
///    reaches a host nobody configured; the error says why. A redirect to
///    the same origin is followed for reads, never for actions.
#[tokio::test]
async fn credentials_and_actions_never_follow_a_redirect_elsewhere() {
    // SAFETY: only this test reads these variables.
    unsafe {
        std::env::set_var("CORDON_T16_ACA_TOKEN", "aca-token-5b1e0c7d2a9f4e38");
        std::env::set_var("CORDON_T16_LG_KEY", "lg-key-0d3c9b8a7f6e5d4c");
    }
    let elsewhere = bystander().await;
    // LangGraph: every read and action redirected to the bystander.
    let lg = MockServer::start().await;
    for (m, code) in [("GET", 302), ("POST", 307), ("DELETE", 308)] {
        Mock::given(method(m))
            .respond_with(redirect_to(code, format!("{}/stolen", elsewhere.uri())))
            .mount(&lg)
            .await;
    }
    let url = format!("{}?api_key_env=CORDON_T16_LG_KEY", lg.uri());
    let shared = std::sync::Arc::new(std::sync::Mutex::new(langgraph::Shared::default()));
    let mut src = langgraph::LangGraph::new("lg", &url, http::client(), shared.clone());
    let err = src.poll().await.unwrap_err();
    assert!(
        err.message.contains("not followed") && err.message.contains(&elsewhere.uri()),
        "{}",
        err.message
    );
    // ACA: reads redirected to the bystander, an action to itself.
    let aca = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/info"))
        .respond_with(redirect_to(301, format!("{}/v1/info", elsewhere.uri())))
        .mount(&aca)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(redirect_to(307, format!("{}/v1/actions2", aca.uri())))
        .mount(&aca)
        .await;
    let url = format!("{}?token_env=CORDON_T16_ACA_TOKEN", aca.uri());
    let mut src = aca::Aca::new("sim", &url, http::client());
    let err = src.poll().await.unwrap_err();
    assert!(
        err.message.contains("another origin") && err.message.contains("not followed"),
        "{}",
        err.message
    );
    let actor = aca::AcaActor::new("sim", &url, http::client());
    let err = actor.send(&stop("run_1")).await.unwrap_err();
    assert!(
        err.message.contains("an action (POST)") && err.permanent,
        "{}",
        err.message
    );
    let sent_twice = aca
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/actions2")
        .count();
    assert_eq!(sent_twice, 0, "the action was not re-sent");
    let reached: Vec<Request> = elsewhere.received_requests().await.unwrap();
    assert!(
        reached.is_empty(),
        "nothing reached the other origin: {:?}",
        reached
            .iter()
            .map(|r| (r.method.to_string(), r.url.to_string(), r.headers.clone()))
            .collect::<Vec<_>>()
    );

    // The same origin: a read is followed, with its credential.
    let moved = aca_server("[]", "[]").await;
    Mock::given(method("GET"))
        .and(path("/v1/old-info"))
        .respond_with(redirect_to(301, "/v1/info".into()))
        .mount(&moved)
        .await;
    let got = http::send(http::client().get(format!("{}/v1/old-info", moved.uri())))
        .await
        .expect("a same-origin read redirect is followed");
    assert_eq!(got.0, 200);
}

/// The letters and digits of `s`, lower-cased: how an echo is compared.
fn norm(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// No ten consecutive letters or digits of the secret anywhere in `text`,
/// spaced out or not.
fn assert_no_piece(secret: &str, text: &str, what: &str) {
    let (s, t) = (norm(secret), norm(text));
    for i in 0..=s.len() - 10 {
        assert!(
            !t.contains(&s[i..i + 10]),
            "{what} holds '{}' of the secret",
            &s[i..i + 10]
        );
    }
}

/// 2. A platform echoing the caller's token (whole, an 18-char prefix,
///    spaced out) in a run's assignment, an event's summary and data: none
///    of it reaches the screen, the journal or an export. A password in a
///    source URL is not journaled in `session_started`.
#[tokio::test]
async fn an_echoed_token_is_redacted_before_the_journal() {
    const TOKEN: &str = "t16-echo-9c2e51d04b86a7f3";
    // SAFETY: only this test reads this variable.
    unsafe { std::env::set_var("CORDON_T16_ECHO_TOKEN", TOKEN) };
    let spaced: String = TOKEN.chars().map(|c| format!("{c} ")).collect();
    let prefix = &TOKEN[..18];
    let runs = json!([{"id": "run_1", "state": "running", "agent": "mailer",
        "assignment": format!("use token {TOKEN} to send"), "requested_by": prefix,
        "workflow": "wf", "agent_class": "c"}]);
    let events = json!([
        {"id": "e1", "run_id": "run_1", "at": "2026-11-24T10:00:01Z", "kind": "tool_call",
         "summary": format!("auth with {TOKEN}"), "target": spaced,
         "data": {"header": format!("Bearer {TOKEN}"), "note": prefix, "ok": 1}},
        {"id": "e2", "run_id": "run_1", "at": "2026-11-24T10:00:02Z", "kind": "model_output",
         "summary": format!("the key starts {prefix}"), "data": ["a", prefix]},
    ]);
    let server = aca_server(&runs.to_string(), &events.to_string()).await;
    let url = format!("{}?token_env=CORDON_T16_ECHO_TOKEN", server.uri());
    let mut src = aca::Aca::new("sim", &url, http::client());
    let batch = src.poll().await.unwrap();
    assert_eq!(batch.events.len(), 2, "the events are kept, redacted");
    let mut a = app(at(5));
    a.key_seed = Some(0);
    let journal = chained(
        a.update(polled("sim", batch, at(5)))
            .into_iter()
            .filter_map(|f| match f {
                Effect::Journal(r) => Some(r),
                _ => None,
            }),
    );
    assert!(journal.contains("[redacted]"), "the echo left a mark");
    assert_no_piece(TOKEN, &journal, "the journal");
    for (w, h) in [(160, 48), (80, 24)] {
        assert_no_piece(TOKEN, &screen(&mut a, w, h), "the screen");
    }
    a.update(ch('2'));
    a.update(key(ratatui::crossterm::event::KeyCode::Enter));
    assert_no_piece(TOKEN, &screen(&mut a, 160, 48), "the inspector");
    let j = JournalView::from_bytes(journal.as_bytes());
    let replayed = j.replay("INC", "/tmp");
    for kind in report::KINDS {
        assert_no_piece(TOKEN, &report::render(kind, &replayed, &j, at(9)), kind);
    }

    // A URL password: sent (basic auth), never journaled.
    let dir = tempfile::tempdir().unwrap();
    let spec: cordon::source::SourceSpec = "p=aca:http://ops:pw-7d1e9a3c5b@127.0.0.1:9/x"
        .parse()
        .unwrap();
    let (_app, journal) = cordon::commands::open_incident(dir.path(), &[spec]).unwrap();
    journal.close();
    let text = std::fs::read_to_string(cordon::journal::journal_path(dir.path())).unwrap();
    assert!(text.contains("session_started") && text.contains("ops:[redacted]@127.0.0.1:9"));
    assert!(!text.contains("pw-7d1e9a3c5b"), "{text}");
}

/// 3. Python's `json` writes `NaN` (and `Infinity`) by default: one such
///    value in one event costs that value, marked, never the feed; the
///    runs and the other events load.
#[tokio::test]
async fn one_nan_costs_one_value_not_the_feed() {
    let runs = r#"[{"id":"run_1","state":"running","stats":{"tool_calls":NaN,"errors":2}},
                   {"id":"run_2","state":"running"}]"#;
    let events = r#"[
        {"id":"e1","run_id":"run_1","at":"2026-11-24T10:00:01Z","kind":"tool_call","summary":"fine"},
        {"id":"e2","run_id":"run_1","at":"2026-11-24T10:00:02Z","kind":"tool_call","summary":"score",
         "data":{"x":NaN,"y":-Infinity,"z":"kept","w":3}},
        "not an event",
        {"id":"e3","run_id":"run_2","at":"2026-11-24T10:00:03Z","kind":"error","summary":"also fine"}
    ]"#;
    let server = aca_server(runs, events).await;
    let mut src = aca::Aca::new("sim", &server.uri(), http::client());
    let batch = src.poll().await.expect("one NaN does not blind the source");
    assert_eq!(batch.runs.len(), 2);
    let run1 = batch.runs.iter().find(|r| r.id == "run_1").unwrap();
    assert_eq!(run1.stats.tool_calls, Count::OutOfRange);
    assert_eq!(run1.stats.errors, Count::N(2));
    let ids: Vec<&str> = batch.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["e1", "e2", "e3"]);
    let e2 = &batch.events[1];
    assert_eq!(
        e2.data.value(),
        json!({"x": "NaN [not a number]", "y": "-Infinity [number out of range]", "z": "kept", "w": 3})
    );
    assert!(e2.summary.contains("kept as text"), "{}", e2.summary);
    let mut a = app(at(5));
    a.update(polled("sim", batch, at(5)));
    assert_eq!(
        a.sources[0].health.last_error, None,
        "the source is not stale"
    );
}

/// 4. Three runs whose ids are the same once cleaned: three rows, each
///    shown with what makes it differ, the running one still running; an
///    action on the one with an escape reaches the platform with the id
///    the platform sent.
#[tokio::test]
async fn ids_that_collide_once_cleaned_stay_three_runs() {
    let runs = json!([
        {"id": "run_ok", "state": "running", "agent": "a"},
        {"id": "run_ok\u{1b}[0m", "state": "paused", "agent": "b"},
        {"id": "run_ok\u{200b}", "state": "paused", "agent": "c"},
    ]);
    let events = json!([
        {"id": "e1", "run_id": "run_ok\u{1b}[0m", "at": "2026-11-24T10:00:01Z", "kind": "tool_call"},
        {"id": "e1\u{200b}", "run_id": "run_ok", "at": "2026-11-24T10:00:02Z", "kind": "tool_call"},
    ]);
    let server = aca_server(&runs.to_string(), &events.to_string()).await;
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"action_id": "x", "kind": "stop_run", "state": "applied", "affected_runs": ["run_ok\u{1b}[0m"]}),
        ))
        .mount(&server)
        .await;
    let mut src = aca::Aca::new("sim", &server.uri(), http::client());
    let batch = src.poll().await.unwrap();
    let mut a = app(at(5));
    a.update(polled("sim", batch, at(5)));
    assert_eq!(a.store.runs.len(), 3);
    assert_eq!(
        a.store.events.len(),
        2,
        "two events, not one and a duplicate"
    );
    let state = |id: &str| {
        let i = a.store.run_idx("sim", id).unwrap();
        a.store.runs[i].state.as_str().to_string()
    };
    assert_eq!(state("run_ok"), "running");
    assert_eq!(state("run_ok␛[0m"), "paused");
    assert_eq!(state("run_ok⟨U+200B⟩"), "paused");
    let s = screen(&mut a, 160, 48);
    assert!(
        s.contains("run_ok␛[0m") && s.contains("run_ok⟨U+200B⟩"),
        "{s}"
    );
    let actor = aca::AcaActor::new("sim", &server.uri(), http::client());
    let ans = actor.send(&stop("run_ok␛[0m")).await.unwrap();
    assert_eq!(ans.affected_runs, ["run_ok␛[0m"]);
    let sent = server.received_requests().await.unwrap();
    let body: serde_json::Value = sent
        .iter()
        .find(|r| r.url.path() == "/v1/actions")
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(body["target"]["run_id"], "run_ok\u{1b}[0m");
}

/// 8. Counters no count holds (10^40, u64::MAX, -5) show as out of range,
///    not 0 or a clamp; one number beyond f64 in `data` is marked alone,
///    the object's other keys kept.
#[tokio::test]
async fn out_of_range_numbers_are_shown_as_such_alone() {
    let runs = format!(
        r#"[{{"id":"run_1","state":"running","stats":{{"tool_calls":1{zeros},"errors":{max},"retries":-5,"external_actions":7}}}}]"#,
        zeros = "0".repeat(40),
        max = u64::MAX
    );
    let events = r#"[{"id":"e1","run_id":"run_1","at":"2026-11-24T10:00:01Z","kind":"db_write",
        "summary":"big","data":{"rows":1e400,"table":"orders","ok":true,"ünïcode":"x"}},
        {"id":"e2","run_id":"run_1","at":"2026-11-24T10:00:02Z","kind":"db_write",
        "summary":"big","data":{"rows":1e400,"table":"orders"}}]"#;
    let server = aca_server(&runs, events).await;
    let mut src = aca::Aca::new("sim", &server.uri(), http::client());
    let batch = src.poll().await.unwrap();
    let r = &batch.runs[0].stats;
    assert_eq!(
        (r.tool_calls, r.errors, r.retries, r.external_actions),
        (
            Count::OutOfRange,
            Count::OutOfRange,
            Count::OutOfRange,
            Count::N(7)
        )
    );
    assert_eq!(
        batch.events[0].data.value(),
        json!({"rows": "1e400 [number out of range]", "table": "orders", "ok": true, "ünïcode": "x"})
    );
    assert_eq!(
        batch.events[1].data.value(),
        json!({"rows": "1e400 [number out of range]", "table": "orders"})
    );
    let mut a = app(at(5));
    a.update(polled("sim", batch, at(5)));
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("OOR"), "{s}");
    a.update(ch('1'));
    a.update(key(ratatui::crossterm::event::KeyCode::Enter));
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("out of range"), "{s}");
}

/// 7. Five irreversible outbound sends by a run the platform never lists:
///    triage counts them (users affected, cannot be reversed, the target
///    in the impact inventory), not "SEV5, no impact seen".
#[tokio::test]
async fn events_of_a_run_the_platform_does_not_list_count_in_triage() {
    let events: Vec<serde_json::Value> = (0..5)
        .map(|i| {
            json!({"id": format!("e{i}"), "run_id": "run_ghost", "at": format!("2026-11-24T10:00:0{i}Z"),
                   "kind": "message_sent", "outbound": true, "reversible": false,
                   "target": "customers@all", "summary": "refund notice", "data": {"recipients": 1000}})
        })
        .collect();
    let server = aca_server("[]", &json!(events).to_string()).await;
    let mut src = aca::Aca::new("sim", &server.uri(), http::client());
    let batch = src.poll().await.unwrap();
    let mut a = app(at(10));
    a.update(polled("sim", batch, at(10)));
    assert!(a.store.runs.is_empty(), "the platform lists no run");
    let t = a.triage();
    assert_eq!(
        t.answers[1].answer,
        cordon::model::incident::Answer::Yes,
        "outbound"
    );
    assert!(
        t.answers[3].note.contains("5000 recipients"),
        "{:?}",
        t.answers[3]
    );
    assert_eq!(
        t.answers[4].answer,
        cordon::model::incident::Answer::No,
        "irreversible"
    );
    assert!(
        t.changes
            .iter()
            .any(|c| c.target == "customers@all" && c.runs == ["run_ghost"]),
        "{:?}",
        t.changes
    );
    assert!(t.suggested.unwrap().0 < 5, "{:?}", t.suggested);
}

/// 6. A journal re-chained by hand (every hash valid) holding an escape, a
///    bidi override and a URL password: no export carries them out.
#[test]
fn exports_clean_what_the_journal_holds() {
    use cordon::journal::Record;
    use cordon::model::incident::{Note, NoteKind};
    let dir = tempfile::tempdir().unwrap();
    let nasty =
        "see \u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J\u{202e}gnp.exe at http://ops:pw-8c1f2e@h/ now";
    let records = vec![
        Record::SessionStarted {
            incident: "INC".into(),
            operator: operator(),
            version: "0".into(),
            sources: vec![format!("x=aca:http://ops:pw-8c1f2e@h/{nasty}")],
        },
        Record::Incident {
            change: cordon::journal::IncidentChange::Title {
                title: nasty.into(),
            },
            by: nasty.into(),
            at: at(1),
        },
        Record::Note {
            note: Note {
                at: at(2),
                by: nasty.into(),
                kind: NoteKind::Note,
                text: nasty.into(),
                owner: None,
                due: None,
                item_type: None,
                pinned: None,
            },
        },
    ];
    let text = chained(records);
    std::fs::write(cordon::journal::journal_path(dir.path()), &text).unwrap();
    assert!(text.contains("\\u001b"), "the journal holds the escape");
    let written = report::export_all(dir.path(), &report::KINDS, at(9)).unwrap();
    assert_eq!(written.len(), report::KINDS.len());
    for w in written {
        let (kind, out) = (w.kind, std::fs::read_to_string(&w.path).unwrap());
        assert!(cordon::sanitize::is_clean(&out), "{kind}: {out:?}");
        assert!(!out.contains("pw-8c1f2e"), "{kind}");
        if kind == "evidence" {
            serde_json::from_str::<serde_json::Value>(&out).expect("still JSON");
        }
    }
}

/// 9. `cordon act --run` with an escape in it: the echo shows `␛`, never
///    the raw escape, and the platform gets the id as it was typed.
#[tokio::test]
async fn act_echoes_an_escaped_run_id_escaped() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/actions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "action_id": "p", "kind": "stop_run", "state": "preview",
            "affected_runs": ["run_x\u{1b}[31m\u{1b}]0;owned\u{7}"], "message": "ok \u{1b}[2J"})))
        .mount(&server)
        .await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args([
            "act",
            "--source",
            &format!("sim=aca:{}", server.uri()),
            "stop_run",
            "--run",
            "run_x\u{1b}[31m\u{1b}]0;owned\u{7}",
            "--reason",
            "test",
            "--dry-run",
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        !stdout.contains('\u{1b}') && !stderr.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?} {stderr:?}"
    );
    assert!(stdout.contains("run run_x␛[31m␛]0;owned␇"), "{stdout}");
    let body: serde_json::Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(
        body["target"]["run_id"],
        "run_x\u{1b}[31m\u{1b}]0;owned\u{7}"
    );
}
