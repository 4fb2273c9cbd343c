//! Reconciliation tasks: the open identity conflicts between contacts, and their
//! resolution (with the identity change it implies) in one transaction.

use super::{on_db, Db, WritePool};
use crate::model::{
    ConflictId, ConflictKind, ConflictStatus, ContactId, EventId, Note, NoteCode, OrgId, Resolution, RunId, Source,
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: ConflictId,
    pub kind: ConflictKind,
    pub source: Source,
    pub external_id: String,
    pub contact_id: Option<ContactId>,
    pub other_contact_id: Option<ContactId>,
    pub run_id: Option<RunId>,
    pub event_id: Option<EventId>,
    pub phone_raw: Option<String>,
    pub detail: Option<Note>,
    pub status: ConflictStatus,
    pub resolution: Option<Resolution>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str =
    "id, kind, source, external_id, contact_id, other_contact_id, run_id, event_id, phone_raw, detail, \
     status, resolution, resolved_by, resolved_at, created_at";

/// Invalid phones are listed in the backfill's report, not reconciled: there is no second
/// contact or number to decide about.
const TASK_KINDS: &str = "kind <> 'invalid_phone'";

pub async fn tasks(
    db: &Db,
    org_id: OrgId,
    status: Option<ConflictStatus>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<TaskRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM identity_conflicts WHERE organization_id = $1 AND {TASK_KINDS} \
         AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
    );
    on_db!(db, |pool| {
        sqlx::query_as::<_, TaskRow>(&sql).bind(org_id).bind(status).bind(before).bind(limit).fetch_all(pool).await
    })
}

pub async fn task(db: &Db, org_id: OrgId, id: ConflictId) -> Result<Option<TaskRow>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM identity_conflicts WHERE organization_id = $1 AND id = $2 AND {TASK_KINDS}");
    on_db!(db, |pool| sqlx::query_as::<_, TaskRow>(&sql).bind(org_id).bind(id).fetch_optional(pool).await)
}

/// Open tasks per org (the portal's badge).
pub async fn open_count(db: &Db, org_id: OrgId) -> Result<i64, sqlx::Error> {
    let sql = format!(
        "SELECT COUNT(*) FROM identity_conflicts WHERE organization_id = $1 AND status = 'open' AND {TASK_KINDS}"
    );
    on_db!(db, |pool| sqlx::query_scalar::<_, i64>(&sql).bind(org_id).fetch_one(pool).await)
}

/// Moves a number's identity from one contact ($5) to another ($1), only if it is still the
/// first one's: a decision and its undo both move through it.
const MOVE_IDENTITY: &str = "UPDATE messaging_contact_identities SET contact_id = $1 \
     WHERE organization_id = $2 AND source = $3 AND external_id = $4 AND contact_id = $5";

/// The identity change a resolution makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relink {
    /// Move the number from `from` to `to` (it must still be `from`'s).
    Move { source: Source, external_id: String, from: ContactId, to: ContactId },
    /// Give `to` the number as one more identity (it must still be free).
    Add { source: Source, external_id: String, to: ContactId },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Resolved,
    AlreadyResolved,
    /// The identities changed since the task was opened: nothing was written.
    Stale,
}

pub async fn resolve(
    db: &Db,
    org_id: OrgId,
    id: ConflictId,
    resolution: Resolution,
    relink: Option<&Relink>,
    actor: &str,
    now: i64,
) -> Result<Outcome, sqlx::Error> {
    on_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let closed = sqlx::query(
            "UPDATE identity_conflicts SET status = 'resolved', resolution = $1, resolved_by = $2, resolved_at = $3 \
             WHERE organization_id = $4 AND id = $5 AND status = 'open'",
        )
        .bind(resolution)
        .bind(actor)
        .bind(now)
        .bind(org_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if closed == 0 {
            tx.rollback().await?;
            return Ok(Outcome::AlreadyResolved);
        }
        let changed = match relink {
            None => 1,
            Some(Relink::Move { source, external_id, from, to }) => sqlx::query(MOVE_IDENTITY)
                .bind(to)
                .bind(org_id)
                .bind(source)
                .bind(external_id)
                .bind(from)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            Some(Relink::Add { source, external_id, to }) => sqlx::query(
                "INSERT INTO messaging_contact_identities (organization_id, contact_id, source, external_id, \
                    created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(org_id)
            .bind(to)
            .bind(source)
            .bind(external_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        };
        if changed == 0 {
            tx.rollback().await?;
            return Ok(Outcome::Stale);
        }
        if let Some(Relink::Move { source, external_id, from, to }) = relink {
            // The contact that gave the number up would clash with it at the next backfill:
            // that clash is settled by this decision, so it is recorded as such.
            {
                sqlx::query(
                    "INSERT INTO identity_conflicts (organization_id, kind, source, external_id, contact_id, \
                        other_contact_id, \
                     detail, status, resolution, resolved_by, resolved_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $9, 'resolved', 'kept', $7, $8, $8) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(org_id)
                .bind(ConflictKind::NumberTaken)
                .bind(source)
                .bind(external_id)
                .bind(from)
                .bind(to)
                .bind(actor)
                .bind(now)
                .bind(Note::new(NoteCode::MovedByReconciliation))
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE identity_conflicts SET status = 'resolved', resolution = 'kept', resolved_by = $1, \
                    resolved_at = $2 \
                 WHERE organization_id = $3 AND source = $4 AND external_id = $5 AND contact_id = $6 AND status = \
                 'open'",
            )
            .bind(actor)
            .bind(now)
            .bind(org_id)
            .bind(source)
            .bind(external_id)
            .bind(from)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Outcome::Resolved)
    })
}

/// How a reopen ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reopened {
    Reopened,
    /// The task is open already (another operator reopened it first).
    NotResolved,
    /// The number moved again since the decision: undoing it would undo someone else's
    /// work, so nothing was written.
    Stale,
}

/// Undoes a decision in one transaction: the identity change reversed (`undo`, the inverse
/// of the decision's relink: a move back, or the added identity removed), the side records
/// the decision wrote (the clash it settled for the contact that gave the number up, marked
/// by the same actor and instant) reverted, and the task open again.
pub async fn reopen(db: &Db, org_id: OrgId, task: &TaskRow, undo: Option<&Relink>) -> Result<Reopened, sqlx::Error> {
    on_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let opened = sqlx::query(
            "UPDATE identity_conflicts SET status = 'open', resolution = NULL, resolved_by = NULL, resolved_at = NULL \
             WHERE organization_id = $1 AND id = $2 AND status = 'resolved'",
        )
        .bind(org_id)
        .bind(task.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if opened == 0 {
            tx.rollback().await?;
            return Ok(Reopened::NotResolved);
        }
        let changed = match undo {
            None => 1,
            Some(Relink::Move { source, external_id, from, to }) => sqlx::query(MOVE_IDENTITY)
                .bind(to)
                .bind(org_id)
                .bind(source)
                .bind(external_id)
                .bind(from)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            Some(Relink::Add { source, external_id, to }) => sqlx::query(
                "DELETE FROM messaging_contact_identities \
                 WHERE organization_id = $1 AND source = $2 AND external_id = $3 AND contact_id = $4",
            )
            .bind(org_id)
            .bind(source)
            .bind(external_id)
            .bind(to)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        };
        if changed == 0 {
            tx.rollback().await?;
            return Ok(Reopened::Stale);
        }
        if let (Some(Relink::Move { .. }), Some(by), Some(at)) = (undo, &task.resolved_by, task.resolved_at) {
            // The side records of a move: the settled clash it inserted goes, the ones it
            // closed open again (both carry the decision's actor and instant).
            sqlx::query(
                "DELETE FROM identity_conflicts WHERE organization_id = $1 AND source = $2 AND external_id = $3 \
                    AND id <> $4 AND resolved_by = $5 AND resolved_at = $6 AND created_at = $6",
            )
            .bind(org_id)
            .bind(task.source)
            .bind(&task.external_id)
            .bind(task.id)
            .bind(by)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE identity_conflicts SET status = 'open', resolution = NULL, resolved_by = NULL, \
                    resolved_at = NULL \
                 WHERE organization_id = $1 AND source = $2 AND external_id = $3 AND id <> $4 AND resolved_by = $5 \
                    AND resolved_at = $6",
            )
            .bind(org_id)
            .bind(task.source)
            .bind(&task.external_id)
            .bind(task.id)
            .bind(by)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Reopened::Reopened)
    })
}
