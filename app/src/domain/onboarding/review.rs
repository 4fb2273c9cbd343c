//! The T+1 review items an operator settles by reading: "logs audited" (every identity
//! conflict and failed stage move since go-live, each marked reviewed) and the sample of 10
//! real conversations (drawn at random across both channels from the non-synthetic ones
//! since go-live, each marked ok or problem). Each verdict sets its checklist item: ok when
//! everything is reviewed and nothing is a problem, failed as soon as one is.

use super::super::error::{DomainError, Fields};
use super::super::store::{self, review::ReviewRow};
use super::super::{orgs, Actor, Services};
use crate::model::*;
use rand::seq::SliceRandom;
use std::collections::HashMap;

/// The plan's sample size.
pub const SAMPLE_SIZE: usize = 10;
/// The events a sampled conversation shows (its latest).
const SAMPLE_EVENTS: usize = 20;
const NOTE_MAX: usize = 500;
/// "Logs audited" covers the first day after go-live: not ok before it has passed.
const LOG_WINDOW_MS: i64 = 24 * 3600 * 1000;

fn review_of(row: Option<&ReviewRow>) -> Review {
    match row {
        None => Review::default(),
        Some(r) => Review {
            verdict: Some(r.verdict),
            note: r.note.clone(),
            reviewed_by: r.reviewed_by.clone(),
            reviewed_at: r.reviewed_at,
        },
    }
}

async fn reviews_by_key(svc: &Services, org: OrgId) -> Result<HashMap<(ReviewKind, i64), ReviewRow>, DomainError> {
    Ok(store::review::reviews(&svc.db, org).await?.into_iter().map(|r| ((r.kind, r.ref_id), r)).collect())
}

async fn logs_of(svc: &Services, org: &store::orgs::OrgRow) -> Result<LogsReview, DomainError> {
    let Some(since) = org.activated_at else {
        return Ok(LogsReview { since: None, window_ends_at: None, entries: Vec::new() });
    };
    let reviews = reviews_by_key(svc, org.id).await?;
    let mut entries: Vec<LogEntry> = store::review::conflicts_since(&svc.db, org.id, since)
        .await?
        .into_iter()
        .map(|c| LogEntry {
            kind: ReviewKind::Conflict,
            ref_id: c.id,
            at: c.created_at,
            code: Some(c.kind),
            contact_id: c.contact_id,
            deal_id: None,
            event_id: c.event_id,
            review: review_of(reviews.get(&(ReviewKind::Conflict, c.id))),
        })
        .collect();
    entries.extend(store::review::failed_moves_since(&svc.db, org.id, since).await?.into_iter().map(|m| LogEntry {
        kind: ReviewKind::StageMove,
        ref_id: m.id,
        at: m.at,
        code: m.error_code,
        contact_id: None,
        deal_id: m.deal_id,
        event_id: None,
        review: review_of(reviews.get(&(ReviewKind::StageMove, m.id))),
    }));
    entries.sort_by_key(|e| (e.at, e.ref_id));
    Ok(LogsReview { since: Some(since), window_ends_at: Some(since + LOG_WINDOW_MS), entries })
}

/// The logs to audit. Reading them also settles the item: the window's end turns a fully
/// reviewed (or empty) list ok without anyone marking anything after it.
pub async fn logs(svc: &Services, slug: &str) -> Result<LogsReview, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    if org.activated_at.is_some() {
        settle(svc, &Actor::system(), &org).await?;
    }
    logs_of(svc, &org).await
}

/// Picks up to `size` conversations: half from each channel where both have enough, the
/// rest from whichever has more, each channel's part at random.
pub fn draw<T: Clone>(mut whatsapp: Vec<T>, mut instagram: Vec<T>, size: usize, rng: &mut impl rand::Rng) -> Vec<T> {
    whatsapp.shuffle(rng);
    instagram.shuffle(rng);
    let half = size / 2;
    let ig = instagram.len().min(size - half.min(whatsapp.len()));
    let wa = whatsapp.len().min(size - ig);
    whatsapp.into_iter().take(wa).chain(instagram.into_iter().take(ig)).collect()
}

async fn sample_of(svc: &Services, org: &store::orgs::OrgRow) -> Result<SampleDto, DomainError> {
    let Some(since) = org.activated_at else {
        return Ok(SampleDto { since: None, available: 0, conversations: Vec::new() });
    };
    let available = store::review::sample_candidates(&svc.db, org.id, since).await?.len() as i64;
    let rows = store::review::sample(&svc.db, org.id).await?;
    let deals: Vec<DealId> = rows.iter().filter_map(|r| r.deal_id).collect();
    let mut moves: HashMap<DealId, Vec<SampleMove>> = HashMap::new();
    for m in store::review::moves_of(&svc.db, org.id, &deals).await? {
        moves.entry(m.deal_id).or_default().push(SampleMove {
            from: m.from_label,
            to: m.to_label,
            actor: m.actor,
            at: m.at,
        });
    }
    let ids: Vec<ChatwootConversationId> = rows.iter().map(|r| r.chatwoot_conversation_id).collect();
    let mut events: HashMap<ChatwootConversationId, Vec<SampleEvent>> = HashMap::new();
    for e in store::review::events_of_conversations(&svc.db, org.id, &ids).await? {
        let list = events.entry(e.chatwoot_conversation_id).or_default();
        if list.len() < SAMPLE_EVENTS {
            list.push(SampleEvent { id: e.id, event: e.event, status: e.status, received_at: e.received_at });
        }
    }
    let chatwoot = store::webhooks::config(&svc.db, org.id).await?;
    let conversation_url = |id: ChatwootConversationId| {
        let c = chatwoot.as_ref()?;
        let (base, account) = (c.base_url.as_ref()?, c.account_id?);
        Some(format!("{}/app/accounts/{}/conversations/{}", base.trim_end_matches('/'), account.0, id.0))
    };
    let conversations = rows
        .into_iter()
        .map(|r| SampleConversation {
            conversation_id: r.conversation_id,
            chatwoot_conversation_id: r.chatwoot_conversation_id,
            source: r.source,
            contact_id: r.contact_id,
            contact_name: r.contact_name,
            deal_id: r.deal_id,
            stage: r.stage,
            moves: r.deal_id.and_then(|d| moves.remove(&d)).unwrap_or_default(),
            events: events.remove(&r.chatwoot_conversation_id).unwrap_or_default(),
            chatwoot_url: conversation_url(r.chatwoot_conversation_id),
            drawn_at: r.drawn_at.unwrap_or_default(),
            review: Review {
                verdict: Some(r.verdict),
                note: r.note,
                reviewed_by: r.reviewed_by,
                reviewed_at: r.reviewed_at,
            },
        })
        .collect();
    Ok(SampleDto { since: Some(since), available, conversations })
}

pub async fn sample(svc: &Services, slug: &str) -> Result<SampleDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    sample_of(svc, &org).await
}

/// Draws the sample (or tops it up to ten, keeping the conversations already reviewed).
pub async fn draw_sample(svc: &Services, actor: &Actor, slug: &str) -> Result<SampleDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let since = org.activated_at.ok_or(DomainError::Rejected(ErrorCode::NotActivated))?;
    let kept: Vec<ConversationId> = store::review::sample(&svc.db, org.id)
        .await?
        .into_iter()
        .filter(|r| r.verdict != ReviewVerdict::Pending)
        .map(|r| r.conversation_id)
        .collect();
    let (mut whatsapp, mut instagram) = (Vec::new(), Vec::new());
    for (id, source) in store::review::sample_candidates(&svc.db, org.id, since).await? {
        if kept.contains(&id) {
            continue;
        }
        match source {
            Source::Whatsapp => whatsapp.push(id),
            Source::Instagram => instagram.push(id),
        }
    }
    let drawn = draw(whatsapp, instagram, SAMPLE_SIZE.saturating_sub(kept.len()), &mut rand::thread_rng());
    store::review::redraw(&svc.db, org.id, &drawn, svc.now()).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "review.sample_drawn",
        Some(org.id),
        &serde_json::json!({"drawn": drawn, "kept": kept}),
        svc.now(),
    )
    .await?;
    settle(svc, actor, &org).await?;
    sample_of(svc, &org).await
}

/// Marks one entry. A log entry must be one "logs audited" lists; a conversation must be in
/// the drawn sample. `problem` needs a note.
pub async fn review(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    kind: &str,
    ref_id: &str,
    input: &ReviewInput,
) -> Result<(), DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let kind = kind.parse::<ReviewKind>().map_err(|_| DomainError::Rejected(ErrorCode::NotFound))?;
    let ref_id = ref_id.trim().parse::<i64>().map_err(|_| DomainError::Rejected(ErrorCode::NotFound))?;
    let mut f = Fields::default();
    let verdict = f.check("verdict", input.verdict.parse::<ReviewVerdict>());
    let note = match input.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        None => Some(None),
        Some(n) => f.check("note", parse_text(n, NOTE_MAX).map(Some)),
    };
    if verdict == Some(ReviewVerdict::Problem) && note == Some(None) {
        f.check::<()>("note", Err(ErrorCode::Required));
    }
    f.finish()?;
    let (Some(verdict), Some(note)) = (verdict, note) else {
        return Err(DomainError::Internal("validated fields missing".into()));
    };
    let known = match kind {
        ReviewKind::Conflict | ReviewKind::StageMove => {
            logs_of(svc, &org).await?.entries.iter().any(|e| e.kind == kind && e.ref_id == ref_id)
        }
        ReviewKind::Conversation => {
            store::review::sample(&svc.db, org.id).await?.iter().any(|r| r.conversation_id.0 == ref_id)
        }
    };
    if !known {
        return Err(DomainError::Rejected(ErrorCode::NotFound));
    }
    let v = store::review::Verdict { kind, ref_id, verdict, note: note.as_deref(), by: &actor.0, at: svc.now() };
    store::review::put_review(&svc.db, org.id, &v).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "review.mark",
        Some(org.id),
        &serde_json::json!({"kind": kind, "ref_id": ref_id, "verdict": verdict, "note": note}),
        svc.now(),
    )
    .await?;
    settle(svc, actor, &org).await
}

/// The status each review item has from its entries' verdicts: failed when one is a
/// problem, ok when all are reviewed (and, for the sample, there are ten or every real
/// conversation there is), pending otherwise.
pub fn item_status(verdicts: &[ReviewVerdict], complete: bool) -> ItemStatus {
    if verdicts.contains(&ReviewVerdict::Problem) {
        ItemStatus::Failed
    } else if complete && verdicts.iter().all(|v| *v == ReviewVerdict::Ok) {
        ItemStatus::Ok
    } else {
        ItemStatus::Pending
    }
}

/// Writes both review items' statuses from the verdicts (only when they change).
async fn settle(svc: &Services, actor: &Actor, org: &store::orgs::OrgRow) -> Result<(), DomainError> {
    let logs = logs_of(svc, org).await?;
    let log_verdicts: Vec<ReviewVerdict> =
        logs.entries.iter().map(|e| e.review.verdict.unwrap_or(ReviewVerdict::Pending)).collect();
    let sample = sample_of(svc, org).await?;
    let sample_verdicts: Vec<ReviewVerdict> =
        sample.conversations.iter().map(|c| c.review.verdict.unwrap_or(ReviewVerdict::Pending)).collect();
    let sample_full = !sample_verdicts.is_empty()
        && (sample_verdicts.len() >= SAMPLE_SIZE || sample_verdicts.len() as i64 >= sample.available);
    let current: HashMap<ItemKey, ItemStatus> =
        store::onboarding::items(&svc.db, org.id).await?.into_iter().map(|r| (r.item, r.status)).collect();
    for (item, status, reviewed) in [
        (
            ItemKey::LogsAudited,
            item_status(&log_verdicts, logs.window_ends_at.is_some_and(|end| svc.now() >= end)),
            log_verdicts.len(),
        ),
        (ItemKey::ConversationSample, item_status(&sample_verdicts, sample_full), sample_verdicts.len()),
    ] {
        if current.get(&item).copied().unwrap_or(ItemStatus::Pending) == status {
            continue;
        }
        let note = format!(
            "{} de {reviewed} revisados",
            match item {
                ItemKey::LogsAudited => log_verdicts.iter().filter(|v| **v != ReviewVerdict::Pending).count(),
                _ => sample_verdicts.iter().filter(|v| **v != ReviewVerdict::Pending).count(),
            }
        );
        store::onboarding::put_item(&svc.db, org.id, item, status, Some(&note), &actor.0, svc.now()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_sample_takes_both_channels_and_fills_from_the_larger() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let wa: Vec<i64> = (0..20).collect();
        let ig: Vec<i64> = (100..120).collect();
        let s = draw(wa.clone(), ig.clone(), 10, &mut rng);
        assert_eq!((s.iter().filter(|i| **i < 100).count(), s.iter().filter(|i| **i >= 100).count()), (5, 5));
        let s = draw(wa.clone(), vec![100, 101], 10, &mut rng);
        assert_eq!((s.iter().filter(|i| **i < 100).count(), s.len()), (8, 10), "two Instagram, eight WhatsApp");
        let s = draw(vec![1, 2, 3], vec![100], 10, &mut rng);
        assert_eq!(s.len(), 4, "fewer than ten real conversations: all of them");
        let s = draw(wa, ig, 3, &mut rng);
        assert_eq!(s.len(), 3);
        let mut unique = s.clone();
        unique.dedup();
        assert_eq!(unique.len(), 3);
    }

    #[test]
    fn a_problem_fails_the_item_and_all_reviewed_passes_it() {
        use ReviewVerdict::*;
        assert_eq!(item_status(&[Ok, Ok], true), ItemStatus::Ok);
        assert_eq!(item_status(&[Ok, Pending], true), ItemStatus::Pending);
        assert_eq!(item_status(&[Ok, Problem], true), ItemStatus::Failed);
        assert_eq!(item_status(&[Ok, Ok], false), ItemStatus::Pending, "a sample short of ten is not done");
        assert_eq!(item_status(&[], true), ItemStatus::Ok, "nothing to audit since go-live");
    }
}
