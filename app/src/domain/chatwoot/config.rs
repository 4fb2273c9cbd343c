//! Each org's Chatwoot connection: base URL, account, sealed secrets, inbox → channel map.

use crate::domain::error::{DomainError, Fields};
use crate::domain::store::{self, webhooks::ChatwootConfigRow};
use crate::domain::{orgs, Actor, Services};
use crate::model::*;
use std::collections::BTreeMap;

pub const SOURCES: [&str; 2] = ["whatsapp", "instagram"];

fn check_url(raw: &str) -> Result<String, ErrorCode> {
    let s = raw.trim().trim_end_matches('/');
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")).ok_or(ErrorCode::UrlInvalid)?;
    if rest.is_empty() || rest.contains(char::is_whitespace) || s.len() > 500 {
        return Err(ErrorCode::UrlInvalid);
    }
    Ok(s.to_string())
}

fn check_inboxes(map: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, ErrorCode> {
    let mut out = BTreeMap::new();
    for (inbox, source) in map {
        let id: i64 = inbox.trim().parse().map_err(|_| ErrorCode::NumberInvalid)?;
        if id <= 0 {
            return Err(ErrorCode::NumberInvalid);
        }
        let source = source.trim().to_ascii_lowercase();
        if !SOURCES.contains(&source.as_str()) {
            return Err(ErrorCode::SourceInvalid);
        }
        out.insert(id.to_string(), source);
    }
    Ok(out)
}

fn view(slug: &str, row: Option<&ChatwootConfigRow>) -> ChatwootConfigView {
    let webhook_path = format!("/webhooks/chatwoot/{slug}");
    match row {
        None => ChatwootConfigView { webhook_path, ..Default::default() },
        Some(r) => ChatwootConfigView {
            base_url: r.base_url.clone(),
            account_id: r.account_id,
            has_webhook_secret: r.webhook_secret_enc.is_some(),
            has_api_token: r.api_token_enc.is_some(),
            inboxes: serde_json::from_str(&r.inbox_sources).unwrap_or_default(),
            webhook_path,
            updated_at: Some(r.updated_at),
        },
    }
}

pub async fn get(svc: &Services, slug: &str) -> Result<ChatwootConfigView, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let row = store::webhooks::config(&svc.db, org.id).await?;
    Ok(view(&org.slug, row.as_ref()))
}

/// Seals a secret with the master key; `Some("")` clears it, `None` keeps `current`.
fn seal(svc: &Services, given: &Option<String>, current: Option<String>) -> Result<Option<String>, DomainError> {
    match given.as_deref().map(str::trim) {
        None => Ok(current),
        Some("") => Ok(None),
        Some(secret) => svc.secrets.encrypt(secret).map(Some),
    }
}

pub async fn put(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    input: &ChatwootConfigInput,
) -> Result<ChatwootConfigView, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let org_id = org.id;
    let current = store::webhooks::config(&svc.db, org_id).await?;
    let mut f = Fields::default();
    let base_url = match input.base_url.as_deref().map(str::trim) {
        None => current.as_ref().and_then(|c| c.base_url.clone()),
        Some("") => None,
        Some(u) => f.check("base_url", check_url(u)),
    };
    let account_id = match input.account_id {
        None => current.as_ref().and_then(|c| c.account_id),
        Some(id) => f.check("account_id", if id > 0 { Ok(id) } else { Err(ErrorCode::NumberInvalid) }),
    };
    if let Some(secret) = input.webhook_secret.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if secret.chars().count() < 8 {
            f.check::<()>("webhook_secret", Err(ErrorCode::TooShort));
        }
    }
    let inboxes = match &input.inboxes {
        None => current.as_ref().map(|c| c.inbox_sources.clone()),
        Some(map) => {
            f.check("inboxes", check_inboxes(map)).map(|m| serde_json::to_string(&m).unwrap_or_else(|_| "{}".into()))
        }
    };
    f.finish()?;
    let row = ChatwootConfigRow {
        organization_id: org_id,
        base_url,
        account_id,
        webhook_secret_enc: seal(
            svc,
            &input.webhook_secret,
            current.as_ref().and_then(|c| c.webhook_secret_enc.clone()),
        )?,
        api_token_enc: seal(svc, &input.api_token, current.as_ref().and_then(|c| c.api_token_enc.clone()))?,
        inbox_sources: inboxes.unwrap_or_else(|| "{}".into()),
        updated_at: svc.now(),
    };
    store::webhooks::put_config(&svc.db, &row).await?;
    let changed: Vec<&str> = [
        ("base_url", input.base_url.is_some()),
        ("account_id", input.account_id.is_some()),
        ("webhook_secret", input.webhook_secret.is_some()),
        ("api_token", input.api_token.is_some()),
        ("inboxes", input.inboxes.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.then_some(k))
    .collect();
    // The audit names what changed, never the secrets themselves.
    store::audit::record(
        &svc.db,
        &actor.0,
        "chatwoot.configure",
        Some(OrgId(org_id)),
        &serde_json::json!({"changed": changed}),
        svc.now(),
    )
    .await?;
    Ok(view(&org.slug, Some(&row)))
}

/// The webhook secret in clear, for verifying deliveries.
pub(crate) async fn webhook_secret(svc: &Services, org_id: i64) -> Result<(Option<String>, Option<i64>), DomainError> {
    let Some(row) = store::webhooks::config(&svc.db, org_id).await? else { return Ok((None, None)) };
    let secret = row.webhook_secret_enc.as_deref().map(|s| svc.secrets.decrypt(s)).transpose()?;
    Ok((secret, row.account_id))
}
