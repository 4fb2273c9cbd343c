//! The activation checklist: each item's status as last set, and every run of an
//! automatic check.

use super::{on_db, Db, WritePool};
use crate::model::{CheckRunId, DealId, ItemKey, ItemStatus, OrgId, Source, Verdict};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub item: ItemKey,
    pub status: ItemStatus,
    pub note: Option<String>,
    pub updated_by: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    pub id: CheckRunId,
    pub item: ItemKey,
    pub actor: String,
    pub verdict: Verdict,
    pub started_at: i64,
    pub duration_ms: i64,
    /// JSON: `[CheckLine]`.
    pub lines: String,
    /// JSON: `[CheckCall]`.
    pub calls: String,
}

/// A run to record, with the status it gives its item.
pub struct NewRun<'a> {
    pub organization_id: OrgId,
    pub item: ItemKey,
    pub actor: &'a str,
    pub verdict: Verdict,
    pub started_at: i64,
    pub duration_ms: i64,
    pub lines: String,
    pub calls: String,
}

const RUN_COLUMNS: &str = "id, item, actor, verdict, started_at, duration_ms, lines, calls";

pub async fn items(db: &Db, org: OrgId) -> Result<Vec<ItemRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, ItemRow>(
            "SELECT item, status, note, updated_by, updated_at FROM checklist_items WHERE organization_id = $1",
        )
        .bind(org)
        .fetch_all(pool)
        .await
    })
}

const UPSERT_ITEM: &str = "INSERT INTO checklist_items (organization_id, item, status, note, updated_by, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (organization_id, item) DO UPDATE SET \
     status = excluded.status, note = excluded.note, updated_by = excluded.updated_by, updated_at = excluded.updated_at";

pub async fn put_item(
    db: &Db,
    org: OrgId,
    item: ItemKey,
    status: ItemStatus,
    note: Option<&str>,
    by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(UPSERT_ITEM)
            .bind(org)
            .bind(item)
            .bind(status)
            .bind(note)
            .bind(by)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// Records a run and gives its item the status of the verdict, in one transaction: the
/// item never shows a status its history does not explain. The item's note is kept.
pub async fn record_run(db: &Db, run: &NewRun<'_>) -> Result<CheckRunId, sqlx::Error> {
    let status = match run.verdict {
        Verdict::Passed => ItemStatus::Ok,
        Verdict::Failed => ItemStatus::Failed,
    };
    on_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let id: CheckRunId = sqlx::query_scalar(
            "INSERT INTO check_runs (organization_id, item, actor, verdict, started_at, duration_ms, lines, calls) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(run.organization_id)
        .bind(run.item)
        .bind(run.actor)
        .bind(run.verdict)
        .bind(run.started_at)
        .bind(run.duration_ms)
        .bind(&run.lines)
        .bind(&run.calls)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO checklist_items (organization_id, item, status, note, updated_by, updated_at) \
             VALUES ($1, $2, $3, NULL, $4, $5) ON CONFLICT (organization_id, item) DO UPDATE SET \
             status = excluded.status, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(run.organization_id)
        .bind(run.item)
        .bind(status)
        .bind(run.actor)
        .bind(run.started_at + run.duration_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    })
}

/// The latest run of each item of the org.
pub async fn last_runs(db: &Db, org: OrgId) -> Result<Vec<RunRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM check_runs WHERE id IN \
         (SELECT MAX(id) FROM check_runs WHERE organization_id = $1 GROUP BY item)"
    );
    on_db!(db, |pool| sqlx::query_as::<_, RunRow>(&sql).bind(org).fetch_all(pool).await)
}

/// How many runs each item has.
pub async fn run_counts(db: &Db, org: OrgId) -> Result<Vec<(ItemKey, i64)>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, (ItemKey, i64)>(
            "SELECT item, COUNT(*) FROM check_runs WHERE organization_id = $1 GROUP BY item",
        )
        .bind(org)
        .fetch_all(pool)
        .await
    })
}

/// An item's runs, newest first.
pub async fn runs_of(db: &Db, org: OrgId, item: ItemKey, limit: i64) -> Result<Vec<RunRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM check_runs WHERE organization_id = $1 AND item = $2 ORDER BY id DESC LIMIT $3"
    );
    on_db!(db, |pool| sqlx::query_as::<_, RunRow>(&sql).bind(org).bind(item).bind(limit).fetch_all(pool).await)
}

/// Every item row of every org (the rollout board's progress columns).
pub async fn all_items(db: &Db) -> Result<Vec<(OrgId, ItemKey, ItemStatus)>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, (OrgId, ItemKey, ItemStatus)>("SELECT organization_id, item, status FROM checklist_items")
            .fetch_all(pool)
            .await
    })
}

/// Whether the org already knows this channel identity (a smoke test's made-up number must
/// never land on a real customer).
pub async fn identity_taken(db: &Db, org: OrgId, source: Source, external_id: &str) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM messaging_contact_identities \
             WHERE organization_id = $1 AND source = $2 AND external_id = $3",
        )
        .bind(org)
        .bind(source)
        .bind(external_id)
        .fetch_one(pool)
        .await
        .map(|n| n > 0)
    })
}

/// Closes (as lost) the open deals among `deals` whose contact is synthetic: a smoke
/// test's deals never stay on the board. Returns how many it closed.
pub async fn close_synthetic_deals(db: &Db, org: OrgId, deals: &[DealId], now: i64) -> Result<u64, sqlx::Error> {
    let ids = serde_json::to_string(deals).unwrap_or_else(|_| "[]".into());
    let sql = format!(
        "UPDATE deals SET status = 'lost', updated_at = $2 WHERE organization_id = $1 AND status = 'open' \
         AND id IN (SELECT id FROM {}) \
         AND contact_id IN (SELECT id FROM contacts WHERE organization_id = $1 AND synthetic)",
        super::json_ids(db, "$3")
    );
    on_db!(db, |pool| {
        sqlx::query(&sql).bind(org).bind(now).bind(&ids).execute(pool).await.map(|r| r.rows_affected())
    })
}

/// What Ponte recorded of an org's real (not synthetic) traffic in `[from, to)`. An event
/// counts as failed until it is processed (`done` or `ignored`): a retry still due, or one
/// being retried right now, has not been processed successfully yet.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct TrafficCounts {
    pub webhooks: i64,
    pub failed_events: i64,
    pub identity_attempts: i64,
    pub conflicts: i64,
    pub handoffs: i64,
    pub handoff_failures: i64,
    pub tool_calls: i64,
    pub tool_failures: i64,
}

pub async fn traffic(db: &Db, org: OrgId, from: i64, to: i64) -> Result<TrafficCounts, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, TrafficCounts>(
            "WITH ev AS (SELECT id, status FROM webhook_events \
                 WHERE organization_id = $1 AND received_at >= $2 AND received_at < $3 AND NOT synthetic), \
             real_calls AS (SELECT outcome FROM tool_calls WHERE organization_id = $1 AND at >= $2 AND at < $3 \
                 AND (deal_id IS NULL OR deal_id NOT IN (SELECT d.id FROM deals d JOIN contacts c ON c.id = d.contact_id \
                   WHERE d.organization_id = $1 AND c.synthetic))) \
             SELECT \
               (SELECT COUNT(*) FROM ev) AS webhooks, \
               (SELECT COUNT(*) FROM ev WHERE status NOT IN ('done', 'ignored')) AS failed_events, \
               (SELECT COUNT(DISTINCT s.event_id) FROM event_steps s JOIN ev ON ev.id = s.event_id \
                  WHERE s.step = 'identity') AS identity_attempts, \
               (SELECT COUNT(*) FROM identity_conflicts WHERE organization_id = $1 \
                  AND created_at >= $2 AND created_at < $3) AS conflicts, \
               (SELECT COUNT(DISTINCT s.event_id) FROM event_steps s JOIN ev ON ev.id = s.event_id \
                  WHERE s.step = 'forward' AND s.outcome IN ('forwarded', 'failed')) AS handoffs, \
               (SELECT COUNT(DISTINCT s.event_id) FROM event_steps s JOIN ev ON ev.id = s.event_id \
                  WHERE s.step = 'forward' AND s.outcome = 'failed' AND NOT EXISTS (SELECT 1 FROM event_steps f \
                    WHERE f.event_id = s.event_id AND f.step = 'forward' AND f.outcome = 'forwarded')) AS handoff_failures, \
               (SELECT COUNT(*) FROM real_calls) AS tool_calls, \
               (SELECT COUNT(*) FROM real_calls WHERE outcome = 'error') AS tool_failures",
        )
        .bind(org)
        .bind(from)
        .bind(to)
        .fetch_one(pool)
        .await
    })
}
