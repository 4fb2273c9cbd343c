//! Login, logout, the current user and the first-admin setup link.

use crate::model::{AppError, CurrentUser};
use leptos::server;

#[cfg(feature = "ssr")]
use super::ctx::{self, OrReject};
#[cfg(feature = "ssr")]
use crate::domain::auth;

#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<CurrentUser, AppError> {
    let svc = ctx::services()?;
    let (token, user) = auth::login(&svc, &email, &password).await.or_reject()?;
    ctx::set_session_cookie(&token, svc.config.session_ttl_ms);
    tracing::info!(user = %user.email, "portal login");
    Ok(user)
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let svc = ctx::services()?;
    auth::logout(&svc, ctx::session_token().as_deref()).await.or_reject()?;
    ctx::clear_session_cookie();
    Ok(())
}

/// The logged-in user, or `None` (no session, unknown or expired): the portal decides to
/// send the person to the login page.
#[server(endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    let svc = ctx::services()?;
    match auth::session_user(&svc, ctx::session_token().as_deref()).await {
        Ok(user) => Ok(Some(user)),
        Err(crate::domain::DomainError::Rejected(_)) => Ok(None),
        Err(e) => Err(ctx::reject(e)),
    }
}

#[server(endpoint = "setup_link_valid")]
pub async fn setup_link_valid(token: String) -> Result<bool, AppError> {
    let svc = ctx::services()?;
    auth::setup_token_valid(&svc, &token).await.or_reject()
}

#[server(endpoint = "complete_setup")]
pub async fn complete_setup(
    token: String,
    email: String,
    name: String,
    password: String,
) -> Result<CurrentUser, AppError> {
    let svc = ctx::services()?;
    let (session, user) = auth::complete_setup(&svc, &token, &email, &name, &password).await.or_reject()?;
    ctx::set_session_cookie(&session, svc.config.session_ttl_ms);
    tracing::info!(user = %user.email, "first admin created through the setup link");
    Ok(user)
}
