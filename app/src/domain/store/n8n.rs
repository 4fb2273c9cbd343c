//! Each org's n8n connection and workflows, the record of rollbacks and roll-forwards, and
//! incidents.

use super::{on_db, Db};
use crate::model::{ActionId, ActionKind, ActionOutcome, IncidentId, IncidentStatus, Note, OrgId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct N8nRow {
    pub organization_id: OrgId,
    pub base_url: String,
    pub api_key_enc: String,
    pub v2_workflow_id: Option<String>,
    pub v2_template_version: Option<String>,
    pub fallback_workflow_id: Option<String>,
    pub updated_at: i64,
}

pub async fn get(db: &Db, org_id: OrgId) -> Result<Option<N8nRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, N8nRow>(
            "SELECT organization_id, base_url, api_key_enc, v2_workflow_id, v2_template_version, \
                fallback_workflow_id, updated_at \
             FROM n8n_configs WHERE organization_id = $1",
        )
        .bind(org_id)
        .fetch_optional(pool)
        .await
    })
}

pub async fn put(db: &Db, r: &N8nRow) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO n8n_configs (organization_id, base_url, api_key_enc, v2_workflow_id, v2_template_version, \
                fallback_workflow_id, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (organization_id) DO UPDATE SET base_url = \
             excluded.base_url, \
             api_key_enc = excluded.api_key_enc, v2_workflow_id = excluded.v2_workflow_id, \
             v2_template_version = excluded.v2_template_version, fallback_workflow_id = excluded.fallback_workflow_id, \
             updated_at = excluded.updated_at",
        )
        .bind(r.organization_id)
        .bind(&r.base_url)
        .bind(&r.api_key_enc)
        .bind(&r.v2_workflow_id)
        .bind(&r.v2_template_version)
        .bind(&r.fallback_workflow_id)
        .bind(r.updated_at)
        .execute(pool)
        .await
        .map(|_| ())
    })
}

pub struct NewAction<'a> {
    pub organization_id: OrgId,
    pub action: ActionKind,
    pub actor: &'a str,
    pub reason: Option<&'a str>,
    pub steps: &'a str,
    pub outcome: ActionOutcome,
    pub at: i64,
}

pub async fn record_action(db: &Db, a: &NewAction<'_>) -> Result<ActionId, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO automation_actions (organization_id, action, actor, reason, steps, outcome, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(a.organization_id)
        .bind(a.action)
        .bind(a.actor)
        .bind(a.reason)
        .bind(a.steps)
        .bind(a.outcome)
        .bind(a.at)
        .fetch_one(pool)
        .await
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActionRow {
    pub id: ActionId,
    pub action: ActionKind,
    pub actor: String,
    pub reason: Option<String>,
    pub steps: String,
    pub outcome: ActionOutcome,
    pub at: i64,
}

pub async fn actions(db: &Db, org_id: OrgId, limit: i64) -> Result<Vec<ActionRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, ActionRow>(
            "SELECT id, action, actor, reason, steps, outcome, at FROM automation_actions WHERE organization_id = $1 \
                ORDER BY id DESC LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

pub async fn open_incident(
    db: &Db,
    org_id: OrgId,
    title: &Note,
    reason: Option<&str>,
    by: &str,
    now: i64,
) -> Result<IncidentId, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO incidents (organization_id, title, reason, opened_by, opened_at) VALUES ($1, $2, $3, $4, $5) \
                RETURNING id",
        )
        .bind(org_id)
        .bind(title)
        .bind(reason)
        .bind(by)
        .bind(now)
        .fetch_one(pool)
        .await
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IncidentRow {
    pub id: IncidentId,
    pub title: Note,
    pub reason: Option<String>,
    pub status: IncidentStatus,
    pub opened_by: String,
    pub opened_at: i64,
    pub resolved_at: Option<i64>,
}

pub async fn incidents(db: &Db, org_id: OrgId, limit: i64) -> Result<Vec<IncidentRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, IncidentRow>(
            "SELECT id, title, reason, status, opened_by, opened_at, resolved_at FROM incidents WHERE organization_id \
                = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}
