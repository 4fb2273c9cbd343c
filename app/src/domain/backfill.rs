//! WhatsApp identity backfill for an org's existing contacts: batches in contact-id order
//! (keyset), phones normalized like live ingestion (default region BR, the mobile ninth
//! digit restored), one short transaction per batch that also moves the run's checkpoint.
//! Idempotent (a second run changes nothing), resumable (a stopped run goes on after its
//! checkpoint), and safe beside live ingestion: an identity created meanwhile is found,
//! never overwritten; every clash becomes a conflict row, open for reconciliation.
//!
//! A batch is decided in memory (`plan`) from two set-based reads, then written with three
//! set-based statements: per contact there is no round trip, which is what makes a
//! million contacts a matter of seconds. A run is worked by the process holding its lease
//! (`store::backfill::claim`): a run left `running` by a process that died is taken over
//! by the next process's runner once the lease runs out.

use super::error::DomainError;
use super::identity::phone::{normalize_phone, without_ninth_digit, PhoneError};
use super::ingest::writer::lock_if_sqlite;
use super::report::{self, CsvReport};
use super::store::{
    self,
    backfill::{BatchPlan, NewConflict, Owner, RunRow},
};
use super::{orgs, Actor, Services};
use crate::model::*;
pub use crate::model::{BackfillRunDto, OrgBackfillDto, WaveStart};
use std::collections::HashMap;

/// How long a run stays a process's after its last checkpoint.
pub const LEASE_MS: i64 = 30_000;
pub const DEFAULT_BATCH_SIZE: i64 = 10_000;
/// Batches refused in a row after which a run stops as `failed`.
pub const MAX_FAILURES: i64 = 10;

fn dto(r: RunRow) -> BackfillRunDto {
    // Counted at the start; contacts created meanwhile (live messages) are handled too.
    let total = r.total.max(r.processed);
    let elapsed_s = (r.updated_at - r.started_at) as f64 / 1000.0;
    let rate = if elapsed_s > 0.0 { r.processed as f64 / elapsed_s } else { 0.0 };
    let eta_seconds =
        (r.status == RunStatus::Running && rate > 0.0).then(|| ((total - r.processed) as f64 / rate).ceil() as i64);
    BackfillRunDto {
        id: r.id,
        status: r.status,
        dry_run: r.dry_run,
        batch_size: r.batch_size,
        total,
        processed: r.processed,
        created: r.created,
        skipped: r.skipped,
        conflicts: r.conflicts,
        invalid: r.invalid,
        empty: r.empty,
        started_at: r.started_at,
        updated_at: r.updated_at,
        finished_at: r.finished_at,
        wave: r.wave,
        failures: r.failures,
        last_error: r.last_error,
        rate: (rate * 10.0).round() / 10.0,
        eta_seconds,
    }
}

/// Starts a run (its batches are worked by a runner: see `run_next` and `run_batches`).
/// An org has at most one run going (running or paused) at a time.
pub async fn start(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    dry_run: bool,
    batch_size: i64,
) -> Result<BackfillRunDto, DomainError> {
    start_in_wave(svc, actor, slug, dry_run, batch_size, None).await
}

async fn start_in_wave(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    dry_run: bool,
    batch_size: i64,
    wave: Option<&str>,
) -> Result<BackfillRunDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    if !(1..=50_000).contains(&batch_size) {
        return Err(DomainError::field("batch_size", ErrorCode::NumberInvalid));
    }
    let active = store::backfill::runs(&svc.db, org.id, 1).await?;
    if active.first().is_some_and(|r| RunStatus::ACTIVE.contains(&r.status)) {
        return Err(DomainError::Rejected(ErrorCode::RunAlreadyActive));
    }
    let run = store::backfill::create_run(&svc.db, org.id, dry_run, batch_size, wave, &actor.0, svc.now()).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "backfill.start",
        Some(OrgId(org.id)),
        &serde_json::json!({"run_id": run.id, "dry_run": dry_run, "wave": wave}),
        svc.now(),
    )
    .await?;
    svc.backfill_signal.notify_waiters();
    Ok(dto(run))
}

/// Starts a run for each of several orgs at once, under one wave label. An org that
/// cannot start (unknown, or a run already going) is reported, not fatal to the others.
pub async fn start_wave(
    svc: &Services,
    actor: &Actor,
    slugs: &[String],
    dry_run: bool,
    batch_size: i64,
) -> Result<(String, Vec<WaveStart>), DomainError> {
    if slugs.is_empty() || slugs.len() > 500 {
        return Err(DomainError::field("orgs", ErrorCode::Required));
    }
    let wave = format!(
        "onda-{}",
        chrono::DateTime::from_timestamp_millis(svc.now()).unwrap_or_default().format("%Y%m%d-%H%M%S")
    );
    let mut out = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let r = start_in_wave(svc, actor, slug, dry_run, batch_size, Some(&wave)).await;
        out.push(match r {
            Ok(run) => WaveStart { slug: slug.clone(), run: Some(run), error: None },
            Err(e) => WaveStart { slug: slug.clone(), run: None, error: Some(AppError::from(e).message) },
        });
    }
    Ok((wave, out))
}

/// The canonical WhatsApp key of a stored phone, and the spelling without the BR ninth digit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Candidate {
    Phone { contact_id: i64, raw: String, key: String, alt: Option<String> },
    Invalid { contact_id: i64, raw: String },
    Empty,
}

fn candidate(contact_id: i64, phone: Option<String>) -> Candidate {
    let Some(raw) = phone.filter(|p| !p.trim().is_empty()) else { return Candidate::Empty };
    match normalize_phone(&raw) {
        Ok(key) => Candidate::Phone { contact_id, raw, alt: without_ninth_digit(&key), key },
        Err(PhoneError::Empty) => Candidate::Empty,
        Err(PhoneError::Invalid) => Candidate::Invalid { contact_id, raw },
    }
}

/// Normalizes a batch off the async workers (parsing phones is the CPU part of the
/// backfill), on every core but one: the lookups and writes of the batches before it run
/// at the same time and need one.
async fn normalize_batch(contacts: Vec<(i64, Option<String>)>) -> Vec<Candidate> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).saturating_sub(1).max(1);
    tokio::task::spawn_blocking(move || {
        let chunk = contacts.len().div_ceil(threads).max(256);
        std::thread::scope(|s| {
            let handles: Vec<_> = contacts
                .chunks(chunk)
                .map(|part| s.spawn(move || part.iter().map(|(id, p)| candidate(*id, p.clone())).collect::<Vec<_>>()))
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
        })
    })
    .await
    .unwrap_or_default()
}

/// Who holds a number while a batch is decided.
#[derive(Clone, Copy, Debug)]
struct Holder {
    contact_id: i64,
    /// The holder's own typed phone is this number: two contacts of the org share it.
    same_phone: bool,
}

/// Decides a batch: which numbers to link, which clashes to record. `owners` are the
/// identities that already hold any of the batch's numbers, `linked` the WhatsApp
/// identities the batch's contacts already have; `dry_seen` carries a dry run's
/// would-be links from batch to batch (a real run finds them in the database).
fn plan(
    candidates: &[Candidate],
    owners: Vec<Owner>,
    linked: Vec<(i64, String)>,
    mut dry_seen: Option<&mut HashMap<String, i64>>,
) -> BatchPlan {
    let mut holders: HashMap<String, Holder> = owners
        .into_iter()
        .map(|o| {
            let same_phone =
                o.phone.as_deref().and_then(|p| normalize_phone(p).ok()).as_deref() == Some(&o.external_id);
            (o.external_id, Holder { contact_id: o.contact_id, same_phone })
        })
        .collect();
    if let Some(seen) = dry_seen.as_deref() {
        for c in candidates {
            if let Candidate::Phone { key, alt, .. } = c {
                for n in std::iter::once(key).chain(alt.as_ref()) {
                    if let Some(&contact_id) = seen.get(n) {
                        holders.entry(n.clone()).or_insert(Holder { contact_id, same_phone: true });
                    }
                }
            }
        }
    }
    let mut has_whatsapp: HashMap<i64, String> = HashMap::new();
    for (contact_id, number) in linked {
        has_whatsapp.entry(contact_id).or_insert(number);
    }
    let mut p = BatchPlan { processed: candidates.len() as i64, ..BatchPlan::default() };
    for c in candidates {
        match c {
            Candidate::Empty => p.tally.empty += 1,
            Candidate::Invalid { contact_id, raw } => {
                p.tally.invalid += 1;
                p.conflicts.push(NewConflict {
                    kind: ConflictKind::InvalidPhone,
                    external_id: raw.chars().take(64).collect(),
                    contact_id: *contact_id,
                    other_contact_id: None,
                    phone_raw: raw.clone(),
                    detail: Note::new(NoteCode::PhoneOffPlan),
                });
            }
            Candidate::Phone { contact_id, raw, key, alt } => {
                let holder = holders.get(key).or_else(|| alt.as_ref().and_then(|a| holders.get(a))).copied();
                let conflict = |kind: ConflictKind, other: Option<i64>, detail: Note| NewConflict {
                    kind,
                    external_id: key.clone(),
                    contact_id: *contact_id,
                    other_contact_id: other,
                    phone_raw: raw.clone(),
                    detail,
                };
                match holder {
                    Some(h) if h.contact_id == *contact_id => p.tally.skipped += 1,
                    Some(h) => {
                        p.tally.conflicts += 1;
                        p.conflicts.push(if h.same_phone {
                            conflict(
                                ConflictKind::DuplicatePhone,
                                Some(h.contact_id),
                                Note::new(NoteCode::DuplicatePhone),
                            )
                        } else {
                            conflict(ConflictKind::NumberTaken, Some(h.contact_id), Note::new(NoteCode::NumberTaken))
                        });
                    }
                    None => match has_whatsapp.get(contact_id) {
                        Some(existing) => {
                            p.tally.conflicts += 1;
                            p.conflicts.push(conflict(
                                ConflictKind::NormalizesDifferently,
                                None,
                                Note::new(NoteCode::OtherWhatsapp).with("number", existing),
                            ));
                        }
                        None => {
                            p.tally.created += 1;
                            holders.insert(key.clone(), Holder { contact_id: *contact_id, same_phone: true });
                            has_whatsapp.insert(*contact_id, key.clone());
                            if let Some(seen) = dry_seen.as_deref_mut() {
                                seen.insert(key.clone(), *contact_id);
                            }
                            p.identities.push((*contact_id, key.clone()));
                        }
                    },
                }
            }
        }
    }
    p
}

/// Works a run: claims its lease, then batch after batch until it is done, paused or
/// cancelled (or `max_batches` were done: a stop in the middle, as a crash would leave it).
/// Nothing happens when another live process holds the run.
pub async fn run_batches(
    svc: &Services,
    slug: &str,
    run_id: i64,
    max_batches: Option<usize>,
) -> Result<BackfillRunDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let owner = format!("run-{}", super::auth::random_token());
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
            tracing::warn!(error = %e, run = run_id, "backfill batch failed; it is retried from its checkpoint");
            Err(e)
        }
    }
}

/// Works a run; on an error (the database refused a batch: a deadlock with live ingestion
/// on PostgreSQL, a full disk…) the batch is rolled back and the lease let go at once, so
/// a runner goes on from the checkpoint after its back-off instead of after the lease.
async fn work(
    svc: &Services,
    org_id: i64,
    run_id: i64,
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
                tracing::error!(error = %err, run = run_id, "backfill run failed {MAX_FAILURES} batches in a row; \
                    stopped")
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, run = run_id, "could not record the backfill failure; the lease runs out \
                    by itself")
            }
        }
    }
    result
}

async fn work_batches(
    svc: &Services,
    org_id: i64,
    run_id: i64,
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
    let db = &svc.pipeline_db;
    let mut dry_seen: HashMap<String, i64> = HashMap::new();
    let mut batches = 0usize;
    let mut timings = Timings::default();
    let started = std::time::Instant::now();
    // Three stages overlap: batch N+2 is read and normalized, batch N+1 is looked up and
    // decided, batch N is written. Batch N+1 is decided before N's identities are
    // visible, so the numbers N is linking travel with it (`pending`).
    let mut next = tokio::spawn(fetch(db.clone(), org_id, run.cursor, run.batch_size));
    let mut writing: Option<tokio::task::JoinHandle<WriteOutcome>> = None;
    let mut pending: HashMap<String, i64> = HashMap::new();
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
                run = run_id,
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
            (db.clone(), svc.write_gate.clone(), run.clone(), owner.to_string(), svc.now());
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
    range: Option<(i64, i64)>,
    read_ms: u64,
    normalize_ms: u64,
}

async fn fetch(db: store::Db, org_id: i64, cursor: i64, size: i64) -> Result<Fetched, DomainError> {
    let t = std::time::Instant::now();
    let contacts = store::backfill::contacts_after(&db, org_id, cursor, size).await?;
    let read_ms = t.elapsed().as_millis() as u64;
    let range = contacts.first().map(|c| c.0).zip(contacts.last().map(|c| c.0));
    let t = std::time::Instant::now();
    let candidates = normalize_batch(contacts).await;
    Ok(Fetched { candidates, range, read_ms, normalize_ms: t.elapsed().as_millis() as u64 })
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

pub async fn overview(svc: &Services) -> Result<Vec<OrgBackfillDto>, DomainError> {
    let mut latest: HashMap<i64, RunRow> =
        store::backfill::latest_per_org(&svc.db).await?.into_iter().map(|r| (r.organization_id, r)).collect();
    let counts: HashMap<i64, i64> = store::backfill::contact_counts(&svc.db).await?.into_iter().collect();
    Ok(store::orgs::list(&svc.db)
        .await?
        .into_iter()
        .filter(|o| o.status != OrgStatus::Archived)
        .map(|o| OrgBackfillDto {
            contacts: counts.get(&o.id).copied().unwrap_or(0),
            run: latest.remove(&o.id).map(dto),
            slug: o.slug,
            name: o.name,
        })
        .collect())
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
    let action = action.parse::<RunAction>().map_err(|e| DomainError::field("action", e))?;
    let (from, to) = action.transition();
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
    if to == RunStatus::Running {
        svc.backfill_signal.notify_waiters();
    }
    get(svc, slug, run_id).await
}

/// A run's report as CSV: each conflict and invalid phone it recorded, then the org's
/// contacts without a phone. Opens in a spreadsheet (`;`-free, quoted where needed); the
/// kind and status read in pt-BR, the kind's code stays beside them for scripts.
pub async fn report_csv(svc: &Services, slug: &str, run_id: i64) -> Result<String, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    store::backfill::run(&svc.db, org.id, run_id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    let lines = store::backfill::report(&svc.db, org.id, run_id).await?;
    let mut report = CsvReport::new(&[
        "tipo",
        "codigo",
        "contato_id",
        "contato",
        "outro_contato_id",
        "telefone_digitado",
        "numero_normalizado",
        "detalhe",
        "situacao",
    ])?;
    for l in lines {
        report.row([
            report::kind_label(&l.kind).to_string(),
            l.kind,
            l.contact_id.map(|i| i.to_string()).unwrap_or_default(),
            l.contact_name.unwrap_or_default(),
            l.other_contact_id.map(|i| i.to_string()).unwrap_or_default(),
            l.phone_raw.unwrap_or_default(),
            l.external_id,
            l.detail.map(|d| d.message()).unwrap_or_default(),
            report::status_label(l.status).to_string(),
        ])?;
    }
    report.finish()
}

/// A contact as an existing client's base brings it (tests; the import has its own path).
pub async fn add_contact(
    svc: &Services,
    slug: &str,
    name: Option<&str>,
    phone: Option<&str>,
) -> Result<i64, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(store::backfill::insert_contact(&svc.db, org.id, name, phone, svc.now()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(id: i64, raw: &str) -> Candidate {
        candidate(id, Some(raw.to_string()))
    }

    #[test]
    fn a_batch_links_each_number_once_and_names_every_clash() {
        let batch = vec![
            phone(1, "(11) 98765-4321"),
            // The same number without the ninth digit on a second contact: two contacts share it.
            phone(2, "(11) 8765-4321"),
            phone(3, "+55 21 99876-5432"),
            phone(4, "0800"),
            candidate(5, None),
            phone(6, "5531988887777"),
            phone(7, "+55 41 99999-1111"),
        ];
        let owners = vec![
            // Number of contact 3 was linked by a live message to contact 90 (typed differently).
            Owner { external_id: "5521998765432".into(), contact_id: 90, phone: None },
            // Contact 6 already holds its number.
            Owner { external_id: "5531988887777".into(), contact_id: 6, phone: Some("31 98888-7777".into()) },
        ];
        // Contact 7 already has another WhatsApp identity.
        let linked = vec![(6, "5531988887777".to_string()), (7, "5541988881111".to_string())];
        let p = plan(&batch, owners, linked, None);
        assert_eq!(p.identities, vec![(1, "5511987654321".to_string())]);
        assert_eq!(
            (p.tally.created, p.tally.skipped, p.tally.conflicts, p.tally.invalid, p.tally.empty),
            (1, 1, 3, 1, 1)
        );
        let kinds: Vec<(ConflictKind, i64, Option<i64>)> =
            p.conflicts.iter().map(|c| (c.kind, c.contact_id, c.other_contact_id)).collect();
        assert_eq!(
            kinds,
            vec![
                (ConflictKind::DuplicatePhone, 2, Some(1)),
                (ConflictKind::NumberTaken, 3, Some(90)),
                (ConflictKind::InvalidPhone, 4, None),
                (ConflictKind::NormalizesDifferently, 7, None),
            ]
        );
        assert_eq!(p.processed, 7);
    }

    #[test]
    fn an_owner_typed_with_the_same_number_makes_a_duplicate_not_a_taken_number() {
        let owners =
            vec![Owner { external_id: "5511987654321".into(), contact_id: 9, phone: Some("11987654321".into()) }];
        let p = plan(&[phone(10, "+55 11 98765-4321")], owners, vec![], None);
        assert_eq!(p.conflicts[0].kind, ConflictKind::DuplicatePhone);
        assert_eq!(p.conflicts[0].other_contact_id, Some(9));
    }

    #[test]
    fn a_dry_run_remembers_its_would_be_links_across_batches() {
        let mut seen = HashMap::new();
        let first = plan(&[phone(1, "11987654321")], vec![], vec![], Some(&mut seen));
        assert_eq!(first.tally.created, 1);
        let second = plan(&[phone(2, "+55 (11) 98765-4321")], vec![], vec![], Some(&mut seen));
        assert_eq!((second.tally.created, second.tally.conflicts), (0, 1));
        assert_eq!(second.conflicts[0].other_contact_id, Some(1));
    }
}
