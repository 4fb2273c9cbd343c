//! WhatsApp identity backfill: runs with their checkpoint, and the batch write.

use super::{json_rows, json_values, on_db, sql_strings, Db, WritePool};
use crate::model::{ConflictKind, ConflictStatus, ContactId, Note, NoteCode, OrgId, RunId, RunStatus};
use std::collections::HashMap;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    pub id: RunId,
    pub organization_id: OrgId,
    pub status: RunStatus,
    pub dry_run: bool,
    pub batch_size: i64,
    pub cursor: ContactId,
    pub total: i64,
    pub processed: i64,
    pub created: i64,
    pub skipped: i64,
    pub conflicts: i64,
    pub invalid: i64,
    pub empty: i64,
    pub actor: String,
    pub started_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
    pub locked_by: Option<String>,
    pub lease_until: Option<i64>,
    pub wave: Option<String>,
    pub failures: i64,
    pub last_error: Option<Note>,
}

const RUN_COLUMNS: &str =
    "id, organization_id, status, dry_run, batch_size, cursor, total, processed, created, skipped, \
     conflicts, invalid, empty, actor, started_at, updated_at, finished_at, locked_by, lease_until, wave, failures, \
     last_error";

pub async fn create_run(
    db: &Db,
    org_id: OrgId,
    dry_run: bool,
    batch_size: i64,
    wave: Option<&str>,
    actor: &str,
    now: i64,
) -> Result<RunRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO backfill_runs (organization_id, dry_run, batch_size, total, wave, actor, started_at, updated_at) \
         VALUES ($1, $2, $3, (SELECT COUNT(*) FROM contacts WHERE organization_id = $1), $4, $5, $6, $6) RETURNING \
         {RUN_COLUMNS}"
    );
    on_db!(db, |pool| {
        sqlx::query_as::<_, RunRow>(&sql)
            .bind(org_id)
            .bind(dry_run)
            .bind(batch_size)
            .bind(wave)
            .bind(actor)
            .bind(now)
            .fetch_one(pool)
            .await
    })
}

/// Takes (or renews) the lease of a running run for `owner`: free, expired, or already
/// `owner`'s. `None` when the run is not running or another live process works it.
pub async fn claim(db: &Db, id: RunId, owner: &str, now: i64, lease_ms: i64) -> Result<Option<RunRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE backfill_runs SET locked_by = $1, lease_until = $2 WHERE id = $3 AND status = 'running' \
         AND (locked_by IS NULL OR lease_until IS NULL OR lease_until < $4 OR locked_by = $1) RETURNING {RUN_COLUMNS}"
    );
    on_db!(db, |pool| {
        sqlx::query_as::<_, RunRow>(&sql).bind(owner).bind(now + lease_ms).bind(id).bind(now).fetch_optional(pool).await
    })
}

/// Records a batch the database refused and lets go of the lease; after `max` refusals in
/// a row the run stops as `failed`. True when it did.
pub async fn record_failure(db: &Db, id: RunId, error: &Note, max: i64, now: i64) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_scalar::<_, RunStatus>(
            "UPDATE backfill_runs SET failures = failures + 1, last_error = $1, locked_by = NULL, lease_until = NULL, \
             updated_at = $2, \
             status = CASE WHEN failures + 1 >= $3 THEN 'failed' ELSE status END, \
             finished_at = CASE WHEN failures + 1 >= $3 THEN $2 ELSE finished_at END \
             WHERE id = $4 AND status = 'running' RETURNING status",
        )
        .bind(error)
        .bind(now)
        .bind(max)
        .bind(id)
        .fetch_optional(pool)
        .await
        .map(|s| s == Some(RunStatus::Failed))
    })
}

/// Lets go of a run's lease (a graceful stop: another process may take it at once).
pub async fn release(db: &Db, id: RunId, owner: &str) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query("UPDATE backfill_runs SET locked_by = NULL, lease_until = NULL WHERE id = $1 AND locked_by = $2")
            .bind(id)
            .bind(owner)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// The oldest running run nobody holds (new, resumed, or left by a process that died).
pub async fn next_runnable(db: &Db, now: i64) -> Result<Option<(RunId, OrgId)>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, (RunId, OrgId)>(
            "SELECT id, organization_id FROM backfill_runs WHERE status = 'running' \
             AND (locked_by IS NULL OR lease_until IS NULL OR lease_until < $1) ORDER BY id LIMIT 1",
        )
        .bind(now)
        .fetch_optional(pool)
        .await
    })
}

/// Each org's newest run (the overview of a wave of orgs).
pub async fn latest_per_org(db: &Db) -> Result<Vec<RunRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM backfill_runs WHERE id IN (SELECT MAX(id) FROM backfill_runs GROUP BY \
            organization_id)"
    );
    on_db!(db, |pool| sqlx::query_as::<_, RunRow>(&sql).fetch_all(pool).await)
}

/// Contacts per org (the overview's sizes).
pub async fn contact_counts(db: &Db) -> Result<Vec<(OrgId, i64)>, sqlx::Error> {
    on_db!(db, |pool| {
        // Smoke tests' contacts are not the client's base.
        sqlx::query_as::<_, (OrgId, i64)>(
            "SELECT organization_id, COUNT(*) FROM contacts WHERE NOT synthetic GROUP BY organization_id",
        )
        .fetch_all(pool)
        .await
    })
}

/// A line of a run's report: a conflict or invalid phone it recorded, or an empty phone.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportLine {
    pub kind: String,
    pub contact_id: Option<ContactId>,
    pub contact_name: Option<String>,
    pub other_contact_id: Option<ContactId>,
    pub phone_raw: Option<String>,
    pub external_id: String,
    pub detail: Option<Note>,
    pub status: ConflictStatus,
}

/// The run's report lines: what it recorded, then the org's contacts without a phone.
pub async fn report(db: &Db, org_id: OrgId, run_id: RunId) -> Result<Vec<ReportLine>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, ReportLine>(
            "SELECT f.kind, f.contact_id, c.name AS contact_name, f.other_contact_id, f.phone_raw, f.external_id, \
                f.detail, f.status \
             FROM identity_conflicts f LEFT JOIN contacts c ON c.id = f.contact_id \
             WHERE f.organization_id = $1 AND f.run_id = $2 \
             UNION ALL \
             SELECT 'empty_phone', c.id, c.name, NULL, c.phone, '', NULL, 'open' FROM contacts c \
             WHERE c.organization_id = $1 AND (c.phone IS NULL OR TRIM(c.phone) = '') \
             ORDER BY 1, 2",
        )
        .bind(org_id)
        .bind(run_id)
        .fetch_all(pool)
        .await
    })
}

pub async fn run(db: &Db, org_id: OrgId, id: RunId) -> Result<Option<RunRow>, sqlx::Error> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM backfill_runs WHERE organization_id = $1 AND id = $2");
    on_db!(db, |pool| sqlx::query_as::<_, RunRow>(&sql).bind(org_id).bind(id).fetch_optional(pool).await)
}

/// The org's runs, newest first (the history operators read).
pub async fn runs(db: &Db, org_id: OrgId, limit: i64) -> Result<Vec<RunRow>, sqlx::Error> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM backfill_runs WHERE organization_id = $1 ORDER BY id DESC LIMIT $2");
    on_db!(db, |pool| sqlx::query_as::<_, RunRow>(&sql).bind(org_id).bind(limit).fetch_all(pool).await)
}

pub async fn set_status(db: &Db, id: RunId, from: &[RunStatus], to: RunStatus, now: i64) -> Result<bool, sqlx::Error> {
    let list = sql_strings(from.iter().map(|s| s.as_str()));
    let finished = if to.is_finished() { "$2" } else { "NULL" };
    // Leaving `running` lets go of the lease: the process working the run sees at its next
    // checkpoint that the run is no longer its to work.
    let failures = if to == RunStatus::Running { ", failures = 0" } else { "" };
    let sql = format!(
        "UPDATE backfill_runs SET status = $1, updated_at = $2, finished_at = {finished}, locked_by = NULL, \
            lease_until = NULL{failures} \
         WHERE id = $3 AND status IN ({list})"
    );
    on_db!(db, |pool| {
        sqlx::query(&sql).bind(to).bind(now).bind(id).execute(pool).await.map(|r| r.rows_affected() == 1)
    })
}

/// The next contacts after the checkpoint, in id order (keyset pagination).
pub async fn contacts_after(
    db: &Db,
    org_id: OrgId,
    cursor: ContactId,
    limit: i64,
) -> Result<Vec<(ContactId, Option<String>)>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, (ContactId, Option<String>)>(
            "SELECT id, phone FROM contacts WHERE organization_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(org_id)
        .bind(cursor)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

/// A clash the backfill found, to record (once per contact and number: see
/// `identity_conflicts_once`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConflict {
    pub kind: ConflictKind,
    /// The normalized number (the raw phone when it is invalid).
    pub external_id: String,
    pub contact_id: ContactId,
    pub other_contact_id: Option<ContactId>,
    pub phone_raw: String,
    pub detail: Note,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub created: i64,
    pub skipped: i64,
    pub conflicts: i64,
    pub invalid: i64,
    pub empty: i64,
}

/// What one batch writes, decided before its transaction (so the write lock is held for
/// three set-based statements, not for a thousand lookups).
#[derive(Debug, Clone, Default)]
pub struct BatchPlan {
    /// (contact id, normalized number) to link.
    pub identities: Vec<(ContactId, String)>,
    pub conflicts: Vec<NewConflict>,
    pub tally: Tally,
    pub processed: i64,
    /// The last contact id of the batch: the checkpoint.
    pub cursor: ContactId,
}

/// The WhatsApp identity that owns a number, with its contact's typed phone.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Owner {
    pub external_id: String,
    pub contact_id: ContactId,
    pub phone: Option<String>,
}

/// Who owns each of the numbers in the JSON array bound at `$2`, in the org `$1`. Driven
/// from the list of numbers (one index probe each, never a scan of the org's identities,
/// which grow with the run): CROSS JOIN fixes that join order on SQLite.
fn owners_sql(db: &Db) -> String {
    format!(
        "SELECT i.external_id, i.contact_id, c.phone FROM {} \
         CROSS JOIN messaging_contact_identities AS i CROSS JOIN contacts AS c \
         WHERE i.organization_id = $1 AND i.source = 'whatsapp' AND i.external_id = n.value AND c.id = i.contact_id",
        json_values(db, "$2", "n")
    )
}

/// Who owns each of `numbers` in the org now.
pub async fn owners(db: &Db, org_id: OrgId, numbers: &[String]) -> Result<Vec<Owner>, sqlx::Error> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let list = serde_json::to_string(numbers).unwrap_or_default();
    let sql = owners_sql(db);
    on_db!(db, |pool| sqlx::query_as::<_, Owner>(&sql).bind(org_id).bind(&list).fetch_all(pool).await)
}

/// Whether the org has a WhatsApp identity spelled like a Brazilian mobile without its
/// ninth digit (`55 DD 6-9 NNNNNNN`, 12 digits). Ponte never writes that spelling; when
/// none exists a run need not look each number up under it too.
pub async fn has_short_mobile_spellings(db: &Db, org_id: OrgId) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM (SELECT 1 FROM messaging_contact_identities WHERE organization_id = $1 \
             AND source = 'whatsapp' AND LENGTH(external_id) = 12 AND external_id LIKE '55%' \
             AND SUBSTR(external_id, 5, 1) IN ('6', '7', '8', '9') LIMIT 1) AS found",
        )
        .bind(org_id)
        .fetch_one(pool)
        .await
        .map(|n| n > 0)
    })
}

/// The WhatsApp identities the contacts with ids in `first..=last` already have. Only the
/// contact-id index is usable here (a filter on the org would let the planner scan the
/// org's identities instead); other orgs' contacts inside the id range may come back,
/// and the caller only ever looks up its own batch's contacts.
pub async fn identities_of_range(
    db: &Db,
    first: ContactId,
    last: ContactId,
) -> Result<Vec<(ContactId, String)>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, (ContactId, String)>(
            "SELECT contact_id, external_id FROM messaging_contact_identities \
             WHERE contact_id BETWEEN $1 AND $2 AND source = 'whatsapp' ORDER BY id",
        )
        .bind(first)
        .bind(last)
        .fetch_all(pool)
        .await
    })
}

/// Writes one batch's plan and moves the checkpoint in one short transaction, so a crash
/// repeats at most this batch (and repeating it changes nothing: links are inserted with
/// `ON CONFLICT DO NOTHING`, conflicts are recorded once). `None` when the run is no
/// longer this process's to work (paused, cancelled, or its lease taken over): nothing
/// of the batch is written then.
pub async fn apply(
    db: &Db,
    run: &RunRow,
    owner: &str,
    mut plan: BatchPlan,
    now: i64,
    lease_ms: i64,
) -> Result<Option<Tally>, sqlx::Error> {
    let org = run.organization_id;
    let owners_sql = owners_sql(db);
    let insert_identities = format!(
        "INSERT INTO messaging_contact_identities (organization_id, contact_id, source, external_id, created_at) \
         SELECT $1, r.contact_id, 'whatsapp', r.external_id, $2 FROM {} AS r WHERE true \
         ON CONFLICT DO NOTHING",
        json_rows(db, "$3", &[("contact_id", "BIGINT"), ("external_id", "TEXT")])
    );
    let insert_conflicts = format!(
        "INSERT INTO identity_conflicts (organization_id, kind, source, external_id, contact_id, other_contact_id, \
         run_id, phone_raw, detail, created_at) \
         SELECT $1, r.kind, 'whatsapp', r.external_id, r.contact_id, r.other_contact_id, $2, r.phone_raw, r.detail, $3 \
         FROM {} AS r WHERE true ON CONFLICT DO NOTHING",
        json_rows(
            db,
            "$4",
            &[
                ("kind", "TEXT"),
                ("external_id", "TEXT"),
                ("contact_id", "BIGINT"),
                ("other_contact_id", "BIGINT"),
                ("phone_raw", "TEXT"),
                ("detail", "TEXT"),
            ],
        )
    );
    on_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        if !run.dry_run && !plan.identities.is_empty() {
            let rows = serde_json::to_string(&plan.identities).unwrap_or_default();
            let inserted = sqlx::query(&insert_identities)
                .bind(org)
                .bind(now)
                .bind(&rows)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if (inserted as usize) < plan.identities.len() {
                // A live message linked some of these numbers since the plan was made: the
                // live link stands, and the clash is recorded like any other.
                let numbers: Vec<&str> = plan.identities.iter().map(|(_, n)| n.as_str()).collect();
                let holders: HashMap<String, ContactId> = sqlx::query_as::<_, Owner>(&owners_sql)
                    .bind(org)
                    .bind(serde_json::to_string(&numbers).unwrap_or_default())
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .map(|o| (o.external_id, o.contact_id))
                    .collect();
                for (contact_id, number) in &plan.identities {
                    let owner = holders.get(number).copied();
                    if owner.is_none_or(|o| o == *contact_id) {
                        continue;
                    }
                    plan.tally.created -= 1;
                    plan.tally.conflicts += 1;
                    plan.conflicts.push(NewConflict {
                        kind: ConflictKind::NumberTaken,
                        external_id: number.clone(),
                        contact_id: *contact_id,
                        other_contact_id: owner,
                        phone_raw: number.clone(),
                        detail: Note::new(NoteCode::LinkedDuringRun),
                    });
                }
            }
        }
        if !run.dry_run && !plan.conflicts.is_empty() {
            let rows: Vec<serde_json::Value> = plan
                .conflicts
                .iter()
                .map(|c| {
                    serde_json::json!([
                        c.kind,
                        c.external_id,
                        c.contact_id,
                        c.other_contact_id,
                        c.phone_raw,
                        c.detail.to_stored()
                    ])
                })
                .collect();
            sqlx::query(&insert_conflicts)
                .bind(org)
                .bind(run.id)
                .bind(now)
                .bind(serde_json::Value::Array(rows).to_string())
                .execute(&mut *tx)
                .await?;
        }
        let t = plan.tally;
        let moved = sqlx::query(
            "UPDATE backfill_runs SET cursor = $1, processed = processed + $2, created = created + $3, \
             skipped = skipped + $4, conflicts = conflicts + $5, invalid = invalid + $6, empty = empty + $7, \
             updated_at = $8, lease_until = $9, failures = 0 \
             WHERE id = $10 AND status = 'running' AND locked_by = $11",
        )
        .bind(plan.cursor)
        .bind(plan.processed)
        .bind(t.created)
        .bind(t.skipped)
        .bind(t.conflicts)
        .bind(t.invalid)
        .bind(t.empty)
        .bind(now)
        .bind(now + lease_ms)
        .bind(run.id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        tx.commit().await?;
        Ok(Some(t))
    })
}

/// Inserts a contact (the backfill's tests and, later, the contacts import).
pub async fn insert_contact(
    db: &Db,
    org_id: OrgId,
    name: Option<&str>,
    phone: Option<&str>,
    now: i64,
) -> Result<ContactId, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO contacts (organization_id, name, phone, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(org_id)
        .bind(name)
        .bind(phone)
        .bind(now)
        .fetch_one(pool)
        .await
    })
}
