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

/// The org's home page (`/orgs/{slug}`).
#[server(endpoint = "org_home")]
pub async fn org_home(slug: String) -> Result<crate::model::OrgHome, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    crate::domain::org_home::home(&svc, &slug).await.or_reject()
}

/// The org's name (the "Organização" form).
#[server(endpoint = "rename_org")]
pub async fn rename_org(slug: String, name: String) -> Result<OrgDetail, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    let patch = crate::model::OrgPatch { name: Some(name), archived: None };
    orgs::update_org(&svc, &Actor::user(&user.email), &slug, &patch).await.or_reject()
}

/// Archives the org, or brings it back (administrators: an archived org refuses its tools).
#[server(endpoint = "archive_org")]
pub async fn archive_org(slug: String, archived: bool) -> Result<OrgDetail, AppError> {
    let (svc, user) = ctx::require(Role::Admin).await?;
    let patch = crate::model::OrgPatch { name: None, archived: Some(archived) };
    orgs::update_org(&svc, &Actor::user(&user.email), &slug, &patch).await.or_reject()
}

/// The Chatwoot form. Empty secret fields keep the stored secret (they are never shown);
/// `inboxes` is the map form's `inboxes[<id>]=whatsapp|instagram|` (empty: not mapped),
/// absent when the form had no inbox list.
#[server(endpoint = "save_chatwoot")]
pub async fn save_chatwoot(
    slug: String,
    base_url: String,
    account_id: String,
    api_token: Option<String>,
    webhook_secret: Option<String>,
    auth_mode: String,
    inboxes: Option<std::collections::BTreeMap<String, String>>,
) -> Result<crate::model::ChatwootConfigView, AppError> {
    use crate::model::{ChatwootAccountId, ChatwootConfigInput, ErrorCode, FieldError};
    let (svc, user) = ctx::require(Role::Operator).await?;
    let account_id = match account_id.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(id) => Some(ChatwootAccountId(id)),
            Err(_) => return Err(AppError::fields(vec![FieldError::new("account_id", ErrorCode::NumberInvalid)])),
        },
    };
    let keep_if_blank = |s: Option<String>| s.filter(|v| !v.trim().is_empty());
    let input = ChatwootConfigInput {
        base_url: Some(base_url),
        account_id,
        webhook_secret: keep_if_blank(webhook_secret),
        api_token: keep_if_blank(api_token),
        inboxes: inboxes.map(|m| m.into_iter().filter(|(_, v)| !v.trim().is_empty()).collect()),
        auth_mode: Some(auth_mode),
    };
    crate::domain::chatwoot::config::put(&svc, &Actor::user(&user.email), &slug, &input).await.or_reject()
}

/// The org's inboxes as Chatwoot lists them, for the map form.
#[server(endpoint = "inbox_choices")]
pub async fn inbox_choices(slug: String) -> Result<crate::model::InboxChoices, AppError> {
    let (svc, _) = ctx::require(Role::Operator).await?;
    crate::domain::chatwoot::config::inbox_choices(&svc, &slug).await.or_reject()
}

/// The automation form: mode and where each mode hands events.
#[server(endpoint = "save_automation")]
pub async fn save_automation(
    slug: String,
    mode: String,
    v2_url: String,
    fallback_url: String,
    timeout_ms: String,
) -> Result<crate::model::AutomationView, AppError> {
    use crate::model::{AutomationInput, ErrorCode, FieldError};
    let (svc, user) = ctx::require(Role::Operator).await?;
    let timeout_ms = match timeout_ms.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(ms) => Some(ms),
            Err(_) => return Err(AppError::fields(vec![FieldError::new("timeout_ms", ErrorCode::NumberInvalid)])),
        },
    };
    let input =
        AutomationInput { mode: Some(mode), v2_url: Some(v2_url), fallback_url: Some(fallback_url), timeout_ms };
    crate::domain::automation::put(&svc, &Actor::user(&user.email), &slug, &input).await.or_reject()
}

/// The n8n form: the org's n8n and its API key (blank keeps the stored key).
#[server(endpoint = "save_n8n")]
pub async fn save_n8n(
    slug: String,
    base_url: String,
    api_key: Option<String>,
) -> Result<crate::model::N8nView, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    let input = crate::model::N8nInput {
        base_url: Some(base_url),
        api_key: api_key.filter(|k| !k.trim().is_empty()),
        fallback_workflow_id: None,
    };
    crate::domain::automation::put_n8n(&svc, &Actor::user(&user.email), &slug, &input).await.or_reject()
}
