//! HTTP for contact imports: the streamed CSV upload (admin API and the portal's form),
//! the import history and each import's rejected-rows report.

use super::error::{ApiError, ApiResult};
use super::extract::{AdminKey, PortalOperator};
use super::{csv_file, path_id, AppState};
use app::domain::contacts_import::{self, ImportDto};
use app::domain::Actor;
use app::model::*;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::TryStreamExt;
use tokio_util::io::StreamReader;

/// Admin API routes (nested under `/api/v1/admin`).
pub fn admin_routes() -> Router<AppState> {
    Router::new()
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
    Router::new().route("/portal/orgs/{slug}/contacts/imports/{id}/report.csv", get(portal_import_report))
}

async fn imports(State(s): State<AppState>, _: AdminKey, Path(slug): Path<String>) -> ApiResult<Json<Vec<ImportDto>>> {
    Ok(Json(contacts_import::history(&s.services, &slug).await?))
}

async fn get_import(
    State(s): State<AppState>,
    _: AdminKey,
    Path((slug, import)): Path<(String, String)>,
) -> ApiResult<Json<ImportDto>> {
    Ok(Json(contacts_import::get(&s.services, &slug, path_id(&import)?).await?))
}

/// An import's report as a file (the admin API and the portal serve the same one).
async fn import_report_file(s: &AppState, slug: &str, import: &str) -> ApiResult<Response> {
    let import = path_id(import)?;
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
    let page = format!("/orgs/{}/contacts", urlencode(&slug));
    match import_upload(&s, &actor, &slug, req).await {
        Ok(done) => Redirect::to(&format!("{page}?import={}", done.id)).into_response(),
        Err(ApiError(e)) if e.code == ErrorCode::NotFound => ApiError(e).into_response(),
        Err(ApiError(e)) => {
            let code = serde_json::to_value(e.code).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
            Redirect::to(&format!("{page}?error={code}")).into_response()
        }
    }
}

fn urlencode(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}
