//! A fault proxy between cordon and a real server: it forwards every
//! request (streams too) and, by rule, stalls one (no answer until the
//! client gives up), resets one mid-answer (the headers, a few bytes, then
//! the connection breaks), or answers 5xx instead — on chosen paths, every
//! n-th match, up to a limit. It also keeps what it was asked (method,
//! path, headers), for tests that check what cordon sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Hold the request without answering (the client times out).
    Stall,
    /// Answer 200, send a few bytes, then break the connection.
    Reset,
    /// Answer with this status and a JSON error.
    Status(u16),
}

#[derive(Debug, Clone)]
pub struct Rule {
    /// Applies to requests whose path (with query) contains this.
    pub path: &'static str,
    pub fault: Fault,
    /// Every n-th matching request is faulted (1: every one).
    pub every: u32,
    /// At most this many faults from this rule.
    pub limit: u32,
}

impl Rule {
    pub fn new(path: &'static str, fault: Fault, every: u32, limit: u32) -> Rule {
        Rule {
            path,
            fault,
            every: every.max(1),
            limit,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
}

#[derive(Default)]
struct Inner {
    rules: Vec<(Rule, u32, u32)>,
    seen: Vec<Seen>,
    faults: Vec<(Fault, String)>,
}

#[derive(Clone)]
struct Ctx {
    upstream: String,
    client: reqwest::Client,
    inner: Arc<Mutex<Inner>>,
}

pub struct Proxy {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    pub async fn start(upstream: &str, rules: Vec<Rule>) -> Proxy {
        let inner = Arc::new(Mutex::new(Inner {
            rules: rules.into_iter().map(|r| (r, 0, 0)).collect(),
            ..Inner::default()
        }));
        let ctx = Ctx {
            upstream: upstream.trim_end_matches('/').to_string(),
            client: reqwest::Client::builder()
                .pool_idle_timeout(Duration::from_secs(5))
                .build()
                .unwrap(),
            inner: inner.clone(),
        };
        let app = axum::Router::new().fallback(forward).with_state(ctx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Proxy { url, inner, task }
    }

    /// Faults injected so far: (fault, path).
    pub fn faults(&self) -> Vec<(Fault, String)> {
        self.inner.lock().unwrap().faults.clone()
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    /// `N faults injected (a stalls, b resets, c 5xx)`.
    pub fn summary(&self) -> String {
        let f = self.faults();
        let n = |k: fn(&Fault) -> bool| f.iter().filter(|x| k(&x.0)).count();
        format!(
            "{} faults injected ({} stalls, {} resets, {} 5xx)",
            f.len(),
            n(|x| *x == Fault::Stall),
            n(|x| *x == Fault::Reset),
            n(|x| matches!(x, Fault::Status(_)))
        )
    }

    /// Stop injecting faults (requests still pass).
    pub fn heal(&self) {
        self.inner.lock().unwrap().rules.clear();
    }
}

fn fault_for(inner: &Mutex<Inner>, path: &str) -> Option<Fault> {
    let mut g = inner.lock().unwrap();
    for (r, matched, injected) in g.rules.iter_mut() {
        if path.contains(r.path) {
            *matched += 1;
            if *injected < r.limit && *matched % r.every == 0 {
                *injected += 1;
                return Some(r.fault);
            }
        }
    }
    None
}

async fn forward(State(ctx): State<Ctx>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let headers = req.headers().clone();
    ctx.inner.lock().unwrap().seen.push(Seen {
        method: method.to_string(),
        path: path.clone(),
        headers: headers.clone(),
    });
    let fault = fault_for(&ctx.inner, &path);
    if let Some(f) = fault {
        ctx.inner.lock().unwrap().faults.push((f, path.clone()));
    }
    match fault {
        Some(Fault::Stall) => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            return Response::builder()
                .status(StatusCode::GATEWAY_TIMEOUT)
                .body(Body::empty())
                .unwrap();
        }
        Some(Fault::Status(s)) => {
            return Response::builder()
                .status(StatusCode::from_u16(s).unwrap_or(StatusCode::BAD_GATEWAY))
                .header("content-type", "application/json")
                .body(Body::from(r#"{"detail":"injected by the fault proxy"}"#))
                .unwrap();
        }
        _ => {}
    }
    let body = axum::body::to_bytes(req.into_body(), 64 << 20)
        .await
        .unwrap_or_default();
    let mut up = ctx
        .client
        .request(method, format!("{}{path}", ctx.upstream))
        .body(body);
    for (k, v) in headers.iter() {
        if k != "host" && k != "content-length" {
            up = up.header(k, v);
        }
    }
    let resp = match up.send().await {
        Ok(r) => r,
        Err(_) => {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::empty())
                .unwrap();
        }
    };
    let mut b = Response::builder().status(resp.status().as_u16());
    for (k, v) in resp.headers() {
        if k != "content-length" && k != "transfer-encoding" {
            b = b.header(k, v);
        }
    }
    if fault == Some(Fault::Reset) {
        // A few bytes of the real answer, then the link breaks.
        let bytes = resp.bytes().await.unwrap_or_default();
        let head = bytes.slice(..bytes.len().min(7));
        let stream = futures_util::stream::iter(vec![
            Ok::<_, std::io::Error>(head),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "reset by the fault proxy",
            )),
        ]);
        return b.body(Body::from_stream(stream)).unwrap();
    }
    b.body(Body::from_stream(resp.bytes_stream())).unwrap()
}
