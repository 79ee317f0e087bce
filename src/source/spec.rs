//! `--source [NAME=]KIND:URL`, parsed with a message that says what to do.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SourceSpec {
    pub name: String,
    pub kind: String,
    pub url: String,
}

pub const KINDS: &[&str] = &["aca", "langgraph", "temporal", "openai-admin", "otlp"];

impl std::str::FromStr for SourceSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let usage = "expected [NAME=]KIND:URL, e.g. sim=aca:http://127.0.0.1:7300";
        // Errors quote what was given, without a password in it.
        let given = crate::sanitize::strip_userinfo(s);
        let (name, rest) = match s.split_once('=') {
            Some((n, r)) if !n.contains(':') => (Some(n.to_string()), r),
            _ => (None, s),
        };
        let (kind, url) = rest
            .split_once(':')
            .ok_or_else(|| format!("bad source '{given}': {usage}"))?;
        if !KINDS.contains(&kind) {
            return Err(format!(
                "bad source '{given}': unknown kind '{kind}' (known: {}); {usage}",
                KINDS.join(", ")
            ));
        }
        let parsed = reqwest::Url::parse(url).map_err(|e| {
            format!(
                "bad source '{given}': URL '{}' {e}; {usage}",
                crate::sanitize::strip_userinfo(url)
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "bad source '{given}': URL must be http or https; {usage}"
            ));
        }
        // A password in the URL is sent (as basic auth) but never shown or
        // journaled: remember it so an echo of it is redacted too.
        if let Some(p) = parsed.password() {
            let user = std::str::from_utf8(&percent_decode(parsed.username()))
                .unwrap_or(parsed.username())
                .to_string();
            crate::secret::remember_userinfo(&user, p);
            if let Ok(decoded) = std::str::from_utf8(&percent_decode(p)) {
                crate::secret::remember_userinfo(&user, decoded);
            }
        }
        let name = name
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| kind.to_string());
        if kind == "otlp" {
            // Where it listens and how it reads spans, checked at start.
            super::otlp::Options::parse(url).map_err(|e| format!("bad source '{s}': {e}"))?;
        }
        Ok(SourceSpec {
            name,
            kind: kind.into(),
            url: url.trim_end_matches('/').to_string(),
        })
    }
}

impl SourceSpec {
    /// The URL as it may be shown or journaled: a password in it replaced.
    pub fn shown_url(&self) -> String {
        crate::sanitize::strip_userinfo(&self.url).into_owned()
    }

    /// `NAME=KIND:URL` as it may be shown or journaled.
    pub fn shown(&self) -> String {
        format!("{}={}:{}", self.name, self.kind, self.shown_url())
    }

    /// One spec per Temporal namespace: `namespace=a,b` is two sources,
    /// `NAME.a` and `NAME.b`, each with its own health and actions.
    pub fn expand(self) -> Vec<SourceSpec> {
        let Some((base, query)) = self.url.split_once('?') else {
            return vec![self];
        };
        let parts: Vec<&str> = query.split('&').collect();
        let Some(ns) = parts
            .iter()
            .find_map(|kv| kv.strip_prefix("namespace="))
            .filter(|ns| self.kind == "temporal" && ns.contains(','))
        else {
            return vec![self];
        };
        ns.split(',')
            .filter(|n| !n.is_empty())
            .map(|n| {
                let q: Vec<String> = parts
                    .iter()
                    .map(|kv| {
                        if kv.starts_with("namespace=") {
                            format!("namespace={n}")
                        } else {
                            kv.to_string()
                        }
                    })
                    .collect();
                SourceSpec {
                    name: format!("{}.{n}", self.name),
                    kind: self.kind.clone(),
                    url: format!("{base}?{}", q.join("&")),
                }
            })
            .collect()
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1..i + 3)) {
            (b'%', Some(h)) if h.iter().all(u8::is_ascii_hexdigit) => {
                let hex = std::str::from_utf8(h).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        let s: SourceSpec = "sim=aca:http://127.0.0.1:7300/".parse().unwrap();
        assert_eq!(
            (s.name.as_str(), s.kind.as_str(), s.url.as_str()),
            ("sim", "aca", "http://127.0.0.1:7300")
        );
        let s: SourceSpec = "aca:http://h:1".parse().unwrap();
        assert_eq!(s.name, "aca");
        assert!(
            "nope"
                .parse::<SourceSpec>()
                .unwrap_err()
                .contains("expected [NAME=]KIND:URL")
        );
        assert!(
            "x=zzz:http://h"
                .parse::<SourceSpec>()
                .unwrap_err()
                .contains("unknown kind")
        );
        assert!("aca:ftp://h".parse::<SourceSpec>().is_err());
    }

    #[test]
    fn several_temporal_namespaces_are_several_sources() {
        let s: SourceSpec =
            "tm=temporal:https://t.example:7243?namespace=prod,billing&api_key_env=K"
                .parse()
                .unwrap();
        let v = s.expand();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].name, "tm.prod");
        assert_eq!(
            v[1].url,
            "https://t.example:7243?namespace=billing&api_key_env=K"
        );
        let one: SourceSpec = "tm=temporal:http://h:1?namespace=a".parse().unwrap();
        assert_eq!(one.clone().expand(), vec![one]);
    }

    #[test]
    fn an_otlp_source_is_checked_where_it_is_given() {
        let s: SourceSpec = "otel=otlp:http://127.0.0.1:4318?grpc=4317".parse().unwrap();
        assert_eq!((s.name.as_str(), s.kind.as_str()), ("otel", "otlp"));
        let e = "otlp:http://0.0.0.0:4318"
            .parse::<SourceSpec>()
            .unwrap_err();
        assert!(e.contains("needs a token"), "{e}");
        let e = "otlp:http://127.0.0.1:4318?colour=red"
            .parse::<SourceSpec>()
            .unwrap_err();
        assert!(e.contains("unknown option"), "{e}");
    }
}
