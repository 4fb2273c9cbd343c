//! The admin API (`/api/v1/admin/…`): the portal's organization operations for scripts,
//! behind bearer admin API keys.

use super::error::{ApiError, ApiResult};
use super::extract::{AdminKey, ApiJson, ApiQuery};
use super::{path_id, AppState};
use app::domain::chatwoot::config as chatwoot;
use app::domain::crm::ListQuery;
use app::domain::ingest::EventQuery;
use app::domain::{auth, automation, crm, ingest, orgs, tools};
use app::model::*;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs", get(list_orgs).post(create_org))
        .route("/orgs/{slug}", get(get_org).patch(update_org))
        .route("/orgs/{slug}/boards", get(list_boards).post(create_board))
        .route("/orgs/{slug}/boards/{board}", get(get_board).patch(update_board))
        .route("/orgs/{slug}/boards/{board}/stages", post(create_stage))
        .route("/orgs/{slug}/boards/{board}/stages/{stage}", patch(update_stage))
        .route("/orgs/{slug}/chatwoot", get(get_chatwoot).put(put_chatwoot))
        .route("/orgs/{slug}/chatwoot/url-token", post(new_url_token))
        .route("/orgs/{slug}/automation", get(get_automation).put(put_automation))
        .route("/orgs/{slug}/automation/status", get(automation_status))
        .route("/orgs/{slug}/automation/install", post(install_automation))
        .route("/orgs/{slug}/automation/rollback", post(rollback))
        .route("/orgs/{slug}/automation/roll-forward", post(roll_forward))
        .route("/orgs/{slug}/n8n", axum::routing::put(put_n8n))
        .route("/orgs/{slug}/events", get(list_events))
        .route("/orgs/{slug}/events/reprocess", post(reprocess_range))
        .route("/orgs/{slug}/events/{id}", get(get_event))
        .route("/orgs/{slug}/events/{id}/reprocess", post(reprocess_event))
        .route("/orgs/{slug}/tokens", get(list_tokens).post(create_token))
        .route("/orgs/{slug}/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/orgs/{slug}/tool-calls", get(list_tool_calls))
        .route("/orgs/{slug}/contacts", get(list_contacts))
        .route("/orgs/{slug}/identities", get(list_identities))
        .route("/orgs/{slug}/identity-conflicts", get(list_conflicts))
        .route("/orgs/{slug}/deals", get(list_deals))
        .route("/orgs/{slug}/deals/{id}", patch(patch_deal))
        .route("/orgs/{slug}/conversations", get(list_conversations))
        .route("/stage-template", get(get_template).put(put_template))
        .route("/users", get(list_users).post(create_user))
        .merge(super::backfill::admin_routes())
        .merge(super::reconciliation::admin_routes())
        .merge(super::contacts::admin_routes())
        .merge(super::evidence::admin_routes())
        .merge(super::exports::admin_routes())
        .merge(super::onboarding::admin_routes())
        .merge(super::rollout::admin_routes())
}

async fn list_orgs(State(s): State<AppState>, _: AdminKey) -> ApiResult<Json<Vec<OrgSummary>>> {
    Ok(Json(orgs::list_orgs(&s.services).await?))
}

async fn create_org(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    ApiJson(input): ApiJson<NewOrg>,
) -> ApiResult<(StatusCode, Json<OrgDetail>)> {
    let detail = orgs::create_org(&s.services, &actor, &input).await?;
    tracing::info!(org = %detail.org.slug, actor = %actor.0, "organization created");
    Ok((StatusCode::CREATED, Json(detail)))
}

async fn get_org(State(s): State<AppState>, _: AdminKey, Path(slug): Path<String>) -> ApiResult<Json<OrgDetail>> {
    Ok(Json(orgs::get_org(&s.services, &slug).await?))
}

async fn update_org(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(patch): ApiJson<OrgPatch>,
) -> ApiResult<Json<OrgDetail>> {
    Ok(Json(orgs::update_org(&s.services, &actor, &slug, &patch).await?))
}

async fn list_boards(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<BoardDto>>> {
    Ok(Json(orgs::get_org(&s.services, &slug).await?.boards))
}

async fn create_board(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<NewBoard>,
) -> ApiResult<(StatusCode, Json<BoardDto>)> {
    Ok((StatusCode::CREATED, Json(orgs::add_board(&s.services, &actor, &slug, &input).await?)))
}

async fn get_board(
    State(s): State<AppState>,
    _: AdminKey,
    Path((slug, board)): Path<(String, String)>,
) -> ApiResult<Json<BoardDto>> {
    Ok(Json(orgs::get_board(&s.services, &slug, &board).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardPatch {
    #[serde(default)]
    name: Option<String>,
    /// `true` makes this the org's default board (where new deals go).
    #[serde(default)]
    is_default: Option<bool>,
}

async fn update_board(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, board)): Path<(String, String)>,
    ApiJson(patch): ApiJson<BoardPatch>,
) -> ApiResult<Json<BoardDto>> {
    if patch.is_default == Some(false) {
        return Err(ApiError(AppError::fields(vec![FieldError {
            field: "is_default".into(),
            code: ErrorCode::Validation,
            message: "Para trocar o funil padrão, marque outro funil como padrão.".into(),
        }])));
    }
    let make_default = patch.is_default.unwrap_or(false);
    Ok(Json(orgs::update_board(&s.services, &actor, &slug, &board, patch.name.as_deref(), make_default).await?))
}

async fn create_stage(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, board)): Path<(String, String)>,
    ApiJson(input): ApiJson<NewStage>,
) -> ApiResult<(StatusCode, Json<BoardDto>)> {
    Ok((StatusCode::CREATED, Json(orgs::add_stage(&s.services, &actor, &slug, &board, &input).await?)))
}

async fn update_stage(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, board, stage)): Path<(String, String, String)>,
    ApiJson(patch): ApiJson<StagePatch>,
) -> ApiResult<Json<BoardDto>> {
    Ok(Json(orgs::update_stage(&s.services, &actor, &slug, &board, &stage, &patch).await?))
}

#[derive(Deserialize, serde::Serialize)]
struct Template {
    stages: Vec<String>,
}

async fn get_template(State(s): State<AppState>, _: AdminKey) -> ApiResult<Json<Template>> {
    Ok(Json(Template { stages: orgs::stage_template(&s.services).await? }))
}

async fn put_template(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    ApiJson(t): ApiJson<Template>,
) -> ApiResult<Json<Template>> {
    Ok(Json(Template { stages: orgs::set_stage_template(&s.services, &actor, &t.stages).await? }))
}

async fn list_users(State(s): State<AppState>, _: AdminKey) -> ApiResult<Json<Vec<UserDto>>> {
    Ok(Json(auth::list_users(&s.services).await?))
}

#[derive(Deserialize)]
struct NewUser {
    email: String,
    name: String,
    password: String,
    role: String,
}

async fn create_user(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    ApiJson(u): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    let role: Role = u.role.parse().map_err(|code| ApiError(AppError::fields(vec![FieldError::new("role", code)])))?;
    Ok((StatusCode::CREATED, Json(auth::create_user(&s.services, &actor, &u.email, &u.name, &u.password, role).await?)))
}

async fn get_chatwoot(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
) -> ApiResult<Json<ChatwootConfigView>> {
    Ok(Json(chatwoot::get(&s.services, &slug).await?))
}

async fn put_chatwoot(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<ChatwootConfigInput>,
) -> ApiResult<Json<ChatwootConfigView>> {
    Ok(Json(chatwoot::put(&s.services, &actor, &slug, &input).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventParams {
    status: Option<String>,
    source: Option<String>,
    /// Epoch ms or RFC 3339.
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
    #[serde(default)]
    payload: bool,
}

fn instant_param(field: &str, v: Option<&str>) -> Result<Option<i64>, ApiError> {
    match v {
        None => Ok(None),
        Some(s) => ingest::parse_instant(&serde_json::Value::String(s.to_string()))
            .map(Some)
            .ok_or_else(|| ApiError::from(app::domain::DomainError::field(field, ErrorCode::RangeInvalid))),
    }
}

async fn list_events(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<EventParams>,
) -> ApiResult<Json<Page<EventView>>> {
    let query = EventQuery {
        from: instant_param("from", q.from.as_deref())?,
        to: instant_param("to", q.to.as_deref())?,
        status: q.status,
        source: q.source,
        before: q.before,
        limit: q.limit,
        with_payload: q.payload,
    };
    Ok(Json(ingest::list_events(&s.services, &slug, &query).await?))
}

async fn get_event(
    State(s): State<AppState>,
    _: AdminKey,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<EventView>> {
    let id: EventId = path_id(&id)?;
    Ok(Json(ingest::get_event(&s.services, &slug, id).await?))
}

async fn reprocess_event(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<EventView>> {
    let id: EventId = path_id(&id)?;
    Ok(Json(ingest::reprocess_one(&s.services, &actor, &slug, id).await?))
}

async fn reprocess_range(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(range): ApiJson<ReprocessRange>,
) -> ApiResult<Json<ReprocessResult>> {
    let bad = || ApiError::from(app::domain::DomainError::field("from", ErrorCode::RangeInvalid));
    let from = ingest::parse_instant(&range.from).ok_or_else(bad)?;
    let to = ingest::parse_instant(&range.to).ok_or_else(bad)?;
    Ok(Json(ingest::reprocess_range(&s.services, &actor, &slug, from, to).await?))
}

async fn new_url_token(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
) -> ApiResult<(StatusCode, Json<UrlTokenCreated>)> {
    Ok((StatusCode::CREATED, Json(chatwoot::new_url_token(&s.services, &actor, &slug).await?)))
}

async fn get_automation(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
) -> ApiResult<Json<AutomationView>> {
    Ok(Json(automation::get(&s.services, &slug).await?))
}

async fn put_automation(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<AutomationInput>,
) -> ApiResult<Json<AutomationView>> {
    Ok(Json(automation::put(&s.services, &actor, &slug, &input).await?))
}

/// Query parameters of the CRM lists (each list uses the ones that apply to it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    before: Option<i64>,
    limit: Option<i64>,
    q: Option<String>,
    source: Option<String>,
    status: Option<String>,
    stage: Option<String>,
    contact_id: Option<ContactId>,
    external_id: Option<String>,
}

impl From<ListParams> for ListQuery {
    fn from(p: ListParams) -> Self {
        ListQuery {
            before: p.before,
            limit: p.limit,
            q: p.q,
            source: p.source,
            status: p.status,
            stage: p.stage,
            contact_id: p.contact_id,
            external_id: p.external_id,
        }
    }
}

async fn list_contacts(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<ContactDto>>> {
    Ok(Json(crm::contacts(&s.services, &slug, &p.into()).await?))
}

async fn list_identities(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<IdentityDto>>> {
    Ok(Json(crm::identities(&s.services, &slug, &p.into()).await?))
}

async fn list_conflicts(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<ConflictDto>>> {
    Ok(Json(crm::conflicts(&s.services, &slug, &p.into()).await?))
}

async fn list_deals(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<DealDto>>> {
    Ok(Json(crm::deals(&s.services, &slug, &p.into()).await?))
}

async fn list_conversations(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<ConversationDto>>> {
    Ok(Json(crm::conversations(&s.services, &slug, &p.into()).await?))
}

async fn list_tokens(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<OrgTokenDto>>> {
    Ok(Json(tools::list_tokens(&s.services, &slug).await?))
}

async fn create_token(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<NewOrgToken>,
) -> ApiResult<(StatusCode, Json<OrgTokenCreated>)> {
    Ok((StatusCode::CREATED, Json(tools::create_token(&s.services, &actor, &slug, &input).await?)))
}

async fn revoke_token(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id: TokenId = path_id(&id)?;
    tools::revoke_token(&s.services, &actor, &slug, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_tool_calls(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<ToolCallDto>>> {
    Ok(Json(tools::calls(&s.services, &slug, p.before, p.limit.unwrap_or(50)).await?))
}

async fn patch_deal(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(patch): ApiJson<DealPatch>,
) -> ApiResult<StatusCode> {
    let id: DealId = id.parse().map_err(|_| ApiError::code(ErrorCode::DealNotFound))?;
    crm::set_deal_status(&s.services, &actor, &slug, id, patch.status.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn automation_status(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
) -> ApiResult<Json<AutomationStatus>> {
    Ok(Json(automation::status(&s.services, &slug).await?))
}

async fn put_n8n(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<N8nInput>,
) -> ApiResult<Json<N8nView>> {
    Ok(Json(automation::put_n8n(&s.services, &actor, &slug, &input).await?))
}

async fn install_automation(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<InstallInput>,
) -> ApiResult<Json<AutomationStatus>> {
    Ok(Json(automation::install(&s.services, &actor, &slug, &input).await?))
}

async fn rollback(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<RollbackInput>,
) -> ApiResult<Json<ActionReport>> {
    Ok(Json(automation::rollback(&s.services, &actor, &slug, &input).await?))
}

async fn roll_forward(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
) -> ApiResult<Json<ActionReport>> {
    Ok(Json(automation::roll_forward(&s.services, &actor, &slug).await?))
}
