//! Onboarding an org: its lifecycle (draft → pre-activation → activation → pilot/active,
//! rolled back and forward by the automation), the activation checklist with its three
//! phases, and operators marking items. The live checks are in `checks`.

pub mod checks;
pub mod export;
pub mod golive;
pub mod live;
pub mod review;
pub mod rollout;
pub mod smoke;
pub mod wizard;

use super::error::{DomainError, Fields};
use super::store::{self, onboarding::RunRow, orgs::OrgRow};
use super::{orgs, Actor, Services};
use crate::model::*;
use std::collections::HashMap;

/// The audit action of a lifecycle change (its detail: from, to, reason, forced).
const LIFECYCLE_ACTION: &str = "org.lifecycle";

pub(crate) fn run_dto(r: RunRow) -> CheckRunDto {
    CheckRunDto {
        id: r.id,
        item: r.item,
        actor: r.actor,
        verdict: r.verdict,
        started_at: r.started_at,
        duration_ms: r.duration_ms,
        lines: serde_json::from_str(&r.lines).unwrap_or_default(),
        calls: serde_json::from_str(&r.calls).unwrap_or_default(),
    }
}

async fn checklist_of(svc: &Services, org: &OrgRow) -> Result<ChecklistDto, DomainError> {
    let mut items: HashMap<ItemKey, store::onboarding::ItemRow> =
        store::onboarding::items(&svc.db, org.id).await?.into_iter().map(|r| (r.item, r)).collect();
    let mut last: HashMap<ItemKey, RunRow> =
        store::onboarding::last_runs(&svc.db, org.id).await?.into_iter().map(|r| (r.item, r)).collect();
    let counts: HashMap<ItemKey, i64> = store::onboarding::run_counts(&svc.db, org.id).await?.into_iter().collect();
    let phases = Phase::ALL
        .iter()
        .map(|&phase| {
            let items: Vec<ChecklistItemDto> = ItemKey::of_phase(phase)
                .map(|key| {
                    let row = items.remove(&key);
                    ChecklistItemDto {
                        key,
                        phase,
                        kind: key.kind(),
                        check_changes_data: key.check_changes_data(),
                        status: row.as_ref().map_or(ItemStatus::Pending, |r| r.status),
                        note: row.as_ref().and_then(|r| r.note.clone()),
                        updated_by: row.as_ref().map(|r| r.updated_by.clone()),
                        updated_at: row.as_ref().map(|r| r.updated_at),
                        last_run: last.remove(&key).map(run_dto),
                        runs: counts.get(&key).copied().unwrap_or(0),
                    }
                })
                .collect();
            let done = items.iter().filter(|i| i.status.is_done()).count();
            PhaseDto { phase, complete: done == items.len(), done, total: items.len(), items }
        })
        .collect();
    Ok(ChecklistDto {
        lifecycle: org.lifecycle,
        next: org.lifecycle.next().to_vec(),
        activated_at: org.activated_at,
        phases,
    })
}

pub async fn checklist(svc: &Services, slug: &str) -> Result<ChecklistDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    checklist_of(svc, &org).await
}

/// The checklists of every org, for the rollout board (one query per table, not per org).
pub async fn progress_of_all(svc: &Services) -> Result<HashMap<OrgId, Vec<(ItemKey, ItemStatus)>>, DomainError> {
    let mut out: HashMap<OrgId, Vec<(ItemKey, ItemStatus)>> = HashMap::new();
    for (org, item, status) in store::onboarding::all_items(&svc.db).await? {
        out.entry(org).or_default().push((item, status));
    }
    Ok(out)
}

/// Each phase's done / total and its failed items, from the items' statuses (an item
/// without a row is pending).
pub fn phase_progress(statuses: &[(ItemKey, ItemStatus)]) -> Vec<PhaseProgress> {
    let status_of = |key: ItemKey| statuses.iter().find(|(k, _)| *k == key).map_or(ItemStatus::Pending, |(_, s)| *s);
    Phase::ALL
        .iter()
        .map(|&phase| {
            let items: Vec<(ItemKey, ItemStatus)> = ItemKey::of_phase(phase).map(|k| (k, status_of(k))).collect();
            PhaseProgress {
                phase,
                done: items.iter().filter(|(_, s)| s.is_done()).count(),
                total: items.len(),
                failed: items.iter().filter(|(_, s)| *s == ItemStatus::Failed).map(|(k, _)| *k).collect(),
            }
        })
        .collect()
}

/// One org's progress (see `phase_progress`).
pub async fn progress_of(svc: &Services, org_id: OrgId) -> Result<Vec<PhaseProgress>, DomainError> {
    let statuses: Vec<(ItemKey, ItemStatus)> =
        store::onboarding::items(&svc.db, org_id).await?.into_iter().map(|r| (r.item, r.status)).collect();
    Ok(phase_progress(&statuses))
}

fn parse_item(raw: &str) -> Result<ItemKey, DomainError> {
    raw.parse::<ItemKey>().map_err(|_| DomainError::Rejected(ErrorCode::NotFound))
}

/// An operator marks an item. `not_applicable` needs a note saying why; so does `ok` on an
/// item whose live check or smoke test has not passed (the note is the evidence then).
pub async fn update_item(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    item: &str,
    input: &ItemUpdate,
) -> Result<ChecklistItemDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let key = parse_item(item)?;
    let mut f = Fields::default();
    let status = f.check("status", input.status.parse::<ItemStatus>());
    let note = f.check("note", parse_note(input.note.as_deref()));
    f.finish()?;
    let (Some(status), Some(note)) = (status, note) else {
        return Err(DomainError::Internal("validated fields missing".into()));
    };
    let passed = store::onboarding::runs_of(&svc.db, org.id, key, 1)
        .await?
        .first()
        .is_some_and(|r| r.verdict == Verdict::Passed);
    let needs_note = match status {
        ItemStatus::NotApplicable => true,
        ItemStatus::Ok => key.kind() != ItemKind::Review && !passed,
        ItemStatus::Pending | ItemStatus::Failed => false,
    };
    if needs_note && note.is_none() {
        return Err(DomainError::field("note", ErrorCode::Required));
    }
    store::onboarding::put_item(&svc.db, org.id, key, status, note.as_deref(), &actor.0, svc.now()).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "checklist.item",
        Some(org.id),
        &serde_json::json!({"item": key, "status": status, "note": note}),
        svc.now(),
    )
    .await?;
    let list = checklist_of(svc, &org).await?;
    list.phases
        .into_iter()
        .flat_map(|p| p.items)
        .find(|i| i.key == key)
        .ok_or(DomainError::Internal("item vanished from its checklist".into()))
}

/// An item's runs, newest first.
pub async fn item_runs(svc: &Services, slug: &str, item: &str, limit: i64) -> Result<Vec<CheckRunDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let key = parse_item(item)?;
    Ok(store::onboarding::runs_of(&svc.db, org.id, key, limit.clamp(1, 200)).await?.into_iter().map(run_dto).collect())
}

/// Moves the org along its lifecycle. A move into a state whose phase is not complete is
/// refused naming the items left, unless an admin forces it with a written reason.
/// Asking for the state the org is in changes nothing.
pub async fn change_state(
    svc: &Services,
    actor: &Actor,
    may_force: bool,
    slug: &str,
    input: &StateChange,
) -> Result<ChecklistDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let mut f = Fields::default();
    let to = f.check("state", input.state.parse::<Lifecycle>());
    let reason = f.check("reason", parse_note(input.reason.as_deref()));
    f.finish()?;
    let (Some(to), Some(reason)) = (to, reason) else {
        return Err(DomainError::Internal("validated fields missing".into()));
    };
    if to == org.lifecycle {
        return checklist_of(svc, &org).await;
    }
    if !org.lifecycle.next().contains(&to) {
        return Err(DomainError::Detailed(
            ErrorCode::TransitionInvalid,
            serde_json::json!({"from": org.lifecycle, "allowed": org.lifecycle.next()}),
        ));
    }
    let mut forced = false;
    // Only forward moves need the phase behind them complete; going back never does.
    let forward =
        Lifecycle::ALL.iter().position(|&s| s == to) > Lifecycle::ALL.iter().position(|&s| s == org.lifecycle);
    if let Some(phase) = to.requires().filter(|_| forward) {
        let list = checklist_of(svc, &org).await?;
        let left: Vec<ItemKey> = list
            .phases
            .iter()
            .filter(|p| p.phase == phase)
            .flat_map(|p| p.items.iter().filter(|i| !i.status.is_done()).map(|i| i.key))
            .collect();
        if !left.is_empty() {
            if !input.force {
                return Err(DomainError::Detailed(
                    ErrorCode::PhaseIncomplete,
                    serde_json::json!({"phase": phase, "items": left}),
                ));
            }
            if !may_force {
                return Err(DomainError::Rejected(ErrorCode::ForceNeedsAdmin));
            }
            if reason.is_none() {
                return Err(DomainError::field("reason", ErrorCode::Required));
            }
            forced = true;
        }
    }
    let moved = move_to(svc, actor, &org, to, None, reason.as_deref(), forced).await?;
    checklist_of(svc, &moved).await
}

/// Writes one move (refused as stale when someone moved the org meanwhile) and audits it.
async fn move_to(
    svc: &Services,
    actor: &Actor,
    org: &OrgRow,
    to: Lifecycle,
    rolled_back_from: Option<Lifecycle>,
    reason: Option<&str>,
    forced: bool,
) -> Result<OrgRow, DomainError> {
    let moved = store::orgs::set_lifecycle(&svc.db, org.id, org.lifecycle, to, rolled_back_from, svc.now())
        .await?
        .ok_or(DomainError::Rejected(ErrorCode::TransitionInvalid))?;
    store::audit::record(
        &svc.db,
        &actor.0,
        LIFECYCLE_ACTION,
        Some(org.id),
        &serde_json::json!({"from": org.lifecycle, "to": to, "reason": reason, "forced": forced}),
        svc.now(),
    )
    .await?;
    tracing::info!(org = %org.slug, from = %org.lifecycle, to = %to, actor = %actor.0, forced, "lifecycle changed");
    Ok(moved)
}

/// A rollback moves a live org to `rolled_back`, remembering where it was. An org that was
/// not live yet (a draft testing its automation) keeps its state.
pub(crate) async fn rolled_back(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    reason: Option<&str>,
) -> Result<(), DomainError> {
    let Some(row) = store::orgs::by_id(&svc.db, org).await? else { return Ok(()) };
    if row.lifecycle.is_live() {
        move_to(svc, actor, &row, Lifecycle::RolledBack, Some(row.lifecycle), reason, false).await?;
    }
    Ok(())
}

/// A roll-forward returns a rolled-back org to the state it was rolled back from.
pub(crate) async fn rolled_forward(svc: &Services, actor: &Actor, org: OrgId) -> Result<(), DomainError> {
    let Some(row) = store::orgs::by_id(&svc.db, org).await? else { return Ok(()) };
    if row.lifecycle == Lifecycle::RolledBack {
        let to = row.rolled_back_from.unwrap_or(Lifecycle::Activation);
        move_to(svc, actor, &row, to, None, None, false).await?;
    }
    Ok(())
}

/// The org's lifecycle changes, newest first.
pub async fn history(svc: &Services, slug: &str) -> Result<Vec<StateChangeDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let rows = store::audit::of_action(&svc.db, org.id, LIFECYCLE_ACTION, 100).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let d: serde_json::Value = serde_json::from_str(&r.detail).ok()?;
            Some(StateChangeDto {
                from: serde_json::from_value(d["from"].clone()).ok()?,
                to: serde_json::from_value(d["to"].clone()).ok()?,
                actor: r.actor,
                reason: d["reason"].as_str().map(str::to_string),
                forced: d["forced"].as_bool().unwrap_or(false),
                at: r.at,
            })
        })
        .collect())
}
