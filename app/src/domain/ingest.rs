//! Ingestion, first step: accept a Chatwoot delivery durably. The event is verified and
//! committed to `webhook_events` before the caller answers 2xx, so an accepted event
//! survives a crash; processing happens later from that table.

use super::chatwoot::config::webhook_secret;
use super::chatwoot::payload::{Envelope, EnvelopeError};
use super::chatwoot::signature::{self, SignatureError};
use super::error::DomainError;
use super::store::{self, webhooks::NewEvent};
use super::Services;
use crate::model::{ErrorCode, WebhookAck};

/// One delivery as received: headers of interest and the raw body bytes.
pub struct Delivery<'a> {
    pub delivery_id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

pub async fn accept(svc: &Services, org_slug: &str, d: &Delivery<'_>) -> Result<WebhookAck, DomainError> {
    let org = super::orgs::row_by_slug(svc, org_slug).await?;
    let (secret, account_id) = webhook_secret(svc, org.id).await?;
    let secret = secret.ok_or(DomainError::Rejected(ErrorCode::WebhookNotConfigured))?;
    signature::verify(&secret, d.timestamp, d.signature, d.body, svc.now().div_euclid(1000)).map_err(|e| {
        DomainError::Rejected(match e {
            SignatureError::Stale => ErrorCode::SignatureStale,
            SignatureError::Missing | SignatureError::Mismatch => ErrorCode::SignatureInvalid,
        })
    })?;
    let payload = std::str::from_utf8(d.body).map_err(|_| DomainError::Rejected(ErrorCode::InvalidJson))?;
    let json: serde_json::Value =
        serde_json::from_str(payload).map_err(|_| DomainError::Rejected(ErrorCode::InvalidJson))?;
    let envelope = Envelope::read(&json).map_err(|e| {
        DomainError::Rejected(match e {
            EnvelopeError::NotAnObject => ErrorCode::InvalidJson,
            EnvelopeError::MissingEvent => ErrorCode::EventMissing,
        })
    })?;
    // Conversation events carry no account; when one is present it must be the org's.
    if let (Some(expected), Some(got)) = (account_id, envelope.account_id) {
        if expected != got {
            return Err(DomainError::Rejected(ErrorCode::AccountMismatch));
        }
    }
    let dedupe_key = envelope.dedupe_key(d.delivery_id, d.body);
    let status = if envelope.is_handled() { "pending" } else { "ignored" };
    let (event_id, new) = store::webhooks::insert_event(
        &svc.db,
        &NewEvent {
            organization_id: org.id,
            event: &envelope.event,
            dedupe_key: &dedupe_key,
            delivery_id: d.delivery_id,
            payload,
            received_at: svc.now(),
            status,
        },
    )
    .await?;
    tracing::info!(org = %org.slug, event_id, event = %envelope.event, duplicate = !new, "webhook accepted");
    Ok(WebhookAck { event_id, duplicate: !new, status: status.to_string() })
}

/// A stored event as operators and scripts read it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EventView {
    pub id: i64,
    pub event: String,
    pub status: String,
    pub delivery_id: Option<String>,
    pub received_at: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub payload: serde_json::Value,
}

pub const EVENT_STATUSES: [&str; 6] = ["pending", "processing", "done", "ignored", "failed", "dead"];

pub async fn list_events(
    svc: &Services,
    org_slug: &str,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<EventView>, DomainError> {
    let org = super::orgs::row_by_slug(svc, org_slug).await?;
    if let Some(st) = status {
        if !EVENT_STATUSES.contains(&st) {
            return Err(DomainError::field("status", ErrorCode::StatusInvalid));
        }
    }
    let rows = store::webhooks::events_of(&svc.db, org.id, status, limit.clamp(1, 500)).await?;
    Ok(rows
        .into_iter()
        .map(|r| EventView {
            id: r.id,
            event: r.event,
            status: r.status,
            delivery_id: r.delivery_id,
            received_at: r.received_at,
            attempts: r.attempts,
            last_error: r.last_error,
            payload: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
        })
        .collect())
}
