//! ACA/1 over HTTP, served from the shared [`World`].

use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::world::{ActionError, World};

pub type Shared = Arc<Mutex<World>>;

const MAX_LIMIT: usize = 1000;

pub fn router(world: Shared) -> Router {
    Router::new()
        .route("/v1/info", get(info))
        .route("/v1/runs", get(runs))
        .route("/v1/runs/{id}", get(run))
        .route("/v1/events", get(events))
        .route("/v1/actions", post(act).get(by_key))
        .route("/v1/actions/{id}", get(action))
        .route("/v1/controls", get(controls))
        .route("/v1/canaries", post(canary))
        .with_state(world)
}

fn lock(w: &Shared) -> std::sync::MutexGuard<'_, World> {
    // A panic while holding the lock must not take the whole sim down.
    w.lock().unwrap_or_else(|p| p.into_inner())
}

fn err(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

async fn info(State(w): State<Shared>) -> Json<Value> {
    let w = lock(&w);
    let actions: Vec<&str> = w.offered.iter().map(|k| k.as_str()).collect();
    Json(
        json!({"platform": "cordon-sim", "api_version": "1.1", "actions": actions, "canaries": true}),
    )
}

/// A request body that must be a JSON object, else the 400 to answer.
fn object(body: &str) -> Result<Value, Box<Response>> {
    match serde_json::from_str(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(Box::new(err(
            StatusCode::BAD_REQUEST,
            "bad_body",
            "body must be a JSON object",
        ))),
    }
}

/// A token the world holds as read-only: it may read and preview, not act.
fn read_only(w: &World, headers: &HeaderMap) -> bool {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    token.is_some_and(|t| w.read_only_tokens.iter().any(|r| r == t))
}

fn forbidden() -> Response {
    err(
        StatusCode::FORBIDDEN,
        "forbidden",
        "this token is read-only: it may read and preview, not act",
    )
}

/// ACA/1.1 `POST /v1/canaries`: a harmless run for drills (`201`).
async fn canary(State(w): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let body = match body.trim() {
        "" => json!({}),
        b => match object(b) {
            Ok(v) => v,
            Err(e) => return *e,
        },
    };
    let mut w = lock(&w);
    if read_only(&w, &headers) {
        return forbidden();
    }
    match w.start_canary(&body) {
        Ok(run) => (StatusCode::CREATED, Json(run)).into_response(),
        Err(ActionError::BadRequest(m)) => err(StatusCode::BAD_REQUEST, "bad_request", &m),
        Err(e) => err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "canary",
            &format!("{e:?}"),
        ),
    }
}

#[derive(Deserialize)]
struct RunsQuery {
    state: Option<String>,
    cursor: Option<String>,
    limit: Option<usize>,
}

async fn runs(State(w): State<Shared>, Query(q): Query<RunsQuery>) -> Response {
    let w = lock(&w);
    let all = match q.state.as_deref() {
        None | Some("active") => false,
        Some("all") => true,
        Some(o) => {
            return err(
                StatusCode::BAD_REQUEST,
                "bad_state",
                &format!("state must be active or all, not {o}"),
            );
        }
    };
    let start: usize = q
        .cursor
        .as_deref()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let limit = q.limit.unwrap_or(200).clamp(1, MAX_LIMIT);
    let matching: Vec<&super::world::SimRun> = w
        .runs
        .iter()
        .filter(|r| {
            all || matches!(
                r.state.as_str(),
                "queued" | "running" | "waiting_review" | "paused"
            )
        })
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(limit)
        .map(|r| r.to_json())
        .collect();
    let next = (start + page.len() < matching.len()).then(|| (start + page.len()).to_string());
    Json(json!({"runs": page, "next_cursor": next})).into_response()
}

async fn run(State(w): State<Shared>, Path(id): Path<String>) -> Response {
    match lock(&w).run(&id) {
        Some(r) => Json(r.to_json()).into_response(),
        None => err(StatusCode::NOT_FOUND, "not_found", &format!("no run {id}")),
    }
}

#[derive(Deserialize)]
struct EventsQuery {
    after: Option<String>,
    limit: Option<usize>,
}

async fn events(State(w): State<Shared>, Query(q): Query<EventsQuery>) -> Response {
    let w = lock(&w);
    let start: usize = match q.after.as_deref() {
        None | Some("") => 0,
        Some(c) => match c.parse() {
            Ok(n) => n,
            Err(_) => return err(StatusCode::BAD_REQUEST, "bad_cursor", "unknown cursor"),
        },
    };
    let limit = q.limit.unwrap_or(500).clamp(1, MAX_LIMIT);
    let start = start.min(w.events.len());
    let page: Vec<&Value> = w.events[start..].iter().take(limit).collect();
    let next = (start + page.len()).to_string();
    Json(json!({"events": page, "next_cursor": next})).into_response()
}

#[derive(Deserialize)]
struct ActQuery {
    dry_run: Option<bool>,
}

async fn act(
    State(w): State<Shared>,
    Query(q): Query<ActQuery>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let body = match object(&body) {
        Ok(v) => v,
        Err(e) => return *e,
    };
    let dry = q.dry_run.unwrap_or(false);
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let mut w = lock(&w);
    if !dry && read_only(&w, &headers) {
        return forbidden();
    }
    let result = w.act(&body, key, dry);
    drop(w);
    match result {
        Ok(a) => {
            let status = if dry {
                StatusCode::OK
            } else {
                StatusCode::ACCEPTED
            };
            (status, Json(a)).into_response()
        }
        Err(ActionError::BadRequest(m)) => err(StatusCode::BAD_REQUEST, "bad_request", &m),
        Err(ActionError::NotFound(m)) => err(StatusCode::NOT_FOUND, "not_found", &m),
        Err(ActionError::NotOffered(m)) => err(StatusCode::NOT_IMPLEMENTED, "not_offered", &m),
        Err(ActionError::Conflict(m)) => {
            err(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_conflict", &m)
        }
    }
}

#[derive(Deserialize)]
struct KeyQuery {
    idempotency_key: Option<String>,
}

/// ACA/1.1: what became of the action sent under a key (404: never
/// received).
async fn by_key(State(w): State<Shared>, Query(q): Query<KeyQuery>) -> Response {
    let Some(key) = q.idempotency_key.filter(|k| !k.is_empty()) else {
        return err(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "idempotency_key is required",
        );
    };
    match lock(&w).action_by_key(&key) {
        Some(a) => Json(a).into_response(),
        None => err(
            StatusCode::NOT_FOUND,
            "not_found",
            "no action was received with this idempotency key",
        ),
    }
}

async fn action(State(w): State<Shared>, Path(id): Path<String>) -> Response {
    match lock(&w).actions.get(&id) {
        Some(a) => Json(a.clone()).into_response(),
        None => err(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("no action {id}"),
        ),
    }
}

async fn controls(State(w): State<Shared>) -> Json<Value> {
    Json(serde_json::to_value(&lock(&w).controls).unwrap_or_default())
}
