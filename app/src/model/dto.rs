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
    pub webhook_path: String,
    pub updated_at: Option<i64>,
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
