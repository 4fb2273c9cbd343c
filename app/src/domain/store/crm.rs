//! The CRM side of ingestion: contacts, their messaging identities, deals, conversations,
//! and the identity conflicts kept for review. `apply_inbound` is the race-safe write path
//! (the statements; what their results mean is decided in `identity::resolve` and `deals`);
//! the rest are the paginated reads of the admin API and the portal.

use super::{on_db, Db, WritePool};
use crate::domain::deals::{choose_deal, link_conversation, ConversationLink, DealChoice};
use crate::domain::identity::resolve::{resolve, Creation};
use crate::model::{
    BoardId, ChatwootConversationId, ConflictId, ConflictKind, ConflictStatus, ContactId, ConversationId, DealId,
    DealStatus, EventId, IdentityId, Note, OrgId, Source, StageId,
};
use std::time::Instant;

/// What one inbound message needs written, already classified and normalized.
#[derive(Debug, Clone)]
pub struct InboundWork {
    pub org_id: OrgId,
    pub event_id: EventId,
    pub source: Source,
    /// The canonical key (WhatsApp: E.164 digits with the BR ninth digit).
    pub external_id: String,
    /// Another spelling that names the same person (a BR mobile without its ninth digit,
    /// as older imports stored it); matched, never written.
    pub alt_external_id: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub board_id: BoardId,
    pub first_stage_id: StageId,
    pub chatwoot_conversation_id: ChatwootConversationId,
    pub session_key: String,
    /// A smoke test's person: the contact is created marked synthetic.
    pub synthetic: bool,
}

#[derive(Debug, Clone)]
pub struct Applied {
    pub contact_id: ContactId,
    pub contact_created: bool,
    pub deal_id: DealId,
    pub deal_created: bool,
    pub stage_key: String,
    pub conversation: ConversationLink,
    pub conflicts: Vec<ConflictKind>,
    pub identity_us: i64,
    pub deal_us: i64,
    pub conversation_us: i64,
}

fn micros(t: Instant) -> i64 {
    t.elapsed().as_micros().min(i64::MAX as u128) as i64
}

/// A clash is recorded once (`identity_conflicts_once`): the tenth message from the same
/// ambiguous number finds the row the first one wrote.
const CONFLICT_SQL: &str = "INSERT INTO identity_conflicts (organization_id, kind, source, external_id, contact_id, \
     other_contact_id, event_id, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO \
     NOTHING";

/// Applies a batch of inbound messages in one transaction (one commit for the batch), each
/// inside its own savepoint so one bad item does not undo the others. The statements are
/// here; what each result means is decided by `identity::resolve` and `deals`. The
/// identity and the open deal are created with `ON CONFLICT DO NOTHING` and read back, so
/// two workers (or replicas) meeting the same new person end with one contact and one deal.
pub async fn apply_inbound(
    db: &Db,
    items: &[InboundWork],
    now: i64,
) -> Result<Vec<Result<Applied, String>>, sqlx::Error> {
    on_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let mut out = Vec::with_capacity(items.len());
        for w in items {
            let mut sp = sqlx::Connection::begin(&mut *tx).await?;
            let result: Result<Applied, sqlx::Error> = async {
                let mut conflicts = Vec::new();
                // 1. Identity → contact.
                let t = Instant::now();
                let alt = w.alt_external_id.as_deref().unwrap_or(&w.external_id);
                let found: Vec<(ContactId, String)> = sqlx::query_as(
                    "SELECT contact_id, external_id FROM messaging_contact_identities WHERE organization_id = $1 AND \
                     source = $2 AND (external_id = $3 OR external_id = $4) ORDER BY id",
                )
                .bind(w.org_id)
                .bind(w.source)
                .bind(&w.external_id)
                .bind(alt)
                .fetch_all(&mut *sp)
                .await?;
                let matched = resolve(&found, &w.external_id);
                if let Some(clash) = matched.clash(&w.external_id, alt) {
                    conflicts.push(clash.kind);
                    sqlx::query(CONFLICT_SQL)
                        .bind(w.org_id)
                        .bind(clash.kind)
                        .bind(w.source)
                        .bind(&w.external_id)
                        .bind(clash.contact_id)
                        .bind(clash.other_contact_id)
                        .bind(w.event_id)
                        .bind(&clash.detail)
                        .bind(now)
                        .execute(&mut *sp)
                        .await?;
                }
                let (contact_id, contact_created) = match matched.contact() {
                    Some(c) => (c, false),
                    None => {
                        let mut inner = sqlx::Connection::begin(&mut *sp).await?;
                        let cid: ContactId = sqlx::query_scalar(
                            "INSERT INTO contacts (organization_id, name, phone, created_at, synthetic) \
                             VALUES ($1, $2, $3, $4, $5) RETURNING id",
                        )
                        .bind(w.org_id)
                        .bind(&w.name)
                        .bind(&w.phone)
                        .bind(now)
                        .bind(w.synthetic)
                        .fetch_one(&mut *inner)
                        .await?;
                        let linked: Option<ContactId> = sqlx::query_scalar(
                            "INSERT INTO messaging_contact_identities (organization_id, contact_id, source, \
                             external_id, created_at) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (organization_id, source, external_id) DO NOTHING RETURNING contact_id",
                        )
                        .bind(w.org_id)
                        .bind(cid)
                        .bind(w.source)
                        .bind(&w.external_id)
                        .bind(now)
                        .fetch_optional(&mut *inner)
                        .await?;
                        match Creation::of(linked.is_some()) {
                            Creation::Ours => {
                                inner.commit().await?;
                                (cid, true)
                            }
                            Creation::TheirsFirst => {
                                inner.rollback().await?;
                                let c: ContactId = sqlx::query_scalar(
                                    "SELECT contact_id FROM messaging_contact_identities WHERE organization_id = $1 \
                                     AND source = $2 AND external_id = $3",
                                )
                                .bind(w.org_id)
                                .bind(w.source)
                                .bind(&w.external_id)
                                .fetch_one(&mut *sp)
                                .await?;
                                (c, false)
                            }
                        }
                    }
                };
                let identity_us = micros(t);

                // 2. The deal.
                let t = Instant::now();
                let select_deal = "SELECT d.id, s.key FROM deals d JOIN stages s ON s.id = d.stage_id \
                                   WHERE d.contact_id = $1 AND d.board_id = $2 AND d.status = 'open'";
                let open: Option<(DealId, String)> =
                    sqlx::query_as(select_deal).bind(contact_id).bind(w.board_id).fetch_optional(&mut *sp).await?;
                let (deal_id, stage_key, deal_created) = match choose_deal(open) {
                    DealChoice::Existing { id, stage_key } => (id, stage_key, false),
                    DealChoice::Open => {
                        let created: Option<DealId> = sqlx::query_scalar(
                            "INSERT INTO deals (organization_id, contact_id, board_id, stage_id, status, created_at, \
                             updated_at) VALUES ($1, $2, $3, $4, 'open', $5, $5) \
                             ON CONFLICT (contact_id, board_id) WHERE status = 'open' DO NOTHING RETURNING id",
                        )
                        .bind(w.org_id)
                        .bind(contact_id)
                        .bind(w.board_id)
                        .bind(w.first_stage_id)
                        .bind(now)
                        .fetch_optional(&mut *sp)
                        .await?;
                        if let Some(id) = created {
                            sqlx::query(
                                "INSERT INTO stage_moves (deal_id, from_stage_id, to_stage_id, actor, at) \
                                 VALUES ($1, NULL, $2, 'ingest', $3)",
                            )
                            .bind(id)
                            .bind(w.first_stage_id)
                            .bind(now)
                            .execute(&mut *sp)
                            .await?;
                        }
                        // Ours, or the one another worker opened meanwhile.
                        let (id, key): (DealId, String) =
                            sqlx::query_as(select_deal).bind(contact_id).bind(w.board_id).fetch_one(&mut *sp).await?;
                        (id, key, created.is_some())
                    }
                };
                let deal_us = micros(t);

                // 3. Chatwoot conversation → contact, deal, source.
                let t = Instant::now();
                let inserted = sqlx::query(
                    "INSERT INTO conversations (organization_id, chatwoot_conversation_id, contact_id, deal_id, \
                     source, session_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                     ON CONFLICT (organization_id, chatwoot_conversation_id) DO NOTHING",
                )
                .bind(w.org_id)
                .bind(w.chatwoot_conversation_id)
                .bind(contact_id)
                .bind(deal_id)
                .bind(w.source)
                .bind(&w.session_key)
                .bind(now)
                .execute(&mut *sp)
                .await?
                .rows_affected();
                let conversation = if inserted == 1 {
                    ConversationLink::Created
                } else {
                    let linked: (ContactId, Option<DealId>) = sqlx::query_as(
                        "SELECT contact_id, deal_id FROM conversations WHERE organization_id = $1 AND \
                         chatwoot_conversation_id = $2",
                    )
                    .bind(w.org_id)
                    .bind(w.chatwoot_conversation_id)
                    .fetch_one(&mut *sp)
                    .await?;
                    let (link, clash) = link_conversation(w.chatwoot_conversation_id, linked, contact_id, deal_id);
                    if let Some(clash) = clash {
                        conflicts.push(clash.kind);
                        sqlx::query(CONFLICT_SQL)
                            .bind(w.org_id)
                            .bind(clash.kind)
                            .bind(w.source)
                            .bind(&w.external_id)
                            .bind(clash.contact_id)
                            .bind(clash.other_contact_id)
                            .bind(w.event_id)
                            .bind(&clash.detail)
                            .bind(now)
                            .execute(&mut *sp)
                            .await?;
                    }
                    if link == ConversationLink::Relinked {
                        sqlx::query(
                            "UPDATE conversations SET deal_id = $1, session_key = $2, updated_at = $3 \
                             WHERE organization_id = $4 AND chatwoot_conversation_id = $5",
                        )
                        .bind(deal_id)
                        .bind(&w.session_key)
                        .bind(now)
                        .bind(w.org_id)
                        .bind(w.chatwoot_conversation_id)
                        .execute(&mut *sp)
                        .await?;
                    }
                    link
                };
                Ok(Applied {
                    contact_id,
                    contact_created,
                    deal_id,
                    deal_created,
                    stage_key,
                    conversation,
                    conflicts,
                    identity_us,
                    deal_us,
                    conversation_us: micros(t),
                })
            }
            .await;
            match result {
                Ok(applied) => {
                    sp.commit().await?;
                    out.push(Ok(applied));
                }
                Err(e) => {
                    sp.rollback().await?;
                    out.push(Err(e.to_string()));
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    })
}

/// The board new deals go on and its first stage.
pub async fn intake_stage(db: &Db, org_id: OrgId) -> Result<Option<(BoardId, StageId)>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, (BoardId, StageId)>(
            "SELECT b.id, s.id FROM boards b JOIN stages s ON s.board_id = b.id \
             WHERE b.organization_id = $1 AND b.is_default ORDER BY s.position, s.id LIMIT 1",
        )
        .bind(org_id)
        .fetch_optional(pool)
        .await
    })
}

// ---- reads (newest first, keyset pagination on id: `before` = the last id seen) ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub id: ContactId,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub external_ref: Option<String>,
    pub created_at: i64,
}

pub async fn contacts(
    db: &Db,
    org_id: OrgId,
    q: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<ContactRow>, sqlx::Error> {
    let like = q.map(|q| format!("%{}%", q.to_lowercase().replace(['%', '_'], "")));
    on_db!(db, |pool| {
        sqlx::query_as::<_, ContactRow>(
            "SELECT id, name, phone, email, external_ref, created_at FROM contacts WHERE organization_id = $1 \
             AND ($2 IS NULL OR LOWER(COALESCE(name, '')) LIKE $2 OR COALESCE(phone, '') LIKE $2 OR \
             LOWER(COALESCE(email, '')) LIKE $2) \
             AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
        )
        .bind(org_id)
        .bind(&like)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdentityRow {
    pub id: IdentityId,
    pub contact_id: ContactId,
    pub source: Source,
    pub external_id: String,
    pub created_at: i64,
}

pub async fn identities(
    db: &Db,
    org_id: OrgId,
    source: Option<Source>,
    contact_id: Option<ContactId>,
    external_id: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<IdentityRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, IdentityRow>(
            "SELECT id, contact_id, source, external_id, created_at FROM messaging_contact_identities \
             WHERE organization_id = $1 AND ($2 IS NULL OR source = $2) AND ($3 IS NULL OR contact_id = $3) \
             AND ($4 IS NULL OR external_id = $4) AND ($5 IS NULL OR id < $5) ORDER BY id DESC LIMIT $6",
        )
        .bind(org_id)
        .bind(source)
        .bind(contact_id)
        .bind(external_id)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DealRow {
    pub id: DealId,
    pub contact_id: ContactId,
    pub board_key: String,
    pub stage_key: String,
    pub stage_label: String,
    pub status: DealStatus,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn deals(
    db: &Db,
    org_id: OrgId,
    status: Option<DealStatus>,
    contact_id: Option<ContactId>,
    stage: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DealRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, DealRow>(
            "SELECT d.id, d.contact_id, b.key AS board_key, s.key AS stage_key, s.label AS stage_label, d.status, \
             d.created_at, d.updated_at FROM deals d JOIN boards b ON b.id = d.board_id JOIN stages s ON s.id = \
             d.stage_id \
             WHERE d.organization_id = $1 AND ($2 IS NULL OR d.status = $2) AND ($3 IS NULL OR d.contact_id = $3) \
             AND ($4 IS NULL OR s.key = $4) AND ($5 IS NULL OR d.id < $5) ORDER BY d.id DESC LIMIT $6",
        )
        .bind(org_id)
        .bind(status)
        .bind(contact_id)
        .bind(stage)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: ConversationId,
    pub chatwoot_conversation_id: ChatwootConversationId,
    pub contact_id: ContactId,
    pub deal_id: Option<DealId>,
    pub source: Source,
    pub session_key: Option<String>,
    pub created_at: i64,
}

pub async fn conversations(
    db: &Db,
    org_id: OrgId,
    source: Option<Source>,
    contact_id: Option<ContactId>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<ConversationRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, ConversationRow>(
            "SELECT id, chatwoot_conversation_id, contact_id, deal_id, source, session_key, created_at FROM \
                conversations \
             WHERE organization_id = $1 AND ($2 IS NULL OR source = $2) AND ($3 IS NULL OR contact_id = $3) \
             AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5",
        )
        .bind(org_id)
        .bind(source)
        .bind(contact_id)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConflictRow {
    pub id: ConflictId,
    pub kind: ConflictKind,
    pub source: Source,
    pub external_id: String,
    pub contact_id: Option<ContactId>,
    pub other_contact_id: Option<ContactId>,
    pub event_id: Option<EventId>,
    pub detail: Option<Note>,
    pub status: ConflictStatus,
    pub created_at: i64,
}

pub async fn conflicts(
    db: &Db,
    org_id: OrgId,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<ConflictRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, ConflictRow>(
            "SELECT id, kind, source, external_id, contact_id, other_contact_id, event_id, detail, status, created_at \
             FROM identity_conflicts WHERE organization_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(org_id)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

/// One contact of the org.
pub async fn contact(db: &Db, org_id: OrgId, id: ContactId) -> Result<Option<ContactRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, ContactRow>(
            "SELECT id, name, phone, email, external_ref, created_at FROM contacts WHERE \
            organization_id = $1 AND id = $2",
        )
        .bind(org_id)
        .bind(id)
        .fetch_optional(pool)
        .await
    })
}

/// Closes (won/lost) or reopens an org's deal. False when it is not the org's. Reopening
/// fails with a unique violation when the contact already has another open deal.
pub async fn set_deal_status(
    db: &Db,
    org_id: OrgId,
    id: DealId,
    status: DealStatus,
    now: i64,
) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query("UPDATE deals SET status = $1, updated_at = $2 WHERE organization_id = $3 AND id = $4")
            .bind(status)
            .bind(now)
            .bind(org_id)
            .bind(id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}
