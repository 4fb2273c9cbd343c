//! `/orgs/:slug/wizard`, the new-client wizard: the plan's six steps on screens of their
//! own (step 1, creating the org, is `/orgs/new`). Each step shows its form and the checks
//! that settle it, and "continue" runs those checks and moves on only when they pass. The
//! wizard keeps nothing of its own: it resumes at the first step not done, and `?step=`
//! opens a step already done (or the current one) to look at it again.

use super::components::{action_error, allowed, ErrorBox, FieldMessage, FormMessage, PageHead};
use super::live_smoke::LiveSmoke;
use super::onboarding::{item_label, item_status_label, RunView};
use super::org_forms::{inbox_loader, ChatwootForm, InboxLoad, N8nForm};
use crate::api::automation::RollForwardOrg;
use crate::api::onboarding::{wizard_state, InstallV2, RunSmokeTests, WizardAdvance};
use crate::api::orgs::{org_home, SaveChatwoot, SaveN8n};
use crate::i18n::*;
use crate::model::{ChecklistItemDto, OrgHome, Role, WizardDto, WizardStep};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

pub(crate) fn step_label(i18n: I18nContext<Locale>, step: WizardStep) -> String {
    match step {
        WizardStep::CreateOrg => t_string!(i18n, wizard.step_create_org).to_string(),
        WizardStep::Chatwoot => t_string!(i18n, wizard.step_chatwoot).to_string(),
        WizardStep::Webhook => t_string!(i18n, wizard.step_webhook).to_string(),
        WizardStep::Workflow => t_string!(i18n, wizard.step_workflow).to_string(),
        WizardStep::Smoke => t_string!(i18n, wizard.step_smoke).to_string(),
        WizardStep::Release => t_string!(i18n, wizard.step_release).to_string(),
    }
}

fn step_help(i18n: I18nContext<Locale>, step: WizardStep) -> String {
    match step {
        WizardStep::CreateOrg => t_string!(i18n, wizard.help_create_org).to_string(),
        WizardStep::Chatwoot => t_string!(i18n, wizard.help_chatwoot).to_string(),
        WizardStep::Webhook => t_string!(i18n, wizard.help_webhook).to_string(),
        WizardStep::Workflow => t_string!(i18n, wizard.help_workflow).to_string(),
        WizardStep::Smoke => t_string!(i18n, wizard.help_smoke).to_string(),
        WizardStep::Release => t_string!(i18n, wizard.help_release).to_string(),
    }
}

/// The six steps in a row: done ones and the current one open on a click.
#[component]
pub fn Stepper(
    #[prop(into)] slug: Option<String>,
    current: WizardStep,
    shown: WizardStep,
    done: Vec<WizardStep>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ol class="stepper" id="wizard-steps">
            {WizardStep::ALL
                .iter()
                .map(|&step| {
                    let is_done = done.contains(&step);
                    let open = is_done || step == current;
                    let class = match (step == shown, is_done) {
                        (true, _) => "shown",
                        (false, true) => "done",
                        _ if step == current => "current",
                        _ => "later",
                    };
                    let label = move || format!("{}. {}", step.number(), step_label(i18n, step));
                    let link = slug.clone().filter(|_| open && step != WizardStep::CreateOrg);
                    view! {
                        <li class=class data-step=step.as_str() data-done=is_done.to_string()>
                            {match link {
                                Some(slug) => view! { <a href=format!("/orgs/{slug}/wizard?step={}", step.as_str())>{label}</a> }.into_any(),
                                None => view! { <span>{label}</span> }.into_any(),
                            }}
                            {is_done.then(|| view! { <span class="tick" aria-hidden="true">" ✓"</span> })}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

#[component]
pub fn WizardPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let asked = move || query.with(|q| q.get("step")).and_then(|s| s.parse::<WizardStep>().ok());
    let advance = ServerAction::<WizardAdvance>::new();
    let chatwoot = ServerAction::<SaveChatwoot>::new();
    let n8n = ServerAction::<SaveN8n>::new();
    let install = ServerAction::<InstallV2>::new();
    let activate = ServerAction::<RollForwardOrg>::new();
    let smoke = ServerAction::<RunSmokeTests>::new();
    let live_ended = RwSignal::new(0u64);
    let versions = move || {
        (
            advance.version().get(),
            chatwoot.version().get(),
            n8n.version().get(),
            install.version().get(),
            activate.version().get(),
            smoke.version().get(),
            live_ended.get(),
        )
    };
    let wizard = Resource::new(move || (slug(), versions()), |(slug, _)| wizard_state(slug));
    let home = Resource::new(move || (slug(), versions()), |(slug, _)| org_home(slug));
    // The release step's technical owner choice; read with the page (a resource of its own
    // inside the step would not hydrate).
    let owners = Resource::new(|| (), |_| crate::api::onboarding::go_live_owners());
    // The step an action was taken on stays shown when the action settles it (the smoke
    // results are read before moving on); "continue" moves on.
    let stay = RwSignal::new(None::<WizardStep>);
    for (pending, step) in [
        (chatwoot.pending(), WizardStep::Chatwoot),
        (n8n.pending(), WizardStep::Workflow),
        (install.pending(), WizardStep::Workflow),
        (activate.pending(), WizardStep::Workflow),
        (smoke.pending(), WizardStep::Smoke),
    ] {
        Effect::new(move |_| {
            if pending.get() {
                stay.set(Some(step));
            }
        });
    }
    // A step that passed moves the wizard on: drop the `?step=` that held it in place, and
    // have the org's head read its new state.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = advance.value().get() {
            stay.set(None);
            super::orgs::OrgChanged::notify();
            if asked().is_some() {
                navigate(&format!("/orgs/{}/wizard", slug()), Default::default());
            }
        }
    });
    let operator = allowed(Role::Operator);
    // The step on screen is the smoke step.
    let on_smoke = Memo::new(move |_| {
        wizard.get().and_then(Result::ok).is_some_and(|w| shown_step(asked().or(stay.get()), &w) == WizardStep::Smoke)
    });
    let inbox_load = inbox_loader(slug, chatwoot);
    let actions = Actions { advance, chatwoot, n8n, install, activate, smoke, inbox_load };
    view! {
        <PageHead title=move || t!(i18n, wizard.title) />
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match (wizard.await, home.await, owners.await) {
                    (Ok(w), Ok(h), Ok(owners)) => {
                        let shown = shown_step(asked().or(stay.get_untracked()), &w);
                        view! { <Wizard wizard=w home=h owners shown operator actions /> }.into_any()
                    }
                    (Err(err), _, _) | (_, Err(err), _) | (_, _, Err(err)) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Transition>
        // Outside the step's view, which every action rebuilds: a live smoke run outlives
        // those rebuilds, and reloads the wizard when it ends.
        <Show when=move || on_smoke.get()>
            <LiveSmoke slug=slug() operator on_end=Callback::new(move |_| live_ended.update(|n| *n += 1)) />
        </Show>
    }
}

/// The step on screen: the one asked for (or held after an action) when it is the current
/// one or a done one, else the current one.
fn shown_step(wanted: Option<WizardStep>, w: &WizardDto) -> WizardStep {
    wanted.filter(|s| *s == w.current || w.steps.iter().any(|d| d.step == *s && d.done)).unwrap_or(w.current)
}

#[derive(Clone, Copy)]
struct Actions {
    advance: ServerAction<WizardAdvance>,
    chatwoot: ServerAction<SaveChatwoot>,
    n8n: ServerAction<SaveN8n>,
    install: ServerAction<InstallV2>,
    activate: ServerAction<RollForwardOrg>,
    smoke: ServerAction<RunSmokeTests>,
    inbox_load: InboxLoad,
}

#[component]
fn Wizard(
    wizard: WizardDto,
    home: OrgHome,
    owners: Vec<(String, String)>,
    shown: WizardStep,
    operator: bool,
    actions: Actions,
) -> impl IntoView {
    let i18n = use_i18n();
    let done: Vec<WizardStep> = wizard.steps.iter().filter(|s| s.done).map(|s| s.step).collect();
    let step_done = done.contains(&shown);
    let items: Vec<ChecklistItemDto> =
        wizard.steps.iter().find(|s| s.step == shown).map(|s| s.items.clone()).unwrap_or_default();
    let slug = wizard.slug.clone();
    let body = match shown {
        WizardStep::CreateOrg => view! {
            <p id="wizard-created">{t!(i18n, wizard.created)} " " <strong>{wizard.name.clone()}</strong> " (" <code>{slug.clone()}</code> ")"</p>
        }
        .into_any(),
        WizardStep::Chatwoot => view! {
            <ChatwootForm slug=slug.clone() config=home.chatwoot.clone() action=actions.chatwoot load=actions.inbox_load />
        }
        .into_any(),
        WizardStep::Webhook => view! {
            <dl class="facts">
                <dt>{t!(i18n, home.webhook_url)}</dt>
                <dd id="wizard-webhook-url">
                    {home.webhook_url.clone().unwrap_or_else(|| t_string!(i18n, home.no_public_url).to_string())}
                </dd>
            </dl>
            <p class="notice">{t!(i18n, wizard.webhook_writes)}</p>
        }
        .into_any(),
        WizardStep::Workflow => {
            let installed = home.n8n.as_ref().is_some_and(|n| n.v2_workflow_id.is_some());
            let configured = home.n8n.is_some();
            let (install_slug, activate_slug) = (slug.clone(), slug.clone());
            let install_err = action_error(actions.install.value());
            let activate_err = action_error(actions.activate.value());
            view! {
                <N8nForm slug=slug.clone() n8n=home.n8n.clone() action=actions.n8n />
                <section class="actions" id="wizard-v2-actions">
                    <FormMessage err=install_err />
                    <FormMessage err=activate_err />
                    {(configured && !installed).then(|| view! {
                        <ActionForm action=actions.install attr:class="inline">
                            <input type="hidden" name="slug" value=install_slug />
                            <button type="submit" id="wizard-install" disabled=move || actions.install.pending().get()>
                                {move || if actions.install.pending().get() { t_string!(i18n, wizard.installing).to_string() } else { t_string!(i18n, wizard.install).to_string() }}
                            </button>
                        </ActionForm>
                    })}
                    {installed.then(|| view! {
                        <ActionForm action=actions.activate attr:class="inline">
                            <input type="hidden" name="slug" value=activate_slug />
                            <button type="submit" id="wizard-activate" disabled=move || actions.activate.pending().get()>{t!(i18n, wizard.activate)}</button>
                        </ActionForm>
                    })}
                    {(!configured).then(|| view! { <p class="muted">{t!(i18n, wizard.n8n_first)}</p> })}
                </section>
            }
            .into_any()
        }
        WizardStep::Smoke => {
            let smoke_err = action_error(actions.smoke.value());
            let smoke_slug = slug.clone();
            view! {
                <ActionForm action=actions.smoke attr:id="wizard-smoke-form" attr:class="inline">
                    <FormMessage err=smoke_err />
                    <input type="hidden" name="slug" value=smoke_slug />
                    <label>
                        {t!(i18n, checklist.smoke_mode)}
                        <select name="mode">
                            <option value="synthetic">{t!(i18n, checklist.smoke_synthetic)}</option>
                            <option value="chatwoot_api">{t!(i18n, checklist.smoke_chatwoot_api)}</option>
                        </select>
                    </label>
                    <button type="submit" class="primary" id="wizard-smoke" disabled=move || actions.smoke.pending().get()>
                        {move || if actions.smoke.pending().get() { t_string!(i18n, checklist.smoke_running).to_string() } else { t_string!(i18n, checklist.smoke_run).to_string() }}
                    </button>
                </ActionForm>
            }
            .into_any()
        }
        WizardStep::Release => {
            if step_done {
                view! {
                    <div class="card" id="wizard-released">
                        <p><strong>{t!(i18n, wizard.released)}</strong></p>
                        <p>
                            <a href=format!("/orgs/{slug}")>{t!(i18n, wizard.to_home)}</a> " · "
                            <a href=format!("/orgs/{slug}/evidence") id="wizard-evidence-link">{t!(i18n, wizard.evidence_link)}</a> " · "
                            <a href="/rollout">{t!(i18n, rollout.board_link)}</a>
                        </p>
                    </div>
                }
                .into_any()
            } else {
                ().into_any()
            }
        }
    };
    let next = WizardStep::ALL.get(shown.number()).copied();
    view! {
        <Stepper slug=Some(slug.clone()) current=wizard.current shown done=done.clone() />
        <section class="card wizard-step" id="wizard-step" data-step=shown.as_str() data-done=step_done.to_string()>
            <h2>{move || format!("{} {} {} · {}", t_string!(i18n, wizard.step), shown.number(), t_string!(i18n, wizard.of_six), step_label(i18n, shown))}</h2>
            <p class="muted">{move || step_help(i18n, shown)}</p>
            {body}
            {(!items.is_empty()).then(|| view! { <StepItems items=items.clone() /> })}
            {operator.then(|| view! { <Advance slug=slug.clone() step=shown done=step_done next owners=owners.clone() action=actions.advance /> })}
        </section>
    }
}

/// The checklist items this step settles, with their latest run.
#[component]
fn StepItems(items: Vec<ChecklistItemDto>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ul class="wizard-items" id="wizard-items">
            {items
                .into_iter()
                .map(|item| {
                    let (key, status) = (item.key, item.status);
                    view! {
                        <li data-item=key.as_str() data-status=status.as_str()>
                            <span class=format!("badge {}", status.as_str())>{move || item_status_label(i18n, status)}</span>
                            " " <strong>{move || item_label(i18n, key)}</strong>
                            {item.last_run.map(|run| view! { <RunView run /> })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// "Verificar e continuar" (on the last step, the release with its target), or the way
/// on when the step is done.
#[component]
fn Advance(
    slug: String,
    step: WizardStep,
    done: bool,
    next: Option<WizardStep>,
    owners: Vec<(String, String)>,
    action: ServerAction<WizardAdvance>,
) -> impl IntoView {
    let i18n = use_i18n();
    let err = action_error(action.value());
    if done && step != WizardStep::Release {
        let href = match next {
            Some(n) => format!("/orgs/{slug}/wizard?step={}", n.as_str()),
            None => format!("/orgs/{slug}/wizard"),
        };
        return view! {
            <p class="actions">
                <a class="button primary" id="wizard-next" href=href>{t!(i18n, wizard.next)}</a>
                " "
                <ActionForm action attr:class="inline">
                    <input type="hidden" name="slug" value=slug.clone() />
                    <input type="hidden" name="step" value=step.as_str() />
                    <button type="submit" id="wizard-recheck">{t!(i18n, wizard.recheck)}</button>
                </ActionForm>
            </p>
        }
        .into_any();
    }
    if done {
        return ().into_any();
    }
    let label = move || match step {
        WizardStep::Webhook => t_string!(i18n, checklist.verify_register).to_string(),
        WizardStep::Release => t_string!(i18n, wizard.release).to_string(),
        _ => t_string!(i18n, wizard.verify_continue).to_string(),
    };
    view! {
        <ActionForm action attr:id="wizard-advance" attr:class="form">
            <FormMessage err />
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="step" value=step.as_str() />
            {(step == WizardStep::Release).then(|| view! {
                <fieldset class="choices">
                    <legend>{t!(i18n, wizard.release_to)}</legend>
                    <label><input type="radio" name="target" value="pilot" checked=true />" " {t!(i18n, lifecycle.pilot)}</label>
                    <label><input type="radio" name="target" value="active" />" " {t!(i18n, lifecycle.active)}</label>
                </fieldset>
                <OwnerChoice owners=owners.clone() />
                <FieldMessage err field="technical_owner" />
                <label>
                    {t!(i18n, wizard.live_at)}
                    <input type="datetime-local" name="live_at" id="wizard-live-at" />
                </label>
                <FieldMessage err field="live_at" />
            })}
            <button type="submit" class="primary" id="wizard-continue" disabled=move || action.pending().get()>
                {move || if action.pending().get() { t_string!(i18n, checklist.verifying).to_string() } else { label() }}
            </button>
        </ActionForm>
    }
    .into_any()
}

/// The technical owner: a portal user, the person releasing by default.
#[component]
fn OwnerChoice(owners: Vec<(String, String)>) -> impl IntoView {
    let i18n = use_i18n();
    let me = use_context::<crate::model::CurrentUser>().map(|u| u.email).unwrap_or_default();
    view! {
        <label>
            {t!(i18n, wizard.technical_owner)}
            <select name="technical_owner" id="wizard-owner">
                {owners
                    .into_iter()
                    .map(|(email, name)| {
                        let selected = email == me;
                        view! { <option value=email.clone() selected=selected>{format!("{name} <{email}>")}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// Step 1 on `/orgs/new`: the same stepper above the creation form.
#[component]
pub fn FirstStep() -> impl IntoView {
    let no_slug: Option<String> = None;
    view! { <Stepper slug=no_slug current=WizardStep::CreateOrg shown=WizardStep::CreateOrg done=vec![] /> }
}

/// The wizard's state as a whole, for pages that link to it.
pub(crate) fn wizard_href(slug: &str) -> String {
    format!("/orgs/{slug}/wizard")
}
