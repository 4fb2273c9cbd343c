//! The smoke tests' live mode: the operator writes from a real test phone or Instagram
//! account, and Ponte waits for that identity's message, until a deadline the portal counts
//! down. Each awaited message is then followed through the same steps as a synthetic one
//! (processed, identity, deal, hand-off, the n8n execution), and the stage-move test runs
//! on the deal it produced; every test is recorded as its item's run.
//!
//! The wait outlives the request that starts it: the run is a row (migration 0014) and a
//! task of the process that started it drives it. The portal and the API read the row. If
//! that process stops, the row is read as expired once the deadline (plus the time the
//! follow-up may take) has passed, and a new run can start.
//!
//! Live messages are real traffic (they came through Chatwoot from a real account): they are
//! not marked synthetic and their deals stay open, as a customer's would.

use super::checks::{record, Findings};
use super::smoke::{runbook, Setup};
use crate::domain::chatwoot::classify::{classify, Inbound};
use crate::domain::error::DomainError;
use crate::domain::identity::phone::{normalize_phone, whatsapp_id};
use crate::domain::store::{self, live_smoke::LiveRow, orgs::OrgRow, webhooks::EventRow};
use crate::domain::trace::Trace;
use crate::domain::{orgs, Actor, Services};
use crate::model::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Between two looks at the org's new events while waiting.
const POLL: Duration = Duration::from_millis(250);
const WAIT_DEFAULT_MIN: u32 = 5;
const WAIT_MAX_MIN: u32 = 30;
const SCAN_BATCH: i64 = 200;
const AUDIT_START: &str = "smoke.live_start";
const AUDIT_CANCEL: &str = "smoke.live_cancel";

/// How long after its deadline a waiting run may still be following its messages (two
/// smoke waits, the processing's and n8n's, and a minute for the stage move): past that,
/// the process driving it is gone.
fn grace_ms(svc: &Services) -> i64 {
    2 * svc.config.smoke_wait.as_millis() as i64 + 60_000
}

fn trimmed(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `@user` (lower case) for a username, the digits for an Instagram-scoped id.
pub fn instagram_handle(raw: &str) -> Option<String> {
    let s = raw.trim();
    if !s.starts_with('@') && (5..=20).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit()) {
        return Some(s.to_string());
    }
    let user = s.strip_prefix('@').unwrap_or(s).to_ascii_lowercase();
    let valid = (1..=30).contains(&user.len())
        && user.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        && !user.starts_with('.')
        && !user.ends_with('.');
    valid.then(|| format!("@{user}"))
}

/// Whether an inbound message is from the identity a run waits for on its channel.
fn is_from(inbound: &Inbound, who: &str) -> bool {
    match inbound.source {
        Source::Whatsapp => whatsapp_id(&inbound.external_id).is_ok_and(|id| id.key() == who),
        Source::Instagram => match who.strip_prefix('@') {
            Some(user) => inbound
                .instagram_username
                .as_deref()
                .is_some_and(|u| u.trim_start_matches('@').eq_ignore_ascii_case(user)),
            // Digits: the scoped id, or a username made of digits.
            None => {
                inbound.external_id == who
                    || inbound.instagram_username.as_deref().is_some_and(|u| u.trim_start_matches('@') == who)
            }
        },
    }
}

fn who_of(row: &LiveRow, source: Source) -> Option<&str> {
    match source {
        Source::Whatsapp => row.whatsapp.as_deref(),
        Source::Instagram => row.instagram.as_deref(),
    }
}

fn shown(source: Source, who: &str) -> String {
    match source {
        Source::Whatsapp => format!("+{who}"),
        Source::Instagram => who.to_string(),
    }
}

fn item_of(source: Source) -> ItemKey {
    match source {
        Source::Whatsapp => ItemKey::SmokeWhatsapp,
        Source::Instagram => ItemKey::SmokeInstagram,
    }
}

/// The run's state as the portal and the API see it: a waiting run whose driver is gone
/// reads as expired.
fn state_of(svc: &Services, r: &LiveRow) -> LiveSmokeState {
    if r.state == LiveSmokeState::Waiting && svc.now() > r.deadline_at + grace_ms(svc) {
        LiveSmokeState::Expired
    } else {
        r.state
    }
}

fn dto(svc: &Services, r: LiveRow) -> LiveSmokeDto {
    let now = svc.now();
    let state = state_of(svc, &r);
    let remaining = if state == LiveSmokeState::Waiting { ((r.deadline_at - now).max(0) + 999) / 1000 } else { 0 };
    LiveSmokeDto {
        id: r.id,
        state,
        whatsapp: r.whatsapp,
        instagram: r.instagram,
        started_by: r.started_by,
        started_at: r.started_at,
        deadline_at: r.deadline_at,
        finished_at: r.finished_at,
        remaining_seconds: remaining,
        whatsapp_event: r.whatsapp_event,
        instagram_event: r.instagram_event,
    }
}

/// Starts waiting for the test identities' messages. Refused while another run of the org waits.
pub async fn start(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    input: &LiveSmokeInput,
) -> Result<LiveSmokeDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let mut fields = crate::domain::error::Fields::default();
    let whatsapp = trimmed(&input.whatsapp)
        .and_then(|raw| fields.check("whatsapp", normalize_phone(raw).map_err(|_| ErrorCode::NumberInvalid)));
    let instagram = trimmed(&input.instagram)
        .and_then(|raw| fields.check("instagram", instagram_handle(raw).ok_or(ErrorCode::InstagramHandleInvalid)));
    if trimmed(&input.whatsapp).is_none() && trimmed(&input.instagram).is_none() {
        fields.check::<()>("whatsapp", Err(ErrorCode::LiveIdentityMissing));
    }
    let wait = input.wait_minutes.unwrap_or(WAIT_DEFAULT_MIN);
    if !(1..=WAIT_MAX_MIN).contains(&wait) {
        fields.check::<()>("wait_minutes", Err(ErrorCode::WaitInvalid));
    }
    let stage = trimmed(&input.stage).and_then(|s| fields.check("stage", parse_text(s, NAME_MAX)));
    // A channel with no mapped inbox could never deliver the message: say so now, not in five minutes.
    let inboxes = crate::domain::chatwoot::config::inbox_map(svc, org.id).await?;
    for (field, given, source) in
        [("whatsapp", whatsapp.is_some(), Source::Whatsapp), ("instagram", instagram.is_some(), Source::Instagram)]
    {
        if given && !inboxes.values().any(|s| *s == source) {
            fields.check::<()>(field, Err(ErrorCode::ChannelNotMapped));
        }
    }
    fields.finish()?;
    let now = svc.now();
    store::live_smoke::expire_stale(&svc.db, org.id, now, grace_ms(svc)).await?;
    let new = store::live_smoke::NewLive {
        organization_id: org.id,
        whatsapp: whatsapp.as_deref(),
        instagram: instagram.as_deref(),
        stage: stage.as_deref(),
        started_by: &actor.0,
        started_at: now,
        deadline_at: now + i64::from(wait) * 60_000,
    };
    let id = match store::live_smoke::insert(&svc.db, &new).await {
        Ok(id) => id,
        Err(e) if store::is_unique_violation(&e) => return Err(DomainError::Rejected(ErrorCode::LiveSmokeWaiting)),
        Err(e) => return Err(e.into()),
    };
    store::audit::record(
        &svc.db,
        &actor.0,
        AUDIT_START,
        Some(org.id),
        &serde_json::json!({"run": id, "whatsapp": whatsapp, "instagram": instagram, "wait_minutes": wait}),
        now,
    )
    .await?;
    tracing::info!(org = %org.slug, run = id, wait_minutes = wait, "live smoke run waiting");
    let row = store::live_smoke::get(&svc.db, org.id, id)
        .await?
        .ok_or(DomainError::Internal("live smoke run not found after insert".into()))?;
    let (svc2, actor2) = (svc.clone(), actor.clone());
    tokio::spawn(async move { drive(svc2, actor2, org, id).await });
    Ok(dto(svc, row))
}

/// The org's newest live run, if it ever had one.
pub async fn latest(svc: &Services, slug: &str) -> Result<Option<LiveSmokeDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(store::live_smoke::latest(&svc.db, org.id).await?.map(|r| dto(svc, r)))
}

/// Stops the waiting run. Its items keep their previous runs.
pub async fn cancel(svc: &Services, actor: &Actor, slug: &str) -> Result<LiveSmokeDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let row = store::live_smoke::latest(&svc.db, org.id).await?;
    let Some(row) = row.filter(|r| state_of(svc, r) == LiveSmokeState::Waiting) else {
        return Err(DomainError::Rejected(ErrorCode::RunStateInvalid));
    };
    if !store::live_smoke::finish(&svc.db, row.id, LiveSmokeState::Cancelled, svc.now()).await? {
        return Err(DomainError::Rejected(ErrorCode::RunStateInvalid));
    }
    store::audit::record(&svc.db, &actor.0, AUDIT_CANCEL, Some(org.id), &serde_json::json!({"run": row.id}), svc.now())
        .await?;
    let row = store::live_smoke::get(&svc.db, org.id, row.id)
        .await?
        .ok_or(DomainError::Internal("live smoke run vanished".into()))?;
    Ok(dto(svc, row))
}

/// The task behind a run: its errors end the run as failed (the row says so; the log says why).
async fn drive(svc: Services, actor: Actor, org: OrgRow, id: i64) {
    if let Err(e) = drive_run(&svc, &actor, &org, id).await {
        tracing::warn!(org = %org.slug, run = id, error = %e, "live smoke run stopped on an error");
        if let Err(e) = store::live_smoke::finish(&svc.db, id, LiveSmokeState::Failed, svc.now()).await {
            tracing::warn!(org = %org.slug, run = id, error = %e, "live smoke run could not be marked failed");
        }
    }
}

/// One awaited channel: whom the run waits for, and what the wait saw.
struct Awaited {
    who: String,
    event: Option<EventRow>,
    /// Messages of that channel from someone else: the webhook works, the identity is off.
    others: usize,
}

async fn drive_run(svc: &Services, actor: &Actor, org: &OrgRow, id: i64) -> Result<(), DomainError> {
    let Some(row) = store::live_smoke::get(&svc.db, org.id, id).await? else { return Ok(()) };
    // The mode only says how `message_test` sends; the live mode sends nothing.
    let setup = Setup::load(svc, org, SmokeMode::Synthetic).await?;
    let before = setup.execution_ids().await;
    // WhatsApp first, as the checklist orders the items (the map's order is the enum's).
    let mut awaited: BTreeMap<Source, Awaited> = [Source::Whatsapp, Source::Instagram]
        .into_iter()
        .filter_map(|s| who_of(&row, s).map(|w| (s, Awaited { who: w.to_string(), event: None, others: 0 })))
        .collect();
    let mut after = EventId(0);
    loop {
        // Cancelled (or ended by another path) meanwhile: nothing more to do.
        match store::live_smoke::get(&svc.db, org.id, id).await? {
            Some(r) if r.state == LiveSmokeState::Waiting => {}
            _ => return Ok(()),
        }
        loop {
            let batch = store::webhooks::messages_after(&svc.db, org.id, row.started_at, after, SCAN_BATCH).await?;
            let full = batch.len() as i64 == SCAN_BATCH;
            for event in batch {
                after = event.id;
                let Ok(body) = serde_json::from_str::<serde_json::Value>(&event.payload) else { continue };
                let Ok(inbound) = classify(&body, setup.inboxes()) else { continue };
                let Some(entry) = awaited.get_mut(&inbound.source).filter(|a| a.event.is_none()) else { continue };
                if is_from(&inbound, &entry.who) {
                    store::live_smoke::saw(&svc.db, id, inbound.source, event.id).await?;
                    entry.event = Some(event);
                } else {
                    entry.others += 1;
                }
            }
            if !full {
                break;
            }
        }
        if awaited.values().all(|a| a.event.is_some()) || svc.now() > row.deadline_at {
            break;
        }
        tokio::time::sleep(POLL).await;
    }

    let minutes = (row.deadline_at - row.started_at) / 60_000;
    let mut all_seen = true;
    let mut all_passed = true;
    let mut first_deal = None;
    for (source, entry) in awaited {
        let (started_at, clock, trace) = (svc.now(), Instant::now(), Trace::default());
        let mut found = Findings::default();
        let who = &entry.who;
        match entry.event {
            Some(event) => {
                found.ok(Note::new(NoteCode::SmokeLiveMessage)
                    .with("who", shown(source, who))
                    .with("event", event.id)
                    .with("s", (event.received_at - row.started_at).max(0) / 1000));
                // Processing is timed from the message's arrival, as a customer's would be.
                let waited = Duration::from_millis((svc.now() - event.received_at).max(0) as u64);
                let now = Instant::now();
                let since = now.checked_sub(waited).unwrap_or(now);
                let produced = setup.follow(event, since, &before, &trace, &mut found).await?;
                if let Some(deal) = produced.and_then(|p| p.deal) {
                    first_deal.get_or_insert(deal);
                }
            }
            None => {
                all_seen = false;
                found.fail(
                    Note::new(NoteCode::SmokeLiveNoMessage).with("who", shown(source, who)).with("minutes", minutes),
                );
                if entry.others > 0 {
                    found.warn(Note::new(NoteCode::SmokeLiveOtherMessages).with("count", entry.others));
                }
                refused_since(svc, org, row.started_at, &mut found).await?;
                runbook(&mut found, NoteCode::RunbookNoWebhook);
            }
        }
        let run = record(svc, actor, org, item_of(source), started_at, clock, found, trace.take()).await?;
        all_passed &= run.verdict == Verdict::Passed;
    }
    let (started_at, clock, trace) = (svc.now(), Instant::now(), Trace::default());
    let mut found = Findings::default();
    setup.stage_move_test(actor, first_deal, row.stage.as_deref(), &trace, &mut found).await?;
    let run = record(svc, actor, org, ItemKey::SmokeStageMove, started_at, clock, found, trace.take()).await?;
    all_passed &= run.verdict == Verdict::Passed;
    let state = match (all_seen, all_passed) {
        (false, _) => LiveSmokeState::Expired,
        (true, true) => LiveSmokeState::Passed,
        (true, false) => LiveSmokeState::Failed,
    };
    store::live_smoke::finish(&svc.db, id, state, svc.now()).await?;
    tracing::info!(org = %org.slug, run = id, state = %state, "live smoke run ended");
    Ok(())
}

/// The deliveries Ponte refused for the org while the run waited (a wrong secret shows here).
async fn refused_since(svc: &Services, org: &OrgRow, since: i64, found: &mut Findings) -> Result<(), DomainError> {
    let refused: Vec<_> =
        store::webhooks::refusals_of(&svc.db, org.id, 20).await?.into_iter().filter(|r| r.last_at >= since).collect();
    if !refused.is_empty() {
        let count: i64 = refused.iter().map(|r| r.count).sum();
        let mut reasons: Vec<&str> = refused.iter().map(|r| r.code.message()).collect();
        reasons.dedup();
        found.fail(Note::new(NoteCode::SmokeLiveRefused).with("count", count).with("reason", reasons.join("; ")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instagram_handles_are_read_as_operators_type_them() {
        assert_eq!(instagram_handle("@Coronel.Picanha").as_deref(), Some("@coronel.picanha"));
        assert_eq!(instagram_handle("teste_ponte").as_deref(), Some("@teste_ponte"));
        assert_eq!(instagram_handle("17841400000000001").as_deref(), Some("17841400000000001"));
        assert_eq!(instagram_handle("@1234").as_deref(), Some("@1234"));
        assert_eq!(instagram_handle("@"), None);
        assert_eq!(instagram_handle("nome com espaço"), None);
        assert_eq!(instagram_handle(".ponto"), None);
        assert_eq!(instagram_handle(&"a".repeat(31)), None);
        assert_eq!(instagram_handle("https://instagram.com/x"), None);
    }
}
