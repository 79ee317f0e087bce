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
        let (name, rest) = match s.split_once('=') {
            Some((n, r)) if !n.contains(':') => (Some(n.to_string()), r),
            _ => (None, s),
        };
        let (kind, url) = rest
            .split_once(':')
            .ok_or_else(|| format!("bad source '{s}': {usage}"))?;
        if !KINDS.contains(&kind) {
            return Err(format!(
                "bad source '{s}': unknown kind '{kind}' (known: {}); {usage}",
                KINDS.join(", ")
            ));
        }
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| format!("bad source '{s}': URL '{url}' {e}; {usage}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "bad source '{s}': URL must be http or https; {usage}"
            ));
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
