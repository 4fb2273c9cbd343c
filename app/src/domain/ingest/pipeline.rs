//! Processing of stored events, one batch per call: claim → classify → identity, deal and
//! conversation (one transaction for the batch) → hand-off to the automation (concurrent
//! HTTP, no transaction open) → record every step and the outcome (one transaction).
//!
//! Every stage is idempotent, so an attempt cut short by a crash is simply run again when
//! its lease ends: the identity and the open deal are found instead of created, and a
//! hand-off that already succeeded is not repeated.

use super::forward::{self, Target};
use super::writer::lock_if_sqlite;
use crate::domain::chatwoot::classify::{classify, Inbound, Skip};
use crate::domain::chatwoot::config::inbox_map;
use crate::domain::deals::ConversationLink;
use crate::domain::error::DomainError;
use crate::domain::identity::phone::{whatsapp_id, without_ninth_digit, WhatsappId};
use crate::domain::store::automation::AutomationRow;
use crate::domain::store::crm::{Applied, InboundWork};
use crate::domain::store::queue::{ClaimedRow, NewStep, Outcome};
use crate::domain::store::{self};
use crate::domain::Services;
use crate::model::{
    AutomationMode, BoardId, ConflictKind, EventId, EventStatus, Note, NoteCode, OrgId, PipelineStep, Source, StageId,
    StepOutcome,
};
use futures::StreamExt;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// Tunables of the queue, from the server's configuration.
#[derive(Clone, Debug)]
pub struct PipelineConfig {
    /// Events claimed per batch.
    pub batch_size: i64,
    /// How long a claimed event stays with its worker before another may take it.
    pub lease_ms: i64,
    /// Attempts before an event is `dead` (kept, listed, reprocessable by hand).
    pub max_attempts: i64,
    pub retry_base_ms: i64,
    pub retry_max_ms: i64,
    /// Concurrent hand-offs per batch.
    pub forward_concurrency: usize,
    /// Rows per group commit of accepted webhooks.
    pub writer_batch: usize,
    /// After a batch that was not full, how long a worker waits before claiming again, so
    /// the next batch gathers more events: each batch costs a few fsync'd commits, and
    /// many tiny batches would spend the disk (and the single SQLite writer) on syncing.
    pub gather_ms: u64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            batch_size: 64,
            lease_ms: 120_000,
            max_attempts: 8,
            retry_base_ms: 5_000,
            retry_max_ms: 30 * 60_000,
            forward_concurrency: 32,
            writer_batch: 256,
            gather_ms: 20,
        }
    }
}

impl PipelineConfig {
    /// Exponential backoff: base, 2×base, 4×base… capped.
    pub fn retry_delay(&self, attempt: i64) -> i64 {
        let exp = (attempt - 1).clamp(0, 30) as u32;
        self.retry_base_ms.saturating_mul(1i64 << exp).min(self.retry_max_ms)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    pub claimed: usize,
    pub done: usize,
    pub ignored: usize,
    pub failed: usize,
    pub dead: usize,
}

struct OrgCtx {
    slug: String,
    inboxes: BTreeMap<String, Source>,
    intake: Option<(BoardId, StageId)>,
    automation: Option<AutomationRow>,
}

enum State {
    Ignored,
    Failed(Note),
    Inbound { inbound: Box<Inbound>, payload: Value, work: usize, session_key: String },
}

struct Plan {
    row: ClaimedRow,
    steps: Vec<NewStep>,
    source: Option<Source>,
    /// Chatwoot's conversation of a customer's message: the T+1 sample lists its events by it.
    conversation: Option<crate::model::ChatwootConversationId>,
    state: State,
}

impl Plan {
    fn step(&mut self, step: PipelineStep, outcome: StepOutcome, detail: Option<Note>, started: Instant) {
        let duration_us = started.elapsed().as_micros().min(i64::MAX as u128) as i64;
        self.steps.push(NewStep { step, outcome, detail, duration_us });
    }

    fn fail(&mut self, step: PipelineStep, error: Note, started: Instant) {
        self.step(step, StepOutcome::Failed, Some(error.clone()), started);
        self.state = State::Failed(error);
    }
}

fn skip_note(skip: Skip, event: &str) -> Note {
    match skip {
        Skip::NotANewMessage => Note::new(NoteCode::SkipNotANewMessage).with("event", event),
        Skip::Outgoing => Note::new(NoteCode::SkipOutgoing),
        Skip::Activity => Note::new(NoteCode::SkipActivity),
        Skip::Private => Note::new(NoteCode::SkipPrivate),
        Skip::Echo => Note::new(NoteCode::SkipEcho),
        Skip::UnmappedInbox => Note::new(NoteCode::SkipUnmappedInbox),
        Skip::ChannelMismatch => Note::new(NoteCode::SkipChannelMismatch),
        Skip::MissingIdentity => Note::new(NoteCode::SkipMissingIdentity),
    }
}

/// The identity key of the sender, another spelling of it worth matching, and the note
/// of the classify step (it says when the id could not be normalized).
fn identity_key(inbound: &Inbound) -> (String, Option<String>, NoteCode) {
    match inbound.source {
        Source::Instagram => (inbound.external_id.clone(), None, NoteCode::Inbound),
        Source::Whatsapp => match whatsapp_id(&inbound.external_id) {
            // Identities imported without the BR ninth digit match too.
            Ok(WhatsappId::Phone(k)) => (k.clone(), without_ninth_digit(&k), NoteCode::Inbound),
            Ok(WhatsappId::Opaque(k)) => (k, None, NoteCode::InboundOpaqueId),
            Err(_) => (inbound.external_id.clone(), None, NoteCode::InboundOffPlan),
        },
    }
}

async fn org_context(svc: &Services, org_id: OrgId) -> Result<Option<OrgCtx>, DomainError> {
    let Some(org) = store::orgs::by_id(&svc.db, org_id).await? else { return Ok(None) };
    Ok(Some(OrgCtx {
        slug: org.slug,
        inboxes: inbox_map(svc, org_id).await?,
        intake: store::crm::intake_stage(&svc.db, org_id).await?,
        automation: store::automation::get(&svc.db, org_id).await?,
    }))
}

/// Claims and processes one batch as `worker`. Returns what happened (all zero when the
/// queue had nothing due).
pub async fn run_once(svc: &Services, worker: &str) -> Result<RunReport, DomainError> {
    let cfg = &svc.config.pipeline;
    let now = svc.now();
    let claimed = {
        let _g = lock_if_sqlite(&svc.ingest.pipeline_db, &svc.ingest.write_gate).await;
        store::queue::claim(&svc.ingest.pipeline_db, worker, now, now + cfg.lease_ms, cfg.batch_size).await?
    };
    if claimed.is_empty() {
        return Ok(RunReport::default());
    }
    let mut orgs: HashMap<OrgId, Option<OrgCtx>> = HashMap::new();
    for row in &claimed {
        if let std::collections::hash_map::Entry::Vacant(slot) = orgs.entry(row.organization_id) {
            slot.insert(org_context(svc, row.organization_id).await?);
        }
    }

    // 1. Classify and normalize.
    let mut plans = Vec::with_capacity(claimed.len());
    let mut works: Vec<InboundWork> = Vec::new();
    for row in claimed {
        let t = Instant::now();
        let mut plan = Plan { row, steps: Vec::new(), source: None, conversation: None, state: State::Ignored };
        let Some(ctx) = orgs.get(&plan.row.organization_id).and_then(Option::as_ref) else {
            plan.fail(PipelineStep::Classify, Note::new(NoteCode::OrgNotFound), t);
            plans.push(plan);
            continue;
        };
        let payload: Value = match serde_json::from_str(&plan.row.payload) {
            Ok(v) => v,
            Err(_) => {
                plan.fail(PipelineStep::Classify, Note::new(NoteCode::PayloadUnreadable), t);
                plans.push(plan);
                continue;
            }
        };
        match classify(&payload, &ctx.inboxes) {
            Err(skip) => {
                plan.step(PipelineStep::Classify, StepOutcome::Skipped, Some(skip_note(skip, &plan.row.event)), t)
            }
            Ok(inbound) => {
                let (key, alt, note) = identity_key(&inbound);
                let source = inbound.source;
                plan.source = Some(source);
                plan.conversation = Some(inbound.conversation_id);
                let detail = Note::new(note).with("source", source).with("inbox", inbound.inbox_id);
                plan.step(PipelineStep::Classify, StepOutcome::Inbound, Some(detail), t);
                match ctx.intake {
                    None => plan.fail(PipelineStep::Deal, Note::new(NoteCode::NoDefaultBoard), t),
                    Some((board_id, first_stage_id)) => {
                        let session_key = format!("{source}:{key}");
                        let phone = match (inbound.source, &alt) {
                            (Source::Whatsapp, _) if key.chars().all(|c| c.is_ascii_digit()) => Some(format!("+{key}")),
                            _ => inbound.phone.clone(),
                        };
                        let name = inbound
                            .name
                            .clone()
                            .or_else(|| inbound.instagram_username.as_ref().map(|u| format!("@{u}")));
                        works.push(InboundWork {
                            org_id: plan.row.organization_id,
                            event_id: plan.row.id,
                            source,
                            external_id: key,
                            alt_external_id: alt,
                            name,
                            phone,
                            board_id,
                            first_stage_id,
                            chatwoot_conversation_id: inbound.conversation_id,
                            session_key: session_key.clone(),
                            synthetic: inbound.synthetic,
                        });
                        plan.state =
                            State::Inbound { inbound: Box::new(inbound), payload, work: works.len() - 1, session_key };
                    }
                }
            }
        }
        plans.push(plan);
    }

    // 2. Identity, deal, conversation: one transaction for the batch. The database's own
    // words go to the log; the step says only that storage refused.
    let applied: Vec<Result<Applied, Note>> = if works.is_empty() {
        Vec::new()
    } else {
        let _g = lock_if_sqlite(&svc.ingest.pipeline_db, &svc.ingest.write_gate).await;
        match store::crm::apply_inbound(&svc.ingest.pipeline_db, &works, now).await {
            Ok(v) => v
                .into_iter()
                .zip(&works)
                .map(|(r, w)| {
                    r.map_err(|e| {
                        tracing::warn!(org = w.org_id.0, event_id = w.event_id.0, error = %e,
                            "identity/deal of an event failed; it will be retried");
                        Note::new(NoteCode::StorageFailed)
                    })
                })
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, batch = works.len(), "identity/deal batch failed; events will be retried");
                vec![Err(Note::new(NoteCode::StorageFailed)); works.len()]
            }
        }
    };
    let inbound_ids: Vec<EventId> =
        plans.iter().filter(|p| matches!(p.state, State::Inbound { .. })).map(|p| p.row.id).collect();
    let forwarded_before = store::queue::already_forwarded(&svc.ingest.pipeline_db, &inbound_ids).await?;

    // 3. Record the CRM steps and prepare the hand-offs.
    let mut jobs: Vec<(usize, EventId, Target, Value)> = Vec::new();
    for (i, plan) in plans.iter_mut().enumerate() {
        let State::Inbound { inbound, payload, work, session_key } = &plan.state else { continue };
        let ctx = orgs.get(&plan.row.organization_id).and_then(Option::as_ref).expect("context of an inbound event");
        let t = Instant::now();
        match &applied[*work] {
            Err(e) => {
                let e = e.clone();
                plan.fail(PipelineStep::Identity, e, t);
            }
            Ok(a) => {
                let (identity, deal) = (
                    if a.contact_created { StepOutcome::Created } else { StepOutcome::Resolved },
                    if a.deal_created { StepOutcome::Created } else { StepOutcome::Ensured },
                );
                // A conflict is named on the step it concerns: two contacts for the number
                // on the identity, a conversation of another contact on the conversation.
                let id_code = if a.conflicts.contains(&ConflictKind::AmbiguousIdentity) {
                    NoteCode::IdentityAmbiguous
                } else {
                    NoteCode::Identity
                };
                let id_detail = Note::new(id_code).with("contact", a.contact_id).with("session", session_key);
                plan.steps.push(NewStep {
                    step: PipelineStep::Identity,
                    outcome: identity,
                    detail: Some(id_detail),
                    duration_us: a.identity_us,
                });
                plan.steps.push(NewStep {
                    step: PipelineStep::Deal,
                    outcome: deal,
                    detail: Some(
                        Note::new(NoteCode::Deal)
                            .with("deal", a.deal_id)
                            .with("stage", &a.stage_key)
                            .with("contact", a.contact_id),
                    ),
                    duration_us: a.deal_us,
                });
                let link = match a.conversation {
                    ConversationLink::Created => StepOutcome::Created,
                    ConversationLink::Linked => StepOutcome::Linked,
                    ConversationLink::Relinked => StepOutcome::Relinked,
                    ConversationLink::Conflict => StepOutcome::Conflict,
                };
                plan.steps.push(NewStep {
                    step: PipelineStep::Conversation,
                    outcome: link,
                    detail: Some(
                        Note::new(if link == StepOutcome::Conflict {
                            NoteCode::ConversationConflict
                        } else {
                            NoteCode::Conversation
                        })
                        .with("conversation", inbound.conversation_id),
                    ),
                    duration_us: a.conversation_us,
                });
                if forwarded_before.contains(&plan.row.id) {
                    plan.step(
                        PipelineStep::Forward,
                        StepOutcome::Skipped,
                        Some(Note::new(NoteCode::AlreadyForwarded)),
                        t,
                    );
                    continue;
                }
                match forward::target(ctx.automation.as_ref()) {
                    Err(why) => plan.step(PipelineStep::Forward, StepOutcome::Skipped, Some(why.note()), t),
                    Ok(target) => {
                        let body = forward::body(&ctx.slug, plan.row.id, payload, inbound, session_key, a);
                        jobs.push((i, plan.row.id, target, body));
                    }
                }
            }
        }
    }

    // 4. Hand-offs, concurrently, with no transaction open.
    let client = &svc.http;
    let results: Vec<(usize, AutomationMode, Result<u16, Note>, Instant)> = futures::stream::iter(jobs)
        .map(|(i, event_id, target, body)| async move {
            let t = Instant::now();
            let r = forward::post(client, &target, event_id, &body).await;
            (i, target.kind, r, t)
        })
        .buffer_unordered(cfg.forward_concurrency.max(1))
        .collect()
        .await;
    for (i, kind, r, t) in results {
        let plan = &mut plans[i];
        match r {
            Ok(status) => plan.step(
                PipelineStep::Forward,
                StepOutcome::Forwarded,
                Some(Note::new(NoteCode::Forwarded).with("target", kind).with("status", status)),
                t,
            ),
            Err(e) => plan.fail(PipelineStep::Forward, e, t),
        }
    }

    // 5. Outcomes, one transaction.
    let done_at = svc.now();
    let mut report = RunReport { claimed: plans.len(), ..RunReport::default() };
    let outcomes: Vec<Outcome> = plans
        .into_iter()
        .map(|p| {
            let (status, next, error) = match p.state {
                State::Ignored => (EventStatus::Ignored, done_at, None),
                State::Inbound { .. } => (EventStatus::Done, done_at, None),
                State::Failed(e) if p.row.attempts >= cfg.max_attempts => (EventStatus::Dead, done_at, Some(e)),
                State::Failed(e) => (EventStatus::Failed, done_at + cfg.retry_delay(p.row.attempts), Some(e)),
            };
            match status {
                EventStatus::Done => report.done += 1,
                EventStatus::Ignored => report.ignored += 1,
                EventStatus::Dead => report.dead += 1,
                _ => report.failed += 1,
            }
            Outcome {
                event_id: p.row.id,
                attempt: p.row.attempt_number(),
                status,
                next_attempt_at: next,
                last_error: error,
                source: p.source,
                conversation: p.conversation,
                steps: p.steps,
            }
        })
        .collect();
    {
        let _g = lock_if_sqlite(&svc.ingest.pipeline_db, &svc.ingest.write_gate).await;
        store::queue::finish(&svc.ingest.pipeline_db, worker, &outcomes, done_at).await?;
    }
    if report.failed + report.dead > 0 {
        let orgs: Vec<&str> = orgs.values().flatten().map(|o| o.slug.as_str()).collect();
        tracing::warn!(
            failed = report.failed,
            dead = report.dead,
            ?orgs,
            "events failed processing (see each event's steps)"
        );
    }
    Ok(report)
}

/// Runs batches until the queue has nothing due (tests and the CLI; the server's workers
/// loop on `run_once` themselves).
pub async fn drain(svc: &Services, worker: &str) -> Result<RunReport, DomainError> {
    let mut total = RunReport::default();
    loop {
        let r = run_once(svc, worker).await?;
        if r.claimed == 0 {
            return Ok(total);
        }
        total.claimed += r.claimed;
        total.done += r.done;
        total.ignored += r.ignored;
        total.failed += r.failed;
        total.dead += r.dead;
    }
}
