//! Which Chatwoot events are a customer's message for Ponte, on which channel, from whom.
//! Pure: reads the payload and the org's inbox map, decides, touches nothing. Direction
//! comes from `message_type` (a contact sender carries no `type`), the channel from the
//! org's inbox map with Chatwoot's `channel` as a cross-check.

use crate::model::{ChatwootContactId, ChatwootConversationId, InboxId, MessageId, Source};
use serde_json::Value;
use std::collections::BTreeMap;

/// Why an event creates nothing and reaches no automation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Not `message_created` (updates of a message never create anything).
    NotANewMessage,
    /// Agent replies and templates.
    Outgoing,
    /// Activity messages ("conversation resolved by …").
    Activity,
    /// An agent's internal note.
    Private,
    /// A reply typed on the business phone or an Instagram echo (`sender` null).
    Echo,
    /// An inbox the org has not mapped to a channel (website widget, e-mail, …).
    UnmappedInbox,
    /// The inbox map says one channel, Chatwoot's `channel` another: kept for review.
    ChannelMismatch,
    /// No `contact_inbox.source_id` to key the person on.
    MissingIdentity,
}

/// A customer's new message, with what identity resolution and the hand-off need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inbound {
    pub source: Source,
    pub inbox_id: InboxId,
    /// The channel's id of the person as Chatwoot sent it (wa_id, Instagram-scoped id…).
    pub external_id: String,
    pub conversation_id: ChatwootConversationId,
    pub message_id: MessageId,
    pub chatwoot_contact_id: Option<ChatwootContactId>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub instagram_username: Option<String>,
    /// A smoke test's message (see `payload::SMOKE_MARK`).
    pub synthetic: bool,
}

fn i64_of(v: Option<&Value>) -> Option<i64> {
    v.and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())))
}

fn str_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// The channel Chatwoot's `conversation.channel` implies, when it implies one.
fn channel_source(conversation: &Value, source_id: &str) -> Option<Source> {
    match conversation.get("channel").and_then(Value::as_str)? {
        "Channel::Whatsapp" => Some(Source::Whatsapp),
        "Channel::Instagram" => Some(Source::Instagram),
        "Channel::FacebookPage" => {
            let kind = conversation.pointer("/additional_attributes/type").and_then(Value::as_str);
            (kind == Some("instagram_direct_message")).then_some(Source::Instagram)
        }
        "Channel::TwilioSms" => source_id.starts_with("whatsapp:").then_some(Source::Whatsapp),
        _ => None,
    }
}

pub fn classify(body: &Value, inboxes: &BTreeMap<String, Source>) -> Result<Inbound, Skip> {
    if body.get("event").and_then(Value::as_str) != Some("message_created") {
        return Err(Skip::NotANewMessage);
    }
    match body.get("message_type").and_then(Value::as_str) {
        Some("incoming") => {}
        Some("activity") => return Err(Skip::Activity),
        _ => return Err(Skip::Outgoing),
    }
    if body.get("private").and_then(Value::as_bool) == Some(true) {
        return Err(Skip::Private);
    }
    if body.get("sender").is_none_or(Value::is_null) {
        return Err(Skip::Echo);
    }
    let conversation = body.get("conversation").unwrap_or(&Value::Null);
    let inbox_id = i64_of(body.pointer("/inbox/id"))
        .or_else(|| i64_of(conversation.get("inbox_id")))
        .map(InboxId)
        .ok_or(Skip::UnmappedInbox)?;
    let mapped = inboxes.get(&inbox_id.to_string()).copied().ok_or(Skip::UnmappedInbox)?;
    let raw_id = str_of(conversation.pointer("/contact_inbox/source_id")).ok_or(Skip::MissingIdentity)?;
    if let Some(implied) = channel_source(conversation, &raw_id) {
        if implied != mapped {
            return Err(Skip::ChannelMismatch);
        }
    }
    let external_id = raw_id.strip_prefix("whatsapp:").map(str::to_string).unwrap_or(raw_id);
    let sender = conversation
        .pointer("/meta/sender")
        .filter(|s| !s.is_null())
        .or_else(|| body.get("sender"))
        .unwrap_or(&Value::Null);
    Ok(Inbound {
        source: mapped,
        inbox_id,
        external_id,
        conversation_id: i64_of(conversation.get("id")).map(ChatwootConversationId).ok_or(Skip::MissingIdentity)?,
        message_id: i64_of(body.get("id")).map(MessageId).ok_or(Skip::NotANewMessage)?,
        chatwoot_contact_id: i64_of(conversation.pointer("/contact_inbox/contact_id"))
            .or_else(|| i64_of(sender.get("id")))
            .map(ChatwootContactId),
        name: str_of(sender.get("name")),
        phone: str_of(sender.get("phone_number")),
        instagram_username: str_of(sender.pointer("/additional_attributes/social_instagram_user_name")),
        synthetic: super::payload::is_synthetic(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
        let path = format!("{root}/../server/tests/fixtures/chatwoot/{name}");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn inboxes() -> BTreeMap<String, Source> {
        BTreeMap::from([("12".to_string(), Source::Whatsapp), ("13".to_string(), Source::Instagram)])
    }

    #[test]
    fn a_customers_whatsapp_message_is_inbound() {
        let got = classify(&fixture("whatsapp_message_created.json"), &inboxes()).unwrap();
        assert_eq!(got.source, Source::Whatsapp);
        assert_eq!(got.external_id, "5511987654321");
        assert_eq!((got.inbox_id.0, got.conversation_id.0, got.message_id.0), (12, 3311, 88001));
        assert_eq!(got.chatwoot_contact_id, Some(ChatwootContactId(501)));
        assert_eq!(got.phone.as_deref(), Some("+5511987654321"));
        assert_eq!(got.name.as_deref(), Some("Maria Aparecida Souza"));
    }

    #[test]
    fn a_first_instagram_dm_is_inbound_with_the_scoped_id() {
        let got = classify(&fixture("instagram_message_created.json"), &inboxes()).unwrap();
        assert_eq!(got.source, Source::Instagram);
        assert_eq!(got.external_id, "1789456123098765");
        assert_eq!(got.phone, None);
        let repeat = classify(&fixture("instagram_message_created_repeat.json"), &inboxes()).unwrap();
        assert_eq!(repeat.external_id, got.external_id);
        assert_ne!(repeat.message_id, got.message_id);
    }

    #[test]
    fn agent_replies_notes_echoes_updates_and_conversation_events_are_skipped() {
        assert_eq!(classify(&fixture("whatsapp_outgoing_message_created.json"), &inboxes()), Err(Skip::Outgoing));
        assert_eq!(classify(&fixture("conversation_created_whatsapp.json"), &inboxes()), Err(Skip::NotANewMessage));
        let mut m = fixture("whatsapp_message_created.json");
        m["event"] = json!("message_updated");
        assert_eq!(classify(&m, &inboxes()), Err(Skip::NotANewMessage));
        let mut m = fixture("whatsapp_message_created.json");
        m["private"] = json!(true);
        assert_eq!(classify(&m, &inboxes()), Err(Skip::Private));
        let mut m = fixture("whatsapp_message_created.json");
        m["sender"] = Value::Null;
        assert_eq!(classify(&m, &inboxes()), Err(Skip::Echo));
        let mut m = fixture("whatsapp_message_created.json");
        m["message_type"] = json!("activity");
        assert_eq!(classify(&m, &inboxes()), Err(Skip::Activity));
    }

    #[test]
    fn unmapped_inboxes_and_channel_contradictions_are_skipped() {
        let only_ig = BTreeMap::from([("13".to_string(), Source::Instagram)]);
        assert_eq!(classify(&fixture("whatsapp_message_created.json"), &only_ig), Err(Skip::UnmappedInbox));
        let wrong = BTreeMap::from([("12".to_string(), Source::Instagram)]);
        assert_eq!(classify(&fixture("whatsapp_message_created.json"), &wrong), Err(Skip::ChannelMismatch));
        let mut m = fixture("whatsapp_message_created.json");
        m["conversation"]["contact_inbox"]["source_id"] = Value::Null;
        assert_eq!(classify(&m, &inboxes()), Err(Skip::MissingIdentity));
    }

    #[test]
    fn instagram_through_a_facebook_page_and_whatsapp_through_twilio_or_api_inboxes() {
        let mut m = fixture("instagram_message_created.json");
        m["conversation"]["channel"] = json!("Channel::FacebookPage");
        m["conversation"]["additional_attributes"] = json!({"type": "instagram_direct_message"});
        assert_eq!(classify(&m, &inboxes()).unwrap().source, Source::Instagram);
        let mut m = fixture("whatsapp_message_created.json");
        m["conversation"]["channel"] = json!("Channel::TwilioSms");
        m["conversation"]["contact_inbox"]["source_id"] = json!("whatsapp:+5511987654321");
        assert_eq!(classify(&m, &inboxes()).unwrap().external_id, "+5511987654321");
        let mut m = fixture("whatsapp_message_created.json");
        m["conversation"]["channel"] = json!("Channel::Api");
        m["conversation"]["contact_inbox"]["source_id"] = json!("5c1f6e2a-8d7b-4c1e-9f00-0a1b2c3d4e5f");
        assert_eq!(classify(&m, &inboxes()).unwrap().source, Source::Whatsapp, "API inboxes follow the org's map");
    }
}
