//! Organizations, their boards and stages.

use super::ids::{BoardId, OrgId, StageId};
use super::onboarding::Lifecycle;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    /// Where the org is in its rollout.
    pub lifecycle: Lifecycle,
    /// Archived orgs keep their history but leave the lists and refuse their tools.
    pub archived: bool,
    /// Epoch milliseconds.
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageDto {
    pub id: StageId,
    pub key: String,
    pub label: String,
    pub position: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardDto {
    pub id: BoardId,
    pub key: String,
    pub name: String,
    pub is_default: bool,
    pub stages: Vec<StageDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgDetail {
    #[serde(flatten)]
    pub org: OrgSummary,
    pub boards: Vec<BoardDto>,
}

/// Input of "new organization" (portal form and admin API).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrg {
    pub slug: String,
    pub name: String,
    /// Stage labels of the org's first board; `None` takes the default template.
    #[serde(default)]
    pub stages: Option<Vec<String>>,
    /// Name of the first board; defaults to "Funil de vendas".
    #[serde(default)]
    pub board_name: Option<String>,
}

/// A partial update of an organization (admin API). The lifecycle moves through
/// `…/onboarding/state`, with its own rules.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgPatch {
    #[serde(default)]
    pub name: Option<String>,
    /// `true` archives the org, `false` brings it back.
    #[serde(default)]
    pub archived: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewBoard {
    #[serde(default)]
    pub key: Option<String>,
    pub name: String,
    pub stages: Vec<String>,
    #[serde(default)]
    pub is_default: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStage {
    #[serde(default)]
    pub key: Option<String>,
    pub label: String,
    /// 1-based position; `None` appends at the end.
    #[serde(default)]
    pub position: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagePatch {
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub position: Option<i64>,
}

/// One phase of the checklist in a line: what the org's home and the rollout board show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseProgress {
    pub phase: super::onboarding::Phase,
    /// Items ok or not applicable.
    pub done: usize,
    pub total: usize,
    /// Items whose status is failed (the blockers).
    pub failed: Vec<super::onboarding::ItemKey>,
}

/// Refused deliveries of one reason close together (a wrong secret is refused on every retry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalDto {
    /// Why: `signature_invalid`, `signature_stale`, `webhook_not_configured`, `url_token_invalid`…
    pub code: super::error::ErrorCode,
    /// Deliveries refused for it between `first_at` and `last_at` (at least this many).
    pub count: i64,
    pub first_at: i64,
    pub last_at: i64,
    /// Chatwoot's `X-Chatwoot-Delivery` of the latest one, when it sent one.
    pub delivery_id: Option<String>,
}

/// The latest event received, in a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBrief {
    pub id: super::ids::EventId,
    pub event: String,
    pub status: super::events::EventStatus,
    pub source: Option<super::crm::Source>,
    pub received_at: i64,
}

/// The latest hand-off to the org's automation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffBrief {
    pub event_id: super::ids::EventId,
    pub outcome: super::events::StepOutcome,
    pub detail: Option<super::notes::Note>,
    pub at: i64,
}

/// `/orgs/{slug}`: everything an operator looks at first about an org.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgHome {
    pub detail: OrgDetail,
    pub phases: Vec<PhaseProgress>,
    pub chatwoot: super::chatwoot::ChatwootConfigView,
    /// Where Chatwoot must send the org's webhooks (the public URL and the path; in
    /// `url_token` mode the token, shown once when made, goes after it).
    pub webhook_url: Option<String>,
    pub last_event: Option<EventBrief>,
    pub refusals: Vec<RefusalDto>,
    pub automation: super::automation::AutomationView,
    pub n8n: Option<super::automation::N8nView>,
    pub last_handoff: Option<HandoffBrief>,
    /// The org's place in the rollout plan, the waves to pick from, and its lead time.
    pub plan: super::rollout::PlanDto,
    pub waves: Vec<super::rollout::WaveDto>,
    pub lead_time: Option<super::rollout::LeadTime>,
}
