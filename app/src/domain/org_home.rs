//! The org's home page in one read: identity and boards, checklist progress, the Chatwoot
//! connection with its last event and its refused deliveries, the automation with its last
//! hand-off. Nothing here calls Chatwoot or n8n: the page must open even when they are down
//! (their live state is on the checklist and "Automação" pages).

use super::error::DomainError;
use super::store;
use super::{automation, chatwoot, onboarding, orgs, Services};
use crate::model::*;

/// Refused deliveries shown on the page.
const REFUSALS_SHOWN: i64 = 10;

pub async fn home(svc: &Services, slug: &str) -> Result<OrgHome, DomainError> {
    let row = orgs::row_by_slug(svc, slug).await?;
    let detail = orgs::detail_of(svc, &row).await?;
    let phases = onboarding::progress_of(svc, row.id).await?;
    let chatwoot = chatwoot::config::get(svc, slug).await?;
    let webhook_url =
        svc.config.public_url.as_deref().map(|base| format!("{}{}", base.trim_end_matches('/'), chatwoot.webhook_path));
    let last_event = store::webhooks::last_event(&svc.db, row.id).await?.map(|e| EventBrief {
        id: e.id,
        event: e.event,
        status: e.status,
        source: e.source,
        received_at: e.received_at,
    });
    let refusals = store::webhooks::refusals_of(&svc.db, row.id, REFUSALS_SHOWN)
        .await?
        .into_iter()
        .map(|r| RefusalDto {
            code: r.code,
            count: r.count,
            first_at: r.first_at,
            last_at: r.last_at,
            delivery_id: r.delivery_id,
        })
        .collect();
    let (automation, n8n) = automation::stored(svc, row.id).await?;
    let last_handoff = store::queue::last_step_of_org(&svc.db, row.id, PipelineStep::Forward)
        .await?
        .map(|s| HandoffBrief { event_id: s.event_id, outcome: s.outcome, detail: s.detail, at: s.at });
    let plan = onboarding::rollout::plan_of(svc, row.id).await?;
    let waves = onboarding::rollout::waves(svc).await?;
    let lead_time = onboarding::rollout::lead_time(plan.credentials_ready_at, row.activated_at, svc.now());
    Ok(OrgHome {
        detail,
        phases,
        chatwoot,
        webhook_url,
        last_event,
        refusals,
        automation,
        n8n,
        last_handoff,
        plan,
        waves,
        lead_time,
    })
}
