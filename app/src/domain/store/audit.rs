//! The audit trail: who did what, to which org, when.

use super::{on_db, Db};
use crate::model::{AuditId, OrgId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: AuditId,
    pub actor: String,
    pub action: String,
    pub organization_id: Option<OrgId>,
    pub detail: String,
    pub at: i64,
}

pub async fn record(
    db: &Db,
    actor: &str,
    action: &str,
    org: Option<OrgId>,
    detail: &serde_json::Value,
    now: i64,
) -> Result<(), sqlx::Error> {
    let detail = detail.to_string();
    on_db!(db, |pool| {
        sqlx::query("INSERT INTO audit_log (actor, action, organization_id, detail, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(actor)
            .bind(action)
            .bind(org.map(|o| o.0))
            .bind(&detail)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

pub async fn recent(db: &Db, org: Option<OrgId>, limit: i64) -> Result<Vec<AuditRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, AuditRow>(
            "SELECT id, actor, action, organization_id, detail, at FROM audit_log \
             WHERE ($1 IS NULL OR organization_id = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(org.map(|o| o.0))
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

/// The org's entries of one action, newest first (e.g. its lifecycle changes).
pub async fn of_action(db: &Db, org: OrgId, action: &str, limit: i64) -> Result<Vec<AuditRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, AuditRow>(
            "SELECT id, actor, action, organization_id, detail, at FROM audit_log \
             WHERE organization_id = $1 AND action = $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(org)
        .bind(action)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}
