//! The portal's contacts pages: an org's import history (the upload itself is a streamed
//! form post to `/portal/orgs/{slug}/contacts/import`, see `server/src/http/contacts.rs`)
//! and one contact's card.

use crate::model::{AppError, ContactCard, ContactId, ImportDto};
use leptos::server;

#[cfg(feature = "ssr")]
use super::ctx::{self, OrReject};
#[cfg(feature = "ssr")]
use crate::domain::{contacts_import, crm};
#[cfg(feature = "ssr")]
use crate::model::Role;

#[server(endpoint = "contact_imports")]
pub async fn contact_imports(slug: String) -> Result<Vec<ImportDto>, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    contacts_import::history(&svc, &slug).await.or_reject()
}

/// One contact of the org with its identities, deals and conversations.
#[server(endpoint = "get_contact")]
pub async fn get_contact(slug: String, id: ContactId) -> Result<ContactCard, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    crm::contact_card(&svc, &slug, id).await.or_reject()
}
