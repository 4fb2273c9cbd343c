//! The T+1 review (migration 0013): what "logs audited" lists (identity conflicts and failed
//! stage moves since go-live), the conversations drawn for the sample, and the verdicts.

use super::{on_db, Db};
use crate::model::{
    ChatwootConversationId, ContactId, ConversationId, DealId, EventId, OrgId, ReviewKind, ReviewVerdict, Source,
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewRow {
    pub kind: ReviewKind,
    pub ref_id: i64,
    pub verdict: ReviewVerdict,
    pub note: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
    pub drawn_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConflictLine {
    pub id: i64,
    pub kind: String,
    pub contact_id: Option<ContactId>,
    pub event_id: Option<EventId>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailedMove {
    pub id: i64,
    pub deal_id: Option<DealId>,
    pub error_code: Option<String>,
    pub at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SampleRow {
    pub conversation_id: ConversationId,
    pub chatwoot_conversation_id: ChatwootConversationId,
    pub source: Source,
    pub contact_id: ContactId,
    pub contact_name: Option<String>,
    pub deal_id: Option<DealId>,
    pub stage: Option<String>,
    pub verdict: ReviewVerdict,
    pub note: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
    pub drawn_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MoveRow {
    pub deal_id: DealId,
    pub from_label: Option<String>,
    pub to_label: String,
    pub actor: String,
    pub at: i64,
}

pub async fn reviews(db: &Db, org: OrgId) -> Result<Vec<ReviewRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, ReviewRow>(
            "SELECT kind, ref_id, verdict, note, reviewed_by, reviewed_at, drawn_at FROM t1_reviews \
             WHERE organization_id = $1",
        )
        .bind(org)
        .fetch_all(pool)
        .await
    })
}

pub async fn conflicts_since(db: &Db, org: OrgId, since: i64) -> Result<Vec<ConflictLine>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, ConflictLine>(
            "SELECT id, kind, contact_id, event_id, created_at FROM identity_conflicts \
             WHERE organization_id = $1 AND created_at >= $2 ORDER BY id",
        )
        .bind(org)
        .bind(since)
        .fetch_all(pool)
        .await
    })
}

/// Stage moves through the tool that ended in an error since `since` (a refused or
/// mistaken call: unknown stage, closed deal…).
pub async fn failed_moves_since(db: &Db, org: OrgId, since: i64) -> Result<Vec<FailedMove>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, FailedMove>(
            "SELECT id, deal_id, error_code, at FROM tool_calls \
             WHERE organization_id = $1 AND tool = 'stage-move' AND outcome = 'error' AND at >= $2 ORDER BY id",
        )
        .bind(org)
        .bind(since)
        .fetch_all(pool)
        .await
    })
}

/// A verdict to record.
pub struct Verdict<'a> {
    pub kind: ReviewKind,
    pub ref_id: i64,
    pub verdict: ReviewVerdict,
    pub note: Option<&'a str>,
    pub by: &'a str,
    pub at: i64,
}

/// Records a verdict (the row is made for a log entry, kept for a drawn conversation).
pub async fn put_review(db: &Db, org: OrgId, v: &Verdict<'_>) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO t1_reviews (organization_id, kind, ref_id, verdict, note, reviewed_by, reviewed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (organization_id, kind, ref_id) DO UPDATE SET \
             verdict = excluded.verdict, note = excluded.note, reviewed_by = excluded.reviewed_by, \
             reviewed_at = excluded.reviewed_at",
        )
        .bind(org)
        .bind(v.kind)
        .bind(v.ref_id)
        .bind(v.verdict)
        .bind(v.note)
        .bind(v.by)
        .bind(v.at)
        .execute(pool)
        .await
        .map(|_| ())
    })
}

/// Real conversations (their contact not synthetic) started since go-live, with their
/// channel: what the sample is drawn from.
pub async fn sample_candidates(db: &Db, org: OrgId, since: i64) -> Result<Vec<(ConversationId, Source)>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, (ConversationId, Source)>(
            "SELECT c.id, c.source FROM conversations c JOIN contacts ct ON ct.id = c.contact_id \
             WHERE c.organization_id = $1 AND c.created_at >= $2 AND ct.synthetic = FALSE ORDER BY c.id",
        )
        .bind(org)
        .bind(since)
        .fetch_all(pool)
        .await
    })
}

/// Replaces the sample's conversations not reviewed yet by `drawn` (reviewed ones stay).
pub async fn redraw(db: &Db, org: OrgId, drawn: &[ConversationId], now: i64) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "DELETE FROM t1_reviews WHERE organization_id = $1 AND kind = 'conversation' AND verdict = 'pending'",
        )
        .bind(org)
        .execute(&mut *tx)
        .await?;
        for id in drawn {
            sqlx::query(
                "INSERT INTO t1_reviews (organization_id, kind, ref_id, verdict, drawn_at) \
                 VALUES ($1, 'conversation', $2, 'pending', $3) ON CONFLICT (organization_id, kind, ref_id) DO NOTHING",
            )
            .bind(org)
            .bind(id.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    })
}

/// The drawn conversations with their contact, deal and current stage.
pub async fn sample(db: &Db, org: OrgId) -> Result<Vec<SampleRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, SampleRow>(
            "SELECT c.id AS conversation_id, c.chatwoot_conversation_id, c.source, c.contact_id, \
             ct.name AS contact_name, c.deal_id, s.label AS stage, r.verdict, r.note, r.reviewed_by, r.reviewed_at, \
             r.drawn_at \
             FROM t1_reviews r JOIN conversations c ON c.id = r.ref_id AND c.organization_id = r.organization_id \
             JOIN contacts ct ON ct.id = c.contact_id \
             LEFT JOIN deals d ON d.id = c.deal_id LEFT JOIN stages s ON s.id = d.stage_id \
             WHERE r.organization_id = $1 AND r.kind = 'conversation' ORDER BY r.drawn_at, c.id",
        )
        .bind(org)
        .fetch_all(pool)
        .await
    })
}

/// The stage moves of the given deals of the org, oldest first.
pub async fn moves_of(db: &Db, org: OrgId, deals: &[DealId]) -> Result<Vec<MoveRow>, sqlx::Error> {
    if deals.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT m.deal_id, f.label AS from_label, t.label AS to_label, m.actor, m.at FROM stage_moves m \
         JOIN deals d ON d.id = m.deal_id LEFT JOIN stages f ON f.id = m.from_stage_id JOIN stages t ON t.id = m.to_stage_id \
         WHERE d.organization_id = $1 AND m.deal_id IN (SELECT id FROM {}) ORDER BY m.at, m.id",
        super::json_ids(db, "$2")
    );
    let list = serde_json::to_string(deals).unwrap_or_default();
    on_db!(db, |pool| sqlx::query_as::<_, MoveRow>(&sql).bind(org).bind(&list).fetch_all(pool).await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationEventRow {
    pub chatwoot_conversation_id: ChatwootConversationId,
    pub id: EventId,
    pub event: String,
    pub status: crate::model::EventStatus,
    pub received_at: i64,
}

/// The events of the given Chatwoot conversations (migration 0015), newest first.
pub async fn events_of_conversations(
    db: &Db,
    org: OrgId,
    conversations: &[ChatwootConversationId],
) -> Result<Vec<ConversationEventRow>, sqlx::Error> {
    if conversations.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT chatwoot_conversation_id, id, event, status, received_at FROM webhook_events \
         WHERE organization_id = $1 AND chatwoot_conversation_id IN (SELECT id FROM {}) ORDER BY id DESC",
        super::json_ids(db, "$2")
    );
    let list = serde_json::to_string(conversations).unwrap_or_default();
    on_db!(db, |pool| sqlx::query_as::<_, ConversationEventRow>(&sql).bind(org).bind(&list).fetch_all(pool).await)
}
