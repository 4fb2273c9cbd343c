//! The rollout board: every org's place in the rollout (its wave, lifecycle, checklist
//! progress, blockers, technical owner) and its activation lead time, and the waves the
//! team groups orgs into (piloto, onda 1, onda 2… with planned dates).

use super::ids::{OrgId, WaveId};
use super::onboarding::{ItemKey, Lifecycle};
use super::orgs::PhaseProgress;
use serde::{Deserialize, Serialize};

/// The plan's target: credentials ready to production within one business day.
pub const LEAD_TIME_TARGET_DAYS: i64 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WaveDto {
    pub id: WaveId,
    pub name: String,
    /// Order on the board (the pilot first).
    pub position: i64,
    /// Planned São Paulo dates, `YYYY-MM-DD`.
    pub planned_start: Option<String>,
    pub planned_end: Option<String>,
    /// Orgs in the wave (archived ones not counted).
    pub orgs: i64,
}

/// `POST /waves` and `PUT /waves/{id}`: a wave as a whole (absent dates clear them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RolloutWaveInput {
    pub name: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub planned_start: Option<String>,
    /// `YYYY-MM-DD`, not before the start.
    #[serde(default)]
    pub planned_end: Option<String>,
    /// Order on the board; new waves go last.
    #[serde(default)]
    pub position: Option<i64>,
}

/// `PUT …/onboarding/plan`: the org's rollout plan as a whole (absent fields clear them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// The wave's id.
    #[serde(default)]
    pub wave_id: Option<WaveId>,
    /// Who answers for the org's activation on the team.
    #[serde(default)]
    pub technical_owner: Option<String>,
    /// When the client's credentials were ready: RFC 3339, or a São Paulo local
    /// `YYYY-MM-DDTHH:MM` (what the portal's date-and-time field sends).
    #[serde(default)]
    pub credentials_ready_at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlanDto {
    pub wave: Option<WaveDto>,
    pub technical_owner: Option<String>,
    /// Epoch milliseconds.
    pub credentials_ready_at: Option<i64>,
}

/// The activation lead time: Brazilian business days from "credentials ready" to the org's
/// first day in production (pilot or active), or to now while it is not live yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LeadTime {
    pub business_days: i64,
    /// Still counting: the org is not in production yet.
    pub running: bool,
    /// Within the plan's target (`LEAD_TIME_TARGET_DAYS`).
    pub on_target: bool,
}

/// One org on the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BoardRow {
    pub org_id: OrgId,
    pub slug: String,
    pub name: String,
    pub lifecycle: Lifecycle,
    pub wave: Option<WaveDto>,
    /// Checklist progress, phase by phase.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub phases: Vec<PhaseProgress>,
    /// Failed items, every phase together.
    pub blockers: Vec<ItemKey>,
    pub technical_owner: Option<String>,
    pub credentials_ready_at: Option<i64>,
    /// When the org first went live, epoch milliseconds.
    pub activated_at: Option<i64>,
    pub lead_time: Option<LeadTime>,
}

impl BoardRow {
    /// Items ok or not applicable, and all items, every phase together.
    pub fn done_total(&self) -> (usize, usize) {
        self.phases.iter().fold((0, 0), |(d, t), p| (d + p.done, t + p.total))
    }
}

string_enum! {
    /// The board's sort keys (`-` before one sorts descending).
    pub enum BoardSort(ValueInvalid) {
        Name = "name",
        Wave = "wave",
        State = "state",
        Progress = "progress",
        Blockers = "blockers",
        Owner = "owner",
        CredentialsReady = "credentials",
        LeadTime = "lead_time",
    }
}

/// `GET /rollout?wave=&state=&sort=`: every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardQuery {
    /// A wave's id, or `none` for orgs in no wave.
    #[serde(default)]
    pub wave: Option<String>,
    /// A lifecycle state (`draft`, `pre_activation`, `activation`, `pilot`, `active`, `rolled_back`).
    #[serde(default)]
    pub state: Option<String>,
    /// `name`, `wave`, `state`, `progress`, `blockers`, `owner`, `credentials` or `lead_time`;
    /// `-` first for descending (`-progress`). Default: wave, then name.
    #[serde(default)]
    pub sort: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RolloutBoard {
    pub waves: Vec<WaveDto>,
    pub rows: Vec<BoardRow>,
    /// Orgs in production whose lead time is within the target, and all orgs in production
    /// with a "credentials ready" date (of the rows shown).
    pub on_target: usize,
    pub measured: usize,
}
