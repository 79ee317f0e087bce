//! Checks for text meant for affected users: no internal identifier
//! (ids, paths, tool and agent names, targets) and no reassurance the
//! evidence does not support. Applied to everything in the user update
//! that is not cordon's own fixed wording: the title, the commander's
//! comms notes, a message subject from a platform.

use std::collections::BTreeSet;

use crate::app::App;

/// Every name the incident's platforms used: run, agent, class, workflow,
/// tool, credential and target names, requesters, and the ids of
/// `events`. Lowercased. A plain word ("research", "finance") is no
/// identifier and is left out.
pub fn known_names<'a>(
    app: &App,
    events: impl Iterator<Item = &'a crate::model::Event>,
) -> BTreeSet<String> {
    let mut k = BTreeSet::new();
    let mut add = |s: &str| {
        let s = s.trim().to_lowercase();
        let coined = |x: &str| x.len() >= 3 && x.chars().any(|c| !c.is_alphabetic());
        // A target also hides its name after the scheme.
        if let Some((_, rest)) = s.split_once(':')
            && coined(rest)
        {
            k.insert(rest.to_string());
        }
        if coined(&s) {
            k.insert(s);
        }
    };
    for r in &app.store.runs {
        if r.source == crate::model::CORDON_SOURCE {
            continue;
        }
        for s in [
            &r.id,
            &r.agent,
            &r.agent_class,
            &r.workflow,
            &r.requested_by,
        ] {
            add(s);
        }
        for t in r.tools.iter().chain(&r.credentials) {
            add(t);
        }
    }
    for s in app.store.events.iter() {
        for x in [&s.event.tool, &s.event.target].into_iter().flatten() {
            add(x);
        }
    }
    for e in events {
        add(&e.id);
    }
    k
}

/// Words a reader outside the company should never see in an update: the
/// incident's own names, and anything shaped like an id, a path, a dotted
/// tool name or a `scheme:target`.
pub fn internal_words(text: &str, known: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    let low = text.to_lowercase();
    for name in known {
        // Whole words only: "refund" must not match a tool "refund.api".
        let edge = |c: Option<char>| !c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let whole = low.match_indices(name.as_str()).any(|(i, _)| {
            edge(low[..i].chars().next_back()) && edge(low[i + name.len()..].chars().next())
        });
        if whole {
            out.push(name.clone());
        }
    }
    for w in text.split_whitespace() {
        let w = w.trim_matches(|c: char| "()[]{}\"'“”‘’,;!?".contains(c));
        let w = w.trim_end_matches(['.', ':']);
        if w.is_empty() || w.contains('@') || w.starts_with("http://") || w.starts_with("https://")
        {
            continue;
        }
        if shaped_like_an_id(w) && !out.iter().any(|o| o.eq_ignore_ascii_case(w)) {
            out.push(w.to_string());
        }
    }
    out
}

/// A word shaped like an id, a path, a dotted tool name or a target.
pub fn shaped_like_an_id(w: &str) -> bool {
    let c: Vec<char> = w.chars().collect();
    let alnum = |i: usize| c.get(i).is_some_and(|x| x.is_alphanumeric());
    for (i, &ch) in c.iter().enumerate() {
        match ch {
            // run_9744, auto_send
            '_' if i > 0 && alnum(i - 1) && alnum(i + 1) => return true,
            // segment:all-customers (not 10:50)
            ':' if i > 0 && c[..i].iter().all(|x| x.is_ascii_alphabetic()) && alnum(i + 1) => {
                return true;
            }
            // config/prod.toml, .github/workflows (not and/or)
            '/' if w.contains('.') || w.matches('/').count() > 1 => return true,
            // email.send, README.md (not e.g., 41.5, "end.")
            '.' if i >= 2 && c.len() - i > 2 => {
                let left: Vec<&char> = c[..i]
                    .iter()
                    .rev()
                    .take_while(|x| x.is_alphanumeric())
                    .collect();
                let right: Vec<&char> = c[i + 1..]
                    .iter()
                    .take_while(|x| x.is_alphanumeric())
                    .collect();
                let numeric = left.iter().chain(&right).all(|x| x.is_ascii_digit());
                if left.len() >= 2 && right.len() >= 2 && !numeric {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Phrases that tell users all is well.
const REASSURANCES: [&str; 22] = [
    "nothing changed",
    "nothing has changed",
    "nothing was changed",
    "no change",
    "not changed",
    "has not changed",
    "hasn't changed",
    "unchanged",
    "not affected",
    "unaffected",
    "no impact",
    "nothing to worry",
    "no action is needed",
    "no action needed",
    "no need to worry",
    "is safe",
    "are safe",
    "is secure",
    "was not exposed",
    "were not exposed",
    "no data was",
    "fully resolved",
];

/// Promises no one can keep (the seed: "this can never happen again" is
/// rarely credible).
const OVERPROMISES: [&str; 3] = ["never happen again", "will never", "cannot happen again"];

pub fn reassures(clause: &str) -> bool {
    let l = clause.to_lowercase();
    REASSURANCES.iter().any(|p| l.contains(p))
}

pub fn overpromises(clause: &str) -> bool {
    let l = clause.to_lowercase();
    OVERPROMISES.iter().any(|p| l.contains(p))
}

/// What a sentence says was done: checked against the evidence before it
/// reaches users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The process was stopped (paused, halted, turned off).
    Stopped,
    /// Changes were undone.
    Reverted,
    /// Sending out was blocked.
    Blocked,
    /// It is contained, under control.
    Contained,
    /// It is over: resolved, fixed.
    Resolved,
    /// Everyone affected was told.
    Notified,
}

const CLAIMS: [(Claim, &[&str]); 6] = [
    (
        Claim::Stopped,
        &[
            "stopped",
            "halted",
            "shut down",
            "shut off",
            "turned off",
            "switched off",
            "disabled",
            "paused",
            "no longer running",
        ],
    ),
    (
        Claim::Reverted,
        &[
            "reverted",
            "rolled back",
            "undone",
            "undid",
            "reversed",
            "restored",
        ],
    ),
    (Claim::Blocked, &["blocked"]),
    (
        Claim::Contained,
        &["contained", "under control", "mitigated"],
    ),
    (
        Claim::Resolved,
        &["resolved", "fixed", "is over", "back to normal"],
    ),
    (
        Claim::Notified,
        &[
            "notified everyone",
            "notified all",
            "contacted everyone",
            "contacted all",
            "informed everyone",
            "informed all",
        ],
    ),
];

/// Words that make a sentence not a claim that something was done: a
/// negation, a plan, a condition ("we have not stopped it", "we will
/// block", "until it is fixed").
const NOT_DONE: [&str; 14] = [
    " not ",
    "n't ",
    " never ",
    " will ",
    "'ll ",
    " working to ",
    " trying to ",
    " going to ",
    " plan to ",
    " yet to ",
    " until ",
    " if ",
    " whether ",
    " once ",
];

/// What a clause claims was done (none when it is negated, planned or a
/// condition).
pub fn claims(clause: &str) -> Vec<Claim> {
    let l = format!(
        " {} ",
        clause
            .to_lowercase()
            .replace(['.', ',', ';', '!', '?'], " ")
    );
    if NOT_DONE.iter().any(|w| l.contains(w)) {
        return vec![];
    }
    CLAIMS
        .iter()
        .filter(|(_, words)| words.iter().any(|w| l.contains(&format!(" {w} "))))
        .map(|(c, _)| *c)
        .collect()
}

/// Prefixes of access keys and tokens (Stripe, OpenAI, GitHub, Slack,
/// AWS, Google, GitLab, a JWT).
const KEY_PREFIXES: [&str; 16] = [
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "sk-",
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "github_pat_",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "akia",
    "asia",
    "aiza",
    "glpat-",
];
/// Names whose value is a secret (`password=…`, `api_key: …`).
const SECRET_NAMES: [&str; 9] = [
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "bearer",
];

/// Does this word look like a secret: a known key prefix, a JWT, or a
/// long mix of upper and lower case letters and digits?
fn secret_word(w: &str) -> bool {
    let low = w.to_ascii_lowercase();
    let body = |p: &str| w.len() >= p.len() + 8;
    if KEY_PREFIXES.iter().any(|p| low.starts_with(p) && body(p)) {
        return true;
    }
    if low.starts_with("eyj") && w.matches('.').count() == 2 && w.len() > 30 {
        return true;
    }
    w.len() >= 24
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-+/=".contains(c))
        && w.chars().any(|c| c.is_ascii_uppercase())
        && w.chars().any(|c| c.is_ascii_lowercase())
        && w.chars().any(|c| c.is_ascii_digit())
}

/// Byte ranges of `text` that look like secrets: words shaped like keys
/// or tokens, and the value after a secret's name (`password=hunter22`,
/// `token: abc…`, `Bearer abc…`).
pub fn secret_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let is_sep = |c: char| c.is_whitespace() || "\"'`()[]{}<>,;".contains(c);
    let mut words: Vec<(usize, &str)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_sep(c), start) {
            (true, Some(s)) => {
                words.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, &text[s..]));
    }
    let mut value_next = false;
    for (at, word) in words {
        let w = word.trim_end_matches(['.', ':', '!', '?']);
        let low = w.to_ascii_lowercase();
        // `password=x` in one word: the value after `=` or `:`.
        if let Some(k) = SECRET_NAMES.iter().find(|k| {
            low.starts_with(*k) && matches!(low.as_bytes().get(k.len()), Some(b'=' | b':'))
        }) && w.len() > k.len() + 1
        {
            out.push((at + k.len() + 1, at + w.len()));
            value_next = false;
            continue;
        }
        if value_next && w.len() >= 4 {
            out.push((at, at + w.len()));
            value_next = false;
            continue;
        }
        // `token: x`, `password = x` (the name and a colon or sign), `Bearer x`.
        let named = |k: &&str| {
            let l = word.to_ascii_lowercase();
            l.strip_suffix([':', '=']) == Some(*k)
        };
        value_next = low == "bearer" || SECRET_NAMES.iter().any(named);
        if secret_word(w) {
            out.push((at, at + w.len()));
        }
    }
    out
}

/// `text` with what looks like a secret replaced, and known secrets too
/// ([`crate::secret::redact`]).
pub fn redact_secrets(text: &str) -> String {
    let spans = secret_spans(text);
    let mut o = String::with_capacity(text.len());
    let mut at = 0;
    for (a, b) in spans {
        if a < at {
            continue;
        }
        o.push_str(&text[at..a]);
        o.push_str("[redacted]");
        at = b;
    }
    o.push_str(&text[at..]);
    crate::secret::redact(&o)
}

/// Split text into clauses at sentence ends and semicolons, keeping each
/// clause's words.
pub fn clauses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        let end = matches!(c, '.' | '!' | '?' | ';' | '\n')
            && chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        if end {
            let t = cur.trim().trim_end_matches(';').trim().to_string();
            if !t.is_empty() {
                out.push(t);
            }
            cur.clear();
        }
    }
    let t = cur.trim().to_string();
    if !t.is_empty() {
        out.push(t);
    }
    out
}

/// Join kept clauses back into sentences.
pub fn sentences(clauses: &[String]) -> String {
    clauses
        .iter()
        .map(|c| {
            let mut s = c.clone();
            if let Some(f) = s.chars().next() {
                s = f.to_uppercase().collect::<String>() + &s[f.len_utf8()..];
            }
            if !s.ends_with(['.', '!', '?']) {
                s.push('.');
            }
            s
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_paths_tools_and_targets_are_internal() {
        let none = BTreeSet::new();
        for w in [
            "run_9744",
            "evt_000019",
            "segment:all-customers",
            "email:cust_5521",
            ".github/workflows/deploy.yml",
            "config/prod.toml",
            "email.send",
            "README.md",
            "auto_send=true",
        ] {
            assert_eq!(internal_words(&format!("see {w}."), &none), vec![w], "{w}");
        }
        for ok in [
            "At 10:50 UTC we paid $41,280.50 and/or more, e.g. refunds.",
            "Contact us at support@acme.example or https://status.acme.example/x_y.",
            "We are sorry.",
        ] {
            assert!(internal_words(ok, &none).is_empty(), "{ok}");
        }
        let known: BTreeSet<String> = ["support-drafter".to_string()].into();
        assert_eq!(
            internal_words("the Support-Drafter agent", &known),
            vec!["support-drafter"]
        );
        assert!(internal_words("support-drafters", &known).is_empty());
    }

    #[test]
    fn claims_are_what_was_done_not_what_will_be() {
        assert_eq!(claims("We stopped it."), vec![Claim::Stopped]);
        assert_eq!(
            claims("We stopped it and reverted every change"),
            vec![Claim::Stopped, Claim::Reverted]
        );
        assert_eq!(claims("The issue is resolved."), vec![Claim::Resolved]);
        for none in [
            "We have not stopped it yet.",
            "We will stop it.",
            "We are working to stop it.",
            "Until it is fixed, please ignore the email.",
            "You may see an email from us.",
            "We don't know if it stopped.",
        ] {
            assert!(claims(none).is_empty(), "{none}");
        }
    }

    #[test]
    fn what_looks_like_a_secret_is_redacted() {
        for (text, secret) in [
            (
                "use sk_live_4f9A7c2E51d04b86Zq9x now",
                "sk_live_4f9A7c2E51d04b86Zq9x",
            ),
            (
                "key ghp_abcdefghij0123456789 here",
                "ghp_abcdefghij0123456789",
            ),
            ("AKIAIOSFODNN7EXAMPLE leaked", "AKIAIOSFODNN7EXAMPLE"),
            ("password=hunter22 was set", "hunter22"),
            ("the token: Zx81kq0PL2 was used", "Zx81kq0PL2"),
            ("Bearer mF_9.B5f-4.1JqM expired", "mF_9.B5f-4.1JqM"),
            (
                "random Q2hlY2tUaGlzT3V0MTIzNDU2Nzg5 blob",
                "Q2hlY2tUaGlzT3V0MTIzNDU2Nzg5",
            ),
        ] {
            let out = redact_secrets(text);
            assert!(!out.contains(secret), "{text} -> {out}");
            assert!(out.contains("[redacted]"), "{out}");
        }
        for plain in [
            "run_9744 sent evt_000019 to segment:all-customers",
            "We are sorry; the password reset email was wrong.",
            "head 0a41b68851d1e35154ad1ff014def72b5431b50835b2c0e1594c8229f6c4a2e9",
            "a tokenizer, secretive, passwords",
        ] {
            assert_eq!(redact_secrets(plain), plain);
        }
    }

    #[test]
    fn clauses_split_and_rejoin() {
        let c = clauses(
            "You may have received a refund email in error; nothing changed on your account. You can ignore it.",
        );
        assert_eq!(
            c,
            vec![
                "You may have received a refund email in error",
                "nothing changed on your account.",
                "You can ignore it."
            ]
        );
        assert!(reassures(&c[1]) && !reassures(&c[0]));
        assert_eq!(
            sentences(&[c[0].clone(), c[2].clone()]),
            "You may have received a refund email in error. You can ignore it."
        );
    }
}
