//! The admin API (`/api/v1/admin/…`): the portal's organization operations for scripts,
//! behind bearer admin API keys.

use super::error::{ApiError, ApiResult};
use super::extract::{AdminKey, ApiJson};
use super::AppState;
use app::domain::chatwoot::config as chatwoot;
use app::domain::{auth, ingest, orgs};
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
        .route("/orgs/{slug}/events", get(list_events))
        .route("/stage-template", get(get_template).put(put_template))
        .route("/users", get(list_users).post(create_user))
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
struct EventFilter {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

async fn list_events(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
    axum::extract::Query(q): axum::extract::Query<EventFilter>,
) -> ApiResult<Json<Vec<ingest::EventView>>> {
    Ok(Json(ingest::list_events(&s.services, &slug, q.status.as_deref(), q.limit.unwrap_or(50)).await?))
}
