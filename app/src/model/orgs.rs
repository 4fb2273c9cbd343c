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
