//! Each org's automation target: mode (`v2`, `fallback`, `paused`) and the workflow URLs.
//! `paused` is the rollback contingency: ingestion, identities and deals keep running and
//! nothing is handed off.

use super::error::{DomainError, Fields};
use super::store::{self, automation::AutomationRow};
use super::{orgs, Actor, Services};
use crate::model::*;

pub const MODES: [&str; 3] = ["v2", "fallback", "paused"];
const DEFAULT_TIMEOUT_MS: i64 = 10_000;

fn view(row: Option<&AutomationRow>) -> AutomationView {
    match row {
        None => AutomationView {
            configured: false,
            mode: "paused".into(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            ..Default::default()
        },
        Some(r) => AutomationView {
            configured: true,
            mode: r.mode.clone(),
            v2_url: r.v2_url.clone(),
            fallback_url: r.fallback_url.clone(),
            timeout_ms: r.timeout_ms,
            updated_at: Some(r.updated_at),
        },
    }
}

pub async fn get(svc: &Services, slug: &str) -> Result<AutomationView, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(view(store::automation::get(&svc.db, org.id).await?.as_ref()))
}

fn url_field(f: &mut Fields, field: &str, given: &Option<String>, current: Option<String>) -> Option<String> {
    match given.as_deref().map(str::trim) {
        None => current,
        Some("") => None,
        Some(u) => f.check(field, super::chatwoot::config::check_url(u)),
    }
}

pub async fn put(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    input: &AutomationInput,
) -> Result<AutomationView, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let current = store::automation::get(&svc.db, org.id).await?;
    let mut f = Fields::default();
    let mode = match input.mode.as_deref().map(str::trim) {
        None => current.as_ref().map(|c| c.mode.clone()).unwrap_or_else(|| "paused".into()),
        Some(m) => {
            f.check("mode", MODES.contains(&m).then(|| m.to_string()).ok_or(ErrorCode::ModeInvalid)).unwrap_or_default()
        }
    };
    let v2_url = url_field(&mut f, "v2_url", &input.v2_url, current.as_ref().and_then(|c| c.v2_url.clone()));
    let fallback_url =
        url_field(&mut f, "fallback_url", &input.fallback_url, current.as_ref().and_then(|c| c.fallback_url.clone()));
    let timeout_ms = match input.timeout_ms {
        None => current.as_ref().map_or(DEFAULT_TIMEOUT_MS, |c| c.timeout_ms),
        Some(ms) => f
            .check("timeout_ms", (100..=120_000).contains(&ms).then_some(ms).ok_or(ErrorCode::NumberInvalid))
            .unwrap_or(0),
    };
    // The active mode must have somewhere to send to.
    if mode == "v2" && v2_url.is_none() && input.v2_url.as_deref().is_none_or(|u| u.trim().is_empty()) {
        f.check::<()>("v2_url", Err(ErrorCode::Required));
    }
    if mode == "fallback" && fallback_url.is_none() && input.fallback_url.as_deref().is_none_or(|u| u.trim().is_empty())
    {
        f.check::<()>("fallback_url", Err(ErrorCode::Required));
    }
    f.finish()?;
    let row = AutomationRow { organization_id: org.id, mode, v2_url, fallback_url, timeout_ms, updated_at: svc.now() };
    store::automation::put(&svc.db, &row).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "automation.configure",
        Some(OrgId(org.id)),
        &serde_json::json!({"mode": row.mode, "v2_url": row.v2_url.is_some(), "fallback_url": row.fallback_url.is_some()}),
        svc.now(),
    )
    .await?;
    Ok(view(Some(&row)))
}
