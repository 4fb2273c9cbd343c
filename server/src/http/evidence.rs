//! `/api/v1/admin/orgs/{slug}/evidence`: go-live evidence for scripts. The upload is a
//! multipart form streamed to the object store (axum's 2 MiB multipart default does not
//! apply here; the evidence limit does, checked while the bytes arrive).

use super::error::{ApiError, ApiResult};
use super::extract::AdminKey;
use super::AppState;
use app::domain::evidence::{self, Upload};
use app::model::*;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

/// Text fields of the form (`item`, `note`) are small: past this the form is refused.
const TEXT_FIELD_MAX: usize = 4 * 1024;

/// Admin API routes (nested under `/api/v1/admin`).
pub fn admin_routes() -> Router<AppState> {
    Router::new().route("/orgs/{slug}/evidence", get(list))
}

/// The streamed upload, mounted with the upload routes' limit and timeout.
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/api/v1/admin/orgs/{slug}/evidence", post(upload)).layer(DefaultBodyLimit::disable())
}

/// The org's evidence, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs/{slug}/evidence",
    params(("slug" = String, Path, description = "The organization's identifier")),
    responses(
        (status = 200, body = [EvidenceDto]),
        (status = 404, description = "No such organization"),
    ),
    security(("admin_key" = []))
)]
async fn list(State(s): State<AppState>, _: AdminKey, Path(slug): Path<String>) -> ApiResult<Json<Vec<EvidenceDto>>> {
    Ok(Json(evidence::list(&s.services, &slug).await?))
}

/// A broken form: a body that ended early (the client went away) or parts that cannot be read.
fn form_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    let text = e.body_text().to_ascii_lowercase();
    if text.contains("incomplete") || text.contains("stream") {
        ApiError::code(ErrorCode::UploadIncomplete)
    } else {
        tracing::info!(error = %e.body_text(), "evidence form unreadable");
        ApiError::code(ErrorCode::FormInvalid)
    }
}

async fn small_text(mut field: axum::extract::multipart::Field<'_>) -> Result<String, ApiError> {
    let mut out = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(form_error)? {
        out.extend_from_slice(&chunk);
        if out.len() > TEXT_FIELD_MAX {
            return Err(ApiError::code(ErrorCode::TooLong));
        }
    }
    String::from_utf8(out).map_err(|_| ApiError::code(ErrorCode::TextInvalid))
}

/// Uploads evidence: a multipart form with `item` (a checklist item's key; absent: the
/// org as a whole) and `note` first, then one or more `file` fields. Each file is typed by
/// its content (PNG, JPEG, WebP, GIF, PDF, UTF-8 text/log, CSV, JSON, HAR), hashed and
/// stored under Ponte's own key; the same file twice in one scope is kept once
/// (`duplicate: true`). Files before a refused one stay stored.
#[utoipa::path(
    post,
    path = "/api/v1/admin/orgs/{slug}/evidence",
    params(("slug" = String, Path, description = "The organization's identifier")),
    request_body(content_type = "multipart/form-data", description = "`item`?, `note`?, then `file` (one or more)"),
    responses(
        (status = 201, description = "Stored (or recognised as already stored)", body = [EvidenceDto]),
        (status = 400, description = "`upload_incomplete`: the body ended before the form did; `form_invalid`: a part that cannot be read"),
        (status = 404, description = "No such organization"),
        (status = 413, description = "`body_too_large`: over the evidence limit (`error.details.max_bytes`)"),
        (status = 415, description = "`evidence_type_refused` (`error.details.detected`) or `evidence_markup` (HTML, SVG, XML)"),
        (status = 422, description = "An unknown item, a path-like file name, an empty file, a form without `file`"),
        (status = 503, description = "`evidence_store_unavailable`: nothing was recorded; retry"),
    ),
    security(("admin_key" = []))
)]
async fn upload(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    req: Request,
) -> ApiResult<(StatusCode, Json<Vec<EvidenceDto>>)> {
    let mut form =
        Multipart::from_request(req, &s).await.map_err(|_| ApiError::code(ErrorCode::UnsupportedMediaType))?;
    let (mut item, mut note) = (None::<String>, None::<String>);
    let mut stored = Vec::new();
    loop {
        let field = form.next_field().await.map_err(form_error)?;
        let Some(mut field) = field else { break };
        match field.name().unwrap_or("") {
            "item" => item = Some(small_text(field).await?),
            "note" => note = Some(small_text(field).await?),
            "file" => {
                let name = field.file_name().unwrap_or("").to_string();
                let up = Upload { item: item.as_deref(), name: &name, note: note.as_deref() };
                stored.push(evidence::upload(&s.services, &actor, &slug, up, &mut field).await?);
            }
            // Unknown fields are read past, not stored.
            _ => while field.chunk().await.map_err(form_error)?.is_some() {},
        }
    }
    if stored.is_empty() {
        return Err(ApiError::from(app::domain::error::DomainError::field("file", ErrorCode::Required)));
    }
    Ok((StatusCode::CREATED, Json(stored)))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, upload), components(schemas(EvidenceDto, EvidenceType)))]
pub struct EvidenceDoc;
