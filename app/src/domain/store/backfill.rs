//! WhatsApp identity backfill: runs with their checkpoint, and the batch write.

use super::{on_db, sql_strings, Db, WritePool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    pub id: i64,
    pub organization_id: i64,
    pub status: String,
    pub dry_run: bool,
    pub batch_size: i64,
    pub cursor: i64,
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
}

const RUN_COLUMNS: &str =
    "id, organization_id, status, dry_run, batch_size, cursor, total, processed, created, skipped, \
     conflicts, invalid, empty, actor, started_at, updated_at, finished_at";

pub async fn create_run(
    db: &Db,
    org_id: i64,
    dry_run: bool,
    batch_size: i64,
    actor: &str,
    now: i64,
) -> Result<RunRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO backfill_runs (organization_id, dry_run, batch_size, total, actor, started_at, updated_at) \
         VALUES ($1, $2, $3, (SELECT COUNT(*) FROM contacts WHERE organization_id = $1), $4, $5, $5) RETURNING {RUN_COLUMNS}"
    );
    on_db!(db, pool => {
        sqlx::query_as::<_, RunRow>(&sql).bind(org_id).bind(dry_run).bind(batch_size).bind(actor).bind(now).fetch_one(pool).await
    })
}

pub async fn run(db: &Db, org_id: i64, id: i64) -> Result<Option<RunRow>, sqlx::Error> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM backfill_runs WHERE organization_id = $1 AND id = $2");
    on_db!(db, pool => sqlx::query_as::<_, RunRow>(&sql).bind(org_id).bind(id).fetch_optional(pool).await)
}

/// The org's runs, newest first (the history operators read).
pub async fn runs(db: &Db, org_id: i64, limit: i64) -> Result<Vec<RunRow>, sqlx::Error> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM backfill_runs WHERE organization_id = $1 ORDER BY id DESC LIMIT $2");
    on_db!(db, pool => sqlx::query_as::<_, RunRow>(&sql).bind(org_id).bind(limit).fetch_all(pool).await)
}

pub async fn set_status(db: &Db, id: i64, from: &[&str], to: &str, now: i64) -> Result<bool, sqlx::Error> {
    let list = sql_strings(from);
    let finished = if matches!(to, "done" | "cancelled" | "failed") { "$2" } else { "NULL" };
    let sql = format!(
        "UPDATE backfill_runs SET status = $1, updated_at = $2, finished_at = {finished} WHERE id = $3 AND status IN ({list})"
    );
    on_db!(db, pool => {
        sqlx::query(&sql).bind(to).bind(now).bind(id).execute(pool).await.map(|r| r.rows_affected() == 1)
    })
}

/// The next contacts after the checkpoint, in id order (keyset pagination).
pub async fn contacts_after(
    db: &Db,
    org_id: i64,
    cursor: i64,
    limit: i64,
) -> Result<Vec<(i64, Option<String>)>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_as::<_, (i64, Option<String>)>(
            "SELECT id, phone FROM contacts WHERE organization_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(org_id).bind(cursor).bind(limit)
        .fetch_all(pool)
        .await
    })
}

/// One contact of a batch, already normalized.
#[derive(Debug, Clone)]
pub enum Candidate {
    Phone {
        contact_id: i64,
        raw: String,
        key: String,
        alt: Option<String>,
    },
    Invalid {
        contact_id: i64,
        raw: String,
    },
    Empty,
    /// A dry run's second contact with a number seen earlier in the run (a real run finds
    /// the first one's identity in the database instead).
    SeenInDryRun,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub created: i64,
    pub skipped: i64,
    pub conflicts: i64,
    pub invalid: i64,
    pub empty: i64,
}

const CONFLICT_SQL: &str = "INSERT INTO identity_conflicts (organization_id, kind, source, external_id, contact_id, \
     other_contact_id, run_id, phone_raw, detail, created_at) VALUES ($1, $2, 'whatsapp', $3, $4, $5, $6, $7, $8, $9)";

/// Applies one batch and moves the run's checkpoint in the same short transaction, so a
/// crash repeats at most this batch (and repeating it changes nothing: existing links are
/// found, never overwritten). A dry run writes only its counters.
pub async fn apply_batch(
    db: &Db,
    run: &RunRow,
    batch: &[Candidate],
    last_id: i64,
    now: i64,
) -> Result<Tally, sqlx::Error> {
    let org = run.organization_id;
    on_db!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let mut t = Tally::default();
        for c in batch {
            match c {
                Candidate::Empty => t.empty += 1,
                Candidate::SeenInDryRun => t.conflicts += 1,
                Candidate::Invalid { contact_id, raw } => {
                    t.invalid += 1;
                    if !run.dry_run {
                        sqlx::query(CONFLICT_SQL)
                            .bind(org).bind("invalid_phone").bind(raw).bind(contact_id).bind(None::<i64>).bind(run.id).bind(raw)
                            .bind("telefone fora do plano de numeração: não importado").bind(now)
                            .execute(&mut *tx).await?;
                    }
                }
                Candidate::Phone { contact_id, raw, key, alt } => {
                    let alt = alt.as_deref().unwrap_or(key);
                    let owners: Vec<(i64, String)> = sqlx::query_as(
                        "SELECT contact_id, external_id FROM messaging_contact_identities \
                         WHERE organization_id = $1 AND source = 'whatsapp' AND (external_id = $2 OR external_id = $3) ORDER BY id",
                    )
                    .bind(org).bind(key).bind(alt)
                    .fetch_all(&mut *tx).await?;
                    let (kind, other, detail) = if let Some((owner, _)) = owners.first() {
                        if owner == contact_id {
                            t.skipped += 1;
                            continue;
                        }
                        ("number_taken", Some(*owner), "o número já está ligado a outro contato da organização")
                    } else {
                        let own: Option<String> = sqlx::query_scalar(
                            "SELECT external_id FROM messaging_contact_identities WHERE organization_id = $1 AND contact_id = $2 AND source = 'whatsapp' LIMIT 1",
                        )
                        .bind(org).bind(contact_id)
                        .fetch_optional(&mut *tx).await?;
                        if own.is_some() {
                            ("normalizes_differently", None, "o contato já tem outra identidade de WhatsApp")
                        } else if run.dry_run {
                            t.created += 1;
                            continue;
                        } else {
                            let inserted = sqlx::query(
                                "INSERT INTO messaging_contact_identities (organization_id, contact_id, source, external_id, created_at) \
                                 VALUES ($1, $2, 'whatsapp', $3, $4) ON CONFLICT (organization_id, source, external_id) DO NOTHING",
                            )
                            .bind(org).bind(contact_id).bind(key).bind(now)
                            .execute(&mut *tx).await?
                            .rows_affected();
                            if inserted == 1 {
                                t.created += 1;
                                continue;
                            }
                            ("number_taken", None, "o número foi ligado a outro contato durante a execução")
                        }
                    };
                    t.conflicts += 1;
                    if !run.dry_run {
                        sqlx::query(CONFLICT_SQL)
                            .bind(org).bind(kind).bind(key).bind(contact_id).bind(other).bind(run.id).bind(raw).bind(detail).bind(now)
                            .execute(&mut *tx).await?;
                    }
                }
            }
        }
        sqlx::query(
            "UPDATE backfill_runs SET cursor = $1, processed = processed + $2, created = created + $3, skipped = skipped + $4, \
             conflicts = conflicts + $5, invalid = invalid + $6, empty = empty + $7, updated_at = $8 WHERE id = $9",
        )
        .bind(last_id).bind(batch.len() as i64).bind(t.created).bind(t.skipped).bind(t.conflicts).bind(t.invalid).bind(t.empty)
        .bind(now).bind(run.id)
        .execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(t)
    })
}

/// Inserts a contact (the backfill's tests and, later, the contacts import).
pub async fn insert_contact(
    db: &Db,
    org_id: i64,
    name: Option<&str>,
    phone: Option<&str>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_scalar("INSERT INTO contacts (organization_id, name, phone, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(org_id).bind(name).bind(phone).bind(now)
            .fetch_one(pool)
            .await
    })
}
