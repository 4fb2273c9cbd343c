//! A client of Chatwoot's REST API (header `api_access_token`): what Ponte reads to check an
//! org's connection and to register its account webhook. Errors are typed and turn into
//! notes an operator can act on; Chatwoot's own words go to the log, the token nowhere.

use crate::domain::trace::Trace;
use crate::model::{Note, NoteCode, Source};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatwootError {
    #[error("Chatwoot inalcançável: {0}")]
    Unreachable(String),
    #[error("falha de TLS ao falar com o Chatwoot: {0}")]
    Tls(String),
    #[error("o Chatwoot não respondeu a tempo")]
    Timeout,
    #[error("o Chatwoot recusou o token (Invalid Access Token)")]
    BadToken,
    #[error("o token não é de um administrador da conta")]
    NotAdministrator,
    #[error("conta ou recurso não encontrado no Chatwoot")]
    NotFound,
    #[error("o Chatwoot recusou os dados (422): {0}")]
    Unprocessable(String),
    #[error("o Chatwoot respondeu HTTP {0}: {1}")]
    Status(u16, String),
}

impl ChatwootError {
    /// What an operator reads; the caller logs the error itself for the details.
    pub fn note(&self) -> Note {
        match self {
            ChatwootError::Unreachable(_) => Note::new(NoteCode::ChatwootUnreachable),
            ChatwootError::Tls(_) => Note::new(NoteCode::ChatwootTls),
            ChatwootError::Timeout => Note::new(NoteCode::ChatwootTimeout),
            ChatwootError::BadToken => Note::new(NoteCode::ChatwootBadToken),
            ChatwootError::NotAdministrator => Note::new(NoteCode::ChatwootNotAdministrator),
            ChatwootError::NotFound => Note::new(NoteCode::ChatwootNotFound),
            ChatwootError::Unprocessable(_) => Note::new(NoteCode::ChatwootUnprocessable),
            ChatwootError::Status(status, _) => Note::new(NoteCode::ChatwootRejected).with("status", status),
        }
    }

    /// The HTTP status Chatwoot answered with, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ChatwootError::Unreachable(_) | ChatwootError::Tls(_) | ChatwootError::Timeout => None,
            ChatwootError::BadToken | ChatwootError::NotAdministrator => Some(401),
            ChatwootError::NotFound => Some(404),
            ChatwootError::Unprocessable(_) => Some(422),
            ChatwootError::Status(status, _) => Some(*status),
        }
    }

    fn from_send(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            return ChatwootError::Timeout;
        }
        // reqwest hides the cause (refused, DNS, TLS) in the source chain: the log needs all of
        // it, and its words are the only tell of a TLS failure. The URL is left out.
        let e = e.without_url();
        let mut chain = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        let lower = chain.to_lowercase();
        let tls = ["tls", "certificate", "handshake", "corrupt message", "peer sent"];
        if tls.iter().any(|word| lower.contains(word)) {
            ChatwootError::Tls(chain)
        } else {
            ChatwootError::Unreachable(chain)
        }
    }

    fn from_answer(status: u16, body: &str) -> Self {
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let said = v
            .get("error")
            .or_else(|| v.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| body.chars().take(200).collect());
        match status {
            401 if said == "You are not authorized to do this action" => ChatwootError::NotAdministrator,
            401 => ChatwootError::BadToken,
            404 => ChatwootError::NotFound,
            422 => ChatwootError::Unprocessable(said),
            _ => ChatwootError::Status(status, said),
        }
    }
}

/// The events Ponte needs from an account webhook.
pub const SUBSCRIPTIONS: [&str; 7] = [
    "message_created",
    "message_updated",
    "conversation_created",
    "conversation_status_changed",
    "conversation_updated",
    "contact_created",
    "contact_updated",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub accounts: Vec<ProfileAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileAccount {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
}

impl Profile {
    /// Whether the token's user administers `account_id` (what the webhook API needs).
    pub fn administers(&self, account_id: i64) -> bool {
        self.accounts.iter().any(|a| a.id == account_id && a.role.as_deref() == Some("administrator"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    /// `Channel::Whatsapp`, `Channel::Instagram`, `Channel::Api`, `Channel::WebWidget`, …
    #[serde(default)]
    pub channel_type: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub instagram_id: Option<String>,
    /// `whatsapp` or `sms` on `Channel::TwilioSms` inboxes.
    #[serde(default)]
    pub medium: Option<String>,
}

impl Inbox {
    /// The channel whose messages this inbox carries, as Ponte maps it.
    pub fn source(&self) -> Option<Source> {
        match self.channel_type.as_deref() {
            Some("Channel::Whatsapp") => Some(Source::Whatsapp),
            // WhatsApp through Twilio is a WhatsApp inbox too.
            Some("Channel::TwilioSms") if self.medium.as_deref() == Some("whatsapp") => Some(Source::Whatsapp),
            Some("Channel::Instagram") => Some(Source::Instagram),
            _ => None,
        }
    }

    /// The channel type as operators read it (`Whatsapp`, `Api`…).
    pub fn channel_label(&self) -> String {
        self.channel_type.as_deref().unwrap_or("?").trim_start_matches("Channel::").to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    pub url: String,
    #[serde(default)]
    pub subscriptions: Vec<String>,
    /// Chatwoot 4.11.2+ signs with it; older installations have none.
    #[serde(default)]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub identifier: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The display id, unique per account.
    pub id: i64,
    #[serde(default)]
    pub inbox_id: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
}

/// A message as the REST API gives it: `message_type` is an integer here (0 incoming,
/// 1 outgoing, 2 activity, 3 template) and `created_at` Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub message_type: Option<i64>,
    #[serde(default)]
    pub private: Option<bool>,
    #[serde(default)]
    pub source_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<i64>,
}

#[derive(Deserialize)]
struct Payload<T> {
    payload: T,
}

#[derive(Deserialize)]
struct Webhooks {
    webhooks: Vec<Webhook>,
}

#[derive(Deserialize)]
struct OneWebhook {
    webhook: Webhook,
}

pub struct Chatwoot<'a> {
    http: &'a reqwest::Client,
    base: String,
    account: i64,
    token: String,
    timeout: Duration,
    trace: Option<&'a Trace>,
}

impl<'a> Chatwoot<'a> {
    pub fn new(http: &'a reqwest::Client, base_url: &str, account_id: i64, token: &str) -> Self {
        Chatwoot {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            account: account_id,
            token: token.to_string(),
            timeout: Duration::from_secs(15),
            trace: None,
        }
    }

    /// Records every call in `trace` (a live check's history).
    pub fn with_trace(mut self, trace: &'a Trace) -> Self {
        self.trace = Some(trace);
        self
    }

    /// How long one call may take (a live check should not hang a page).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ChatwootError> {
        let started = Instant::now();
        let result = self.send(method.clone(), path, body).await;
        if let Some(trace) = self.trace {
            let status = match &result {
                Ok(_) => Some(200),
                Err(e) => e.status(),
            };
            trace.record("chatwoot", method.as_str(), path, status, started);
        }
        result
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ChatwootError> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("api_access_token", &self.token)
            .header("accept", "application/json")
            .timeout(self.timeout);
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.map_err(ChatwootError::from_send)?;
        let status = res.status().as_u16();
        let text = res.text().await.map_err(ChatwootError::from_send)?;
        if !(200..=299).contains(&status) {
            return Err(ChatwootError::from_answer(status, &text));
        }
        serde_json::from_str(&text).map_err(|e| ChatwootError::Status(status, format!("resposta ilegível: {e}")))
    }

    fn account_path(&self, rest: &str) -> String {
        format!("/api/v1/accounts/{}{rest}", self.account)
    }

    /// The token's user and its role on each account.
    pub async fn profile(&self) -> Result<Profile, ChatwootError> {
        self.call(Method::GET, "/api/v1/profile", None).await
    }

    /// The inboxes the token's user is a member of (all of them for an administrator).
    pub async fn inboxes(&self) -> Result<Vec<Inbox>, ChatwootError> {
        let p: Payload<Vec<Inbox>> = self.call(Method::GET, &self.account_path("/inboxes"), None).await?;
        Ok(p.payload)
    }

    pub async fn webhooks(&self) -> Result<Vec<Webhook>, ChatwootError> {
        let p: Payload<Webhooks> = self.call(Method::GET, &self.account_path("/webhooks"), None).await?;
        Ok(p.payload.webhooks)
    }

    pub async fn create_webhook(&self, url: &str, subscriptions: &[&str]) -> Result<Webhook, ChatwootError> {
        let body = json!({"webhook": {"url": url, "name": "Ponte", "subscriptions": subscriptions}});
        let p: Payload<OneWebhook> = self.call(Method::POST, &self.account_path("/webhooks"), Some(&body)).await?;
        Ok(p.payload.webhook)
    }

    pub async fn update_webhook(&self, id: i64, url: &str, subscriptions: &[&str]) -> Result<Webhook, ChatwootError> {
        let body = json!({"webhook": {"url": url, "subscriptions": subscriptions}});
        let path = self.account_path(&format!("/webhooks/{id}"));
        let p: Payload<OneWebhook> = self.call(Method::PATCH, &path, Some(&body)).await?;
        Ok(p.payload.webhook)
    }

    /// The account webhook pointing at `url` with `subscriptions`: the one there (updated
    /// when its subscriptions differ) or a new one. Chatwoot refuses a second webhook with
    /// the same URL, so registering twice must find the first.
    pub async fn ensure_webhook(&self, url: &str, subscriptions: &[&str]) -> Result<Webhook, ChatwootError> {
        match self.webhooks().await?.into_iter().find(|w| w.url == url) {
            Some(w) if subscriptions.iter().all(|s| w.subscriptions.iter().any(|have| have == s)) => Ok(w),
            Some(w) => self.update_webhook(w.id, url, subscriptions).await,
            None => self.create_webhook(url, subscriptions).await,
        }
    }

    pub async fn contact(&self, id: i64) -> Result<Contact, ChatwootError> {
        let p: Payload<Contact> = self.call(Method::GET, &self.account_path(&format!("/contacts/{id}")), None).await?;
        Ok(p.payload)
    }

    /// Contacts matching `query` by name, e-mail, phone or identifier. Contacts with none of
    /// the last three (Instagram, username-only WhatsApp) never match: fetch them by id.
    pub async fn search_contacts(&self, query: &str) -> Result<Vec<Contact>, ChatwootError> {
        let path = format!("{}?q={}", self.account_path("/contacts/search"), urlencoding(query));
        let p: Payload<Vec<Contact>> = self.call(Method::GET, &path, None).await?;
        Ok(p.payload)
    }

    pub async fn conversation(&self, display_id: i64) -> Result<Conversation, ChatwootError> {
        self.call(Method::GET, &self.account_path(&format!("/conversations/{display_id}")), None).await
    }

    pub async fn messages(&self, display_id: i64) -> Result<Vec<Message>, ChatwootError> {
        let path = self.account_path(&format!("/conversations/{display_id}/messages"));
        let p: Payload<Vec<Message>> = self.call(Method::GET, &path, None).await?;
        Ok(p.payload)
    }

    /// A contact on `inbox_id` (an API-channel inbox), answered with its id and the
    /// `source_id` Chatwoot gave its contact inbox. `identifier` is unique per account.
    pub async fn create_contact(
        &self,
        inbox_id: i64,
        name: &str,
        identifier: &str,
    ) -> Result<(i64, String), ChatwootError> {
        #[derive(Deserialize)]
        struct Made {
            contact: Contact,
            #[serde(default)]
            contact_inbox: Option<MadeInbox>,
        }
        #[derive(Deserialize)]
        struct MadeInbox {
            source_id: String,
        }
        let body = json!({"inbox_id": inbox_id, "name": name, "identifier": identifier});
        let p: Payload<Made> = self.call(Method::POST, &self.account_path("/contacts"), Some(&body)).await?;
        let source_id = p
            .payload
            .contact_inbox
            .map(|c| c.source_id)
            .ok_or_else(|| ChatwootError::Status(200, "contato sem contact_inbox".into()))?;
        Ok((p.payload.contact.id, source_id))
    }

    /// A conversation of `contact_id` on `inbox_id`; answered with its display id.
    pub async fn create_conversation(
        &self,
        inbox_id: i64,
        contact_id: i64,
        source_id: &str,
    ) -> Result<i64, ChatwootError> {
        let body = json!({"inbox_id": inbox_id, "contact_id": contact_id, "source_id": source_id, "status": "open"});
        let c: Conversation = self.call(Method::POST, &self.account_path("/conversations"), Some(&body)).await?;
        Ok(c.id)
    }

    /// An incoming message as if the customer wrote it; Chatwoot accepts this only on
    /// `Channel::Api` inboxes, and then sends `message_created` to the account webhooks.
    pub async fn create_incoming_message(&self, display_id: i64, content: &str) -> Result<Message, ChatwootError> {
        let body = json!({"content": content, "message_type": "incoming", "private": false});
        let path = self.account_path(&format!("/conversations/{display_id}/messages"));
        self.call(Method::POST, &path, Some(&body)).await
    }
}

/// Percent-encodes a query value (`+55 11…` must stay one value).
fn urlencoding(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_401s_are_told_apart_by_their_body() {
        let agent = ChatwootError::from_answer(401, r#"{"error":"You are not authorized to do this action"}"#);
        assert_eq!(agent, ChatwootError::NotAdministrator);
        assert_eq!(ChatwootError::from_answer(401, r#"{"error":"Invalid Access Token"}"#), ChatwootError::BadToken);
        let unsigned = r#"{"errors":["You need to sign in or sign up before continuing."]}"#;
        assert_eq!(ChatwootError::from_answer(401, unsigned), ChatwootError::BadToken);
    }

    #[test]
    fn chatwoot_words_stay_out_of_the_note() {
        let e = ChatwootError::from_answer(422, r#"{"message":"Url is invalid","attributes":["url"]}"#);
        assert_eq!(e, ChatwootError::Unprocessable("Url is invalid".into()));
        assert!(!serde_json::to_string(&e.note()).unwrap().contains("invalid"));
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(urlencoding("+55 11"), "%2B55%2011");
    }
}
