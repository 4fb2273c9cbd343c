//! The webhook event inbox and each org's Chatwoot connection.

use super::{on_db, Db};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChatwootConfigRow {
    pub organization_id: i64,
    pub base_url: Option<String>,
    pub account_id: Option<i64>,
    pub webhook_secret_enc: Option<String>,
    pub api_token_enc: Option<String>,
    pub inbox_sources: String,
    pub updated_at: i64,
}

pub async fn config(db: &Db, org_id: i64) -> Result<Option<ChatwootConfigRow>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_as::<_, ChatwootConfigRow>(
            "SELECT organization_id, base_url, account_id, webhook_secret_enc, api_token_enc, inbox_sources, updated_at \
             FROM chatwoot_configs WHERE organization_id = $1",
        )
        .bind(org_id)
        .fetch_optional(pool)
        .await
    })
}

pub async fn put_config(db: &Db, row: &ChatwootConfigRow) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query(
            "INSERT INTO chatwoot_configs (organization_id, base_url, account_id, webhook_secret_enc, api_token_enc, inbox_sources, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (organization_id) DO UPDATE SET base_url = excluded.base_url, account_id = excluded.account_id, \
             webhook_secret_enc = excluded.webhook_secret_enc, api_token_enc = excluded.api_token_enc, \
             inbox_sources = excluded.inbox_sources, updated_at = excluded.updated_at",
        )
        .bind(row.organization_id)
        .bind(&row.base_url)
        .bind(row.account_id)
        .bind(&row.webhook_secret_enc)
        .bind(&row.api_token_enc)
        .bind(&row.inbox_sources)
        .bind(row.updated_at)
        .execute(pool)
        .await
        .map(|_| ())
    })
}

pub struct NewEvent<'a> {
    pub organization_id: i64,
    pub event: &'a str,
    pub dedupe_key: &'a str,
    pub delivery_id: Option<&'a str>,
    pub payload: &'a str,
    pub received_at: i64,
    pub status: &'a str,
}

/// Stores an event unless its dedupe key is known. Returns the row id and whether it was
/// new; the insert is committed when this returns (the caller may then answer 2xx).
pub async fn insert_event(db: &Db, e: &NewEvent<'_>) -> Result<(i64, bool), sqlx::Error> {
    on_db!(db, pool => {
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO webhook_events (organization_id, event, dedupe_key, delivery_id, payload, received_at, status, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $6) ON CONFLICT (organization_id, dedupe_key) DO NOTHING RETURNING id",
        )
        .bind(e.organization_id)
        .bind(e.event)
        .bind(e.dedupe_key)
        .bind(e.delivery_id)
        .bind(e.payload)
        .bind(e.received_at)
        .bind(e.status)
        .fetch_optional(pool)
        .await?;
        match inserted {
            Some(id) => Ok((id, true)),
            None => {
                let id: i64 = sqlx::query_scalar("SELECT id FROM webhook_events WHERE organization_id = $1 AND dedupe_key = $2")
                    .bind(e.organization_id)
                    .bind(e.dedupe_key)
                    .fetch_one(pool)
                    .await?;
                Ok((id, false))
            }
        }
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub organization_id: i64,
    pub event: String,
    pub dedupe_key: String,
    pub delivery_id: Option<String>,
    pub payload: String,
    pub received_at: i64,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// The org's latest events, newest first (optionally of one status).
pub async fn events_of(db: &Db, org_id: i64, status: Option<&str>, limit: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_as::<_, EventRow>(
            "SELECT id, organization_id, event, dedupe_key, delivery_id, payload, received_at, status, attempts, last_error \
             FROM webhook_events WHERE organization_id = $1 AND ($2 IS NULL OR status = $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(org_id)
        .bind(status)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}
