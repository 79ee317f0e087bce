//! `cordon act` (the real binary) against the hostile and sloppy ACA
//! platform an outsider scripted after issue 14 was built
//! (`hostile.py`): an effect in place before the action, an old rollback
//! record, a plan that shrank, a global control, a request still in
//! flight after a crash, a redirect answer, a sloppy dry run, a `failed`
//! answer. Each case here was reported wrongly before (CONFIRMED, NOT
//! RECEIVED, REFUSED…); the comment on each says what it was.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

mod scripted;
use scripted::Applied;

/// A scripted ACA platform: `applied` is set when a real action reached
/// it (and was applied, unless the test says otherwise).
struct Platform {
    s: MockServer,
    applied: Applied,
}

impl Platform {
    async fn new() -> Platform {
        Platform {
            s: MockServer::start().await,
            applied: Applied::new(),
        }
    }

    async fn dry(&self, body: Value) {
        Mock::given(method("POST"))
            .and(path("/v1/actions"))
            .and(query_param("dry_run", "true"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&self.s)
            .await;
    }

    /// A real action: answered `r`, and applied (it sets `applied`).
    async fn action(&self, r: ResponseTemplate) {
        Mock::given(method("POST"))
            .and(path("/v1/actions"))
            .and(query_param_is_missing("dry_run"))
            .respond_with(self.applied.on_action(r))
            .mount(&self.s)
            .await;
    }

    /// `GET /v1/runs/{id}`: `before` until an action was applied, then
    /// `after`.
    async fn run(&self, id: &str, before: Value, after: Value) {
        self.read_run(id, self.applied.read(before, after)).await;
    }

    async fn read_run(&self, id: &str, r: impl Respond + 'static) {
        Mock::given(method("GET"))
            .and(path(format!("/v1/runs/{id}")))
            .respond_with(r)
            .mount(&self.s)
            .await;
    }

    async fn controls(&self, before: Value, after: Value) {
        Mock::given(method("GET"))
            .and(path("/v1/controls"))
            .respond_with(self.applied.read(before, after))
            .mount(&self.s)
            .await;
    }

    async fn lookup(&self, key: &str, r: impl Respond + 'static) {
        Mock::given(method("GET"))
            .and(path("/v1/actions"))
            .and(query_param("idempotency_key", key))
            .respond_with(r)
            .mount(&self.s)
            .await;
    }

    fn url(&self) -> String {
        format!("w=aca:{}", self.s.uri())
    }

    /// Real (non-dry) actions received.
    async fn posts(&self) -> usize {
        self.s
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| {
                r.method.as_str() == "POST" && !r.url.query().unwrap_or("").contains("dry_run")
            })
            .count()
    }

    async fn requested(&self, p: &str) -> usize {
        self.s
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == p)
            .count()
    }
}

fn run(id: &str, state: &str) -> Value {
    json!({"id": id, "state": state})
}

fn dry(kind: &str, affected: &[&str]) -> Value {
    json!({"action_id": "dry", "kind": kind, "state": "preview",
           "affected_runs": affected, "message": "preview"})
}

fn answer(kind: &str, affected: &[&str]) -> ResponseTemplate {
    ResponseTemplate::new(202).set_body_json(json!({"action_id": "act_1", "kind": kind,
        "state": "applied", "affected_runs": affected, "message": "done"}))
}

/// A platform asked to stop `run_1`: its dry run lists the run, a real
/// action is answered `r` (and applied), and `run_1` reads as `before`
/// until then, `after` from then on.
async fn stop_platform(r: ResponseTemplate, before: &str, after: &str) -> Platform {
    let p = Platform::new().await;
    p.dry(dry("stop_run", &["run_1"])).await;
    p.action(r).await;
    p.run("run_1", run("run_1", before), run("run_1", after))
        .await;
    p
}

/// `cordon export KIND` of the incident in `dir` to `out`.
async fn export(kind: &str, dir: &Path, out: &Path) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["export", kind, "--incident-dir"])
        .arg(dir)
        .arg("-o")
        .arg(out)
        .output()
        .await
        .unwrap()
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404)
        .set_body_json(json!({"error": {"code": "not_found", "message": "never received"}}))
}

/// `cordon act --source P ARGS… --reason … --yes --incident-dir DIR`.
async fn act(p: &Platform, args: &[&str], dir: &Path, verify: &str) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["act", "--source", &p.url()])
        .args(args)
        .args(["--reason", "INC-1: hostile platform", "--yes"])
        .args(["--verify-timeout", verify, "--incident-dir"])
        .arg(dir)
        .env("XDG_STATE_HOME", dir.parent().unwrap())
        .output()
        .await
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn inc(t: &tempfile::TempDir) -> PathBuf {
    t.path().join("inc")
}

fn journal(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("journal.jsonl")).unwrap_or_default()
}

/// 1. The run was already stopped; the platform's dry run and answer
///    (sloppily) list it as affected, and it applies nothing. Was:
///    CONFIRMED, exit 0. The read before the action decides: ALREADY
///    ENDED, nothing sent, and the attempt is on record (it wrote no
///    journal at all before).
#[tokio::test]
async fn a_run_stopped_before_the_action_is_already_ended_whatever_the_answer_lists() {
    // Stopped before, and the platform applies nothing: both reads agree.
    let p = stop_platform(answer("stop_run", &["run_1"]), "stopped", "stopped").await;
    let t = tempfile::tempdir().unwrap();
    let o = act(&p, &["stop_run", "--run", "run_1"], &inc(&t), "1").await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(7), "{out}");
    assert!(
        out.contains("ALREADY ENDED") && out.contains("run run_1 is stopped"),
        "{out}"
    );
    assert!(!out.contains("CONFIRMED"), "{out}");
    assert_eq!(p.posts().await, 0, "nothing sent");
    let j = journal(&inc(&t));
    assert!(
        j.contains("\"type\":\"action_intent\"") && j.contains("\"outcome\":\"already_ended\""),
        "the attempt is on record: {j}"
    );
    assert!(j.contains("nothing sent"), "{j}");
}

fn rollback_dry(plan: &[&str]) -> Value {
    json!({"action_id": "dry", "kind": "rollback_run", "state": "preview",
           "affected_runs": ["run_1"], "message": "preview",
           "reverts": plan.iter().map(|e| json!({"event_id": e, "kind": "db_write", "target": format!("db:crm/{e}")})).collect::<Vec<_>>()})
}

fn rollback_answer(plan: &[&str]) -> ResponseTemplate {
    let mut v = rollback_dry(plan);
    v["state"] = json!("applied");
    v["action_id"] = json!("act_1");
    ResponseTemplate::new(202).set_body_json(v)
}

fn rolled_back(at: &str, reverted: &[&str]) -> Value {
    json!({"id": "run_1", "state": "succeeded",
           "rollback": {"at": at, "reverted": reverted, "failed": []}})
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

/// 2. The run already carried a rollback record from 2020 listing every
///    planned write. When the platform writes no new one: was CONFIRMED
///    "all 2 planned writes reverted"; an unchanged record proves
///    nothing. When it does write one (a later `at`, the same writes), that
///    one confirms.
#[tokio::test]
async fn only_a_rollback_record_made_by_the_action_proves_it() {
    let old = rolled_back("2020-01-01T00:00:00Z", &["evt_1", "evt_2"]);
    for (after, code, words) in [
        (old.clone(), 3, "the one it had before this action"),
        (
            rolled_back(&now(), &["evt_1", "evt_2"]),
            0,
            "all 2 planned writes reverted",
        ),
    ] {
        let p = Platform::new().await;
        p.dry(rollback_dry(&["evt_1", "evt_2"])).await;
        p.action(rollback_answer(&["evt_1", "evt_2"])).await;
        p.run("run_1", old.clone(), after).await;
        let t = tempfile::tempdir().unwrap();
        let o = act(&p, &["rollback_run", "--run", "run_1"], &inc(&t), "1").await;
        let out = text(&o);
        assert_eq!(o.status.code(), Some(code), "{out}");
        assert!(out.contains(words), "{out}");
    }
}

/// 3. The dry run the commander approved planned two writes; the real
///    answer planned one and reverted only it. Was: CONFIRMED "all 1
///    planned write reverted". The approved plan is what must be proven:
///    PARTLY DONE, the dropped write named, in the postmortem too.
#[tokio::test]
async fn a_write_dropped_from_the_plan_is_partly_done_and_named() {
    let p = Platform::new().await;
    p.dry(rollback_dry(&["evt_1", "evt_2"])).await;
    p.action(rollback_answer(&["evt_1"])).await;
    p.run(
        "run_1",
        run("run_1", "succeeded"),
        rolled_back(&now(), &["evt_1"]),
    )
    .await;
    let t = tempfile::tempdir().unwrap();
    let o = act(&p, &["rollback_run", "--run", "run_1"], &inc(&t), "1").await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("PARTLY DONE")
            && out.contains("1 of 2 planned writes reverted")
            && out.contains("not reverted: evt_2"),
        "{out}"
    );
    let pm = t.path().join("pm.md");
    let e = export("postmortem", &inc(&t), &pm).await;
    assert!(e.status.success(), "{}", text(&e));
    let pm = std::fs::read_to_string(pm).unwrap();
    assert!(
        pm.contains("partly done") && pm.contains("not reverted: `evt_2`"),
        "{pm}"
    );
}

fn controls(blocked: &[&str], held: &[&str]) -> Value {
    json!({"outbound_blocked": blocked, "revoked_tools": [], "revoked_credentials": [],
           "paused_workflows": [], "held_queues": held})
}

/// 4. Inverses while `*` still applies. Were: CONFIRMED "outbound
///    unblocked for drafter" / "queue wf1 released" while every class and
///    every queue stayed blocked and held.
#[tokio::test]
async fn an_inverse_under_a_global_control_is_not_confirmed() {
    for (args, kind, words) in [
        (
            ["unblock_outbound", "--agent-class", "drafter"],
            "unblock_outbound",
            "outbound for drafter is still blocked by '*'",
        ),
        (
            ["release_queue", "--workflow", "wf1"],
            "release_queue",
            "queue wf1 is still held by '*'",
        ),
    ] {
        let p = Platform::new().await;
        p.dry(dry(kind, &[])).await;
        p.action(answer(kind, &[])).await;
        let c = controls(&["*"], &["*"]);
        p.controls(c.clone(), c).await;
        let t = tempfile::tempdir().unwrap();
        let o = act(&p, &args, &inc(&t), "1").await;
        let out = text(&o);
        assert_eq!(o.status.code(), Some(3), "{kind}: {out}");
        assert!(out.contains(words), "{kind}: {out}");
        assert!(!out.contains("CONFIRMED in"), "{kind}: {out}");
    }
}

/// 4. `block_outbound drafter` while `*` is in force. Was: UNCONFIRMED
///    "not yet blocked" (while the unblock was CONFIRMED): drafter was
///    blocked all along. Now: NOTHING TO DO, already in force, whether the
///    platform lists the class on its own afterwards or not.
#[tokio::test]
async fn a_block_already_in_force_through_star_is_nothing_to_do() {
    for after in [&["*"][..], &["*", "drafter"][..]] {
        let p = Platform::new().await;
        p.dry(dry("block_outbound", &["run_1"])).await;
        p.action(answer("block_outbound", &["run_1"])).await;
        p.controls(controls(&["*"], &[]), controls(after, &[]))
            .await;
        let t = tempfile::tempdir().unwrap();
        let o = act(
            &p,
            &["block_outbound", "--agent-class", "drafter"],
            &inc(&t),
            "1",
        )
        .await;
        let out = text(&o);
        assert_eq!(o.status.code(), Some(8), "{after:?}: {out}");
        assert!(
            out.contains("NOTHING TO DO") && out.contains("already in force before"),
            "{after:?}: {out}"
        );
    }
}

/// 5. Reopened while the platform was still working on the crashed
///    session's request: the first asks by key find nothing, then it
///    arrives (and run_2 stops). Was: NOT RECEIVED at the first 404.
#[tokio::test]
async fn a_request_still_in_flight_after_a_crash_is_found_not_closed() {
    let key = "33333333-0000-4000-8000-000000000003";
    let p = stop_platform(answer("stop_run", &["run_1"]), "running", "stopped").await;
    let arrived = Applied::new();
    p.lookup(
        key,
        scripted::After::new(2, not_found(), answer("stop_run", &["run_2"]), &arrived),
    )
    .await;
    p.read_run(
        "run_2",
        arrived.read(run("run_2", "running"), run("run_2", "stopped")),
    )
    .await;
    let t = tempfile::tempdir().unwrap();
    scripted::crashed_earlier(&inc(&t), key);
    let o = act(&p, &["stop_run", "--run", "run_1"], &inc(&t), "3").await;
    let out = text(&o);
    assert!(
        out.contains("earlier action CLI-earlier (stop_run run run_2): CONFIRMED"),
        "{out}"
    );
    assert!(!out.contains("NOT RECEIVED"), "{out}");
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert_eq!(p.posts().await, 1, "only the new action was sent");
}

/// 5. The key stays unknown and the effect never shows: UNKNOWN (it may
///    still arrive), never NOT RECEIVED, and never re-sent.
#[tokio::test]
async fn a_key_still_unknown_after_a_crash_is_unknown_not_not_received() {
    let key = "44444444-0000-4000-8000-000000000004";
    let p = stop_platform(answer("stop_run", &["run_1"]), "running", "stopped").await;
    p.lookup(key, not_found()).await;
    p.read_run(
        "run_2",
        ResponseTemplate::new(200).set_body_json(run("run_2", "running")),
    )
    .await;
    let t = tempfile::tempdir().unwrap();
    scripted::crashed_earlier(&inc(&t), key);
    let o = act(&p, &["stop_run", "--run", "run_1"], &inc(&t), "1").await;
    let out = text(&o);
    assert!(
        out.contains("earlier action CLI-earlier (stop_run run run_2): UNKNOWN")
            && out.contains("may still arrive"),
        "{out}"
    );
    assert!(!out.contains("NOT RECEIVED"), "{out}");
    assert_eq!(p.posts().await, 1, "the earlier one was not re-sent");
    assert!(journal(&inc(&t)).contains("\"outcome\":\"unknown\""));
}

/// 6. The platform applied the stop and answered with a redirect to the
///    action's resource (303) or to itself (307). Was: REFUSED, exit 4,
///    with no lookup and no re-read. A redirect is not a refusal: the
///    answer is lost, asked for by key, the effect re-read; the redirect
///    is never followed (no second request, no credential elsewhere).
#[tokio::test]
async fn a_redirect_answer_is_not_a_refusal() {
    for (status, to) in [(303, "/v1/actions/act_1"), (307, "/v1/actions?again=1")] {
        let key_found = answer("stop_run", &["run_1"]);
        let p = stop_platform(
            ResponseTemplate::new(status).insert_header("Location", to),
            "running",
            "stopped",
        )
        .await;
        // The lookup by key (the only GET on /v1/actions itself).
        Mock::given(method("GET"))
            .and(path("/v1/actions"))
            .respond_with(key_found)
            .mount(&p.s)
            .await;
        let t = tempfile::tempdir().unwrap();
        let o = act(&p, &["stop_run", "--run", "run_1"], &inc(&t), "1").await;
        let out = text(&o);
        assert_eq!(o.status.code(), Some(0), "{status}: {out}");
        assert!(
            out.contains(&format!("HTTP {status} redirect")) && out.contains("answer was lost"),
            "{status}: {out}"
        );
        assert!(out.contains("CONFIRMED"), "{status}: {out}");
        assert_eq!(p.posts().await, 1, "{status}: never re-sent");
        assert_eq!(
            p.requested("/v1/actions/act_1").await,
            0,
            "{status}: not followed"
        );
        assert!(journal(&inc(&t)).contains("\"lost\":"));
    }
}

/// 7. A dry run answered `"action_id": null` (a dry run creates no
///    action). Was: exit 5, the answer unreadable. It is read; an answer
///    that really cannot be read is NO ANSWER (5), a dry run the platform
///    refuses is REFUSED (4), as README says.
#[tokio::test]
async fn dry_run_answers_sloppy_unreadable_and_refused() {
    let p = Platform::new().await;
    p.dry(
        json!({"action_id": null, "kind": "stop_run", "state": "preview",
                 "affected_runs": ["run_1"], "message": null}),
    )
    .await;
    p.action(answer("stop_run", &["run_1"])).await;
    p.run("run_1", run("run_1", "running"), run("run_1", "stopped"))
        .await;
    let t = tempfile::tempdir().unwrap();
    let o = act(&p, &["stop_run", "--run", "run_1"], &inc(&t), "1").await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    for (r, code, words) in [
        (
            ResponseTemplate::new(200).set_body_string("<html>oops</html>"),
            5,
            "no usable answer to the dry run",
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"action_id": 7})),
            5,
            "no usable answer to the dry run",
        ),
        (
            ResponseTemplate::new(422)
                .set_body_json(json!({"error": {"code": "bad", "message": "no such run"}})),
            4,
            "dry run refused",
        ),
    ] {
        let p = Platform::new().await;
        Mock::given(method("POST"))
            .and(path("/v1/actions"))
            .and(query_param("dry_run", "true"))
            .respond_with(r)
            .mount(&p.s)
            .await;
        let t = tempfile::tempdir().unwrap();
        let o = act(&p, &["stop_run", "--run", "run_1"], &inc(&t), "1").await;
        let out = text(&o);
        assert_eq!(o.status.code(), Some(code), "{out}");
        assert!(out.contains(words) && out.contains("nothing sent"), "{out}");
        assert_eq!(p.posts().await, 0);
    }
}

/// 7. `state: failed`, yet the platform stopped the run. Refused (the
///    safe side), as before, but now after one re-read that says what is
///    there (before: no re-read).
#[tokio::test]
async fn a_failed_answer_is_refused_and_says_what_a_re_read_shows() {
    let failed = ResponseTemplate::new(202).set_body_json(json!({"action_id": "act_1",
        "kind": "stop_run", "state": "failed", "affected_runs": ["run_1"], "message": "done"}));
    let p = stop_platform(failed, "running", "stopped").await;
    let t = tempfile::tempdir().unwrap();
    let o = act(&p, &["stop_run", "--run", "run_1"], &inc(&t), "1").await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(4), "{out}");
    assert!(
        out.contains(
            "REFUSED: the platform answered failed ('done'); a re-read shows: run run_1 is stopped"
        ),
        "{out}"
    );
    assert!(journal(&inc(&t)).contains("a re-read shows"));
}

/// 7. The status update after an unconfirmed stop says "we have asked
///    for it to be stopped; not yet confirmed". Was: the export warned
///    that the action was "not verified and not mentioned".
#[tokio::test]
async fn the_status_warning_says_what_the_update_says() {
    let p = stop_platform(answer("stop_run", &["run_1"]), "running", "running").await;
    let t = tempfile::tempdir().unwrap();
    let o = act(&p, &["stop_run", "--run", "run_1"], &inc(&t), "0.5").await;
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let out = t.path().join("status.md");
    let e = export("status", &inc(&t), &out).await;
    let said = text(&e);
    let status = std::fs::read_to_string(out).unwrap();
    assert!(
        status.contains("we have not yet confirmed that it has stopped"),
        "{status}"
    );
    assert!(!said.contains("not mentioned"), "{said}");
    assert!(
        said.contains(
            "1 containment action is not verified: the update says only that a stop was asked for"
        ),
        "{said}"
    );
}
