//! An org's automation: hand-off mode, n8n, rollback and roll-forward, incidents.

use super::ids::{ActionId, IncidentId};
use super::notes::Note;
use serde::{Deserialize, Serialize};

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
    pub mode: AutomationMode,
    pub v2_url: Option<String>,
    pub fallback_url: Option<String>,
    pub timeout_ms: i64,
    pub updated_at: Option<i64>,
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
    pub connection_error: Option<Note>,
    pub v2_active: Option<bool>,
    pub fallback_active: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionStep {
    pub step: ActionStepKind,
    pub ok: bool,
    pub detail: Note,
}

/// A rollback or roll-forward, step by step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionReport {
    pub id: ActionId,
    /// `rollback` or `roll_forward`.
    pub action: ActionKind,
    /// `ok` when every step succeeded, `failed` otherwise (each step says which).
    pub outcome: ActionOutcome,
    pub actor: String,
    pub reason: Option<String>,
    pub steps: Vec<ActionStep>,
    pub incident_id: Option<IncidentId>,
    pub at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentDto {
    pub id: IncidentId,
    pub title: Note,
    pub reason: Option<String>,
    pub status: IncidentStatus,
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

string_enum! {
    /// Where Ponte hands an org's events: the v2 workflow, the fallback, or nowhere.
    pub enum AutomationMode(ModeInvalid) {
        V2 = "v2",
        Fallback = "fallback",
        Paused = "paused",
    }
}

string_enum! {
    pub enum ActionKind(ValueInvalid) {
        Rollback = "rollback",
        RollForward = "roll_forward",
    }
}

string_enum! {
    /// One step of a rollback or roll-forward, in n8n or in Ponte.
    pub enum ActionStepKind(ValueInvalid) {
        DeactivateV2 = "deactivate_v2",
        ActivateFallback = "activate_fallback",
        DeactivateFallback = "deactivate_fallback",
        ActivateV2 = "activate_v2",
        /// Ponte's own hand-off mode.
        SetMode = "set_mode",
        OpenIncident = "open_incident",
    }
}

string_enum! {
    pub enum ActionOutcome(ValueInvalid) {
        Ok = "ok",
        Failed = "failed",
    }
}

string_enum! {
    pub enum IncidentStatus(StatusInvalid) {
        Open = "open",
        Resolved = "resolved",
    }
}

impl Default for AutomationMode {
    /// An org hands nothing off until someone chooses where to.
    fn default() -> Self {
        AutomationMode::Paused
    }
}
