//! `/api/v1/admin/orgs/{slug}/onboarding/…`: the activation checklist for scripts (waves
//! of orgs): read it, mark items, run live checks, move the org along its lifecycle.
//! Described in the OpenAPI document beside the tools API.

use super::error::ApiResult;
use super::extract::{AdminKey, ApiJson, ApiQuery};
use super::AppState;
use app::domain::onboarding::{self, checks};
use app::model::*;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{slug}/onboarding", get(checklist))
        .route("/orgs/{slug}/onboarding/state", put(change_state))
        .route("/orgs/{slug}/onboarding/history", get(history))
        .route("/orgs/{slug}/onboarding/items/{item}", put(update_item))
        .route("/orgs/{slug}/onboarding/items/{item}/runs", get(runs))
        .route("/orgs/{slug}/onboarding/items/{item}/check", post(run_check))
        .route("/orgs/{slug}/onboarding/phases/{phase}/check", post(run_phase))
        .route("/orgs/{slug}/onboarding/smoke", post(run_smoke))
        .route("/orgs/{slug}/onboarding/smoke/live", get(live_smoke).post(start_live_smoke).delete(cancel_live_smoke))
        .route("/orgs/{slug}/onboarding/review/logs", get(review_logs))
        .route("/orgs/{slug}/onboarding/review/sample", get(review_sample).post(draw_sample))
        .route("/orgs/{slug}/onboarding/review/{kind}/{id}", put(mark_review))
        .route("/orgs/{slug}/onboarding/wizard", get(wizard))
        .route("/orgs/{slug}/onboarding/wizard/{step}", post(wizard_advance))
}

/// The org's lifecycle state and its checklist, phase by phase, with each item's latest run.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs/{slug}/onboarding",
    params(("slug" = String, Path, description = "The organization's identifier")),
    responses(
        (status = 200, body = ChecklistDto),
        (status = 401, description = "Admin API key missing or invalid"),
        (status = 404, description = "No such organization"),
    ),
    security(("admin_key" = []))
)]
async fn checklist(State(s): State<AppState>, _: AdminKey, Path(slug): Path<String>) -> ApiResult<Json<ChecklistDto>> {
    Ok(Json(onboarding::checklist(&s.services, &slug).await?))
}

/// Moves the org along its lifecycle (`draft`, `pre_activation`, `activation`, `pilot`,
/// `active`). Entering `activation` needs T-2 complete, `pilot`/`active` need T0 complete,
/// unless `force` is set with a `reason` (admin keys may force). `rolled_back` is entered
/// only by a rollback and left by a roll-forward.
#[utoipa::path(
    put,
    path = "/api/v1/admin/orgs/{slug}/onboarding/state",
    params(("slug" = String, Path, description = "The organization's identifier")),
    request_body = StateChange,
    responses(
        (status = 200, description = "Moved (or already there)", body = ChecklistDto),
        (status = 404, description = "No such organization"),
        (status = 409, description = "`transition_invalid` (`error.details.allowed`) or `phase_incomplete` (`error.details.items`)"),
        (status = 422, description = "Unknown state, or `force` without a reason"),
    ),
    security(("admin_key" = []))
)]
async fn change_state(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<StateChange>,
) -> ApiResult<Json<ChecklistDto>> {
    Ok(Json(onboarding::change_state(&s.services, &actor, true, &slug, &input).await?))
}

/// The org's lifecycle changes, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs/{slug}/onboarding/history",
    params(("slug" = String, Path, description = "The organization's identifier")),
    responses((status = 200, body = [StateChangeDto]), (status = 404, description = "No such organization")),
    security(("admin_key" = []))
)]
async fn history(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<StateChangeDto>>> {
    Ok(Json(onboarding::history(&s.services, &slug).await?))
}

/// Marks an item by hand. `not_applicable` needs a `note`; so does `ok` on an item whose
/// live check or smoke test has not passed.
#[utoipa::path(
    put,
    path = "/api/v1/admin/orgs/{slug}/onboarding/items/{item}",
    params(
        ("slug" = String, Path, description = "The organization's identifier"),
        ("item" = ItemKey, Path, description = "The checklist item"),
    ),
    request_body = ItemUpdate,
    responses(
        (status = 200, body = ChecklistItemDto),
        (status = 404, description = "No such organization or item"),
        (status = 422, description = "Unknown status, or a note is required"),
    ),
    security(("admin_key" = []))
)]
async fn update_item(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, item)): Path<(String, String)>,
    ApiJson(input): ApiJson<ItemUpdate>,
) -> ApiResult<Json<ChecklistItemDto>> {
    Ok(Json(onboarding::update_item(&s.services, &actor, &slug, &item, &input).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct RunsParams {
    /// At most this many runs (1–200, default 20).
    limit: Option<i64>,
}

/// An item's check runs, newest first: each with its requests, findings and verdict.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs/{slug}/onboarding/items/{item}/runs",
    params(
        ("slug" = String, Path, description = "The organization's identifier"),
        ("item" = ItemKey, Path, description = "The checklist item"),
        RunsParams,
    ),
    responses((status = 200, body = [CheckRunDto]), (status = 404, description = "No such organization or item")),
    security(("admin_key" = []))
)]
async fn runs(
    State(s): State<AppState>,
    _: AdminKey,
    Path((slug, item)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<RunsParams>,
) -> ApiResult<Json<Vec<CheckRunDto>>> {
    Ok(Json(onboarding::item_runs(&s.services, &slug, &item, q.limit.unwrap_or(20)).await?))
}

/// Runs an item's live check now and sets the item's status from its verdict. The
/// `chatwoot_webhook` check registers Ponte's webhook in Chatwoot when it is missing.
#[utoipa::path(
    post,
    path = "/api/v1/admin/orgs/{slug}/onboarding/items/{item}/check",
    params(
        ("slug" = String, Path, description = "The organization's identifier"),
        ("item" = ItemKey, Path, description = "The checklist item"),
    ),
    responses(
        (status = 200, description = "The run, passed or failed", body = CheckRunDto),
        (status = 404, description = "No such organization or item"),
        (status = 409, description = "The item has no live check (`no_automatic_check`)"),
    ),
    security(("admin_key" = []))
)]
async fn run_check(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, item)): Path<(String, String)>,
) -> ApiResult<Json<CheckRunDto>> {
    Ok(Json(checks::run_check(&s.services, &actor, &slug, &item).await?))
}

/// Runs every live check of a phase (`t_minus_2`, `t0`, `t_plus_1`), in the page's order.
#[utoipa::path(
    post,
    path = "/api/v1/admin/orgs/{slug}/onboarding/phases/{phase}/check",
    params(
        ("slug" = String, Path, description = "The organization's identifier"),
        ("phase" = Phase, Path, description = "The checklist phase"),
    ),
    responses((status = 200, body = [CheckRunDto]), (status = 404, description = "No such organization or phase")),
    security(("admin_key" = []))
)]
async fn run_phase(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, phase)): Path<(String, String)>,
) -> ApiResult<Json<Vec<CheckRunDto>>> {
    Ok(Json(checks::run_phase(&s.services, &actor, &slug, &phase).await?))
}

/// Runs the three T0 smoke tests through the real pipeline (a WhatsApp message, a first
/// Instagram DM, a stage move by `deal_id`) and records each as its item's run. `synthetic`
/// (default) signs payloads shaped like the org's inboxes; `chatwoot_api` has Chatwoot
/// create the message in the org's API-channel inbox and send the webhook itself.
#[utoipa::path(
    post,
    path = "/api/v1/admin/orgs/{slug}/onboarding/smoke",
    params(("slug" = String, Path, description = "The organization's identifier")),
    request_body = SmokeInput,
    responses(
        (status = 200, description = "The three runs, passed or failed, each step with its time and ids", body = [CheckRunDto]),
        (status = 404, description = "No such organization"),
        (status = 422, description = "Unknown mode"),
    ),
    security(("admin_key" = []))
)]
async fn run_smoke(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<SmokeInput>,
) -> ApiResult<Json<Vec<CheckRunDto>>> {
    Ok(Json(onboarding::smoke::run_smoke(&s.services, &actor, &slug, &input).await?))
}

/// Starts a live smoke run: the operator writes from a real test phone (`whatsapp`) and/or
/// Instagram account (`instagram`), and Ponte waits up to `wait_minutes` for that identity's
/// message, then follows it through the pipeline and moves its deal through the tool. The
/// answer comes at once (202); read the run with `GET` (its `remaining_seconds` counts down)
/// and the items' runs from the checklist once it has ended.
#[utoipa::path(
    post,
    path = "/api/v1/admin/orgs/{slug}/onboarding/smoke/live",
    params(("slug" = String, Path, description = "The organization's identifier")),
    request_body = LiveSmokeInput,
    responses(
        (status = 202, description = "Waiting for the messages", body = LiveSmokeDto),
        (status = 404, description = "No such organization"),
        (status = 409, description = "`live_smoke_waiting`: another live run of the org is waiting"),
        (status = 422, description = "No identity given, a number or Instagram user that is not one, a channel with no mapped inbox, a wait outside 1–30 minutes"),
    ),
    security(("admin_key" = []))
)]
async fn start_live_smoke(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<LiveSmokeInput>,
) -> ApiResult<(StatusCode, Json<LiveSmokeDto>)> {
    Ok((StatusCode::ACCEPTED, Json(onboarding::live::start(&s.services, &actor, &slug, &input).await?)))
}

/// The org's newest live smoke run (`null` when it never had one).
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs/{slug}/onboarding/smoke/live",
    params(("slug" = String, Path, description = "The organization's identifier")),
    responses(
        (status = 200, body = Option<LiveSmokeDto>),
        (status = 404, description = "No such organization"),
    ),
    security(("admin_key" = []))
)]
async fn live_smoke(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
) -> ApiResult<Json<Option<LiveSmokeDto>>> {
    Ok(Json(onboarding::live::latest(&s.services, &slug).await?))
}

/// Cancels the waiting live smoke run; the items keep their previous runs.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/orgs/{slug}/onboarding/smoke/live",
    params(("slug" = String, Path, description = "The organization's identifier")),
    responses(
        (status = 200, description = "Cancelled", body = LiveSmokeDto),
        (status = 404, description = "No such organization"),
        (status = 409, description = "`run_state_invalid`: no live run is waiting"),
    ),
    security(("admin_key" = []))
)]
async fn cancel_live_smoke(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
) -> ApiResult<Json<LiveSmokeDto>> {
    Ok(Json(onboarding::live::cancel(&s.services, &actor, &slug).await?))
}

/// "Logs audited" (T+1): the identity conflicts and failed stage moves since go-live, each
/// with its review.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs/{slug}/onboarding/review/logs",
    params(("slug" = String, Path, description = "The organization's identifier")),
    responses((status = 200, body = LogsReview), (status = 404, description = "No such organization")),
    security(("admin_key" = []))
)]
async fn review_logs(State(s): State<AppState>, _: AdminKey, Path(slug): Path<String>) -> ApiResult<Json<LogsReview>> {
    Ok(Json(onboarding::review::logs(&s.services, &slug).await?))
}

/// The T+1 sample of real conversations as drawn, each with its contact, deal, stage moves
/// and review.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs/{slug}/onboarding/review/sample",
    params(("slug" = String, Path, description = "The organization's identifier")),
    responses((status = 200, body = SampleDto), (status = 404, description = "No such organization")),
    security(("admin_key" = []))
)]
async fn review_sample(State(s): State<AppState>, _: AdminKey, Path(slug): Path<String>) -> ApiResult<Json<SampleDto>> {
    Ok(Json(onboarding::review::sample(&s.services, &slug).await?))
}

/// Draws the sample: 10 real (not synthetic) conversations since go-live, at random across
/// both channels; conversations already reviewed stay, the rest are drawn again.
#[utoipa::path(
    post,
    path = "/api/v1/admin/orgs/{slug}/onboarding/review/sample",
    params(("slug" = String, Path, description = "The organization's identifier")),
    responses(
        (status = 200, body = SampleDto),
        (status = 404, description = "No such organization"),
        (status = 409, description = "`not_activated`: the org has not gone live"),
    ),
    security(("admin_key" = []))
)]
async fn draw_sample(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
) -> ApiResult<Json<SampleDto>> {
    Ok(Json(onboarding::review::draw_sample(&s.services, &actor, &slug).await?))
}

/// Marks a review entry (`conflict`, `stage_move` or `conversation` and its id) `ok` or
/// `problem` (with a note); the T+1 items follow from the verdicts.
#[utoipa::path(
    put,
    path = "/api/v1/admin/orgs/{slug}/onboarding/review/{kind}/{id}",
    params(
        ("slug" = String, Path, description = "The organization's identifier"),
        ("kind" = ReviewKind, Path, description = "What is reviewed"),
        ("id" = i64, Path, description = "The conflict's, tool call's or conversation's id"),
    ),
    request_body = ReviewInput,
    responses(
        (status = 204, description = "Marked"),
        (status = 404, description = "No such organization, or no such entry to review"),
        (status = 422, description = "Unknown verdict, or a problem without a note"),
    ),
    security(("admin_key" = []))
)]
async fn mark_review(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, kind, id)): Path<(String, String, String)>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<axum::http::StatusCode> {
    onboarding::review::review(&s.services, &actor, &slug, &kind, &id, &input).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The new-client wizard's six steps for the org, each with its items, and the first step
/// not done.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs/{slug}/onboarding/wizard",
    params(("slug" = String, Path, description = "The organization's identifier")),
    responses((status = 200, body = WizardDto), (status = 404, description = "No such organization")),
    security(("admin_key" = []))
)]
async fn wizard(State(s): State<AppState>, _: AdminKey, Path(slug): Path<String>) -> ApiResult<Json<WizardDto>> {
    Ok(Json(onboarding::wizard::state(&s.services, &slug).await?))
}

/// Runs a wizard step's live checks and, when they pass, makes its lifecycle move
/// (`chatwoot` → `pre_activation`, `workflow` → `activation`, `release` → `target`).
#[utoipa::path(
    post,
    path = "/api/v1/admin/orgs/{slug}/onboarding/wizard/{step}",
    params(
        ("slug" = String, Path, description = "The organization's identifier"),
        ("step" = WizardStep, Path, description = "The step"),
    ),
    request_body = WizardAdvanceInput,
    responses(
        (status = 200, description = "Where the org stands after the step's checks", body = WizardDto),
        (status = 404, description = "No such organization"),
        (status = 409, description = "`step_incomplete` (an earlier step, `error.details.step`) or `phase_incomplete`"),
        (status = 422, description = "Unknown step, or a missing or bad `target` on `release`"),
    ),
    security(("admin_key" = []))
)]
async fn wizard_advance(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, step)): Path<(String, String)>,
    ApiJson(input): ApiJson<WizardAdvanceInput>,
) -> ApiResult<Json<WizardDto>> {
    // An admin key is an administrator's: it may release with an override and a reason.
    Ok(Json(onboarding::wizard::advance(&s.services, &actor, true, &slug, &step, &input).await?))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(checklist, change_state, history, update_item, runs, run_check, run_phase, run_smoke, start_live_smoke, live_smoke, cancel_live_smoke, wizard, wizard_advance, review_logs, review_sample, draw_sample, mark_review),
    components(schemas(
        ChecklistDto,
        PhaseDto,
        ChecklistItemDto,
        CheckRunDto,
        CheckLine,
        CheckCall,
        ItemUpdate,
        StateChange,
        StateChangeDto,
        SmokeInput,
        SmokeMode,
        LiveSmokeInput,
        LiveSmokeDto,
        LiveSmokeState,
        Lifecycle,
        Phase,
        ItemKey,
        ItemKind,
        ItemStatus,
        Verdict,
        LineLevel,
        WizardDto,
        WizardStepDto,
        WizardStep,
        WizardAdvanceInput,
        LogsReview,
        LogEntry,
        Review,
        ReviewKind,
        ReviewVerdict,
        SampleDto,
        SampleConversation,
        SampleMove,
        SampleEvent,
        ReviewInput,
    )),
    tags((name = "onboarding", description = "The activation checklist of an organization (admin API key)"))
)]
pub struct OnboardingDoc;
