//! OpenTelemetry: cordon listens as an OTLP receiver and turns the spans
//! agents emit (GenAI semantic conventions, OpenInference) into runs and
//! events, so any instrumented agent can be watched.
//!
//! Spec: `otlp:http://127.0.0.1:4318[?token_env=VAR&grpc=4317&agent_class=ATTR&workflow=ATTR&link=SOURCE:ATTR&quiet=SECS&content=off&max_spans=N]`.
//!
//! It observes only: containment of its runs goes through custom actions,
//! or — where a span names a run of a controllable source (`link=`) — the
//! span's evidence is shown on that source's run, so `x` stops it there.
//!
//! One module per job: `options` (the spec), `decode` (bodies into the
//! `opentelemetry-proto` types), `span` (one span's attributes, cleaned),
//! `map` (spans into runs and events), `receiver` (HTTP and gRPC, caps,
//! back-pressure). This file is the source the poll loop drives: each poll
//! takes what the receiver mapped since the last one.

pub mod decode;
pub mod fixture;
pub mod map;
pub mod options;
pub mod receiver;
mod span;

use std::sync::Arc;

use futures_util::future::BoxFuture;

pub use map::{MapOptions, Mapper, Outcome};
pub use options::{Link, Options};
pub use receiver::{Servers, Shared};

use super::{Actor, Batch, HttpError, Source, SourceSpec};

pub struct Otlp {
    name: String,
    shared: Arc<Shared>,
    servers: Servers,
    first: bool,
}

impl Otlp {
    /// Bind the receiver(s) and start serving. Needs a tokio runtime.
    pub fn start(name: &str, opts: &Options) -> Result<Otlp, String> {
        Otlp::start_capped(name, opts, receiver::PENDING_CAP)
    }

    /// [`Otlp::start`], telling senders to wait while more than
    /// `pending_cap` mapped events wait for the console.
    pub fn start_capped(name: &str, opts: &Options, pending_cap: usize) -> Result<Otlp, String> {
        let token = match (&opts.token_env, &opts.token_file) {
            (None, None) => None,
            (env, file) => Some(
                crate::secret::load(env.as_deref(), file.as_deref())
                    .map_err(|e| format!("source {name}: {e}"))?,
            ),
        };
        let shared = Arc::new(Shared::new(
            Mapper::new(MapOptions::new(name, opts)),
            token,
            pending_cap,
        ));
        let servers = receiver::start(opts.http, opts.grpc, shared.clone())?;
        Ok(Otlp {
            name: name.to_string(),
            shared,
            servers,
            first: true,
        })
    }

    /// Where it listens (the port the OS chose, with port 0).
    pub fn http_addr(&self) -> std::net::SocketAddr {
        self.servers.http
    }

    pub fn grpc_addr(&self) -> Option<std::net::SocketAddr> {
        self.servers.grpc
    }

    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// What was mapped since the last take, with quiet runs marked and
    /// the receiver's refusals noted.
    pub fn take(&mut self, now: crate::model::Time) -> Batch {
        self.shared.notices(now);
        let mut m = self.shared.mapper();
        m.tick(now);
        let (runs, events, linked) = m.drain(now);
        Batch {
            runs,
            events,
            linked,
            // Said once: it offers no containment of its own.
            offered: std::mem::take(&mut self.first).then(Vec::new),
            ..Batch::default()
        }
    }
}

impl Source for Otlp {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll(&mut self) -> BoxFuture<'_, Result<Batch, HttpError>> {
        Box::pin(async move { Ok(self.take(chrono::Utc::now())) })
    }

    fn waker(&self) -> Option<Arc<tokio::sync::Notify>> {
        Some(self.shared.wake.clone())
    }

    fn listens(&self) -> bool {
        true
    }

    fn list_active(&mut self) -> BoxFuture<'_, Result<Vec<crate::model::Run>, HttpError>> {
        Box::pin(async {
            Err(HttpError {
                message: "an otlp source receives spans while the console runs; it has no runs to list on its own".into(),
                status: None,
                retry_after: None,
                permanent: true,
            })
        })
    }
}

/// The acting side: there is nothing to act on.
pub struct OtlpActor {
    name: String,
}

impl OtlpActor {
    fn refuse(&self) -> HttpError {
        HttpError {
            message: format!(
                "{} only observes (OpenTelemetry): stop the run on its platform, link it to a controllable source (link=SOURCE:ATTR), or use a custom action",
                self.name
            ),
            status: None,
            retry_after: None,
            permanent: true,
        }
    }
}

impl Actor for OtlpActor {
    fn act<'a>(&'a self, _: crate::source::Act<'a>) -> crate::source::Acting<'a> {
        Box::pin(async move { Err(self.refuse()) })
    }

    fn check<'a>(&'a self, _: crate::source::Verify<'a>) -> crate::source::Checking<'a> {
        Box::pin(async move { Err(self.refuse()) })
    }
}

/// The refusing actor alone.
pub fn actor(name: &str) -> Arc<dyn Actor> {
    Arc::new(OtlpActor {
        name: name.to_string(),
    })
}

/// Build the receiving source and its (refusing) actor.
#[allow(clippy::type_complexity)]
pub fn build_pair(spec: &SourceSpec) -> Result<(Box<dyn Source>, Arc<dyn Actor>), String> {
    let opts = Options::parse(&spec.url).map_err(|e| format!("source {}: {e}", spec.name))?;
    Ok((Box::new(Otlp::start(&spec.name, &opts)?), actor(&spec.name)))
}

/// Every `link=SOURCE:…` must name another configured source that is not
/// itself an otlp receiver.
pub fn check_links(specs: &[SourceSpec]) -> Result<(), String> {
    for s in specs.iter().filter(|s| s.kind == "otlp") {
        let o = Options::parse(&s.url).map_err(|e| format!("source {}: {e}", s.name))?;
        for l in &o.links {
            match specs.iter().find(|x| x.name == l.source) {
                None => {
                    return Err(format!(
                        "source {}: link={}:{} names no configured source; add --source {}=KIND:URL",
                        s.name, l.source, l.attr, l.source
                    ));
                }
                Some(x) if x.kind == "otlp" => {
                    return Err(format!(
                        "source {}: link={} names another otlp source; link to the platform that runs the agent (langgraph, temporal, aca)",
                        s.name, l.source
                    ));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_must_name_a_configured_platform() {
        let spec = |s: &str| s.parse::<SourceSpec>().unwrap();
        let otel = spec("otel=otlp:http://127.0.0.1:4318?link=tm:temporalWorkflowID");
        let e = check_links(std::slice::from_ref(&otel)).unwrap_err();
        assert!(e.contains("names no configured source"), "{e}");
        let tm = spec("tm=temporal:http://127.0.0.1:7243");
        assert!(check_links(&[otel.clone(), tm]).is_ok());
        let other = spec("tm=otlp:http://127.0.0.1:4319");
        let e = check_links(&[otel, other]).unwrap_err();
        assert!(e.contains("another otlp source"), "{e}");
    }
}
