//! The login page.

use super::components::{action_error, FieldMessage, FormMessage, HydrationMark};
use super::LanguageSwitch;
use crate::api::auth::{get_current_user, Login};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::Redirect;

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let login = ServerAction::<Login>::new();
    let err = action_error(login.value());
    // Someone already logged in (or coming back from a plain form post) goes on.
    let already = Resource::new(|| (), |_| get_current_user());
    Effect::new(move |_| {
        if let Some(Ok(_)) = login.value().get() {
            let _ = window().location().set_href("/orgs");
        }
    });
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                matches!(already.await, Ok(Some(_))).then(|| view! { <Redirect path="/orgs" /> })
            })}
        </Suspense>
        <HydrationMark />
        <main class="narrow">
            <div class="card">
                <div class="card-head">
                    <h1>{t!(i18n, login.title)}</h1>
                    <LanguageSwitch />
                </div>
                <p class="muted">{t!(i18n, tagline)}</p>
                <ActionForm action=login attr:id="login-form">
                    <FormMessage err=Signal::derive(move || err.get().filter(|e| e.fields.is_empty())) />
                    <label>
                        {t!(i18n, login.email)}
                        <input type="email" name="email" autocomplete="username" required />
                    </label>
                    <FieldMessage err field="email" />
                    <label>
                        {t!(i18n, login.password)}
                        <input type="password" name="password" autocomplete="current-password" required />
                    </label>
                    <FieldMessage err field="password" />
                    <button type="submit" class="primary" disabled=move || login.pending().get()>
                        {t!(i18n, login.submit)}
                    </button>
                </ActionForm>
            </div>
        </main>
    }
}
