//! Secrets (platform tokens, admin keys): read from an env var or a 0600
//! file, never from the command line, and redacted from every message that
//! could reach the screen, the journal, an export or a log — even when a
//! platform echoes one back in an error body.

use std::sync::RwLock;

static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// A secret value; `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl Secret {
    /// Wrap and remember it, so it is redacted wherever it turns up.
    pub fn new(s: String) -> Secret {
        if s.len() >= 4
            && let Ok(mut k) = KNOWN.write()
            && !k.contains(&s)
        {
            k.push(s.clone());
        }
        Secret(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Replace every known secret in `text`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    if let Ok(k) = KNOWN.read() {
        for s in k.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "[redacted]");
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
