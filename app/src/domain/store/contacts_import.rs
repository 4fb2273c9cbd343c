//! Contacts import: the import records, their rejected rows, and the set-based upsert of
//! a batch of contacts keyed by the client's external CRM id (or, without one, by phone
//! or e-mail), so importing the same file twice creates nothing the second time.

use super::{json_rows, json_values, on_db, Db, WritePool};
use crate::model::{ImportId, ImportStatus, IssueLevel, Note, NoteCode, OrgId};
use std::collections::HashMap;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImportRow {
    pub id: ImportId,
    pub organization_id: OrgId,
    pub status: ImportStatus,
    pub filename: Option<String>,
    pub rows_read: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub warnings: i64,
    pub error: Option<Note>,
    pub actor: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, organization_id, status, filename, rows_read, created, updated, unchanged, rejected, \
     warnings, error, actor, started_at, finished_at";

pub async fn create(
    db: &Db,
    org_id: OrgId,
    filename: Option<&str>,
    actor: &str,
    now: i64,
) -> Result<ImportRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO contact_imports (organization_id, filename, actor, started_at) VALUES ($1, $2, $3, $4) RETURNING \
            {COLUMNS}"
    );
    on_db!(db, |pool| {
        sqlx::query_as::<_, ImportRow>(&sql).bind(org_id).bind(filename).bind(actor).bind(now).fetch_one(pool).await
    })
}

pub async fn get(db: &Db, org_id: OrgId, id: ImportId) -> Result<Option<ImportRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM contact_imports WHERE organization_id = $1 AND id = $2");
    on_db!(db, |pool| sqlx::query_as::<_, ImportRow>(&sql).bind(org_id).bind(id).fetch_optional(pool).await)
}

pub async fn list(db: &Db, org_id: OrgId, limit: i64) -> Result<Vec<ImportRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM contact_imports WHERE organization_id = $1 ORDER BY id DESC LIMIT $2");
    on_db!(db, |pool| sqlx::query_as::<_, ImportRow>(&sql).bind(org_id).bind(limit).fetch_all(pool).await)
}

pub async fn finish(
    db: &Db,
    id: ImportId,
    status: ImportStatus,
    error: Option<&Note>,
    now: i64,
) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query("UPDATE contact_imports SET status = $1, error = $2, finished_at = $3 WHERE id = $4")
            .bind(status)
            .bind(error)
            .bind(now)
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// Imports still `running` that started before `before`: their request is long gone (a
/// crash, or the upload timeout), so they are marked `failed`. Their batches stay.
pub async fn fail_interrupted(db: &Db, before: i64, now: i64) -> Result<u64, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
            "UPDATE contact_imports SET status = 'failed', error = $1, finished_at = $2 \
             WHERE status = 'running' AND started_at < $3",
        )
        .bind(Note::new(NoteCode::ImportInterrupted))
        .bind(now)
        .bind(before)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })
}

/// A valid row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactIn {
    pub line: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub external_ref: Option<String>,
}

/// A row rejected, or taken with a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub line: i64,
    pub level: IssueLevel,
    pub code: &'static str,
    pub message: String,
    pub raw: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub rows: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub warnings: i64,
}

type Existing = (String, i64, Option<String>, Option<String>, Option<String>);

/// Upserts a batch and records its issues and counters in one transaction: an import that
/// stops half-way has imported whole batches, and importing again goes on idempotently.
pub async fn apply_batch(
    db: &Db,
    import_id: ImportId,
    org_id: OrgId,
    rows: &[ContactIn],
    issues: &[Issue],
    mut counts: BatchCounts,
    now: i64,
) -> Result<BatchCounts, sqlx::Error> {
    let by_ref = |col: &str| {
        format!(
            "SELECT {col}, id, name, phone, email FROM contacts WHERE organization_id = $1 \
             AND {col} IN (SELECT v.value FROM {})",
            json_values(db, "$2", "v")
        )
    };
    let insert_contacts = format!(
        "INSERT INTO contacts (organization_id, name, phone, email, external_ref, created_at) \
         SELECT $1, r.name, r.phone, r.email, r.external_ref, $2 FROM {} AS r WHERE true ON CONFLICT DO NOTHING",
        json_rows(db, "$3", &[("name", "TEXT"), ("phone", "TEXT"), ("email", "TEXT"), ("external_ref", "TEXT")])
    );
    let insert_issues = format!(
        "INSERT INTO contact_import_issues (import_id, line, level, code, message, raw) \
         SELECT $1, r.line, r.level, r.code, r.message, r.raw FROM {} AS r",
        json_rows(
            db,
            "$2",
            &[("line", "BIGINT"), ("level", "TEXT"), ("code", "TEXT"), ("message", "TEXT"), ("raw", "TEXT")]
        )
    );
    let refs: Vec<&str> = rows.iter().filter_map(|r| r.external_ref.as_deref()).collect();
    let phones: Vec<&str> =
        rows.iter().filter(|r| r.external_ref.is_none()).filter_map(|r| r.phone.as_deref()).collect();
    let emails: Vec<&str> = rows
        .iter()
        .filter(|r| r.external_ref.is_none() && r.phone.is_none())
        .filter_map(|r| r.email.as_deref())
        .collect();
    let json = |v: &[&str]| serde_json::to_string(v).unwrap_or_default();
    on_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let mut existing_refs: HashMap<String, Existing> = HashMap::new();
        if !refs.is_empty() {
            let found: Vec<Existing> =
                sqlx::query_as(&by_ref("external_ref")).bind(org_id).bind(json(&refs)).fetch_all(&mut *tx).await?;
            existing_refs = found.into_iter().map(|e| (e.0.clone(), e)).collect();
        }
        let mut known: std::collections::HashSet<String> = std::collections::HashSet::new();
        if !phones.is_empty() {
            let found: Vec<Existing> =
                sqlx::query_as(&by_ref("phone")).bind(org_id).bind(json(&phones)).fetch_all(&mut *tx).await?;
            known.extend(found.into_iter().map(|e| format!("p:{}", e.0)));
        }
        if !emails.is_empty() {
            let found: Vec<Existing> =
                sqlx::query_as(&by_ref("email")).bind(org_id).bind(json(&emails)).fetch_all(&mut *tx).await?;
            known.extend(found.into_iter().map(|e| format!("e:{}", e.0)));
        }
        let mut new_rows: Vec<serde_json::Value> = Vec::new();
        for r in rows {
            if let Some(ext) = &r.external_ref {
                match existing_refs.get(ext) {
                    Some((_, id, name, phone, email)) => {
                        // A cell left empty (or a column the file lacks) keeps what is stored:
                        // an import never erases data.
                        let same = |given: &Option<String>, stored: &Option<String>| given.is_none() || given == stored;
                        if same(&r.name, name) && same(&r.phone, phone) && same(&r.email, email) {
                            counts.unchanged += 1;
                        } else {
                            // The client's CRM is the source of truth for the values it gives.
                            sqlx::query(
                                "UPDATE contacts SET name = COALESCE($1, name), phone = COALESCE($2, phone), \
                                 email = COALESCE($3, email) WHERE id = $4",
                            )
                            .bind(&r.name)
                            .bind(&r.phone)
                            .bind(&r.email)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                            counts.updated += 1;
                        }
                    }
                    None => {
                        existing_refs
                            .insert(ext.clone(), (ext.clone(), 0, r.name.clone(), r.phone.clone(), r.email.clone()));
                        new_rows.push(serde_json::json!([r.name, r.phone, r.email, r.external_ref]));
                    }
                }
            } else {
                let key = match (&r.phone, &r.email) {
                    (Some(p), _) => format!("p:{p}"),
                    (None, Some(e)) => format!("e:{e}"),
                    (None, None) => String::new(),
                };
                if !key.is_empty() && !known.insert(key) {
                    counts.unchanged += 1;
                } else {
                    new_rows.push(serde_json::json!([r.name, r.phone, r.email, r.external_ref]));
                }
            }
        }
        if !new_rows.is_empty() {
            let n = sqlx::query(&insert_contacts)
                .bind(org_id)
                .bind(now)
                .bind(serde_json::Value::Array(new_rows).to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected() as i64;
            counts.created += n;
        }
        if !issues.is_empty() {
            let rows: Vec<serde_json::Value> =
                issues.iter().map(|i| serde_json::json!([i.line, i.level, i.code, i.message, i.raw])).collect();
            sqlx::query(&insert_issues)
                .bind(import_id)
                .bind(serde_json::Value::Array(rows).to_string())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE contact_imports SET rows_read = rows_read + $1, created = created + $2, updated = updated + $3, \
             unchanged = unchanged + $4, rejected = rejected + $5, warnings = warnings + $6 WHERE id = $7",
        )
        .bind(counts.rows)
        .bind(counts.created)
        .bind(counts.updated)
        .bind(counts.unchanged)
        .bind(counts.rejected)
        .bind(counts.warnings)
        .bind(import_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(counts)
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IssueRow {
    pub line: i64,
    pub level: IssueLevel,
    pub code: String,
    pub message: String,
    pub raw: String,
}

/// An import's issues in file order, a page at a time (`after` a line).
pub async fn issues(db: &Db, import_id: ImportId, after: i64, limit: i64) -> Result<Vec<(i64, IssueRow)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        #[sqlx(flatten)]
        issue: IssueRow,
    }
    on_db!(db, |pool| {
        sqlx::query_as::<_, Row>(
            "SELECT id, line, level, code, message, raw FROM contact_import_issues WHERE import_id = $1 AND id > $2 \
                ORDER BY id LIMIT $3",
        )
        .bind(import_id)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
        .map(|rows| rows.into_iter().map(|r| (r.id, r.issue)).collect())
    })
}
