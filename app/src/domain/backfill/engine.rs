//! The batch engine: a run is worked by the process holding its lease, batch after batch
//! from its checkpoint (read + normalize, look up + decide, write + checkpoint, the three
//! overlapping), until it is done, paused, cancelled or fails too often. A batch is two
//! set-based reads and three set-based writes, no round trip per contact; a run left
//! `running` by a process that died is taken over once its lease runs out.

use super::plan::{normalize_batch, plan, Candidate};
use super::{dto, BackfillRunDto, LEASE_MS, MAX_FAILURES};
use crate::domain::error::DomainError;
use crate::domain::ingest::writer::lock_if_sqlite;
use crate::domain::{orgs, store, Services};
use crate::model::*;
use std::collections::HashMap;

/// Works a run: claims its lease, then batch after batch until it is done, paused or
/// cancelled (or `max_batches` were done: a stop in the middle, as a crash would leave it).
/// Nothing happens when another live process holds the run.
pub async fn run_batches(
    svc: &Services,
    slug: &str,
    run_id: RunId,
    max_batches: Option<usize>,
) -> Result<BackfillRunDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let owner = format!("run-{}", crate::domain::auth::random_token());
    work(svc, org.id, run_id, &owner, max_batches).await
}

/// The background runner's step: works the oldest run nobody holds, to its end. False
/// when there was none.
pub async fn run_next(svc: &Services, owner: &str) -> Result<bool, DomainError> {
    let Some((run_id, org_id)) = store::backfill::next_runnable(&svc.db, svc.now()).await? else { return Ok(false) };
    match work(svc, org_id, run_id, owner, None).await {
        Ok(_) => Ok(true),
        Err(e) => {
            // The run keeps its checkpoint and is tried again from there.
            tracing::warn!(error = %e, run = run_id.0, "backfill batch failed; it is retried from its checkpoint");
            Err(e)
        }
    }
}

/// Works a run; on an error (the database refused a batch: a deadlock with live ingestion
/// on PostgreSQL, a full disk…) the batch is rolled back and the lease let go at once, so
/// a runner goes on from the checkpoint after its back-off instead of after the lease.
async fn work(
    svc: &Services,
    org_id: OrgId,
    run_id: RunId,
    owner: &str,
    max_batches: Option<usize>,
) -> Result<BackfillRunDto, DomainError> {
    let result = work_batches(svc, org_id, run_id, owner, max_batches).await;
    if let Err(err) = &result {
        // The database's own words go to the log (the caller logs `err`), not to the run.
        let note = Note::new(match err {
            DomainError::Storage(_) => NoteCode::StorageFailed,
            _ => NoteCode::InternalFailed,
        });
        match store::backfill::record_failure(&svc.db, run_id, &note, MAX_FAILURES, svc.now()).await {
            Ok(true) => {
                tracing::error!(error = %err, run = run_id.0, "backfill run failed {MAX_FAILURES} batches in a row; \
                    stopped")
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, run = run_id.0, "could not record the backfill failure; the lease runs out \
                    by itself")
            }
        }
    }
    result
}

async fn work_batches(
    svc: &Services,
    org_id: OrgId,
    run_id: RunId,
    owner: &str,
    max_batches: Option<usize>,
) -> Result<BackfillRunDto, DomainError> {
    let current = || async {
        store::backfill::run(&svc.db, org_id, run_id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))
    };
    let Some(mut run) = store::backfill::claim(&svc.db, run_id, owner, svc.now(), LEASE_MS).await? else {
        return Ok(dto(current().await?));
    };
    if run.organization_id != org_id {
        store::backfill::release(&svc.db, run_id, owner).await?;
        return Err(DomainError::Rejected(ErrorCode::NotFound));
    }
    let db = &svc.ingest.pipeline_db;
    let mut dry_seen: HashMap<String, ContactId> = HashMap::new();
    let mut batches = 0usize;
    let mut timings = Timings::default();
    let started = std::time::Instant::now();
    // Three stages overlap: batch N+2 is read and normalized, batch N+1 is looked up and
    // decided, batch N is written. Batch N+1 is decided before N's identities are
    // visible, so the numbers N is linking travel with it (`pending`).
    let mut next = tokio::spawn(fetch(db.clone(), org_id, run.cursor, run.batch_size));
    let mut writing: Option<tokio::task::JoinHandle<WriteOutcome>> = None;
    let mut pending: HashMap<String, ContactId> = HashMap::new();
    // Numbers are looked up under the spelling without the ninth digit only if the org has
    // identities spelled that way (written before Ponte, which never writes it).
    let short_spellings = store::backfill::has_short_mobile_spellings(db, org_id).await?;
    loop {
        if max_batches.is_some_and(|m| batches + usize::from(writing.is_some()) >= m) {
            next.abort();
            let stopped = !finish_write(&mut writing, &mut batches, &mut timings).await?;
            if !stopped {
                store::backfill::release(&svc.db, run_id, owner).await?;
            }
            return Ok(dto(current().await?));
        }
        let batch = next.await.map_err(|e| DomainError::Internal(e.to_string()))??;
        timings.read_ms += batch.read_ms;
        timings.normalize_ms += batch.normalize_ms;
        let Some((first, last)) = batch.range else {
            if !finish_write(&mut writing, &mut batches, &mut timings).await? {
                return Ok(dto(current().await?));
            }
            store::backfill::set_status(&svc.db, run_id, &[RunStatus::Running], RunStatus::Done, svc.now()).await?;
            tracing::info!(
                run = run_id.0,
                batches,
                elapsed_ms = started.elapsed().as_millis() as u64,
                read_ms = timings.read_ms,
                normalize_ms = timings.normalize_ms,
                lookup_ms = timings.lookup_ms,
                write_ms = timings.write_ms,
                "backfill run done"
            );
            return Ok(dto(current().await?));
        };
        next = tokio::spawn(fetch(db.clone(), org_id, last, run.batch_size));
        let t = std::time::Instant::now();
        let mut numbers: Vec<String> = batch
            .candidates
            .iter()
            .filter_map(|c| match c {
                Candidate::Phone { key, alt, .. } => {
                    Some(std::iter::once(key.clone()).chain(alt.clone().filter(|_| short_spellings)))
                }
                _ => None,
            })
            .flatten()
            .collect();
        // Probed in key order: neighbouring index pages, not a random walk per number.
        numbers.sort_unstable();
        numbers.dedup();
        let owners = store::backfill::owners(db, org_id, &numbers).await?;
        let linked = store::backfill::identities_of_range(db, first, last).await?;
        let mut p = if run.dry_run {
            plan(&batch.candidates, owners, linked, Some(&mut dry_seen))
        } else {
            plan(&batch.candidates, owners, linked, Some(&mut pending.clone()))
        };
        p.cursor = last;
        // Inserted in key order too: the unique index grows page by page.
        p.identities.sort_unstable_by(|a, b| a.1.cmp(&b.1));
        timings.lookup_ms += t.elapsed().as_millis() as u64;
        // One batch is written at a time, in order: wait for the previous one.
        if !finish_write(&mut writing, &mut batches, &mut timings).await? {
            next.abort();
            return Ok(dto(current().await?));
        }
        pending = p.identities.iter().map(|(contact, number)| (number.clone(), *contact)).collect();
        let (db, gate, run_row, owner, now) =
            (db.clone(), svc.ingest.write_gate.clone(), run.clone(), owner.to_string(), svc.now());
        writing = Some(tokio::spawn(async move {
            let t = std::time::Instant::now();
            // On SQLite the batch takes its turn with the webhook writer and the pipeline.
            let _g = lock_if_sqlite(&db, &gate).await;
            let applied = store::backfill::apply(&db, &run_row, &owner, p, now, LEASE_MS).await;
            (applied.map(|a| a.is_some()), t.elapsed().as_millis() as u64)
        }));
        run.cursor = last;
    }
}

/// A batch write's outcome (written, or the run is no longer ours) and its duration.
type WriteOutcome = (Result<bool, sqlx::Error>, u64);

/// Waits for the batch being written, if any. False when the run stopped being this
/// process's (paused, cancelled, taken over): nothing of that batch was written.
async fn finish_write(
    writing: &mut Option<tokio::task::JoinHandle<WriteOutcome>>,
    batches: &mut usize,
    timings: &mut Timings,
) -> Result<bool, DomainError> {
    let Some(handle) = writing.take() else { return Ok(true) };
    let (applied, ms) = handle.await.map_err(|e| DomainError::Internal(e.to_string()))?;
    timings.write_ms += ms;
    if applied? {
        *batches += 1;
        Ok(true)
    } else {
        Ok(false)
    }
}

/// Where a run's time went (logged when it is done).
#[derive(Default)]
struct Timings {
    read_ms: u64,
    normalize_ms: u64,
    lookup_ms: u64,
    write_ms: u64,
}

/// A batch read after `cursor` and normalized; `range` is its first and last contact id.
struct Fetched {
    candidates: Vec<Candidate>,
    range: Option<(ContactId, ContactId)>,
    read_ms: u64,
    normalize_ms: u64,
}

async fn fetch(db: store::Db, org_id: OrgId, cursor: ContactId, size: i64) -> Result<Fetched, DomainError> {
    let t = std::time::Instant::now();
    let contacts = store::backfill::contacts_after(&db, org_id, cursor, size).await?;
    let read_ms = t.elapsed().as_millis() as u64;
    let range = contacts.first().map(|c| c.0).zip(contacts.last().map(|c| c.0));
    let t = std::time::Instant::now();
    let candidates = normalize_batch(contacts).await;
    Ok(Fetched { candidates, range, read_ms, normalize_ms: t.elapsed().as_millis() as u64 })
}
