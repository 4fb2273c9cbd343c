//! Read access to what ingestion built for an org: contacts, messaging identities, deals,
//! conversations and the identity conflicts kept for review. Newest first, paginated by id.

use super::error::DomainError;
use super::{orgs, store, Services};
use crate::model::*;

/// Common list parameters: `before` = the last id of the previous page.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub before: Option<i64>,
    pub limit: Option<i64>,
    pub q: Option<String>,
    pub source: Option<String>,
    pub status: Option<String>,
    pub stage: Option<String>,
    pub contact_id: Option<ContactId>,
    pub external_id: Option<String>,
}

impl ListQuery {
    fn limit(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, 500)
    }
}

/// The channel filter, parsed (an unknown channel is the caller's mistake, not "no rows").
fn source_filter(q: &ListQuery) -> Result<Option<Source>, DomainError> {
    q.source.as_deref().map(|s| s.parse::<Source>().map_err(|e| DomainError::field("source", e))).transpose()
}

/// One contact with its identities, deals and conversations (the portal's contact page, which
/// step notes and reconciliation tasks link to). A contact of another org is not found.
pub async fn contact_card(svc: &Services, slug: &str, id: ContactId) -> Result<ContactCard, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    super::reconciliation::card(svc, org.id, Some(id)).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))
}

pub async fn contacts(svc: &Services, slug: &str, q: &ListQuery) -> Result<Page<ContactDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let text = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let rows = store::crm::contacts(&svc.db, org.id, text, q.before, q.limit()).await?;
    let items = rows.into_iter().map(ContactDto::from).collect();
    Ok(Page::keyset(items, q.limit(), |c: &ContactDto| c.id.0))
}

pub async fn identities(svc: &Services, slug: &str, q: &ListQuery) -> Result<Page<IdentityDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let source = source_filter(q)?;
    let rows =
        store::crm::identities(&svc.db, org.id, source, q.contact_id, q.external_id.as_deref(), q.before, q.limit())
            .await?;
    let items = rows.into_iter().map(IdentityDto::from).collect();
    Ok(Page::keyset(items, q.limit(), |c: &IdentityDto| c.id.0))
}

pub async fn deals(svc: &Services, slug: &str, q: &ListQuery) -> Result<Page<DealDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let status = q
        .status
        .as_deref()
        .map(|s| s.parse::<DealStatus>().map_err(|e| DomainError::field("status", e)))
        .transpose()?;
    let rows =
        store::crm::deals(&svc.db, org.id, status, q.contact_id, q.stage.as_deref(), q.before, q.limit()).await?;
    let items = rows.into_iter().map(DealDto::from).collect();
    Ok(Page::keyset(items, q.limit(), |c: &DealDto| c.id.0))
}

pub async fn conversations(svc: &Services, slug: &str, q: &ListQuery) -> Result<Page<ConversationDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let source = source_filter(q)?;
    let rows = store::crm::conversations(&svc.db, org.id, source, q.contact_id, q.before, q.limit()).await?;
    let items = rows.into_iter().map(ConversationDto::from).collect();
    Ok(Page::keyset(items, q.limit(), |c: &ConversationDto| c.id.0))
}

pub async fn conflicts(svc: &Services, slug: &str, q: &ListQuery) -> Result<Page<ConflictDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let rows = store::crm::conflicts(&svc.db, org.id, q.before, q.limit()).await?;
    let items = rows
        .into_iter()
        .map(|r| ConflictDto {
            id: r.id,
            kind: r.kind,
            source: r.source,
            external_id: r.external_id,
            contact_id: r.contact_id,
            other_contact_id: r.other_contact_id,
            event_id: r.event_id,
            detail: r.detail,
            status: r.status,
            created_at: r.created_at,
        })
        .collect();
    Ok(Page::keyset(items, q.limit(), |c: &ConflictDto| c.id.0))
}

/// Marks a deal won or lost (or open again). The next message of its contact opens a new
/// deal; a contact never has two open deals on one board (the database refuses).
pub async fn set_deal_status(
    svc: &Services,
    actor: &super::Actor,
    slug: &str,
    deal_id: DealId,
    status: &str,
) -> Result<(), DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let status = status.parse::<DealStatus>().map_err(|e| DomainError::field("status", e))?;
    match store::crm::set_deal_status(&svc.db, org.id, deal_id, status, svc.now()).await {
        Ok(true) => {}
        Ok(false) => return Err(DomainError::Rejected(ErrorCode::DealNotFound)),
        Err(e) if store::is_unique_violation(&e) => {
            return Err(DomainError::Conflict(FieldError::new("status", ErrorCode::OpenDealExists)))
        }
        Err(e) => return Err(e.into()),
    }
    store::audit::record(
        &svc.db,
        &actor.0,
        "deal.status",
        Some(org.id),
        &serde_json::json!({"deal_id": deal_id, "status": status}),
        svc.now(),
    )
    .await?;
    Ok(())
}

impl From<store::crm::ContactRow> for ContactDto {
    fn from(r: store::crm::ContactRow) -> Self {
        ContactDto {
            id: r.id,
            name: r.name,
            phone: r.phone,
            email: r.email,
            external_ref: r.external_ref,
            created_at: r.created_at,
        }
    }
}

impl From<store::crm::IdentityRow> for IdentityDto {
    fn from(r: store::crm::IdentityRow) -> Self {
        IdentityDto {
            session_key: format!("{}:{}", r.source, r.external_id),
            id: r.id,
            contact_id: r.contact_id,
            source: r.source,
            external_id: r.external_id,
            created_at: r.created_at,
        }
    }
}

impl From<store::crm::DealRow> for DealDto {
    fn from(r: store::crm::DealRow) -> Self {
        DealDto {
            id: r.id,
            contact_id: r.contact_id,
            board: r.board_key,
            stage: r.stage_key,
            stage_label: r.stage_label,
            status: r.status,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl From<store::crm::ConversationRow> for ConversationDto {
    fn from(r: store::crm::ConversationRow) -> Self {
        ConversationDto {
            id: r.id,
            chatwoot_conversation_id: r.chatwoot_conversation_id,
            contact_id: r.contact_id,
            deal_id: r.deal_id,
            source: r.source,
            session_key: r.session_key,
            created_at: r.created_at,
        }
    }
}
