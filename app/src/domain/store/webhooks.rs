//! The webhook event inbox and each org's Chatwoot connection.

use super::{on_db, Db, WritePool};
use crate::model::{AuthMode, ChatwootAccountId, EventId, EventStatus, Note, OrgId, Source};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChatwootConfigRow {
    pub organization_id: OrgId,
    pub base_url: Option<String>,
    pub account_id: Option<ChatwootAccountId>,
    pub webhook_secret_enc: Option<String>,
    pub api_token_enc: Option<String>,
    pub inbox_sources: String,
    pub auth_mode: AuthMode,
    pub url_token_hash: Option<String>,
    pub updated_at: i64,
}

pub async fn config(db: &Db, org_id: OrgId) -> Result<Option<ChatwootConfigRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, ChatwootConfigRow>(
            "SELECT organization_id, base_url, account_id, webhook_secret_enc, api_token_enc, inbox_sources, \
                auth_mode, url_token_hash, updated_at \
             FROM chatwoot_configs WHERE organization_id = $1",
        )
        .bind(org_id)
        .fetch_optional(pool)
        .await
    })
}

pub async fn put_config(db: &Db, row: &ChatwootConfigRow) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO chatwoot_configs (organization_id, base_url, account_id, webhook_secret_enc, api_token_enc, \
                inbox_sources, \
             auth_mode, url_token_hash, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (organization_id) DO UPDATE SET base_url = excluded.base_url, account_id = \
             excluded.account_id, \
             webhook_secret_enc = excluded.webhook_secret_enc, api_token_enc = excluded.api_token_enc, \
             inbox_sources = excluded.inbox_sources, auth_mode = excluded.auth_mode, url_token_hash = \
             excluded.url_token_hash, \
             updated_at = excluded.updated_at",
        )
        .bind(row.organization_id)
        .bind(&row.base_url)
        .bind(row.account_id)
        .bind(&row.webhook_secret_enc)
        .bind(&row.api_token_enc)
        .bind(&row.inbox_sources)
        .bind(row.auth_mode)
        .bind(&row.url_token_hash)
        .bind(row.updated_at)
        .execute(pool)
        .await
        .map(|_| ())
    })
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub organization_id: OrgId,
    pub event: String,
    pub dedupe_key: String,
    pub delivery_id: Option<String>,
    pub payload: String,
    pub received_at: i64,
    pub status: EventStatus,
    pub synthetic: bool,
}

/// Stores a batch of events in one transaction, skipping known dedupe keys. Returns each
/// row's id and whether it was new, in input order; everything is committed (fsync'd on
/// SQLite with synchronous=FULL) when this returns, so callers may answer 2xx.
pub async fn insert_events(db: &Db, events: &[NewEvent]) -> Result<Vec<(EventId, bool)>, sqlx::Error> {
    on_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let mut out = Vec::with_capacity(events.len());
        for e in events {
            let inserted: Option<EventId> = sqlx::query_scalar(
                "INSERT INTO webhook_events (organization_id, event, dedupe_key, delivery_id, payload, received_at, \
                    status, next_attempt_at, synthetic) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $8) ON CONFLICT (organization_id, dedupe_key) DO NOTHING \
                 RETURNING id",
            )
            .bind(e.organization_id)
            .bind(&e.event)
            .bind(&e.dedupe_key)
            .bind(&e.delivery_id)
            .bind(&e.payload)
            .bind(e.received_at)
            .bind(e.status)
            .bind(e.synthetic)
            .fetch_optional(&mut *tx)
            .await?;
            match inserted {
                Some(id) => out.push((id, true)),
                None => {
                    let id: EventId = sqlx::query_scalar(
                        "SELECT id FROM webhook_events WHERE organization_id = $1 AND dedupe_key = $2",
                    )
                    .bind(e.organization_id)
                    .bind(&e.dedupe_key)
                    .fetch_one(&mut *tx)
                    .await?;
                    out.push((id, false));
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: EventId,
    pub organization_id: OrgId,
    pub event: String,
    pub dedupe_key: String,
    pub delivery_id: Option<String>,
    pub payload: String,
    pub received_at: i64,
    pub status: EventStatus,
    pub attempts: i64,
    pub attempts_before: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<Note>,
    pub source: Option<Source>,
}

const EVENT_COLUMNS: &str =
    "id, organization_id, event, dedupe_key, delivery_id, payload, received_at, status, attempts, attempts_before, \
        next_attempt_at, last_error, source";

#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub status: Option<EventStatus>,
    pub source: Option<Source>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub before: Option<i64>,
}

/// The org's events, newest first, filtered; `before` pages by id.
pub async fn events_of(db: &Db, org_id: OrgId, f: &EventFilter, limit: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM webhook_events WHERE organization_id = $1 AND ($2 IS NULL OR status = $2) \
         AND ($3 IS NULL OR source = $3) AND ($4 IS NULL OR received_at >= $4) AND ($5 IS NULL OR received_at < $5) \
         AND ($6 IS NULL OR id < $6) ORDER BY id DESC LIMIT $7"
    );
    on_db!(db, |pool| {
        sqlx::query_as::<_, EventRow>(&sql)
            .bind(org_id)
            .bind(f.status)
            .bind(f.source)
            .bind(f.from)
            .bind(f.to)
            .bind(f.before)
            .bind(limit)
            .fetch_all(pool)
            .await
    })
}

/// The org's real (not synthetic) `message_created` events received since `since` with an id
/// above `after`, oldest first: what a live smoke run scans for its test identity.
pub async fn messages_after(
    db: &Db,
    org_id: OrgId,
    since: i64,
    after: EventId,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM webhook_events WHERE organization_id = $1 AND received_at >= $2 AND id > $3 \
         AND event = 'message_created' AND synthetic = FALSE ORDER BY id LIMIT $4"
    );
    on_db!(db, |pool| {
        sqlx::query_as::<_, EventRow>(&sql).bind(org_id).bind(since).bind(after).bind(limit).fetch_all(pool).await
    })
}

/// The org's event stored under `dedupe_key` (a message: `message_created:<message id>`).
pub async fn event_by_dedupe(db: &Db, org_id: OrgId, dedupe_key: &str) -> Result<Option<EventRow>, sqlx::Error> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM webhook_events WHERE organization_id = $1 AND dedupe_key = $2");
    on_db!(db, |pool| sqlx::query_as::<_, EventRow>(&sql).bind(org_id).bind(dedupe_key).fetch_optional(pool).await)
}

pub async fn event(db: &Db, org_id: OrgId, id: EventId) -> Result<Option<EventRow>, sqlx::Error> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM webhook_events WHERE organization_id = $1 AND id = $2");
    on_db!(db, |pool| sqlx::query_as::<_, EventRow>(&sql).bind(org_id).bind(id).fetch_optional(pool).await)
}

/// A refused delivery, or several of one reason folded together (see migration 0011).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefusalRow {
    pub code: crate::model::ErrorCode,
    pub delivery_id: Option<String>,
    pub count: i64,
    pub first_at: i64,
    pub last_at: i64,
}

/// Records `count` refusals of one reason: folded into the org's latest row of that reason
/// when it is recent (`fold_after`), a new row otherwise.
pub async fn record_refusal(
    db: &Db,
    org_id: OrgId,
    code: crate::model::ErrorCode,
    delivery_id: Option<&str>,
    count: i64,
    at: i64,
    fold_after: i64,
) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        let folded = sqlx::query(
            "UPDATE webhook_refusals SET count = count + $1, last_at = $2, delivery_id = COALESCE($3, delivery_id) \
             WHERE id = (SELECT id FROM webhook_refusals WHERE organization_id = $4 AND code = $5 AND last_at >= $6 \
             ORDER BY id DESC LIMIT 1)",
        )
        .bind(count)
        .bind(at)
        .bind(delivery_id)
        .bind(org_id)
        .bind(code)
        .bind(fold_after)
        .execute(pool)
        .await?
        .rows_affected();
        if folded == 0 {
            sqlx::query(
                "INSERT INTO webhook_refusals (organization_id, code, delivery_id, count, first_at, last_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(org_id)
            .bind(code)
            .bind(delivery_id)
            .bind(count)
            .bind(at)
            .execute(pool)
            .await?;
        }
        Ok(())
    })
}

/// The org's latest refusals, newest first.
pub async fn refusals_of(db: &Db, org_id: OrgId, limit: i64) -> Result<Vec<RefusalRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, RefusalRow>(
            "SELECT code, delivery_id, count, first_at, last_at FROM webhook_refusals WHERE organization_id = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

/// Drops the org's refusals older than `before` (kept a month; called as new ones come).
pub async fn prune_refusals(db: &Db, org_id: OrgId, before: i64) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query("DELETE FROM webhook_refusals WHERE organization_id = $1 AND last_at < $2")
            .bind(org_id)
            .bind(before)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// The org's latest event, if any.
pub async fn last_event(db: &Db, org_id: OrgId) -> Result<Option<EventRow>, sqlx::Error> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM webhook_events WHERE organization_id = $1 ORDER BY received_at DESC, id DESC LIMIT 1");
    on_db!(db, |pool| sqlx::query_as::<_, EventRow>(&sql).bind(org_id).fetch_optional(pool).await)
}
