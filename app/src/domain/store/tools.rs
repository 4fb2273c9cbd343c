//! The automation tools' storage: per-org tokens, the call record, idempotency keys, and
//! the deal reads and stage move the tools perform.

use super::{on_db, Db, WritePool};
use crate::model::{
    BoardId, ChatwootConversationId, ContactId, DealId, DealStatus, OrgId, Source, StageId, TokenId, ToolCallId,
    ToolOutcome,
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: TokenId,
    pub organization_id: OrgId,
    pub name: String,
    pub prefix: String,
    pub created_by: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const TOKEN_COLUMNS: &str = "id, organization_id, name, prefix, created_by, created_at, last_used_at, revoked_at";

pub async fn insert_token(
    db: &Db,
    org_id: OrgId,
    name: &str,
    prefix: &str,
    hash: &str,
    created_by: &str,
    now: i64,
) -> Result<TokenRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO org_api_tokens (organization_id, name, prefix, token_hash, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {TOKEN_COLUMNS}"
    );
    on_db!(db, |pool| {
        sqlx::query_as::<_, TokenRow>(&sql)
            .bind(org_id)
            .bind(name)
            .bind(prefix)
            .bind(hash)
            .bind(created_by)
            .bind(now)
            .fetch_one(pool)
            .await
    })
}

pub async fn tokens_of(db: &Db, org_id: OrgId) -> Result<Vec<TokenRow>, sqlx::Error> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM org_api_tokens WHERE organization_id = $1 ORDER BY id DESC");
    on_db!(db, |pool| sqlx::query_as::<_, TokenRow>(&sql).bind(org_id).fetch_all(pool).await)
}

/// Revokes a token of the org; false when it is not the org's or already revoked.
pub async fn revoke_token(db: &Db, org_id: OrgId, id: TokenId, now: i64) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
            "UPDATE org_api_tokens SET revoked_at = $1 WHERE organization_id = $2 AND id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(org_id)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

/// The active token with this hash, its last use stamped at most once a minute (a busy
/// workflow should not turn every read into a write).
pub async fn authenticate(db: &Db, hash: &str, now: i64) -> Result<Option<TokenRow>, sqlx::Error> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM org_api_tokens WHERE token_hash = $1 AND revoked_at IS NULL");
    on_db!(db, |pool| {
        let row = sqlx::query_as::<_, TokenRow>(&sql).bind(hash).fetch_optional(pool).await?;
        if let Some(r) = &row {
            if r.last_used_at.is_none_or(|t| now - t > 60_000) {
                sqlx::query("UPDATE org_api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(r.id)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(row)
    })
}

pub struct NewCall<'a> {
    pub organization_id: OrgId,
    pub token_id: Option<TokenId>,
    pub tool: &'a str,
    pub deal_id: Option<DealId>,
    pub input: &'a str,
    pub outcome: ToolOutcome,
    pub http_status: i64,
    pub error_code: Option<&'a str>,
    pub duration_us: i64,
    pub at: i64,
}

pub async fn record_call(db: &Db, c: &NewCall<'_>) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO tool_calls (organization_id, token_id, tool, deal_id, input, outcome, http_status, \
                error_code, duration_us, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(c.organization_id)
        .bind(c.token_id)
        .bind(c.tool)
        .bind(c.deal_id)
        .bind(c.input)
        .bind(c.outcome)
        .bind(c.http_status)
        .bind(c.error_code)
        .bind(c.duration_us)
        .bind(c.at)
        .execute(pool)
        .await
        .map(|_| ())
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallRow {
    pub id: ToolCallId,
    pub tool: String,
    pub deal_id: Option<DealId>,
    pub input: String,
    pub outcome: ToolOutcome,
    pub http_status: i64,
    pub error_code: Option<String>,
    pub duration_us: i64,
    pub at: i64,
}

pub async fn calls_of(db: &Db, org_id: OrgId, before: Option<i64>, limit: i64) -> Result<Vec<CallRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, CallRow>(
            "SELECT id, tool, deal_id, input, outcome, http_status, error_code, duration_us, at FROM tool_calls \
             WHERE organization_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(org_id)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

/// A stored answer to an idempotency key: (HTTP status, JSON body).
pub async fn idempotent_answer(
    db: &Db,
    org_id: OrgId,
    tool: &str,
    key: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, (i64, String)>(
            "SELECT status, response FROM tool_idempotency WHERE organization_id = $1 AND tool = $2 AND key = $3",
        )
        .bind(org_id)
        .bind(tool)
        .bind(key)
        .fetch_optional(pool)
        .await
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DealStateRow {
    pub id: DealId,
    pub contact_id: ContactId,
    pub board_id: BoardId,
    pub board_key: String,
    pub stage_id: StageId,
    pub status: DealStatus,
    pub updated_at: i64,
}

const DEAL_STATE_SQL: &str =
    "SELECT d.id, d.contact_id, d.board_id, b.key AS board_key, d.stage_id, d.status, d.updated_at \
     FROM deals d JOIN boards b ON b.id = d.board_id WHERE d.id = $1 AND d.organization_id = $2";

/// The deal when it belongs to the org (another org's deal is simply not found).
pub async fn deal_state(db: &Db, org_id: OrgId, deal_id: DealId) -> Result<Option<DealStateRow>, sqlx::Error> {
    on_db!(db, |pool| sqlx::query_as::<_, DealStateRow>(DEAL_STATE_SQL)
        .bind(deal_id)
        .bind(org_id)
        .fetch_optional(pool)
        .await)
}

/// Moves the deal from `from_stage` to `to_stage` unless someone moved it meanwhile, with
/// its history row, and stores the idempotency answer in the same transaction. Returns
/// false when the deal was no longer at `from_stage` or open (the caller re-reads), and
/// Err(unique violation) when the same idempotency key was answered concurrently.
#[allow(clippy::too_many_arguments)]
pub async fn move_stage(
    db: &Db,
    org_id: OrgId,
    deal_id: DealId,
    from_stage: StageId,
    to_stage: StageId,
    actor: &str,
    idempotency: Option<(&str, &str, i64, &str)>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE deals SET stage_id = $1, updated_at = $2 WHERE id = $3 AND organization_id = $4 AND stage_id = $5 \
                AND status = 'open'",
        )
        .bind(to_stage)
        .bind(now)
        .bind(deal_id)
        .bind(org_id)
        .bind(from_stage)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !moved {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO stage_moves (deal_id, from_stage_id, to_stage_id, actor, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(deal_id)
        .bind(from_stage)
        .bind(to_stage)
        .bind(actor)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some((tool, key, status, response)) = idempotency {
            sqlx::query(
                "INSERT INTO tool_idempotency (organization_id, tool, key, status, response, created_at) VALUES ($1, \
                    $2, $3, $4, $5, $6)",
            )
            .bind(org_id)
            .bind(tool)
            .bind(key)
            .bind(status)
            .bind(response)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    })
}

/// Stores the answer of a call that moved nothing (a no-op or a refusal), so a repeat of
/// the key gets the same answer. Returns false when the key was already taken.
pub async fn store_answer(
    db: &Db,
    org_id: OrgId,
    tool: &str,
    key: &str,
    status: i64,
    response: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO tool_idempotency (organization_id, tool, key, status, response, created_at) VALUES ($1, $2, \
                $3, $4, $5, $6) \
             ON CONFLICT (organization_id, tool, key) DO NOTHING",
        )
        .bind(org_id)
        .bind(tool)
        .bind(key)
        .bind(status)
        .bind(response)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StageRow {
    pub id: StageId,
    pub key: String,
    pub label: String,
    pub position: i64,
}

pub async fn stages_of_board(db: &Db, board_id: BoardId) -> Result<Vec<StageRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, StageRow>(
            "SELECT id, key, label, position FROM stages WHERE board_id = $1 ORDER BY position, id",
        )
        .bind(board_id)
        .fetch_all(pool)
        .await
    })
}

/// The deal an automation is talking about, by session key or Chatwoot conversation: the
/// most recently linked conversation of the org with that key.
pub async fn conversation_context(
    db: &Db,
    org_id: OrgId,
    session_key: Option<&str>,
    chatwoot_conversation_id: Option<ChatwootConversationId>,
) -> Result<Option<(ChatwootConversationId, ContactId, Option<DealId>, Option<String>, Source)>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, (ChatwootConversationId, ContactId, Option<DealId>, Option<String>, Source)>(
            "SELECT chatwoot_conversation_id, contact_id, deal_id, session_key, source FROM conversations \
             WHERE organization_id = $1 AND ($2 IS NULL OR session_key = $2) AND ($3 IS NULL OR \
             chatwoot_conversation_id = $3) \
             ORDER BY COALESCE(updated_at, created_at) DESC, id DESC LIMIT 1",
        )
        .bind(org_id)
        .bind(session_key)
        .bind(chatwoot_conversation_id)
        .fetch_optional(pool)
        .await
    })
}
