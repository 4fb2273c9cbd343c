//! The portal: the HTML shell, the router and the authenticated layout. One file per
//! portal area; shared widgets in `components/`.

pub mod automation;
pub mod backfill;
pub mod components;
pub mod contacts;
pub mod events;
pub mod evidence;
pub mod live_smoke;
pub mod login;
pub mod onboarding;
pub mod org_forms;
pub mod org_home;
pub mod orgs;
pub mod reconciliation;
pub mod review;
pub mod rollout;
pub mod setup;
pub mod template;
pub mod wizard;

use crate::api::auth::{get_current_user, Logout};
use crate::i18n::*;
use crate::model::{CurrentUser, Role};
use components::{ErrorBox, HydrationMark};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Stylesheet, Title};
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes, A};
use leptos_router::{path, SsrMode};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // pt-BR unless the person picked English (kept in a cookie): the browser's
    // Accept-Language is ignored on purpose, the operators work in Portuguese.
    let no_header = leptos_use::UseLocalesOptions::default().ssr_lang_header_getter(|| None);
    view! {
        <I18nContextProvider ssr_lang_header_getter=no_header>
            <Stylesheet id="ponte-css" href="/ponte.css" />
            <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
            <Title text="Ponte" />
            <Router>
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/login") view=login::LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/setup") view=setup::SetupPage ssr=SsrMode::Async />
                    <ParentRoute path=path!("") view=Layout ssr=SsrMode::Async>
                        <Route path=path!("") view=|| view! { <Redirect path="/orgs" /> } />
                        <Route path=path!("orgs") view=orgs::OrgListPage />
                        <Route path=path!("orgs/new") view=orgs::NewOrgPage />
                        // Route nouns are English, like the APIs'; the pages speak the
                        // operator's language.
                        <ParentRoute path=path!("orgs/:slug") view=orgs::OrgLayout>
                            <Route path=path!("") view=org_home::OrgPage />
                            <Route path=path!("onboarding") view=onboarding::OnboardingPage />
                            <Route path=path!("wizard") view=wizard::WizardPage />
                            <Route path=path!("review") view=review::ReviewPage />
                            <Route path=path!("events") view=events::EventsPage />
                            <Route path=path!("events/:id") view=events::EventPage />
                            <Route path=path!("automation") view=automation::AutomationPage />
                            <Route path=path!("evidence") view=evidence::EvidencePage />
                            <Route path=path!("contacts") view=contacts::ContactsPage />
                            <Route path=path!("contacts/:id") view=contacts::ContactPage />
                            <Route path=path!("backfill") view=backfill::OrgBackfillPage />
                            <Route path=path!("reconciliation") view=reconciliation::ReconciliationPage />
                        </ParentRoute>
                        <Route path=path!("rollout") view=rollout::RolloutPage />
                        <Route path=path!("backfill") view=backfill::BackfillOverviewPage />
                        <Route path=path!("settings/template") view=template::TemplatePage />
                    </ParentRoute>
                </Routes>
            </Router>
        </I18nContextProvider>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <HydrationMark />
        <main class="narrow">
            <div class="card not-found" id="not-found">
                <h1>{t!(i18n, not_found)}</h1>
                <p class="muted">{t!(i18n, not_found_help)}</p>
                <a class="button primary" href="/orgs">{t!(i18n, back_to_orgs)}</a>
            </div>
        </main>
    }
}

/// Every page behind login: resolves the session first, then shows the navigation and the
/// page. Without a session the person is sent to the login page (a 302 on first load).
#[component]
fn Layout() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(me)) => {
                        provide_context(me.clone());
                        view! {
                            <HydrationMark />
                            <Header me />
                            <main class="page">
                                <Outlet />
                            </main>
                        }
                            .into_any()
                    }
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(err) => view! { <main class="page"><ErrorBox err /></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Header(me: CurrentUser) -> impl IntoView {
    let i18n = use_i18n();
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            let _ = window().location().set_href("/login");
        }
    });
    let role = move || match me.role {
        Role::Admin => t_string!(i18n, role.admin).to_string(),
        Role::Operator => t_string!(i18n, role.operator).to_string(),
        Role::Viewer => t_string!(i18n, role.viewer).to_string(),
    };
    let is_admin = me.role.allows(Role::Admin);
    view! {
        <header class="topbar">
            <a class="brand" href="/orgs">"Ponte"</a>
            <nav>
                <A href="/orgs">{t!(i18n, nav.orgs)}</A>
                <A href="/rollout">{t!(i18n, nav.rollout)}</A>
                <A href="/backfill">{t!(i18n, nav.backfill)}</A>
                <Show when=move || is_admin>
                    <A href="/settings/template">{t!(i18n, nav.template)}</A>
                </Show>
            </nav>
            <div class="who">
                <span class="user" data-role=me.role.as_str()>{me.name.clone()} " · " {role}</span>
                <LanguageSwitch />
                <ActionForm action=logout attr:class="inline">
                    <button type="submit" class="link" id="logout">{t!(i18n, nav.logout)}</button>
                </ActionForm>
            </div>
        </header>
    }
}

#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let pick = move |l: Locale| move |_| i18n.set_locale(l);
    view! {
        <span class="lang" title=move || t_string!(i18n, nav.language).to_string()>
            <button class="link" class:current=move || i18n.get_locale() == Locale::pt_BR on:click=pick(Locale::pt_BR)>"PT"</button>
            <button class="link" class:current=move || i18n.get_locale() == Locale::en on:click=pick(Locale::en)>"EN"</button>
        </span>
    }
}
