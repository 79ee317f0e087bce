//! The listening side: OTLP/HTTP (`POST /v1/traces`) and, when asked,
//! OTLP/gRPC (`TraceService/Export`), both on axum. What it promises the
//! senders and the console:
//! - a bearer token when the source has one (401 without it);
//! - bodies capped as sent and after gunzip, read within a deadline;
//! - at most [`DECODERS`] requests decoded at once, and when the console
//!   has not taken what was mapped (more than [`PENDING_CAP`] events
//!   waiting), 503 with `Retry-After` (gRPC: UNAVAILABLE), which OTLP
//!   senders retry: memory stays bounded and nothing is dropped silently;
//! - a refusal the sender will not retry (bad body, wrong type) is marked
//!   in the source's timeline.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tokio::sync::{Notify, Semaphore};

use super::decode::{self, Encoding, MAX_BODY, MAX_DECODED, Refusal};
use super::map::{Mapper, Outcome};
use crate::model::{EventKind, Time};
use crate::secret::Secret;

/// Requests decoded and mapped at once (each may hold a body of up to
/// [`MAX_DECODED`] and its decoded spans).
pub const DECODERS: usize = 2;
/// Mapped events waiting for the console above which senders are told to
/// come back later.
pub const PENDING_CAP: usize = 100_000;
/// How long a request may wait for a decoder before 503.
const WAIT_FOR_DECODER: Duration = Duration::from_secs(5);
/// How long a body may take to arrive.
const READ_BODY: Duration = Duration::from_secs(10);
/// Said to senders with 503 (seconds).
const RETRY_AFTER: &str = "1";

/// Refusals since the console last took what was mapped.
#[derive(Debug, Default)]
struct Refused {
    /// 503/429: the sender retries.
    busy: u64,
    /// Refused for good (4xx): count and the last reason.
    lost: u64,
    last: String,
}

/// What the receiver tasks and the poller share.
pub struct Shared {
    mapper: Mutex<Mapper>,
    pub wake: Arc<Notify>,
    decoders: Semaphore,
    token: Option<Secret>,
    refused: Mutex<Refused>,
    pending_cap: usize,
}

impl Shared {
    /// Senders are told to wait while more than `pending_cap` mapped
    /// events wait for the console ([`PENDING_CAP`] in the console).
    pub fn new(mapper: Mapper, token: Option<Secret>, pending_cap: usize) -> Shared {
        Shared {
            mapper: Mutex::new(mapper),
            wake: Arc::new(Notify::new()),
            decoders: Semaphore::new(DECODERS),
            token,
            refused: Mutex::new(Refused::default()),
            pending_cap,
        }
    }

    /// The mapper (a panic while mapping leaves it usable: the state is
    /// maps and queues, consistent between spans).
    pub fn mapper(&self) -> std::sync::MutexGuard<'_, Mapper> {
        self.mapper.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Map one decoded request and ring the poller.
    pub fn ingest(&self, req: &ExportTraceServiceRequest, now: Time) -> Outcome {
        let out = self.mapper().map(req, now);
        self.wake.notify_one();
        out
    }

    /// More mapped than the console has taken: senders should wait.
    pub fn busy(&self) -> bool {
        self.mapper().pending() >= self.pending_cap
    }

    fn authorized(&self, value: Option<&HeaderValue>) -> bool {
        use sha2::{Digest, Sha256};
        let Some(token) = &self.token else {
            return true;
        };
        let Some(given) = value.and_then(|v| v.to_str().ok()).and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        }) else {
            return false;
        };
        // Compared as digests: no early exit on the first differing byte.
        Sha256::digest(given.trim().as_bytes()) == Sha256::digest(token.expose().as_bytes())
    }

    fn note(&self, status: u16, message: &str) {
        let mut r = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(status, 429 | 503) {
            r.busy += 1;
        } else {
            r.lost += 1;
            r.last = format!("{status} {message}");
        }
        drop(r);
        self.wake.notify_one();
    }

    /// Turn the refusals since the last call into timeline notices.
    pub fn notices(&self, now: Time) {
        let r = std::mem::take(&mut *self.refused.lock().unwrap_or_else(|e| e.into_inner()));
        let mut m = self.mapper();
        if r.lost > 0 {
            m.notice(
                now,
                EventKind::Error,
                format!(
                    "receiver refused {} request(s) the sender will not resend; last: {}",
                    r.lost, r.last
                ),
            );
        }
        if r.busy > 0 {
            m.notice(
                now,
                EventKind::Other("receiver".into()),
                format!(
                    "receiver asked senders to wait {} time(s) (503, Retry-After {RETRY_AFTER} s): the console was behind; they resend",
                    r.busy
                ),
            );
        }
    }
}

/// The running servers; dropping it stops them.
pub struct Servers {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    pub http: SocketAddr,
    pub grpc: Option<SocketAddr>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn bind(addr: SocketAddr, what: &str) -> Result<tokio::net::TcpListener, String> {
    let l = std::net::TcpListener::bind(addr).map_err(|e| {
        format!("cannot listen for {what} on {addr}: {e}; is another receiver (a Collector, another cordon) using that port?")
    })?;
    l.set_nonblocking(true)
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tokio::net::TcpListener::from_std(l).map_err(|e| format!("cannot listen on {addr}: {e}"))
}

/// Bind and serve. Needs a tokio runtime (the console's).
pub fn start(
    http: SocketAddr,
    grpc: Option<SocketAddr>,
    shared: Arc<Shared>,
) -> Result<Servers, String> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Err("an otlp source needs the console's runtime to listen".into());
    }
    let mut servers = Servers {
        tasks: Vec::new(),
        http,
        grpc: None,
    };
    let l = bind(http, "OTLP/HTTP")?;
    servers.http = l.local_addr().unwrap_or(http);
    let app = Router::new()
        .route("/v1/traces", axum::routing::post(traces))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "cordon receives OTLP traces at POST /v1/traces\n",
            )
        })
        .with_state(shared.clone());
    servers.tasks.push(tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    }));
    if let Some(addr) = grpc {
        let l = bind(addr, "OTLP/gRPC")?;
        servers.grpc = Some(l.local_addr().unwrap_or(addr));
        let svc = TraceServiceServer::new(Grpc(shared.clone()))
            .accept_compressed(tonic::codec::CompressionEncoding::Gzip)
            .max_decoding_message_size(MAX_DECODED);
        let app = Router::new()
            .route_service(
                "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                svc,
            )
            .layer(axum::middleware::from_fn_with_state(shared, grpc_gate));
        servers.tasks.push(tokio::spawn(async move {
            let _ = axum::serve(l, app).await;
        }));
    }
    Ok(servers)
}

fn refuse(st: &Shared, enc: Option<Encoding>, r: Refusal) -> Response {
    st.note(r.status, &r.message);
    let mut resp = (
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST),
        decode::error_body(enc, r.status, &r.message),
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(enc.unwrap_or(Encoding::Protobuf).content_type()),
    );
    if matches!(r.status, 429 | 503) {
        h.insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER));
    }
    resp
}

fn behind() -> Refusal {
    Refusal::new(
        503,
        "cordon's console is behind: retry after the Retry-After delay",
    )
}

/// `POST /v1/traces`.
async fn traces(State(st): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    if !st.authorized(headers.get(header::AUTHORIZATION)) {
        return refuse(
            &st,
            None,
            Refusal::new(401, "this receiver needs Authorization: Bearer <token>"),
        );
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let enc = match decode::encoding_of(ct) {
        Ok(e) => e,
        Err(r) => return refuse(&st, None, r),
    };
    let too_big = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_BODY);
    if too_big {
        return refuse(&st, Some(enc), over_cap());
    }
    if st.busy() {
        return refuse(&st, Some(enc), behind());
    }
    let Ok(Ok(_permit)) = tokio::time::timeout(WAIT_FOR_DECODER, st.decoders.acquire()).await
    else {
        return refuse(&st, Some(enc), behind());
    };
    let bytes = match tokio::time::timeout(READ_BODY, axum::body::to_bytes(body, MAX_BODY)).await {
        Err(_) => {
            return refuse(
                &st,
                Some(enc),
                Refusal::new(408, "body not received within 10 s"),
            );
        }
        Ok(Err(_)) => return refuse(&st, Some(enc), over_cap()),
        Ok(Ok(b)) => b,
    };
    let ce = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let st2 = st.clone();
    // Decoding and mapping are CPU work: off the async workers, so the
    // console's loop is never starved by a big request.
    let done = tokio::task::spawn_blocking(move || {
        let body = decode::unwrap_body(&bytes, ce.as_deref())?;
        let req = decode::decode(&body, enc)?;
        drop(body);
        Ok::<Outcome, Refusal>(st2.ingest(&req, chrono::Utc::now()))
    })
    .await;
    match done {
        Ok(Ok(out)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, enc.content_type())],
            decode::answer(enc, out.rejected as i64, &out.message),
        )
            .into_response(),
        Ok(Err(r)) => refuse(&st, Some(enc), r),
        Err(_) => refuse(
            &st,
            Some(enc),
            Refusal::new(
                500,
                "the request could not be mapped (internal error); it was not kept",
            ),
        ),
    }
}

fn over_cap() -> Refusal {
    Refusal::new(
        413,
        format!(
            "body over {} MiB: send smaller batches (Collector: batch processor send_batch_max_size)",
            MAX_BODY >> 20
        ),
    )
}

/// gRPC: the token, back-pressure and one decoder slot, before tonic
/// decodes the message.
async fn grpc_gate(State(st): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let status = |code: tonic::Code, msg: &str| {
        let mut resp = Response::new(Body::empty());
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/grpc"),
        );
        h.insert("grpc-status", HeaderValue::from(code as i32));
        if let Ok(v) = HeaderValue::from_str(msg) {
            h.insert("grpc-message", v);
        }
        resp
    };
    if !st.authorized(req.headers().get(header::AUTHORIZATION)) {
        st.note(401, "gRPC request without the bearer token");
        return status(
            tonic::Code::Unauthenticated,
            "this receiver needs authorization: Bearer <token>",
        );
    }
    if st.busy() {
        st.note(503, "");
        return status(
            tonic::Code::Unavailable,
            "cordon's console is behind; retry",
        );
    }
    let Ok(Ok(_permit)) = tokio::time::timeout(WAIT_FOR_DECODER, st.decoders.acquire()).await
    else {
        st.note(503, "");
        return status(
            tonic::Code::Unavailable,
            "cordon's console is behind; retry",
        );
    };
    next.run(req).await
}

struct Grpc(Arc<Shared>);

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let st = self.0.clone();
        let req = request.into_inner();
        let out = tokio::task::spawn_blocking(move || st.ingest(&req, chrono::Utc::now()))
            .await
            .map_err(|_| {
                tonic::Status::internal("the request could not be mapped; it was not kept")
            })?;
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: (out.rejected > 0 || !out.message.is_empty()).then_some(
                ExportTracePartialSuccess {
                    rejected_spans: out.rejected as i64,
                    error_message: out.message,
                },
            ),
        }))
    }
}
