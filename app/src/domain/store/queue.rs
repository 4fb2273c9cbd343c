//! The processing queue over `webhook_events`: claim a batch under a lease, record each
//! attempt's steps and outcome, put events back for reprocessing.
//!
//! A claimed event is `processing` with `next_attempt_at` = the end of its lease, so an
//! event whose worker died is claimed again once the lease runs out, by any replica.
//! PostgreSQL skips rows other replicas have locked; SQLite has one writer at a time, so
//! the single UPDATE … RETURNING is already atomic there.

use super::{json_ids, on_db, sql_strings, Db, WritePool};
use crate::model::{EventId, EventStatus, Note, OrgId, PipelineStep, Source, StepOutcome};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedRow {
    pub id: EventId,
    pub organization_id: OrgId,
    pub event: String,
    pub payload: String,
    /// Attempts in this round (since the event was queued or last reprocessed): the retry
    /// budget counts these.
    pub attempts: i64,
    /// Attempts of earlier rounds; this attempt's number is `attempts_before + attempts`.
    pub attempts_before: i64,
    pub received_at: i64,
}

impl ClaimedRow {
    /// The number this attempt gets in the event's history (steps are recorded under it).
    pub fn attempt_number(&self) -> i64 {
        self.attempts_before + self.attempts
    }
}

const CLAIM_SQL: &str = "UPDATE webhook_events SET status = 'processing', attempts = attempts + 1, \
     next_attempt_at = $1, locked_by = $2 \
     WHERE id IN (SELECT id FROM webhook_events WHERE status IN ('pending', 'failed', 'processing') \
     AND next_attempt_at <= $3 ORDER BY next_attempt_at, id LIMIT $4 {lock}) \
     RETURNING id, organization_id, event, payload, attempts, attempts_before, received_at";

/// Claims up to `limit` due events for `worker` until `lease_until`, oldest first.
pub async fn claim(
    db: &Db,
    worker: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<ClaimedRow>, sqlx::Error> {
    let mut rows = match db {
        Db::Sqlite(pool) => {
            let sql = CLAIM_SQL.replace("{lock}", "");
            sqlx::query_as::<_, ClaimedRow>(&sql)
                .bind(lease_until)
                .bind(worker)
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
        Db::Postgres(pool) => {
            let sql = CLAIM_SQL.replace("{lock}", "FOR UPDATE SKIP LOCKED");
            sqlx::query_as::<_, ClaimedRow>(&sql)
                .bind(lease_until)
                .bind(worker)
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
    };
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// One step of one attempt, as recorded.
#[derive(Debug, Clone)]
pub struct NewStep {
    pub step: PipelineStep,
    pub outcome: StepOutcome,
    pub detail: Option<Note>,
    pub duration_us: i64,
}

/// How one attempt ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub event_id: EventId,
    pub attempt: i64,
    /// `done`, `ignored`, `failed` or `dead`.
    pub status: EventStatus,
    pub next_attempt_at: i64,
    pub last_error: Option<Note>,
    pub source: Option<Source>,
    pub conversation: Option<crate::model::ChatwootConversationId>,
    pub steps: Vec<NewStep>,
}

/// Records a batch of attempts in one transaction (one fsync for the batch). An event is
/// only updated while `worker` still holds it: if its lease ran out and another worker
/// took it, that worker's outcome is the one that counts.
pub async fn finish(db: &Db, worker: &str, outcomes: &[Outcome], now: i64) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let mut owned_steps: Vec<(&Outcome, &NewStep)> = Vec::new();
        for o in outcomes {
            let owned = sqlx::query(
                "UPDATE webhook_events SET status = $1, next_attempt_at = $2, last_error = $3, \
                 source = COALESCE($4, source), chatwoot_conversation_id = COALESCE($7, chatwoot_conversation_id), \
                 locked_by = NULL WHERE id = $5 AND locked_by = $6 AND status = 'processing'",
            )
            .bind(o.status)
            .bind(o.next_attempt_at)
            .bind(&o.last_error)
            .bind(o.source)
            .bind(o.event_id)
            .bind(worker)
            .bind(o.conversation)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if owned == 1 {
                owned_steps.extend(o.steps.iter().map(|s| (o, s)));
            }
        }
        // All steps of the batch in a few multi-row inserts: one round trip per chunk
        // instead of one per step (7 parameters a row stays far below both engines' limits).
        for chunk in owned_steps.chunks(1000) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO event_steps (event_id, attempt, step, outcome, detail, duration_us, at) ",
            );
            insert.push_values(chunk, |mut row, (o, s)| {
                row.push_bind(o.event_id)
                    .push_bind(o.attempt)
                    .push_bind(s.step)
                    .push_bind(s.outcome)
                    .push_bind(s.detail.as_ref())
                    .push_bind(s.duration_us)
                    .push_bind(now);
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await
    })
}

/// Events of `ids` whose automation hand-off already succeeded in an earlier attempt, so
/// a retry (after a crash, or a later failure) does not post them twice.
pub async fn already_forwarded(db: &Db, ids: &[EventId]) -> Result<Vec<EventId>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT DISTINCT event_id FROM event_steps WHERE step = 'forward' AND outcome = 'forwarded' \
         AND event_id IN (SELECT id FROM {})",
        json_ids(db, "$1")
    );
    let list = serde_json::to_string(ids).unwrap_or_default();
    on_db!(db, |pool| sqlx::query_scalar::<_, EventId>(&sql).bind(&list).fetch_all(pool).await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StepRow {
    pub event_id: EventId,
    pub attempt: i64,
    pub step: PipelineStep,
    pub outcome: StepOutcome,
    pub detail: Option<Note>,
    pub duration_us: i64,
    pub at: i64,
}

pub async fn steps_of(db: &Db, ids: &[EventId]) -> Result<Vec<StepRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT event_id, attempt, step, outcome, detail, duration_us, at FROM event_steps \
         WHERE event_id IN (SELECT id FROM {}) ORDER BY id",
        json_ids(db, "$1")
    );
    let list = serde_json::to_string(ids).unwrap_or_default();
    on_db!(db, |pool| sqlx::query_as::<_, StepRow>(&sql).bind(&list).fetch_all(pool).await)
}

/// The latest `step` among the org's last 200 events (bounded: the org page's "last
/// hand-off" must not scan an org's whole history).
pub async fn last_step_of_org(db: &Db, org_id: OrgId, step: PipelineStep) -> Result<Option<StepRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, StepRow>(
            "SELECT event_id, attempt, step, outcome, detail, duration_us, at FROM event_steps \
             WHERE event_id IN (SELECT id FROM webhook_events WHERE organization_id = $1 \
             ORDER BY received_at DESC LIMIT 200) AND step = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(org_id)
        .bind(step)
        .fetch_optional(pool)
        .await
    })
}

/// Puts one event of the org back in the queue. Returns false when it does not exist in
/// the org or is not in a reprocessable status.
pub async fn requeue_one(
    db: &Db,
    org_id: OrgId,
    event_id: EventId,
    statuses: &[EventStatus],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "UPDATE webhook_events SET status = 'pending', attempts_before = attempts_before + attempts, attempts = 0, \
            next_attempt_at = $1, last_error = NULL, \
            locked_by = NULL \
         WHERE organization_id = $2 AND id = $3 AND status IN ({})",
        sql_strings(statuses.iter().map(|s| s.as_str()))
    );
    on_db!(db, |pool| {
        sqlx::query(&sql).bind(now).bind(org_id).bind(event_id).execute(pool).await.map(|r| r.rows_affected() == 1)
    })
}

/// Puts every event of the org in `statuses` received in [from, to) back in the queue.
pub async fn requeue_range(
    db: &Db,
    org_id: OrgId,
    statuses: &[EventStatus],
    from: i64,
    to: i64,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "UPDATE webhook_events SET status = 'pending', attempts_before = attempts_before + attempts, attempts = 0, \
            next_attempt_at = $1, last_error = NULL, \
            locked_by = NULL \
         WHERE organization_id = $2 AND received_at >= $3 AND received_at < $4 AND status IN ({})",
        sql_strings(statuses.iter().map(|s| s.as_str()))
    );
    on_db!(db, |pool| {
        sqlx::query(&sql).bind(now).bind(org_id).bind(from).bind(to).execute(pool).await.map(|r| r.rows_affected())
    })
}

/// Counts of the org's events per status (the portal's summary, later the metrics).
pub async fn status_counts(db: &Db, org_id: OrgId) -> Result<Vec<(EventStatus, i64)>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, (EventStatus, i64)>(
            "SELECT status, COUNT(*) FROM webhook_events WHERE organization_id = $1 GROUP BY status ORDER BY status",
        )
        .bind(org_id)
        .fetch_all(pool)
        .await
    })
}
