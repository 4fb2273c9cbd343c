//! Contacts, their identities, deals and conversations.

use super::ids::{ChatwootConversationId, ConflictId, ContactId, ConversationId, DealId, EventId, IdentityId};
use super::notes::Note;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDto {
    pub id: ContactId,
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
    pub id: IdentityId,
    pub contact_id: ContactId,
    pub source: Source,
    pub external_id: String,
    pub session_key: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealDto {
    pub id: DealId,
    pub contact_id: ContactId,
    pub board: String,
    pub stage: String,
    pub stage_label: String,
    pub status: DealStatus,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDto {
    pub id: ConversationId,
    pub chatwoot_conversation_id: ChatwootConversationId,
    pub contact_id: ContactId,
    pub deal_id: Option<DealId>,
    pub source: Source,
    pub session_key: Option<String>,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictDto {
    pub id: ConflictId,
    pub kind: ConflictKind,
    pub source: Source,
    pub external_id: String,
    pub contact_id: Option<ContactId>,
    pub other_contact_id: Option<ContactId>,
    pub event_id: Option<EventId>,
    pub detail: Option<Note>,
    pub status: ConflictStatus,
    pub created_at: i64,
}

/// `PATCH /api/v1/admin/orgs/{slug}/deals/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealPatch {
    /// `open`, `won` or `lost`.
    pub status: String,
}

string_enum! {
    /// The messaging channel a person writes on.
    pub enum Source(SourceInvalid) {
        Whatsapp = "whatsapp",
        Instagram = "instagram",
    }
}

impl Source {
    /// The channel's name as people write it (the same in every language).
    pub fn label(self) -> &'static str {
        match self {
            Source::Whatsapp => "WhatsApp",
            Source::Instagram => "Instagram",
        }
    }
}

string_enum! {
    /// A deal is open until it is won or lost (one open deal per contact and board).
    pub enum DealStatus(StatusInvalid) {
        Open = "open",
        Won = "won",
        Lost = "lost",
    }
}

string_enum! {
    /// Why a number could not simply be linked to a contact.
    pub enum ConflictKind(ValueInvalid) {
        /// A live message's identity matched two contacts (exact and ninth-digit spellings).
        AmbiguousIdentity = "ambiguous_identity",
        /// Two contacts of the org typed the same number.
        DuplicatePhone = "duplicate_phone",
        /// The number's identity belongs to a contact whose phone says otherwise.
        NumberTaken = "number_taken",
        /// The contact already has another WhatsApp identity.
        NormalizesDifferently = "normalizes_differently",
        /// The typed phone is not a number (listed in the run's report, never a task).
        InvalidPhone = "invalid_phone",
        /// A Chatwoot conversation already linked to another contact (kept as it is).
        ConversationContactMismatch = "conversation_contact_mismatch",
    }
}

impl ConflictKind {
    /// A clash over who a number belongs to: deciding it may move the number.
    pub fn is_identity_clash(self) -> bool {
        matches!(
            self,
            ConflictKind::NumberTaken
                | ConflictKind::DuplicatePhone
                | ConflictKind::NormalizesDifferently
                | ConflictKind::AmbiguousIdentity
        )
    }
}

string_enum! {
    pub enum ConflictStatus(StatusInvalid) {
        Open = "open",
        Resolved = "resolved",
    }
}
