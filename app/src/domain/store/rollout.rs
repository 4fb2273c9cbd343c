//! The rollout plan: waves, and each org's wave, technical owner and "credentials ready"
//! instant (migration 0012).

use super::{on_db, Db};
use crate::model::{Lifecycle, OrgId, WaveId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WaveRow {
    pub id: WaveId,
    pub name: String,
    pub position: i64,
    pub planned_start: Option<String>,
    pub planned_end: Option<String>,
    /// Orgs in the wave, archived ones left out.
    pub orgs: i64,
}

/// One org as the board needs it (archived orgs are not on the board).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlanRow {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    pub lifecycle: Lifecycle,
    pub activated_at: Option<i64>,
    pub wave_id: Option<WaveId>,
    pub technical_owner: Option<String>,
    pub credentials_ready_at: Option<i64>,
}

/// A wave's fields as validated.
pub struct WaveSpec<'a> {
    pub name: &'a str,
    pub planned_start: Option<&'a str>,
    pub planned_end: Option<&'a str>,
    pub position: Option<i64>,
}

const WAVE_SELECT: &str = "SELECT w.id, w.name, w.position, w.planned_start, w.planned_end, \
     (SELECT COUNT(*) FROM organizations o WHERE o.wave_id = w.id AND o.archived_at IS NULL) AS orgs FROM waves w";

pub async fn waves(db: &Db) -> Result<Vec<WaveRow>, sqlx::Error> {
    let sql = format!("{WAVE_SELECT} ORDER BY w.position, w.id");
    on_db!(db, |pool| sqlx::query_as::<_, WaveRow>(&sql).fetch_all(pool).await)
}

pub async fn wave(db: &Db, id: WaveId) -> Result<Option<WaveRow>, sqlx::Error> {
    let sql = format!("{WAVE_SELECT} WHERE w.id = $1");
    on_db!(db, |pool| sqlx::query_as::<_, WaveRow>(&sql).bind(id).fetch_optional(pool).await)
}

/// Creates a wave; without a position it goes after the last one.
pub async fn insert_wave(db: &Db, spec: &WaveSpec<'_>, now: i64) -> Result<WaveId, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO waves (name, position, planned_start, planned_end, created_at) \
             VALUES ($1, COALESCE($2, (SELECT COALESCE(MAX(position), 0) + 1 FROM waves)), $3, $4, $5) RETURNING id",
        )
        .bind(spec.name)
        .bind(spec.position)
        .bind(spec.planned_start)
        .bind(spec.planned_end)
        .bind(now)
        .fetch_one(pool)
        .await
    })
}

/// Replaces a wave's fields (its position only when one is given). False: no such wave.
pub async fn update_wave(db: &Db, id: WaveId, spec: &WaveSpec<'_>) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
            "UPDATE waves SET name = $1, planned_start = $2, planned_end = $3, position = COALESCE($4, position) \
             WHERE id = $5",
        )
        .bind(spec.name)
        .bind(spec.planned_start)
        .bind(spec.planned_end)
        .bind(spec.position)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

/// Deletes a wave no org (archived ones included) belongs to. False: no such wave, or it
/// is not empty (the caller tells which).
pub async fn delete_empty_wave(db: &Db, id: WaveId) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query("DELETE FROM waves WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM organizations WHERE wave_id = $1)")
            .bind(id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

const PLAN_COLUMNS: &str = "id, slug, name, lifecycle, activated_at, wave_id, technical_owner, credentials_ready_at";

/// Every org not archived, for the board.
pub async fn plans(db: &Db) -> Result<Vec<PlanRow>, sqlx::Error> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM organizations WHERE archived_at IS NULL ORDER BY name, id");
    on_db!(db, |pool| sqlx::query_as::<_, PlanRow>(&sql).fetch_all(pool).await)
}

pub async fn plan(db: &Db, org: OrgId) -> Result<Option<PlanRow>, sqlx::Error> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM organizations WHERE id = $1");
    on_db!(db, |pool| sqlx::query_as::<_, PlanRow>(&sql).bind(org).fetch_optional(pool).await)
}

/// Sets the org's plan as a whole. A wave that does not exist is a foreign-key violation.
pub async fn set_plan(
    db: &Db,
    org: OrgId,
    wave: Option<WaveId>,
    owner: Option<&str>,
    credentials_ready_at: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
            "UPDATE organizations SET wave_id = $1, technical_owner = $2, credentials_ready_at = $3, updated_at = $4 \
             WHERE id = $5",
        )
        .bind(wave)
        .bind(owner)
        .bind(credentials_ready_at)
        .bind(now)
        .bind(org)
        .execute(pool)
        .await
        .map(|_| ())
    })
}
