//! What automations (the org's n8n workflow, AI agents) may do in Ponte, authenticated by
//! the org's own tokens: move a deal to a stage, read a deal, find the deal of a
//! conversation. Every call is recorded (org, tool, ids, outcome, status, duration) for
//! the metrics and the runbooks. A token only ever sees its own org: another org's deal
//! is "not found", never "forbidden", so ids of other orgs cannot be probed.

use super::error::DomainError;
use super::store::{self, tools::NewCall};
use super::{auth, orgs, Actor, Services};
use crate::model::*;
use serde_json::json;
use std::time::Instant;

const TOKEN_PREFIX: &str = "ponte_ot_";

/// Who is calling a tool: the org (from the token) and the token.
#[derive(Clone, Debug)]
pub struct Caller {
    pub org_id: OrgId,
    pub org_slug: String,
    pub token_id: TokenId,
    pub token_name: String,
}

fn token_dto(r: store::tools::TokenRow) -> OrgTokenDto {
    OrgTokenDto {
        id: r.id,
        name: r.name,
        prefix: r.prefix,
        created_by: r.created_by,
        created_at: r.created_at,
        last_used_at: r.last_used_at,
        revoked_at: r.revoked_at,
    }
}

pub async fn create_token(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    input: &NewOrgToken,
) -> Result<OrgTokenCreated, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let name = parse_text(&input.name, 80).map_err(|c| DomainError::field("name", c))?;
    let token = format!("{TOKEN_PREFIX}{}", auth::random_token());
    let prefix = token[..TOKEN_PREFIX.len() + 6].to_string();
    let row =
        store::tools::insert_token(&svc.db, org.id, &name, &prefix, &auth::token_hash(&token), &actor.0, svc.now())
            .await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "org_token.create",
        Some(org.id),
        &json!({"id": row.id, "name": name}),
        svc.now(),
    )
    .await?;
    Ok(OrgTokenCreated { info: token_dto(row), token })
}

pub async fn list_tokens(svc: &Services, slug: &str) -> Result<Vec<OrgTokenDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(store::tools::tokens_of(&svc.db, org.id).await?.into_iter().map(token_dto).collect())
}

pub async fn revoke_token(svc: &Services, actor: &Actor, slug: &str, id: TokenId) -> Result<(), DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    if !store::tools::revoke_token(&svc.db, org.id, id, svc.now()).await? {
        return Err(DomainError::Rejected(ErrorCode::NotFound));
    }
    store::audit::record(&svc.db, &actor.0, "org_token.revoke", Some(org.id), &json!({"id": id}), svc.now()).await?;
    Ok(())
}

/// The caller of a tools request, from `Authorization: Bearer ponte_ot_…`.
pub async fn authenticate(svc: &Services, token: Option<&str>) -> Result<Caller, DomainError> {
    let token = token.filter(|t| !t.is_empty()).ok_or(DomainError::Rejected(ErrorCode::TokenMissing))?;
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
        return Err(DomainError::Rejected(ErrorCode::TokenInvalid));
    }
    let row = store::tools::authenticate(&svc.db, &auth::token_hash(token), svc.now())
        .await?
        .ok_or(DomainError::Rejected(ErrorCode::TokenInvalid))?;
    let org = store::orgs::by_id(&svc.db, row.organization_id)
        .await?
        .ok_or(DomainError::Rejected(ErrorCode::TokenInvalid))?;
    // An archived org's automations are switched off for good.
    if org.archived_at.is_some() {
        return Err(DomainError::Rejected(ErrorCode::Forbidden));
    }
    Ok(Caller { org_id: org.id, org_slug: org.slug, token_id: row.id, token_name: row.name })
}

/// Records one call; a failure to record is logged, never turned into the caller's error.
async fn record(
    svc: &Services,
    c: &Caller,
    tool: &str,
    deal_id: Option<DealId>,
    input: serde_json::Value,
    (outcome, code): (ToolOutcome, Option<ErrorCode>),
    started: Instant,
) {
    let status = code.map_or(200, |c| c.status() as i64);
    let error_code = code.map(ErrorCode::as_str);
    let call = NewCall {
        organization_id: c.org_id,
        token_id: Some(c.token_id),
        tool,
        deal_id,
        input: &input.to_string(),
        outcome,
        http_status: status,
        error_code,
        duration_us: started.elapsed().as_micros().min(i64::MAX as u128) as i64,
        at: svc.now(),
    };
    if let Err(e) = store::tools::record_call(&svc.db, &call).await {
        tracing::warn!(error = %e, tool, org = %c.org_slug, "tool call not recorded");
    }
}

fn stage_ref(s: &store::tools::StageRow) -> StageRef {
    StageRef { key: s.key.clone(), label: s.label.clone() }
}

/// `stage` as an operator or an agent writes it → the board's stage: by key or label, case,
/// accents, spaces and hyphens ignored.
fn find_stage<'a>(stages: &'a [store::tools::StageRow], wanted: &str) -> Option<&'a store::tools::StageRow> {
    let wanted = Key::from_label(wanted).ok()?;
    stages
        .iter()
        .find(|s| s.key == wanted.as_str() || Key::from_label(&s.label).is_ok_and(|k| k.as_str() == wanted.as_str()))
}

/// An idempotency key as sent: visible ASCII, at most 200 characters.
pub fn check_idempotency_key(key: Option<&str>) -> Result<Option<String>, DomainError> {
    match key.map(str::trim) {
        None | Some("") => Ok(None),
        Some(k) if k.len() <= 200 && k.chars().all(|c| c.is_ascii_graphic()) => Ok(Some(k.to_string())),
        Some(_) => Err(DomainError::Rejected(ErrorCode::IdempotencyKeyInvalid)),
    }
}

/// The answer of a stage move: the result, or a refusal with its code and details.
pub enum MoveAnswer {
    Done(StageMoveResult),
    /// A repeat of an idempotency key: the first answer, verbatim (status, JSON body).
    Replayed(u16, serde_json::Value),
}

pub async fn stage_move(
    svc: &Services,
    caller: &Caller,
    input: &StageMoveInput,
    idempotency_key: Option<&str>,
) -> Result<MoveAnswer, DomainError> {
    const TOOL: &str = "stage-move";
    let started = Instant::now();
    let ids = json!({"deal_id": input.deal_id, "stage": input.stage, "idempotency_key": idempotency_key});
    let key = match check_idempotency_key(idempotency_key) {
        Ok(k) => k,
        Err(e) => {
            record(svc, caller, TOOL, Some(input.deal_id), ids, (ToolOutcome::Error, Some(e.code())), started).await;
            return Err(e);
        }
    };
    if let Some(k) = &key {
        if let Some((status, body)) = store::tools::idempotent_answer(&svc.db, caller.org_id, TOOL, k).await? {
            record(svc, caller, TOOL, Some(input.deal_id), ids, (ToolOutcome::Replayed, None), started).await;
            let body = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
            return Ok(MoveAnswer::Replayed(status as u16, body));
        }
    }
    let result = move_once(svc, caller, input, key.as_deref()).await;
    let (outcome, code) = match &result {
        Ok(Settled::Mine(r)) => (if r.moved { ToolOutcome::Ok } else { ToolOutcome::Noop }, None),
        Ok(Settled::Theirs(..)) => (ToolOutcome::Replayed, None),
        Err(e) => (ToolOutcome::Error, Some(e.code())),
    };
    record(svc, caller, TOOL, Some(input.deal_id), ids, (outcome, code), started).await;
    match result? {
        Settled::Mine(r) => Ok(MoveAnswer::Done(r)),
        Settled::Theirs(status, body) => Ok(MoveAnswer::Replayed(status, body)),
    }
}

/// How one attempt at a move ended: an answer of this call, or the answer another call
/// with the same idempotency key stored first (which then wins, verbatim).
enum Settled {
    Mine(StageMoveResult),
    Theirs(u16, serde_json::Value),
}

/// Stores this call's answer under its key; if another call stored one first, returns it.
async fn settle(
    svc: &Services,
    caller: &Caller,
    key: Option<&str>,
    status: u16,
    body: &serde_json::Value,
) -> Result<Option<(u16, serde_json::Value)>, DomainError> {
    let Some(k) = key else { return Ok(None) };
    if store::tools::store_answer(&svc.db, caller.org_id, "stage-move", k, status as i64, &body.to_string(), svc.now())
        .await?
    {
        return Ok(None);
    }
    Ok(store::tools::idempotent_answer(&svc.db, caller.org_id, "stage-move", k)
        .await?
        .map(|(st, b)| (st as u16, serde_json::from_str(&b).unwrap_or_default())))
}

/// A refusal, remembered under the key so a retry is refused the same way (even if the
/// deal changed in between) — unless another call with the key answered first.
async fn refuse(svc: &Services, caller: &Caller, key: Option<&str>, err: DomainError) -> Result<Settled, DomainError> {
    let body = json!({"error": AppError::from(match &err {
        DomainError::Detailed(code, details) => DomainError::Detailed(*code, details.clone()),
        other => DomainError::Rejected(other.code()),
    })});
    match settle(svc, caller, key, err.code().status(), &body).await? {
        Some((status, body)) => Ok(Settled::Theirs(status, body)),
        None => Err(err),
    }
}

async fn move_once(
    svc: &Services,
    caller: &Caller,
    input: &StageMoveInput,
    key: Option<&str>,
) -> Result<Settled, DomainError> {
    let actor = format!("token:{}", caller.token_name);
    // A concurrent move of the same deal makes the guarded UPDATE miss: read again and retry.
    for _ in 0..5 {
        let Some(deal) = store::tools::deal_state(&svc.db, caller.org_id, input.deal_id).await? else {
            return refuse(svc, caller, key, DomainError::Rejected(ErrorCode::DealNotFound)).await;
        };
        if deal.status != DealStatus::Open {
            return refuse(svc, caller, key, DomainError::Rejected(ErrorCode::DealClosed)).await;
        }
        let stages = store::tools::stages_of_board(&svc.db, deal.board_id).await?;
        let Some(target) = find_stage(&stages, &input.stage) else {
            let valid: Vec<StageRef> = stages.iter().map(stage_ref).collect();
            let err = DomainError::Detailed(ErrorCode::StageUnknown, json!({"valid_stages": valid}));
            return refuse(svc, caller, key, err).await;
        };
        let current = stages.iter().find(|s| s.id == deal.stage_id).map(stage_ref).unwrap_or_default();
        let mut result =
            StageMoveResult { deal_id: deal.id, moved: false, stage: stage_ref(target), previous_stage: current };
        if target.id == deal.stage_id {
            let body = serde_json::to_value(&result).unwrap_or_default();
            return Ok(match settle(svc, caller, key, 200, &body).await? {
                Some((status, body)) => Settled::Theirs(status, body),
                None => Settled::Mine(result),
            });
        }
        result.moved = true;
        let body = serde_json::to_string(&result).unwrap_or_default();
        let stored = key.map(|k| ("stage-move", k, 200i64, body.as_str()));
        match store::tools::move_stage(
            &svc.db,
            caller.org_id,
            deal.id,
            deal.stage_id,
            target.id,
            &actor,
            stored,
            svc.now(),
        )
        .await
        {
            Ok(true) => return Ok(Settled::Mine(result)),
            Ok(false) => continue,
            Err(e) if store::is_unique_violation(&e) => {
                // Another call with the same key got there first: its answer wins.
                let k = key.unwrap_or_default();
                if let Some((status, body)) =
                    store::tools::idempotent_answer(&svc.db, caller.org_id, "stage-move", k).await?
                {
                    return Ok(Settled::Theirs(status as u16, serde_json::from_str(&body).unwrap_or_default()));
                }
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(DomainError::Internal("stage move kept racing with other moves".into()))
}

pub async fn deal(svc: &Services, caller: &Caller, deal_id: DealId) -> Result<ToolDeal, DomainError> {
    let started = Instant::now();
    let result = deal_view(svc, caller.org_id, deal_id).await;
    let (outcome, code) = match &result {
        Ok(_) => (ToolOutcome::Ok, None),
        Err(e) => (ToolOutcome::Error, Some(e.code())),
    };
    record(svc, caller, "deal", Some(deal_id), json!({"deal_id": deal_id}), (outcome, code), started).await;
    result
}

async fn deal_view(svc: &Services, org_id: OrgId, deal_id: DealId) -> Result<ToolDeal, DomainError> {
    let deal = store::tools::deal_state(&svc.db, org_id, deal_id)
        .await?
        .ok_or(DomainError::Rejected(ErrorCode::DealNotFound))?;
    let stages = store::tools::stages_of_board(&svc.db, deal.board_id).await?;
    let contact = store::crm::contact(&svc.db, org_id, deal.contact_id)
        .await?
        .ok_or(DomainError::Rejected(ErrorCode::DealNotFound))?;
    let stage = stages.iter().find(|s| s.id == deal.stage_id).map(stage_ref).unwrap_or_default();
    Ok(ToolDeal {
        deal_id: deal.id,
        status: deal.status,
        board: deal.board_key,
        stage,
        stages: stages.iter().map(stage_ref).collect(),
        contact: ToolContact { id: contact.id, name: contact.name, phone: contact.phone, email: contact.email },
        updated_at: deal.updated_at,
    })
}

/// Which contact and deal a conversation is about, by session key or Chatwoot
/// conversation id.
pub async fn context(
    svc: &Services,
    caller: &Caller,
    session_key: Option<&str>,
    conversation_id: Option<ChatwootConversationId>,
) -> Result<ToolContext, DomainError> {
    let started = Instant::now();
    let result = context_of(svc, caller.org_id, session_key, conversation_id).await;
    let (outcome, code) = match &result {
        Ok(_) => (ToolOutcome::Ok, None),
        Err(e) => (ToolOutcome::Error, Some(e.code())),
    };
    let deal_id = result.as_ref().ok().and_then(|c| c.deal_id);
    record(
        svc,
        caller,
        "context",
        deal_id,
        json!({"session_key": session_key, "conversation_id": conversation_id}),
        (outcome, code),
        started,
    )
    .await;
    result
}

async fn context_of(
    svc: &Services,
    org_id: OrgId,
    session_key: Option<&str>,
    conversation_id: Option<ChatwootConversationId>,
) -> Result<ToolContext, DomainError> {
    let session_key = session_key.map(str::trim).filter(|s| !s.is_empty());
    if session_key.is_none() && conversation_id.is_none() {
        return Err(DomainError::field("session_key", ErrorCode::Required));
    }
    let found = store::tools::conversation_context(&svc.db, org_id, session_key, conversation_id).await?;
    let (conversation_id, contact_id, deal_id, session_key, source) = match found {
        Some((conv, contact, deal, key, source)) => (Some(conv), contact, deal, key, source),
        None => {
            // No conversation yet (e.g. an identity from the backfill): resolve the identity.
            let (source, external_id) =
                session_key.and_then(|k| k.split_once(':')).ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
            let source = source.parse::<Source>().map_err(|_| DomainError::Rejected(ErrorCode::NotFound))?;
            let ids = store::crm::identities(&svc.db, org_id, Some(source), None, Some(external_id), None, 1).await?;
            let identity = ids.into_iter().next().ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
            let deals =
                store::crm::deals(&svc.db, org_id, Some(DealStatus::Open), Some(identity.contact_id), None, None, 1)
                    .await?;
            (None, identity.contact_id, deals.first().map(|d| d.id), session_key.map(str::to_string), identity.source)
        }
    };
    let stage = match deal_id {
        Some(id) => deal_view(svc, org_id, id).await.ok().map(|d| d.stage),
        None => None,
    };
    Ok(ToolContext { contact_id, deal_id, stage, session_key, source, conversation_id })
}

pub async fn calls(
    svc: &Services,
    slug: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Page<ToolCallDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let limit = limit.clamp(1, 500);
    let rows = store::tools::calls_of(&svc.db, org.id, before, limit).await?;
    let items = rows
        .into_iter()
        .map(|r| ToolCallDto {
            id: r.id,
            tool: r.tool,
            deal_id: r.deal_id,
            input: r.input,
            outcome: r.outcome,
            http_status: r.http_status,
            error_code: r.error_code,
            duration_us: r.duration_us,
            at: r.at,
        })
        .collect();
    Ok(Page::keyset(items, limit, |c: &ToolCallDto| c.id.0))
}
