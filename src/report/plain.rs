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
