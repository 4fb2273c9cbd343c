//! The default stage template that new organizations start with (admins edit it).

use super::components::{action_error, ErrorBox, FieldMessage, FormMessage, PageHead};
use crate::api::orgs::{stage_template, SaveStageTemplate};
use crate::i18n::*;
use crate::model::{AppError, CurrentUser, ErrorCode, Role};
use leptos::prelude::*;

#[component]
pub fn TemplatePage() -> impl IntoView {
    let i18n = use_i18n();
    // Role first, resources after (see NewOrgPage).
    if !use_context::<CurrentUser>().is_some_and(|m| m.role.allows(Role::Admin)) {
        return view! { <ErrorBox err=AppError::new(ErrorCode::Forbidden) /> }.into_any();
    }
    let save = ServerAction::<SaveStageTemplate>::new();
    let err = action_error(save.value());
    let current = Resource::new(move || save.version().get(), |_| stage_template());
    view! {
        <PageHead title=move || t!(i18n, template.title) />
        <p class="muted">{t!(i18n, template.help)}</p>
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match current.await {
                    Ok(stages) => view! {
                        <ActionForm action=save attr:id="template-form">
                            <FormMessage err=Signal::derive(move || err.get().filter(|e| e.fields.is_empty())) />
                            <textarea name="stages" rows="8">{stages.join("\n")}</textarea>
                            <FieldMessage err field="stages" />
                            <button type="submit" class="primary">{t!(i18n, template.submit)}</button>
                            <Show when=move || matches!(save.value().get(), Some(Ok(_)))>
                                <p class="ok" role="status">{t!(i18n, template.saved)}</p>
                            </Show>
                        </ActionForm>
                    }
                        .into_any(),
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}
