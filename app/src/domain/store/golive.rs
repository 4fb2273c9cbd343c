//! Go-live records (migration 0017): one per org, with its frozen snapshot.

use super::{on_db, Db};
use crate::model::{Lifecycle, OrgId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GoLiveRow {
    pub id: i64,
    pub organization_id: OrgId,
    pub target: Lifecycle,
    pub live_at: i64,
    pub recorded_at: i64,
    pub technical_owner: String,
    pub approver: String,
    pub override_reason: Option<String>,
    pub lead_time_days: Option<i64>,
    pub snapshot: String,
    pub snapshot_sha256: String,
}

const COLUMNS: &str = "id, organization_id, target, live_at, recorded_at, technical_owner, approver, \
                       override_reason, lead_time_days, snapshot, snapshot_sha256";

pub async fn of_org(db: &Db, org: OrgId) -> Result<Option<GoLiveRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM go_live WHERE organization_id = $1");
    on_db!(db, |pool| sqlx::query_as::<_, GoLiveRow>(&sql).bind(org).fetch_optional(pool).await)
}

/// Every record, for the rollout board.
pub async fn all(db: &Db) -> Result<Vec<GoLiveRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM go_live ORDER BY id");
    on_db!(db, |pool| sqlx::query_as::<_, GoLiveRow>(&sql).fetch_all(pool).await)
}

/// Inserts the record; `None` when the org already has one.
pub async fn insert(db: &Db, r: &GoLiveRow) -> Result<Option<i64>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO go_live (organization_id, target, live_at, recorded_at, technical_owner, approver, \
             override_reason, lead_time_days, snapshot, snapshot_sha256) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (organization_id) DO NOTHING RETURNING id",
        )
        .bind(r.organization_id)
        .bind(r.target)
        .bind(r.live_at)
        .bind(r.recorded_at)
        .bind(&r.technical_owner)
        .bind(&r.approver)
        .bind(&r.override_reason)
        .bind(r.lead_time_days)
        .bind(&r.snapshot)
        .bind(&r.snapshot_sha256)
        .fetch_optional(pool)
        .await
    })
}

/// Takes back a record whose lifecycle move failed (someone moved the org meanwhile).
pub async fn delete(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| sqlx::query("DELETE FROM go_live WHERE id = $1").bind(id).execute(pool).await.map(|_| ()))
}

/// The org's production start is the record's, not the instant of the lifecycle move.
pub async fn set_activated_at(db: &Db, org: OrgId, at: i64) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| sqlx::query("UPDATE organizations SET activated_at = $2 WHERE id = $1")
        .bind(org)
        .bind(at)
        .execute(pool)
        .await
        .map(|_| ()))
}
