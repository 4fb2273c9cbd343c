//! A run's life as operators see it: started (alone or in a wave of orgs), paused,
//! resumed, cancelled, and read back (one run, an org's history, every org's latest, the
//! CSV report). The batches themselves are the engine's.

use super::{dto, BackfillRunDto, OrgBackfillDto, WaveStart};
use crate::domain::error::DomainError;
use crate::domain::report::{self, CsvReport};
use crate::domain::store::backfill::RunRow;
use crate::domain::{orgs, store, Actor, Services};
use crate::model::*;
use std::collections::HashMap;

/// Starts a run (its batches are worked by a runner: see `run_next` and `run_batches`).
/// An org has at most one run going (running or paused) at a time.
pub async fn start(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    dry_run: bool,
    batch_size: i64,
) -> Result<BackfillRunDto, DomainError> {
    start_in_wave(svc, actor, slug, dry_run, batch_size, None).await
}

async fn start_in_wave(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    dry_run: bool,
    batch_size: i64,
    wave: Option<&str>,
) -> Result<BackfillRunDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    if !(1..=50_000).contains(&batch_size) {
        return Err(DomainError::field("batch_size", ErrorCode::NumberInvalid));
    }
    let active = store::backfill::runs(&svc.db, org.id, 1).await?;
    if active.first().is_some_and(|r| RunStatus::ACTIVE.contains(&r.status)) {
        return Err(DomainError::Rejected(ErrorCode::RunAlreadyActive));
    }
    let run = store::backfill::create_run(&svc.db, org.id, dry_run, batch_size, wave, &actor.0, svc.now()).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "backfill.start",
        Some(org.id),
        &serde_json::json!({"run_id": run.id, "dry_run": dry_run, "wave": wave}),
        svc.now(),
    )
    .await?;
    svc.backfill.wake();
    Ok(dto(run))
}

/// Starts a run for each of several orgs at once, under one wave label. An org that
/// cannot start (unknown, or a run already going) is reported, not fatal to the others.
pub async fn start_wave(
    svc: &Services,
    actor: &Actor,
    slugs: &[String],
    dry_run: bool,
    batch_size: i64,
) -> Result<(String, Vec<WaveStart>), DomainError> {
    if slugs.is_empty() || slugs.len() > 500 {
        return Err(DomainError::field("orgs", ErrorCode::Required));
    }
    let wave = format!(
        "onda-{}",
        chrono::DateTime::from_timestamp_millis(svc.now()).unwrap_or_default().format("%Y%m%d-%H%M%S")
    );
    let mut out = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let r = start_in_wave(svc, actor, slug, dry_run, batch_size, Some(&wave)).await;
        out.push(match r {
            Ok(run) => WaveStart { slug: slug.clone(), run: Some(run), error: None },
            Err(e) => WaveStart { slug: slug.clone(), run: None, error: Some(AppError::from(e).message) },
        });
    }
    Ok((wave, out))
}

pub async fn get(svc: &Services, slug: &str, run_id: RunId) -> Result<BackfillRunDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(dto(store::backfill::run(&svc.db, org.id, run_id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?))
}

/// The org's runs, newest first.
pub async fn history(svc: &Services, slug: &str) -> Result<Vec<BackfillRunDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(store::backfill::runs(&svc.db, org.id, 100).await?.into_iter().map(dto).collect())
}

pub async fn overview(svc: &Services) -> Result<Vec<OrgBackfillDto>, DomainError> {
    let mut latest: HashMap<OrgId, RunRow> =
        store::backfill::latest_per_org(&svc.db).await?.into_iter().map(|r| (r.organization_id, r)).collect();
    let counts: HashMap<OrgId, i64> = store::backfill::contact_counts(&svc.db).await?.into_iter().collect();
    Ok(store::orgs::list(&svc.db)
        .await?
        .into_iter()
        .filter(|o| o.archived_at.is_none())
        .map(|o| OrgBackfillDto {
            contacts: counts.get(&o.id).copied().unwrap_or(0),
            run: latest.remove(&o.id).map(dto),
            slug: o.slug,
            name: o.name,
        })
        .collect())
}

/// Pause, resume or cancel a run.
pub async fn set_status(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    run_id: RunId,
    action: &str,
) -> Result<BackfillRunDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let action = action.parse::<RunAction>().map_err(|e| DomainError::field("action", e))?;
    let (from, to) = action.transition();
    store::backfill::run(&svc.db, org.id, run_id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    if !store::backfill::set_status(&svc.db, run_id, from, to, svc.now()).await? {
        return Err(DomainError::Rejected(ErrorCode::RunStateInvalid));
    }
    store::audit::record(
        &svc.db,
        &actor.0,
        &format!("backfill.{action}"),
        Some(org.id),
        &serde_json::json!({"run_id": run_id}),
        svc.now(),
    )
    .await?;
    if to == RunStatus::Running {
        svc.backfill.wake();
    }
    get(svc, slug, run_id).await
}

/// A run's report as CSV: each conflict and invalid phone it recorded, then the org's
/// contacts without a phone. Opens in a spreadsheet (`;`-free, quoted where needed); the
/// kind and status read in pt-BR, the kind's code stays beside them for scripts.
pub async fn report_csv(svc: &Services, slug: &str, run_id: RunId) -> Result<String, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    store::backfill::run(&svc.db, org.id, run_id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    let lines = store::backfill::report(&svc.db, org.id, run_id).await?;
    let mut report = CsvReport::new(&[
        "tipo",
        "codigo",
        "contato_id",
        "contato",
        "outro_contato_id",
        "telefone_digitado",
        "numero_normalizado",
        "detalhe",
        "situacao",
    ])?;
    for l in lines {
        report.row([
            report::kind_label(&l.kind).to_string(),
            l.kind,
            l.contact_id.map(|i| i.to_string()).unwrap_or_default(),
            l.contact_name.unwrap_or_default(),
            l.other_contact_id.map(|i| i.to_string()).unwrap_or_default(),
            l.phone_raw.unwrap_or_default(),
            l.external_id,
            l.detail.map(|d| d.message()).unwrap_or_default(),
            report::status_label(l.status).to_string(),
        ])?;
    }
    report.finish()
}

/// A contact as an existing client's base brings it (tests; the import has its own path).
pub async fn add_contact(
    svc: &Services,
    slug: &str,
    name: Option<&str>,
    phone: Option<&str>,
) -> Result<ContactId, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(store::backfill::insert_contact(&svc.db, org.id, name, phone, svc.now()).await?)
}
