//! The "Automação" page of an org: n8n and workflow state, mode, tokens, recent tool calls,
//! rollback and roll-forward.

use crate::model::{ActionReport, AppError, AutomationStatus, OrgTokenCreated, OrgTokenDto, TokenId, ToolCallDto};
use leptos::server;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ctx::{self, OrReject};
#[cfg(feature = "ssr")]
use crate::domain::{automation, tools, Actor};
#[cfg(feature = "ssr")]
use crate::model::{NewOrgToken, Role, RollbackInput};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutomationOverview {
    pub status: AutomationStatus,
    pub tokens: Vec<OrgTokenDto>,
    pub calls: Vec<ToolCallDto>,
}

#[server(endpoint = "automation_page")]
pub async fn automation_page(slug: String) -> Result<AutomationOverview, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    let status = automation::status(&svc, &slug).await.or_reject()?;
    let tokens = tools::list_tokens(&svc, &slug).await.or_reject()?;
    let calls = tools::calls(&svc, &slug, None, 20).await.or_reject()?.items;
    Ok(AutomationOverview { status, tokens, calls })
}

#[server(endpoint = "rollback_org")]
pub async fn rollback_org(slug: String, reason: String) -> Result<ActionReport, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    automation::rollback(&svc, &Actor::user(&user.email), &slug, &RollbackInput { reason: Some(reason) })
        .await
        .or_reject()
}

#[server(endpoint = "roll_forward_org")]
pub async fn roll_forward_org(slug: String) -> Result<ActionReport, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    automation::roll_forward(&svc, &Actor::user(&user.email), &slug).await.or_reject()
}

#[server(endpoint = "create_org_token")]
pub async fn create_org_token(slug: String, name: String) -> Result<OrgTokenCreated, AppError> {
    let (svc, user) = ctx::require(Role::Admin).await?;
    tools::create_token(&svc, &Actor::user(&user.email), &slug, &NewOrgToken { name }).await.or_reject()
}

#[server(endpoint = "revoke_org_token")]
pub async fn revoke_org_token(slug: String, id: TokenId) -> Result<(), AppError> {
    let (svc, user) = ctx::require(Role::Admin).await?;
    tools::revoke_token(&svc, &Actor::user(&user.email), &slug, id).await.or_reject()
}
