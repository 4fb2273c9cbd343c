//! Reconciliation tasks: identity conflicts decided by an operator.

use super::crm::{ConflictKind, ConflictStatus, ContactDto, ConversationDto, DealDto, IdentityDto, Source};
use super::ids::{ConflictId, EventId, RunId};
use super::notes::Note;
use serde::{Deserialize, Serialize};

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
    pub id: ConflictId,
    pub kind: ConflictKind,
    pub source: Source,
    pub external_id: String,
    pub phone_raw: Option<String>,
    pub detail: Option<Note>,
    pub status: ConflictStatus,
    pub resolution: Option<Resolution>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
    pub run_id: Option<RunId>,
    pub event_id: Option<EventId>,
    pub created_at: i64,
    /// The contact the clash was found for.
    pub contact: Option<ContactCard>,
    /// The contact that holds the number, when there is one.
    pub other: Option<ContactCard>,
    pub choices: Vec<Resolution>,
}

/// `POST /api/v1/admin/orgs/{slug}/reconciliation/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    pub resolution: String,
}

string_enum! {
    /// An operator's decision on a reconciliation task.
    pub enum Resolution(ResolutionInvalid) {
        /// The number stays where it is.
        Kept = "kept",
        /// The number moves to the contact the clash was found for.
        LinkedOther = "linked_other",
        /// They are two people.
        NotSamePerson = "not_same_person",
    }
}
