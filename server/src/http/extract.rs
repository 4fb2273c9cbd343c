//! Ponte's own extractors, so that bad input gets Ponte's JSON 4xx (not axum's plain
//! text) and authentication yields a typed principal.

use super::error::ApiError;
use super::AppState;
use app::domain::tools::{self, Caller};
use app::domain::{auth, Actor};
use app::model::{AppError, ErrorCode};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// A caller of the admin API, authenticated by a bearer admin API key.
pub struct AdminKey(pub Actor);

impl FromRequestParts<AppState> for AdminKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts, ErrorCode::ApiKeyMissing)?;
        let actor = auth::authenticate_api_key(&state.services, token).await?;
        Ok(AdminKey(actor))
    }
}

/// A caller of the tools API, authenticated by the org's bearer automation token.
pub struct OrgToken(pub Caller);

impl FromRequestParts<AppState> for OrgToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts, ErrorCode::TokenMissing)?;
        Ok(OrgToken(tools::authenticate(&state.services, token).await?))
    }
}

/// A portal user (session cookie) allowed to operate: the plain-HTTP portal routes
/// (file upload and downloads) that are not server functions. SameSite=Lax on the cookie
/// keeps other sites' forms from posting here with it.
pub struct PortalOperator(pub Actor);

impl FromRequestParts<AppState> for PortalOperator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = app::api::ctx::session_token_in(&parts.headers);
        let user = auth::require(&state.services, token.as_deref(), app::model::Role::Operator).await?;
        Ok(PortalOperator(Actor::user(&user.email)))
    }
}

/// A portal user (session cookie) of any role: the plain-HTTP portal downloads.
pub struct PortalViewer(pub Actor);

impl FromRequestParts<AppState> for PortalViewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = app::api::ctx::session_token_in(&parts.headers);
        let user = auth::require(&state.services, token.as_deref(), app::model::Role::Viewer).await?;
        Ok(PortalViewer(Actor::user(&user.email)))
    }
}

/// The token of `Authorization: Bearer <token>`; None without the header, `missing` for
/// another scheme (the domain decides what an absent or unknown token means).
fn bearer(parts: &Parts, missing: ErrorCode) -> Result<Option<&str>, ApiError> {
    match parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        None => Ok(None),
        Some(h) => match h.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(token.trim())),
            _ => Err(ApiError::code(missing)),
        },
    }
}

/// JSON body whose rejections are Ponte errors: 400 malformed or empty, 415 not JSON, 413
/// too large, 422 well-formed but with a missing, unknown or mistyped field (named, in
/// pt-BR: serde's English explanation is not passed on).
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => match path_error::<serde_json::Error>(&e) {
            Some(err) => ApiError(AppError::from_serde(&err.path().to_string(), &err.inner().to_string())),
            None => ApiError::code(ErrorCode::Validation),
        },
        JsonRejection::JsonSyntaxError(e) => {
            let syntax =
                path_error::<serde_json::Error>(&e).map(|p| p.inner()).or_else(|| find::<serde_json::Error>(&e));
            match syntax {
                Some(err) if err.is_eof() && err.line() == 1 && err.column() == 0 => {
                    ApiError::detail(ErrorCode::InvalidJson, "O corpo está vazio: envie um objeto JSON.")
                }
                Some(err) => ApiError::detail(
                    ErrorCode::InvalidJson,
                    format!("JSON mal formado na linha {}, coluna {}.", err.line(), err.column()),
                ),
                None => ApiError::code(ErrorCode::InvalidJson),
            }
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::code(ErrorCode::UnsupportedMediaType),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::code(ErrorCode::BodyTooLarge),
        _ => ApiError::code(ErrorCode::InvalidJson),
    }
}

/// The first error of type `E` in `err`'s chain of sources (axum wraps the deserializer's
/// error in its rejection).
fn find<'a, E: std::error::Error + 'static>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a E> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<E>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The deserializer's error with the path where it stopped, as axum's rejections carry it.
fn path_error<'a, E: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a serde_path_to_error::Error<E>> {
    find::<serde_path_to_error::Error<E>>(err)
}

/// Query parameters; a malformed or unknown one (e.g. `limit=abc`) is a JSON 400 naming the
/// parameter in pt-BR instead of axum's plain-text rejection.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => {
                let err = match path_error::<serde::de::value::Error>(&e) {
                    Some(err) => AppError::from_serde(&err.path().to_string(), &err.inner().to_string()),
                    None => AppError::new(ErrorCode::CursorInvalid),
                };
                Err(ApiError(AppError { code: ErrorCode::CursorInvalid, ..err }))
            }
        }
    }
}
