//! Live smoke runs (migration 0014): whom a run waits for, its deadline, the events it saw
//! and how it ended. At most one run per org waits (a partial unique index says so).

use super::{on_db, Db};
use crate::model::{EventId, LiveSmokeState, OrgId, Source};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveRow {
    pub id: i64,
    pub organization_id: OrgId,
    pub state: LiveSmokeState,
    pub whatsapp: Option<String>,
    pub instagram: Option<String>,
    pub stage: Option<String>,
    pub started_by: String,
    pub started_at: i64,
    pub deadline_at: i64,
    pub finished_at: Option<i64>,
    pub whatsapp_event: Option<EventId>,
    pub instagram_event: Option<EventId>,
}

const COLUMNS: &str = "id, organization_id, state, whatsapp, instagram, stage, started_by, started_at, deadline_at, \
                       finished_at, whatsapp_event, instagram_event";

pub struct NewLive<'a> {
    pub organization_id: OrgId,
    pub whatsapp: Option<&'a str>,
    pub instagram: Option<&'a str>,
    pub stage: Option<&'a str>,
    pub started_by: &'a str,
    pub started_at: i64,
    pub deadline_at: i64,
}

/// Inserts a waiting run. A unique violation means another run of the org is waiting.
pub async fn insert(db: &Db, n: &NewLive<'_>) -> Result<i64, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO live_smoke_runs (organization_id, state, whatsapp, instagram, stage, started_by, started_at, \
             deadline_at) VALUES ($1, 'waiting', $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(n.organization_id)
        .bind(n.whatsapp)
        .bind(n.instagram)
        .bind(n.stage)
        .bind(n.started_by)
        .bind(n.started_at)
        .bind(n.deadline_at)
        .fetch_one(pool)
        .await
    })
}

pub async fn get(db: &Db, org: OrgId, id: i64) -> Result<Option<LiveRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM live_smoke_runs WHERE organization_id = $1 AND id = $2");
    on_db!(db, |pool| sqlx::query_as::<_, LiveRow>(&sql).bind(org).bind(id).fetch_optional(pool).await)
}

/// The org's newest run, whatever its state.
pub async fn latest(db: &Db, org: OrgId) -> Result<Option<LiveRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM live_smoke_runs WHERE organization_id = $1 ORDER BY id DESC LIMIT 1");
    on_db!(db, |pool| sqlx::query_as::<_, LiveRow>(&sql).bind(org).fetch_optional(pool).await)
}

/// Ends waiting runs whose deadline passed more than `grace` ago: the process that waited
/// for them stopped. Lets a new run start.
pub async fn expire_stale(db: &Db, org: OrgId, now: i64, grace: i64) -> Result<u64, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
            "UPDATE live_smoke_runs SET state = 'expired', finished_at = $2 \
             WHERE organization_id = $1 AND state = 'waiting' AND deadline_at < $3",
        )
        .bind(org)
        .bind(now)
        .bind(now - grace)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })
}

/// Records the event an awaited message was stored as.
pub async fn saw(db: &Db, id: i64, source: Source, event: EventId) -> Result<(), sqlx::Error> {
    let sql = match source {
        Source::Whatsapp => "UPDATE live_smoke_runs SET whatsapp_event = $2 WHERE id = $1",
        Source::Instagram => "UPDATE live_smoke_runs SET instagram_event = $2 WHERE id = $1",
    };
    on_db!(db, |pool| sqlx::query(sql).bind(id).bind(event).execute(pool).await.map(|_| ()))
}

/// Ends a waiting run; false when it was no longer waiting (cancelled meanwhile, or ended).
pub async fn finish(db: &Db, id: i64, state: LiveSmokeState, now: i64) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query("UPDATE live_smoke_runs SET state = $2, finished_at = $3 WHERE id = $1 AND state = 'waiting'")
            .bind(id)
            .bind(state)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}
