//! HTTP for the WhatsApp identity backfill: runs per org and waves of orgs, with the run's
//! CSV report. Admin API routes take a bearer admin key; the `/portal/…` download takes the
//! portal session (the report link of the Backfill page).

use super::error::ApiResult;
use super::extract::{AdminKey, ApiJson, PortalOperator};
use super::{csv_file, path_id, AppState};
use app::domain::backfill::{self, BackfillRunDto, OrgBackfillDto, WaveStart};
use app::model::*;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};

/// Admin API routes (nested under `/api/v1/admin`).
pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/backfill", get(overview))
        .route("/backfill/wave", post(start_wave))
        .route("/orgs/{slug}/backfill", get(history).post(start))
        .route("/orgs/{slug}/backfill/{id}", get(get_run))
        .route("/orgs/{slug}/backfill/{id}/report", get(run_report))
        .route("/orgs/{slug}/backfill/{id}/{action}", post(run_action))
}

/// Portal downloads (session cookie).
pub fn portal_routes() -> Router<AppState> {
    Router::new().route("/portal/orgs/{slug}/backfill/{id}/report.csv", get(portal_run_report))
}

async fn overview(State(s): State<AppState>, _: AdminKey) -> ApiResult<Json<Vec<OrgBackfillDto>>> {
    Ok(Json(backfill::overview(&s.services).await?))
}

#[derive(serde::Serialize)]
struct WaveAnswer {
    wave: String,
    orgs: Vec<WaveStart>,
}

async fn start_wave(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    ApiJson(input): ApiJson<WaveInput>,
) -> ApiResult<(StatusCode, Json<WaveAnswer>)> {
    let batch = input.batch_size.unwrap_or(backfill::DEFAULT_BATCH_SIZE);
    let (wave, orgs) = backfill::start_wave(&s.services, &actor, &input.orgs, input.dry_run, batch).await?;
    Ok((StatusCode::ACCEPTED, Json(WaveAnswer { wave, orgs })))
}

async fn start(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<BackfillInput>,
) -> ApiResult<(StatusCode, Json<BackfillRunDto>)> {
    let batch = input.batch_size.unwrap_or(backfill::DEFAULT_BATCH_SIZE);
    // The process's backfill runners pick the run up (this one's or another replica's).
    let run = backfill::start(&s.services, &actor, &slug, input.dry_run, batch).await?;
    Ok((StatusCode::ACCEPTED, Json(run)))
}

async fn get_run(
    State(s): State<AppState>,
    _: AdminKey,
    Path((slug, run)): Path<(String, String)>,
) -> ApiResult<Json<BackfillRunDto>> {
    Ok(Json(backfill::get(&s.services, &slug, path_id(&run)?).await?))
}

async fn run_action(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, run, action)): Path<(String, String, String)>,
) -> ApiResult<Json<BackfillRunDto>> {
    Ok(Json(backfill::set_status(&s.services, &actor, &slug, path_id(&run)?, &action).await?))
}

async fn history(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<BackfillRunDto>>> {
    Ok(Json(backfill::history(&s.services, &slug).await?))
}

/// A run's report as a file (the admin API and the portal serve the same one).
async fn run_report_file(s: &AppState, slug: &str, run: &str) -> ApiResult<Response> {
    let run = path_id(run)?;
    let body = backfill::report_csv(&s.services, slug, run).await?;
    Ok(csv_file(format!("backfill-{slug}-{run}.csv"), body))
}

async fn run_report(
    State(s): State<AppState>,
    _: AdminKey,
    Path((slug, run)): Path<(String, String)>,
) -> ApiResult<Response> {
    run_report_file(&s, &slug, &run).await
}

async fn portal_run_report(
    State(s): State<AppState>,
    _: PortalOperator,
    Path((slug, run)): Path<(String, String)>,
) -> ApiResult<Response> {
    run_report_file(&s, &slug, &run).await
}
