//! Organizations: the list, the "new organization" installer form, the layout every org
//! page shares (`/orgs/:slug/…`: where you are, the org's status, one navigation). The org's
//! home is `org_home`.

use super::components::time::Time;
use super::components::{action_error, EmptyState, ErrorBox, FieldMessage, FormMessage, PageHead};
use crate::api::orgs::{get_org, list_orgs, stage_template, CreateOrg};
use crate::i18n::*;
use crate::model::{CurrentUser, Lifecycle, Role};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::{use_navigate, use_params_map};

/// The org's lifecycle state in the current language.
pub(crate) fn status_text(i18n: I18nContext<Locale>, state: Lifecycle) -> String {
    match state {
        Lifecycle::Draft => t_string!(i18n, lifecycle.draft).to_string(),
        Lifecycle::PreActivation => t_string!(i18n, lifecycle.pre_activation).to_string(),
        Lifecycle::Activation => t_string!(i18n, lifecycle.activation).to_string(),
        Lifecycle::Pilot => t_string!(i18n, lifecycle.pilot).to_string(),
        Lifecycle::Active => t_string!(i18n, lifecycle.active).to_string(),
        Lifecycle::RolledBack => t_string!(i18n, lifecycle.rolled_back).to_string(),
    }
}

#[component]
pub fn OrgListPage() -> impl IntoView {
    let i18n = use_i18n();
    let me = use_context::<CurrentUser>();
    let can_create = me.map(|m| m.role.allows(Role::Admin)).unwrap_or(false);
    let orgs = Resource::new(|| (), |_| list_orgs());
    view! {
        <PageHead title=move || t!(i18n, orgs.title)>
            <Show when=move || can_create>
                <a class="button primary" href="/orgs/new" id="new-org">{t!(i18n, orgs.new)}</a>
            </Show>
        </PageHead>
        <Suspense fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match orgs.await {
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState id="no-orgs" title=move || t!(i18n, orgs.empty)>
                            {if can_create { t!(i18n, orgs.empty_admin).into_any() } else { t!(i18n, orgs.empty_ask).into_any() }}
                        </EmptyState>
                    }
                    .into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                        <table class="grid" id="org-list">
                            <thead>
                                <tr>
                                    <th>{t!(i18n, orgs.name)}</th>
                                    <th>{t!(i18n, orgs.slug)}</th>
                                    <th>{t!(i18n, orgs.status)}</th>
                                    <th>{t!(i18n, orgs.created)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list
                                    .into_iter()
                                    .map(|o| {
                                        let status = o.lifecycle;
                                        view! {
                                            <tr data-slug=o.slug.clone()>
                                                <td><a href=format!("/orgs/{}", o.slug)>{o.name.clone()}</a></td>
                                                <td><code>{o.slug.clone()}</code></td>
                                                <td><span class=format!("badge {}", status.as_str())>{move || status_text(i18n, status)}</span></td>
                                                <td><Time at=Some(o.created_at) date_only=true /></td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                        </div>
                    }
                        .into_any(),
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn NewOrgPage() -> impl IntoView {
    let i18n = use_i18n();
    let me = use_context::<CurrentUser>();
    // Check the role before creating any resource: a resource nobody reads would keep an
    // async server render waiting for it.
    if !me.map(|m| m.role.allows(Role::Admin)).unwrap_or(false) {
        return view! { <ErrorBox err=crate::model::AppError::new(crate::model::ErrorCode::Forbidden) /> }.into_any();
    }
    let create = ServerAction::<CreateOrg>::new();
    let err = action_error(create.value());
    let template = Resource::new(|| (), |_| stage_template());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(org)) = create.value().get() {
            // On to the wizard's second step: the org exists, its channel is next.
            navigate(&super::wizard::wizard_href(&org.slug), Default::default());
        }
    });
    view! {
        <PageHead title=move || t!(i18n, org_new.title) />
        <super::wizard::FirstStep />
        <Suspense fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                let stages = match template.await {
                    Ok(s) => s.join("\n"),
                    Err(err) => return view! { <ErrorBox err /> }.into_any(),
                };
                view! {
                    <ActionForm action=create attr:id="new-org-form" attr:class="form">
                        <FormMessage err=Signal::derive(move || err.get().filter(|e| e.fields.is_empty())) />
                        <label>{t!(i18n, org_new.name)}<input type="text" name="name" maxlength="120" /></label>
                        <FieldMessage err field="name" />
                        <label>
                            {t!(i18n, org_new.slug)}
                            <input type="text" name="slug" maxlength="63" autocapitalize="none" spellcheck="false" />
                            <small class="muted">{t!(i18n, org_new.slug_help)}</small>
                        </label>
                        <FieldMessage err field="slug" />
                        <label>{t!(i18n, org_new.board_name)}<input type="text" name="board_name" value="Funil de vendas" /></label>
                        <FieldMessage err field="board_name" />
                        <label>
                            {t!(i18n, org_new.stages)}
                            <textarea name="stages" rows="6">{stages}</textarea>
                            <small class="muted">{t!(i18n, org_new.stages_help)}</small>
                        </label>
                        <FieldMessage err field="stages" />
                        <button type="submit" class="primary" disabled=move || create.pending().get()>
                            {move || if create.pending().get() { t_string!(i18n, saving).to_string() } else { t_string!(i18n, org_new.submit).to_string() }}
                        </button>
                    </ActionForm>
                }
                    .into_any()
            })}
        </Suspense>
    }
    .into_any()
}

/// The org's head (name, state) is read once per org; a page that changes them says so here.
#[derive(Clone, Copy)]
pub(crate) struct OrgChanged(RwSignal<usize>);

impl OrgChanged {
    /// Has the head read the org again (no-op outside an org's pages).
    pub(crate) fn notify() {
        if let Some(OrgChanged(n)) = use_context::<OrgChanged>() {
            n.update(|v| *v += 1);
        }
    }
}

/// Every page of one org: where you are (organizations / this org, with its status) and
/// the org's navigation, then the page. The head loads on its own, so a page never waits
/// for it (and the page's own errors, such as an unknown org, show in the page).
#[component]
pub fn OrgLayout() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    // Pages that change the org (its state, its name) bump this so the head reads it again.
    let changed = RwSignal::new(0usize);
    provide_context(OrgChanged(changed));
    let org = Resource::new(move || (slug(), changed.get()), |(slug, _)| get_org(slug));
    let to = move |tail: &'static str| move || format!("/orgs/{}{tail}", slug());
    view! {
        <div class="org-head">
            <nav class="crumbs" aria-label=move || t_string!(i18n, org.crumbs).to_string()>
                <a href="/orgs">{t!(i18n, nav.orgs)}</a>
                <span class="sep" aria-hidden="true">"/"</span>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        org.await.ok().map(|detail| {
                            let status = detail.org.lifecycle;
                            view! {
                                <a id="org-name" href=format!("/orgs/{}", detail.org.slug)>{detail.org.name.clone()}</a>
                                <span id="org-status" class=format!("badge {}", status.as_str())>{move || status_text(i18n, status)}</span>
                            }
                        })
                    })}
                </Suspense>
            </nav>
            <nav class="org-nav" id="org-nav">
                <A href=to("") exact=true attr:id="org-overview-link">{t!(i18n, org.overview)}</A>
                <A href=to("/onboarding") attr:id="org-onboarding-link">{t!(i18n, checklist.nav)}</A>
                <A href=to("/wizard") attr:id="org-wizard-link">{t!(i18n, wizard.nav)}</A>
                <A href=to("/review") attr:id="org-review-link">{t!(i18n, review.nav)}</A>
                <A href=to("/evidence") attr:id="org-evidence-link">{t!(i18n, evidence.nav)}</A>
                <A href=to("/events") attr:id="org-events-link">{t!(i18n, events.title)}</A>
                <A href=to("/automation") attr:id="org-automation-link">{t!(i18n, automation.title)}</A>
                <A href=to("/contacts") attr:id="org-contacts-link">{t!(i18n, imports.title)}</A>
                <A href=to("/backfill") attr:id="org-backfill-link">{t!(i18n, backfill.nav)}</A>
                <A href=to("/reconciliation") attr:id="org-reconciliation-link">{t!(i18n, reconciliation.title)}</A>
            </nav>
        </div>
        <Outlet />
    }
}
