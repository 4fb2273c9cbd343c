//! The tools API for automations and its per-org tokens.

use super::crm::{DealStatus, Source};
use super::ids::{ChatwootConversationId, ContactId, DealId, TokenId, ToolCallId};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/admin/orgs/{slug}/tokens`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrgToken {
    pub name: String,
}

/// An org's automation token as listed (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgTokenDto {
    pub id: TokenId,
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
    pub deal_id: DealId,
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
    pub deal_id: DealId,
    /// False when the deal already was at that stage (nothing changed).
    pub moved: bool,
    pub stage: StageRef,
    pub previous_stage: StageRef,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ToolContact {
    pub id: ContactId,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// `GET /api/v1/tools/deals/{deal_id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ToolDeal {
    pub deal_id: DealId,
    /// `open`, `won` or `lost`.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "open"))]
    pub status: DealStatus,
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
    pub contact_id: ContactId,
    pub deal_id: Option<DealId>,
    pub stage: Option<StageRef>,
    pub session_key: Option<String>,
    /// `whatsapp` or `instagram`.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "whatsapp"))]
    pub source: Source,
    pub conversation_id: Option<ChatwootConversationId>,
}

/// One recorded tool call, as the portal and runbooks read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCallDto {
    pub id: ToolCallId,
    pub tool: String,
    pub deal_id: Option<DealId>,
    pub input: String,
    pub outcome: ToolOutcome,
    pub http_status: i64,
    pub error_code: Option<String>,
    pub duration_us: i64,
    pub at: i64,
}

string_enum! {
    /// How a tools API call ended.
    pub enum ToolOutcome(ValueInvalid) {
        Ok = "ok",
        /// Nothing to do (the deal was already there).
        Noop = "noop",
        /// A repeat of an `Idempotency-Key`: the first answer, again.
        Replayed = "replayed",
        Error = "error",
    }
}
