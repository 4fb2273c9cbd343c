//! Reconciliation: each open identity conflict is a task for an operator, shown with both
//! contacts side by side (identities, deals, conversations) and resolved one of three
//! ways, each audited:
//! - `kept`: the number stays where it is;
//! - `linked_other`: the number goes to the contact the clash was found for (moved from
//!   the contact holding it; or, when it was free, added to the contact);
//! - `not_same_person`: two different people; nothing moves, and the clash is not raised
//!   again (a conflict is recorded once, resolved or not).
//!
//! A decision can be undone (`reopen`): the number goes back where it was and the task is
//! open again, audited; refused when the number moved again since.

use super::error::DomainError;
use super::store::{
    self,
    reconciliation::{Outcome, Relink, Reopened, TaskRow},
};
use super::{orgs, Actor, Services};
use crate::model::*;

/// The resolutions a task of this shape allows.
fn choices(t: &TaskRow) -> Vec<Resolution> {
    let mut out = vec![Resolution::Kept];
    if t.kind.is_identity_clash() && t.contact_id.is_some() {
        out.push(Resolution::LinkedOther);
    }
    if t.other_contact_id.is_some() {
        out.push(Resolution::NotSamePerson);
    }
    out
}

/// A contact with what would move with a decision (the org is already resolved: one
/// query per part, no lookups of the org again).
pub(super) async fn card(
    svc: &Services,
    org_id: OrgId,
    id: Option<ContactId>,
) -> Result<Option<ContactCard>, DomainError> {
    let Some(id) = id else { return Ok(None) };
    let Some(row) = store::crm::contact(&svc.db, org_id, id).await? else { return Ok(None) };
    let db = &svc.db;
    let identities = store::crm::identities(db, org_id, None, Some(id), None, None, CARD_ITEMS).await?;
    let deals = store::crm::deals(db, org_id, None, Some(id), None, None, CARD_ITEMS).await?;
    let conversations = store::crm::conversations(db, org_id, None, Some(id), None, CARD_ITEMS).await?;
    Ok(Some(ContactCard {
        contact: row.into(),
        identities: identities.into_iter().map(Into::into).collect(),
        deals: deals.into_iter().map(Into::into).collect(),
        conversations: conversations.into_iter().map(Into::into).collect(),
    }))
}

/// Identities, deals and conversations shown per contact.
const CARD_ITEMS: i64 = 20;

async fn dto(svc: &Services, org_id: OrgId, t: TaskRow) -> Result<ReconciliationTaskDto, DomainError> {
    Ok(ReconciliationTaskDto {
        contact: card(svc, org_id, t.contact_id).await?,
        other: card(svc, org_id, t.other_contact_id).await?,
        choices: if t.status == ConflictStatus::Open { choices(&t) } else { Vec::new() },
        id: t.id,
        kind: t.kind,
        source: t.source,
        external_id: t.external_id,
        phone_raw: t.phone_raw,
        detail: t.detail,
        status: t.status,
        resolution: t.resolution,
        resolved_by: t.resolved_by,
        resolved_at: t.resolved_at,
        run_id: t.run_id,
        event_id: t.event_id,
        created_at: t.created_at,
    })
}

/// The org's tasks, newest first: `open` (the default), `resolved`, or `all`.
pub async fn list(
    svc: &Services,
    slug: &str,
    status: Option<&str>,
    before: Option<i64>,
    limit: Option<i64>,
) -> Result<Page<ReconciliationTaskDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    // `all`, or one status; open tasks by default.
    let status = match status.unwrap_or(ConflictStatus::Open.as_str()) {
        "all" => None,
        s => Some(s.parse::<ConflictStatus>().map_err(|e| DomainError::field("status", e))?),
    };
    let limit = limit.unwrap_or(20).clamp(1, 100);
    let rows = store::reconciliation::tasks(&svc.db, org.id, status, before, limit).await?;
    let mut items = Vec::with_capacity(rows.len());
    for t in rows {
        items.push(dto(svc, org.id, t).await?);
    }
    Ok(Page::keyset(items, limit, |t: &ReconciliationTaskDto| t.id.0))
}

pub async fn get(svc: &Services, slug: &str, id: ConflictId) -> Result<ReconciliationTaskDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let t =
        store::reconciliation::task(&svc.db, org.id, id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    dto(svc, org.id, t).await
}

pub async fn open_count(svc: &Services, slug: &str) -> Result<i64, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(store::reconciliation::open_count(&svc.db, org.id).await?)
}

/// Resolves a task; the identity change and the task's closing are one transaction.
pub async fn resolve(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    id: ConflictId,
    resolution: &str,
) -> Result<ReconciliationTaskDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let resolution = resolution.parse::<Resolution>().map_err(|e| DomainError::field("resolution", e))?;
    let t =
        store::reconciliation::task(&svc.db, org.id, id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    if t.status != ConflictStatus::Open {
        return Err(DomainError::Rejected(ErrorCode::TaskResolved));
    }
    if !choices(&t).contains(&resolution) {
        return Err(DomainError::field("resolution", ErrorCode::ResolutionInvalid));
    }
    let relink = match (resolution, t.contact_id, t.other_contact_id) {
        (Resolution::LinkedOther, Some(to), Some(from)) => {
            Some(Relink::Move { source: t.source, external_id: t.external_id.clone(), from, to })
        }
        (Resolution::LinkedOther, Some(to), None) => {
            Some(Relink::Add { source: t.source, external_id: t.external_id.clone(), to })
        }
        _ => None,
    };
    match store::reconciliation::resolve(&svc.db, org.id, id, resolution, relink.as_ref(), &actor.0, svc.now()).await? {
        Outcome::Resolved => {}
        Outcome::AlreadyResolved => return Err(DomainError::Rejected(ErrorCode::TaskResolved)),
        Outcome::Stale => return Err(DomainError::Rejected(ErrorCode::TaskStale)),
    }
    store::audit::record(
        &svc.db,
        &actor.0,
        "reconciliation.resolve",
        Some(org.id),
        &serde_json::json!({
            "task_id": id, "kind": t.kind, "resolution": resolution, "external_id": t.external_id,
            "contact_id": t.contact_id, "other_contact_id": t.other_contact_id,
        }),
        svc.now(),
    )
    .await?;
    // Live ingestion caches nothing about identities; the next message follows the new link.
    let t =
        store::reconciliation::task(&svc.db, org.id, id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    dto(svc, org.id, t).await
}

/// The identity change that undoes a decision on `t`: what `resolve` did, reversed.
fn undo_of(t: &TaskRow) -> Option<Relink> {
    match (t.resolution?, t.contact_id, t.other_contact_id) {
        // The number went from `other` to `contact`: it goes back.
        (Resolution::LinkedOther, Some(to), Some(from)) => {
            Some(Relink::Move { source: t.source, external_id: t.external_id.clone(), from: to, to: from })
        }
        // The number was free and was added to `contact`: the added identity goes.
        (Resolution::LinkedOther, Some(to), None) => {
            Some(Relink::Add { source: t.source, external_id: t.external_id.clone(), to })
        }
        _ => None,
    }
}

/// Undoes a decision: the number back where it was, the task open again, audited. Refused
/// when the task is open, or when the number moved again since (undoing would undo that).
pub async fn reopen(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    id: ConflictId,
) -> Result<ReconciliationTaskDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let t =
        store::reconciliation::task(&svc.db, org.id, id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    if t.status != ConflictStatus::Resolved {
        return Err(DomainError::Rejected(ErrorCode::TaskOpen));
    }
    let undo = undo_of(&t);
    match store::reconciliation::reopen(&svc.db, org.id, &t, undo.as_ref()).await? {
        Reopened::Reopened => {}
        Reopened::NotResolved => return Err(DomainError::Rejected(ErrorCode::TaskOpen)),
        Reopened::Stale => return Err(DomainError::Rejected(ErrorCode::ReopenStale)),
    }
    store::audit::record(
        &svc.db,
        &actor.0,
        "reconciliation.reopen",
        Some(org.id),
        &serde_json::json!({
            "task_id": id, "kind": t.kind, "undone": t.resolution, "external_id": t.external_id,
            "contact_id": t.contact_id, "other_contact_id": t.other_contact_id,
            "decided_by": t.resolved_by, "decided_at": t.resolved_at,
        }),
        svc.now(),
    )
    .await?;
    let t =
        store::reconciliation::task(&svc.db, org.id, id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    dto(svc, org.id, t).await
}
