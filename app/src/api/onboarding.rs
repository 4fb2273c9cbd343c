//! The portal's checklist page: an org's lifecycle and checklist, live checks, marking
//! items by hand and moving the org along its lifecycle.

use crate::model::{AppError, CheckRunDto, ChecklistDto, ChecklistItemDto, LiveSmokeDto, StateChangeDto};
use leptos::server;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ctx::{self, OrReject};
#[cfg(feature = "ssr")]
use crate::domain::{onboarding, Actor};
#[cfg(feature = "ssr")]
use crate::model::{ItemUpdate, LiveSmokeInput, Role, SmokeInput, StateChange};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnboardingOverview {
    pub checklist: ChecklistDto,
    pub history: Vec<StateChangeDto>,
}

#[server(endpoint = "onboarding_page")]
pub async fn onboarding_page(slug: String) -> Result<OnboardingOverview, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    let checklist = onboarding::checklist(&svc, &slug).await.or_reject()?;
    let history = onboarding::history(&svc, &slug).await.or_reject()?;
    Ok(OnboardingOverview { checklist, history })
}

/// "Verificar" on one item.
#[server(endpoint = "run_item_check")]
pub async fn run_item_check(slug: String, item: String) -> Result<CheckRunDto, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    onboarding::checks::run_check(&svc, &Actor::user(&user.email), &slug, &item).await.or_reject()
}

/// "Verificar fase": every live check of a phase.
#[server(endpoint = "run_phase_checks")]
pub async fn run_phase_checks(slug: String, phase: String) -> Result<Vec<CheckRunDto>, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    onboarding::checks::run_phase(&svc, &Actor::user(&user.email), &slug, &phase).await.or_reject()
}

/// "Rodar testes de fumaça": the three T0 smoke tests.
#[server(endpoint = "run_smoke_tests")]
pub async fn run_smoke_tests(slug: String, mode: Option<String>) -> Result<Vec<CheckRunDto>, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    onboarding::smoke::run_smoke(&svc, &Actor::user(&user.email), &slug, &SmokeInput { mode, stage: None })
        .await
        .or_reject()
}

/// "Teste ao vivo": wait for the operator's own message from a test phone / Instagram account.
#[server(endpoint = "start_live_smoke")]
pub async fn start_live_smoke(
    slug: String,
    whatsapp: Option<String>,
    instagram: Option<String>,
    wait_minutes: Option<String>,
) -> Result<LiveSmokeDto, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    // The form sends text: a number that is not one is the same refusal as one out of range.
    let wait_minutes =
        wait_minutes.as_deref().map(str::trim).filter(|w| !w.is_empty()).map(|w| w.parse::<u32>().unwrap_or(0));
    let input = LiveSmokeInput { whatsapp, instagram, wait_minutes, stage: None };
    onboarding::live::start(&svc, &Actor::user(&user.email), &slug, &input).await.or_reject()
}

/// The org's newest live smoke run, polled by the countdown.
#[server(endpoint = "live_smoke_state")]
pub async fn live_smoke_state(slug: String) -> Result<Option<LiveSmokeDto>, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    onboarding::live::latest(&svc, &slug).await.or_reject()
}

#[server(endpoint = "cancel_live_smoke")]
pub async fn cancel_live_smoke(slug: String) -> Result<LiveSmokeDto, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    onboarding::live::cancel(&svc, &Actor::user(&user.email), &slug).await.or_reject()
}

#[server(endpoint = "mark_item")]
pub async fn mark_item(
    slug: String,
    item: String,
    status: String,
    note: Option<String>,
) -> Result<ChecklistItemDto, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    onboarding::update_item(&svc, &Actor::user(&user.email), &slug, &item, &ItemUpdate { status, note })
        .await
        .or_reject()
}

/// Moves the org along its lifecycle; only admins may force past an incomplete phase.
#[server(endpoint = "change_org_state")]
pub async fn change_org_state(
    slug: String,
    state: String,
    reason: Option<String>,
    // A checkbox: present (any value) when ticked, absent otherwise.
    force: Option<String>,
) -> Result<ChecklistDto, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    let input = StateChange { state, reason, force: force.is_some() };
    onboarding::change_state(&svc, &Actor::user(&user.email), user.role == Role::Admin, &slug, &input).await.or_reject()
}

#[server(endpoint = "item_runs")]
pub async fn item_runs(slug: String, item: String) -> Result<Vec<CheckRunDto>, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    onboarding::item_runs(&svc, &slug, &item, 20).await.or_reject()
}

/// The new-client wizard: where the org stands, step by step.
#[server(endpoint = "wizard_state")]
pub async fn wizard_state(slug: String) -> Result<crate::model::WizardDto, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    onboarding::wizard::state(&svc, &slug).await.or_reject()
}

/// "Verificar e continuar" on a wizard step; on the last, "Liberar produção" (`target`:
/// `pilot` or `active`, `technical_owner`, `live_at`; `force` and `reason` for admins).
#[server(endpoint = "wizard_advance")]
#[allow(clippy::too_many_arguments)]
pub async fn wizard_advance(
    slug: String,
    step: String,
    target: Option<String>,
    technical_owner: Option<String>,
    live_at: Option<String>,
    #[server(default)] force: bool,
    reason: Option<String>,
) -> Result<crate::model::WizardDto, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    let input = crate::model::WizardAdvanceInput { target, technical_owner, live_at, force, reason };
    let may_force = user.role.allows(Role::Admin);
    onboarding::wizard::advance(&svc, &Actor::user(&user.email), may_force, &slug, &step, &input).await.or_reject()
}

/// The org's go-live record, if production was released through Ponte.
#[server(endpoint = "go_live_record")]
pub async fn go_live_record(slug: String) -> Result<Option<crate::model::GoLiveDto>, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    onboarding::golive::get(&svc, &slug).await.or_reject()
}

/// The portal users, for the technical owner's choice.
#[server(endpoint = "go_live_owners")]
pub async fn go_live_owners() -> Result<Vec<(String, String)>, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    crate::domain::auth::user_choices(&svc).await.or_reject()
}

/// Installs the org's v2 workflow in its n8n from Ponte's template (inactive until
/// activated).
#[server(endpoint = "install_v2")]
pub async fn install_v2(slug: String) -> Result<crate::model::AutomationStatus, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    crate::domain::automation::install(&svc, &Actor::user(&user.email), &slug, &Default::default()).await.or_reject()
}

/// The T+1 review page: "logs audited" and the conversation sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewOverview {
    pub logs: crate::model::LogsReview,
    pub sample: crate::model::SampleDto,
    /// The server's clock, epoch milliseconds (is the 24 h window still open?).
    pub now: i64,
}

#[server(endpoint = "review_page")]
pub async fn review_page(slug: String) -> Result<ReviewOverview, AppError> {
    let (svc, _) = ctx::require(Role::Viewer).await?;
    let logs = onboarding::review::logs(&svc, &slug).await.or_reject()?;
    let sample = onboarding::review::sample(&svc, &slug).await.or_reject()?;
    Ok(ReviewOverview { logs, sample, now: svc.now() })
}

/// "Sortear a amostra": draws the ten conversations (or tops the sample up).
#[server(endpoint = "draw_sample")]
pub async fn draw_sample(slug: String) -> Result<crate::model::SampleDto, AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    onboarding::review::draw_sample(&svc, &Actor::user(&user.email), &slug).await.or_reject()
}

/// Marks one review entry ok or problem (with a note).
#[server(endpoint = "mark_review")]
pub async fn mark_review(
    slug: String,
    kind: String,
    ref_id: String,
    verdict: String,
    note: Option<String>,
) -> Result<(), AppError> {
    let (svc, user) = ctx::require(Role::Operator).await?;
    let input = crate::model::ReviewInput { verdict, note };
    onboarding::review::review(&svc, &Actor::user(&user.email), &slug, &kind, &ref_id, &input).await.or_reject()
}
