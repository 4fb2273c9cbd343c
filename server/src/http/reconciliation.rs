//! HTTP for reconciliation tasks (identity conflicts an operator decides), admin API.

use super::error::ApiResult;
use super::extract::{AdminKey, ApiJson, ApiQuery};
use super::{path_id, AppState};
use app::domain::reconciliation;
use app::model::*;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

/// Admin API routes (nested under `/api/v1/admin`).
pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{slug}/reconciliation", get(list_tasks))
        .route("/orgs/{slug}/reconciliation/{id}", get(get_task).post(resolve_task))
        .route("/orgs/{slug}/reconciliation/{id}/reopen", post(reopen_task))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskQuery {
    status: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

async fn list_tasks(
    State(s): State<AppState>,
    _: AdminKey,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> ApiResult<Json<Page<ReconciliationTaskDto>>> {
    Ok(Json(reconciliation::list(&s.services, &slug, q.status.as_deref(), q.before, q.limit).await?))
}

async fn get_task(
    State(s): State<AppState>,
    _: AdminKey,
    Path((slug, task)): Path<(String, String)>,
) -> ApiResult<Json<ReconciliationTaskDto>> {
    Ok(Json(reconciliation::get(&s.services, &slug, path_id(&task)?).await?))
}

async fn resolve_task(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, task)): Path<(String, String)>,
    ApiJson(input): ApiJson<ResolveInput>,
) -> ApiResult<Json<ReconciliationTaskDto>> {
    Ok(Json(reconciliation::resolve(&s.services, &actor, &slug, path_id(&task)?, &input.resolution).await?))
}

/// `POST …/reconciliation/{id}/reopen`: undo the decision (409 `task_open` when it is open,
/// `reopen_stale` when the number moved again since).
async fn reopen_task(
    State(s): State<AppState>,
    AdminKey(actor): AdminKey,
    Path((slug, task)): Path<(String, String)>,
) -> ApiResult<Json<ReconciliationTaskDto>> {
    Ok(Json(reconciliation::reopen(&s.services, &actor, &slug, path_id(&task)?).await?))
}
