//! The HTTP layer's one error type: every machine-facing failure is answered as
//! `{"error": {"code", "message", "fields"?}}` with the status of its code.

use app::domain::DomainError;
use app::model::{AppError, ErrorCode};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug)]
pub struct ApiError(pub AppError);

impl ApiError {
    pub fn code(code: ErrorCode) -> Self {
        ApiError(AppError::new(code))
    }

    pub fn detail(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError(AppError::with_detail(code, message))
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        ApiError(err.into())
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({ "error": self.0 });
        (status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
