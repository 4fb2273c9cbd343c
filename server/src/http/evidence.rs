//! Go-live evidence and the go-live record over HTTP: `/api/v1/admin/orgs/{slug}/evidence`
//! and `/go-live` for scripts, and the portal's upload and downloads under `/portal/…`
//! (session cookie). The upload is a multipart form streamed to the object store (axum's
//! 2 MiB multipart default does not apply here; the evidence limit does, checked while the
//! bytes arrive). Downloads go through Ponte, never a store URL, after the role check.

use super::error::{ApiError, ApiResult};
use super::extract::{AdminKey, ApiJson, PortalOperator, PortalViewer};
use super::AppState;
use app::domain::evidence::{self, Upload};
use app::domain::onboarding::golive;
use app::domain::Actor;
use app::model::*;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

/// Text fields of the form (`item`, `note`) are small: past this the form is refused.
const TEXT_FIELD_MAX: usize = 4 * 1024;

/// Admin API routes (nested under `/api/v1/admin`).
pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{slug}/evidence", get(list))
        .route("/orgs/{slug}/evidence/{id}", get(download_api).delete(delete_api))
        .route("/orgs/{slug}/go-live", get(go_live_get).post(go_live_post))
        .route("/orgs/{slug}/go-live/snapshot.json", get(snapshot_api))
}

/// The streamed uploads (API and portal), mounted with the upload routes' limit and timeout.
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/orgs/{slug}/evidence", post(upload))
        .route("/portal/orgs/{slug}/evidence", post(upload_portal))
        .layer(DefaultBodyLimit::disable())
}

/// Portal downloads (session cookie, any role).
pub fn portal_routes() -> Router<AppState> {
    Router::new()
        .route("/portal/orgs/{slug}/evidence/{id}", get(download_portal))
        .route("/portal/orgs/{slug}/go-live/snapshot.json", get(snapshot_portal))
}

#[derive(serde::Deserialize)]
struct DownloadQuery {
    /// `1`: shown in the portal (images, PDF, text) rather than saved.
    #[serde(default)]
    inline: Option<String>,
}

/// Evidence is served as what its bytes are, never sniffed again by the browser, without
/// scripts, and saved rather than opened unless the portal previews it.
fn serve(dto: &EvidenceDto, bytes: evidence::ByteStream, inline: bool) -> Response {
    let mut res = Body::from_stream(bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(dto.kind.mime()));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(dto.size as u64));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    let previewable = dto.kind.is_image() || dto.kind.is_text() || dto.kind == EvidenceType::Pdf;
    let disposition = if inline && previewable { "inline" } else { "attachment" };
    if let Ok(v) = HeaderValue::from_str(&content_disposition(disposition, &dto.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266): the ASCII
/// name for old clients, the real one for the rest. The name was checked at upload (no
/// path, no control characters); quotes and backslashes are replaced here.
fn content_disposition(kind: &str, name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// One evidence file's bytes (saved as an attachment).
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs/{slug}/evidence/{id}",
    params(
        ("slug" = String, Path, description = "The organization's identifier"),
        ("id" = i64, Path, description = "The evidence file's id"),
    ),
    responses(
        (status = 200, description = "The file, typed by its content, as an attachment"),
        (status = 404, description = "No such organization, or no such file in it"),
        (status = 503, description = "`evidence_store_unavailable`"),
    ),
    security(("admin_key" = []))
)]
async fn download_api(
    State(s): State<AppState>,
    _: AdminKey,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (dto, bytes) = evidence::open(&s.services, &slug, &id).await?;
    Ok(serve(&dto, bytes, false))
}

async fn download_portal(
    State(s): State<AppState>,
    _: PortalViewer,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<DownloadQuery>,
) -> ApiResult<Response> {
    let (dto, bytes) = evidence::open(&s.services, &slug, &id).await?;
    Ok(serve(&dto, bytes, q.inline.as_deref() == Some("1")))
}

/// Deletes one evidence file; never after the go-live record.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/orgs/{slug}/evidence/{id}",
    params(
        ("slug" = String, Path, description = "The organization's identifier"),
        ("id" = i64, Path, description = "The evidence file's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such organization, or no such file in it"),
        (status = 409, description = "`evidence_locked`: production was released, the record froze the evidence"),
    ),
    security(("admin_key" = []))
)]
async fn delete_api(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    evidence::delete(&s.services, &actor, &slug, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The org's go-live record.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs/{slug}/go-live",
    params(("slug" = String, Path, description = "The organization's identifier")),
    responses(
        (status = 200, body = GoLiveDto),
        (status = 404, description = "No such organization, or no go-live record yet"),
    ),
    security(("admin_key" = []))
)]
async fn go_live_get(State(s): State<AppState>, _: AdminKey, Path(slug): Path<String>) -> ApiResult<Json<GoLiveDto>> {
    let record = golive::get(&s.services, &slug).await?;
    Ok(Json(record.ok_or(ApiError::code(ErrorCode::NotFound))?))
}

/// "Liberar produção": the go-live record. T-2 and T0 must be complete, or `force` with a
/// `reason` (an admin key may). Freezes the snapshot, moves the org to `target`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/orgs/{slug}/go-live",
    params(("slug" = String, Path, description = "The organization's identifier")),
    request_body = GoLiveInput,
    responses(
        (status = 201, body = GoLiveDto),
        (status = 404, description = "No such organization"),
        (status = 409, description = "`phase_incomplete` (`error.details.items`), `go_live_exists`, `transition_invalid`"),
        (status = 422, description = "A bad `target`, an unknown `technical_owner`, a bad or future `live_at`, `force` without `reason`"),
    ),
    security(("admin_key" = []))
)]
async fn go_live_post(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<GoLiveInput>,
) -> ApiResult<(StatusCode, Json<GoLiveDto>)> {
    Ok((StatusCode::CREATED, Json(golive::record(&s.services, &actor, true, &slug, &input).await?)))
}

fn snapshot_response(slug: &str, text: String, hash: String) -> Response {
    let mut res = text.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(v) = HeaderValue::from_str(&hash) {
        h.insert("x-snapshot-sha256", v);
    }
    if let Ok(v) = HeaderValue::from_str(&content_disposition("attachment", &format!("go-live-{slug}.json"))) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// The frozen snapshot, byte for byte as hashed: `sha256sum` of it is the record's hash.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs/{slug}/go-live/snapshot.json",
    params(("slug" = String, Path, description = "The organization's identifier")),
    responses(
        (status = 200, description = "The snapshot JSON; `X-Snapshot-Sha256` is the recorded hash"),
        (status = 404, description = "No such organization, or no go-live record yet"),
    ),
    security(("admin_key" = []))
)]
async fn snapshot_api(State(s): State<AppState>, _: AdminKey, Path(slug): Path<String>) -> ApiResult<Response> {
    let (text, hash) = golive::snapshot_text(&s.services, &slug).await?;
    Ok(snapshot_response(&slug, text, hash))
}

async fn snapshot_portal(State(s): State<AppState>, _: PortalViewer, Path(slug): Path<String>) -> ApiResult<Response> {
    let (text, hash) = golive::snapshot_text(&s.services, &slug).await?;
    Ok(snapshot_response(&slug, text, hash))
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
    receive(&s, &actor, &slug, req).await
}

/// The portal's upload (one request per file, so each has its own progress bar): operators
/// and admins.
async fn upload_portal(
    State(s): State<AppState>,
    PortalOperator(actor): PortalOperator,
    Path(slug): Path<String>,
    req: Request,
) -> ApiResult<(StatusCode, Json<Vec<EvidenceDto>>)> {
    receive(&s, &actor, &slug, req).await
}

async fn receive(
    s: &AppState,
    actor: &Actor,
    slug: &str,
    req: Request,
) -> ApiResult<(StatusCode, Json<Vec<EvidenceDto>>)> {
    let mut form =
        Multipart::from_request(req, s).await.map_err(|_| ApiError::code(ErrorCode::UnsupportedMediaType))?;
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
                stored.push(evidence::upload(&s.services, actor, slug, up, &mut field).await?);
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
#[openapi(
    paths(list, upload, download_api, delete_api, go_live_get, go_live_post, snapshot_api),
    components(schemas(EvidenceDto, EvidenceType, GoLiveInput, GoLiveDto, Lifecycle))
)]
pub struct EvidenceDoc;
