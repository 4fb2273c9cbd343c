//! Where each org's enriched events are handed off.

use super::{on_db, Db};
use crate::model::{AutomationMode, OrgId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AutomationRow {
    pub organization_id: OrgId,
    pub mode: AutomationMode,
    pub v2_url: Option<String>,
    pub fallback_url: Option<String>,
    pub timeout_ms: i64,
    pub updated_at: i64,
}

pub async fn get(db: &Db, org_id: OrgId) -> Result<Option<AutomationRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, AutomationRow>(
            "SELECT organization_id, mode, v2_url, fallback_url, timeout_ms, updated_at FROM automation_configs WHERE \
                organization_id = $1",
        )
        .bind(org_id)
        .fetch_optional(pool)
        .await
    })
}

pub async fn put(db: &Db, row: &AutomationRow) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO automation_configs (organization_id, mode, v2_url, fallback_url, timeout_ms, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (organization_id) DO UPDATE SET mode = excluded.mode, \
             v2_url = excluded.v2_url, fallback_url = excluded.fallback_url, timeout_ms = excluded.timeout_ms, \
             updated_at = excluded.updated_at",
        )
        .bind(row.organization_id)
        .bind(row.mode)
        .bind(&row.v2_url)
        .bind(&row.fallback_url)
        .bind(row.timeout_ms)
        .bind(row.updated_at)
        .execute(pool)
        .await
        .map(|_| ())
    })
}
