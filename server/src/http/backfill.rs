//! HTTP for bringing an existing client in: the WhatsApp identity backfill (per org and
//! for a wave of orgs, with its CSV report), reconciliation tasks, and the contacts
//! import (streamed CSV upload, its history and rejected-rows report). Admin API routes
//! take a bearer admin key; the `/portal/…` routes take the portal session (the
//! upload form and the report downloads of the portal pages).

use super::error::{ApiError, ApiResult};
use super::extract::{AdminKey, ApiJson, ApiQuery, PortalOperator};
use super::AppState;
use app::domain::backfill::{self, BackfillRunDto, OrgBackfillDto, WaveStart};
use app::domain::contacts_import::{self, ImportDto};
use app::domain::{reconciliation, Actor};
use app::model::*;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::TryStreamExt;
use serde::Deserialize;
use tokio_util::io::StreamReader;

/// Admin API routes (nested under `/api/v1/admin`).
pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/backfill", get(overview))
        .route("/backfill/wave", post(start_wave))
        .route("/orgs/{slug}/backfill", get(history).post(start))
        .route("/orgs/{slug}/backfill/{id}", get(get_run))
        .route("/orgs/{slug}/backfill/{id}/report", get(run_report))
        .route("/orgs/{slug}/backfill/{id}/{action}", post(run_action))
        .route("/orgs/{slug}/reconciliation", get(list_tasks))
        .route("/orgs/{slug}/reconciliation/{id}", get(get_task).post(resolve_task))
        .route("/orgs/{slug}/contacts/imports", get(imports))
        .route("/orgs/{slug}/contacts/imports/{id}", get(get_import))
        .route("/orgs/{slug}/contacts/imports/{id}/report", get(import_report))
}

/// Routes that read a whole file: mounted with their own body limit and timeout.
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/orgs/{slug}/contacts/import", post(import_api))
        .route("/portal/orgs/{slug}/contacts/import", post(import_portal))
}

/// Portal downloads (session cookie).
pub fn portal_routes() -> Router<AppState> {
    Router::new()
        .route("/portal/orgs/{slug}/backfill/{id}/report.csv", get(portal_run_report))
        .route("/portal/orgs/{slug}/contacts/imports/{id}/report.csv", get(portal_import_report))
}

fn id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::code(ErrorCode::NotFound))
}

fn csv_file(name: String, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        // A BOM so that spreadsheets in pt-BR open accents right.
        format!("\u{feff}{body}"),
    )
        .into_response()
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
    Ok(Json(backfill::get(&s.services, &slug, id(&run)?).await?))
}

async fn run_action(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, run, action)): Path<(String, String, String)>,
) -> ApiResult<Json<BackfillRunDto>> {
    Ok(Json(backfill::set_status(&s.services, &actor, &slug, id(&run)?, &action).await?))
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
    let run = id(run)?;
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskQuery {
    status: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

async fn list_tasks(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> ApiResult<Json<Page<ReconciliationTaskDto>>> {
    Ok(Json(reconciliation::list(&s.services, &slug, q.status.as_deref(), q.before, q.limit).await?))
}

async fn get_task(
    State(s): State<AppState>,
    _: AdminKey,
    Path((slug, task)): Path<(String, String)>,
) -> ApiResult<Json<ReconciliationTaskDto>> {
    Ok(Json(reconciliation::get(&s.services, &slug, id(&task)?).await?))
}

async fn resolve_task(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, task)): Path<(String, String)>,
    ApiJson(input): ApiJson<ResolveInput>,
) -> ApiResult<Json<ReconciliationTaskDto>> {
    Ok(Json(reconciliation::resolve(&s.services, &actor, &slug, id(&task)?, &input.resolution).await?))
}

async fn imports(State(s): State<AppState>, _: AdminKey, Path(slug): Path<String>) -> ApiResult<Json<Vec<ImportDto>>> {
    Ok(Json(contacts_import::history(&s.services, &slug).await?))
}

async fn get_import(
    State(s): State<AppState>,
    _: AdminKey,
    Path((slug, import)): Path<(String, String)>,
) -> ApiResult<Json<ImportDto>> {
    Ok(Json(contacts_import::get(&s.services, &slug, id(&import)?).await?))
}

/// An import's report as a file (the admin API and the portal serve the same one).
async fn import_report_file(s: &AppState, slug: &str, import: &str) -> ApiResult<Response> {
    let import = id(import)?;
    let body = contacts_import::report_csv(&s.services, slug, import).await?;
    Ok(csv_file(format!("importacao-{slug}-{import}.csv"), body))
}

async fn import_report(
    State(s): State<AppState>,
    _: AdminKey,
    Path((slug, import)): Path<(String, String)>,
) -> ApiResult<Response> {
    import_report_file(&s, &slug, &import).await
}

async fn portal_import_report(
    State(s): State<AppState>,
    _: PortalOperator,
    Path((slug, import)): Path<(String, String)>,
) -> ApiResult<Response> {
    import_report_file(&s, &slug, &import).await
}

/// Reads the uploaded CSV as a stream, from a multipart form (field `file`) or from a
/// raw `text/csv` body, and imports it.
async fn import_upload(s: &AppState, actor: &Actor, slug: &str, req: Request) -> Result<ImportDto, ApiError> {
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let result = if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(req, s).await.map_err(|e| {
            ApiError::detail(ErrorCode::CsvFileMissing, format!("Formulário inválido: {}", e.body_text()))
        })?;
        loop {
            let field = form.next_field().await.map_err(|_| ApiError::code(ErrorCode::CsvFileMissing))?;
            let Some(field) = field else { return Err(ApiError::code(ErrorCode::CsvFileMissing)) };
            if field.name() != Some("file") {
                continue;
            }
            let filename = field.file_name().map(|f| f.chars().take(200).collect::<String>());
            let reader = StreamReader::new(field.map_err(std::io::Error::other));
            break contacts_import::import(&s.services, actor, slug, filename.as_deref(), reader).await;
        }
    } else if content_type.starts_with("text/csv")
        || content_type.starts_with("text/plain")
        || content_type.starts_with("application/octet-stream")
    {
        let stream = req.into_body().into_data_stream().map_err(std::io::Error::other);
        contacts_import::import(&s.services, actor, slug, None, StreamReader::new(stream)).await
    } else {
        return Err(ApiError::code(ErrorCode::CsvFileMissing));
    };
    result.map_err(ApiError::from)
}

async fn import_api(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    req: Request<Body>,
) -> ApiResult<Json<ImportDto>> {
    Ok(Json(import_upload(&s, &actor, &slug, req).await?))
}

/// The portal's upload form posts here; the answer sends the browser back to the page
/// with the import (or the refusal) to show.
async fn import_portal(
    State(s): State<AppState>,
    PortalOperator(actor): PortalOperator,
    Path(slug): Path<String>,
    req: Request<Body>,
) -> Response {
    let page = format!("/orgs/{}/contatos", urlencode(&slug));
    match import_upload(&s, &actor, &slug, req).await {
        Ok(done) => Redirect::to(&format!("{page}?importacao={}", done.id)).into_response(),
        Err(ApiError(e)) if e.code == ErrorCode::NotFound => ApiError(e).into_response(),
        Err(ApiError(e)) => {
            let code = serde_json::to_value(e.code).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
            Redirect::to(&format!("{page}?erro={code}")).into_response()
        }
    }
}

fn urlencode(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}
