//! What crosses the wire between the server and the portal (and the admin API).

use super::ids::*;
use super::values::{OrgStatus, Role};
use serde::{Deserialize, Serialize};

/// The logged-in person, as the portal sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    pub status: OrgStatus,
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

/// A partial update of an organization (admin API).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDto {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
}

/// `PUT /api/v1/admin/orgs/{slug}/chatwoot`: every field optional; an omitted field keeps
/// its value, an empty secret clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatwootConfigInput {
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub account_id: Option<i64>,
    #[serde(default)]
    pub webhook_secret: Option<String>,
    #[serde(default)]
    pub api_token: Option<String>,
    /// Chatwoot inbox id → `whatsapp` | `instagram`.
    #[serde(default)]
    pub inboxes: Option<std::collections::BTreeMap<String, String>>,
    /// `signature` (Chatwoot ≥ 4.11.2) or `url_token` (older installs; see `…/chatwoot/url-token`).
    #[serde(default)]
    pub auth_mode: Option<String>,
}

/// An org's Chatwoot connection as shown to operators: secrets only as "set or not".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatwootConfigView {
    pub base_url: Option<String>,
    pub account_id: Option<i64>,
    pub has_webhook_secret: bool,
    pub has_api_token: bool,
    pub inboxes: std::collections::BTreeMap<String, String>,
    /// Where Chatwoot must send this org's webhooks (path; prefix with Ponte's public URL).
    /// In `url_token` mode the token is appended (`…/{token}`); it is shown once, when made.
    pub webhook_path: String,
    /// `signature` or `url_token`.
    pub auth_mode: String,
    pub has_url_token: bool,
    pub updated_at: Option<i64>,
}

/// A freshly made URL token: the only time it is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlTokenCreated {
    pub token: String,
    pub webhook_path: String,
}

/// The answer to an accepted webhook delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAck {
    pub event_id: i64,
    /// True when this delivery repeats one already stored (nothing new is processed).
    pub duplicate: bool,
    /// `pending` (queued for processing) or `ignored` (an event Ponte does not act on).
    pub status: String,
}

/// `PUT /api/v1/admin/orgs/{slug}/automation`: omitted fields keep their value, an empty
/// URL clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationInput {
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub v2_url: Option<String>,
    #[serde(default)]
    pub fallback_url: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomationView {
    /// False until the org's automation was configured: events are processed, nothing is forwarded.
    pub configured: bool,
    /// `v2`, `fallback` or `paused`.
    pub mode: String,
    pub v2_url: Option<String>,
    pub fallback_url: Option<String>,
    pub timeout_ms: i64,
    pub updated_at: Option<i64>,
}

/// One step of one processing attempt of an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventStep {
    pub attempt: i64,
    /// `received`, `classify`, `identity`, `deal`, `conversation`, `forward`.
    pub step: String,
    /// e.g. `created`, `resolved`, `ensured`, `forwarded`, `skipped`, `failed`.
    pub outcome: String,
    pub detail: Option<String>,
    pub duration_us: i64,
    pub at: i64,
}

/// A stored webhook event as operators and scripts read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub id: i64,
    pub event: String,
    pub status: String,
    pub source: Option<String>,
    pub delivery_id: Option<String>,
    pub received_at: i64,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub steps: Vec<EventStep>,
    /// The raw payload; left out of lists unless asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
}

/// A page of a list, newest first; pass `next_before` as `before` for the next page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_before: Option<i64>,
}

impl<T> Page<T> {
    /// A page of `items` read with `LIMIT limit`, newest first: a full page may have more
    /// behind it, so its last id is the cursor of the next.
    pub fn keyset(items: Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Self {
        let next_before = (items.len() as i64 == limit).then(|| items.last().map(&id)).flatten();
        Page { items, next_before }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReprocessResult {
    pub requeued: u64,
}

/// `POST …/events/reprocess`: every failed or dead event received in [from, to).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReprocessRange {
    /// Epoch milliseconds or RFC 3339.
    pub from: serde_json::Value,
    pub to: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDto {
    pub id: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// The contact's id in the client's previous CRM (contacts import).
    #[serde(default)]
    pub external_ref: Option<String>,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityDto {
    pub id: i64,
    pub contact_id: i64,
    pub source: String,
    pub external_id: String,
    pub session_key: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealDto {
    pub id: i64,
    pub contact_id: i64,
    pub board: String,
    pub stage: String,
    pub stage_label: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDto {
    pub id: i64,
    pub chatwoot_conversation_id: i64,
    pub contact_id: i64,
    pub deal_id: Option<i64>,
    pub source: String,
    pub session_key: Option<String>,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictDto {
    pub id: i64,
    pub kind: String,
    pub source: String,
    pub external_id: String,
    pub contact_id: Option<i64>,
    pub other_contact_id: Option<i64>,
    pub event_id: Option<i64>,
    pub detail: Option<String>,
    pub status: String,
    pub created_at: i64,
}

/// `POST /api/v1/admin/orgs/{slug}/tokens`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrgToken {
    pub name: String,
}

/// An org's automation token as listed (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgTokenDto {
    pub id: i64,
    pub name: String,
    /// The first characters, to recognise a token in n8n's credentials.
    pub prefix: String,
    pub created_by: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A token just made: the only time it is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgTokenCreated {
    #[serde(flatten)]
    pub info: OrgTokenDto,
    pub token: String,
}

/// `POST /api/v1/tools/stage-move`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StageMoveInput {
    /// The deal Ponte sent with the event (`deal_id`).
    pub deal_id: i64,
    /// The target stage: its key (`em-atendimento`) or its label (`Em atendimento`), case and accents ignored.
    pub stage: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StageRef {
    pub key: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StageMoveResult {
    pub deal_id: i64,
    /// False when the deal already was at that stage (nothing changed).
    pub moved: bool,
    pub stage: StageRef,
    pub previous_stage: StageRef,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ToolContact {
    pub id: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// `GET /api/v1/tools/deals/{deal_id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ToolDeal {
    pub deal_id: i64,
    /// `open`, `won` or `lost`.
    pub status: String,
    pub board: String,
    pub stage: StageRef,
    /// Every stage of the deal's board, in order: the valid targets of a stage move.
    pub stages: Vec<StageRef>,
    pub contact: ToolContact,
    pub updated_at: i64,
}

/// `GET /api/v1/tools/context?session_key=…` or `?conversation_id=…`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ToolContext {
    pub contact_id: i64,
    pub deal_id: Option<i64>,
    pub stage: Option<StageRef>,
    pub session_key: Option<String>,
    pub source: String,
    pub conversation_id: Option<i64>,
}

/// One recorded tool call, as the portal and runbooks read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCallDto {
    pub id: i64,
    pub tool: String,
    pub deal_id: Option<i64>,
    pub input: String,
    pub outcome: String,
    pub http_status: i64,
    pub error_code: Option<String>,
    pub duration_us: i64,
    pub at: i64,
}

/// `PATCH /api/v1/admin/orgs/{slug}/deals/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealPatch {
    /// `open`, `won` or `lost`.
    pub status: String,
}

/// `PUT /api/v1/admin/orgs/{slug}/n8n`: omitted fields keep their value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct N8nInput {
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub api_key: Option<String>,
    /// The org's existing fallback workflow in n8n (else Ponte installs one).
    #[serde(default)]
    pub fallback_workflow_id: Option<String>,
}

/// An org's n8n as operators see it: ids, versions, and the workflows' live state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct N8nView {
    pub base_url: String,
    pub has_api_key: bool,
    pub v2_workflow_id: Option<String>,
    pub v2_template_version: Option<String>,
    pub fallback_workflow_id: Option<String>,
    /// None when n8n answered; the reason otherwise.
    pub connection_error: Option<String>,
    pub v2_active: Option<bool>,
    pub fallback_active: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionStep {
    pub step: String,
    pub ok: bool,
    pub detail: String,
}

/// A rollback or roll-forward, step by step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionReport {
    pub id: i64,
    /// `rollback` or `roll_forward`.
    pub action: String,
    /// `ok` when every step succeeded, `failed` otherwise (each step says which).
    pub outcome: String,
    pub actor: String,
    pub reason: Option<String>,
    pub steps: Vec<ActionStep>,
    pub incident_id: Option<i64>,
    pub at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentDto {
    pub id: i64,
    pub title: String,
    pub reason: Option<String>,
    pub status: String,
    pub opened_by: String,
    pub opened_at: i64,
    pub resolved_at: Option<i64>,
}

/// `POST …/automation/rollback`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackInput {
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST …/automation/install`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallInput {
    /// The URL n8n uses to reach Ponte (default: Ponte's public URL).
    #[serde(default)]
    pub ponte_url: Option<String>,
}

/// The "Automação" view of an org.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomationStatus {
    pub automation: AutomationView,
    pub n8n: Option<N8nView>,
    pub actions: Vec<ActionReport>,
    pub incidents: Vec<IncidentDto>,
}

/// `POST /api/v1/admin/orgs/{slug}/backfill`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackfillInput {
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub batch_size: Option<i64>,
}

/// A contact as a reconciliation task shows it: what would move with a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCard {
    pub contact: ContactDto,
    pub identities: Vec<IdentityDto>,
    pub deals: Vec<DealDto>,
    pub conversations: Vec<ConversationDto>,
}

/// An identity conflict as a reconciliation task: both contacts side by side and the
/// resolutions this kind allows (`kept`, `linked_other`, `not_same_person`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationTaskDto {
    pub id: i64,
    pub kind: String,
    pub source: String,
    pub external_id: String,
    pub phone_raw: Option<String>,
    pub detail: Option<String>,
    pub status: String,
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
    pub run_id: Option<i64>,
    pub event_id: Option<i64>,
    pub created_at: i64,
    /// The contact the clash was found for.
    pub contact: Option<ContactCard>,
    /// The contact that holds the number, when there is one.
    pub other: Option<ContactCard>,
    pub choices: Vec<String>,
}

/// `POST /api/v1/admin/orgs/{slug}/reconciliation/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    pub resolution: String,
}

/// `POST /api/v1/admin/backfill/wave`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaveInput {
    pub orgs: Vec<String>,
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub batch_size: Option<i64>,
}

// Backfill, waves and the contacts import (the portal shows them; the domain makes them).

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackfillRunDto {
    pub id: i64,
    pub status: String,
    pub dry_run: bool,
    pub batch_size: i64,
    pub total: i64,
    pub processed: i64,
    pub created: i64,
    pub skipped: i64,
    pub conflicts: i64,
    pub invalid: i64,
    pub empty: i64,
    pub started_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
    pub wave: Option<String>,
    /// Batches the database refused in a row (reset by a written batch), and the last refusal.
    #[serde(default)]
    pub failures: i64,
    #[serde(default)]
    pub last_error: Option<String>,
    /// Contacts per second since the start.
    pub rate: f64,
    /// Seconds left at that rate, while running.
    pub eta_seconds: Option<i64>,
}

/// One org's part in a wave: its new run, or why it did not start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaveStart {
    pub slug: String,
    pub run: Option<BackfillRunDto>,
    pub error: Option<String>,
}

/// An org and its newest run (the portal's overview, where waves are started and watched).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrgBackfillDto {
    pub slug: String,
    pub name: String,
    pub contacts: i64,
    pub run: Option<BackfillRunDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportDto {
    pub id: i64,
    pub status: String,
    pub filename: Option<String>,
    pub rows_read: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub warnings: i64,
    pub error: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}
