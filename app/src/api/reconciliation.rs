//! The portal's reconciliation page: an org's tasks, and an operator's decision on one.

use crate::model::{AppError, ConflictId, Page, ReconciliationTaskDto};
use leptos::server;

#[cfg(feature = "ssr")]
use super::ctx::{self, OrReject};
#[cfg(feature = "ssr")]
use crate::domain::{reconciliation, Actor};
#[cfg(feature = "ssr")]
use crate::model::Role;

#[server(endpoint = "reconciliation_tasks")]
pub async fn reconciliation_tasks(
    slug: String,
    status: String,
    before: Option<i64>,
) -> Result<Page<ReconciliationTaskDto>, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    reconciliation::list(&svc, &slug, Some(&status), before, Some(20)).await.or_reject()
}

/// Undoes a decision on a resolved task (operators).
#[server(endpoint = "reopen_task")]
pub async fn reopen_task(slug: String, id: ConflictId) -> Result<ReconciliationTaskDto, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    reconciliation::reopen(&svc, &Actor::user(&user.email), &slug, id).await.or_reject()
}

#[server(endpoint = "resolve_task")]
pub async fn resolve_task(slug: String, id: ConflictId, resolution: String) -> Result<ReconciliationTaskDto, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    reconciliation::resolve(&svc, &Actor::user(&user.email), &slug, id, &resolution).await.or_reject()
}
