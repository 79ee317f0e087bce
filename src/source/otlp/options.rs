//! `otlp:http://HOST:PORT[?…]`: where cordon listens and how it reads
//! spans, parsed with a message that says what to do.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// A span attribute that names a run of another (controllable) source:
/// `link=SOURCE:ATTR`, e.g. `link=tm:temporalWorkflowID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub source: String,
    pub attr: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// OTLP/HTTP (`POST /v1/traces`).
    pub http: SocketAddr,
    /// OTLP/gRPC, when asked for (`grpc=HOST:PORT` or `grpc=PORT`).
    pub grpc: Option<SocketAddr>,
    /// The bearer token senders must present, read from this variable.
    pub token_env: Option<String>,
    /// Or from this file (0600).
    pub token_file: Option<String>,
    /// Attributes naming the agent class, first found wins (span, then
    /// resource). Default `service.name`.
    pub agent_class: Vec<String>,
    /// Attributes naming the workflow. Default `gen_ai.workflow.name`.
    pub workflow: Vec<String>,
    pub links: Vec<Link>,
    /// A run with no span for this long shows as `quiet`.
    pub quiet: Duration,
    /// Keep model output text (`content=off` drops it).
    pub content: bool,
    /// Most spans taken from one request; the rest are rejected (partial
    /// success) and marked in the timeline.
    pub max_spans: usize,
}

pub const DEFAULT_QUIET: Duration = Duration::from_secs(120);
pub const DEFAULT_MAX_SPANS: usize = 50_000;

impl Options {
    /// Parse the URL part of a spec. Syntax only: the token is read when
    /// the source starts.
    pub fn parse(url: &str) -> Result<Options, String> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let parsed = reqwest::Url::parse(base).map_err(|e| format!("URL '{base}' {e}"))?;
        if parsed.scheme() != "http" {
            return Err(
                "an otlp source listens in plain http:// (put TLS in front of it, e.g. an OpenTelemetry Collector)"
                    .into(),
            );
        }
        if !matches!(parsed.path(), "" | "/" | "/v1/traces") {
            return Err(format!(
                "an otlp source listens at HOST:PORT and serves /v1/traces; drop the path '{}'",
                parsed.path()
            ));
        }
        let host = parsed.host_str().unwrap_or("");
        let ip = listen_ip(host)?;
        let http = SocketAddr::new(ip, parsed.port().unwrap_or(4318));
        let mut o = Options {
            http,
            grpc: None,
            token_env: None,
            token_file: None,
            agent_class: Vec::new(),
            workflow: Vec::new(),
            links: Vec::new(),
            quiet: DEFAULT_QUIET,
            content: true,
            max_spans: DEFAULT_MAX_SPANS,
        };
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("option '{kv}' needs a value (KEY=VALUE)"))?;
            match k {
                "token_env" => o.token_env = Some(v.to_string()),
                "token_file" => o.token_file = Some(v.to_string()),
                "grpc" => o.grpc = Some(grpc_addr(v, ip)?),
                "agent_class" => o.agent_class.push(attr(k, v)?),
                "workflow" => o.workflow.push(attr(k, v)?),
                "link" => {
                    let (source, a) = v.split_once(':').ok_or_else(|| {
                        format!("link={v}: expected link=SOURCE:ATTRIBUTE, e.g. link=tm:temporalWorkflowID")
                    })?;
                    if source.is_empty() {
                        return Err(format!("link={v}: name the source before ':'"));
                    }
                    o.links.push(Link {
                        source: source.to_string(),
                        attr: attr(k, a)?,
                    });
                }
                "quiet" => {
                    let secs: f64 = v
                        .parse()
                        .ok()
                        .filter(|s: &f64| (1.0..=86_400.0).contains(s))
                        .ok_or_else(|| format!("quiet={v}: seconds between 1 and 86400"))?;
                    o.quiet = Duration::from_secs_f64(secs);
                }
                "content" => {
                    o.content = match v {
                        "on" | "true" | "1" => true,
                        "off" | "false" | "0" => false,
                        _ => return Err(format!("content={v}: on or off")),
                    }
                }
                "max_spans" => {
                    o.max_spans = v
                        .parse()
                        .ok()
                        .filter(|n| (1..=1_000_000).contains(n))
                        .ok_or_else(|| format!("max_spans={v}: a number from 1 to 1000000"))?;
                }
                _ => {
                    return Err(format!(
                        "unknown option '{k}' (known: token_env, token_file, grpc, agent_class, workflow, link, quiet, content, max_spans)"
                    ));
                }
            }
        }
        if o.agent_class.is_empty() {
            o.agent_class.push("service.name".into());
        }
        if o.workflow.is_empty() {
            o.workflow.push("gen_ai.workflow.name".into());
        }
        let open = |a: &SocketAddr| !a.ip().is_loopback();
        if (open(&o.http) || o.grpc.as_ref().is_some_and(open))
            && o.token_env.is_none()
            && o.token_file.is_none()
        {
            return Err(format!(
                "listening on {} (not loopback) needs a token: add ?token_env=VAR, so only senders holding it can write evidence into the incident",
                if open(&o.http) {
                    o.http
                } else {
                    o.grpc.unwrap_or(o.http)
                }
            ));
        }
        if o.grpc == Some(o.http) && o.http.port() != 0 {
            return Err("grpc= must be another port than the HTTP one".into());
        }
        Ok(o)
    }
}

fn listen_ip(host: &str) -> Result<IpAddr, String> {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h == "localhost" {
        return Ok(IpAddr::from([127, 0, 0, 1]));
    }
    h.parse()
        .map_err(|_| format!("listen on an IP address (e.g. 127.0.0.1 or 0.0.0.0), not '{host}'"))
}

fn grpc_addr(v: &str, http_ip: IpAddr) -> Result<SocketAddr, String> {
    if let Ok(port) = v.parse::<u16>() {
        return Ok(SocketAddr::new(http_ip, port));
    }
    v.parse()
        .map_err(|_| format!("grpc={v}: a port (4317) or HOST:PORT (127.0.0.1:4317)"))
}

fn attr(k: &str, v: &str) -> Result<String, String> {
    if v.is_empty() || v.len() > 128 || !v.chars().all(|c| c.is_ascii_graphic()) {
        return Err(format!(
            "{k}={v}: an attribute name (printable, no spaces, at most 128 chars)"
        ));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_options() {
        let o = Options::parse("http://127.0.0.1:4318").unwrap();
        assert_eq!(o.http, "127.0.0.1:4318".parse().unwrap());
        assert_eq!(o.agent_class, ["service.name"]);
        assert_eq!(o.quiet, DEFAULT_QUIET);
        assert!(o.content && o.grpc.is_none());
        let o = Options::parse(
            "http://localhost:9?grpc=4317&agent_class=app&workflow=wf&link=tm:temporalWorkflowID&quiet=30&content=off",
        )
        .unwrap();
        assert_eq!(o.grpc, Some("127.0.0.1:4317".parse().unwrap()));
        assert_eq!(
            (o.agent_class[0].as_str(), o.workflow[0].as_str()),
            ("app", "wf")
        );
        assert_eq!(
            o.links,
            [Link {
                source: "tm".into(),
                attr: "temporalWorkflowID".into()
            }]
        );
        assert_eq!(o.quiet, Duration::from_secs(30));
        assert!(!o.content);
    }

    #[test]
    fn refusals_say_what_to_do() {
        for (url, says) in [
            ("https://127.0.0.1:4318", "plain http"),
            ("http://0.0.0.0:4318", "needs a token"),
            ("http://127.0.0.1:4318?grpc=0.0.0.0:4317", "needs a token"),
            ("http://example.com:4318", "IP address"),
            ("http://127.0.0.1:4318/v1/logs", "drop the path"),
            ("http://127.0.0.1:4318?link=tm", "SOURCE:ATTRIBUTE"),
            ("http://127.0.0.1:4318?quiet=0", "seconds"),
            ("http://127.0.0.1:4318?color=red", "unknown option"),
            ("http://127.0.0.1:4318?workflow=a b", "attribute name"),
        ] {
            let e = Options::parse(url).unwrap_err();
            assert!(e.contains(says), "{url}: {e}");
        }
        assert!(Options::parse("http://0.0.0.0:4318?token_env=T").is_ok());
    }
}
