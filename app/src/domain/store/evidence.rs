//! Go-live evidence rows (migration 0016); the bytes are in the object store.

use super::{on_db, Db};
use crate::model::{EvidenceType, OrgId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EvidenceRow {
    pub id: i64,
    pub organization_id: OrgId,
    pub scope: String,
    pub sha256: String,
    pub size: i64,
    pub kind: EvidenceType,
    pub name: String,
    pub note: Option<String>,
    pub object_key: String,
    pub uploaded_by: String,
    pub uploaded_at: i64,
}

const COLUMNS: &str =
    "id, organization_id, scope, sha256, size, kind, name, note, object_key, uploaded_by, uploaded_at";

pub async fn find(db: &Db, org: OrgId, scope: &str, sha256: &str) -> Result<Option<EvidenceRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM evidence WHERE organization_id = $1 AND scope = $2 AND sha256 = $3");
    on_db!(db, |pool| sqlx::query_as::<_, EvidenceRow>(&sql)
        .bind(org)
        .bind(scope)
        .bind(sha256)
        .fetch_optional(pool)
        .await)
}

/// Inserts the row; `None` when the same file of the scope was inserted meanwhile.
pub async fn insert(db: &Db, r: &EvidenceRow) -> Result<Option<i64>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO evidence (organization_id, scope, sha256, size, kind, name, note, object_key, uploaded_by, \
             uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (organization_id, scope, sha256) DO NOTHING RETURNING id",
        )
        .bind(r.organization_id)
        .bind(&r.scope)
        .bind(&r.sha256)
        .bind(r.size)
        .bind(r.kind)
        .bind(&r.name)
        .bind(&r.note)
        .bind(&r.object_key)
        .bind(&r.uploaded_by)
        .bind(r.uploaded_at)
        .fetch_optional(pool)
        .await
    })
}

/// The org's evidence, oldest first.
pub async fn of_org(db: &Db, org: OrgId) -> Result<Vec<EvidenceRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM evidence WHERE organization_id = $1 ORDER BY id");
    on_db!(db, |pool| sqlx::query_as::<_, EvidenceRow>(&sql).bind(org).fetch_all(pool).await)
}

pub async fn by_id(db: &Db, org: OrgId, id: i64) -> Result<Option<EvidenceRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM evidence WHERE organization_id = $1 AND id = $2");
    on_db!(db, |pool| sqlx::query_as::<_, EvidenceRow>(&sql).bind(org).bind(id).fetch_optional(pool).await)
}

/// Deletes the row; false when it was already gone.
pub async fn delete(db: &Db, org: OrgId, id: i64) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| sqlx::query("DELETE FROM evidence WHERE organization_id = $1 AND id = $2")
        .bind(org)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() > 0))
}
