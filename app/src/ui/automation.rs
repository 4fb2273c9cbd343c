//! "Automação" of an org: n8n connection and workflows, the hand-off mode, tokens for the
//! workflows, the last tool calls, and the rollback / roll-forward buttons (confirmed
//! before they run; each step's outcome shown after).

use super::components::time::Time;
use super::components::{action_error, allowed, note_text, EmptyState, ErrorBox, FieldMessage, FormMessage, PageHead};
use crate::api::automation::{automation_page, CreateOrgToken, RevokeOrgToken, RollForwardOrg, RollbackOrg};
use crate::i18n::*;
use crate::model::{
    ActionKind, ActionOutcome, ActionReport, ActionStepKind, AutomationMode, IncidentStatus, Role, ToolOutcome,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

fn state_text(i18n: leptos_i18n::I18nContext<Locale>, v: Option<bool>) -> String {
    match v {
        Some(true) => t_string!(i18n, automation.active).to_string(),
        Some(false) => t_string!(i18n, automation.inactive).to_string(),
        None => "—".to_string(),
    }
}

/// A workflow as "id · ativo · versão", or "—" when there is none (no row of dashes).
fn workflow_text(
    i18n: leptos_i18n::I18nContext<Locale>,
    id: Option<String>,
    active: Option<bool>,
    version: Option<String>,
) -> String {
    let Some(id) = id else { return t_string!(i18n, automation.no_workflow).to_string() };
    let mut parts = vec![id];
    if active.is_some() {
        parts.push(state_text(i18n, active));
    }
    parts.extend(version);
    parts.join(" · ")
}

pub(crate) fn mode_label(i18n: leptos_i18n::I18nContext<Locale>, mode: AutomationMode) -> String {
    match mode {
        AutomationMode::V2 => t_string!(i18n, automation.mode_v2).to_string(),
        AutomationMode::Fallback => t_string!(i18n, automation.mode_fallback).to_string(),
        AutomationMode::Paused => t_string!(i18n, automation.mode_paused).to_string(),
    }
}

fn action_label(i18n: leptos_i18n::I18nContext<Locale>, action: ActionKind) -> String {
    match action {
        ActionKind::Rollback => t_string!(i18n, automation.action_rollback).to_string(),
        ActionKind::RollForward => t_string!(i18n, automation.action_roll_forward).to_string(),
    }
}

fn step_label(i18n: leptos_i18n::I18nContext<Locale>, step: ActionStepKind) -> String {
    match step {
        ActionStepKind::DeactivateV2 => t_string!(i18n, automation.step_deactivate_v2).to_string(),
        ActionStepKind::ActivateFallback => t_string!(i18n, automation.step_activate_fallback).to_string(),
        ActionStepKind::DeactivateFallback => t_string!(i18n, automation.step_deactivate_fallback).to_string(),
        ActionStepKind::ActivateV2 => t_string!(i18n, automation.step_activate_v2).to_string(),
        ActionStepKind::SetMode => t_string!(i18n, automation.step_set_mode).to_string(),
        ActionStepKind::OpenIncident => t_string!(i18n, automation.step_open_incident).to_string(),
    }
}

fn call_label(i18n: leptos_i18n::I18nContext<Locale>, outcome: ToolOutcome) -> String {
    match outcome {
        ToolOutcome::Ok => t_string!(i18n, automation.call_ok).to_string(),
        ToolOutcome::Noop => t_string!(i18n, automation.call_noop).to_string(),
        ToolOutcome::Replayed => t_string!(i18n, automation.call_replayed).to_string(),
        ToolOutcome::Error => t_string!(i18n, automation.call_error).to_string(),
    }
}

fn incident_label(i18n: leptos_i18n::I18nContext<Locale>, status: IncidentStatus) -> String {
    match status {
        IncidentStatus::Open => t_string!(i18n, automation.incident_open).to_string(),
        IncidentStatus::Resolved => t_string!(i18n, automation.incident_resolved).to_string(),
    }
}

#[component]
fn Report(report: ActionReport) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="report" id="action-report" data-outcome=report.outcome.as_str()>
            <p>
                <strong>{move || action_label(i18n, report.action)}</strong>
                " · "
                {if report.outcome == ActionOutcome::Ok {
                    t_string!(i18n, automation.outcome_ok).to_string()
                } else {
                    t_string!(i18n, automation.outcome_failed).to_string()
                }}
            </p>
            <ol class="steps">
                {report
                    .steps
                    .into_iter()
                    .map(|s| {
                        view! {
                            <li data-step=s.step.as_str() data-ok=s.ok.to_string() class=if s.ok { "ok" } else { "error-text" }>
                                {let step = s.step; move || step_label(i18n, step)}
                                " — "
                                {note_text(i18n, Some(s.detail.clone()))}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </div>
    }
}

#[component]
pub fn AutomationPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let rollback = ServerAction::<RollbackOrg>::new();
    let forward = ServerAction::<RollForwardOrg>::new();
    let create = ServerAction::<CreateOrgToken>::new();
    let revoke = ServerAction::<RevokeOrgToken>::new();
    let create_err = action_error(create.value());
    let rollback_err = action_error(rollback.value());
    let forward_err = action_error(forward.value());
    let page = Resource::new(
        move || {
            (slug(), rollback.version().get(), forward.version().get(), create.version().get(), revoke.version().get())
        },
        |(slug, ..)| automation_page(slug),
    );
    let confirming = RwSignal::new(false);
    // Close the confirmation once the rollback has answered (closing it on the click would
    // remove the form before it submits).
    Effect::new(move |_| {
        rollback.version().get();
        confirming.set(false);
    });
    let operator = allowed(Role::Operator);
    let admin = allowed(Role::Admin);
    let last_report = move || {
        let r = rollback.value().get().and_then(Result::ok);
        let f = forward.value().get().and_then(Result::ok);
        match (r, f) {
            (Some(a), Some(b)) => Some(if a.at >= b.at { a } else { b }),
            (a, b) => a.or(b),
        }
    };
    view! {
        <PageHead title=move || t!(i18n, automation.title) />
        {move || last_report().map(|report| view! { <Report report /> })}
        <FormMessage err=rollback_err />
        <FormMessage err=forward_err />
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => {
                        let mode = p.status.automation.mode;
                        let n8n = p.status.n8n.clone();
                        view! {
                            <section id="automation-state">
                                <dl class="facts">
                                    <dt>{t!(i18n, automation.mode)}</dt>
                                    <dd><span id="automation-mode" class=format!("badge {mode}") data-mode=mode.as_str()>{move || mode_label(i18n, mode)}</span></dd>
                                    <dt>{t!(i18n, automation.v2_url)}</dt>
                                    <dd>{p.status.automation.v2_url.clone().unwrap_or_else(|| "—".into())}</dd>
                                    <dt>{t!(i18n, automation.fallback_url)}</dt>
                                    <dd>{p.status.automation.fallback_url.clone().unwrap_or_else(|| "—".into())}</dd>
                                    <dt>"n8n"</dt>
                                    <dd id="n8n-connection">
                                        {match &n8n {
                                            None => t_string!(i18n, automation.n8n_missing).to_string(),
                                            Some(n) => match &n.connection_error {
                                                None => format!("{} · {}", n.base_url, t_string!(i18n, automation.connected)),
                                                Some(e) => format!("{} · {}", n.base_url, note_text(i18n, Some(e.clone()))()),
                                            },
                                        }}
                                    </dd>
                                    <dt>{t!(i18n, automation.v2_workflow)}</dt>
                                    <dd id="v2-state" data-active=n8n.as_ref().and_then(|n| n.v2_active).map(|a| a.to_string()).unwrap_or_default()>
                                        {workflow_text(
                                            i18n,
                                            n8n.as_ref().and_then(|n| n.v2_workflow_id.clone()),
                                            n8n.as_ref().and_then(|n| n.v2_active),
                                            n8n.as_ref().and_then(|n| n.v2_template_version.clone()),
                                        )}
                                    </dd>
                                    <dt>{t!(i18n, automation.fallback_workflow)}</dt>
                                    <dd id="fallback-state" data-active=n8n.as_ref().and_then(|n| n.fallback_active).map(|a| a.to_string()).unwrap_or_default()>
                                        {workflow_text(
                                            i18n,
                                            n8n.as_ref().and_then(|n| n.fallback_workflow_id.clone()),
                                            n8n.as_ref().and_then(|n| n.fallback_active),
                                            None,
                                        )}
                                    </dd>
                                </dl>
                            </section>
                            <Show when=move || operator>
                                <section class="actions">
                                    <Show
                                        when=move || confirming.get()
                                        fallback=move || view! {
                                            <button type="button" class="danger" id="rollback-start" on:click=move |_| confirming.set(true)>
                                                {t!(i18n, automation.rollback)}
                                            </button>
                                        }
                                    >
                                        <ActionForm action=rollback attr:id="rollback-form" attr:class="confirm">
                                            <p>{t!(i18n, automation.rollback_confirm)}</p>
                                            <input type="hidden" name="slug" value=slug />
                                            <label>
                                                {t!(i18n, automation.reason)}
                                                <input type="text" name="reason" />
                                            </label>
                                            <div class="actions">
                                                <button type="submit" class="danger" id="rollback-confirm">
                                                    {t!(i18n, automation.rollback_do)}
                                                </button>
                                                <button type="button" on:click=move |_| confirming.set(false)>{t!(i18n, automation.cancel)}</button>
                                            </div>
                                        </ActionForm>
                                    </Show>
                                    <ActionForm action=forward attr:id="roll-forward-form" attr:class="inline">
                                        <input type="hidden" name="slug" value=slug />
                                        <button type="submit" id="roll-forward">{t!(i18n, automation.roll_forward)}</button>
                                    </ActionForm>
                                </section>
                            </Show>
                            <h2>{t!(i18n, automation.tokens)}</h2>
                            <Show when={
                                let none = p.tokens.is_empty();
                                move || none
                            }>
                                <EmptyState id="no-tokens" title=move || t!(i18n, automation.no_tokens)>
                                    {t!(i18n, automation.no_tokens_help)}
                                </EmptyState>
                            </Show>
                            <div class="table-wrap" class:hidden=p.tokens.is_empty()>
                            <table class="grid" id="tokens">
                                <thead>
                                    <tr>
                                        <th>{t!(i18n, automation.token_name)}</th>
                                        <th>{t!(i18n, automation.token_prefix)}</th>
                                        <th>{t!(i18n, automation.token_used)}</th>
                                        <th></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {p.tokens
                                        .iter()
                                        .map(|t| {
                                            let id = t.id;
                                            let active = t.revoked_at.is_none();
                                            view! {
                                                <tr data-token=t.id.0 data-active=active.to_string()>
                                                    <td>{t.name.clone()}</td>
                                                    <td><code>{format!("{}…", t.prefix)}</code></td>
                                                    <td><Time at=t.last_used_at /></td>
                                                    <td>
                                                        <Show when=move || admin && active>
                                                            <ActionForm action=revoke attr:class="inline">
                                                                <input type="hidden" name="slug" value=slug />
                                                                <input type="hidden" name="id" value=id.0 />
                                                                <button type="submit" class="link">{t!(i18n, automation.revoke)}</button>
                                                            </ActionForm>
                                                        </Show>
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            </div>
                            <Show when=move || admin>
                                <ActionForm action=create attr:id="token-form" attr:class="inline-form">
                                    <input type="hidden" name="slug" value=slug />
                                    <label>
                                        {t!(i18n, automation.token_name)}
                                        <input type="text" name="name" />
                                    </label>
                                    <FieldMessage err=create_err field="name" />
                                    <button type="submit">{t!(i18n, automation.token_create)}</button>
                                </ActionForm>
                                {move || {
                                    create.value().get().and_then(Result::ok).map(|made| {
                                        view! {
                                            <p class="ok" role="status">
                                                {t!(i18n, automation.token_once)} " " <code id="new-token">{made.token}</code>
                                            </p>
                                        }
                                    })
                                }}
                            </Show>
                            <h2>{t!(i18n, automation.calls)}</h2>
                            <Show when={
                                let none = p.calls.is_empty();
                                move || none
                            }>
                                <EmptyState id="no-calls" title=move || t!(i18n, automation.no_calls)>
                                    {t!(i18n, automation.no_calls_help)}
                                </EmptyState>
                            </Show>
                            <div class="table-wrap" class:hidden=p.calls.is_empty()>
                            <table class="grid" id="tool-calls">
                                <thead>
                                    <tr>
                                        <th>{t!(i18n, automation.call_at)}</th>
                                        <th>{t!(i18n, automation.call_tool)}</th>
                                        <th>{t!(i18n, contact.deal)}</th>
                                        <th>{t!(i18n, events.outcome)}</th>
                                        <th>"HTTP"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {p.calls
                                        .iter()
                                        .map(|c| view! {
                                            <tr data-outcome=c.outcome.as_str()>
                                                <td><Time at=Some(c.at) /></td>
                                                <td><code>{c.tool.clone()}</code></td>
                                                <td>{c.deal_id.map(|d| d.to_string()).unwrap_or_default()}</td>
                                                <td>{call_label(i18n, c.outcome)}</td>
                                                <td>{c.http_status}</td>
                                            </tr>
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            </div>
                            <h2>{t!(i18n, automation.history)}</h2>
                            <Show when={
                                let none = p.status.incidents.is_empty();
                                move || none
                            }>
                                <EmptyState id="no-incidents" title=move || t!(i18n, automation.no_incidents) />
                            </Show>
                            <ul id="incidents" class="plain">
                                {p.status
                                    .incidents
                                    .iter()
                                    .map(|inc| {
                                        let status = inc.status;
                                        view! {
                                            <li data-status=inc.status.as_str()>
                                                <Time at=Some(inc.opened_at) /> " · " {note_text(i18n, Some(inc.title.clone()))} " · "
                                                <span class=format!("badge {status}")>{move || incident_label(i18n, status)}</span>
                                                " · "
                                                {inc.reason.clone().unwrap_or_default()}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Transition>
    }
}
