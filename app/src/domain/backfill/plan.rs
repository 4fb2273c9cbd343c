//! Deciding one batch in memory: each contact's phone normalized into a candidate, then
//! which numbers to link and which clashes to record, from what the database already holds
//! (and, for a dry run, what earlier batches would have linked).

use crate::domain::identity::phone::{normalize_phone, without_ninth_digit, PhoneError};
use crate::domain::store::backfill::{BatchPlan, NewConflict, Owner};
use crate::model::{ConflictKind, ContactId, Note, NoteCode};
use std::collections::HashMap;

/// The canonical WhatsApp key of a stored phone, and the spelling without the BR ninth digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Candidate {
    Phone { contact_id: ContactId, raw: String, key: String, alt: Option<String> },
    Invalid { contact_id: ContactId, raw: String },
    Empty,
}

fn candidate(contact_id: ContactId, phone: Option<String>) -> Candidate {
    let Some(raw) = phone.filter(|p| !p.trim().is_empty()) else { return Candidate::Empty };
    match normalize_phone(&raw) {
        Ok(key) => Candidate::Phone { contact_id, raw, alt: without_ninth_digit(&key), key },
        Err(PhoneError::Empty) => Candidate::Empty,
        Err(PhoneError::Invalid) => Candidate::Invalid { contact_id, raw },
    }
}

/// Normalizes a batch off the async workers (parsing phones is the CPU part of the
/// backfill), on every core but one: the lookups and writes of the batches before it run
/// at the same time and need one.
pub(super) async fn normalize_batch(contacts: Vec<(ContactId, Option<String>)>) -> Vec<Candidate> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).saturating_sub(1).max(1);
    tokio::task::spawn_blocking(move || {
        let chunk = contacts.len().div_ceil(threads).max(256);
        std::thread::scope(|s| {
            let handles: Vec<_> = contacts
                .chunks(chunk)
                .map(|part| s.spawn(move || part.iter().map(|(id, p)| candidate(*id, p.clone())).collect::<Vec<_>>()))
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
        })
    })
    .await
    .unwrap_or_default()
}

/// Who holds a number while a batch is decided.
#[derive(Clone, Copy, Debug)]
struct Holder {
    contact_id: ContactId,
    /// The holder's own typed phone is this number: two contacts of the org share it.
    same_phone: bool,
}

/// Decides a batch: which numbers to link, which clashes to record. `owners` are the
/// identities that already hold any of the batch's numbers, `linked` the WhatsApp
/// identities the batch's contacts already have; `dry_seen` carries a dry run's
/// would-be links from batch to batch (a real run finds them in the database).
pub(super) fn plan(
    candidates: &[Candidate],
    owners: Vec<Owner>,
    linked: Vec<(ContactId, String)>,
    mut dry_seen: Option<&mut HashMap<String, ContactId>>,
) -> BatchPlan {
    let mut holders: HashMap<String, Holder> = owners
        .into_iter()
        .map(|o| {
            let same_phone =
                o.phone.as_deref().and_then(|p| normalize_phone(p).ok()).as_deref() == Some(&o.external_id);
            (o.external_id, Holder { contact_id: o.contact_id, same_phone })
        })
        .collect();
    if let Some(seen) = dry_seen.as_deref() {
        for c in candidates {
            if let Candidate::Phone { key, alt, .. } = c {
                for n in std::iter::once(key).chain(alt.as_ref()) {
                    if let Some(&contact_id) = seen.get(n) {
                        holders.entry(n.clone()).or_insert(Holder { contact_id, same_phone: true });
                    }
                }
            }
        }
    }
    let mut has_whatsapp: HashMap<ContactId, String> = HashMap::new();
    for (contact_id, number) in linked {
        has_whatsapp.entry(contact_id).or_insert(number);
    }
    let mut p = BatchPlan { processed: candidates.len() as i64, ..BatchPlan::default() };
    for c in candidates {
        match c {
            Candidate::Empty => p.tally.empty += 1,
            Candidate::Invalid { contact_id, raw } => {
                p.tally.invalid += 1;
                p.conflicts.push(NewConflict {
                    kind: ConflictKind::InvalidPhone,
                    external_id: raw.chars().take(64).collect(),
                    contact_id: *contact_id,
                    other_contact_id: None,
                    phone_raw: raw.clone(),
                    detail: Note::new(NoteCode::PhoneOffPlan),
                });
            }
            Candidate::Phone { contact_id, raw, key, alt } => {
                let holder = holders.get(key).or_else(|| alt.as_ref().and_then(|a| holders.get(a))).copied();
                let conflict = |kind: ConflictKind, other: Option<ContactId>, detail: Note| NewConflict {
                    kind,
                    external_id: key.clone(),
                    contact_id: *contact_id,
                    other_contact_id: other,
                    phone_raw: raw.clone(),
                    detail,
                };
                match holder {
                    Some(h) if h.contact_id == *contact_id => p.tally.skipped += 1,
                    Some(h) => {
                        p.tally.conflicts += 1;
                        p.conflicts.push(if h.same_phone {
                            conflict(
                                ConflictKind::DuplicatePhone,
                                Some(h.contact_id),
                                Note::new(NoteCode::DuplicatePhone),
                            )
                        } else {
                            conflict(ConflictKind::NumberTaken, Some(h.contact_id), Note::new(NoteCode::NumberTaken))
                        });
                    }
                    None => match has_whatsapp.get(contact_id) {
                        Some(existing) => {
                            p.tally.conflicts += 1;
                            p.conflicts.push(conflict(
                                ConflictKind::NormalizesDifferently,
                                None,
                                Note::new(NoteCode::OtherWhatsapp).with("number", existing),
                            ));
                        }
                        None => {
                            p.tally.created += 1;
                            holders.insert(key.clone(), Holder { contact_id: *contact_id, same_phone: true });
                            has_whatsapp.insert(*contact_id, key.clone());
                            if let Some(seen) = dry_seen.as_deref_mut() {
                                seen.insert(key.clone(), *contact_id);
                            }
                            p.identities.push((*contact_id, key.clone()));
                        }
                    },
                }
            }
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64) -> ContactId {
        ContactId(id)
    }

    fn phone(id: i64, raw: &str) -> Candidate {
        candidate(c(id), Some(raw.to_string()))
    }

    #[test]
    fn a_batch_links_each_number_once_and_names_every_clash() {
        let batch = vec![
            phone(1, "(11) 98765-4321"),
            // The same number without the ninth digit on a second contact: two contacts share it.
            phone(2, "(11) 8765-4321"),
            phone(3, "+55 21 99876-5432"),
            phone(4, "0800"),
            candidate(c(5), None),
            phone(6, "5531988887777"),
            phone(7, "+55 41 99999-1111"),
        ];
        let owners = vec![
            // Number of contact 3 was linked by a live message to contact 90 (typed differently).
            Owner { external_id: "5521998765432".into(), contact_id: c(90), phone: None },
            // Contact 6 already holds its number.
            Owner { external_id: "5531988887777".into(), contact_id: c(6), phone: Some("31 98888-7777".into()) },
        ];
        // Contact 7 already has another WhatsApp identity.
        let linked = vec![(c(6), "5531988887777".to_string()), (c(7), "5541988881111".to_string())];
        let p = plan(&batch, owners, linked, None);
        assert_eq!(p.identities, vec![(c(1), "5511987654321".to_string())]);
        assert_eq!(
            (p.tally.created, p.tally.skipped, p.tally.conflicts, p.tally.invalid, p.tally.empty),
            (1, 1, 3, 1, 1)
        );
        let kinds: Vec<(ConflictKind, ContactId, Option<ContactId>)> =
            p.conflicts.iter().map(|c| (c.kind, c.contact_id, c.other_contact_id)).collect();
        assert_eq!(
            kinds,
            vec![
                (ConflictKind::DuplicatePhone, c(2), Some(c(1))),
                (ConflictKind::NumberTaken, c(3), Some(c(90))),
                (ConflictKind::InvalidPhone, c(4), None),
                (ConflictKind::NormalizesDifferently, c(7), None),
            ]
        );
        assert_eq!(p.processed, 7);
    }

    #[test]
    fn an_owner_typed_with_the_same_number_makes_a_duplicate_not_a_taken_number() {
        let owners =
            vec![Owner { external_id: "5511987654321".into(), contact_id: c(9), phone: Some("11987654321".into()) }];
        let p = plan(&[phone(10, "+55 11 98765-4321")], owners, vec![], None);
        assert_eq!(p.conflicts[0].kind, ConflictKind::DuplicatePhone);
        assert_eq!(p.conflicts[0].other_contact_id, Some(c(9)));
    }

    #[test]
    fn a_dry_run_remembers_its_would_be_links_across_batches() {
        let mut seen = HashMap::new();
        let first = plan(&[phone(1, "11987654321")], vec![], vec![], Some(&mut seen));
        assert_eq!(first.tally.created, 1);
        let second = plan(&[phone(2, "+55 (11) 98765-4321")], vec![], vec![], Some(&mut seen));
        assert_eq!((second.tally.created, second.tally.conflicts), (0, 1));
        assert_eq!(second.conflicts[0].other_contact_id, Some(c(1)));
    }
}
