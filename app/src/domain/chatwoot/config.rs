//! Each org's Chatwoot connection: base URL, account, sealed secrets, inbox → channel map.

use crate::domain::error::{DomainError, Fields};
use crate::domain::store::{self, webhooks::ChatwootConfigRow};
use crate::domain::{orgs, Actor, Services};
use crate::model::*;
use std::collections::BTreeMap;

pub(crate) fn check_url(raw: &str) -> Result<String, ErrorCode> {
    let s = raw.trim().trim_end_matches('/');
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")).ok_or(ErrorCode::UrlInvalid)?;
    if rest.is_empty() || rest.contains(char::is_whitespace) || s.len() > 500 {
        return Err(ErrorCode::UrlInvalid);
    }
    Ok(s.to_string())
}

fn check_inboxes(map: &BTreeMap<String, String>) -> Result<BTreeMap<String, Source>, ErrorCode> {
    let mut out = BTreeMap::new();
    for (inbox, source) in map {
        let id: i64 = inbox.trim().parse().map_err(|_| ErrorCode::NumberInvalid)?;
        if id <= 0 {
            return Err(ErrorCode::NumberInvalid);
        }
        out.insert(id.to_string(), source.trim().to_ascii_lowercase().parse::<Source>()?);
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
            webhook_path: match r.auth_mode {
                AuthMode::UrlToken => format!("{webhook_path}/{{token}}"),
                AuthMode::Signature => webhook_path,
            },
            auth_mode: r.auth_mode,
            has_url_token: r.url_token_hash.is_some(),
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
        Some(id) => f.check("account_id", if id.0 > 0 { Ok(id) } else { Err(ErrorCode::NumberInvalid) }),
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
    let auth_mode = match input.auth_mode.as_deref().map(str::trim) {
        None => current.as_ref().map(|c| c.auth_mode).unwrap_or_default(),
        Some(m) => f.check("auth_mode", m.parse::<AuthMode>()).unwrap_or_default(),
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
        auth_mode,
        url_token_hash: current.as_ref().and_then(|c| c.url_token_hash.clone()),
        updated_at: svc.now(),
    };
    store::webhooks::put_config(&svc.db, &row).await?;
    svc.ingest.auth_cache.clear();
    let changed: Vec<&str> = [
        ("base_url", input.base_url.is_some()),
        ("account_id", input.account_id.is_some()),
        ("webhook_secret", input.webhook_secret.is_some()),
        ("api_token", input.api_token.is_some()),
        ("inboxes", input.inboxes.is_some()),
        ("auth_mode", input.auth_mode.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.then_some(k))
    .collect();
    // The audit names what changed, never the secrets themselves.
    store::audit::record(
        &svc.db,
        &actor.0,
        "chatwoot.configure",
        Some(org_id),
        &serde_json::json!({"changed": changed}),
        svc.now(),
    )
    .await?;
    Ok(view(&org.slug, Some(&row)))
}

/// Makes a new URL token for an org whose Chatwoot cannot sign (older than 4.11.2) and
/// switches it to `url_token` mode. The token is returned once; only its hash is kept.
pub async fn new_url_token(svc: &Services, actor: &Actor, slug: &str) -> Result<UrlTokenCreated, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let current = store::webhooks::config(&svc.db, org.id).await?;
    let token = crate::domain::auth::random_token();
    let mut row = current.unwrap_or(ChatwootConfigRow {
        organization_id: org.id,
        base_url: None,
        account_id: None,
        webhook_secret_enc: None,
        api_token_enc: None,
        inbox_sources: "{}".into(),
        auth_mode: AuthMode::UrlToken,
        url_token_hash: None,
        updated_at: svc.now(),
    });
    row.auth_mode = AuthMode::UrlToken;
    row.url_token_hash = Some(crate::domain::auth::token_hash(&token));
    row.updated_at = svc.now();
    store::webhooks::put_config(&svc.db, &row).await?;
    svc.ingest.auth_cache.clear();
    store::audit::record(&svc.db, &actor.0, "chatwoot.url_token", Some(org.id), &serde_json::json!({}), svc.now())
        .await?;
    Ok(UrlTokenCreated { webhook_path: format!("/webhooks/chatwoot/{}/{token}", org.slug), token })
}

/// How an org's deliveries are authenticated, with the secret in clear.
#[derive(Clone)]
pub(crate) struct WebhookAuth {
    pub mode: AuthMode,
    pub secret: Option<String>,
    pub url_token_hash: Option<String>,
    pub account_id: Option<ChatwootAccountId>,
}

pub(crate) async fn webhook_auth(svc: &Services, org_id: OrgId) -> Result<Option<WebhookAuth>, DomainError> {
    let Some(row) = store::webhooks::config(&svc.db, org_id).await? else { return Ok(None) };
    let secret = row.webhook_secret_enc.as_deref().map(|s| svc.secrets.decrypt(s)).transpose()?;
    Ok(Some(WebhookAuth {
        mode: row.auth_mode,
        secret,
        url_token_hash: row.url_token_hash,
        account_id: row.account_id,
    }))
}

/// The org's inbox id → channel map.
pub(crate) async fn inbox_map(svc: &Services, org_id: OrgId) -> Result<BTreeMap<String, Source>, DomainError> {
    let row = store::webhooks::config(&svc.db, org_id).await?;
    Ok(row.and_then(|r| serde_json::from_str(&r.inbox_sources).ok()).unwrap_or_default())
}

/// What the org's Chatwoot config still lacks before Ponte can call the API (operators'
/// words: URL, conta, token de API).
pub(crate) fn missing_for_api(row: Option<&ChatwootConfigRow>) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if row.and_then(|r| r.base_url.as_ref()).is_none() {
        missing.push("URL");
    }
    if row.and_then(|r| r.account_id).is_none() {
        missing.push("conta");
    }
    if row.and_then(|r| r.api_token_enc.as_ref()).is_none() {
        missing.push("token de API");
    }
    missing
}

/// The org's inboxes as Chatwoot lists them, each with the channel Ponte proposes and the
/// one mapped today, for the map form. A Chatwoot that cannot be asked is the answer's
/// `error`, not a failure: the form shows it where the list would be.
pub async fn inbox_choices(svc: &Services, slug: &str) -> Result<InboxChoices, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let row = store::webhooks::config(&svc.db, org.id).await?;
    let (Some(base), Some(account), Some(token)) = (
        row.as_ref().and_then(|r| r.base_url.clone()),
        row.as_ref().and_then(|r| r.account_id),
        row.as_ref().and_then(|r| r.api_token_enc.clone()),
    ) else {
        let missing = missing_for_api(row.as_ref()).join(", ");
        return Ok(InboxChoices {
            inboxes: Vec::new(),
            error: Some(Note::new(NoteCode::CheckChatwootNotConfigured).with("missing", missing)),
        });
    };
    let token = svc.secrets.decrypt(&token)?;
    let client = super::api::Chatwoot::new(&svc.http, &base, account.0, &token).with_timeout(svc.config.check_timeout);
    let mapped: BTreeMap<String, Source> =
        row.as_ref().and_then(|r| serde_json::from_str(&r.inbox_sources).ok()).unwrap_or_default();
    match client.inboxes().await {
        Ok(list) => Ok(InboxChoices {
            inboxes: list
                .into_iter()
                .map(|i| InboxChoice {
                    id: i.id,
                    name: i.name.clone().unwrap_or_default(),
                    channel: i.channel_label(),
                    proposed: i.source(),
                    mapped: mapped.get(&i.id.to_string()).copied(),
                })
                .collect(),
            error: None,
        }),
        Err(e) => {
            tracing::info!(org = %org.slug, error = %e, "inbox list for the map form failed");
            Ok(InboxChoices { inboxes: Vec::new(), error: Some(e.note()) })
        }
    }
}
