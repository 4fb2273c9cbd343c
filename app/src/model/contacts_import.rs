//! Contact imports from the client's CRM (CSV).

use super::ids::ImportId;
use super::notes::Note;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportDto {
    pub id: ImportId,
    pub status: ImportStatus,
    pub filename: Option<String>,
    pub rows_read: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub warnings: i64,
    pub error: Option<Note>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

string_enum! {
    pub enum ImportStatus(StatusInvalid) {
        Running = "running",
        Done = "done",
        Failed = "failed",
    }
}

string_enum! {
    /// A rejected row is not imported; a warning row is, with a remark.
    pub enum IssueLevel(ValueInvalid) {
        Rejected = "rejected",
        Warning = "warning",
    }
}
