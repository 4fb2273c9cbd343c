//! The deal a message lands on and how its conversation is linked: a contact has at most
//! one open deal per board (the database's partial unique index keeps it so under races);
//! Chatwoot's conversation points at its contact's current open deal and never changes
//! contact.

use super::identity::conflict::Clash;
use crate::model::{ChatwootConversationId, ContactId, DealId};

/// Which deal a message of the contact goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DealChoice {
    /// The contact's open deal on the board, at its stage.
    Existing { id: DealId, stage_key: String },
    /// None is open (never was, or the last one was won or lost): a new one opens on the
    /// board's first stage, with that stage as its first move.
    Open,
}

/// `open` is the contact's open deal on the board and its stage key, if any.
pub fn choose_deal(open: Option<(DealId, String)>) -> DealChoice {
    match open {
        Some((id, stage_key)) => DealChoice::Existing { id, stage_key },
        None => DealChoice::Open,
    }
}

/// What happened to the link between Chatwoot's conversation and Ponte's contact and deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationLink {
    Created,
    Linked,
    /// Same contact, now pointing at its current open deal (the old one was closed).
    Relinked,
    /// Chatwoot's conversation is linked to another contact: left alone, conflict logged.
    Conflict,
}

/// Decides the link of a conversation Ponte already knows (`linked_contact`,
/// `linked_deal`) for a message of `contact` whose open deal is `deal`; a conflict carries
/// the clash to record.
pub fn link_conversation(
    conversation: ChatwootConversationId,
    (linked_contact, linked_deal): (ContactId, Option<DealId>),
    contact: ContactId,
    deal: DealId,
) -> (ConversationLink, Option<Clash>) {
    if linked_contact != contact {
        (ConversationLink::Conflict, Some(Clash::conversation_contact_mismatch(conversation, linked_contact, contact)))
    } else if linked_deal != Some(deal) {
        (ConversationLink::Relinked, None)
    } else {
        (ConversationLink::Linked, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ConflictKind;

    #[test]
    fn an_open_deal_is_used_and_none_open_opens_one() {
        assert_eq!(
            choose_deal(Some((DealId(4), "novo".into()))),
            DealChoice::Existing { id: DealId(4), stage_key: "novo".into() }
        );
        assert_eq!(choose_deal(None), DealChoice::Open);
    }

    const CONVERSATION: ChatwootConversationId = ChatwootConversationId(42);
    const C5: ContactId = ContactId(5);
    const C6: ContactId = ContactId(6);
    const D8: DealId = DealId(8);
    const D9: DealId = DealId(9);

    #[test]
    fn a_known_conversation_of_the_same_contact_and_deal_is_linked() {
        assert_eq!(link_conversation(CONVERSATION, (C5, Some(D8)), C5, D8), (ConversationLink::Linked, None));
    }

    #[test]
    fn a_conversation_whose_deal_was_closed_moves_to_the_open_one() {
        assert_eq!(link_conversation(CONVERSATION, (C5, Some(D8)), C5, D9), (ConversationLink::Relinked, None));
        assert_eq!(link_conversation(CONVERSATION, (C5, None), C5, D9), (ConversationLink::Relinked, None));
    }

    #[test]
    fn a_conversation_of_another_contact_is_left_alone_and_recorded() {
        let (link, clash) = link_conversation(CONVERSATION, (C5, Some(D8)), C6, D9);
        assert_eq!(link, ConversationLink::Conflict);
        let clash = clash.expect("a clash to record");
        assert_eq!(
            (clash.kind, clash.contact_id, clash.other_contact_id),
            (ConflictKind::ConversationContactMismatch, C5, C6)
        );
    }
}
