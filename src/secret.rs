//! Secrets (platform tokens, admin keys): read from an env var or a 0600
//! file, never from the command line, and redacted from every message that
//! could reach the screen, the journal, an export or a log — even when a
//! platform echoes one back, in part, spaced out or with its case changed.
//! Redaction runs inside [`crate::sanitize`], so every text that enters
//! from a platform passes through it before the journal.

use std::borrow::Cow;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use secrecy::{ExposeSecret, SecretString};

/// Every secret loaded so far, kept to redact echoes of it, with the
/// pieces of it that are matched.
static KNOWN: RwLock<Vec<SecretString>> = RwLock::new(Vec::new());
static MATCHER: RwLock<Option<std::sync::Arc<Matcher>>> = RwLock::new(None);
/// Set once any secret is known: the common case (none) costs one load.
static ANY: AtomicBool = AtomicBool::new(false);

/// Consecutive chars of a secret that count as the secret: an echo of a
/// prefix, a suffix or any middle part this long is redacted.
pub const PIECE: usize = 10;

/// A secret value held in `secrecy`'s `SecretString`: zeroed when dropped,
/// `Debug` shows `[REDACTED]`, and reading it takes an explicit `expose`.
#[derive(Clone, Debug)]
pub struct Secret(SecretString);

impl Secret {
    /// Wrap and remember it, so it is redacted wherever it turns up.
    pub fn new(s: String) -> Secret {
        let secret = SecretString::from(s);
        remember_encoded(secret.expose_secret());
        Secret(secret)
    }

    /// The value, for the one place it is needed (an auth header).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// Remember a secret met elsewhere (a password in a URL) so it is
/// redacted wherever it turns up.
pub fn remember(s: &str) {
    if normalize(s).len() < 4 {
        return;
    }
    let Ok(mut k) = KNOWN.write() else { return };
    if k.iter().any(|x| x.expose_secret() == s) {
        return;
    }
    k.push(SecretString::from(s.to_string()));
    let m = Matcher::new(k.iter().map(|x| normalize(x.expose_secret())));
    if let Ok(mut slot) = MATCHER.write() {
        *slot = Some(std::sync::Arc::new(m));
    }
    ANY.store(true, Ordering::Release);
}

/// Remember a secret and the forms a platform may echo it in: base64
/// (how HTTP basic auth carries it) and hex.
pub fn remember_encoded(s: &str) {
    use base64::Engine;
    remember(s);
    remember(&base64::engine::general_purpose::STANDARD.encode(s));
    remember(&hex::encode(s));
}

/// A URL's credentials: the password, and `user:password` as the basic
/// auth header carries it (base64), which a platform may echo back.
pub fn remember_userinfo(user: &str, password: &str) {
    use base64::Engine;
    remember_encoded(password);
    remember(&base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")));
}

/// Is any secret known at all?
pub fn any() -> bool {
    ANY.load(Ordering::Acquire)
}

/// Letters and digits only, lower-cased: how a secret and the text it may
/// hide in are compared, so `s e c r e t`, `s-e-c-r-e-t` and a copy with
/// its case changed all match.
fn normalize(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase())
        .collect()
}

/// Every window of [`PIECE`] normalized chars of every secret (and whole
/// secrets shorter than that).
struct Matcher {
    pieces: std::collections::HashSet<[u8; PIECE]>,
    short: Vec<Vec<u8>>,
}

impl Matcher {
    fn new(secrets: impl Iterator<Item = Vec<u8>>) -> Matcher {
        let mut m = Matcher {
            pieces: Default::default(),
            short: Vec::new(),
        };
        for s in secrets {
            if s.len() < PIECE {
                m.short.push(s);
            } else {
                for w in s.windows(PIECE) {
                    if let Ok(p) = <[u8; PIECE]>::try_from(w) {
                        m.pieces.insert(p);
                    }
                }
            }
        }
        m
    }

    /// Byte ranges of `text` that hold a piece of a secret. Letters and
    /// digits are compared; anything else between them is skipped (a
    /// spaced-out copy), except a quote or a line break, which ends a
    /// match (so a JSON document stays JSON once redacted).
    fn find(&self, text: &str) -> Vec<(usize, usize)> {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        // One run of comparable chars at a time: (byte offset, char).
        let mut run: Vec<(usize, u8)> = Vec::new();
        let flush = |run: &mut Vec<(usize, u8)>, spans: &mut Vec<(usize, usize)>| {
            let norm: Vec<u8> = run.iter().map(|x| x.1).collect();
            let mut hit = |from: usize, len: usize| {
                spans.push((run[from].0, run[from + len - 1].0 + 1));
            };
            if norm.len() >= PIECE {
                for (i, w) in norm.windows(PIECE).enumerate() {
                    if <[u8; PIECE]>::try_from(w).is_ok_and(|p| self.pieces.contains(&p)) {
                        hit(i, PIECE);
                    }
                }
            }
            for s in &self.short {
                if norm.len() >= s.len() {
                    for (i, w) in norm.windows(s.len()).enumerate() {
                        if w == s.as_slice() {
                            hit(i, s.len());
                        }
                    }
                }
            }
            run.clear();
        };
        for (i, b) in text.bytes().enumerate() {
            if b.is_ascii_alphanumeric() {
                run.push((i, b.to_ascii_lowercase()));
            } else if matches!(b, b'"' | b'\n') {
                flush(&mut run, &mut spans);
            }
        }
        flush(&mut run, &mut spans);
        spans.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
        for (a, b) in spans {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged
    }
}

fn matcher() -> Option<std::sync::Arc<Matcher>> {
    if !any() {
        return None;
    }
    MATCHER.read().ok()?.clone()
}

/// Does `text` hold a known secret, or a piece of one?
pub fn contains(text: &str) -> bool {
    matcher().is_some_and(|m| !m.find(text).is_empty())
}

/// Replace every known secret in `text`, and every piece of one at least
/// [`PIECE`] letters and digits long, spaced out or not.
pub fn redact(text: &str) -> String {
    redact_cow(text).into_owned()
}

/// [`redact`], borrowing when there is nothing to redact.
pub fn redact_cow(text: &str) -> Cow<'_, str> {
    let Some(m) = matcher() else {
        return Cow::Borrowed(text);
    };
    let spans = m.find(text);
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (a, b) in spans {
        out.push_str(&text[at..a]);
        out.push_str("[redacted]");
        at = b;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// From an env var or a file readable only by its owner (as ssh insists).
pub fn load(env: Option<&str>, file: Option<&str>) -> Result<Secret, String> {
    if let Some(var) = env {
        return std::env::var(var)
            .map(|s| Secret::new(s.trim().to_string()))
            .map_err(|_| format!("environment variable {var} is not set"));
    }
    if let Some(path) = file {
        use std::os::unix::fs::PermissionsExt;
        let meta =
            std::fs::metadata(path).map_err(|e| format!("cannot read key file {path}: {e}"))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(format!(
                "key file {path} is readable by group or others; chmod 600 it"
            ));
        }
        return std::fs::read_to_string(path)
            .map(|s| Secret::new(s.trim().to_string()))
            .map_err(|e| format!("cannot read key file {path}: {e}"));
    }
    Err("no key given".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whole, in part, spaced out, case changed: redacted; other text and
    /// short common words are left alone.
    #[test]
    fn echoes_of_a_secret_are_redacted() {
        let tok = "sk-live-4f9A7c2E51d04b86Zq";
        let _ = Secret::new(tok.into());
        for echo in [
            tok.to_string(),
            tok[..18].to_string(),
            tok[6..20].to_string(),
            tok.chars().map(|c| format!("{c} ")).collect::<String>(),
            tok.to_uppercase(),
            tok.replace('-', "\u{200b}"),
        ] {
            let text = format!("assignment: use {echo} now");
            let out = redact(&text);
            assert!(out.contains("[redacted]"), "{text:?} -> {out:?}");
            let n = normalize(&out);
            for w in normalize(tok).windows(PIECE) {
                assert!(!n.windows(PIECE).any(|x| x == w), "{out:?}");
            }
            assert!(
                out.starts_with("assignment: use ") && out.ends_with(" now"),
                "{out:?}"
            );
        }
        assert_eq!(redact("sk-live and 4f9A"), "sk-live and 4f9A");
        // Encoded as a platform may echo it: base64, hex.
        use base64::Engine;
        for echo in [
            base64::engine::general_purpose::STANDARD.encode(tok),
            hex::encode(tok),
        ] {
            assert!(
                redact(&format!("got {echo}")).contains("[redacted]"),
                "{echo}"
            );
        }
        // A JSON document stays JSON: a match never spans a quote.
        let doc = format!(r#"{{"a":"{}","b":"{}"}}"#, &tok[..9], &tok[9..]);
        assert!(serde_json::from_str::<serde_json::Value>(&redact(&doc)).is_ok());
    }

    /// A URL's password comes back as the basic auth header a platform
    /// echoes: `Basic base64(user:password)`.
    #[test]
    fn a_basic_auth_echo_of_a_url_password_is_redacted() {
        use base64::Engine;
        remember_userinfo("opsuser", "Zq7vKp2mWx9rLt4n");
        let header = base64::engine::general_purpose::STANDARD.encode("opsuser:Zq7vKp2mWx9rLt4n");
        let out = redact(&format!("upstream rejected header: Basic {header}"));
        assert!(out.contains("[redacted]"), "{out}");
        assert!(!out.contains(&header[..12]), "{out}");
    }
}
