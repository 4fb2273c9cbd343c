//! The portal's evidence page: the org's go-live evidence, deleting a file (admins, before
//! go-live) and the go-live record. Uploads and downloads are plain HTTP routes
//! (server/src/http/evidence.rs): they stream.

use crate::model::{AppError, EvidenceDto, GoLiveDto};
use leptos::server;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ctx::{self, OrReject};
#[cfg(feature = "ssr")]
use crate::domain::{evidence, onboarding, Actor};
#[cfg(feature = "ssr")]
use crate::model::Role;

/// Everything the evidence page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidencePage {
    pub files: Vec<EvidenceDto>,
    pub go_live: Option<GoLiveDto>,
    /// The caller may add files (operators and admins).
    pub can_add: bool,
    /// The caller may delete files (admins, before go-live).
    pub can_delete: bool,
}

#[server(endpoint = "org_evidence")]
pub async fn org_evidence(slug: String) -> Result<EvidencePage, AppError> {
    let (svc, user) = ctx::require(Role::Viewer).await?;
    let files = evidence::list(&svc, &slug).await.or_reject()?;
    let go_live = onboarding::golive::get(&svc, &slug).await.or_reject()?;
    let can_delete = user.role.allows(Role::Admin) && go_live.is_none();
    Ok(EvidencePage { files, go_live, can_add: user.role.allows(Role::Operator), can_delete })
}

#[server(endpoint = "delete_evidence")]
pub async fn delete_evidence(slug: String, id: String) -> Result<(), AppError> {
    let (svc, user) = ctx::require(Role::Admin).await?;
    evidence::delete(&svc, &Actor::user(&user.email), &slug, &id).await.or_reject()
}
