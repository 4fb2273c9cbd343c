//! The "Eventos" page of an org: stored webhook events, one event's record, reprocessing.

use crate::model::{AppError, AuthMode, EventId, EventStatus, EventView, Page, ReprocessResult};
use leptos::server;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ctx::{self, OrReject};
#[cfg(feature = "ssr")]
use crate::domain::{chatwoot, ingest, Actor};
#[cfg(feature = "ssr")]
use crate::model::Role;

/// The list page: a page of events, the org's counts per status and how its webhooks
/// authenticate (operators need to see which orgs still run on a URL token).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventsOverview {
    pub page: Page<EventView>,
    pub counts: Vec<(EventStatus, i64)>,
    pub auth_mode: AuthMode,
}

#[server(endpoint = "list_events")]
pub async fn list_events(
    slug: String,
    status: Option<String>,
    source: Option<String>,
    before: Option<i64>,
) -> Result<EventsOverview, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    let query = ingest::EventQuery {
        status: status.filter(|s| !s.is_empty()),
        source: source.filter(|s| !s.is_empty()),
        before,
        limit: Some(50),
        ..Default::default()
    };
    let page = ingest::list_events(&svc, &slug, &query).await.or_reject()?;
    let counts = ingest::status_counts(&svc, &slug).await.or_reject()?;
    let auth_mode = chatwoot::config::get(&svc, &slug).await.or_reject()?.auth_mode;
    Ok(EventsOverview { page, counts, auth_mode })
}

#[server(endpoint = "get_event")]
pub async fn get_event(slug: String, id: EventId) -> Result<EventView, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    ingest::get_event(&svc, &slug, id).await.or_reject()
}

#[server(endpoint = "reprocess_event")]
pub async fn reprocess_event(slug: String, id: EventId) -> Result<EventView, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    ingest::reprocess_one(&svc, &Actor::user(&user.email), &slug, id).await.or_reject()
}

/// Puts every failed or dead event of the last `hours` back in the queue.
#[server(endpoint = "reprocess_failed")]
pub async fn reprocess_failed(slug: String, hours: i64) -> Result<ReprocessResult, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    let hours = hours.clamp(1, 24 * 90);
    let now = svc.now();
    ingest::reprocess_range(&svc, &Actor::user(&user.email), &slug, now - hours * 3_600_000, now + 1).await.or_reject()
}
