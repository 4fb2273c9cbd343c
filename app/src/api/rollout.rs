//! The portal's rollout board and its waves, and an org's place in the plan (the plan form
//! on the org's home).

use crate::model::{AppError, PlanDto, RolloutBoard, WaveDto};
use leptos::server;

#[cfg(feature = "ssr")]
use super::ctx::{self, OrReject};
#[cfg(feature = "ssr")]
use crate::domain::{onboarding::rollout, Actor};
#[cfg(feature = "ssr")]
use crate::model::{BoardQuery, PlanInput, Role, RolloutWaveInput, WaveId};

/// The board with the page's filters (`?wave=&state=&sort=`).
#[server(endpoint = "rollout_board")]
pub async fn get_rollout_board(
    wave: Option<String>,
    state: Option<String>,
    sort: Option<String>,
) -> Result<RolloutBoard, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    rollout::board(&svc, &BoardQuery { wave, state, sort }).await.or_reject()
}

/// The waves, for the plan form's list.
#[server(endpoint = "list_waves")]
pub async fn list_waves() -> Result<Vec<WaveDto>, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    rollout::waves(&svc).await.or_reject()
}

/// A wave id from a form field (a hidden input; a bad one names no wave).
#[cfg(feature = "ssr")]
fn wave_id(raw: &str) -> Result<WaveId, AppError> {
    raw.trim().parse::<WaveId>().map_err(|_| AppError::new(crate::model::ErrorCode::NotFound))
}

/// Creates a wave (`id` blank) or replaces one.
#[server(endpoint = "save_wave")]
pub async fn save_wave(
    id: Option<String>,
    name: String,
    planned_start: Option<String>,
    planned_end: Option<String>,
) -> Result<WaveDto, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    let input = RolloutWaveInput { name, planned_start, planned_end, position: None };
    let actor = Actor::user(&user.email);
    match id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => rollout::create_wave(&svc, &actor, &input).await.or_reject(),
        Some(id) => rollout::update_wave(&svc, &actor, wave_id(id)?, &input).await.or_reject(),
    }
}

/// Deletes an empty wave.
#[server(endpoint = "delete_wave")]
pub async fn delete_wave(id: String) -> Result<(), AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    rollout::delete_wave(&svc, &Actor::user(&user.email), wave_id(&id)?).await.or_reject()
}

#[server(endpoint = "org_plan")]
pub async fn org_plan(slug: String) -> Result<PlanDto, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    rollout::plan(&svc, &slug).await.or_reject()
}

/// The plan form: blank fields clear; the date-and-time is São Paulo's.
#[server(endpoint = "save_plan")]
pub async fn save_plan(
    slug: String,
    wave_id: Option<String>,
    technical_owner: Option<String>,
    credentials_ready_at: Option<String>,
) -> Result<PlanDto, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    let wave_id = match wave_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(raw.parse::<WaveId>().map_err(|_| {
            AppError::fields(vec![crate::model::FieldError::new("wave_id", crate::model::ErrorCode::WaveUnknown)])
        })?),
    };
    let input = PlanInput { wave_id, technical_owner, credentials_ready_at };
    rollout::set_plan(&svc, &Actor::user(&user.email), &slug, &input).await.or_reject()
}
