//! The one-time setup page that creates the first admin (link printed in the log).

use super::components::{action_error, FieldMessage, FormMessage};
use crate::api::auth::{setup_link_valid, CompleteSetup};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetupPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let valid = Resource::new(token, setup_link_valid);
    let setup = ServerAction::<CompleteSetup>::new();
    let err = action_error(setup.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = setup.value().get() {
            let _ = window().location().set_href("/orgs");
        }
    });
    view! {
        <main class="narrow">
            <div class="card">
                <h1>{t!(i18n, setup.title)}</h1>
                <Suspense fallback=move || t!(i18n, loading)>
                    {move || Suspend::new(async move {
                        if !matches!(valid.await, Ok(true)) {
                            #[cfg(feature = "ssr")]
                            if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
                                opts.set_status(http::StatusCode::FORBIDDEN);
                            }
                            return view! { <div class="error-box" role="alert">{t!(i18n, setup.invalid)}</div> }.into_any();
                        }
                        view! {
                            <p>{t!(i18n, setup.intro)}</p>
                            <ActionForm action=setup>
                                <input type="hidden" name="token" value=token() />
                                <FormMessage err=Signal::derive(move || err.get().filter(|e| e.fields.is_empty())) />
                                <label>{t!(i18n, setup.name)}<input type="text" name="name" required /></label>
                                <FieldMessage err field="name" />
                                <label>{t!(i18n, login.email)}<input type="email" name="email" required /></label>
                                <FieldMessage err field="email" />
                                <label>{t!(i18n, login.password)}<input type="password" name="password" autocomplete="new-password" required /></label>
                                <FieldMessage err field="password" />
                                <button type="submit" class="primary">{t!(i18n, setup.submit)}</button>
                            </ActionForm>
                        }
                            .into_any()
                    })}
                </Suspense>
            </div>
        </main>
    }
}
