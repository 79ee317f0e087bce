//! Secrets (platform tokens, admin keys): read from an env var or a 0600
//! file, never from the command line, and redacted from every message that
//! could reach the screen, the journal, an export or a log — even when a
//! platform echoes one back in an error body.

use std::sync::RwLock;

use secrecy::{ExposeSecret, SecretString};

/// Every secret loaded so far, kept to redact echoes of it.
static KNOWN: RwLock<Vec<SecretString>> = RwLock::new(Vec::new());

/// A secret value held in `secrecy`'s `SecretString`: zeroed when dropped,
/// `Debug` shows `[REDACTED]`, and reading it takes an explicit `expose`.
#[derive(Clone, Debug)]
pub struct Secret(SecretString);

impl Secret {
    /// Wrap and remember it, so it is redacted wherever it turns up.
    pub fn new(s: String) -> Secret {
        let secret = SecretString::from(s);
        if secret.expose_secret().len() >= 4
            && let Ok(mut k) = KNOWN.write()
            && !k
                .iter()
                .any(|x| x.expose_secret() == secret.expose_secret())
        {
            k.push(secret.clone());
        }
        Secret(secret)
    }

    /// The value, for the one place it is needed (an auth header).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// Replace every known secret in `text`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    if let Ok(k) = KNOWN.read() {
        for s in k.iter() {
            let s = s.expose_secret();
            if out.contains(s) {
                out = out.replace(s, "[redacted]");
            }
        }
    }
    out
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
