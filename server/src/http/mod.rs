//! The axum routers: machine endpoints (health, admin API) and the Leptos portal, with
//! the cross-cutting layers (request ids, tracing, compression, body limit, timeout).

pub mod admin;
pub mod backfill;
pub mod contacts;
pub mod error;
pub mod evidence;
pub mod exports;
pub mod extract;
pub mod health;
pub mod onboarding;
pub mod reconciliation;
pub mod render;
pub mod rollout;
pub mod tools;
pub mod webhooks;

use crate::config::Config;
use app::api::ctx::WebConfig;
use app::domain::Services;
use app::model::ErrorCode;
use axum::body::Body;
use axum::extract::FromRef;
use axum::http::{header, HeaderName, HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use error::ApiError;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::str::FromStr;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub leptos: LeptosOptions,
    pub web: WebConfig,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState, config: &Config) -> Router {
    let routes = generate_route_list(app::App);
    let leptos_options = state.leptos.clone();
    let context = {
        let services = state.services.clone();
        let web = state.web.clone();
        move || {
            provide_context(services.clone());
            provide_context(web.clone());
        }
    };
    let api_v1 = Router::new()
        .nest("/admin", admin::routes())
        .nest("/tools", tools::routes())
        .route("/openapi.json", get(tools::openapi))
        .fallback(|| async { ApiError::code(ErrorCode::NotFound) });

    // The portal: its pages are rendered whole, with a deadline (render.rs says why).
    let portal = Router::new()
        .leptos_routes_with_context(&state, routes, context, move || app::shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
        .layer(axum::middleware::from_fn(render::whole_pages));

    let limited = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .nest("/api/v1", api_v1)
        .nest("/webhooks", webhooks::routes())
        .merge(backfill::portal_routes())
        .merge(contacts::portal_routes())
        .merge(evidence::portal_routes())
        .merge(exports::portal_routes())
        .merge(portal)
        .layer(axum::middleware::map_response(server_fn_status))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.request_timeout_secs),
        ))
        .layer(RequestBodyLimitLayer::new(config.body_limit_bytes));
    // File uploads (a client's whole contact base) are read as a stream: their own, larger
    // limit and a longer timeout, the rest of the layers shared.
    let uploads = contacts::upload_routes()
        .merge(evidence::upload_routes())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.upload_timeout_secs),
        ))
        .layer(RequestBodyLimitLayer::new(config.upload_limit_bytes));

    limited
        .merge(uploads)
        .layer(CompressionLayer::new())
        .layer(axum::middleware::map_response(json_body_limit))
        .layer(axum::middleware::from_fn(canonical_paths))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
            let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), path = %loggable_path(req.uri().path()), request_id = %id)
        }))
        .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, header::COOKIE]))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Paths as logged: the token of `/webhooks/chatwoot/{org}/{token}` is a credential
/// and never reaches the logs.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/webhooks/chatwoot/").and_then(|rest| rest.split_once('/')) {
        Some((org, _token)) => format!("/webhooks/chatwoot/{org}/***").into(),
        None => path.into(),
    }
}

/// Server functions answer every error they did not classify themselves (e.g. a missing
/// form field, caught before our code runs) with 500; give it the status of its code.
async fn server_fn_status(res: Response<Body>) -> Response<Body> {
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR || !res.headers().contains_key("serverfnerror") {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(b) => b,
        Err(_) => return ApiError::code(ErrorCode::Internal).into_response(),
    };
    if let Ok(err) = serde_json::from_slice::<app::model::AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(err.code.status()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The portal's address of an old or non-canonical path, if it has one: a trailing slash
/// (`/orgs/` used to answer 500 from the router) and the Portuguese route nouns of earlier
/// versions (bookmarks: `/orgs/x/eventos` is now `/orgs/x/events`).
pub(crate) fn canonical_path(path: &str) -> Option<String> {
    const RENAMED: [(&str, &str); 4] = [
        ("eventos", "events"),
        ("automacao", "automation"),
        ("contatos", "contacts"),
        ("reconciliacao", "reconciliation"),
    ];
    let trimmed = path.trim_end_matches('/');
    let mut changed = trimmed.len() != path.len() && !trimmed.is_empty();
    let mut parts: Vec<&str> = trimmed.split('/').collect();
    // ["", "orgs", slug, page, …]
    if parts.len() >= 4 && parts[1] == "orgs" {
        if let Some((_, new)) = RENAMED.iter().find(|(old, _)| *old == parts[3]) {
            parts[3] = new;
            changed = true;
        }
    }
    changed.then(|| parts.join("/"))
}

/// Sends portal pages' old or non-canonical paths to their address (308, query kept).
/// Machine paths (APIs, webhooks) are never redirected: a client must see its mistake.
async fn canonical_paths(req: Request<Body>, next: axum::middleware::Next) -> axum::response::Response {
    let path = req.uri().path();
    let machine = ["/api/", "/webhooks/", "/portal/", "/pkg/"].iter().any(|p| path.starts_with(p));
    if !machine && matches!(*req.method(), axum::http::Method::GET | axum::http::Method::HEAD) {
        if let Some(to) = canonical_path(path) {
            let to = match req.uri().query() {
                Some(q) => format!("{to}?{q}"),
                None => to,
            };
            return axum::response::Redirect::permanent(&to).into_response();
        }
    }
    next.run(req).await
}

/// tower-http's body limit answers 413 in plain text; machines get Ponte's JSON error.
async fn json_body_limit(res: Response<Body>) -> Response<Body> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        let mut out = ApiError::code(ErrorCode::BodyTooLarge).into_response();
        out.headers_mut().insert("x-ponte-limit", HeaderValue::from_static("body"));
        return out;
    }
    res
}

/// A numeric id from the path; anything else names nothing ("not found", like an id of
/// another org).
pub(crate) fn path_id<Id: FromStr>(raw: &str) -> Result<Id, ApiError> {
    raw.parse().map_err(|_| ApiError::code(ErrorCode::NotFound))
}

/// A CSV report as a download.
pub(crate) fn csv_file(name: String, body: String) -> axum::response::Response {
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
