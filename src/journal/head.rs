//! Pinning the journal's head outside the journal. The hash chain alone
//! catches an edited, removed or reordered line, but not a tail cut and
//! the whole chain re-hashed: it verifies on its own. A head hash written
//! down elsewhere (pasted in the incident channel at each export and on
//! quit) and checked with `cordon verify DIR --head HASH` does catch it;
//! signed with the operator's SSH key (`ssh-keygen -Y sign`, namespace
//! `cordon`), it also says who vouched for it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The SSH signature namespace: a signature made for cordon heads is not
/// valid for anything else, and the reverse.
pub const NAMESPACE: &str = "cordon";
/// The signed statement and its signature, in the incident directory.
pub const STATEMENT: &str = "head.txt";
pub const SIGNATURE: &str = "head.txt.sig";

/// The last line of the journal: how many records, and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub records: u64,
    pub hash: String,
}

impl Head {
    /// What is printed at exports and on quit, ready to paste.
    pub fn pin_line(&self, dir: &Path) -> String {
        format!(
            "journal head {} ({} records); pin it: cordon verify {} --head {}",
            self.hash,
            self.records,
            dir.display(),
            self.hash
        )
    }

    /// The text that is signed: plain lines, so a reader can check it by eye.
    pub fn statement(&self, incident: &str) -> String {
        format!(
            "cordon journal head\nincident: {incident}\nrecords: {}\nhead: {}\n",
            self.records, self.hash
        )
    }
}

/// The head hash a statement vouches for.
pub fn head_of_statement(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.strip_prefix("head: "))
        .map(str::trim)
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// How many records a statement vouches for.
fn records_of_statement(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("records: "))
        .and_then(|n| n.trim().parse().ok())
}

/// A hash as typed: 64 hex digits (any case, surrounding space ignored).
pub fn parse_hash(s: &str) -> Result<String, String> {
    let h = s.trim().to_ascii_lowercase();
    if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(h)
    } else {
        Err(format!(
            "'{}' is not a head hash (64 hex digits, as printed at exports and on quit)",
            crate::sanitize::line(s, 80)
        ))
    }
}

/// Run ssh-keygen with no terminal (its own session, stdin closed): a key
/// that needs a passphrase fails at once instead of prompting over the
/// console.
fn ssh_keygen(args: &[&std::ffi::OsStr], input: Option<&[u8]>) -> Result<String, String> {
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid is async-signal-safe; it only detaches the child from
    // the controlling terminal so ssh-keygen cannot open /dev/tty.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run ssh-keygen: {e}"))?;
    if let (Some(data), Some(mut stdin)) = (input, child.stdin.take()) {
        let _ = stdin.write_all(data);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("ssh-keygen: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let why = stderr
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("failed");
        Err(crate::sanitize::line(why, 200))
    }
}

/// Sign the head with the operator's SSH key (a private key file, or its
/// `.pub` with the key in ssh-agent): writes `head.txt` and `head.txt.sig`
/// into `dir` and returns the signature's path.
pub fn sign(key: &Path, dir: &Path, incident: &str, head: &Head) -> Result<PathBuf, String> {
    // One signer at a time, and never an older head over a newer one (an
    // export still running when the console quits finishes after the
    // final head was signed).
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|p| p.into_inner());
    if let Ok(text) = std::fs::read_to_string(dir.join(STATEMENT))
        && let Some(signed) = records_of_statement(&text)
        && signed > head.records
    {
        return Err(format!(
            "a later head ({signed} records) is already signed in {}",
            dir.join(SIGNATURE).display()
        ));
    }
    // A fresh name each time: ssh-keygen asks before overwriting a .sig.
    let tmp = dir.join(format!(
        ".head-{}-{}.txt",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let sig_tmp = PathBuf::from(format!("{}.sig", tmp.display()));
    let cleanup = || {
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_file(&sig_tmp);
    };
    let result = (|| {
        write_private(&tmp, head.statement(incident).as_bytes())?;
        ssh_keygen(
            &[
                "-Y".as_ref(),
                "sign".as_ref(),
                "-f".as_ref(),
                key.as_os_str(),
                "-n".as_ref(),
                NAMESPACE.as_ref(),
                tmp.as_os_str(),
            ],
            None,
        )
        .map_err(|e| {
            format!(
                "signing the head with {} failed: {e} (a key with a passphrase signs through ssh-agent: ssh-add it and pass its .pub)",
                key.display()
            )
        })?;
        std::fs::rename(&tmp, dir.join(STATEMENT)).map_err(|e| e.to_string())?;
        let sig = dir.join(SIGNATURE);
        std::fs::rename(&sig_tmp, &sig).map_err(|e| e.to_string())?;
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&sig, std::fs::Permissions::from_mode(0o600));
        Ok(sig)
    })();
    cleanup();
    result
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Check a signed statement against an allowed-signers file (the format
/// of `ssh-keygen -Y verify`): returns who signed it and the head it
/// vouches for.
pub fn verify_signature(
    statement: &Path,
    signature: &Path,
    allowed_signers: &Path,
) -> Result<(String, String), String> {
    let text = std::fs::read(statement)
        .map_err(|e| format!("cannot read the signed head {}: {e}", statement.display()))?;
    let principals = ssh_keygen(
        &[
            "-Y".as_ref(),
            "find-principals".as_ref(),
            "-s".as_ref(),
            signature.as_os_str(),
            "-f".as_ref(),
            allowed_signers.as_os_str(),
        ],
        None,
    )
    .map_err(|e| {
        format!(
            "the signature {} is from no key in {}: {e}",
            signature.display(),
            allowed_signers.display()
        )
    })?;
    let mut last = String::from("no principal");
    for who in principals.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match ssh_keygen(
            &[
                "-Y".as_ref(),
                "verify".as_ref(),
                "-f".as_ref(),
                allowed_signers.as_os_str(),
                "-I".as_ref(),
                who.as_ref(),
                "-n".as_ref(),
                NAMESPACE.as_ref(),
                "-s".as_ref(),
                signature.as_os_str(),
            ],
            Some(&text),
        ) {
            Ok(_) => {
                let text = String::from_utf8_lossy(&text);
                let head = head_of_statement(&text)
                    .ok_or_else(|| format!("{} names no head hash", statement.display()))?;
                return Ok((crate::sanitize::line(who, 200), head.to_string()));
            }
            Err(e) => last = e,
        }
    }
    Err(format!(
        "the signature does not match {} ({last}): the statement was changed or signed by someone else",
        statement.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_names_its_head() {
        let h = Head {
            records: 12,
            hash: "ab".repeat(32),
        };
        let s = h.statement("INC-1");
        assert_eq!(head_of_statement(&s), Some(h.hash.as_str()));
        assert_eq!(records_of_statement(&s), Some(12));
        assert_eq!(
            parse_hash(&format!(" {} ", h.hash.to_uppercase())),
            Ok(h.hash)
        );
        assert!(parse_hash("abc").is_err());
    }
}
