//! Server-side plumbing shared by the server functions: the `Services` from context, the
//! session cookie, role checks, and turning domain errors into answers with a 4xx status.

use crate::domain::{auth, DomainError, Services};
use crate::model::{AppError, CurrentUser, ErrorCode, Role};
use cookie::{Cookie, SameSite};
use http::header::{COOKIE, SET_COOKIE};
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

/// Web settings the server functions need (provided as context beside `Services`).
#[derive(Clone, Debug, Default)]
pub struct WebConfig {
    /// Always mark cookies `Secure` (set when Ponte is served over TLS).
    pub secure_cookies: bool,
}

pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| {
        tracing::error!("Services missing from Leptos context");
        AppError::new(ErrorCode::Internal)
    })
}

/// Sets the answer's status from the error code and hands the error back.
pub fn reject(err: impl Into<AppError>) -> AppError {
    let err = err.into();
    if let Some(opts) = use_context::<ResponseOptions>() {
        opts.set_status(StatusCode::from_u16(err.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    }
    err
}

/// Shortcut for `map_err(reject)` on domain results.
pub trait OrReject<T> {
    fn or_reject(self) -> Result<T, AppError>;
}

impl<T> OrReject<T> for Result<T, DomainError> {
    fn or_reject(self) -> Result<T, AppError> {
        self.map_err(reject)
    }
}

pub fn session_token() -> Option<String> {
    let parts = use_context::<Parts>()?;
    session_token_in(&parts.headers)
}

/// The session cookie's value among a request's headers (also read by the portal's plain
/// HTTP routes: uploads and downloads).
pub fn session_token_in(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_string()))
        .filter_map(Result::ok)
        .find(|c| c.name() == auth::SESSION_COOKIE)
        .map(|c| c.value().to_string())
}

/// The logged-in user if their role allows `needed`; 401/403 otherwise.
pub async fn require(needed: Role) -> Result<(Services, CurrentUser), AppError> {
    let svc = services()?;
    let user = auth::require(&svc, session_token().as_deref(), needed).await.or_reject()?;
    Ok((svc, user))
}

fn behind_tls() -> bool {
    let forced = use_context::<WebConfig>().map(|c| c.secure_cookies).unwrap_or(false);
    let forwarded = use_context::<Parts>()
        .and_then(|p| {
            p.headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).map(|v| v.eq_ignore_ascii_case("https"))
        })
        .unwrap_or(false);
    forced || forwarded
}

fn set_cookie(c: Cookie<'static>) {
    if let (Some(opts), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(&c.to_string())) {
        opts.append_header(SET_COOKIE, value);
    }
}

/// HttpOnly keeps scripts away from the token; SameSite=Lax stops cross-site form posts
/// from carrying it while links from e-mail or chat still open the portal logged in.
pub fn set_session_cookie(token: &str, ttl_ms: i64) {
    let c = Cookie::build((auth::SESSION_COOKIE, token.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(behind_tls())
        .max_age(cookie::time::Duration::seconds(ttl_ms / 1000))
        .build();
    set_cookie(c);
}

pub fn clear_session_cookie() {
    let c = Cookie::build((auth::SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(behind_tls())
        .max_age(cookie::time::Duration::ZERO)
        .build();
    set_cookie(c);
}
