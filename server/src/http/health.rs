//! Liveness and readiness for load balancers and orchestrators.

use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

/// The process is up and answering.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers and every migration is applied; 503 otherwise.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let db = &state.services.db;
    match db.is_ready().await {
        Ok(true) => {
            (StatusCode::OK, Json(json!({ "status": "ready", "database": db.engine(), "migrations": "applied" })))
        }
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not_ready", "database": db.engine(), "migrations": "pending" })),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "not_ready", "database": db.engine(), "error": "database unreachable" })),
            )
        }
    }
}
