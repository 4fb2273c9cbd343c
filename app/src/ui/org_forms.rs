//! The forms that configure an org — its Chatwoot connection with the inbox map, its
//! automation and its n8n — shared by the org's home page and the new-client wizard. Each
//! takes its server action from the page, so the page can reload what it shows after a save.

use super::components::{action_error, note_text, FieldMessage, FormMessage, SaveButton};
use crate::api::orgs::{inbox_choices, SaveAutomation, SaveChatwoot, SaveN8n};
use crate::i18n::*;
use crate::model::{
    AppError, AuthMode, AutomationMode, AutomationView, ChatwootConfigView, InboxChoices, N8nView, PlanDto, Source,
    WaveDto,
};
use leptos::prelude::*;

/// Where a secret field stands: set (blank keeps it) or not set yet.
fn secret_placeholder(i18n: leptos_i18n::I18nContext<Locale>, set: bool) -> String {
    if set {
        t_string!(i18n, org_forms.secret_kept).to_string()
    } else {
        t_string!(i18n, org_forms.secret_unset).to_string()
    }
}

/// The inbox list the Chatwoot form shows ("Carregar caixas"), loaded again on its own after
/// a save that completes the API settings. Made by the page, above what it re-renders: a
/// form rebuilt after a save must not own a load still in flight (a finished load would
/// write into an action already disposed).
pub type InboxLoad = Action<String, Result<InboxChoices, AppError>>;

pub fn inbox_loader(slug: impl Fn() -> String + Send + Sync + 'static, saved: ServerAction<SaveChatwoot>) -> InboxLoad {
    let load: InboxLoad = Action::new(|slug: &String| {
        let slug = slug.clone();
        async move { inbox_choices(slug).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(view)) = saved.value().get() {
            if view.base_url.is_some() && view.account_id.is_some() && view.has_api_token {
                load.dispatch(slug());
            }
        }
    });
    load
}

/// The Chatwoot form: URL, account, API token, webhook secret, auth mode, and the inbox map
/// built from the inboxes Chatwoot lists (`load`, see `inbox_loader`). Without a list, the
/// map is left as it is.
#[component]
pub fn ChatwootForm(
    slug: String,
    config: ChatwootConfigView,
    action: ServerAction<SaveChatwoot>,
    load: InboxLoad,
) -> impl IntoView {
    let i18n = use_i18n();
    let err = action_error(action.value());
    let can_list = config.base_url.is_some() && config.account_id.is_some() && config.has_api_token;
    // A plain map, not a reactive value of this form: the list re-renders when the page's
    // load settles, which can be after a save rebuilt (and disposed) this form.
    let mapped = config.inboxes.clone();
    let inbox_list = move || {
        load.value().get().map(|result: Result<InboxChoices, _>| match result {
            Err(e) => view! { <p class="field-error" id="inbox-error">{super::components::error_text(i18n, e.code)}</p> }.into_any(),
            Ok(choices) if choices.error.is_some() => {
                view! { <p class="field-error" id="inbox-error">{note_text(i18n, choices.error.clone())}</p> }.into_any()
            }
            Ok(choices) if choices.inboxes.is_empty() => {
                view! { <p class="muted" id="inbox-error">{t!(i18n, org_forms.no_inboxes)}</p> }.into_any()
            }
            Ok(choices) => view! {
                <table class="grid inbox-map" id="inbox-map">
                    <thead>
                        <tr>
                            <th>{t!(i18n, org_forms.inbox)}</th>
                            <th>{t!(i18n, org_forms.channel_type)}</th>
                            <th>{t!(i18n, org_forms.maps_to)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {choices
                            .inboxes
                            .into_iter()
                            .map(|inbox| {
                                // What is mapped today wins; an unmapped inbox gets Ponte's proposal.
                                let chosen = mapped.get(&inbox.id.to_string()).copied()
                                    .or(inbox.proposed);
                                let name = format!("inboxes[{}]", inbox.id);
                                view! {
                                    <tr data-inbox=inbox.id>
                                        <td>{format!("#{} {}", inbox.id, inbox.name)}</td>
                                        <td><code>{inbox.channel.clone()}</code></td>
                                        <td>
                                            <select name=name aria-label=format!("#{}", inbox.id)>
                                                <option value="" selected=chosen.is_none()>{t!(i18n, org_forms.not_mapped)}</option>
                                                <option value="whatsapp" selected=chosen == Some(Source::Whatsapp)>"WhatsApp"</option>
                                                <option value="instagram" selected=chosen == Some(Source::Instagram)>"Instagram"</option>
                                            </select>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            }
            .into_any(),
        })
    };
    let slug_for_load = slug.clone();
    view! {
        <ActionForm action attr:id="chatwoot-form" attr:class="form">
            <FormMessage err=Signal::derive(move || err.get().filter(|e| e.fields.is_empty())) />
            <input type="hidden" name="slug" value=slug.clone() />
            <label>
                {t!(i18n, org_forms.base_url)}
                <input type="url" name="base_url" value=config.base_url.clone().unwrap_or_default() placeholder="https://chat.exemplo.com.br" autocapitalize="none" spellcheck="false" />
            </label>
            <FieldMessage err field="base_url" />
            <label>
                {t!(i18n, org_forms.account_id)}
                <input type="text" inputmode="numeric" name="account_id" value=config.account_id.map(|a| a.0.to_string()).unwrap_or_default() />
            </label>
            <FieldMessage err field="account_id" />
            <label>
                {t!(i18n, org_forms.api_token)}
                <input type="password" name="api_token" autocomplete="off" placeholder=secret_placeholder(i18n, config.has_api_token) />
                <small class="muted">{t!(i18n, org_forms.api_token_help)}</small>
            </label>
            <FieldMessage err field="api_token" />
            <label>
                {t!(i18n, org_forms.auth_mode)}
                <select name="auth_mode">
                    <option value="signature" selected=config.auth_mode == AuthMode::Signature>{t!(i18n, org_forms.auth_signature)}</option>
                    <option value="url_token" selected=config.auth_mode == AuthMode::UrlToken>{t!(i18n, org_forms.auth_url_token)}</option>
                </select>
            </label>
            <FieldMessage err field="auth_mode" />
            <label>
                {t!(i18n, org_forms.webhook_secret)}
                <input type="password" name="webhook_secret" autocomplete="off" placeholder=secret_placeholder(i18n, config.has_webhook_secret) />
                <small class="muted">{t!(i18n, org_forms.webhook_secret_help)}</small>
            </label>
            <FieldMessage err field="webhook_secret" />
            <fieldset class="inboxes">
                <legend>{t!(i18n, org_forms.inbox_map)}</legend>
                <button
                    type="button"
                    id="load-inboxes"
                    disabled=move || load.pending().get()
                    title=move || if can_list { String::new() } else { t_string!(i18n, org_forms.load_needs_api).to_string() }
                    on:click=move |_| { load.dispatch(slug_for_load.clone()); }
                >
                    {move || if load.pending().get() { t_string!(i18n, org_forms.loading_inboxes).to_string() } else { t_string!(i18n, org_forms.load_inboxes).to_string() }}
                </button>
                <FieldMessage err field="inboxes" />
                {inbox_list}
            </fieldset>
            <SaveButton id="chatwoot-save" pending=action.pending() saved=Signal::derive(move || matches!(action.value().get(), Some(Ok(_)))) />
        </ActionForm>
    }
}

/// The automation form: where events go (v2, fallback, paused) and each mode's URL.
#[component]
pub fn AutomationForm(slug: String, view: AutomationView, action: ServerAction<SaveAutomation>) -> impl IntoView {
    let i18n = use_i18n();
    let err = action_error(action.value());
    let mode = view.mode;
    view! {
        <ActionForm action attr:id="automation-form" attr:class="form">
            <FormMessage err=Signal::derive(move || err.get().filter(|e| e.fields.is_empty())) />
            <input type="hidden" name="slug" value=slug />
            <label>
                {t!(i18n, org_forms.mode)}
                <select name="mode">
                    <option value="paused" selected=mode == AutomationMode::Paused>{move || super::automation::mode_label(i18n, AutomationMode::Paused)}</option>
                    <option value="v2" selected=mode == AutomationMode::V2>{move || super::automation::mode_label(i18n, AutomationMode::V2)}</option>
                    <option value="fallback" selected=mode == AutomationMode::Fallback>{move || super::automation::mode_label(i18n, AutomationMode::Fallback)}</option>
                </select>
            </label>
            <FieldMessage err field="mode" />
            <label>
                {t!(i18n, org_forms.v2_url)}
                <input type="url" name="v2_url" value=view.v2_url.clone().unwrap_or_default() autocapitalize="none" spellcheck="false" />
            </label>
            <FieldMessage err field="v2_url" />
            <label>
                {t!(i18n, org_forms.fallback_url)}
                <input type="url" name="fallback_url" value=view.fallback_url.clone().unwrap_or_default() autocapitalize="none" spellcheck="false" />
            </label>
            <FieldMessage err field="fallback_url" />
            <label>
                {t!(i18n, org_forms.timeout_ms)}
                <input type="text" inputmode="numeric" name="timeout_ms" value=view.timeout_ms.to_string() />
            </label>
            <FieldMessage err field="timeout_ms" />
            <SaveButton id="automation-save" pending=action.pending() saved=Signal::derive(move || matches!(action.value().get(), Some(Ok(_)))) />
        </ActionForm>
    }
}

/// The n8n form: the org's n8n and an API key (checked against n8n before it is kept).
#[component]
pub fn N8nForm(slug: String, n8n: Option<N8nView>, action: ServerAction<SaveN8n>) -> impl IntoView {
    let i18n = use_i18n();
    let err = action_error(action.value());
    let has_key = n8n.as_ref().is_some_and(|n| n.has_api_key);
    view! {
        <ActionForm action attr:id="n8n-form" attr:class="form">
            <FormMessage err=Signal::derive(move || err.get().filter(|e| e.fields.is_empty())) />
            <input type="hidden" name="slug" value=slug />
            <label>
                {t!(i18n, org_forms.n8n_url)}
                <input type="url" name="base_url" value=n8n.as_ref().map(|n| n.base_url.clone()).unwrap_or_default() placeholder="https://n8n.exemplo.com.br" autocapitalize="none" spellcheck="false" />
            </label>
            <FieldMessage err field="base_url" />
            <label>
                {t!(i18n, org_forms.n8n_key)}
                <input type="password" name="api_key" autocomplete="off" placeholder=secret_placeholder(i18n, has_key) />
            </label>
            <FieldMessage err field="api_key" />
            <SaveButton id="n8n-save" pending=action.pending() saved=Signal::derive(move || matches!(action.value().get(), Some(Ok(_)))) />
        </ActionForm>
    }
}

/// The org's rollout plan: its wave, technical owner and when its credentials were ready
/// (São Paulo time; the activation lead time counts from there).
#[component]
pub fn PlanForm(
    slug: String,
    plan: PlanDto,
    waves: Vec<WaveDto>,
    action: ServerAction<crate::api::rollout::SavePlan>,
) -> impl IntoView {
    let i18n = use_i18n();
    let err = action_error(action.value());
    let current = plan.wave.as_ref().map(|w| w.id);
    let ready = plan.credentials_ready_at.map(super::components::time::local_input_value).unwrap_or_default();
    view! {
        <ActionForm action attr:id="plan-form" attr:class="form">
            <FormMessage err=Signal::derive(move || err.get().filter(|e| e.fields.is_empty())) />
            <input type="hidden" name="slug" value=slug />
            <label>
                {t!(i18n, rollout.plan_wave)}
                <select name="wave_id" id="plan-wave">
                    <option value="" selected=current.is_none()>{t!(i18n, rollout.plan_no_wave)}</option>
                    {waves
                        .into_iter()
                        .map(|w| view! { <option value=w.id.0.to_string() selected=current == Some(w.id)>{w.name}</option> })
                        .collect_view()}
                </select>
            </label>
            <FieldMessage err field="wave_id" />
            <label>
                {t!(i18n, rollout.plan_owner)}
                <input type="text" name="technical_owner" id="plan-owner" maxlength="120" value=plan.technical_owner.clone() />
            </label>
            <FieldMessage err field="technical_owner" />
            <label>
                {t!(i18n, rollout.plan_ready)}
                <input type="datetime-local" name="credentials_ready_at" id="plan-ready" value=ready />
                <small class="muted">{t!(i18n, rollout.plan_ready_help)}</small>
            </label>
            <FieldMessage err field="credentials_ready_at" />
            <SaveButton id="plan-submit" pending=action.pending() saved=Signal::derive(move || matches!(action.value().get(), Some(Ok(_)))) />
        </ActionForm>
    }
}
