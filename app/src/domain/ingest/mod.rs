//! Ingestion of Chatwoot webhooks. `accept` verifies a delivery and commits it to
//! `webhook_events` (through the group-commit writer) before the caller answers 2xx, so an
//! accepted event survives a crash; `pipeline` processes the stored events later;
//! operators read them and put failed ones back in the queue here.

pub mod forward;
pub mod pipeline;
pub mod writer;

use super::chatwoot::config::{webhook_auth, WebhookAuth};
use super::chatwoot::payload::{Envelope, EnvelopeError};
use super::chatwoot::signature::{self, SignatureError};
use super::error::DomainError;
use super::store::{self, webhooks::EventFilter, webhooks::NewEvent};
use super::{orgs, Actor, Services};
use crate::model::{
    AuthMode, ErrorCode, EventId, EventStatus, EventStep, EventView, Note, NoteCode, OrgId, Page, PipelineStep,
    ReprocessResult, Source, StepOutcome, WebhookAck,
};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

/// One delivery as received: headers of interest, the URL token if any, the raw body.
pub struct Delivery<'a> {
    pub delivery_id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    /// The token of `/webhooks/chatwoot/{org}/{token}` (orgs in `url_token` mode).
    pub url_token: Option<&'a str>,
    pub body: &'a [u8],
}

/// The webhook path's machinery, built once at start and shared by every clone of the
/// services: what accepts deliveries and what processes them (reached as `svc.ingest`).
#[derive(Clone)]
pub struct Ingest {
    /// The processing pipeline's handle (see `Db::relaxed`): the service's pool unless set.
    pub pipeline_db: store::Db,
    /// Group commit of accepted webhooks.
    pub writer: Arc<writer::EventWriter>,
    /// Wakes the processing workers when an event is queued (they also poll, for events
    /// queued by other replicas and for retries coming due).
    pub queue_signal: Arc<tokio::sync::Notify>,
    /// On SQLite, the hot-path writers (webhook inserts, the pipeline, backfill batches)
    /// take turns here.
    pub write_gate: Arc<tokio::sync::Mutex<()>>,
    /// Webhook authentication of each org, for a few seconds.
    pub auth_cache: Arc<AuthCache>,
    /// Deliveries being accepted right now: processing steps aside while many are.
    pub accepting: Arc<AtomicUsize>,
    /// Refused deliveries waiting to be recorded (at most one write a second per reason).
    pub refusals: Arc<RefusalThrottle>,
}

impl Ingest {
    pub fn new(db: store::Db, writer_batch: usize) -> Self {
        let write_gate = Arc::new(tokio::sync::Mutex::new(()));
        Ingest {
            writer: Arc::new(writer::EventWriter::new(db.clone(), write_gate.clone(), writer_batch)),
            pipeline_db: db,
            queue_signal: Arc::new(tokio::sync::Notify::new()),
            write_gate,
            auth_cache: Arc::default(),
            accepting: Arc::default(),
            refusals: Arc::default(),
        }
    }
}

/// Constant-time equality of two hex digests (both are hashes of secrets).
fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What accepting a delivery needs of its org, kept for a few seconds: two reads and a
/// decryption per webhook would otherwise be most of the cost of accepting it. Changes
/// made through this process clear it at once; other replicas see them within the TTL.
#[derive(Default)]
pub struct AuthCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (i64, CachedOrg)>>,
}

#[derive(Clone)]
struct CachedOrg {
    org_id: OrgId,
    slug: String,
    auth: Option<WebhookAuth>,
}

const AUTH_CACHE_TTL_MS: i64 = 5_000;

impl AuthCache {
    pub fn clear(&self) {
        if let Ok(mut e) = self.entries.lock() {
            e.clear();
        }
    }

    async fn get(&self, svc: &Services, slug: &str) -> Result<CachedOrg, DomainError> {
        let now = svc.now();
        if let Some((expires, org)) = self.entries.lock().ok().and_then(|e| e.get(slug).cloned()) {
            if expires > now {
                return Ok(org);
            }
        }
        let row = orgs::row_by_slug(svc, slug).await?;
        let org = CachedOrg { org_id: row.id, slug: row.slug, auth: webhook_auth(svc, row.id).await? };
        if let Ok(mut e) = self.entries.lock() {
            e.insert(slug.to_string(), (now + AUTH_CACHE_TTL_MS, org.clone()));
        }
        Ok(org)
    }
}

/// Counts deliveries being accepted right now (the workers read it to step aside).
struct InFlight<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(counter: &'a std::sync::atomic::AtomicUsize) -> Self {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        InFlight(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Refusals per org and reason since the last write: a flood of bad deliveries (a wrong
/// secret retried by Chatwoot, or an attacker) costs one write a second, not one a request.
/// Counts still waiting when the flood stops are not written; the row says "at least".
#[derive(Default)]
pub struct RefusalThrottle {
    pending: std::sync::Mutex<std::collections::HashMap<(OrgId, ErrorCode), (i64, i64)>>,
}

const REFUSAL_WRITE_EVERY_MS: i64 = 1_000;
/// Refusals of one reason this close together share a row on the org page.
const REFUSAL_FOLD_MS: i64 = 60_000;
const REFUSAL_KEEP_MS: i64 = 30 * 24 * 3_600_000;

/// Remembers a refused delivery of a known org for its page. Never fails the answer: the
/// refusal is already the answer, and a lost record is logged.
async fn record_refusal(svc: &Services, org_id: OrgId, code: ErrorCode, delivery_id: Option<&str>) {
    let now = svc.now();
    let count = {
        let Ok(mut pending) = svc.ingest.refusals.pending.lock() else { return };
        let entry = pending.entry((org_id, code)).or_insert((i64::MIN, 0));
        entry.1 += 1;
        if now.saturating_sub(entry.0) < REFUSAL_WRITE_EVERY_MS {
            return;
        }
        let count = entry.1;
        *entry = (now, 0);
        count
    };
    // The header is the sender's to choose: keep a readable prefix only.
    let delivery_id: Option<String> = delivery_id.map(|d| d.chars().take(80).collect());
    let db = &svc.db;
    let result = async {
        store::webhooks::record_refusal(db, org_id, code, delivery_id.as_deref(), count, now, now - REFUSAL_FOLD_MS)
            .await?;
        store::webhooks::prune_refusals(db, org_id, now - REFUSAL_KEEP_MS).await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(org_id = org_id.0, code = %code, error = %e, "could not record a refused delivery");
    }
}

pub async fn accept(svc: &Services, org_slug: &str, d: &Delivery<'_>) -> Result<WebhookAck, DomainError> {
    let _in_flight = InFlight::enter(&svc.ingest.accepting);
    let org = svc.ingest.auth_cache.get(svc, org_slug).await?;
    match accept_for(svc, &org, d).await {
        Err(DomainError::Rejected(code)) => {
            record_refusal(svc, org.org_id, code, d.delivery_id).await;
            Err(DomainError::Rejected(code))
        }
        other => other,
    }
}

async fn accept_for(svc: &Services, org: &CachedOrg, d: &Delivery<'_>) -> Result<WebhookAck, DomainError> {
    let auth = org.auth.clone().ok_or(DomainError::Rejected(ErrorCode::WebhookNotConfigured))?;
    if auth.mode == AuthMode::UrlToken {
        let expected = auth.url_token_hash.as_deref().ok_or(DomainError::Rejected(ErrorCode::WebhookNotConfigured))?;
        let given = d.url_token.ok_or(DomainError::Rejected(ErrorCode::UrlTokenInvalid))?;
        if !same_digest(&super::auth::token_hash(given), expected) {
            return Err(DomainError::Rejected(ErrorCode::UrlTokenInvalid));
        }
    } else {
        // A token in the URL of a signing org is a misconfiguration: say so instead of ignoring it.
        if d.url_token.is_some() {
            return Err(DomainError::Rejected(ErrorCode::UrlTokenInvalid));
        }
        let secret = auth.secret.ok_or(DomainError::Rejected(ErrorCode::WebhookNotConfigured))?;
        signature::verify(&secret, d.timestamp, d.signature, d.body, svc.now().div_euclid(1000)).map_err(|e| {
            DomainError::Rejected(match e {
                SignatureError::Stale => ErrorCode::SignatureStale,
                SignatureError::Missing | SignatureError::Mismatch => ErrorCode::SignatureInvalid,
            })
        })?;
    }
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
    if let (Some(expected), Some(got)) = (auth.account_id, envelope.account_id) {
        if expected != got {
            return Err(DomainError::Rejected(ErrorCode::AccountMismatch));
        }
    }
    let dedupe_key = envelope.dedupe_key(d.body);
    let status = if envelope.is_handled() { EventStatus::Pending } else { EventStatus::Ignored };
    let (event_id, new) = svc
        .ingest
        .writer
        .write(NewEvent {
            organization_id: org.org_id,
            event: envelope.event.clone(),
            dedupe_key,
            delivery_id: d.delivery_id.map(str::to_string),
            payload: payload.to_string(),
            received_at: svc.now(),
            status,
            synthetic: envelope.synthetic,
        })
        .await?;
    if new && status == EventStatus::Pending {
        svc.ingest.queue_signal.notify_one();
    }
    tracing::debug!(org = %org.slug, event_id = event_id.0, event = %envelope.event, duplicate = !new, "webhook accepted");
    Ok(WebhookAck { event_id, duplicate: !new, status })
}

/// Filters of the event list, as the edges parse them.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub status: Option<String>,
    pub source: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
    pub with_payload: bool,
}

fn step_view(r: store::queue::StepRow) -> EventStep {
    EventStep {
        attempt: r.attempt,
        step: r.step,
        outcome: r.outcome,
        detail: r.detail,
        duration_us: r.duration_us,
        at: r.at,
    }
}

fn event_view(r: store::webhooks::EventRow, mut steps: Vec<EventStep>, with_payload: bool) -> EventView {
    // Receipt is the row itself; shown as the first step so the record reads end to end.
    steps.insert(
        0,
        EventStep {
            attempt: 0,
            step: PipelineStep::Received,
            outcome: StepOutcome::Stored,
            detail: r.delivery_id.clone().map(|d| Note::new(NoteCode::Delivery).with("delivery", d)),
            duration_us: 0,
            at: r.received_at,
        },
    );
    let retrying = r.status.retrying();
    EventView {
        id: r.id,
        event: r.event,
        status: r.status,
        source: r.source,
        delivery_id: r.delivery_id,
        received_at: r.received_at,
        // Every attempt it has had, reprocessed rounds included (as its step rows number them).
        attempts: r.attempts_before + r.attempts,
        next_attempt_at: retrying.then_some(r.next_attempt_at),
        last_error: r.last_error,
        steps,
        payload: with_payload.then(|| serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null)),
    }
}

pub async fn list_events(svc: &Services, org_slug: &str, q: &EventQuery) -> Result<Page<EventView>, DomainError> {
    let org = orgs::row_by_slug(svc, org_slug).await?;
    let mut f = super::error::Fields::default();
    let status = q.status.as_deref().and_then(|s| f.check("status", s.parse::<EventStatus>()));
    let source = q.source.as_deref().and_then(|s| f.check("source", s.parse::<Source>()));
    if let (Some(from), Some(to)) = (q.from, q.to) {
        f.check("from", (from < to).then_some(()).ok_or(ErrorCode::RangeInvalid));
    }
    f.finish()?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let filter = EventFilter { status, source, from: q.from, to: q.to, before: q.before };
    let rows = store::webhooks::events_of(&svc.db, org.id, &filter, limit).await?;
    let ids: Vec<EventId> = rows.iter().map(|r| r.id).collect();
    let mut steps = store::queue::steps_of(&svc.db, &ids).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let mine: Vec<EventStep> = steps.extract_if(.., |s| s.event_id == r.id).map(step_view).collect();
            event_view(r, mine, q.with_payload)
        })
        .collect();
    Ok(Page::keyset(items, limit, |e: &EventView| e.id.0))
}

/// One event of the org with its payload and every step of every attempt.
pub async fn get_event(svc: &Services, org_slug: &str, id: EventId) -> Result<EventView, DomainError> {
    let org = orgs::row_by_slug(svc, org_slug).await?;
    let row = store::webhooks::event(&svc.db, org.id, id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    let steps = store::queue::steps_of(&svc.db, &[id]).await?.into_iter().map(step_view).collect();
    Ok(event_view(row, steps, true))
}

/// Puts one failed, dead or ignored event back in the queue (an event of another org is
/// "not found", never touched).
pub async fn reprocess_one(
    svc: &Services,
    actor: &Actor,
    org_slug: &str,
    id: EventId,
) -> Result<EventView, DomainError> {
    let org = orgs::row_by_slug(svc, org_slug).await?;
    if !store::queue::requeue_one(&svc.db, org.id, id, EventStatus::REPROCESSABLE, svc.now()).await? {
        return match store::webhooks::event(&svc.db, org.id, id).await? {
            None => Err(DomainError::Rejected(ErrorCode::NotFound)),
            Some(_) => Err(DomainError::Rejected(ErrorCode::NotReprocessable)),
        };
    }
    store::audit::record(
        &svc.db,
        &actor.0,
        "event.reprocess",
        Some(org.id),
        &serde_json::json!({"event_id": id}),
        svc.now(),
    )
    .await?;
    svc.ingest.queue_signal.notify_one();
    get_event(svc, org_slug, id).await
}

/// Puts every failed or dead event of the org received in [from, to) back in the queue.
pub async fn reprocess_range(
    svc: &Services,
    actor: &Actor,
    org_slug: &str,
    from: i64,
    to: i64,
) -> Result<ReprocessResult, DomainError> {
    let org = orgs::row_by_slug(svc, org_slug).await?;
    if from >= to {
        return Err(DomainError::field("from", ErrorCode::RangeInvalid));
    }
    let n = store::queue::requeue_range(&svc.db, org.id, EventStatus::FAILURES, from, to, svc.now()).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "event.reprocess_range",
        Some(org.id),
        &serde_json::json!({"from": from, "to": to, "requeued": n}),
        svc.now(),
    )
    .await?;
    if n > 0 {
        svc.ingest.queue_signal.notify_one();
    }
    Ok(ReprocessResult { requeued: n })
}

/// The org's event counts per status.
pub async fn status_counts(svc: &Services, org_slug: &str) -> Result<Vec<(EventStatus, i64)>, DomainError> {
    let org = orgs::row_by_slug(svc, org_slug).await?;
    Ok(store::queue::status_counts(&svc.db, org.id).await?)
}

/// An instant given as epoch milliseconds or RFC 3339 text.
pub fn parse_instant(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| chrono::DateTime::parse_from_rfc3339(s.trim()).ok().map(|t| t.timestamp_millis())),
        _ => None,
    }
}
