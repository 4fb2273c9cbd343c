//! The go-live record ("Liberar produção", the wizard's last step): who released which org
//! to production and when, over a frozen, hashed snapshot of the checklist and its evidence.
//!
//! The snapshot is stored as the exact JSON text that was hashed, so verifying it is
//! hashing the stored text again; anyone with the snapshot download can do the same with
//! `sha256sum`. After the record, T-2/T0 evidence is locked (see `evidence`).

use super::super::error::{DomainError, Fields};
use super::super::store::{self, golive::GoLiveRow, orgs::OrgRow};
use super::super::{calendar, orgs, Actor, Services};
use super::rollout::lead_time;
use crate::model::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The audit action of a go-live record.
pub const GO_LIVE_ACTION: &str = "org.go_live";
const REASON_MAX: usize = 1000;
/// The lifecycle move's reason in the audit log, unless an override gave one.
const GO_LIVE_REASON: &str = "liberação de produção";

/// What is frozen at go-live. Field order is the JSON's order; `format` names this shape.
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    pub format: u32,
    pub org: SnapshotOrg,
    pub target: Lifecycle,
    pub live_at: i64,
    pub recorded_at: i64,
    pub technical_owner: String,
    pub approver: String,
    pub override_reason: Option<String>,
    pub credentials_ready_at: Option<i64>,
    pub lead_time_business_days: Option<i64>,
    pub checklist: Vec<SnapshotItem>,
    pub evidence: Vec<SnapshotEvidence>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SnapshotOrg {
    pub slug: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SnapshotItem {
    pub phase: Phase,
    pub item: ItemKey,
    pub status: ItemStatus,
    pub note: Option<String>,
    pub updated_by: Option<String>,
    pub updated_at: Option<i64>,
    /// The last automatic check or smoke test: verdict, when, by whom, and its output.
    pub last_check: Option<SnapshotCheck>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SnapshotCheck {
    pub verdict: Verdict,
    pub actor: String,
    pub started_at: i64,
    pub lines: Vec<CheckLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SnapshotEvidence {
    pub id: i64,
    /// The item's key, or `org`.
    pub scope: String,
    pub name: String,
    pub kind: EvidenceType,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: i64,
}

impl Snapshot {
    /// The stored text and its sha256 (hex).
    pub fn freeze(&self) -> Result<(String, String), DomainError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| DomainError::Internal(e.to_string()))?;
        let hash = sha256_hex(&text);
        Ok((text, hash))
    }
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn dto(slug: &str, r: &GoLiveRow) -> GoLiveDto {
    GoLiveDto {
        slug: slug.to_string(),
        target: r.target,
        live_at: r.live_at,
        recorded_at: r.recorded_at,
        technical_owner: r.technical_owner.clone(),
        approver: r.approver.clone(),
        override_reason: r.override_reason.clone(),
        lead_time_business_days: r.lead_time_days,
        snapshot_sha256: r.snapshot_sha256.clone(),
        intact: sha256_hex(&r.snapshot) == r.snapshot_sha256,
    }
}

/// The org's record, if it went live through Ponte.
pub async fn get(svc: &Services, slug: &str) -> Result<Option<GoLiveDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(store::golive::of_org(&svc.db, org.id).await?.map(|r| dto(&org.slug, &r)))
}

/// The frozen snapshot exactly as hashed (404 without a record).
pub async fn snapshot_text(svc: &Services, slug: &str) -> Result<(String, String), DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let row = store::golive::of_org(&svc.db, org.id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    Ok((row.snapshot, row.snapshot_sha256))
}

/// Whether the org has a go-live record (T-2/T0 evidence is then locked).
pub(crate) async fn is_recorded(svc: &Services, org: OrgId) -> Result<bool, DomainError> {
    Ok(store::golive::of_org(&svc.db, org).await?.is_some())
}

/// "Liberar produção": checks the T-2 and T0 phases (open items refused, unless an admin
/// forces with a reason), freezes the snapshot, makes the record and moves the org to
/// `pilot` or `active`. One record per org.
pub async fn record(
    svc: &Services,
    actor: &Actor,
    may_force: bool,
    slug: &str,
    input: &GoLiveInput,
) -> Result<GoLiveDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let mut f = Fields::default();
    let target = f.check(
        "target",
        match input.target.trim() {
            "pilot" => Ok(Lifecycle::Pilot),
            "active" => Ok(Lifecycle::Active),
            "" => Err(ErrorCode::Required),
            _ => Err(ErrorCode::LifecycleInvalid),
        },
    );
    let owner = input.technical_owner.trim().to_lowercase();
    let owner = if owner.is_empty() {
        f.check::<String>("technical_owner", Err(ErrorCode::Required))
    } else {
        match store::users::by_email(&svc.db, &owner).await? {
            Some(u) => Some(u.email),
            None => f.check::<String>("technical_owner", Err(ErrorCode::UserUnknown)),
        }
    };
    let now = svc.now();
    let live_at = match input.live_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(now),
        // A minute of slack for clocks; a go-live cannot be announced for later.
        Some(t) => f.check(
            "live_at",
            calendar::parse_instant(t).ok_or(ErrorCode::InstantInvalid).and_then(|at| {
                if at > now + 60_000 {
                    Err(ErrorCode::InstantInFuture)
                } else {
                    Ok(at)
                }
            }),
        ),
    };
    let reason = match input.reason.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(r) => f.check("reason", parse_text(r, REASON_MAX).map(Some)),
    };
    f.finish()?;
    let (Some(target), Some(owner), Some(live_at), Some(reason)) = (target, owner, live_at, reason) else {
        return Err(DomainError::Internal("validated fields missing".into()));
    };
    if is_recorded(svc, org.id).await? {
        return Err(DomainError::Rejected(ErrorCode::GoLiveExists));
    }
    let checklist = super::checklist_of(svc, &org).await?;
    let open: Vec<ItemKey> = checklist
        .phases
        .iter()
        .filter(|p| p.phase != Phase::PostActivation)
        .flat_map(|p| p.items.iter().filter(|i| !i.status.is_done()).map(|i| i.key))
        .collect();
    let override_reason = if open.is_empty() {
        None
    } else if !input.force {
        return Err(DomainError::Detailed(ErrorCode::PhaseIncomplete, serde_json::json!({"items": open})));
    } else if !may_force {
        return Err(DomainError::Rejected(ErrorCode::ForceNeedsAdmin));
    } else if reason.is_none() {
        return Err(DomainError::field("reason", ErrorCode::Required));
    } else {
        reason
    };
    // Named after the open items: an org still in draft has those to finish first.
    if !org.lifecycle.next().contains(&target) {
        return Err(DomainError::Detailed(
            ErrorCode::TransitionInvalid,
            serde_json::json!({"from": org.lifecycle, "allowed": org.lifecycle.next()}),
        ));
    }
    let plan = store::rollout::plan(&svc.db, org.id).await?;
    let credentials_ready_at = plan.and_then(|p| p.credentials_ready_at);
    let lead = lead_time(credentials_ready_at, Some(live_at), now).map(|l| l.business_days);
    let snapshot = snapshot(svc, &org, &checklist, target, live_at, now, &owner, actor, &override_reason).await?;
    let snapshot = Snapshot { credentials_ready_at, lead_time_business_days: lead, ..snapshot };
    let (text, hash) = snapshot.freeze()?;
    let row = GoLiveRow {
        id: 0,
        organization_id: org.id,
        target,
        live_at,
        recorded_at: now,
        technical_owner: owner,
        approver: actor.0.clone(),
        override_reason,
        lead_time_days: lead,
        snapshot: text,
        snapshot_sha256: hash,
    };
    let Some(id) = store::golive::insert(&svc.db, &row).await? else {
        return Err(DomainError::Rejected(ErrorCode::GoLiveExists));
    };
    let forced = row.override_reason.is_some();
    let why = row.override_reason.as_deref().unwrap_or(GO_LIVE_REASON);
    if let Err(e) = super::move_to(svc, actor, &org, target, None, Some(why), forced).await {
        store::golive::delete(&svc.db, id).await?;
        return Err(e);
    }
    store::golive::set_activated_at(&svc.db, org.id, live_at).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        GO_LIVE_ACTION,
        Some(org.id),
        &serde_json::json!({
            "target": target, "live_at": live_at, "technical_owner": row.technical_owner,
            "override_reason": row.override_reason, "open_items": open, "snapshot_sha256": row.snapshot_sha256,
        }),
        now,
    )
    .await?;
    tracing::info!(org = %org.slug, target = %target, approver = %actor.0, forced, "go-live recorded");
    Ok(dto(&org.slug, &GoLiveRow { id, ..row }))
}

#[allow(clippy::too_many_arguments)]
async fn snapshot(
    svc: &Services,
    org: &OrgRow,
    checklist: &ChecklistDto,
    target: Lifecycle,
    live_at: i64,
    now: i64,
    owner: &str,
    actor: &Actor,
    override_reason: &Option<String>,
) -> Result<Snapshot, DomainError> {
    let checklist = checklist
        .phases
        .iter()
        .flat_map(|p| p.items.iter())
        .map(|i| SnapshotItem {
            phase: i.phase,
            item: i.key,
            status: i.status,
            note: i.note.clone(),
            updated_by: i.updated_by.clone(),
            updated_at: i.updated_at,
            last_check: i.last_run.as_ref().map(|r| SnapshotCheck {
                verdict: r.verdict,
                actor: r.actor.clone(),
                started_at: r.started_at,
                lines: r.lines.clone(),
            }),
        })
        .collect();
    let evidence = store::evidence::of_org(&svc.db, org.id)
        .await?
        .into_iter()
        .map(|e| SnapshotEvidence {
            id: e.id,
            scope: e.scope,
            name: e.name,
            kind: e.kind,
            size: e.size,
            sha256: e.sha256,
            uploaded_by: e.uploaded_by,
            uploaded_at: e.uploaded_at,
        })
        .collect();
    Ok(Snapshot {
        format: 1,
        org: SnapshotOrg { slug: org.slug.clone(), name: org.name.clone() },
        target,
        live_at,
        recorded_at: now,
        technical_owner: owner.to_string(),
        approver: actor.0.clone(),
        override_reason: override_reason.clone(),
        credentials_ready_at: None,
        lead_time_business_days: None,
        checklist,
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Snapshot {
        Snapshot {
            format: 1,
            org: SnapshotOrg { slug: "coronel".into(), name: "Coronel Picanha".into() },
            target: Lifecycle::Pilot,
            live_at: 1_765_000_000_000,
            recorded_at: 1_765_000_060_000,
            technical_owner: "ana@ponte.test".into(),
            approver: "user:bruno@ponte.test".into(),
            override_reason: None,
            credentials_ready_at: Some(1_764_000_000_000),
            lead_time_business_days: Some(3),
            checklist: vec![SnapshotItem {
                phase: Phase::PreActivation,
                item: ItemKey::ChatwootAccount,
                status: ItemStatus::Ok,
                note: None,
                updated_by: Some("check".into()),
                updated_at: Some(1_764_500_000_000),
                last_check: Some(SnapshotCheck {
                    verdict: Verdict::Passed,
                    actor: "user:ana@ponte.test".into(),
                    started_at: 1_764_500_000_000,
                    lines: vec![],
                }),
            }],
            evidence: vec![SnapshotEvidence {
                id: 7,
                scope: "chatwoot_account".into(),
                name: "perfil.png".into(),
                kind: EvidenceType::Png,
                size: 1234,
                sha256: "ab".repeat(32),
                uploaded_by: "user:ana@ponte.test".into(),
                uploaded_at: 1_764_600_000_000,
            }],
        }
    }

    #[test]
    fn the_hash_is_the_stored_texts_and_moves_with_every_frozen_field() {
        let (text, hash) = sample().freeze().unwrap();
        assert_eq!(sha256_hex(&text), hash);
        assert_eq!(sample().freeze().unwrap().1, hash, "the same snapshot freezes the same");
        type Change = Box<dyn Fn(&mut Snapshot)>;
        let changes: Vec<(&str, Change)> = vec![
            ("org name", Box::new(|s| s.org.name.push('!'))),
            ("target", Box::new(|s| s.target = Lifecycle::Active)),
            ("live_at", Box::new(|s| s.live_at += 1)),
            ("recorded_at", Box::new(|s| s.recorded_at += 1)),
            ("owner", Box::new(|s| s.technical_owner = "bia@ponte.test".into())),
            ("approver", Box::new(|s| s.approver = "api:ci".into())),
            ("override", Box::new(|s| s.override_reason = Some("urgente".into()))),
            ("lead time", Box::new(|s| s.lead_time_business_days = Some(4))),
            ("item status", Box::new(|s| s.checklist[0].status = ItemStatus::NotApplicable)),
            ("item who", Box::new(|s| s.checklist[0].updated_by = Some("user:x".into()))),
            ("item when", Box::new(|s| s.checklist[0].updated_at = Some(1))),
            ("check verdict", Box::new(|s| s.checklist[0].last_check.as_mut().unwrap().verdict = Verdict::Failed)),
            ("evidence hash", Box::new(|s| s.evidence[0].sha256 = "cd".repeat(32))),
            ("evidence name", Box::new(|s| s.evidence[0].name = "outro.png".into())),
            ("evidence removed", Box::new(|s| s.evidence.clear())),
        ];
        for (what, change) in changes {
            let mut s = sample();
            change(&mut s);
            assert_ne!(s.freeze().unwrap().1, hash, "{what} must change the hash");
        }
    }
}
