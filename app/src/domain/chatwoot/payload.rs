//! What Ponte reads of a webhook body at acceptance time. Chatwoot adds fields between
//! versions and sends null almost anywhere, so this reads leniently from a JSON value
//! instead of a strict struct: only `event` is required.

use crate::model::ChatwootAccountId;
use serde_json::Value;

/// Events whose processing can matter to Ponte; any other event is stored and ignored.
pub const HANDLED_EVENTS: [&str; 7] = [
    "message_created",
    "message_updated",
    "conversation_created",
    "conversation_updated",
    "conversation_status_changed",
    "contact_created",
    "contact_updated",
];

/// The field a smoke test adds to its payloads (`{"run": "<id>"}`). Only a holder of the
/// org's webhook secret can send it, as for every delivery.
pub const SMOKE_MARK: &str = "ponte_smoke";
/// The identifier prefix of the Chatwoot contacts a smoke test creates: their messages are
/// synthetic although Chatwoot, not Ponte, writes those payloads.
pub const SMOKE_IDENTIFIER_PREFIX: &str = "ponte-smoke-";

/// Whether a delivery is a smoke test's (counted apart from the org's real traffic).
pub fn is_synthetic(body: &Value) -> bool {
    body.get(SMOKE_MARK).is_some_and(|v| !v.is_null())
        || body
            .pointer("/sender/identifier")
            .and_then(Value::as_str)
            .is_some_and(|id| id.starts_with(SMOKE_IDENTIFIER_PREFIX))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub event: String,
    /// The message id for message events, the conversation or contact id otherwise.
    pub id: Option<i64>,
    /// `account.id`, present on message and contact events.
    pub account_id: Option<ChatwootAccountId>,
    /// Sent by a smoke test (`ponte_smoke` present): stored and processed like any other,
    /// counted apart.
    pub synthetic: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeError {
    NotAnObject,
    MissingEvent,
}

fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

impl Envelope {
    pub fn read(body: &Value) -> Result<Envelope, EnvelopeError> {
        let obj = body.as_object().ok_or(EnvelopeError::NotAnObject)?;
        let event = obj
            .get("event")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .ok_or(EnvelopeError::MissingEvent)?
            .to_string();
        let id = obj.get("id").and_then(as_i64);
        let account_id = obj.get("account").and_then(|a| a.get("id")).and_then(as_i64).map(ChatwootAccountId);
        let synthetic = is_synthetic(body);
        Ok(Envelope { event, id, account_id, synthetic })
    }

    pub fn is_handled(&self) -> bool {
        HANDLED_EVENTS.contains(&self.event.as_str())
    }

    /// Chatwoot sends one `message_created` twice with different delivery ids, so message
    /// events dedupe on (event, message id); other events on a hash of the exact body (a
    /// double dispatch of one conversation event has a new delivery id but the same body,
    /// while a real change carries a new `updated_at`).
    pub fn dedupe_key(&self, body: &[u8]) -> String {
        match (self.event.starts_with("message_"), self.id) {
            (true, Some(id)) => format!("{}:{id}", self.event),
            _ => format!("{}:sha256:{}", self.event, super::super::auth::token_hash_bytes(body)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_message_events_and_keys_them_on_the_message_id() {
        let body = json!({"event": "message_created", "id": 88001, "account": {"id": 7}});
        let env = Envelope::read(&body).unwrap();
        assert_eq!(
            env,
            Envelope {
                event: "message_created".into(),
                id: Some(88001),
                account_id: Some(ChatwootAccountId(7)),
                synthetic: false
            }
        );
        assert!(env.is_handled());
        assert_eq!(env.dedupe_key(b"x"), "message_created:88001");
        assert_eq!(env.dedupe_key(b"y"), "message_created:88001");
    }

    #[test]
    fn other_events_key_on_the_body() {
        let env = Envelope::read(&json!({"event": "conversation_created", "id": 3311})).unwrap();
        assert_eq!(env.account_id, None);
        let a = env.dedupe_key(b"x");
        assert!(a.starts_with("conversation_created:sha256:"));
        assert_eq!(a, env.dedupe_key(b"x"), "the same body twice is one event");
        assert_ne!(a, env.dedupe_key(b"y"));
        assert!(!Envelope::read(&json!({"event": "conversation_typing_on"})).unwrap().is_handled());
    }

    #[test]
    fn requires_an_object_with_an_event() {
        assert_eq!(Envelope::read(&json!([1, 2])), Err(EnvelopeError::NotAnObject));
        assert_eq!(Envelope::read(&json!({"id": 1})), Err(EnvelopeError::MissingEvent));
        assert_eq!(Envelope::read(&json!({"event": "  "})), Err(EnvelopeError::MissingEvent));
        assert_eq!(Envelope::read(&json!({"event": 5})), Err(EnvelopeError::MissingEvent));
    }
}
