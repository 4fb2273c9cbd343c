//! Each org's automation: the target Ponte hands events to (mode `v2` / `fallback` /
//! `paused` and the workflow URLs), the org's n8n (install the v2 template, switch
//! workflows) and the one-action rollback and roll-forward. `paused` is the last-resort
//! contingency: ingestion, identities and deals keep running and nothing is handed off.

pub mod n8n;

use super::error::{DomainError, Fields};
use super::store::{self, automation::AutomationRow};
use super::{orgs, Actor, Services};
use crate::model::*;

const DEFAULT_TIMEOUT_MS: i64 = 10_000;

fn view(row: Option<&AutomationRow>) -> AutomationView {
    match row {
        None => AutomationView {
            configured: false,
            mode: AutomationMode::Paused,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            ..Default::default()
        },
        Some(r) => AutomationView {
            configured: true,
            mode: r.mode,
            v2_url: r.v2_url.clone(),
            fallback_url: r.fallback_url.clone(),
            timeout_ms: r.timeout_ms,
            updated_at: Some(r.updated_at),
        },
    }
}

pub async fn get(svc: &Services, slug: &str) -> Result<AutomationView, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(view(store::automation::get(&svc.db, org.id).await?.as_ref()))
}

fn url_field(f: &mut Fields, field: &str, given: &Option<String>, current: Option<String>) -> Option<String> {
    match given.as_deref().map(str::trim) {
        None => current,
        Some("") => None,
        Some(u) => f.check(field, super::chatwoot::config::check_url(u)),
    }
}

pub async fn put(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    input: &AutomationInput,
) -> Result<AutomationView, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let current = store::automation::get(&svc.db, org.id).await?;
    let mut f = Fields::default();
    let mode = match input.mode.as_deref().map(str::trim) {
        None => current.as_ref().map(|c| c.mode).unwrap_or_default(),
        Some(m) => f.check("mode", m.parse::<AutomationMode>()).unwrap_or_default(),
    };
    let v2_url = url_field(&mut f, "v2_url", &input.v2_url, current.as_ref().and_then(|c| c.v2_url.clone()));
    let fallback_url =
        url_field(&mut f, "fallback_url", &input.fallback_url, current.as_ref().and_then(|c| c.fallback_url.clone()));
    let timeout_ms = match input.timeout_ms {
        None => current.as_ref().map_or(DEFAULT_TIMEOUT_MS, |c| c.timeout_ms),
        Some(ms) => f
            .check("timeout_ms", (100..=120_000).contains(&ms).then_some(ms).ok_or(ErrorCode::NumberInvalid))
            .unwrap_or(0),
    };
    // The active mode must have somewhere to send to.
    if mode == AutomationMode::V2 && v2_url.is_none() && input.v2_url.as_deref().is_none_or(|u| u.trim().is_empty()) {
        f.check::<()>("v2_url", Err(ErrorCode::Required));
    }
    if mode == AutomationMode::Fallback
        && fallback_url.is_none()
        && input.fallback_url.as_deref().is_none_or(|u| u.trim().is_empty())
    {
        f.check::<()>("fallback_url", Err(ErrorCode::Required));
    }
    f.finish()?;
    let row = AutomationRow { organization_id: org.id, mode, v2_url, fallback_url, timeout_ms, updated_at: svc.now() };
    store::automation::put(&svc.db, &row).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "automation.configure",
        Some(org.id),
        &serde_json::json!({"mode": row.mode, "v2_url": row.v2_url.is_some(), "fallback_url": row.fallback_url.is_some()}),
        svc.now(),
    )
    .await?;
    Ok(view(Some(&row)))
}

// ---- n8n ----

pub(crate) fn n8n_client<'a>(svc: &'a Services, row: &store::n8n::N8nRow) -> Result<n8n::N8n<'a>, DomainError> {
    Ok(n8n::N8n::new(&svc.http, &row.base_url, &svc.secrets.decrypt(&row.api_key_enc)?))
}

fn n8n_failed(e: n8n::N8nError) -> DomainError {
    tracing::warn!(error = %e, "n8n refused or did not answer");
    DomainError::Detailed(ErrorCode::N8nFailed, serde_json::json!({"n8n": e.note()}))
}

/// An n8n failure as an operator reads it; its full text goes to the log.
fn n8n_note(org_id: OrgId, e: n8n::N8nError) -> Note {
    tracing::warn!(org_id = org_id.0, error = %e, "n8n refused or did not answer");
    e.note()
}

/// A write Ponte could not make during an action: logged, shown as a storage failure.
fn storage_note(org_id: OrgId, e: sqlx::Error) -> Note {
    tracing::error!(org_id = org_id.0, error = %e, "automation action could not be stored");
    Note::new(NoteCode::StorageFailed)
}

/// The mode an action left the org in.
fn mode_note(mode: AutomationMode) -> Note {
    Note::new(match mode {
        AutomationMode::V2 => NoteCode::ModeSetV2,
        AutomationMode::Fallback => NoteCode::ModeSetFallback,
        AutomationMode::Paused => NoteCode::ModeSetPaused,
    })
}

/// The org's n8n connection: URL and API key (checked live before saving), and optionally
/// the org's existing fallback workflow.
pub async fn put_n8n(svc: &Services, actor: &Actor, slug: &str, input: &N8nInput) -> Result<N8nView, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let current = store::n8n::get(&svc.db, org.id).await?;
    let mut f = Fields::default();
    let base_url = match input.base_url.as_deref().map(str::trim) {
        Some(u) if !u.is_empty() => f.check("base_url", super::chatwoot::config::check_url(u)),
        _ => current.as_ref().map(|c| c.base_url.clone()).or_else(|| {
            f.check::<()>("base_url", Err(ErrorCode::Required));
            None
        }),
    };
    let api_key_enc = match input.api_key.as_deref().map(str::trim) {
        Some(k) if !k.is_empty() => Some(svc.secrets.encrypt(k)?),
        _ => current.as_ref().map(|c| c.api_key_enc.clone()).or_else(|| {
            f.check::<()>("api_key", Err(ErrorCode::Required));
            None
        }),
    };
    f.finish()?;
    let (Some(base_url), Some(api_key_enc)) = (base_url, api_key_enc) else {
        return Err(DomainError::Internal("n8n fields checked but missing".into()));
    };
    let fallback_workflow_id = match input.fallback_workflow_id.as_deref().map(str::trim) {
        None => current.as_ref().and_then(|c| c.fallback_workflow_id.clone()),
        Some("") => None,
        Some(id) => Some(id.to_string()),
    };
    let row = store::n8n::N8nRow {
        organization_id: org.id,
        base_url,
        api_key_enc,
        v2_workflow_id: current.as_ref().and_then(|c| c.v2_workflow_id.clone()),
        v2_template_version: current.as_ref().and_then(|c| c.v2_template_version.clone()),
        fallback_workflow_id,
        updated_at: svc.now(),
    };
    // A wrong URL or key is refused now, not discovered during a rollback.
    n8n_client(svc, &row)?.check().await.map_err(n8n_failed)?;
    store::n8n::put(&svc.db, &row).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "n8n.configure",
        Some(org.id),
        &serde_json::json!({"base_url": row.base_url, "api_key": input.api_key.is_some()}),
        svc.now(),
    )
    .await?;
    Ok(n8n_view(svc, &row).await)
}

/// The n8n configuration as stored, without asking n8n anything.
fn stored_n8n_view(row: &store::n8n::N8nRow) -> N8nView {
    N8nView {
        base_url: row.base_url.clone(),
        has_api_key: true,
        v2_workflow_id: row.v2_workflow_id.clone(),
        v2_template_version: row.v2_template_version.clone(),
        fallback_workflow_id: row.fallback_workflow_id.clone(),
        ..Default::default()
    }
}

/// The org's automation and n8n as stored: for pages that must not wait on n8n (the org's
/// home); the "Automação" page asks n8n for the live state.
pub async fn stored(svc: &Services, org_id: OrgId) -> Result<(AutomationView, Option<N8nView>), DomainError> {
    let automation = view(store::automation::get(&svc.db, org_id).await?.as_ref());
    let n8n = store::n8n::get(&svc.db, org_id).await?.as_ref().map(stored_n8n_view);
    Ok((automation, n8n))
}

/// The stored ids plus what n8n says right now (a connection error is part of the view).
async fn n8n_view(svc: &Services, row: &store::n8n::N8nRow) -> N8nView {
    let mut view = stored_n8n_view(row);
    let client = match n8n_client(svc, row) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(org_id = row.organization_id.0, error = %e, "the stored n8n API key cannot be read");
            view.connection_error = Some(Note::new(NoteCode::N8nKeyUnreadable));
            return view;
        }
    };
    if let Err(e) = client.check().await {
        view.connection_error = Some(n8n_note(row.organization_id, e));
        return view;
    }
    if let Some(id) = &row.v2_workflow_id {
        view.v2_active = client.workflow(id).await.ok().map(|w| w.active);
    }
    if let Some(id) = &row.fallback_workflow_id {
        view.fallback_active = client.workflow(id).await.ok().map(|w| w.active);
    }
    view
}

/// Everything the "Automação" page shows.
pub async fn status(svc: &Services, slug: &str) -> Result<AutomationStatus, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let automation = view(store::automation::get(&svc.db, org.id).await?.as_ref());
    let n8n = match store::n8n::get(&svc.db, org.id).await? {
        Some(row) => Some(n8n_view(svc, &row).await),
        None => None,
    };
    let actions = store::n8n::actions(&svc.db, org.id, 20).await?.into_iter().map(action_report).collect();
    let incidents = store::n8n::incidents(&svc.db, org.id, 20)
        .await?
        .into_iter()
        .map(|r| IncidentDto {
            id: r.id,
            title: r.title,
            reason: r.reason,
            status: r.status,
            opened_by: r.opened_by,
            opened_at: r.opened_at,
            resolved_at: r.resolved_at,
        })
        .collect();
    Ok(AutomationStatus { automation, n8n, actions, incidents })
}

fn action_report(r: store::n8n::ActionRow) -> ActionReport {
    let stored: serde_json::Value = serde_json::from_str(&r.steps).unwrap_or_default();
    ActionReport {
        id: r.id,
        action: r.action,
        outcome: r.outcome,
        actor: r.actor,
        reason: r.reason,
        steps: serde_json::from_value(stored["steps"].clone()).unwrap_or_default(),
        incident_id: stored["incident_id"].as_i64().map(IncidentId),
        at: r.at,
    }
}

/// Installs the org's v2 workflow (and a fallback workflow when the org has none) from the
/// templates shipped with Ponte: a token and an n8n credential for it, the workflows
/// (inactive), their webhook URLs as the org's automation targets. Activation is a
/// separate step (roll forward), after the smoke tests.
pub async fn install(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    input: &InstallInput,
) -> Result<AutomationStatus, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let mut row = store::n8n::get(&svc.db, org.id).await?.ok_or(DomainError::Rejected(ErrorCode::N8nNotConfigured))?;
    let ponte_url = match input.ponte_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => super::chatwoot::config::check_url(u).map_err(|c| DomainError::field("ponte_url", c))?,
        None => svc.config.public_url.clone().ok_or_else(|| DomainError::field("ponte_url", ErrorCode::Required))?,
    };
    let (board_id, _) =
        store::crm::intake_stage(&svc.db, org.id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    let stages = store::tools::stages_of_board(&svc.db, board_id).await?;
    // The template's logic: a customer who writes is now being attended.
    let first_response = stages.get(1).or(stages.first()).map(|s| s.key.clone()).unwrap_or_default();
    let client = n8n_client(svc, &row)?;
    let token =
        super::tools::create_token(svc, actor, slug, &NewOrgToken { name: "n8n v2 (instalado pelo Ponte)".into() })
            .await?;
    let credential_name = format!("Ponte · {}", org.slug);
    let credential_id = client
        .create_header_credential(&credential_name, "Authorization", &format!("Bearer {}", token.token))
        .await
        .map_err(n8n_failed)?;
    let v2_path = format!("ponte-{}-v2", org.slug);
    let values = |path: &str, id: &str| -> Vec<(String, String)> {
        vec![
            ("ORG_NAME".into(), org.name.clone()),
            ("WEBHOOK_PATH".into(), path.to_string()),
            ("WEBHOOK_ID".into(), id.to_string()),
            ("PONTE_URL".into(), ponte_url.clone()),
            ("FIRST_RESPONSE_STAGE".into(), first_response.clone()),
            ("CREDENTIAL_ID".into(), credential_id.clone()),
            ("CREDENTIAL_NAME".into(), credential_name.clone()),
        ]
    };
    let fill = |template: &str, path: &str| -> Result<serde_json::Value, DomainError> {
        let t: serde_json::Value = serde_json::from_str(template).map_err(|e| DomainError::Internal(e.to_string()))?;
        let owned = values(path, &super::auth::random_token()[..32]);
        let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Ok(n8n::fill(&t, &pairs))
    };
    let v2_id = client.create_workflow(&fill(n8n::V2_TEMPLATE, &v2_path)?).await.map_err(n8n_failed)?;
    let base = row.base_url.clone();
    let fallback_path = format!("ponte-{}-fallback", org.slug);
    let fallback_url = if row.fallback_workflow_id.is_none() {
        let id = client.create_workflow(&fill(n8n::FALLBACK_TEMPLATE, &fallback_path)?).await.map_err(n8n_failed)?;
        row.fallback_workflow_id = Some(id);
        Some(format!("{base}/webhook/{fallback_path}"))
    } else {
        None
    };
    row.v2_workflow_id = Some(v2_id.clone());
    row.v2_template_version = Some(n8n::V2_TEMPLATE_VERSION.to_string());
    row.updated_at = svc.now();
    store::n8n::put(&svc.db, &row).await?;
    let current = store::automation::get(&svc.db, org.id).await?;
    let automation = AutomationRow {
        organization_id: org.id,
        mode: current.as_ref().map_or(AutomationMode::Paused, |c| c.mode),
        v2_url: Some(format!("{base}/webhook/{v2_path}")),
        fallback_url: fallback_url.or_else(|| current.as_ref().and_then(|c| c.fallback_url.clone())),
        timeout_ms: current.as_ref().map_or(DEFAULT_TIMEOUT_MS, |c| c.timeout_ms),
        updated_at: svc.now(),
    };
    store::automation::put(&svc.db, &automation).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "n8n.install",
        Some(org.id),
        &serde_json::json!({"v2_workflow_id": v2_id, "template": n8n::V2_TEMPLATE_VERSION}),
        svc.now(),
    )
    .await?;
    status(svc, slug).await
}

struct Steps(Vec<ActionStep>);

impl Steps {
    fn push(&mut self, step: ActionStepKind, result: Result<Note, Note>) {
        let (ok, detail) = match result {
            Ok(d) => (true, d),
            Err(d) => (false, d),
        };
        self.0.push(ActionStep { step, ok, detail });
    }
    fn ok(&self) -> bool {
        self.0.iter().all(|s| s.ok)
    }
}

fn activated(workflow: &str) -> Note {
    Note::new(NoteCode::WorkflowActivated).with("workflow", workflow)
}

fn deactivated(workflow: &str) -> Note {
    Note::new(NoteCode::WorkflowDeactivated).with("workflow", workflow)
}

/// Refused (`nothing_to_roll_back`) when the org has no v2 workflow installed and does not
/// hand events to v2. Rollback, in this order: deactivate v2 in n8n, activate the fallback, switch Ponte's
/// hand-off to the fallback (or pause it when there is none), open an incident. Ponte's
/// own switch runs even when n8n fails, so the v2 workflow stops receiving events whatever
/// n8n says; every step's outcome is recorded and returned.
pub async fn rollback(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    input: &RollbackInput,
) -> Result<ActionReport, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    let row = store::n8n::get(&svc.db, org.id).await?;
    // Nothing to cut off: no v2 workflow in n8n and no hand-off to v2. A rollback would
    // report success and open an empty incident.
    let v2_installed = row.as_ref().is_some_and(|r| r.v2_workflow_id.is_some());
    let mode = store::automation::get(&svc.db, org.id).await?.map(|a| a.mode);
    if !v2_installed && mode != Some(AutomationMode::V2) {
        return Err(DomainError::Rejected(ErrorCode::NothingToRollBack));
    }
    let mut steps = Steps(Vec::new());
    let client = row.as_ref().map(|r| n8n_client(svc, r)).transpose()?;
    match (&client, row.as_ref().and_then(|r| r.v2_workflow_id.as_ref())) {
        (Some(c), Some(id)) => steps.push(
            ActionStepKind::DeactivateV2,
            c.deactivate(id).await.map(|_| deactivated(id)).map_err(|e| n8n_note(org.id, e)),
        ),
        _ => steps.push(ActionStepKind::DeactivateV2, Ok(Note::new(NoteCode::NoV2Workflow))),
    }
    let fallback_id = row.as_ref().and_then(|r| r.fallback_workflow_id.clone());
    match (&client, &fallback_id) {
        (Some(c), Some(id)) => steps.push(
            ActionStepKind::ActivateFallback,
            c.activate(id).await.map(|_| activated(id)).map_err(|e| n8n_note(org.id, e)),
        ),
        _ => steps.push(ActionStepKind::ActivateFallback, Ok(Note::new(NoteCode::NoFallbackWorkflow))),
    }
    let current = store::automation::get(&svc.db, org.id).await?;
    let has_fallback_url = current.as_ref().is_some_and(|c| c.fallback_url.is_some());
    let fallback_on = has_fallback_url && steps.0.get(1).is_some_and(|s| s.ok);
    let mode = if fallback_on { AutomationMode::Fallback } else { AutomationMode::Paused };
    let mut automation = current.unwrap_or(AutomationRow {
        organization_id: org.id,
        mode: AutomationMode::Paused,
        v2_url: None,
        fallback_url: None,
        timeout_ms: DEFAULT_TIMEOUT_MS,
        updated_at: svc.now(),
    });
    automation.mode = mode;
    automation.updated_at = svc.now();
    steps.push(
        ActionStepKind::SetMode,
        store::automation::put(&svc.db, &automation)
            .await
            .map(|_| mode_note(mode))
            .map_err(|e| storage_note(org.id, e)),
    );
    let title = Note::new(NoteCode::IncidentRollback).with("org", &org.name);
    let incident = store::n8n::open_incident(&svc.db, org.id, &title, reason.as_deref(), &actor.0, svc.now()).await;
    let incident_id = incident.as_ref().ok().copied();
    steps.push(
        ActionStepKind::OpenIncident,
        incident
            .map(|id| Note::new(NoteCode::IncidentOpened).with("incident", id))
            .map_err(|e| storage_note(org.id, e)),
    );
    // The org leaves production whatever n8n said: Ponte's own switch has cut v2 off.
    super::onboarding::rolled_back(svc, actor, org.id, reason.as_deref()).await?;
    finish_action(svc, actor, org.id, ActionKind::Rollback, reason, steps, incident_id).await
}

/// Roll forward: deactivate the fallback, activate v2, hand events to v2.
pub async fn roll_forward(svc: &Services, actor: &Actor, slug: &str) -> Result<ActionReport, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let row = store::n8n::get(&svc.db, org.id).await?.ok_or(DomainError::Rejected(ErrorCode::N8nNotConfigured))?;
    let v2_id = row.v2_workflow_id.clone().ok_or(DomainError::Rejected(ErrorCode::V2NotInstalled))?;
    let client = n8n_client(svc, &row)?;
    let mut steps = Steps(Vec::new());
    match &row.fallback_workflow_id {
        Some(id) => steps.push(
            ActionStepKind::DeactivateFallback,
            client.deactivate(id).await.map(|_| deactivated(id)).map_err(|e| n8n_note(org.id, e)),
        ),
        None => steps.push(ActionStepKind::DeactivateFallback, Ok(Note::new(NoteCode::NoFallbackWorkflow))),
    }
    let v2 = client.activate(&v2_id).await.map(|_| activated(&v2_id)).map_err(|e| n8n_note(org.id, e));
    let v2_on = v2.is_ok();
    steps.push(ActionStepKind::ActivateV2, v2);
    // Events go to v2 only once n8n has it active; otherwise the mode is left as it was.
    if v2_on {
        let mut automation =
            store::automation::get(&svc.db, org.id).await?.ok_or(DomainError::Rejected(ErrorCode::V2NotInstalled))?;
        automation.mode = AutomationMode::V2;
        automation.updated_at = svc.now();
        steps.push(
            ActionStepKind::SetMode,
            store::automation::put(&svc.db, &automation)
                .await
                .map(|_| mode_note(AutomationMode::V2))
                .map_err(|e| storage_note(org.id, e)),
        );
        super::onboarding::rolled_forward(svc, actor, org.id).await?;
    } else {
        steps.push(ActionStepKind::SetMode, Err(Note::new(NoteCode::ModeUnchanged)));
    }
    finish_action(svc, actor, org.id, ActionKind::RollForward, None, steps, None).await
}

async fn finish_action(
    svc: &Services,
    actor: &Actor,
    org_id: OrgId,
    action: ActionKind,
    reason: Option<String>,
    steps: Steps,
    incident_id: Option<IncidentId>,
) -> Result<ActionReport, DomainError> {
    let outcome = if steps.ok() { ActionOutcome::Ok } else { ActionOutcome::Failed };
    let stored = serde_json::json!({"steps": steps.0, "incident_id": incident_id}).to_string();
    let now = svc.now();
    let id = store::n8n::record_action(
        &svc.db,
        &store::n8n::NewAction {
            organization_id: org_id,
            action,
            actor: &actor.0,
            reason: reason.as_deref(),
            steps: &stored,
            outcome,
            at: now,
        },
    )
    .await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        &format!("automation.{action}"),
        Some(org_id),
        &serde_json::json!({"outcome": outcome, "action_id": id}),
        now,
    )
    .await?;
    tracing::warn!(org_id = org_id.0, action = action.as_str(), outcome = outcome.as_str(), "automation switched");
    Ok(ActionReport { id, action, outcome, actor: actor.0.clone(), reason, steps: steps.0, incident_id, at: now })
}
