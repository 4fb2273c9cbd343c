//! `/api/v1/tools/…`: the HTTP tools n8n workflows and AI agents call, with the org's
//! token (`Authorization: Bearer ponte_ot_…`), and `/api/v1/openapi.json` describing them
//! (generated from these handlers, so n8n's HTTP Request node or an agent's tool can be
//! set up from it).

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery, OrgToken};
use super::AppState;
use app::domain::tools::{self, MoveAnswer};
use app::model::*;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::OpenApi;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stage-move", post(stage_move))
        .route("/deals/{deal_id}", get(deal))
        .route("/context", get(context))
}

/// Moves a deal to a stage of its board.
///
/// `stage` is the stage's key or label (case and accents ignored). Moving a deal to the
/// stage it is at succeeds with `moved: false`. Send an `Idempotency-Key` header when the
/// caller may repeat the call (n8n retries): a repeated key returns the first answer and
/// moves nothing.
#[utoipa::path(
    post,
    path = "/api/v1/tools/stage-move",
    request_body = StageMoveInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeats of this key get the first answer")),
    responses(
        (status = 200, description = "Moved, or already at that stage", body = StageMoveResult),
        (status = 400, description = "Invalid JSON or idempotency key"),
        (status = 401, description = "Token missing, invalid or revoked"),
        (status = 404, description = "No such deal in this organization"),
        (status = 409, description = "The deal is closed (won or lost)"),
        (status = 422, description = "Unknown stage; `error.details.valid_stages` lists the valid ones"),
    ),
    security(("org_token" = []))
)]
async fn stage_move(
    State(s): State<AppState>,
    OrgToken(caller): OrgToken,
    headers: HeaderMap,
    ApiJson(input): ApiJson<StageMoveInput>,
) -> ApiResult<Response> {
    let key = headers.get("idempotency-key").map(|v| v.to_str().unwrap_or("\u{1}"));
    match tools::stage_move(&s.services, &caller, &input, key).await? {
        MoveAnswer::Done(result) => Ok(Json(result).into_response()),
        MoveAnswer::Replayed(status, body) => {
            Ok((StatusCode::from_u16(status).unwrap_or(StatusCode::OK), Json(body)).into_response())
        }
    }
}

/// A deal with its contact, stage and the stages of its board.
#[utoipa::path(
    get,
    path = "/api/v1/tools/deals/{deal_id}",
    params(("deal_id" = i64, Path, description = "The deal id Ponte sent with the event")),
    responses(
        (status = 200, body = ToolDeal),
        (status = 401, description = "Token missing, invalid or revoked"),
        (status = 404, description = "No such deal in this organization"),
    ),
    security(("org_token" = []))
)]
async fn deal(
    State(s): State<AppState>,
    OrgToken(caller): OrgToken,
    Path(id): Path<String>,
) -> ApiResult<Json<ToolDeal>> {
    let id: DealId = id.parse().map_err(|_| ApiError::code(ErrorCode::DealNotFound))?;
    Ok(Json(tools::deal(&s.services, &caller, id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct ContextParams {
    /// `whatsapp:<digits>` or `instagram:<id>`, as sent with the event.
    session_key: Option<String>,
    /// Chatwoot's conversation id.
    conversation_id: Option<ChatwootConversationId>,
}

/// The contact and open deal of a conversation, by session key or Chatwoot conversation.
#[utoipa::path(
    get,
    path = "/api/v1/tools/context",
    params(ContextParams),
    responses(
        (status = 200, body = ToolContext),
        (status = 401, description = "Token missing, invalid or revoked"),
        (status = 404, description = "No conversation or identity with that key in this organization"),
        (status = 422, description = "Neither session_key nor conversation_id given"),
    ),
    security(("org_token" = []))
)]
async fn context(
    State(s): State<AppState>,
    OrgToken(caller): OrgToken,
    ApiQuery(q): ApiQuery<ContextParams>,
) -> ApiResult<Json<ToolContext>> {
    Ok(Json(tools::context(&s.services, &caller, q.session_key.as_deref(), q.conversation_id).await?))
}

struct TokenScheme;

impl utoipa::Modify for TokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An admin API key (ponte_ak_…), made with `ponte admin api-key create`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "org_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The organization's automation token (ponte_ot_…), made in the portal or the admin API",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ponte API",
        description = "The tools API: what an organization's automations (n8n, AI agents) may do in Ponte. The admin API's onboarding routes, for scripts: an organization's activation checklist, the rollout board, its waves and each organization's plan."
    ),
    paths(stage_move, deal, context),
    components(schemas(StageMoveInput, StageMoveResult, StageRef, ToolDeal, ToolContact, ToolContext)),
    modifiers(&TokenScheme)
)]
struct ToolsDoc;

/// The tools API and, for scripts, the admin API's onboarding routes.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    let mut doc = ToolsDoc::openapi();
    doc.merge(super::onboarding::OnboardingDoc::openapi());
    doc.merge(super::rollout::RolloutDoc::openapi());
    doc.merge(super::evidence::EvidenceDoc::openapi());
    doc.merge(super::exports::ExportDoc::openapi());
    Json(doc)
}
