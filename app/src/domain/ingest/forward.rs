//! The hand-off of an enriched inbound message to the org's automation (its n8n
//! workflow): which URL the org's mode selects, the JSON it gets, and the POST itself.
//! Delivery is at least once: the body carries `event_id` (and an `Idempotency-Key`
//! header) so a workflow can drop the rare repeat after a crash.

use crate::domain::chatwoot::classify::Inbound;
use crate::domain::store::automation::AutomationRow;
use crate::domain::store::crm::Applied;
use crate::model::{AutomationMode, EventId, Note, NoteCode};
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `v2` or `fallback` (never `paused`: a paused org has no target).
    pub kind: AutomationMode,
    pub url: String,
    pub timeout: Duration,
}

/// Why nothing is forwarded for an org right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoTarget {
    NotConfigured,
    Paused,
    MissingUrl,
}

impl NoTarget {
    pub fn note(self) -> Note {
        Note::new(match self {
            NoTarget::NotConfigured => NoteCode::AutomationNotConfigured,
            NoTarget::Paused => NoteCode::AutomationPaused,
            NoTarget::MissingUrl => NoteCode::AutomationUrlMissing,
        })
    }
}

pub fn target(cfg: Option<&AutomationRow>) -> Result<Target, NoTarget> {
    let cfg = cfg.ok_or(NoTarget::NotConfigured)?;
    let timeout = Duration::from_millis(cfg.timeout_ms.clamp(100, 120_000) as u64);
    let url = match cfg.mode {
        AutomationMode::V2 => cfg.v2_url.as_ref(),
        AutomationMode::Fallback => cfg.fallback_url.as_ref(),
        AutomationMode::Paused => return Err(NoTarget::Paused),
    };
    let kind = cfg.mode;
    let url = url.ok_or(NoTarget::MissingUrl)?.clone();
    Ok(Target { kind, url, timeout })
}

/// What the automation receives: Ponte's ids and session key beside the Chatwoot fields a
/// workflow needs to answer (message, conversation, sender, account).
pub fn body(
    org: &str,
    event_id: EventId,
    payload: &Value,
    inbound: &Inbound,
    session_key: &str,
    applied: &Applied,
) -> Value {
    let pick = |ptr: &str| payload.pointer(ptr).cloned().unwrap_or(Value::Null);
    json!({
        "event_id": event_id,
        "org": org,
        "source": inbound.source.as_str(),
        "session_key": session_key,
        "contact_id": applied.contact_id,
        "deal_id": applied.deal_id,
        "deal_stage": applied.stage_key,
        "contact_created": applied.contact_created,
        "deal_created": applied.deal_created,
        // A smoke test's message: a workflow may skip side effects (replying, notifying).
        "synthetic": inbound.synthetic,
        "message": {
            "id": inbound.message_id,
            "content": pick("/content"),
            "content_type": pick("/content_type"),
            "content_attributes": pick("/content_attributes"),
            "attachments": pick("/attachments"),
            "created_at": pick("/created_at"),
        },
        "conversation": {
            "id": inbound.conversation_id,
            "inbox_id": inbound.inbox_id,
            "status": pick("/conversation/status"),
            "channel": pick("/conversation/channel"),
        },
        "sender": {
            "external_id": inbound.external_id,
            "chatwoot_contact_id": inbound.chatwoot_contact_id,
            "name": inbound.name,
            "phone": inbound.phone,
            "instagram_username": inbound.instagram_username,
        },
        "account_id": pick("/account/id"),
    })
}

/// Posts `body`; Ok(status) on 2xx, Err(the reason, as a note) otherwise. The URL is never
/// in the note (n8n webhook paths are secrets of a kind), nor the network library's text:
/// that one is logged.
pub async fn post(client: &reqwest::Client, target: &Target, event_id: EventId, body: &Value) -> Result<u16, Note> {
    let sent = client
        .post(&target.url)
        .timeout(target.timeout)
        .header("Idempotency-Key", format!("ponte-event-{event_id}"))
        .header("X-Ponte-Event-Id", event_id.to_string())
        .json(body)
        .send()
        .await;
    let note = |code| Note::new(code).with("target", target.kind);
    match sent {
        Ok(resp) if resp.status().is_success() => Ok(resp.status().as_u16()),
        Ok(resp) => Err(note(NoteCode::ForwardRefused).with("status", resp.status().as_u16())),
        Err(e) if e.is_timeout() => Err(note(NoteCode::ForwardTimeout).with("ms", target.timeout.as_millis())),
        Err(e) if e.is_connect() => Err(note(NoteCode::ForwardUnreachable)),
        Err(e) => {
            tracing::warn!(event_id = event_id.0, target = %target.kind, error = %e.without_url(), "hand-off failed");
            Err(note(NoteCode::ForwardNetwork))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(mode: AutomationMode, v2: Option<&str>, fb: Option<&str>) -> AutomationRow {
        AutomationRow {
            organization_id: crate::model::OrgId(1),
            mode,
            v2_url: v2.map(Into::into),
            fallback_url: fb.map(Into::into),
            timeout_ms: 5000,
            updated_at: 0,
        }
    }

    #[test]
    fn the_mode_picks_the_url_and_paused_or_missing_forward_nothing() {
        assert_eq!(target(None), Err(NoTarget::NotConfigured));
        let both = cfg(AutomationMode::V2, Some("http://n8n/v2"), Some("http://n8n/fb"));
        assert_eq!(target(Some(&both)).unwrap().url, "http://n8n/v2");
        let fb = cfg(AutomationMode::Fallback, Some("http://n8n/v2"), Some("http://n8n/fb"));
        assert_eq!(target(Some(&fb)).unwrap().kind, AutomationMode::Fallback);
        assert_eq!(target(Some(&cfg(AutomationMode::Paused, Some("http://x"), None))), Err(NoTarget::Paused));
        assert_eq!(target(Some(&cfg(AutomationMode::Fallback, Some("http://x"), None))), Err(NoTarget::MissingUrl));
    }
}
