//! The domain's error: what went wrong in domain words. Edges map it to HTTP statuses and
//! to the portal's messages through `AppError`; storage details are logged, never sent.

use crate::model::{AppError, ErrorCode, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// One or more inputs are invalid.
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    /// A unique value is already taken (409), reported on its field.
    #[error("conflict: {0:?}")]
    Conflict(FieldError),
    /// A refusal with no field: not found, unauthenticated, forbidden…
    #[error("rejected: {0:?}")]
    Rejected(ErrorCode),
    /// A refusal with machine-readable context for the caller (e.g. the valid stages).
    #[error("rejected: {0:?} {1}")]
    Detailed(ErrorCode, serde_json::Value),
    #[error("storage: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("internal: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn field(field: &str, code: ErrorCode) -> Self {
        DomainError::Invalid(vec![FieldError::new(field, code)])
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            DomainError::Invalid(_) => ErrorCode::Validation,
            DomainError::Conflict(f) => f.code,
            DomainError::Rejected(code) | DomainError::Detailed(code, _) => *code,
            DomainError::Storage(_) | DomainError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Invalid(fields) => AppError::fields(fields),
            DomainError::Conflict(field) => AppError { fields: vec![field.clone()], ..AppError::new(field.code) },
            DomainError::Rejected(code) => AppError::new(code),
            DomainError::Detailed(code, details) => AppError { details: Some(details), ..AppError::new(code) },
            DomainError::Storage(e) => {
                tracing::error!(error = %e, "storage error");
                AppError::new(ErrorCode::Internal)
            }
            DomainError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                AppError::new(ErrorCode::Internal)
            }
        }
    }
}

/// Collects field errors of a form, so every bad field is reported at once.
#[derive(Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    pub fn check<T>(&mut self, field: &str, result: Result<T, ErrorCode>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(code) => {
                self.0.push(FieldError::new(field, code));
                None
            }
        }
    }

    /// Ok when nothing failed.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.0))
        }
    }
}
