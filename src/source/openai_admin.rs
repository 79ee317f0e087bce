//! OpenAI project API key revocation (`openai-admin:` target).
//!
//! `revoke_credential` deletes a project API key
//! (`DELETE /v1/organization/projects/{project}/api_keys/{key}`) with an
//! admin key read from an env var or a 0600 file; confirmation is a fresh
//! read that no longer finds the key. The poller lists the project's keys
//! so the palette can offer them.
//! Spec: `openai-admin:https://api.openai.com?project=proj_x&admin_key_env=VAR`
//! (or `admin_key_file=PATH`).

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::http::{self, HttpError};
use super::{Batch, Check};
use crate::model::{ActionAnswer, ActionKind};

/// Read the admin key (env var or 0600 file); see [`crate::secret::load`].
pub fn load_secret(env: Option<&str>, file: Option<&str>) -> Result<crate::secret::Secret, String> {
    match (env, file) {
        (None, None) => Err(
            "no admin key: add admin_key_env=VAR or admin_key_file=PATH to the source URL".into(),
        ),
        _ => crate::secret::load(env, file),
    }
}

#[derive(Clone)]
pub struct Conn {
    base: String,
    project: String,
    key: Result<crate::secret::Secret, String>,
    client: reqwest::Client,
}

impl Conn {
    pub fn new(url: &str, client: reqwest::Client) -> Conn {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let (mut project, mut env, mut file) = (String::new(), None, None);
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            match kv.split_once('=') {
                Some(("project", v)) => project = v.to_string(),
                Some(("admin_key_env", v)) => env = Some(v.to_string()),
                Some(("admin_key_file", v)) => file = Some(v.to_string()),
                _ => {}
            }
        }
        Conn {
            base: base.trim_end_matches('/').to_string(),
            project,
            key: load_secret(env.as_deref(), file.as_deref()),
            client,
        }
    }

    fn req(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> Result<reqwest::RequestBuilder, HttpError> {
        let key = self.key.as_ref().map_err(|e| HttpError {
            message: e.clone(),
            status: None,
            retry_after: None,
            permanent: true,
        })?;
        if self.project.is_empty() {
            return Err(HttpError {
                message: "no project: add project=proj_… to the source URL".into(),
                status: None,
                retry_after: None,
                permanent: true,
            });
        }
        Ok(self
            .client
            .request(
                method,
                format!(
                    "{}/v1/organization/projects/{}{path}",
                    self.base, self.project
                ),
            )
            .bearer_auth(key.expose()))
    }

    /// The project's API key ids (all pages).
    pub async fn keys(&self) -> Result<Vec<String>, HttpError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..100 {
            let mut r = self
                .req(reqwest::Method::GET, "/api_keys")?
                .query(&[("limit", "100")]);
            if let Some(a) = &after {
                r = r.query(&[("after", a)]);
            }
            let (_, body) = http::send(r).await?;
            let v: Value = http::json(&body)?;
            let ids: Vec<String> = v
                .get("data")
                .and_then(|d| d.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|k| {
                            k.get("id")
                                .and_then(|i| i.as_str())
                                .map(|s| crate::sanitize::line(s, 128))
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.extend(ids);
            if v.get("has_more").and_then(|h| h.as_bool()) != Some(true) {
                break;
            }
            after = v.get("last_id").and_then(|l| l.as_str()).map(String::from);
            if after.is_none() {
                break;
            }
        }
        Ok(out)
    }

    async fn exists(&self, key: &str) -> Result<bool, HttpError> {
        Ok(self.read_key(key).await?.is_some())
    }

    /// A fresh read of one key: the id its body names (`None`: 404).
    async fn read_key(&self, key: &str) -> Result<Option<String>, HttpError> {
        match http::send(self.req(reqwest::Method::GET, &format!("/api_keys/{key}"))?).await {
            Ok((_, body)) => Ok(Some(
                serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|v| v.get("id")?.as_str().map(|s| crate::sanitize::line(s, 128)))
                    .unwrap_or_default(),
            )),
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

pub struct OpenAiAdmin {
    name: String,
    conn: Conn,
    first: bool,
}

impl OpenAiAdmin {
    pub fn new(name: &str, url: &str, client: reqwest::Client) -> OpenAiAdmin {
        OpenAiAdmin {
            name: name.into(),
            conn: Conn::new(url, client),
            first: true,
        }
    }
}

impl super::Source for OpenAiAdmin {
    fn name(&self) -> &str {
        &self.name
    }
    fn poll(&mut self) -> BoxFuture<'_, Result<Batch, HttpError>> {
        Box::pin(async move {
            let keys = self.conn.keys().await?;
            let mut b = Batch {
                credentials: keys,
                ..Batch::default()
            };
            if self.first {
                b.offered = Some(vec![ActionKind::RevokeCredential]);
                self.first = false;
            }
            Ok(b)
        })
    }
}

pub struct OpenAiAdminActor {
    conn: Conn,
}

impl OpenAiAdminActor {
    pub fn new(url: &str, client: reqwest::Client) -> OpenAiAdminActor {
        OpenAiAdminActor {
            conn: Conn::new(url, client),
        }
    }
}

fn only_revoke(kind: ActionKind) -> Result<(), HttpError> {
    if kind == ActionKind::RevokeCredential {
        Ok(())
    } else {
        Err(HttpError::not_offered(
            "openai-admin (it only revokes credentials)",
            kind,
        ))
    }
}

impl super::Actor for OpenAiAdminActor {
    /// The key is the whole plan: the dry run says whether it is there to
    /// revoke, the real run deletes it.
    fn act<'a>(&'a self, a: super::Act<'a>) -> super::Acting<'a> {
        Box::pin(async move {
            let super::Act { kind, target, req } = a;
            only_revoke(kind)?;
            let key = target.credential.clone().unwrap_or_default();
            if req.is_none() {
                let exists = self.conn.exists(&key).await?;
                return Ok(ActionAnswer {
                    kind: kind.as_str().into(),
                    state: "preview".into(),
                    // The key, when there is one to revoke.
                    affected_runs: if exists { vec![key.clone()] } else { vec![] },
                    message: if exists {
                        format!("would delete project API key {key}")
                    } else {
                        format!("no key {key} in the project: nothing to revoke")
                    },
                    ..ActionAnswer::default()
                });
            }
            // A key that is not there is refused by the platform (404).
            let (_, body) = http::send(
                self.conn
                    .req(reqwest::Method::DELETE, &format!("/api_keys/{key}"))?,
            )
            .await?;
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let deleted = v.get("deleted").and_then(|d| d.as_bool()).unwrap_or(false);
            Ok(ActionAnswer {
                kind: kind.as_str().into(),
                state: if deleted { "applied" } else { "pending" }.into(),
                affected_runs: vec![key.clone()],
                message: format!("delete of {key} answered deleted={deleted}"),
                ..ActionAnswer::default()
            })
        })
    }
    fn check<'a>(&'a self, v: super::Verify<'a>) -> super::Checking<'a> {
        Box::pin(async move {
            let (req, answer) = (v.req, v.answer);
            let key = req.target.credential.clone().unwrap_or_default();
            let had = answer.is_none_or(|a| a.affected_runs.contains(&key));
            Ok(match self.conn.read_key(&key).await? {
                None if had => Check::Confirmed(format!("key {key} no longer exists")),
                None => Check::NothingToDo(format!(
                    "key {key} was not in the project: nothing to revoke"
                )),
                Some(id) if id == key => Check::NotYet(format!("key {key} still listed")),
                Some(id) => Check::NotYet(format!(
                    "the read of key {key} named '{id}': no proof either way"
                )),
            })
        })
    }
}
