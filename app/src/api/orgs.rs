//! Organizations in the portal: list, overview, the installer form and the default
//! stage template.

use crate::model::{AppError, OrgDetail, OrgSummary};
use leptos::server;

#[cfg(feature = "ssr")]
use super::ctx::{self, OrReject};
#[cfg(feature = "ssr")]
use crate::domain::{orgs, Actor};
#[cfg(feature = "ssr")]
use crate::model::{split_stage_lines, NewOrg, Role};

#[server(endpoint = "list_orgs")]
pub async fn list_orgs() -> Result<Vec<OrgSummary>, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    orgs::list_orgs(&svc).await.or_reject()
}

#[server(endpoint = "get_org")]
pub async fn get_org(slug: String) -> Result<OrgDetail, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    orgs::get_org(&svc, &slug).await.or_reject()
}

/// The "new organization" form; `stages` is the textarea, one label per line.
#[server(endpoint = "create_org")]
pub async fn create_org(
    slug: String,
    name: String,
    board_name: String,
    stages: String,
) -> Result<OrgSummary, AppError> {
    let (svc, user) = ctx::require(Role::Admin).await?;
    let stages = split_stage_lines(&stages);
    let input = NewOrg { slug, name, stages: Some(stages), board_name: Some(board_name) };
    let detail = orgs::create_org(&svc, &Actor::user(&user.email), &input).await.or_reject()?;
    Ok(detail.org)
}

#[server(endpoint = "stage_template")]
pub async fn stage_template() -> Result<Vec<String>, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    orgs::stage_template(&svc).await.or_reject()
}

#[server(endpoint = "save_stage_template")]
pub async fn save_stage_template(stages: String) -> Result<Vec<String>, AppError> {
    let (svc, user) = ctx::require(Role::Admin).await?;
    orgs::set_stage_template(&svc, &Actor::user(&user.email), &split_stage_lines(&stages)).await.or_reject()
}
