//! The portal's contacts page: an org's import history (the upload itself is a streamed
//! form post to `/portal/orgs/{slug}/contacts/import`, see `server/src/http/contacts.rs`).

use crate::model::{AppError, ImportDto};
use leptos::server;

#[cfg(feature = "ssr")]
use super::ctx::{self, OrReject};
#[cfg(feature = "ssr")]
use crate::domain::contacts_import;
#[cfg(feature = "ssr")]
use crate::model::Role;

#[server(endpoint = "contact_imports")]
pub async fn contact_imports(slug: String) -> Result<Vec<ImportDto>, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    contacts_import::history(&svc, &slug).await.or_reject()
}
