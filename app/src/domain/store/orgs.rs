//! Organizations, their boards and the boards' stages.

use super::{on_db, Db};
use crate::model::{BoardId, Lifecycle, OrgId, StageId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    pub lifecycle: Lifecycle,
    pub rolled_back_from: Option<Lifecycle>,
    pub activated_at: Option<i64>,
    pub archived_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BoardRow {
    pub id: BoardId,
    pub organization_id: OrgId,
    pub key: String,
    pub name: String,
    pub is_default: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StageRow {
    pub id: StageId,
    pub board_id: BoardId,
    pub key: String,
    pub label: String,
    pub position: i64,
}

const ORG_COLUMNS: &str =
    "id, slug, name, lifecycle, rolled_back_from, activated_at, archived_at, created_at, updated_at";
const BOARD_COLUMNS: &str = "id, organization_id, key, name, is_default";
const STAGE_COLUMNS: &str = "id, board_id, key, label, position";

/// A board to create: key, name, and its stages as (key, label) in order.
pub struct BoardSpec<'a> {
    pub key: &'a str,
    pub name: &'a str,
    pub is_default: bool,
    pub stages: &'a [(String, String)],
}

/// Creates the org and its first board with stages in one transaction: an org is never
/// visible without the board ingestion needs.
pub async fn create_org(
    db: &Db,
    slug: &str,
    name: &str,
    board: &BoardSpec<'_>,
    now: i64,
) -> Result<OrgRow, sqlx::Error> {
    let org_sql = format!(
        "INSERT INTO organizations (slug, name, lifecycle, created_at, updated_at) VALUES ($1, $2, 'draft', $3, $3) \
            RETURNING {ORG_COLUMNS}"
    );
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        let org = sqlx::query_as::<_, OrgRow>(&org_sql).bind(slug).bind(name).bind(now).fetch_one(&mut *tx).await?;
        let board_id: BoardId = sqlx::query_scalar(
            "INSERT INTO boards (organization_id, key, name, is_default, created_at) VALUES ($1, $2, $3, $4, $5) \
                RETURNING id",
        )
        .bind(org.id)
        .bind(board.key)
        .bind(board.name)
        .bind(board.is_default)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for (i, (key, label)) in board.stages.iter().enumerate() {
            sqlx::query("INSERT INTO stages (board_id, key, label, position) VALUES ($1, $2, $3, $4)")
                .bind(board_id)
                .bind(key)
                .bind(label)
                .bind(i as i64 + 1)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(org)
    })
}

pub async fn list(db: &Db) -> Result<Vec<OrgRow>, sqlx::Error> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organizations ORDER BY name, id");
    on_db!(db, |pool| sqlx::query_as::<_, OrgRow>(&sql).fetch_all(pool).await)
}

pub async fn by_id(db: &Db, id: OrgId) -> Result<Option<OrgRow>, sqlx::Error> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1");
    on_db!(db, |pool| sqlx::query_as::<_, OrgRow>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<OrgRow>, sqlx::Error> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organizations WHERE slug = $1");
    on_db!(db, |pool| sqlx::query_as::<_, OrgRow>(&sql).bind(slug).fetch_optional(pool).await)
}

/// Renames and/or archives (`Some(true)`) or brings back (`Some(false)`) an org.
pub async fn update(
    db: &Db,
    id: OrgId,
    name: Option<&str>,
    archived: Option<bool>,
    now: i64,
) -> Result<OrgRow, sqlx::Error> {
    let sql = format!(
        "UPDATE organizations SET name = COALESCE($2, name), \
            archived_at = CASE WHEN $3 IS NULL THEN archived_at WHEN $3 THEN COALESCE(archived_at, $4) ELSE NULL END, \
            updated_at = $4 WHERE id = $1 RETURNING {ORG_COLUMNS}"
    );
    on_db!(db, |pool| {
        sqlx::query_as::<_, OrgRow>(&sql).bind(id).bind(name).bind(archived).bind(now).fetch_one(pool).await
    })
}

/// Moves the org from `from` to `to` only if it is still at `from` (two operators moving
/// it at once: the second finds it moved and is refused). `rolled_back_from` is what a
/// roll-forward returns to; the first move to a live state sets `activated_at`.
pub async fn set_lifecycle(
    db: &Db,
    id: OrgId,
    from: Lifecycle,
    to: Lifecycle,
    rolled_back_from: Option<Lifecycle>,
    now: i64,
) -> Result<Option<OrgRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE organizations SET lifecycle = $3, rolled_back_from = $4, \
            activated_at = CASE WHEN $3 IN ('pilot', 'active') THEN COALESCE(activated_at, $5) ELSE activated_at END, \
            updated_at = $5 WHERE id = $1 AND lifecycle = $2 RETURNING {ORG_COLUMNS}"
    );
    on_db!(db, |pool| {
        sqlx::query_as::<_, OrgRow>(&sql)
            .bind(id)
            .bind(from)
            .bind(to)
            .bind(rolled_back_from)
            .bind(now)
            .fetch_optional(pool)
            .await
    })
}

pub async fn boards_of(db: &Db, org_id: OrgId) -> Result<Vec<BoardRow>, sqlx::Error> {
    let sql = format!("SELECT {BOARD_COLUMNS} FROM boards WHERE organization_id = $1 ORDER BY is_default DESC, id");
    on_db!(db, |pool| sqlx::query_as::<_, BoardRow>(&sql).bind(org_id).fetch_all(pool).await)
}

pub async fn board_by_key(db: &Db, org_id: OrgId, key: &str) -> Result<Option<BoardRow>, sqlx::Error> {
    let sql = format!("SELECT {BOARD_COLUMNS} FROM boards WHERE organization_id = $1 AND key = $2");
    on_db!(db, |pool| sqlx::query_as::<_, BoardRow>(&sql).bind(org_id).bind(key).fetch_optional(pool).await)
}

/// Every stage of every board of the org, ordered by board then position.
pub async fn stages_of_org(db: &Db, org_id: OrgId) -> Result<Vec<StageRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, StageRow>(
            "SELECT s.id, s.board_id, s.key, s.label, s.position FROM stages s \
             JOIN boards b ON b.id = s.board_id WHERE b.organization_id = $1 ORDER BY s.board_id, s.position",
        )
        .bind(org_id)
        .fetch_all(pool)
        .await
    })
}

pub async fn stages_of_board(db: &Db, board_id: BoardId) -> Result<Vec<StageRow>, sqlx::Error> {
    let sql = format!("SELECT {STAGE_COLUMNS} FROM stages WHERE board_id = $1 ORDER BY position");
    on_db!(db, |pool| sqlx::query_as::<_, StageRow>(&sql).bind(board_id).fetch_all(pool).await)
}

/// Adds a board with its stages; a new default board takes the flag from the old one in
/// the same transaction, so the org always has exactly one.
pub async fn insert_board(db: &Db, org_id: OrgId, board: &BoardSpec<'_>, now: i64) -> Result<BoardId, sqlx::Error> {
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        if board.is_default {
            sqlx::query("UPDATE boards SET is_default = FALSE WHERE organization_id = $1 AND is_default")
                .bind(org_id)
                .execute(&mut *tx)
                .await?;
        }
        let board_id: BoardId = sqlx::query_scalar(
            "INSERT INTO boards (organization_id, key, name, is_default, created_at) VALUES ($1, $2, $3, $4, $5) \
                RETURNING id",
        )
        .bind(org_id)
        .bind(board.key)
        .bind(board.name)
        .bind(board.is_default)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for (i, (key, label)) in board.stages.iter().enumerate() {
            sqlx::query("INSERT INTO stages (board_id, key, label, position) VALUES ($1, $2, $3, $4)")
                .bind(board_id)
                .bind(key)
                .bind(label)
                .bind(i as i64 + 1)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(board_id)
    })
}

pub async fn update_board(
    db: &Db,
    org_id: OrgId,
    board_id: BoardId,
    name: Option<&str>,
    make_default: bool,
) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        if make_default {
            sqlx::query("UPDATE boards SET is_default = FALSE WHERE organization_id = $1 AND is_default AND id <> $2")
                .bind(org_id)
                .bind(board_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE boards SET is_default = TRUE WHERE id = $1").bind(board_id).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE boards SET name = COALESCE($2, name) WHERE id = $1")
            .bind(board_id)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Inserts a stage at `position` (1-based, clamped to the end), shifting later stages.
pub async fn insert_stage(
    db: &Db,
    board_id: BoardId,
    key: &str,
    label: &str,
    position: Option<i64>,
) -> Result<StageRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO stages (board_id, key, label, position) VALUES ($1, $2, $3, $4) RETURNING {STAGE_COLUMNS}"
    );
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stages WHERE board_id = $1")
            .bind(board_id)
            .fetch_one(&mut *tx)
            .await?;
        let pos = position.unwrap_or(count + 1).clamp(1, count + 1);
        sqlx::query("UPDATE stages SET position = position + 1 WHERE board_id = $1 AND position >= $2")
            .bind(board_id)
            .bind(pos)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query_as::<_, StageRow>(&sql)
            .bind(board_id)
            .bind(key)
            .bind(label)
            .bind(pos)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row)
    })
}

/// Renames and/or moves a stage; positions of the others close up around it.
pub async fn update_stage(
    db: &Db,
    board_id: BoardId,
    stage_id: StageId,
    label: Option<&str>,
    position: Option<i64>,
) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        if let Some(label) = label {
            sqlx::query("UPDATE stages SET label = $2 WHERE id = $1")
                .bind(stage_id)
                .bind(label)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(target) = position {
            let current: i64 = sqlx::query_scalar("SELECT position FROM stages WHERE id = $1")
                .bind(stage_id)
                .fetch_one(&mut *tx)
                .await?;
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stages WHERE board_id = $1")
                .bind(board_id)
                .fetch_one(&mut *tx)
                .await?;
            let target = target.clamp(1, count);
            if target < current {
                sqlx::query(
                    "UPDATE stages SET position = position + 1 WHERE board_id = $1 AND position >= $2 AND \
                    position < $3",
                )
                .bind(board_id)
                .bind(target)
                .bind(current)
                .execute(&mut *tx)
                .await?;
            } else if target > current {
                sqlx::query(
                    "UPDATE stages SET position = position - 1 WHERE board_id = $1 AND position > $2 AND \
                    position <= $3",
                )
                .bind(board_id)
                .bind(current)
                .bind(target)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("UPDATE stages SET position = $2 WHERE id = $1")
                .bind(stage_id)
                .bind(target)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    })
}
