//! `/api/v1/admin/rollout`, `/waves` and `/orgs/{slug}/onboarding/plan`: the rollout board
//! and the plan behind it, for scripts that set up waves of orgs. In the OpenAPI document.

use super::error::ApiResult;
use super::extract::{AdminKey, ApiJson, ApiQuery};
use super::{path_id, AppState};
use app::domain::onboarding::rollout;
use app::model::*;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};

pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/rollout", get(board))
        .route("/waves", get(waves).post(create_wave))
        .route("/waves/{id}", put(update_wave).delete(delete_wave))
        .route("/orgs/{slug}/onboarding/plan", get(plan).put(set_plan))
}

/// Every org not archived with its wave, lifecycle state, checklist progress, blockers,
/// technical owner and activation lead time (Brazilian business days from "credentials
/// ready" to production; the plan's target is ≤ 1).
#[utoipa::path(
    get,
    path = "/api/v1/admin/rollout",
    params(
        ("wave" = Option<String>, Query, description = "A wave's id, or `none` for orgs in no wave"),
        ("state" = Option<Lifecycle>, Query, description = "Only orgs in this lifecycle state"),
        ("sort" = Option<String>, Query, description = "`name`, `wave` (default), `state`, `progress`, `blockers`, `owner`, `credentials` or `lead_time`; `-` first for descending"),
    ),
    responses(
        (status = 200, body = RolloutBoard),
        (status = 422, description = "Unknown wave, state or sort key (named in `fields`)"),
    ),
    security(("admin_key" = []))
)]
async fn board(
    State(s): State<AppState>,
    _: AdminKey,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> ApiResult<Json<RolloutBoard>> {
    Ok(Json(rollout::board(&s.services, &q).await?))
}

/// The waves in board order, each with how many orgs it holds.
#[utoipa::path(get, path = "/api/v1/admin/waves", responses((status = 200, body = [WaveDto])), security(("admin_key" = [])))]
async fn waves(State(s): State<AppState>, _: AdminKey) -> ApiResult<Json<Vec<WaveDto>>> {
    Ok(Json(rollout::waves(&s.services).await?))
}

/// Creates a wave (piloto, onda 1…), last on the board unless `position` says otherwise.
#[utoipa::path(
    post,
    path = "/api/v1/admin/waves",
    request_body = RolloutWaveInput,
    responses(
        (status = 201, body = WaveDto),
        (status = 409, description = "`name_taken`"),
        (status = 422, description = "Missing name, a date not `YYYY-MM-DD`, or the end before the start"),
    ),
    security(("admin_key" = []))
)]
async fn create_wave(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    ApiJson(input): ApiJson<RolloutWaveInput>,
) -> ApiResult<(StatusCode, Json<WaveDto>)> {
    Ok((StatusCode::CREATED, Json(rollout::create_wave(&s.services, &actor, &input).await?)))
}

/// Replaces a wave's name and planned dates (absent dates are cleared).
#[utoipa::path(
    put,
    path = "/api/v1/admin/waves/{id}",
    params(("id" = WaveId, Path, description = "The wave")),
    request_body = RolloutWaveInput,
    responses(
        (status = 200, body = WaveDto),
        (status = 404, description = "No such wave"),
        (status = 409, description = "`name_taken`"),
        (status = 422, description = "Invalid fields"),
    ),
    security(("admin_key" = []))
)]
async fn update_wave(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RolloutWaveInput>,
) -> ApiResult<Json<WaveDto>> {
    Ok(Json(rollout::update_wave(&s.services, &actor, path_id(&id)?, &input).await?))
}

/// Deletes a wave with no org in it.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/waves/{id}",
    params(("id" = WaveId, Path, description = "The wave")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such wave"),
        (status = 409, description = "`wave_not_empty`: move its orgs first"),
    ),
    security(("admin_key" = []))
)]
async fn delete_wave(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    rollout::delete_wave(&s.services, &actor, path_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The org's place in the rollout plan.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs/{slug}/onboarding/plan",
    params(("slug" = String, Path, description = "The organization's identifier")),
    responses((status = 200, body = PlanDto), (status = 404, description = "No such organization")),
    security(("admin_key" = []))
)]
async fn plan(State(s): State<AppState>, _: AdminKey, Path(slug): Path<String>) -> ApiResult<Json<PlanDto>> {
    Ok(Json(rollout::plan(&s.services, &slug).await?))
}

/// Sets the org's wave, technical owner and "credentials ready" instant as a whole
/// (absent fields are cleared). Audited with the values before and after.
#[utoipa::path(
    put,
    path = "/api/v1/admin/orgs/{slug}/onboarding/plan",
    params(("slug" = String, Path, description = "The organization's identifier")),
    request_body = PlanInput,
    responses(
        (status = 200, body = PlanDto),
        (status = 404, description = "No such organization"),
        (status = 422, description = "`wave_unknown`, `instant_invalid` or a too long owner"),
    ),
    security(("admin_key" = []))
)]
async fn set_plan(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<PlanInput>,
) -> ApiResult<Json<PlanDto>> {
    Ok(Json(rollout::set_plan(&s.services, &actor, &slug, &input).await?))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(board, waves, create_wave, update_wave, delete_wave, plan, set_plan),
    components(schemas(RolloutBoard, BoardRow, LeadTime, WaveDto, RolloutWaveInput, PlanDto, PlanInput)),
    tags((name = "rollout", description = "The rollout board, its waves and each organization's plan (admin API key)"))
)]
pub struct RolloutDoc;
