//! A small client of n8n's public REST API (`/api/v1`, header `X-N8N-API-KEY`): what Ponte
//! needs to install, switch and watch an org's workflows. Errors say what went wrong in
//! words an operator can act on; the API key never appears in them.

use crate::domain::trace::Trace;
use crate::model::{Note, NoteCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum N8nError {
    #[error("n8n inalcançável: {0}")]
    Unreachable(String),
    #[error("n8n recusou a chave de API (401/403)")]
    Unauthorized,
    #[error("workflow não encontrado no n8n")]
    NotFound,
    #[error("n8n respondeu HTTP {0}: {1}")]
    Rejected(u16, String),
}

impl N8nError {
    /// What an operator reads. n8n's own words and the network library's are not in it:
    /// the caller logs the error itself.
    pub fn note(&self) -> Note {
        match self {
            N8nError::Unreachable(_) => Note::new(NoteCode::N8nUnreachable),
            N8nError::Unauthorized => Note::new(NoteCode::N8nUnauthorized),
            N8nError::NotFound => Note::new(NoteCode::N8nWorkflowNotFound),
            N8nError::Rejected(status, _) => Note::new(NoteCode::N8nRejected).with("status", status),
        }
    }
}

pub struct N8n<'a> {
    http: &'a reqwest::Client,
    base: String,
    key: String,
    trace: Option<&'a Trace>,
}

/// A workflow's state as n8n reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkflowState {
    pub id: String,
    pub name: String,
    pub active: bool,
}

impl<'a> N8n<'a> {
    pub fn new(http: &'a reqwest::Client, base_url: &str, api_key: &str) -> Self {
        N8n { http, base: base_url.trim_end_matches('/').to_string(), key: api_key.to_string(), trace: None }
    }

    /// Records every call in `trace` (a live check's history).
    pub fn with_trace(mut self, trace: &'a Trace) -> Self {
        self.trace = Some(trace);
        self
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<Value, N8nError> {
        let started = Instant::now();
        let result = self.send(method.clone(), path, body).await;
        if let Some(trace) = self.trace {
            let status = match &result {
                Ok(_) => Some(200),
                Err(N8nError::Unreachable(_)) => None,
                Err(N8nError::Unauthorized) => Some(401),
                Err(N8nError::NotFound) => Some(404),
                Err(N8nError::Rejected(status, _)) => Some(*status),
            };
            trace.record("n8n", method.as_str(), &format!("/api/v1{path}"), status, started);
        }
        result
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<Value, N8nError> {
        let mut req = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base))
            .header("X-N8N-API-KEY", &self.key)
            .header("accept", "application/json")
            .timeout(Duration::from_secs(20));
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.map_err(|e| N8nError::Unreachable(e.without_url().to_string()))?;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        match status {
            200..=299 => Ok(serde_json::from_str(&text).unwrap_or(Value::Null)),
            401 | 403 => Err(N8nError::Unauthorized),
            404 => Err(N8nError::NotFound),
            _ => {
                let message = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or_else(|| text.chars().take(200).collect());
                Err(N8nError::Rejected(status, message))
            }
        }
    }

    /// Checks the URL and the API key.
    pub async fn check(&self) -> Result<(), N8nError> {
        self.call(reqwest::Method::GET, "/workflows?limit=1", None).await.map(|_| ())
    }

    /// A Header Auth credential holding Ponte's token, so the token is not in the workflow.
    pub async fn create_header_credential(&self, name: &str, header: &str, value: &str) -> Result<String, N8nError> {
        let body = json!({"name": name, "type": "httpHeaderAuth", "data": {"name": header, "value": value}});
        let v = self.call(reqwest::Method::POST, "/credentials", Some(&body)).await?;
        id_of(&v)
    }

    pub async fn create_workflow(&self, workflow: &Value) -> Result<String, N8nError> {
        let v = self.call(reqwest::Method::POST, "/workflows", Some(workflow)).await?;
        id_of(&v)
    }

    pub async fn activate(&self, id: &str) -> Result<(), N8nError> {
        self.call(reqwest::Method::POST, &format!("/workflows/{id}/activate"), None).await.map(|_| ())
    }

    pub async fn deactivate(&self, id: &str) -> Result<(), N8nError> {
        self.call(reqwest::Method::POST, &format!("/workflows/{id}/deactivate"), None).await.map(|_| ())
    }

    /// The workflow's latest executions, newest first.
    pub async fn executions(&self, workflow_id: &str, limit: u32) -> Result<Vec<Execution>, N8nError> {
        let v = self
            .call(reqwest::Method::GET, &format!("/executions?workflowId={workflow_id}&limit={limit}"), None)
            .await?;
        let list = v.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
        Ok(list
            .iter()
            .filter_map(|e| {
                Some(Execution {
                    id: match e.get("id")? {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                    status: e.get("status").and_then(Value::as_str).unwrap_or("unknown").to_string(),
                    started_at: instant_of(e.get("startedAt")),
                    stopped_at: instant_of(e.get("stoppedAt")),
                })
            })
            .collect())
    }

    pub async fn workflow(&self, id: &str) -> Result<WorkflowState, N8nError> {
        let v = self.call(reqwest::Method::GET, &format!("/workflows/{id}"), None).await?;
        Ok(WorkflowState {
            id: id.to_string(),
            name: v.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
            active: v.get("active").and_then(Value::as_bool).unwrap_or(false),
        })
    }
}

/// One execution of a workflow, as n8n lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    pub id: String,
    /// `success`, `error`, `running`, `waiting`, `canceled`, `crashed`, `new`.
    pub status: String,
    /// Epoch milliseconds.
    pub started_at: Option<i64>,
    pub stopped_at: Option<i64>,
}

fn instant_of(v: Option<&Value>) -> Option<i64> {
    let text = v?.as_str()?;
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_millis())
}

fn id_of(v: &Value) -> Result<String, N8nError> {
    match v.get("id") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(N8nError::Rejected(200, "resposta sem id".into())),
    }
}

/// Fills a shipped template (placeholders `__NAME__` inside JSON strings) without ever
/// building JSON by string concatenation: values are substituted string by string.
pub fn fill(template: &Value, values: &[(&str, &str)]) -> Value {
    match template {
        Value::String(s) => {
            let mut out = s.clone();
            for (k, v) in values {
                out = out.replace(&format!("__{k}__"), v);
            }
            Value::String(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| fill(i, values)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), fill(v, values))).collect()),
        other => other.clone(),
    }
}

pub const V2_TEMPLATE: &str = include_str!("templates/ponte-v2.json");
pub const FALLBACK_TEMPLATE: &str = include_str!("templates/ponte-fallback.json");
/// Bumped whenever `ponte-v2.json` changes, and recorded per org at install.
pub const V2_TEMPLATE_VERSION: &str = "2026-11-29.1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_valid_workflows_and_every_placeholder_is_filled() {
        for t in [V2_TEMPLATE, FALLBACK_TEMPLATE] {
            let wf: Value = serde_json::from_str(t).unwrap();
            assert!(wf["nodes"].as_array().unwrap().iter().any(|n| n["type"] == "n8n-nodes-base.webhook"));
            let filled = fill(
                &wf,
                &[
                    ("ORG_NAME", "Coronel \"Picanha\""),
                    ("WEBHOOK_PATH", "ponte-coronel-v2"),
                    ("WEBHOOK_ID", "id"),
                    ("PONTE_URL", "https://ponte.exemplo.com.br"),
                    ("FIRST_RESPONSE_STAGE", "em-atendimento"),
                    ("CREDENTIAL_ID", "7"),
                    ("CREDENTIAL_NAME", "Ponte coronel"),
                ],
            );
            let text = filled.to_string();
            assert!(!text.contains("__"), "unfilled placeholder in {text}");
            assert!(filled["name"].as_str().unwrap().contains("Coronel \"Picanha\""), "quotes stay inside the string");
        }
        let v2: Value = serde_json::from_str(V2_TEMPLATE).unwrap();
        let http = v2["nodes"].as_array().unwrap().iter().find(|n| n["type"] == "n8n-nodes-base.httpRequest").unwrap();
        assert_eq!(http["parameters"]["url"], "__PONTE_URL__/api/v1/tools/stage-move");
    }
}
