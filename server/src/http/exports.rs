//! The onboarding spreadsheet ("planilha") and the rollout board as downloads: XLSX (with
//! a summary sheet) or CSV, for scripts (`/api/v1/admin/…`, admin key) and the portal
//! (`/portal/…`, any role's session). The format is the file name's extension.

use super::error::{ApiError, ApiResult};
use super::extract::{AdminKey, ApiQuery, PortalViewer};
use super::AppState;
use app::domain::onboarding::export::{self, Planilha};
use app::model::*;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// Admin API routes (nested under `/api/v1/admin`).
pub fn admin_routes() -> Router<AppState> {
    Router::new().route("/orgs/{slug}/onboarding/{file}", get(checklist_api)).route("/rollout/{file}", get(board_api))
}

/// Portal downloads (session cookie, any role).
pub fn portal_routes() -> Router<AppState> {
    Router::new()
        .route("/portal/orgs/{slug}/onboarding/{file}", get(checklist_portal))
        .route("/portal/rollout/{file}", get(board_portal))
}

#[derive(Clone, Copy)]
enum Format {
    Xlsx,
    Csv,
}

/// `export.xlsx` or `export.csv`; any other name is not a download here.
fn format_of(file: &str) -> Result<Format, ApiError> {
    match file {
        "export.xlsx" => Ok(Format::Xlsx),
        "export.csv" => Ok(Format::Csv),
        _ => Err(ApiError::code(ErrorCode::NotFound)),
    }
}

fn download(p: &Planilha, format: Format, name: &str) -> ApiResult<Response> {
    let (bytes, mime, ext) = match format {
        Format::Xlsx => {
            (export::to_xlsx(p)?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
        }
        Format::Csv => (export::to_csv(p)?, "text/csv; charset=utf-8", "csv"),
    };
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let file: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}.{ext}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// The org's checklist as a spreadsheet: phase, item, status, who, when, note, the last
/// automatic check, the evidence with its sha256; XLSX adds a summary sheet (org, owner,
/// go-live, lead time, snapshot hash).
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs/{slug}/onboarding/{file}",
    params(
        ("slug" = String, Path, description = "The organization's identifier"),
        ("file" = String, Path, description = "`export.xlsx` or `export.csv`"),
    ),
    responses(
        (status = 200, description = "The spreadsheet, as an attachment"),
        (status = 404, description = "No such organization, or another file name"),
    ),
    security(("admin_key" = []))
)]
async fn checklist_api(
    State(s): State<AppState>,
    _: AdminKey,
    Path((slug, file)): Path<(String, String)>,
) -> ApiResult<Response> {
    let format = format_of(&file)?;
    download(&export::checklist(&s.services, &slug).await?, format, &format!("checklist-{slug}"))
}

async fn checklist_portal(
    State(s): State<AppState>,
    _: PortalViewer,
    Path((slug, file)): Path<(String, String)>,
) -> ApiResult<Response> {
    let format = format_of(&file)?;
    download(&export::checklist(&s.services, &slug).await?, format, &format!("checklist-{slug}"))
}

/// The rollout board as a spreadsheet, one row per org, with the board's filters and order.
#[utoipa::path(
    get,
    path = "/api/v1/admin/rollout/{file}",
    params(
        ("file" = String, Path, description = "`export.xlsx` or `export.csv`"),
        ("wave" = Option<String>, Query, description = "A wave's id, or `none`"),
        ("state" = Option<Lifecycle>, Query, description = "Only orgs in this lifecycle state"),
        ("sort" = Option<String>, Query, description = "As the board's"),
    ),
    responses(
        (status = 200, description = "The spreadsheet, as an attachment"),
        (status = 404, description = "Another file name"),
        (status = 422, description = "Unknown wave, state or sort key"),
    ),
    security(("admin_key" = []))
)]
async fn board_api(
    State(s): State<AppState>,
    _: AdminKey,
    Path(file): Path<String>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> ApiResult<Response> {
    let format = format_of(&file)?;
    download(&export::board(&s.services, &q).await?, format, "painel-de-implantacao")
}

async fn board_portal(
    State(s): State<AppState>,
    _: PortalViewer,
    Path(file): Path<String>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> ApiResult<Response> {
    let format = format_of(&file)?;
    download(&export::board(&s.services, &q).await?, format, "painel-de-implantacao")
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(checklist_api, board_api))]
pub struct ExportDoc;
