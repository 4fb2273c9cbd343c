//! The new-client wizard: the plan's six steps over the same checklist (create the org,
//! connect Chatwoot, register the webhook, activate the v2 workflow, run the smoke tests,
//! release to production). Nothing is kept about the wizard itself: where an org stands is
//! read from its checklist and lifecycle, so the wizard can be left and resumed anywhere,
//! and an org set up by scripts or by hand shows the same progress.

use super::super::error::DomainError;
use super::super::{orgs, Actor, Services};
use super::checks;
use crate::model::*;

/// Why the wizard moved an org (the audit log's reason).
const WIZARD_REASON: &str = "assistente de implantação";

/// Each step with its items and whether it is done, and the first step not done.
pub fn steps_of(lifecycle: Lifecycle, checklist: &ChecklistDto) -> (Vec<WizardStepDto>, WizardStep) {
    let item = |key: ItemKey| checklist.phases.iter().flat_map(|p| p.items.iter()).find(|i| i.key == key).cloned();
    let steps: Vec<WizardStepDto> = WizardStep::ALL
        .iter()
        .map(|&step| {
            let items: Vec<ChecklistItemDto> = step.items().iter().filter_map(|&k| item(k)).collect();
            let done = match step {
                WizardStep::CreateOrg => true,
                WizardStep::Release => matches!(lifecycle, Lifecycle::Pilot | Lifecycle::Active),
                _ => items.iter().all(|i| i.status.is_done()),
            };
            WizardStepDto { step, done, items }
        })
        .collect();
    let current = steps.iter().find(|s| !s.done).map_or(WizardStep::Release, |s| s.step);
    (steps, current)
}

pub async fn state(svc: &Services, slug: &str) -> Result<WizardDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let checklist = super::checklist(svc, slug).await?;
    let (steps, current) = steps_of(org.lifecycle, &checklist);
    Ok(WizardDto { slug: org.slug, name: org.name, lifecycle: org.lifecycle, steps, current })
}

/// "Verificar e continuar" on a step: runs the step's live checks (the webhook step's
/// registers the webhook in Chatwoot, as its button says), and when the step is done makes
/// the lifecycle move it stands for — `pre_activation` after Chatwoot, `activation` after
/// the workflow (which needs T-2 complete), and on the last step the go-live record
/// ("Liberar produção", `golive::record`: `pilot` or `active`, the technical owner, T-2 and
/// T0 complete or an admin's override). A step whose earlier steps are not done is refused
/// naming the first one: the wizard goes in the plan's order.
pub async fn advance(
    svc: &Services,
    actor: &Actor,
    may_force: bool,
    slug: &str,
    step: &str,
    input: &WizardAdvanceInput,
) -> Result<WizardDto, DomainError> {
    let step = step.parse::<WizardStep>().map_err(|c| DomainError::field("step", c))?;
    let before = state(svc, slug).await?;
    if let Some(open) = before.steps.iter().take_while(|s| s.step != step).find(|s| !s.done) {
        return Err(DomainError::Detailed(ErrorCode::StepIncomplete, serde_json::json!({"step": open.step})));
    }
    match step {
        WizardStep::CreateOrg | WizardStep::Smoke => {}
        WizardStep::Release => {
            if !matches!(before.lifecycle, Lifecycle::Pilot | Lifecycle::Active) {
                let release = GoLiveInput {
                    target: input.target.clone().unwrap_or_default(),
                    technical_owner: input.technical_owner.clone().unwrap_or_default(),
                    live_at: input.live_at.clone(),
                    force: input.force,
                    reason: input.reason.clone(),
                };
                super::golive::record(svc, actor, may_force, slug, &release).await?;
            }
        }
        _ => {
            for &item in step.items() {
                checks::run_check(svc, actor, slug, item.as_str()).await?;
            }
        }
    }
    let after = state(svc, slug).await?;
    let done = after.steps.iter().any(|s| s.step == step && s.done);
    match (step, after.lifecycle) {
        (WizardStep::Chatwoot, Lifecycle::Draft) if done => {
            move_along(svc, actor, slug, Lifecycle::PreActivation).await?
        }
        (WizardStep::Workflow, Lifecycle::Draft | Lifecycle::PreActivation) if done => {
            if after.lifecycle == Lifecycle::Draft {
                move_along(svc, actor, slug, Lifecycle::PreActivation).await?;
            }
            move_along(svc, actor, slug, Lifecycle::Activation).await?;
        }
        _ => return Ok(after),
    }
    state(svc, slug).await
}

async fn move_along(svc: &Services, actor: &Actor, slug: &str, to: Lifecycle) -> Result<(), DomainError> {
    let change = StateChange { state: to.as_str().into(), reason: Some(WIZARD_REASON.into()), force: false };
    super::change_state(svc, actor, false, slug, &change).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checklist(ok: &[ItemKey]) -> ChecklistDto {
        let phases = Phase::ALL
            .iter()
            .map(|&phase| {
                let items: Vec<ChecklistItemDto> = ItemKey::of_phase(phase)
                    .map(|key| ChecklistItemDto {
                        key,
                        phase,
                        kind: key.kind(),
                        check_changes_data: key.check_changes_data(),
                        status: if ok.contains(&key) { ItemStatus::Ok } else { ItemStatus::Pending },
                        note: None,
                        updated_by: None,
                        updated_at: None,
                        last_run: None,
                        runs: 0,
                    })
                    .collect();
                PhaseDto { phase, complete: false, done: 0, total: items.len(), items }
            })
            .collect();
        ChecklistDto { lifecycle: Lifecycle::Draft, next: vec![], activated_at: None, phases }
    }

    #[test]
    fn the_wizard_resumes_at_the_first_step_not_done() {
        use ItemKey::*;
        let (steps, current) = steps_of(Lifecycle::Draft, &checklist(&[]));
        assert_eq!(current, WizardStep::Chatwoot, "a new org is created: step 2");
        assert_eq!(steps.len(), 6);
        assert_eq!(
            steps[2].items.iter().map(|i| i.key).collect::<Vec<_>>(),
            [ChatwootWebhook, BoardStages, InstagramChannel]
        );
        // The webhook step done but not Chatwoot's: the wizard still resumes at Chatwoot.
        let (_, current) = steps_of(Lifecycle::Draft, &checklist(&[ChatwootWebhook, BoardStages, InstagramChannel]));
        assert_eq!(current, WizardStep::Chatwoot);
        let all_t0: Vec<ItemKey> =
            ItemKey::ALL.iter().copied().filter(|k| k.phase() != Phase::PostActivation).collect();
        let (_, current) = steps_of(Lifecycle::Activation, &checklist(&all_t0));
        assert_eq!(current, WizardStep::Release, "everything checked: release");
        let (steps, _) = steps_of(Lifecycle::Pilot, &checklist(&all_t0));
        assert!(steps.iter().all(|s| s.done), "released to the pilot: every step done");
        assert_eq!(WizardStep::Smoke.number(), 5);
    }
}
