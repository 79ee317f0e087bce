//! Custom actions from the config, for what a platform cannot do itself
//! (revoke a Vault lease, disable a cloud key, scale a deployment to zero).
//! Placeholders are substituted inside single argv elements and the
//! program is executed directly: no shell ever sees a platform string.

use std::time::Duration;

use serde::Deserialize;

use crate::sanitize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Run,
    Workflow,
    AgentClass,
    Global,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HttpTemplate {
    #[serde(default = "post")]
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub body: Option<String>,
}

fn post() -> String {
    "POST".into()
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomAction {
    pub name: String,
    /// One key (a single character) in the console.
    pub key: char,
    pub scope: Scope,
    /// argv, with $RUN_ID, $WORKFLOW, $AGENT_CLASS, $REASON placeholders.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub http: Option<HttpTemplate>,
    /// Hidden (not bound) in read-only mode.
    #[serde(default = "yes")]
    pub dangerous: bool,
    /// Ask before running.
    #[serde(default = "yes")]
    pub confirm: bool,
}

/// Values for the placeholders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    pub run_id: String,
    pub workflow: String,
    pub agent_class: String,
    pub reason: String,
}

impl Vars {
    fn subst(&self, s: &str, enc: fn(&str) -> String) -> String {
        s.replace("$RUN_ID", &enc(&self.run_id))
            .replace("$WORKFLOW", &enc(&self.workflow))
            .replace("$AGENT_CLASS", &enc(&self.agent_class))
            .replace("$REASON", &enc(&self.reason))
    }
}

impl CustomAction {
    pub fn validate(&self) -> Result<(), String> {
        match (&self.command, &self.http) {
            (Some(c), None) if !c.is_empty() => Ok(()),
            (None, Some(_)) => Ok(()),
            _ => Err(format!(
                "custom action '{}' needs exactly one of command = [..] or http = {{..}}",
                self.name
            )),
        }
    }

    /// The argv it would run (for the confirm dialog and the journal).
    pub fn argv(&self, v: &Vars) -> Vec<String> {
        match (&self.command, &self.http) {
            (Some(c), _) => c.iter().map(|a| v.subst(a, |s| s.to_string())).collect(),
            (_, Some(h)) => {
                let mut out = vec![
                    h.method.clone(),
                    v.subst(&h.url, crate::source::http::urlencode),
                ];
                if let Some(b) = &h.body {
                    out.push(v.subst(b, json_escape));
                }
                out
            }
            _ => Vec::new(),
        }
    }

    /// Run it; returns (exit status or HTTP status, output capped and clean).
    pub async fn run(&self, v: &Vars, client: &reqwest::Client) -> (Option<i32>, String) {
        const LIMIT: Duration = Duration::from_secs(60);
        let argv = self.argv(v);
        if self.command.is_some() {
            let Some((prog, args)) = argv.split_first() else {
                return (None, "empty command".into());
            };
            let child = tokio::process::Command::new(prog)
                .args(args)
                .stdin(std::process::Stdio::null())
                .kill_on_drop(true)
                .output();
            match tokio::time::timeout(LIMIT, child).await {
                Ok(Ok(out)) => {
                    let mut text = String::from_utf8_lossy(&out.stdout).to_string();
                    text.push_str(&String::from_utf8_lossy(&out.stderr));
                    (out.status.code(), sanitize::text(&text, 4096))
                }
                Ok(Err(e)) => (None, format!("cannot run {prog}: {e}")),
                Err(_) => (
                    None,
                    format!("{prog} did not finish within {} s; killed", LIMIT.as_secs()),
                ),
            }
        } else {
            let method =
                reqwest::Method::from_bytes(argv[0].as_bytes()).unwrap_or(reqwest::Method::POST);
            let mut req = client.request(method, &argv[1]);
            if let Some(b) = argv.get(2) {
                req = req
                    .header("content-type", "application/json")
                    .body(b.clone());
            }
            match crate::source::http::send(req).await {
                Ok((status, body)) => (
                    Some(status as i32),
                    sanitize::text(&String::from_utf8_lossy(&body), 4096),
                ),
                Err(e) => (e.status.map(|s| s as i32), e.message),
            }
        }
    }
}

fn json_escape(s: &str) -> String {
    let q = serde_json::to_string(s).unwrap_or_default();
    q[1..q.len().saturating_sub(1)].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(cmd: &[&str]) -> CustomAction {
        CustomAction {
            name: "t".into(),
            key: 'V',
            scope: Scope::Run,
            command: Some(cmd.iter().map(|s| s.to_string()).collect()),
            http: None,
            dangerous: true,
            confirm: true,
        }
    }

    #[tokio::test]
    async fn hostile_placeholders_never_reach_a_shell() {
        let tmp = tempfile::tempdir().unwrap();
        let marker = tmp.path().join("pwned");
        let evil = format!(
            "x; touch {}; $(touch {})",
            marker.display(),
            marker.display()
        );
        let a = action(&["/bin/echo", "run=$RUN_ID"]);
        let v = Vars {
            run_id: evil.clone(),
            ..Vars::default()
        };
        let (code, out) = a.run(&v, &crate::source::http::client()).await;
        assert_eq!(code, Some(0));
        assert_eq!(out.trim(), format!("run={evil}"));
        assert!(
            !marker.exists(),
            "nothing was executed from the placeholder"
        );
    }

    #[test]
    fn http_template_encodes_placeholders() {
        let a = CustomAction {
            command: None,
            http: Some(HttpTemplate {
                method: "POST".into(),
                url: "https://vault/v1/sys/leases/revoke/$RUN_ID".into(),
                body: Some("{\"reason\":\"$REASON\"}".into()),
            }),
            ..action(&[])
        };
        let v = Vars {
            run_id: "a/../b?c".into(),
            reason: "say \"hi\"".into(),
            ..Vars::default()
        };
        let argv = a.argv(&v);
        assert_eq!(argv[1], "https://vault/v1/sys/leases/revoke/a%2F..%2Fb%3Fc");
        assert_eq!(argv[2], "{\"reason\":\"say \\\"hi\\\"\"}");
    }
}
