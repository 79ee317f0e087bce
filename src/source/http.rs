//! The one HTTP client every adapter shares: bounded timeouts, a cap on
//! response size, one-line errors, and backoff with jitter.

use std::time::Duration;

use futures_util::StreamExt;

/// Largest response body accepted (a 50 MB answer is refused, not buffered).
pub const MAX_BODY: usize = 16 << 20;
/// Cap on one page of the event feed.
pub const MAX_EVENTS_BODY: usize = 64 << 20;

/// Why a request failed, said in one line a commander can act on.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpError {
    pub message: String,
    pub status: Option<u16>,
    /// From Retry-After on 429/503.
    pub retry_after: Option<Duration>,
    /// Retrying cannot help (4xx other than 408/429).
    pub permanent: bool,
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl HttpError {
    pub fn other(message: impl Into<String>) -> HttpError {
        HttpError {
            message: message.into(),
            status: None,
            retry_after: None,
            permanent: false,
        }
    }

    /// An action this platform does not offer (501, not retried): the
    /// drill tells it from a failure by the status.
    pub fn not_offered(platform: &str, kind: crate::model::ActionKind) -> HttpError {
        HttpError {
            message: format!("{platform} does not offer {}", kind.as_str()),
            status: Some(501),
            retry_after: None,
            permanent: true,
        }
    }
}

/// Build the shared client: 3 s to connect, 5 s between reads, 10 s in all.
pub fn client() -> reqwest::Client {
    client_with(
        Duration::from_secs(3),
        Duration::from_secs(5),
        Duration::from_secs(10),
    )
}

/// The shared client with explicit `connect`/`read`/`total` bounds.
pub fn client_with(connect: Duration, read: Duration, total: Duration) -> reqwest::Client {
    install_crypto();
    reqwest::Client::builder()
        // Redirects are followed by `send_capped` itself, on our terms.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect)
        .read_timeout(read)
        .timeout(total)
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(concat!("cordon/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

fn install_crypto() {
    // Only the first call installs; later ones are no-ops returning Err.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Describe a transport error in one line.
pub fn describe(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    let mut root = e.to_string();
    while let Some(s) = cause.source() {
        root = s.to_string();
        cause = s;
    }
    let root = crate::sanitize::line(&crate::secret::redact(&root), 160);
    if e.is_timeout() {
        "timed out (no answer within the limit); check the platform's load or the network".into()
    } else if e.is_connect() {
        format!("cannot connect: {root}; is the platform up at this address?")
    } else {
        format!("request failed: {root}")
    }
}

/// Parse Retry-After: seconds or an HTTP date; capped at 5 minutes.
pub fn retry_after(v: &str, now: std::time::SystemTime) -> Option<Duration> {
    let cap = Duration::from_secs(300);
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(cap));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let when: std::time::SystemTime = when.with_timezone(&chrono::Utc).into();
    Some(when.duration_since(now).unwrap_or_default().min(cap))
}

/// Send and read the body with the size cap. Non-2xx becomes an error whose
/// message quotes the platform's `error.message` (sanitized) when present.
pub async fn send(req: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), HttpError> {
    send_capped(req, MAX_BODY).await
}

/// As [`send`], with a different cap on the body (an event page may be
/// larger than other answers: it cannot be split, its cursor is opaque).
pub async fn send_capped(
    req: reqwest::RequestBuilder,
    cap: usize,
) -> Result<(u16, Vec<u8>), HttpError> {
    let resp = follow(req).await?;
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after(v, std::time::SystemTime::now()));
    if let Some(len) = resp.content_length()
        && len as usize > cap
    {
        return Err(too_large(status, cap));
    }
    let mut body = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| HttpError::other(describe(&e)))?;
        if body.len() + chunk.len() > cap {
            return Err(too_large(status, cap));
        }
        body.extend_from_slice(&chunk);
    }
    if (200..300).contains(&status) {
        return Ok((status, body));
    }
    let detail = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            // ACA: {"error":{"message"}}; Temporal and others: {"message"}.
            v.pointer("/error/message")
                .or_else(|| v.get("message"))
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .map(|m| {
            format!(
                ": {}",
                crate::sanitize::line(&crate::secret::redact(&m), 160)
            )
        })
        .unwrap_or_default();
    let what = match status {
        401 => "401 unauthorized (check the source's token)".to_string(),
        403 => "403 forbidden (the token may not do this)".to_string(),
        404 => "404 not found (check the URL's path)".to_string(),
        429 => "429 rate limited".to_string(),
        s => format!("HTTP {s}"),
    };
    Err(HttpError {
        message: format!("{what}{detail}"),
        status: Some(status),
        retry_after: retry,
        // 501: the platform does not do this; asking again will not help.
        permanent: ((400..500).contains(&status) && status != 408 && status != 429)
            || status == 501,
    })
}

/// Redirects followed for one read, at most.
const MAX_REDIRECTS: usize = 5;

/// Send, following a redirect only where it is safe: a read (GET or
/// HEAD) sent on to the same origin (scheme, host and port), whose
/// credential it was given. A redirect elsewhere would hand the source's
/// token (a bearer token, `x-api-key`, a URL password) to a host nobody
/// configured, and an action (POST, DELETE…) is never re-sent anywhere:
/// its body and key are for the address the commander chose. Either is
/// refused with an error saying why.
async fn follow(req: reqwest::RequestBuilder) -> Result<reqwest::Response, HttpError> {
    let (client, req) = req.build_split();
    let mut req = req.map_err(|e| HttpError::other(describe(&e)))?;
    for _ in 0..=MAX_REDIRECTS {
        let next = req.try_clone();
        let resp = client
            .execute(req)
            .await
            .map_err(|e| HttpError::other(describe(&e)))?;
        if !resp.status().is_redirection() || resp.status().as_u16() == 304 {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let from = resp.url().clone();
        let to = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| from.join(l).ok());
        let refuse = |why: String| HttpError {
            message: crate::sanitize::line(&why, 300),
            status: Some(status),
            retry_after: None,
            permanent: true,
        };
        let Some(to) = to else {
            return Err(refuse(format!(
                "HTTP {status} redirect without a usable Location; check the source's URL"
            )));
        };
        let shown = crate::sanitize::line(&strip_url(&to), 120);
        let Some(mut next) = next else {
            return Err(refuse(format!(
                "HTTP {status} redirect to {shown} not followed (the request body cannot be sent twice)"
            )));
        };
        if !matches!(*next.method(), reqwest::Method::GET | reqwest::Method::HEAD) {
            return Err(refuse(format!(
                "HTTP {status} redirect to {shown} not followed: an action ({}) is sent only to the address configured, never re-sent (if the platform moved, point the source at the new address)",
                next.method()
            )));
        }
        if to.origin() != from.origin() {
            return Err(refuse(format!(
                "HTTP {status} redirect to another origin ({shown}) not followed: the source's credential goes only to {}; if the platform moved, point the source at the new address",
                from.origin().ascii_serialization()
            )));
        }
        *next.url_mut() = to;
        req = next;
    }
    Err(HttpError {
        message: format!("more than {MAX_REDIRECTS} redirects; check the source's URL"),
        status: None,
        retry_after: None,
        permanent: true,
    })
}

/// A URL as it may be shown: no userinfo, no query (it may hold a key).
fn strip_url(u: &reqwest::Url) -> String {
    let mut u = u.clone();
    let _ = u.set_password(None);
    let _ = u.set_username("");
    u.set_query(None);
    u.to_string()
}

fn too_large(status: u16, cap: usize) -> HttpError {
    HttpError {
        message: format!(
            "response larger than {} MiB refused; ask the platform for smaller pages",
            cap >> 20
        ),
        status: Some(status),
        retry_after: None,
        permanent: false,
    }
}

/// Percent-encode one URL path segment or query value (RFC 3986
/// unreserved characters pass through).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Parse JSON, with a one-line error. A body refused only for its
/// numbers (`NaN`, `Infinity`, `1e400`) is read with each such value
/// marked as text ([`crate::sanitize::repair_json`]): one bad value costs
/// that value, not the answer.
pub fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, HttpError> {
    let text = text(body);
    json_str(&text).or_else(|e| match crate::sanitize::repair_json(&text) {
        Some(fixed) => json_str(&fixed),
        None => Err(e),
    })
}

/// A body as text. Invalid UTF-8 inside a string should not stall a whole
/// feed: the bad bytes become U+FFFD and the page is still read.
pub fn text(body: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(body)
}

/// Parse JSON text, borrowing from it where the type can (event pages).
pub fn json_str<'a, T: serde::Deserialize<'a>>(text: &'a str) -> Result<T, HttpError> {
    serde_json::from_str(text).map_err(|e| {
        HttpError::other(format!(
            "answer is not the expected JSON ({}); is this the right kind of source?",
            crate::sanitize::line(&e.to_string(), 120)
        ))
    })
}

/// Exponential backoff with equal jitter: half fixed, half random, so
/// sources that failed together do not retry together.
pub fn backoff(failures: u32, rng: &mut fastrand::Rng) -> Duration {
    let base = Duration::from_millis(500);
    let cap = Duration::from_secs(30);
    let exp = base.saturating_mul(1u32 << failures.min(10)).min(cap);
    let half = exp / 2;
    half + Duration::from_millis(rng.u64(0..=half.as_millis() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let mut rng = fastrand::Rng::with_seed(1);
        let d1 = backoff(1, &mut rng);
        assert!(d1 >= Duration::from_millis(500) && d1 <= Duration::from_millis(1000));
        let big: Vec<Duration> = (0..20).map(|_| backoff(30, &mut rng)).collect();
        assert!(
            big.iter()
                .all(|d| *d >= Duration::from_secs(15) && *d <= Duration::from_secs(30))
        );
        assert!(big.windows(2).any(|w| w[0] != w[1]), "jitter varies");
    }

    #[test]
    fn retry_after_forms() {
        let now = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(retry_after("99999", now), Some(Duration::from_secs(300)));
        // 2001-09-09T01:46:40Z is the epoch+1e9; ten seconds later:
        assert_eq!(
            retry_after("Sun, 09 Sep 2001 01:46:50 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(retry_after("soon", now), None);
    }
}
