//! The T0 smoke tests, through the real pipeline: a WhatsApp message, a first Instagram DM
//! and a stage move by `deal_id`. A message takes a customer's path (the org's public
//! webhook URL, its signature, the queue, identity, contact, deal, conversation, the
//! hand-off to the org's active n8n workflow, whose execution is read back from n8n's
//! API); the stage move calls `POST /api/v1/tools/stage-move` at the public URL with an
//! org token made for the run and revoked after it. Each test is recorded as its item's
//! run: every step with its time and the ids it produced, a failure with the runbook step
//! that fits. Test identities are synthetic (kept out of metrics and samples) and their
//! deals are closed at the end.

use super::checks::{check_client, deliver_signed, record, Delivered, Findings};
use crate::domain::automation::{self, n8n::N8n};
use crate::domain::chatwoot::payload::{SMOKE_IDENTIFIER_PREFIX, SMOKE_MARK};
use crate::domain::error::DomainError;
use crate::domain::store::{self, orgs::OrgRow, queue::StepRow, webhooks::EventRow};
use crate::domain::trace::Trace;
use crate::domain::{auth, orgs, tools, Actor, Services};
use crate::model::*;
use rand::Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Between two looks at what it waits for.
const POLL: Duration = Duration::from_millis(20);

/// What a message test produced, for the stage-move test and the clean-up.
#[derive(Clone, Copy)]
pub(super) struct Produced {
    pub deal: Option<DealId>,
}

/// Everything the three tests read of the org once (the live mode's too).
pub(super) struct Setup<'a> {
    svc: &'a Services,
    org: &'a OrgRow,
    run: String,
    mode: SmokeMode,
    public_url: Option<String>,
    secret: Option<String>,
    auth_mode: AuthMode,
    account: Option<ChatwootAccountId>,
    inboxes: BTreeMap<String, Source>,
    chatwoot: Option<(String, String)>,
    n8n: Option<store::n8n::N8nRow>,
    mode_v2: bool,
}

impl<'a> Setup<'a> {
    pub(super) async fn load(svc: &'a Services, org: &'a OrgRow, mode: SmokeMode) -> Result<Setup<'a>, DomainError> {
        let cfg = store::webhooks::config(&svc.db, org.id).await?;
        let secret = match cfg.as_ref().and_then(|c| c.webhook_secret_enc.as_deref()) {
            Some(s) => Some(svc.secrets.decrypt(s)?),
            None => None,
        };
        let chatwoot = match cfg.as_ref().map(|c| (&c.base_url, &c.api_token_enc)) {
            Some((Some(base), Some(token))) => Some((base.clone(), svc.secrets.decrypt(token)?)),
            _ => None,
        };
        let automation = store::automation::get(&svc.db, org.id).await?;
        Ok(Setup {
            svc,
            org,
            run: auth::random_token()[..12].to_string(),
            mode,
            public_url: svc.config.public_url.clone(),
            secret,
            auth_mode: cfg.as_ref().map(|c| c.auth_mode).unwrap_or_default(),
            account: cfg.as_ref().and_then(|c| c.account_id),
            inboxes: cfg.as_ref().and_then(|c| serde_json::from_str(&c.inbox_sources).ok()).unwrap_or_default(),
            chatwoot,
            n8n: store::n8n::get(&svc.db, org.id).await?,
            mode_v2: automation.as_ref().is_some_and(|a| a.mode == AutomationMode::V2),
        })
    }

    /// The org's inbox map (Chatwoot inbox id → channel).
    pub(super) fn inboxes(&self) -> &BTreeMap<String, Source> {
        &self.inboxes
    }
}

pub async fn run_smoke(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    input: &SmokeInput,
) -> Result<Vec<CheckRunDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let mode = match input.mode.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        None => SmokeMode::Synthetic,
        Some(m) => m.parse::<SmokeMode>().map_err(|c| DomainError::field("mode", c))?,
    };
    let stage = match input.stage.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(parse_text(s, NAME_MAX).map_err(|c| DomainError::field("stage", c))?),
    };
    let setup = Setup::load(svc, &org, mode).await?;
    let mut runs = Vec::new();
    let mut deals = Vec::new();
    let mut first_deal = None;
    for (key, source) in [(ItemKey::SmokeWhatsapp, Source::Whatsapp), (ItemKey::SmokeInstagram, Source::Instagram)] {
        let (started_at, clock, trace) = (svc.now(), Instant::now(), Trace::default());
        let mut found = Findings::default();
        let produced = setup.message_test(source, &trace, &mut found).await?;
        if let Some(deal) = produced.and_then(|p| p.deal) {
            deals.push(deal);
            first_deal.get_or_insert(deal);
        }
        runs.push(record(svc, actor, &org, key, started_at, clock, found, trace.take()).await?);
    }
    let (started_at, clock, trace) = (svc.now(), Instant::now(), Trace::default());
    let mut found = Findings::default();
    setup.stage_move_test(actor, first_deal, stage.as_deref(), &trace, &mut found).await?;
    let closed = store::onboarding::close_synthetic_deals(&svc.db, org.id, &deals, svc.now()).await?;
    if closed > 0 {
        found.ok(Note::new(NoteCode::SmokeDealsClosed).with("count", closed));
    }
    runs.push(record(svc, actor, &org, ItemKey::SmokeStageMove, started_at, clock, found, trace.take()).await?);
    Ok(runs)
}

pub(super) fn runbook(found: &mut Findings, code: NoteCode) {
    found.fail(Note::new(code));
}

fn ms(since: Instant) -> i64 {
    since.elapsed().as_millis() as i64
}

/// The latest attempt's steps of one event.
fn last_attempt(steps: Vec<StepRow>) -> Vec<StepRow> {
    let last = steps.iter().map(|s| s.attempt).max().unwrap_or(0);
    steps.into_iter().filter(|s| s.attempt == last).collect()
}

fn param(step: Option<&StepRow>, name: &str) -> Option<String> {
    step.and_then(|s| s.detail.as_ref()).and_then(|n| n.params.get(name).cloned())
}

impl Setup<'_> {
    /// One message test: sent, processed, handed off, executed in n8n.
    async fn message_test(
        &self,
        source: Source,
        trace: &Trace,
        found: &mut Findings,
    ) -> Result<Option<Produced>, DomainError> {
        let Some(url) = self.public_url.as_deref().map(|b| format!("{}/webhooks/chatwoot/{}", b, self.org.slug)) else {
            found.fail(Note::new(NoteCode::CheckPublicUrlMissing));
            return Ok(None);
        };
        let Some(inbox) = self.inboxes.iter().find(|(_, s)| **s == source).map(|(id, _)| id.clone()) else {
            found.fail(Note::new(NoteCode::SmokeNoInbox).with("channel", source.label()));
            return Ok(None);
        };
        // The executions n8n already has: this test's is a new one (a time window alone took
        // the previous test's execution when both started within the same second).
        let before = self.execution_ids().await;
        let clock = Instant::now();
        let api_inbox = match self.mode {
            SmokeMode::Synthetic => None,
            SmokeMode::ChatwootApi => {
                let found_inbox = self.api_inbox(source, trace, found).await;
                if found_inbox.is_none() {
                    found.warn(Note::new(NoteCode::SmokeNoApiInbox).with("channel", source.label()));
                }
                found_inbox
            }
        };
        let event = match api_inbox {
            None => self.send_synthetic(source, &inbox, &url, trace, found).await?,
            Some(api) => self.send_through_chatwoot(&api, trace, found).await?,
        };
        let Some(event) = event else {
            runbook(found, NoteCode::RunbookNoWebhook);
            return Ok(None);
        };
        self.follow(event, clock, &before, trace, found).await
    }

    /// A message's event from the queue on: processed, identity, deal, hand-off and the
    /// n8n execution it started (one that was not among `before`). `clock` runs from when
    /// the message was sent (or seen, in live mode).
    pub(super) async fn follow(
        &self,
        event: EventRow,
        clock: Instant,
        before: &std::collections::HashSet<String>,
        trace: &Trace,
        found: &mut Findings,
    ) -> Result<Option<Produced>, DomainError> {
        // Processing: wait until the event settles, then read its steps.
        let settled = self.settled(event.id).await?;
        let Some(row) = settled.filter(|r| !matches!(r.status, EventStatus::Pending | EventStatus::Processing)) else {
            found.fail(
                Note::new(NoteCode::SmokeNotProcessed)
                    .with("event", event.id)
                    .with("ms", self.svc.config.smoke_wait.as_millis()),
            );
            runbook(found, NoteCode::RunbookNoIdentity);
            return Ok(None);
        };
        found.ok(Note::new(NoteCode::SmokeProcessed).with("event", row.id).with("ms", ms(clock)));
        let steps = last_attempt(store::queue::steps_of(&self.svc.db, &[row.id]).await?);
        let step = |kind: PipelineStep| steps.iter().find(|s| s.step == kind);
        let ok =
            |s: Option<&StepRow>| s.is_some_and(|s| !matches!(s.outcome, StepOutcome::Failed | StepOutcome::Skipped));
        let identity = step(PipelineStep::Identity);
        // No board for deals stops an event before its identity is resolved.
        if let Some(failed) =
            step(PipelineStep::Deal).filter(|s| identity.is_none() && s.outcome == StepOutcome::Failed)
        {
            if let Some(note) = failed.detail.clone() {
                found.fail(note);
            }
            found.fail(Note::new(NoteCode::SmokeNoDeal).with("event", row.id));
            runbook(found, NoteCode::RunbookNoDeal);
            return Ok(None);
        }
        if !ok(identity) {
            if let Some(note) = step(PipelineStep::Classify).and_then(|s| s.detail.clone()) {
                found.fail(note);
            }
            found.fail(Note::new(NoteCode::SmokeNoIdentity).with("event", row.id));
            runbook(found, NoteCode::RunbookNoIdentity);
            return Ok(None);
        }
        found.ok(Note::new(NoteCode::SmokeIdentity)
            .with("contact", param(identity, "contact").unwrap_or_default())
            .with("session", param(identity, "session").unwrap_or_default()));
        let deal_step = step(PipelineStep::Deal);
        let deal = param(deal_step, "deal").and_then(|d| d.parse().ok()).map(DealId);
        let Some(deal) = deal.filter(|_| ok(deal_step)) else {
            if let Some(note) = deal_step.and_then(|s| s.detail.clone()) {
                found.fail(note);
            }
            found.fail(Note::new(NoteCode::SmokeNoDeal).with("event", row.id));
            runbook(found, NoteCode::RunbookNoDeal);
            return Ok(None);
        };
        found.ok(Note::new(NoteCode::SmokeDeal)
            .with("deal", deal)
            .with("stage", param(deal_step, "stage").unwrap_or_default()));
        let produced = Some(Produced { deal: Some(deal) });
        let forward = step(PipelineStep::Forward);
        match forward {
            Some(s) if s.outcome == StepOutcome::Forwarded => found.ok(Note::new(NoteCode::SmokeForwarded)
                .with("target", param(forward, "target").unwrap_or_default())
                .with("ms", s.duration_us / 1000)),
            _ => {
                if let Some(note) = forward.and_then(|s| s.detail.clone()) {
                    found.fail(note);
                }
                found.fail(Note::new(NoteCode::SmokeNotForwarded));
                runbook(found, NoteCode::RunbookNoForward);
                return Ok(produced);
            }
        }
        let forwarded_at = forward.map(|s| s.at).unwrap_or_else(|| self.svc.now());
        self.n8n_execution(forwarded_at, before, trace, found).await?;
        Ok(produced)
    }

    /// The ids of the v2 workflow's latest executions, before a test sends its message. Not
    /// traced: the run's calls start with the delivery, as a customer's message does.
    pub(super) async fn execution_ids(&self) -> std::collections::HashSet<String> {
        let (Some(row), true) = (&self.n8n, self.mode_v2) else { return Default::default() };
        let Some(workflow) = row.v2_workflow_id.as_deref() else { return Default::default() };
        let Ok(n8n) = automation::n8n_client(self.svc, row) else { return Default::default() };
        match n8n.executions(workflow, 20).await {
            Ok(list) => list.into_iter().map(|e| e.id).collect(),
            Err(e) => {
                tracing::info!(org = %self.org.slug, error = %e, "n8n executions could not be read before a smoke test");
                Default::default()
            }
        }
    }

    /// Signs a payload shaped like the org's inbox and posts it to the public URL.
    async fn send_synthetic(
        &self,
        source: Source,
        inbox: &str,
        url: &str,
        trace: &Trace,
        found: &mut Findings,
    ) -> Result<Option<EventRow>, DomainError> {
        let Some(secret) = self.secret.as_deref().filter(|_| self.auth_mode == AuthMode::Signature) else {
            found.fail(Note::new(NoteCode::SmokeNeedsSignature));
            return Ok(None);
        };
        let external_id = self.fresh_identity(source).await?;
        let body = self.payload(source, inbox, &external_id).to_string();
        let clock = Instant::now();
        let delivery = format!("ponte-smoke-{}-{}", self.run, source.as_str());
        match deliver_signed(self.svc, self.org, url, secret, &delivery, body, trace).await? {
            Delivered::Unreachable => {
                found.fail(Note::new(NoteCode::CheckProbeUnreachable).with("url", url));
                Ok(None)
            }
            Delivered::Refused { status, reason } => {
                found.fail(Note::new(NoteCode::SmokeWebhookRefused).with("status", status).with("reason", reason));
                Ok(None)
            }
            Delivered::Accepted(event) => {
                if let Some(e) = &event {
                    found.ok(Note::new(NoteCode::SmokeWebhookAccepted).with("event", e.id).with("ms", ms(clock)));
                }
                Ok(event)
            }
        }
    }

    /// The org's API-channel inbox mapped to `source`, if it has one.
    async fn api_inbox(&self, source: Source, trace: &Trace, found: &mut Findings) -> Option<String> {
        let ((base, token), account) = (self.chatwoot.as_ref()?, self.account?);
        let cw = check_client(self.svc, base, account, token, trace);
        match cw.inboxes().await {
            Ok(list) => list
                .into_iter()
                .filter(|i| i.channel_type.as_deref() == Some("Channel::Api"))
                .map(|i| i.id.to_string())
                .find(|id| self.inboxes.get(id) == Some(&source)),
            Err(e) => {
                tracing::warn!(org = %self.org.slug, error = %e, "inboxes unreadable for the smoke test");
                found.fail(e.note());
                None
            }
        }
    }

    /// Creates a contact, a conversation and an incoming message in the org's API-channel
    /// inbox through Chatwoot's API, then waits for Chatwoot's own webhook to arrive.
    async fn send_through_chatwoot(
        &self,
        inbox: &str,
        trace: &Trace,
        found: &mut Findings,
    ) -> Result<Option<EventRow>, DomainError> {
        let (Some((base, token)), Some(account)) = (&self.chatwoot, self.account) else {
            found.fail(Note::new(NoteCode::CheckChatwootNotConfigured).with("missing", "URL, conta, token de API"));
            return Ok(None);
        };
        let cw = check_client(self.svc, base, account, token, trace);
        let inbox_id: i64 = inbox.parse().unwrap_or_default();
        let identifier = format!("{SMOKE_IDENTIFIER_PREFIX}{}", self.run);
        let clock = Instant::now();
        let made = async {
            let (contact, source_id) = cw.create_contact(inbox_id, "Teste do Ponte", &identifier).await?;
            let conversation = cw.create_conversation(inbox_id, contact, &source_id).await?;
            let message =
                cw.create_incoming_message(conversation, &format!("Teste de fumaça do Ponte ({})", self.run)).await?;
            Ok::<_, crate::domain::chatwoot::api::ChatwootError>((conversation, message))
        }
        .await;
        let (conversation, message) = match made {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(org = %self.org.slug, error = %e, "smoke message through Chatwoot failed");
                found.fail(e.note());
                return Ok(None);
            }
        };
        found.ok(Note::new(NoteCode::SmokeChatwootMessage)
            .with("message", message.id)
            .with("conversation", conversation)
            .with("ms", ms(clock)));
        let key = format!("message_created:{}", message.id);
        let started = Instant::now();
        loop {
            if let Some(e) = store::webhooks::event_by_dedupe(&self.svc.db, self.org.id, &key).await? {
                found.ok(Note::new(NoteCode::SmokeWebhookAccepted).with("event", e.id).with("ms", ms(clock)));
                return Ok(Some(e));
            }
            if started.elapsed() > self.svc.config.smoke_wait {
                found.fail(Note::new(NoteCode::SmokeNoWebhook).with("ms", self.svc.config.smoke_wait.as_millis()));
                return Ok(None);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The event once it left the queue (or as it is when the wait runs out).
    async fn settled(&self, id: EventId) -> Result<Option<EventRow>, DomainError> {
        let started = Instant::now();
        loop {
            let row = store::webhooks::event(&self.svc.db, self.org.id, id).await?;
            let waiting =
                row.as_ref().is_some_and(|r| matches!(r.status, EventStatus::Pending | EventStatus::Processing));
            if !waiting || started.elapsed() > self.svc.config.smoke_wait {
                return Ok(row);
            }
            self.svc.ingest.queue_signal.notify_one();
            tokio::time::sleep(POLL).await;
        }
    }

    /// The v2 workflow's execution that started after the hand-off, read from n8n's API.
    async fn n8n_execution(
        &self,
        forwarded_at: i64,
        before: &std::collections::HashSet<String>,
        trace: &Trace,
        found: &mut Findings,
    ) -> Result<(), DomainError> {
        let (Some(row), true) = (&self.n8n, self.mode_v2) else {
            found.warn(Note::new(NoteCode::SmokeNoN8nToWatch));
            return Ok(());
        };
        let Some(workflow) = row.v2_workflow_id.as_deref() else {
            found.warn(Note::new(NoteCode::SmokeNoN8nToWatch));
            return Ok(());
        };
        let n8n: N8n<'_> = automation::n8n_client(self.svc, row)?.with_trace(trace);
        let started = Instant::now();
        loop {
            match n8n.executions(workflow, 5).await {
                Ok(list) => {
                    // The oldest execution n8n did not have before the message was sent, that
                    // started after the hand-off (n8n's clock and Ponte's may differ a little:
                    // a second of slack). The list is newest first.
                    let ours = list
                        .iter()
                        .rev()
                        .find(|e| !before.contains(&e.id) && e.started_at.is_some_and(|t| t >= forwarded_at - 1_000));
                    match ours {
                        Some(e) if e.status == "success" => {
                            let took = e.stopped_at.zip(e.started_at).map(|(b, a)| b - a).unwrap_or_default();
                            found.ok(Note::new(NoteCode::SmokeN8nExecution).with("execution", &e.id).with("ms", took));
                            return Ok(());
                        }
                        Some(e) if matches!(e.status.as_str(), "error" | "crashed" | "canceled") => {
                            found.fail(
                                Note::new(NoteCode::SmokeN8nExecutionFailed)
                                    .with("execution", &e.id)
                                    .with("status", &e.status),
                            );
                            runbook(found, NoteCode::RunbookStageNotMoved);
                            return Ok(());
                        }
                        _ => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(org = %self.org.slug, error = %e, "n8n executions could not be read");
                    found.fail(e.note());
                    return Ok(());
                }
            }
            if started.elapsed() > self.svc.config.smoke_wait {
                found.fail(Note::new(NoteCode::SmokeN8nNoExecution).with("ms", self.svc.config.smoke_wait.as_millis()));
                runbook(found, NoteCode::RunbookNoForward);
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The third test: the deal of the first test moved through the tools API at the public
    /// URL, with an org token made for this run (revoked after it).
    pub(super) async fn stage_move_test(
        &self,
        actor: &Actor,
        deal: Option<DealId>,
        stage: Option<&str>,
        trace: &Trace,
        found: &mut Findings,
    ) -> Result<(), DomainError> {
        let Some(deal) = deal else {
            found.fail(Note::new(NoteCode::SmokeSkippedNoDeal));
            return Ok(());
        };
        let Some(base) = self.public_url.as_deref() else {
            found.fail(Note::new(NoteCode::CheckPublicUrlMissing));
            return Ok(());
        };
        let before = store::tools::deal_state(&self.svc.db, self.org.id, deal).await?;
        let Some(before) = before else {
            found.fail(Note::new(NoteCode::SmokeSkippedNoDeal));
            return Ok(());
        };
        let stages = store::tools::stages_of_board(&self.svc.db, before.board_id).await?;
        let label_of = |id: StageId| stages.iter().find(|s| s.id == id).map(|s| s.label.clone()).unwrap_or_default();
        let target = match stage {
            Some(s) => s.to_string(),
            None => {
                let third = stages.get(2).or(stages.last());
                let pick = match third {
                    Some(t) if t.id != before.stage_id => Some(t),
                    _ => stages.get(1).filter(|s| s.id != before.stage_id).or(stages.first()),
                };
                pick.map(|s| s.key.clone()).unwrap_or_default()
            }
        };
        let token = tools::create_token(
            self.svc,
            actor,
            &self.org.slug,
            &NewOrgToken { name: format!("teste de fumaça {}", self.run) },
        )
        .await?;
        let clock = Instant::now();
        let sent = self
            .svc
            .http
            .post(format!("{base}/api/v1/tools/stage-move"))
            .bearer_auth(&token.token)
            .header("idempotency-key", format!("ponte-smoke-{}", self.run))
            .json(&json!({"deal_id": deal, "stage": target}))
            .timeout(self.svc.config.check_timeout)
            .send()
            .await;
        let answer = match sent {
            Ok(r) => {
                let status = r.status().as_u16();
                trace.record("ponte", "POST", "/api/v1/tools/stage-move", Some(status), clock);
                Some((status, r.json::<Value>().await.unwrap_or_default()))
            }
            Err(e) => {
                trace.record("ponte", "POST", "/api/v1/tools/stage-move", None, clock);
                tracing::warn!(org = %self.org.slug, error = %e.without_url(), "smoke stage move did not reach the public URL");
                None
            }
        };
        // The token lives for this run only.
        tools::revoke_token(self.svc, actor, &self.org.slug, token.info.id).await?;
        let after = store::tools::deal_state(&self.svc.db, self.org.id, deal).await?;
        match answer {
            Some((200, _)) if after.as_ref().is_some_and(|a| a.stage_id != before.stage_id) => {
                let to = after.map(|a| label_of(a.stage_id)).unwrap_or_default();
                found.ok(Note::new(NoteCode::SmokeStageMoved)
                    .with("deal", deal)
                    .with("from", label_of(before.stage_id))
                    .with("to", to)
                    .with("ms", ms(clock)));
            }
            Some((status, body)) => {
                let mut reason = body["error"]["message"].as_str().unwrap_or("").to_string();
                if let Some(valid) = body["error"]["details"]["valid_stages"].as_array() {
                    let names: Vec<&str> = valid.iter().filter_map(|v| v["key"].as_str().or(v.as_str())).collect();
                    reason = format!("{reason} ({})", names.join(", "));
                }
                if status == 200 {
                    reason = "moved: false".into();
                }
                found.fail(Note::new(NoteCode::SmokeStageNotMoved).with("status", status).with("reason", reason));
                runbook(found, NoteCode::RunbookStageNotMoved);
            }
            None => {
                found.fail(Note::new(NoteCode::CheckProbeUnreachable).with("url", base));
                runbook(found, NoteCode::RunbookStageNotMoved);
            }
        }
        Ok(())
    }

    /// A channel id no one of the org has: a number of the 11 9 0000-xxxx block (WhatsApp) or
    /// a made-up scoped id (Instagram), checked against the org's identities.
    async fn fresh_identity(&self, source: Source) -> Result<String, DomainError> {
        for _ in 0..20 {
            let candidate = {
                let mut rng = rand::thread_rng();
                match source {
                    Source::Whatsapp => format!("55119000{:05}", rng.gen_range(0..100_000)),
                    Source::Instagram => format!("99{:015}", rng.gen_range(0..1_000_000_000_000_000u64)),
                }
            };
            if !store::onboarding::identity_taken(&self.svc.db, self.org.id, source, &candidate).await? {
                return Ok(candidate);
            }
        }
        Err(DomainError::Internal("no free synthetic identity after 20 tries".into()))
    }

    /// `message_created` as Chatwoot sends it for the org's inbox, marked as a smoke test.
    fn payload(&self, source: Source, inbox: &str, external_id: &str) -> Value {
        let (conversation, message, contact) = {
            let mut rng = rand::thread_rng();
            (
                rng.gen_range(900_000_000..999_999_999i64),
                rng.gen_range(9_000_000_000..9_999_999_999i64),
                rng.gen_range(900_000_000..999_999_999i64),
            )
        };
        let inbox_id: i64 = inbox.parse().unwrap_or_default();
        let channel = match source {
            Source::Whatsapp => "Channel::Whatsapp",
            Source::Instagram => "Channel::Instagram",
        };
        let sender = match source {
            Source::Whatsapp => {
                json!({"id": contact, "name": "Teste do Ponte", "phone_number": format!("+{external_id}"),
                "identifier": format!("{SMOKE_IDENTIFIER_PREFIX}{}", self.run), "type": "contact"})
            }
            Source::Instagram => {
                json!({"id": contact, "name": "teste.ponte", "identifier": format!("{SMOKE_IDENTIFIER_PREFIX}{}", self.run),
                "additional_attributes": {"social_instagram_user_name": "teste.ponte"}, "type": "contact"})
            }
        };
        json!({
            "event": "message_created",
            "id": message,
            "content": format!("Teste de fumaça do Ponte ({})", self.run),
            "content_type": "text",
            "content_attributes": {},
            "message_type": "incoming",
            "private": false,
            "created_at": chrono::DateTime::from_timestamp_millis(self.svc.now()).map(|t| t.to_rfc3339()),
            "account": {"id": self.account, "name": self.org.name},
            "inbox": {"id": inbox_id},
            "sender": sender,
            "conversation": {
                "id": conversation,
                "inbox_id": inbox_id,
                "channel": channel,
                "status": "open",
                "contact_inbox": {"contact_id": contact, "inbox_id": inbox_id, "source_id": external_id},
            },
            SMOKE_MARK: {"run": self.run},
        })
    }
}
