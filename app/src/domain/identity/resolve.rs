//! Who sent a message: the identities found under the sender's canonical key and under its
//! other spelling (a BR mobile without its ninth digit) decide which contact it is, and a
//! new person's creation, raced by two workers, has exactly one winner.

use super::conflict::Clash;
use crate::model::ContactId;

/// What the identities of the org say about a sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// An identity holds the canonical key (another spelling, if any, is the same contact's).
    Exact(ContactId),
    /// Only the other spelling is known, as older imports stored it.
    OtherSpelling(ContactId),
    /// The two spellings belong to two contacts: the canonical key's holder is used, and
    /// the clash is recorded for review.
    Ambiguous { exact: ContactId, other: ContactId },
    /// Nobody: a new person.
    Unknown,
}

impl Match {
    /// The contact the message belongs to, when the person is known.
    pub fn contact(self) -> Option<ContactId> {
        match self {
            Match::Exact(c) | Match::OtherSpelling(c) | Match::Ambiguous { exact: c, .. } => Some(c),
            Match::Unknown => None,
        }
    }

    /// An ambiguous match is recorded for review; `key` and `other_spelling` as looked up.
    pub fn clash(self, key: &str, other_spelling: &str) -> Option<Clash> {
        match self {
            Match::Ambiguous { exact, other } => Some(Clash::ambiguous_identity(key, other_spelling, exact, other)),
            _ => None,
        }
    }
}

/// Decides from `found`, the `(contact_id, external_id)` of the identities under `key` or
/// its other spelling, oldest first.
pub fn resolve(found: &[(ContactId, String)], key: &str) -> Match {
    let exact = found.iter().find(|(_, e)| e == key).map(|(c, _)| *c);
    let other = found.iter().find(|(_, e)| e != key).map(|(c, _)| *c);
    match (exact, other) {
        (Some(exact), Some(other)) if exact != other => Match::Ambiguous { exact, other },
        (Some(c), _) => Match::Exact(c),
        (None, Some(c)) => Match::OtherSpelling(c),
        (None, None) => Match::Unknown,
    }
}

/// How creating a new person ended. The contact and its identity are inserted together and
/// the identity with `ON CONFLICT DO NOTHING`, so of two workers meeting the same new
/// person one links its contact and the other finds the identity taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Creation {
    /// Our identity was inserted: our contact is the person.
    Ours,
    /// Someone else created this person first: our contact is dropped, theirs is used.
    TheirsFirst,
}

impl Creation {
    /// From whether our identity insert wrote a row.
    pub fn of(identity_inserted: bool) -> Self {
        if identity_inserted {
            Creation::Ours
        } else {
            Creation::TheirsFirst
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5511987654321";
    const SHORT: &str = "551187654321";

    fn found(rows: &[(i64, &str)]) -> Vec<(ContactId, String)> {
        rows.iter().map(|(c, e)| (ContactId(*c), e.to_string())).collect()
    }

    fn c(id: i64) -> ContactId {
        ContactId(id)
    }

    #[test]
    fn the_canonical_key_matches_exactly() {
        assert_eq!(resolve(&found(&[(7, KEY)]), KEY), Match::Exact(c(7)));
        assert_eq!(Match::Exact(c(7)).contact(), Some(c(7)));
    }

    #[test]
    fn the_spelling_without_the_ninth_digit_finds_the_same_person() {
        assert_eq!(resolve(&found(&[(3, SHORT)]), KEY), Match::OtherSpelling(c(3)));
    }

    #[test]
    fn both_spellings_on_one_contact_are_an_exact_match() {
        assert_eq!(resolve(&found(&[(3, SHORT), (3, KEY)]), KEY), Match::Exact(c(3)));
    }

    #[test]
    fn two_contacts_holding_the_two_spellings_are_ambiguous_and_the_exact_one_is_used() {
        let m = resolve(&found(&[(3, SHORT), (9, KEY)]), KEY);
        assert_eq!(m, Match::Ambiguous { exact: c(9), other: c(3) });
        assert_eq!(m.contact(), Some(c(9)));
        let clash = m.clash(KEY, SHORT).expect("a clash to record");
        assert_eq!((clash.contact_id, clash.other_contact_id), (c(9), c(3)));
        assert_eq!(Match::Exact(c(9)).clash(KEY, SHORT), None);
    }

    #[test]
    fn nobody_found_is_a_new_person() {
        assert_eq!(resolve(&[], KEY), Match::Unknown);
        assert_eq!(Match::Unknown.contact(), None);
    }

    #[test]
    fn a_creation_whose_identity_insert_wrote_nothing_lost_the_race() {
        assert_eq!(Creation::of(true), Creation::Ours);
        assert_eq!(Creation::of(false), Creation::TheirsFirst);
    }
}
