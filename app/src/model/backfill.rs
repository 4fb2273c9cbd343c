//! The WhatsApp identity backfill: runs and waves.

use super::ids::RunId;
use super::notes::Note;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/admin/orgs/{slug}/backfill`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackfillInput {
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub batch_size: Option<i64>,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackfillRunDto {
    pub id: RunId,
    pub status: RunStatus,
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
    pub last_error: Option<Note>,
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

string_enum! {
    /// A backfill run's state; `running` and `paused` runs are the org's active one.
    pub enum RunStatus(RunStateInvalid) {
        Running = "running",
        Paused = "paused",
        Cancelled = "cancelled",
        Done = "done",
        Failed = "failed",
    }
}

impl RunStatus {
    /// At most one run per org is in one of these.
    pub const ACTIVE: &'static [RunStatus] = &[RunStatus::Running, RunStatus::Paused];

    /// Whether the run has ended (it gets a finish time).
    pub fn is_finished(self) -> bool {
        matches!(self, RunStatus::Done | RunStatus::Cancelled | RunStatus::Failed)
    }
}

string_enum! {
    /// What an operator can do to a run.
    pub enum RunAction(StatusInvalid) {
        Pause = "pause",
        Resume = "resume",
        Cancel = "cancel",
    }
}

impl RunAction {
    /// The states the action applies to, and the state it leaves the run in.
    pub fn transition(self) -> (&'static [RunStatus], RunStatus) {
        match self {
            RunAction::Pause => (&[RunStatus::Running], RunStatus::Paused),
            RunAction::Resume => (&[RunStatus::Paused, RunStatus::Failed], RunStatus::Running),
            RunAction::Cancel => (&[RunStatus::Running, RunStatus::Paused, RunStatus::Failed], RunStatus::Cancelled),
        }
    }
}
