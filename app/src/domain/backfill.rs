//! WhatsApp identity backfill for an org's existing contacts: batches in contact-id order
//! (keyset), phones normalized like live ingestion (default region BR, the mobile ninth
//! digit restored), one short transaction per batch that also moves the run's checkpoint.
//! Idempotent (a second run changes nothing), resumable (a stopped run goes on after its
//! checkpoint), and safe beside live ingestion: an identity created meanwhile is found,
//! never overwritten; every clash becomes a conflict row for review.

use super::error::DomainError;
use super::identity::phone::{normalize_phone, without_ninth_digit, PhoneError};
use super::store::{self, backfill::Candidate};
use super::{orgs, Actor, Services};
use crate::model::*;
use std::collections::HashSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackfillRunDto {
    pub id: i64,
    pub status: String,
    pub dry_run: bool,
    pub batch_size: i64,
    pub total: i64,
    pub processed: i64,
    pub created: i64,
    pub skipped: i64,
    pub conflicts: i64,
    pub invalid: i64,
    pub empty: i64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

fn dto(r: store::backfill::RunRow) -> BackfillRunDto {
    BackfillRunDto {
        id: r.id,
        status: r.status,
        dry_run: r.dry_run,
        batch_size: r.batch_size,
        // Counted at the start; contacts created meanwhile (live messages) are handled too.
        total: r.total.max(r.processed),
        processed: r.processed,
        created: r.created,
        skipped: r.skipped,
        conflicts: r.conflicts,
        invalid: r.invalid,
        empty: r.empty,
        started_at: r.started_at,
        finished_at: r.finished_at,
    }
}

/// Starts a run (not its batches: see `run_batches`).
pub async fn start(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    dry_run: bool,
    batch_size: i64,
) -> Result<BackfillRunDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    if !(1..=50_000).contains(&batch_size) {
        return Err(DomainError::field("batch_size", ErrorCode::NumberInvalid));
    }
    let run = store::backfill::create_run(&svc.db, org.id, dry_run, batch_size, &actor.0, svc.now()).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "backfill.start",
        Some(OrgId(org.id)),
        &serde_json::json!({"run_id": run.id, "dry_run": dry_run}),
        svc.now(),
    )
    .await?;
    Ok(dto(run))
}

/// The canonical WhatsApp key of a stored phone, and the spelling without the BR ninth digit.
fn candidate(contact_id: i64, phone: Option<String>) -> Candidate {
    let Some(raw) = phone.filter(|p| !p.trim().is_empty()) else { return Candidate::Empty };
    match normalize_phone(&raw) {
        Ok(key) => Candidate::Phone { contact_id, raw, alt: without_ninth_digit(&key), key },
        Err(PhoneError::Empty) => Candidate::Empty,
        Err(PhoneError::Invalid) => Candidate::Invalid { contact_id, raw },
    }
}

/// Processes batches of a running run until it is done, paused or cancelled, or until
/// `max_batches` (a stop in the middle, as a crash or a pause would leave it).
pub async fn run_batches(
    svc: &Services,
    slug: &str,
    run_id: i64,
    max_batches: Option<usize>,
) -> Result<BackfillRunDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let mut seen: HashSet<String> = HashSet::new();
    let mut batches = 0usize;
    loop {
        let run =
            store::backfill::run(&svc.db, org.id, run_id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
        if run.status != "running" || max_batches.is_some_and(|m| batches >= m) {
            return Ok(dto(run));
        }
        let contacts = store::backfill::contacts_after(&svc.db, org.id, run.cursor, run.batch_size).await?;
        let Some(last_id) = contacts.last().map(|c| c.0) else {
            store::backfill::set_status(&svc.db, run.id, &["running"], "done", svc.now()).await?;
            let run = store::backfill::run(&svc.db, org.id, run_id)
                .await?
                .ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
            return Ok(dto(run));
        };
        let batch: Vec<Candidate> = contacts
            .into_iter()
            .map(|(id, phone)| match candidate(id, phone) {
                Candidate::Phone { key, .. } if run.dry_run && seen.contains(&key) => Candidate::SeenInDryRun,
                c => {
                    if let (true, Candidate::Phone { key, .. }) = (run.dry_run, &c) {
                        seen.insert(key.clone());
                    }
                    c
                }
            })
            .collect();
        store::backfill::apply_batch(&svc.db, &run, &batch, last_id, svc.now()).await?;
        batches += 1;
    }
}

pub async fn get(svc: &Services, slug: &str, run_id: i64) -> Result<BackfillRunDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(dto(store::backfill::run(&svc.db, org.id, run_id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?))
}

/// The org's runs, newest first.
pub async fn history(svc: &Services, slug: &str) -> Result<Vec<BackfillRunDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(store::backfill::runs(&svc.db, org.id, 100).await?.into_iter().map(dto).collect())
}

/// Pause, resume or cancel a run.
pub async fn set_status(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    run_id: i64,
    action: &str,
) -> Result<BackfillRunDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let (from, to): (&[&str], &str) = match action {
        "pause" => (&["running"], "paused"),
        "resume" => (&["paused"], "running"),
        "cancel" => (&["running", "paused"], "cancelled"),
        _ => return Err(DomainError::field("action", ErrorCode::StatusInvalid)),
    };
    store::backfill::run(&svc.db, org.id, run_id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    if !store::backfill::set_status(&svc.db, run_id, from, to, svc.now()).await? {
        return Err(DomainError::Rejected(ErrorCode::RunStateInvalid));
    }
    store::audit::record(
        &svc.db,
        &actor.0,
        &format!("backfill.{action}"),
        Some(OrgId(org.id)),
        &serde_json::json!({"run_id": run_id}),
        svc.now(),
    )
    .await?;
    get(svc, slug, run_id).await
}

/// A contact as an existing client's base brings it (the contacts import builds on this).
pub async fn add_contact(
    svc: &Services,
    slug: &str,
    name: Option<&str>,
    phone: Option<&str>,
) -> Result<i64, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(store::backfill::insert_contact(&svc.db, org.id, name, phone, svc.now()).await?)
}
