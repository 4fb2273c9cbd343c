//! The portal's backfill pages: the overview (waves of orgs) and an org's runs.

use crate::model::{AppError, BackfillRunDto, OrgBackfillDto, RunId, WaveStart};
use leptos::server;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ctx::{self, OrReject};
#[cfg(feature = "ssr")]
use crate::domain::{backfill, reconciliation, Actor};
#[cfg(feature = "ssr")]
use crate::model::Role;

#[server(endpoint = "backfill_overview")]
pub async fn backfill_overview() -> Result<Vec<OrgBackfillDto>, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    backfill::overview(&svc).await.or_reject()
}

/// `orgs`: slugs separated by commas (the overview's ticked rows).
#[server(endpoint = "start_backfill_wave")]
pub async fn start_backfill_wave(orgs: String, dry_run: bool, batch_size: i64) -> Result<Vec<WaveStart>, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    let slugs: Vec<String> = orgs.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
    let (_, started) =
        backfill::start_wave(&svc, &Actor::user(&user.email), &slugs, dry_run, batch_size).await.or_reject()?;
    Ok(started)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrgBackfillPage {
    pub runs: Vec<BackfillRunDto>,
    pub open_tasks: i64,
}

#[server(endpoint = "org_backfill")]
pub async fn org_backfill(slug: String) -> Result<OrgBackfillPage, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    let runs = backfill::history(&svc, &slug).await.or_reject()?;
    let open_tasks = reconciliation::open_count(&svc, &slug).await.or_reject()?;
    Ok(OrgBackfillPage { runs, open_tasks })
}

/// `dry_run`: present (a ticked checkbox) for a dry run.
#[server(endpoint = "start_org_backfill")]
pub async fn start_org_backfill(
    slug: String,
    dry_run: Option<String>,
    batch_size: i64,
) -> Result<BackfillRunDto, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    backfill::start(&svc, &Actor::user(&user.email), &slug, dry_run.is_some(), batch_size).await.or_reject()
}

/// `action`: pause, resume or cancel.
#[server(endpoint = "backfill_run_action")]
pub async fn backfill_run_action(slug: String, id: RunId, action: String) -> Result<BackfillRunDto, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    backfill::set_status(&svc, &Actor::user(&user.email), &slug, id, &action).await.or_reject()
}
