//! The checklist's live checks ("Verificar"): each asks Chatwoot, n8n or Ponte itself
//! what the item claims, records the requests it made, its findings and its verdict, and
//! gives the item that status. A check changes nothing outside Ponte's records except the
//! webhook registration, which says so on its button.

use super::run_dto;
use crate::domain::automation::{self, n8n::N8n};
use crate::domain::chatwoot::api::{Chatwoot, ChatwootError, Inbox, Webhook, SUBSCRIPTIONS};
use crate::domain::chatwoot::signature;
use crate::domain::error::DomainError;
use crate::domain::store::{self, onboarding::NewRun, orgs::OrgRow, webhooks::ChatwootConfigRow};
use crate::domain::trace::Trace;
use crate::domain::{orgs, Actor, Services};
use crate::model::*;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Instant;

/// The findings of one run (a check's or a smoke test's).
#[derive(Default)]
pub(crate) struct Findings(Vec<CheckLine>);

impl Findings {
    pub(crate) fn ok(&mut self, note: Note) {
        self.0.push(CheckLine { level: LineLevel::Ok, note });
    }
    pub(crate) fn warn(&mut self, note: Note) {
        self.0.push(CheckLine { level: LineLevel::Warning, note });
    }
    pub(crate) fn fail(&mut self, note: Note) {
        self.0.push(CheckLine { level: LineLevel::Failed, note });
    }
    /// A Chatwoot failure: the operator's words here, the details in the log.
    fn chatwoot(&mut self, org: &OrgRow, e: ChatwootError) {
        tracing::warn!(org = %org.slug, error = %e, "chatwoot check failed");
        self.fail(e.note());
    }
    fn verdict(&self) -> Verdict {
        if self.0.iter().any(|l| l.level == LineLevel::Failed) || self.0.is_empty() {
            Verdict::Failed
        } else {
            Verdict::Passed
        }
    }
}

/// Runs the live check of one item and records it.
pub async fn run_check(svc: &Services, actor: &Actor, slug: &str, item: &str) -> Result<CheckRunDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let key = item.parse::<ItemKey>().map_err(|_| DomainError::Rejected(ErrorCode::NotFound))?;
    if key.kind() != ItemKind::Check {
        return Err(DomainError::Rejected(ErrorCode::NoAutomaticCheck));
    }
    run_one(svc, actor, &org, key).await
}

/// Runs the live checks of a whole phase, one after the other (they share the services
/// they ask, and the webhook check relies on what the inbox check found correct).
pub async fn run_phase(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    phase: &str,
) -> Result<Vec<CheckRunDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let phase = phase.parse::<Phase>().map_err(|_| DomainError::Rejected(ErrorCode::NotFound))?;
    let mut runs = Vec::new();
    for key in ItemKey::of_phase(phase).filter(|k| k.kind() == ItemKind::Check) {
        runs.push(run_one(svc, actor, &org, key).await?);
    }
    Ok(runs)
}

async fn run_one(svc: &Services, actor: &Actor, org: &OrgRow, key: ItemKey) -> Result<CheckRunDto, DomainError> {
    let started_at = svc.now();
    let clock = Instant::now();
    let trace = Trace::default();
    let mut found = Findings::default();
    let ctx = Ctx { svc, org, trace: &trace };
    match key {
        ItemKey::ChatwootAccount => ctx.chatwoot_account(&mut found).await?,
        ItemKey::ChatwootInboxes => ctx.chatwoot_inboxes(&mut found).await?,
        ItemKey::ChatwootWebhook => ctx.chatwoot_webhook(actor, &mut found).await?,
        ItemKey::BoardStages => ctx.board_stages(&mut found).await?,
        ItemKey::N8nCredentials => ctx.n8n_credentials(&mut found).await?,
        ItemKey::InstagramChannel => ctx.instagram_channel(&mut found).await?,
        ItemKey::V2Workflow => ctx.v2_workflow(&mut found).await?,
        ItemKey::FirstDayMetrics => ctx.first_day_metrics(&mut found).await?,
        _ => return Err(DomainError::Rejected(ErrorCode::NoAutomaticCheck)),
    }
    record(svc, actor, org, key, started_at, clock, found, trace.take()).await
}

/// Stores one run and gives its item the verdict's status.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    svc: &Services,
    actor: &Actor,
    org: &OrgRow,
    key: ItemKey,
    started_at: i64,
    clock: Instant,
    found: Findings,
    calls: Vec<CheckCall>,
) -> Result<CheckRunDto, DomainError> {
    let verdict = found.verdict();
    let run = NewRun {
        organization_id: org.id,
        item: key,
        actor: &actor.0,
        verdict,
        started_at,
        duration_ms: clock.elapsed().as_millis() as i64,
        lines: to_json(&found.0),
        calls: to_json(&calls),
    };
    let id = store::onboarding::record_run(&svc.db, &run).await?;
    tracing::info!(org = %org.slug, item = %key, verdict = %verdict, actor = %actor.0, "check ran");
    let row = store::onboarding::runs_of(&svc.db, org.id, key, 1)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(DomainError::Internal("check run not found after insert".into()))?;
    Ok(run_dto(row))
}

/// What a run keeps of its lines and calls: their JSON text.
fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// How a delivery Ponte signed as Chatwoot would fared at the org's public webhook URL.
pub(crate) enum Delivered {
    /// Nothing answered (refused, timed out, a name that does not resolve).
    Unreachable,
    Refused {
        status: u16,
        reason: String,
    },
    /// Accepted; the stored event, read back by the id the answer gave.
    Accepted(Option<store::webhooks::EventRow>),
}

/// Posts `body` to `url` signed with `secret` the way Chatwoot signs (the probe, the smoke
/// tests' messages), records the call in `trace`, and reads the stored event back.
pub(crate) async fn deliver_signed(
    svc: &Services,
    org: &OrgRow,
    url: &str,
    secret: &str,
    delivery: &str,
    body: String,
    trace: &Trace,
) -> Result<Delivered, DomainError> {
    let timestamp = svc.now().div_euclid(1000).to_string();
    let started = Instant::now();
    let path = format!("/webhooks/chatwoot/{}", org.slug);
    let sent = svc
        .http
        .post(url)
        .header("content-type", "application/json")
        .header("x-chatwoot-delivery", delivery)
        .header("x-chatwoot-timestamp", &timestamp)
        .header("x-chatwoot-signature", signature::sign(secret, &timestamp, body.as_bytes()))
        .body(body)
        .timeout(svc.config.check_timeout)
        .send()
        .await;
    let res = match sent {
        Ok(r) => r,
        Err(e) => {
            trace.record("ponte", "POST", &path, None, started);
            tracing::warn!(org = %org.slug, error = %e.without_url(), "a signed delivery did not reach the public URL");
            return Ok(Delivered::Unreachable);
        }
    };
    let status = res.status().as_u16();
    trace.record("ponte", "POST", &path, Some(status), started);
    let answer: serde_json::Value = res.json().await.unwrap_or_default();
    if !(200..300).contains(&status) {
        let reason = answer["error"]["message"].as_str().unwrap_or("").to_string();
        return Ok(Delivered::Refused { status, reason });
    }
    let event = match answer["event_id"].as_i64() {
        Some(id) => store::webhooks::event(&svc.db, org.id, EventId(id)).await?,
        None => None,
    };
    Ok(Delivered::Accepted(event))
}

/// A client of the org's Chatwoot for a live check or smoke test: the check timeout, every
/// call recorded in `trace`.
pub(crate) fn check_client<'a>(
    svc: &'a Services,
    base: &str,
    account: ChatwootAccountId,
    token: &str,
    trace: &'a Trace,
) -> Chatwoot<'a> {
    Chatwoot::new(&svc.http, base, account.0, token).with_timeout(svc.config.check_timeout).with_trace(trace)
}

/// What every check of one org works with.
struct Ctx<'a> {
    svc: &'a Services,
    org: &'a OrgRow,
    trace: &'a Trace,
}

fn inbox_note(code: NoteCode, inbox: &Inbox) -> Note {
    Note::new(code)
        .with("inbox", inbox.id)
        .with("name", inbox.name.as_deref().unwrap_or(""))
        .with("channel", inbox.channel_label())
}

/// Whether Chatwoot (4.14+ refuses webhooks to private addresses) could reach `url`.
fn is_private(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else { return false };
    let Some(host) = parsed.host_str() else { return true };
    match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        Ok(ip) => private_ip(ip),
        Err(_) => {
            let d = host.to_ascii_lowercase();
            d == "localhost"
                || !d.contains('.')
                || [".localhost", ".local", ".internal", ".lan", ".home.arpa"].iter().any(|s| d.ends_with(s))
        }
    }
}

fn private_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                // 100.64.0.0/10, carrier-grade NAT.
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || v6.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

impl<'a> Ctx<'a> {
    async fn config(&self) -> Result<Option<ChatwootConfigRow>, DomainError> {
        Ok(store::webhooks::config(&self.svc.db, self.org.id).await?)
    }

    /// A client of the org's Chatwoot, or the failure naming what is missing.
    async fn chatwoot(&self, found: &mut Findings) -> Result<Option<(Chatwoot<'a>, ChatwootConfigRow)>, DomainError> {
        let Some(row) = self.config().await? else {
            found.fail(Note::new(NoteCode::CheckChatwootNotConfigured).with("missing", "URL, conta, token de API"));
            return Ok(None);
        };
        let (Some(base), Some(account), Some(token)) = (&row.base_url, row.account_id, &row.api_token_enc) else {
            let missing = crate::domain::chatwoot::config::missing_for_api(Some(&row)).join(", ");
            found.fail(Note::new(NoteCode::CheckChatwootNotConfigured).with("missing", missing));
            return Ok(None);
        };
        let token = self.svc.secrets.decrypt(token)?;
        let client = check_client(self.svc, base, account, &token, self.trace);
        Ok(Some((client, row.clone())))
    }

    /// The token's user and its role on the configured account.
    async fn chatwoot_account(&self, found: &mut Findings) -> Result<(), DomainError> {
        let Some((cw, row)) = self.chatwoot(found).await? else { return Ok(()) };
        let account = row.account_id.map(|a| a.0).unwrap_or_default();
        let profile = match cw.profile().await {
            Ok(p) => p,
            Err(e) => {
                found.chatwoot(self.org, e);
                return Ok(());
            }
        };
        found.ok(Note::new(NoteCode::CheckTokenUser)
            .with("user", profile.name.as_deref().unwrap_or("?"))
            .with("email", profile.email.as_deref().unwrap_or("?")));
        match profile.accounts.iter().find(|a| a.id == account) {
            None => found.fail(Note::new(NoteCode::CheckAccountNotInProfile).with("account", account)),
            Some(_) if profile.administers(account) => {
                found.ok(Note::new(NoteCode::CheckAdministrator).with("account", account))
            }
            Some(a) => found.fail(
                Note::new(NoteCode::CheckRoleNotAdmin)
                    .with("account", account)
                    .with("role", a.role.as_deref().unwrap_or("?")),
            ),
        }
        Ok(())
    }

    /// The WhatsApp and Instagram inboxes exist and each is in the org's inbox map, as the
    /// channel it is.
    async fn chatwoot_inboxes(&self, found: &mut Findings) -> Result<(), DomainError> {
        let Some((cw, row)) = self.chatwoot(found).await? else { return Ok(()) };
        let inboxes = match cw.inboxes().await {
            Ok(i) => i,
            Err(e) => {
                found.chatwoot(self.org, e);
                return Ok(());
            }
        };
        found.ok(Note::new(NoteCode::CheckInboxesListed).with("count", inboxes.len()));
        let map: BTreeMap<String, Source> = serde_json::from_str(&row.inbox_sources).unwrap_or_default();
        for inbox in &inboxes {
            let mapped = map.get(&inbox.id.to_string()).copied();
            match (inbox.source(), mapped) {
                (Some(channel), Some(source)) if channel == source => {
                    found.ok(inbox_note(NoteCode::CheckInboxMapped, inbox).with("source", source.label()))
                }
                (Some(_), Some(source)) => {
                    found.fail(inbox_note(NoteCode::CheckInboxChannelMismatch, inbox).with("source", source.label()))
                }
                (Some(_), None) => found.fail(inbox_note(NoteCode::CheckInboxUnmapped, inbox)),
                // An API-channel inbox mapped to a source is how tests and bridges feed Ponte.
                (None, Some(source)) => {
                    found.ok(inbox_note(NoteCode::CheckInboxMapped, inbox).with("source", source.label()))
                }
                (None, None) => {}
            }
        }
        for id in map.keys() {
            if !inboxes.iter().any(|i| i.id.to_string() == *id) {
                found.fail(Note::new(NoteCode::CheckInboxMissing).with("inbox", id));
            }
        }
        for source in [Source::Whatsapp, Source::Instagram] {
            if !inboxes.iter().any(|i| i.source() == Some(source)) && !map.values().any(|s| *s == source) {
                found.fail(Note::new(NoteCode::CheckNoChannelInbox).with("channel", source.label()));
            }
        }
        Ok(())
    }

    /// Where Chatwoot must deliver this org's webhooks.
    fn webhook_url(&self, found: &mut Findings) -> Option<String> {
        let Some(base) = self.svc.config.public_url.as_deref() else {
            found.fail(Note::new(NoteCode::CheckPublicUrlMissing));
            return None;
        };
        let url = format!("{}/webhooks/chatwoot/{}", base.trim_end_matches('/'), self.org.slug);
        if is_private(&url) {
            found.warn(Note::new(NoteCode::CheckPublicUrlPrivate).with("url", &url));
        }
        Some(url)
    }

    /// Finds or registers the account webhook pointing at Ponte, takes its secret into the
    /// org's config (sealed), then sends a signed probe through the public URL and reads it
    /// back stored as a probe (an event Ponte ignores, never processed as a message).
    async fn chatwoot_webhook(&self, actor: &Actor, found: &mut Findings) -> Result<(), DomainError> {
        let Some((cw, mut row)) = self.chatwoot(found).await? else { return Ok(()) };
        let Some(url) = self.webhook_url(found) else { return Ok(()) };
        if row.auth_mode == AuthMode::UrlToken {
            // The token is shown once and only its hash is kept: Ponte cannot write that URL
            // into Chatwoot, only find it.
            return self.url_token_webhook(&cw, &url, found).await;
        }
        let before = match cw.webhooks().await {
            Ok(w) => w,
            Err(e) => {
                found.chatwoot(self.org, e);
                return Ok(());
            }
        };
        let existing = before.iter().find(|w| w.url == url).cloned();
        let hook = match cw.ensure_webhook(&url, &SUBSCRIPTIONS).await {
            Ok(h) => h,
            Err(e) => {
                found.chatwoot(self.org, e);
                return Ok(());
            }
        };
        let code = match &existing {
            None => NoteCode::CheckWebhookRegistered,
            Some(w) if w.subscriptions != hook.subscriptions => NoteCode::CheckWebhookUpdated,
            Some(_) => NoteCode::CheckWebhookFound,
        };
        found.ok(Note::new(code).with("webhook", hook.id).with("url", &url));
        let Some(secret) = hook.secret.clone().filter(|s| !s.is_empty()) else {
            found.fail(Note::new(NoteCode::CheckWebhookNoSecret));
            return Ok(());
        };
        let current = row.webhook_secret_enc.as_deref().map(|s| self.svc.secrets.decrypt(s)).transpose()?;
        if current.as_deref() != Some(secret.as_str()) {
            row.webhook_secret_enc = Some(self.svc.secrets.encrypt(&secret)?);
            row.updated_at = self.svc.now();
            store::webhooks::put_config(&self.svc.db, &row).await?;
            self.svc.ingest.auth_cache.clear();
            store::audit::record(
                &self.svc.db,
                &actor.0,
                "chatwoot.webhook_secret",
                Some(self.org.id),
                &serde_json::json!({"webhook": hook.id, "source": "check"}),
                self.svc.now(),
            )
            .await?;
            found.ok(Note::new(NoteCode::CheckSecretSaved));
        }
        self.probe(&url, &secret, row.account_id, found).await
    }

    async fn url_token_webhook(&self, cw: &Chatwoot<'_>, url: &str, found: &mut Findings) -> Result<(), DomainError> {
        match cw.webhooks().await {
            Ok(hooks) => match hooks.iter().find(|w| w.url.starts_with(&format!("{url}/"))) {
                Some(w) => {
                    found.ok(Note::new(NoteCode::CheckWebhookFound).with("webhook", w.id).with("url", url));
                    found.warn(Note::new(NoteCode::CheckUrlTokenMode));
                }
                None => found.fail(Note::new(NoteCode::CheckWebhookMissing).with("url", format!("{url}/…"))),
            },
            Err(e) => found.chatwoot(self.org, e),
        }
        Ok(())
    }

    /// Posts a signed `ponte_probe` to the public URL, as Chatwoot would, and reads it back.
    async fn probe(
        &self,
        url: &str,
        secret: &str,
        account: Option<ChatwootAccountId>,
        found: &mut Findings,
    ) -> Result<(), DomainError> {
        let probe_id = crate::domain::auth::random_token()[..16].to_string();
        let body =
            serde_json::json!({"event": PROBE_EVENT, "probe_id": probe_id, "account": {"id": account}}).to_string();
        let delivery = format!("ponte-probe-{probe_id}");
        let stored = match deliver_signed(self.svc, self.org, url, secret, &delivery, body, self.trace).await? {
            Delivered::Unreachable => {
                found.fail(Note::new(NoteCode::CheckProbeUnreachable).with("url", url));
                return Ok(());
            }
            Delivered::Refused { status, reason } => {
                found.fail(Note::new(NoteCode::CheckProbeRefused).with("status", status).with("reason", reason));
                return Ok(());
            }
            Delivered::Accepted(event) => event,
        };
        match stored {
            Some(e) if e.event == PROBE_EVENT && e.status == EventStatus::Ignored => {
                found.ok(Note::new(NoteCode::CheckProbeStored).with("event", e.id))
            }
            _ => found.fail(Note::new(NoteCode::CheckProbeNotStored)),
        }
        Ok(())
    }

    /// The default board has every stage of the stage template.
    async fn board_stages(&self, found: &mut Findings) -> Result<(), DomainError> {
        let boards = store::orgs::boards_of(&self.svc.db, self.org.id).await?;
        let Some(board) = boards.iter().find(|b| b.is_default) else {
            found.fail(Note::new(NoteCode::NoDefaultBoard));
            return Ok(());
        };
        let stages = store::orgs::stages_of_board(&self.svc.db, board.id).await?;
        found.ok(Note::new(NoteCode::CheckBoard)
            .with("board", &board.name)
            .with("key", &board.key)
            .with("count", stages.len()));
        for label in orgs::stage_template(self.svc).await? {
            let Ok(key) = Key::from_label(&label) else { continue };
            if !stages.iter().any(|s| s.key == key.as_str()) {
                found.fail(Note::new(NoteCode::CheckStageMissing).with("stage", &label));
            }
        }
        Ok(())
    }

    async fn n8n(&self, found: &mut Findings) -> Result<Option<(N8n<'a>, store::n8n::N8nRow)>, DomainError> {
        let Some(row) = store::n8n::get(&self.svc.db, self.org.id).await? else {
            found.fail(Note::new(NoteCode::CheckN8nNotConfigured));
            return Ok(None);
        };
        let client = match automation::n8n_client(self.svc, &row) {
            Ok(c) => c.with_trace(self.trace),
            Err(_) => {
                found.fail(Note::new(NoteCode::N8nKeyUnreadable));
                return Ok(None);
            }
        };
        Ok(Some((client, row)))
    }

    /// The org's n8n API key works and its workflows can be listed.
    async fn n8n_credentials(&self, found: &mut Findings) -> Result<(), DomainError> {
        let Some((n8n, _)) = self.n8n(found).await? else { return Ok(()) };
        match n8n.check().await {
            Ok(()) => found.ok(Note::new(NoteCode::CheckN8nOk)),
            Err(e) => {
                tracing::warn!(org = %self.org.slug, error = %e, "n8n check failed");
                found.fail(e.note());
            }
        }
        Ok(())
    }

    /// An Instagram inbox is mapped, and the account webhook to Ponte carries its messages.
    async fn instagram_channel(&self, found: &mut Findings) -> Result<(), DomainError> {
        let Some((cw, row)) = self.chatwoot(found).await? else { return Ok(()) };
        let map: BTreeMap<String, Source> = serde_json::from_str(&row.inbox_sources).unwrap_or_default();
        let inboxes = match cw.inboxes().await {
            Ok(i) => i,
            Err(e) => {
                found.chatwoot(self.org, e);
                return Ok(());
            }
        };
        let mapped: Vec<&Inbox> = inboxes
            .iter()
            .filter(|i| map.get(&i.id.to_string()) == Some(&Source::Instagram) && i.source() == Some(Source::Instagram))
            .collect();
        if mapped.is_empty() {
            found.fail(Note::new(NoteCode::CheckNoInstagramMapped));
        }
        for inbox in mapped {
            found.ok(inbox_note(NoteCode::CheckInboxMapped, inbox).with("source", "Instagram"));
        }
        let Some(url) = self.webhook_url(found) else { return Ok(()) };
        let hooks: Vec<Webhook> = match cw.webhooks().await {
            Ok(h) => h,
            Err(e) => {
                found.chatwoot(self.org, e);
                return Ok(());
            }
        };
        let ours = hooks.iter().find(|w| w.url == url || w.url.starts_with(&format!("{url}/")));
        match ours {
            None => found.fail(Note::new(NoteCode::CheckWebhookMissing).with("url", &url)),
            Some(w) => {
                let missing: Vec<&str> =
                    SUBSCRIPTIONS.iter().copied().filter(|s| !w.subscriptions.iter().any(|have| have == s)).collect();
                if missing.is_empty() {
                    found.ok(Note::new(NoteCode::CheckWebhookSubscribed).with("webhook", w.id));
                } else {
                    found.fail(
                        Note::new(NoteCode::CheckWebhookNotSubscribed)
                            .with("webhook", w.id)
                            .with("events", missing.join(", ")),
                    );
                }
            }
        }
        Ok(())
    }

    /// The v2 workflow is installed and active in n8n (and Ponte hands events to it).
    async fn v2_workflow(&self, found: &mut Findings) -> Result<(), DomainError> {
        let Some((n8n, row)) = self.n8n(found).await? else { return Ok(()) };
        let Some(id) = row.v2_workflow_id.as_deref() else {
            found.fail(Note::new(NoteCode::CheckV2NotInstalled));
            return Ok(());
        };
        match n8n.workflow(id).await {
            Ok(w) if w.active => {
                found.ok(Note::new(NoteCode::CheckV2Active).with("workflow", id).with("name", &w.name))
            }
            Ok(w) => found.fail(Note::new(NoteCode::CheckV2Inactive).with("workflow", id).with("name", &w.name)),
            Err(e) => {
                tracing::warn!(org = %self.org.slug, error = %e, "n8n check failed");
                found.fail(e.note());
            }
        }
        let mode = store::automation::get(&self.svc.db, self.org.id).await?.map(|a| a.mode);
        if mode != Some(AutomationMode::V2) {
            found.warn(Note::new(NoteCode::CheckModeNotV2).with("mode", mode.unwrap_or_default()));
        }
        Ok(())
    }
}

/// The plan's first-day limits: at most this share (per mille) of failures per metric.
const FIRST_DAY_LIMIT_PER_MILLE: i64 = 10;
const DAY_MS: i64 = 24 * 3600 * 1000;

impl Ctx<'_> {
    /// The first 24 h after activation, from what Ponte recorded of real traffic (smoke tests
    /// not counted), each metric against the plan's 1 % limit.
    async fn first_day_metrics(&self, found: &mut Findings) -> Result<(), DomainError> {
        let Some(since) = self.org.activated_at else {
            found.fail(Note::new(NoteCode::CheckNotLiveYet));
            return Ok(());
        };
        let now = self.svc.now();
        if now < since + DAY_MS {
            let hours = (since + DAY_MS - now).div_euclid(3_600_000) + 1;
            found.fail(Note::new(NoteCode::CheckFirstDayOpen).with("hours", hours));
        }
        let t = store::onboarding::traffic(&self.svc.db, self.org.id, since, since + DAY_MS).await?;
        if t.webhooks == 0 {
            found.warn(Note::new(NoteCode::CheckNoTraffic));
        }
        for (code, failures, total) in [
            (NoteCode::CheckFirstDayWebhooks, t.failed_events, t.webhooks),
            (NoteCode::CheckFirstDayConflicts, t.conflicts, t.identity_attempts),
            (NoteCode::CheckFirstDayHandoffs, t.handoff_failures, t.handoffs),
            (NoteCode::CheckFirstDayTools, t.tool_failures, t.tool_calls),
        ] {
            let note = Note::new(code)
                .with("failures", failures)
                .with("total", total)
                .with("rate", format!("{:.1}", if total == 0 { 0.0 } else { failures as f64 * 100.0 / total as f64 }));
            if failures * 1000 > total * FIRST_DAY_LIMIT_PER_MILLE {
                found.fail(note);
            } else {
                found.ok(note);
            }
        }
        Ok(())
    }
}

/// The event name of a check's probe: stored like any delivery, ignored by processing.
pub const PROBE_EVENT: &str = "ponte_probe";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_told_from_public_ones() {
        for url in [
            "http://127.0.0.1:3000/w",
            "http://localhost/w",
            "http://10.1.2.3/w",
            "http://192.168.0.9/w",
            "http://172.20.0.1/w",
            "http://169.254.1.1/w",
            "http://100.100.1.1/w",
            "http://[::1]/w",
            "http://[fd00::1]/w",
            "http://[fe80::1]/w",
            "http://ponte/w",
            "https://ponte.internal/w",
            "https://crm.local/w",
        ] {
            assert!(is_private(url), "{url} is private");
        }
        for url in
            ["https://ponte.example.com.br/w", "http://200.160.2.3/w", "http://[2001:db8::1]/w", "http://100.128.0.1/w"]
        {
            assert!(!is_private(url), "{url} is public");
        }
    }

    #[test]
    fn a_run_without_findings_or_with_a_failure_does_not_pass() {
        let mut f = Findings::default();
        assert_eq!(f.verdict(), Verdict::Failed, "nothing found is not a pass");
        f.ok(Note::new(NoteCode::CheckN8nOk));
        f.warn(Note::new(NoteCode::CheckUrlTokenMode));
        assert_eq!(f.verdict(), Verdict::Passed, "a warning alone does not fail");
        f.fail(Note::new(NoteCode::CheckN8nNotConfigured));
        assert_eq!(f.verdict(), Verdict::Failed);
    }
}
