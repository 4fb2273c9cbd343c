//! The clashes ingestion records in `identity_conflicts` for an operator to review, and the
//! note written on each (a `Note`, translated where it is shown): the one place they are made.

use crate::model::{ChatwootConversationId, ConflictKind, ContactId, Note, NoteCode};

/// A clash to record: its kind, the two contacts involved and the operator's note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clash {
    pub kind: ConflictKind,
    pub contact_id: ContactId,
    pub other_contact_id: ContactId,
    pub detail: Note,
}

impl Clash {
    /// `key` and `other_spelling` are linked to two contacts (`exact` holds `key`).
    pub fn ambiguous_identity(key: &str, other_spelling: &str, exact: ContactId, other: ContactId) -> Self {
        Clash {
            kind: ConflictKind::AmbiguousIdentity,
            contact_id: exact,
            other_contact_id: other,
            detail: Note::new(NoteCode::TwoContactsOneNumber).with("number", key).with("other", other_spelling),
        }
    }

    /// Chatwoot's conversation is linked to `linked_contact`, the message came from `contact`.
    pub fn conversation_contact_mismatch(
        conversation: ChatwootConversationId,
        linked_contact: ContactId,
        contact: ContactId,
    ) -> Self {
        Clash {
            kind: ConflictKind::ConversationContactMismatch,
            contact_id: linked_contact,
            other_contact_id: contact,
            detail: Note::new(NoteCode::ConversationLinkedElsewhere).with("conversation", conversation),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notes_name_what_clashed() {
        let a = Clash::ambiguous_identity("5511987654321", "551187654321", ContactId(9), ContactId(3));
        assert_eq!(
            (a.kind, a.contact_id, a.other_contact_id),
            (ConflictKind::AmbiguousIdentity, ContactId(9), ContactId(3))
        );
        assert_eq!(a.detail.code, NoteCode::TwoContactsOneNumber);
        assert_eq!(a.detail.message(), "o mesmo número está ligado a dois contatos (5511987654321 e 551187654321)");
        let c = Clash::conversation_contact_mismatch(ChatwootConversationId(42), ContactId(5), ContactId(6));
        assert_eq!(
            (c.kind, c.contact_id, c.other_contact_id),
            (ConflictKind::ConversationContactMismatch, ContactId(5), ContactId(6))
        );
        assert_eq!(c.detail.code, NoteCode::ConversationLinkedElsewhere);
        assert_eq!(c.detail.message(), "a conversa 42 do Chatwoot já está ligada a outro contato");
    }
}
