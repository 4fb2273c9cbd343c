//! `/orgs/:slug/reconciliation`: identity conflicts as tasks. Each shows the number and both
//! contacts side by side (identities, deals, conversations) with the resolutions its kind
//! allows; a decision is confirmed with its effect spelled out before it applies; resolved
//! tasks show who decided what, and when.

use super::components::time::Time;
use super::components::{
    action_error, allowed, deal_status_text, source_label, EmptyState, ErrorBox, FormMessage, NoteText, PageHead,
};
use super::contacts::ContactFacts;
use crate::api::reconciliation::{reconciliation_tasks, ReopenTask, ResolveTask};
use crate::i18n::*;
use crate::model::{ConflictKind, ConflictStatus, ContactCard, ReconciliationTaskDto, Resolution, Role};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::hooks::use_params_map;

pub(crate) fn kind_text(i18n: I18nContext<Locale>, kind: ConflictKind) -> String {
    match kind {
        ConflictKind::NumberTaken => t_string!(i18n, reconciliation.kind_number_taken).to_string(),
        ConflictKind::DuplicatePhone => t_string!(i18n, reconciliation.kind_duplicate_phone).to_string(),
        ConflictKind::NormalizesDifferently => t_string!(i18n, reconciliation.kind_normalizes_differently).to_string(),
        ConflictKind::AmbiguousIdentity => t_string!(i18n, reconciliation.kind_ambiguous_identity).to_string(),
        ConflictKind::ConversationContactMismatch => {
            t_string!(i18n, reconciliation.kind_conversation_mismatch).to_string()
        }
        ConflictKind::InvalidPhone => t_string!(i18n, reconciliation.kind_invalid_phone).to_string(),
    }
}

fn resolution_text(i18n: I18nContext<Locale>, r: Resolution) -> String {
    match r {
        Resolution::Kept => t_string!(i18n, reconciliation.kept).to_string(),
        Resolution::LinkedOther => t_string!(i18n, reconciliation.linked_other).to_string(),
        Resolution::NotSamePerson => t_string!(i18n, reconciliation.not_same_person).to_string(),
    }
}

/// What a decision will do, said before it is confirmed.
fn effect_text(i18n: I18nContext<Locale>, r: Resolution) -> String {
    match r {
        Resolution::Kept => t_string!(i18n, reconciliation.effect_kept).to_string(),
        Resolution::LinkedOther => t_string!(i18n, reconciliation.effect_linked_other).to_string(),
        Resolution::NotSamePerson => t_string!(i18n, reconciliation.effect_not_same_person).to_string(),
    }
}

#[component]
fn Card(card: Option<ContactCard>, role: &'static str, slug: String) -> impl IntoView {
    let i18n = use_i18n();
    let Some(card) = card else {
        return view! { <div class=format!("contact-card {role} none")>{t!(i18n, reconciliation.no_contact)}</div> }
            .into_any();
    };
    let c = card.contact;
    view! {
        <div class=format!("contact-card {role}") data-contact=c.id.0>
            <h3>
                <a href=format!("/orgs/{slug}/contacts/{}", c.id)>{c.name.clone().unwrap_or_else(|| format!("#{}", c.id))}</a>
            </h3>
            <dl class="facts">
                <ContactFacts contact=c.clone() />
                <dt>{t!(i18n, reconciliation.identities)}</dt>
                <dd class="identities">
                    {if card.identities.is_empty() {
                        "—".to_string()
                    } else {
                        card.identities.iter().map(|i| i.session_key.clone()).collect::<Vec<_>>().join(", ")
                    }}
                </dd>
                <dt>{t!(i18n, reconciliation.deals)}</dt>
                <dd class="deals">
                    {if card.deals.is_empty() {
                        "—".to_string()
                    } else {
                        card.deals
                            .iter()
                            .map(|d| format!("#{} {} ({})", d.id, d.stage_label, deal_status_text(i18n, d.status)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }}
                </dd>
                <dt>{t!(i18n, reconciliation.conversations)}</dt>
                <dd class="conversations">
                    {if card.conversations.is_empty() {
                        "—".to_string()
                    } else {
                        card.conversations.iter().map(|v| format!("{} #{}", source_label(v.source), v.chatwoot_conversation_id)).collect::<Vec<_>>().join(", ")
                    }}
                </dd>
            </dl>
        </div>
    }
    .into_any()
}

#[component]
fn Task(
    task: ReconciliationTaskDto,
    slug: String,
    resolve: ServerAction<ResolveTask>,
    reopen: ServerAction<ReopenTask>,
    operator: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = task.id;
    // The decision picked and waiting for its confirmation.
    let picked = RwSignal::new(None::<Resolution>);
    let confirm_slug = slug.clone();
    view! {
        <article class="task" data-task=id.0 data-kind=task.kind.as_str() data-status=task.status.as_str()>
            <header>
                <strong>{kind_text(i18n, task.kind)}</strong>
                " · "
                <code class="number">{task.external_id.clone()}</code>
                {task.phone_raw.clone().filter(|r| *r != task.external_id).map(|raw| view! { <span class="muted">{format!(" ({raw})")}</span> })}
                <span class="muted">" · " <Time at=Some(task.created_at) /></span>
            </header>
            {task.detail.clone().map(|d| view! { <p class="muted"><NoteText note=Some(d) slug=slug.clone() /></p> })}
            <div class="side-by-side">
                <Card card=task.contact.clone() role="this" slug=slug.clone() />
                <Card card=task.other.clone() role="other" slug=slug.clone() />
            </div>
            {match task.resolution {
                Some(r) => {
                    let undoing = RwSignal::new(false);
                    let slug = StoredValue::new(slug.clone());
                    view! {
                        <p class="resolution" data-resolution=r.as_str()>
                            {resolution_text(i18n, r)}
                            {format!(" · {} · ", task.resolved_by.clone().unwrap_or_default())}
                            <Time at=task.resolved_at />
                        </p>
                        <Show when=move || operator>
                            <div class="actions" class:hidden=move || undoing.get()>
                                <button type="button" class="reopen" on:click=move |_| undoing.set(true)>
                                    {t!(i18n, reconciliation.reopen)}
                                </button>
                            </div>
                            <Show when=move || undoing.get()>
                                <div class="confirm reopen-confirm">
                                    <p>{t!(i18n, reconciliation.reopen_confirm)}</p>
                                    <div class="actions">
                                        <button
                                            type="button"
                                            class="danger reopen-confirm-yes"
                                            disabled=move || reopen.pending().get()
                                            on:click=move |_| {
                                                reopen.dispatch(ReopenTask { slug: slug.get_value(), id });
                                            }
                                        >
                                            {t!(i18n, reconciliation.reopen_do)}
                                        </button>
                                        <button type="button" class="reopen-confirm-no" on:click=move |_| undoing.set(false)>
                                            {t!(i18n, automation.cancel)}
                                        </button>
                                    </div>
                                </div>
                            </Show>
                        </Show>
                    }
                    .into_any()
                }
                None => view! {
                    <div class="actions" class:hidden=move || picked.get().is_some()>
                        {task
                            .choices
                            .iter()
                            .filter(|_| operator)
                            .map(|&choice| {
                                view! {
                                    <button
                                        type="button"
                                        class=format!("resolve {choice}")
                                        data-choice=choice.as_str()
                                        on:click=move |_| picked.set(Some(choice))
                                    >
                                        {resolution_text(i18n, choice)}
                                    </button>
                                }
                            })
                            .collect_view()}
                    </div>
                    {move || picked.get().map(|choice| {
                        let slug = confirm_slug.clone();
                        view! {
                            <div class="confirm resolve-confirm" data-choice=choice.as_str()>
                                <p><strong>{resolution_text(i18n, choice)}</strong></p>
                                <p>{effect_text(i18n, choice)}</p>
                                <div class="actions">
                                    <button
                                        type="button"
                                        class="primary resolve-confirm-yes"
                                        disabled=move || resolve.pending().get()
                                        on:click=move |_| {
                                            resolve.dispatch(ResolveTask { slug: slug.clone(), id, resolution: choice.as_str().to_string() });
                                        }
                                    >
                                        {t!(i18n, reconciliation.confirm)}
                                    </button>
                                    <button type="button" class="resolve-confirm-no" on:click=move |_| picked.set(None)>
                                        {t!(i18n, automation.cancel)}
                                    </button>
                                </div>
                            </div>
                        }
                    })}
                }
                .into_any(),
            }}
        </article>
    }
}

#[component]
pub fn ReconciliationPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let status = RwSignal::new(ConflictStatus::Open.as_str().to_string());
    let resolve = ServerAction::<ResolveTask>::new();
    let reopen = ServerAction::<ReopenTask>::new();
    let reopen_err = action_error(reopen.value());
    let resolve_err = action_error(resolve.value());
    let data = Resource::new(
        move || (slug(), status.get(), resolve.version().get(), reopen.version().get()),
        |(slug, status, ..)| reconciliation_tasks(slug, status, None),
    );
    let operator = allowed(Role::Operator);
    view! {
        <PageHead title=move || t!(i18n, reconciliation.title) />
        <p class="muted">{t!(i18n, reconciliation.intro)}</p>
        <div class="filters">
            <label>
                {t!(i18n, events.filter_status)} " "
                <select id="task-status" on:change=move |ev| status.set(event_target_value(&ev)) prop:value=move || status.get()>
                    <option value=ConflictStatus::Open.as_str()>{t!(i18n, reconciliation.open)}</option>
                    <option value=ConflictStatus::Resolved.as_str()>{t!(i18n, reconciliation.resolved)}</option>
                    <option value="all">{t!(i18n, events.all)}</option>
                </select>
            </label>
        </div>
        <FormMessage err=resolve_err />
        <FormMessage err=reopen_err />
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) if page.items.is_empty() => {
                        view! {
                            <EmptyState id="no-tasks" title=move || t!(i18n, reconciliation.empty)>
                                {t!(i18n, reconciliation.empty_help)}
                            </EmptyState>
                        }
                        .into_any()
                    }
                    Ok(page) => view! {
                        <div id="tasks">
                            {page
                                .items
                                .into_iter()
                                .map(|task| view! { <Task task slug=slug() resolve reopen operator /> })
                                .collect_view()}
                        </div>
                    }
                    .into_any(),
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Transition>
    }
}
