//! `/orgs/:slug`, the org's home: where its rollout stands, its Chatwoot connection (the
//! webhook URL to copy, the inboxes, the last event and the deliveries Ponte refused, with
//! why), its automation, its boards, and the forms that configure all of it.

use super::components::time::Time;
use super::components::{action_error, allowed, error_text, note_text, ErrorBox, FieldMessage, FormMessage, PageHead};
use super::onboarding::{item_label, phase_label};
use super::org_forms::{inbox_loader, AutomationForm, ChatwootForm, InboxLoad, N8nForm, PlanForm};
use super::orgs::status_text;
use super::rollout::LeadTimeCell;
use crate::api::orgs::{org_home, ArchiveOrg, RenameOrg, SaveAutomation, SaveChatwoot, SaveN8n};
use crate::api::rollout::SavePlan;
use crate::i18n::*;
use crate::model::{AuthMode, OrgHome, Role};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use leptos_use::{use_clipboard, UseClipboardReturn};

/// The webhook URL with a copy button (the text stays selectable where the browser has no
/// clipboard API).
#[component]
fn WebhookUrl(url: String) -> impl IntoView {
    let i18n = use_i18n();
    let UseClipboardReturn { is_supported, copied, copy, .. } = use_clipboard();
    let to_copy = url.clone();
    view! {
        <div class="copy-field">
            <input type="text" id="webhook-url" readonly value=url on:focus=|ev| {
                use leptos::wasm_bindgen::JsCast;
                if let Some(input) = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok()) {
                    input.select();
                }
            } />
            <Show when=move || is_supported.get()>
                <button type="button" id="copy-webhook" on:click={
                    let copy = copy.clone();
                    let to_copy = to_copy.clone();
                    move |_| copy(&to_copy)
                }>
                    {move || if copied.get() { t_string!(i18n, home.copied).to_string() } else { t_string!(i18n, home.copy).to_string() }}
                </button>
            </Show>
        </div>
    }
}

#[component]
pub fn OrgPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let rename = ServerAction::<RenameOrg>::new();
    let archive = ServerAction::<ArchiveOrg>::new();
    let chatwoot = ServerAction::<SaveChatwoot>::new();
    let automation = ServerAction::<SaveAutomation>::new();
    let n8n = ServerAction::<SaveN8n>::new();
    let plan = ServerAction::<SavePlan>::new();
    let inbox_load = inbox_loader(slug, chatwoot);
    let home = Resource::new(
        move || {
            (
                slug(),
                rename.version().get(),
                archive.version().get(),
                chatwoot.version().get(),
                automation.version().get(),
                n8n.version().get(),
                plan.version().get(),
            )
        },
        |(slug, ..)| org_home(slug),
    );
    // A new name or an archive shows in the org's head too.
    Effect::new(move |_| {
        if rename.version().get() + archive.version().get() > 0 {
            super::orgs::OrgChanged::notify();
        }
    });
    let operator = allowed(Role::Operator);
    let admin = allowed(Role::Admin);
    view! {
        <PageHead title=move || t!(i18n, org.overview) />
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(h) => view! { <Home home=h operator admin rename archive chatwoot automation n8n plan_action=plan inbox_load /> }.into_any(),
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Home(
    home: OrgHome,
    operator: bool,
    admin: bool,
    rename: ServerAction<RenameOrg>,
    archive: ServerAction<ArchiveOrg>,
    chatwoot: ServerAction<SaveChatwoot>,
    automation: ServerAction<SaveAutomation>,
    n8n: ServerAction<SaveN8n>,
    plan_action: ServerAction<SavePlan>,
    inbox_load: InboxLoad,
) -> impl IntoView {
    let i18n = use_i18n();
    let OrgHome {
        detail,
        phases,
        chatwoot: cw,
        webhook_url,
        last_event,
        refusals,
        automation: auto,
        n8n: n8n_view,
        last_handoff,
        plan,
        waves,
        lead_time,
    } = home;
    let slug = detail.org.slug.clone();
    let lifecycle = detail.org.lifecycle;
    let archived = detail.org.archived;
    let mode = auto.mode;
    let auth_mode = cw.auth_mode;
    let inboxes: Vec<(String, crate::model::Source)> = cw.inboxes.iter().map(|(k, v)| (k.clone(), *v)).collect();
    view! {
        {archived.then(|| view! { <p class="notice" id="archived-notice">{t!(i18n, home.archived_notice)}</p> })}
        <div class="home-grid">
            <section class="card" id="home-rollout">
                <h2>{t!(i18n, home.rollout)}</h2>
                <p>
                    <span id="home-lifecycle" class=format!("badge {}", lifecycle.as_str()) data-state=lifecycle.as_str()>{move || status_text(i18n, lifecycle)}</span>
                </p>
                <ul class="home-phases" id="home-progress">
                    {phases
                        .into_iter()
                        .map(|p| {
                            let phase = p.phase;
                            let complete = p.done == p.total;
                            let failed = p.failed.clone();
                            view! {
                                <li data-phase=phase.as_str() data-done=p.done data-total=p.total class:complete=complete>
                                    <span class="phase-name">{move || phase_label(i18n, phase)}</span>
                                    <meter min="0" max=p.total value=p.done></meter>
                                    <span class="count">{format!("{}/{}", p.done, p.total)}</span>
                                    {(!failed.is_empty()).then(|| view! {
                                        <span class="blockers">
                                            {t!(i18n, home.blocked_by)}" "
                                            {failed.iter().map(|k| { let k = *k; view! { <span class="badge failed" data-item=k.as_str()>{move || item_label(i18n, k)}</span> } }).collect_view()}
                                        </span>
                                    })}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
                <dl class="facts" id="home-plan">
                    <dt>{t!(i18n, orgs.slug)}</dt>
                    <dd><code id="org-slug">{slug.clone()}</code></dd>
                    <dt>{t!(i18n, rollout.plan_wave)}</dt>
                    <dd id="home-wave">{plan.wave.as_ref().map(|w| w.name.clone()).unwrap_or_else(|| "—".into())}</dd>
                    <dt>{t!(i18n, rollout.plan_owner)}</dt>
                    <dd id="home-owner">{plan.technical_owner.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>{t!(i18n, rollout.credentials_ready)}</dt>
                    <dd><Time at=plan.credentials_ready_at /></dd>
                    <dt>{t!(i18n, rollout.plan_lead_time)}</dt>
                    <dd id="home-lead-time"><LeadTimeCell lead=lead_time /></dd>
                </dl>
                <a href=format!("/orgs/{slug}/onboarding") id="home-checklist-link">{t!(i18n, home.open_checklist)}</a>
                " · "
                <a href="/rollout">{t!(i18n, rollout.board_link)}</a>
            </section>

            <section class="card" id="home-chatwoot">
                <h2>"Chatwoot"</h2>
                <dl class="facts">
                    <dt>{t!(i18n, home.webhook_url)}</dt>
                    <dd>
                        {match webhook_url {
                            Some(url) => view! { <WebhookUrl url /> }.into_any(),
                            None => view! { <span class="muted" id="webhook-url-missing">{t!(i18n, home.no_public_url)}</span> }.into_any(),
                        }}
                        {(auth_mode == AuthMode::UrlToken).then(|| view! { <small class="muted">{t!(i18n, home.url_token_help)}</small> })}
                    </dd>
                    <dt>{t!(i18n, org_forms.auth_mode)}</dt>
                    <dd id="home-auth-mode" data-mode=auth_mode.as_str()>
                        {move || if auth_mode == AuthMode::Signature { t_string!(i18n, org_forms.auth_signature).to_string() } else { t_string!(i18n, org_forms.auth_url_token).to_string() }}
                        {(!cw.has_webhook_secret && auth_mode == AuthMode::Signature).then(|| view! { <span class="badge failed" id="no-secret">{t!(i18n, home.no_secret)}</span> })}
                    </dd>
                    <dt>{t!(i18n, home.account)}</dt>
                    <dd>
                        {match (cw.base_url.clone(), cw.account_id) {
                            (Some(base), Some(account)) => format!("{base} · #{}", account.0).into_any(),
                            _ => view! { <span class="muted">{t!(i18n, home.not_configured)}</span> }.into_any(),
                        }}
                    </dd>
                    <dt>{t!(i18n, home.inboxes)}</dt>
                    <dd id="home-inboxes">
                        {if inboxes.is_empty() {
                            view! { <span class="muted">{t!(i18n, home.no_inboxes)}</span> }.into_any()
                        } else {
                            inboxes
                                .into_iter()
                                .map(|(id, source)| view! { <span class="badge" data-inbox=id.clone()>{format!("#{id} → {}", source.label())}</span> " " })
                                .collect_view()
                                .into_any()
                        }}
                    </dd>
                    <dt>{t!(i18n, home.last_event)}</dt>
                    <dd id="home-last-event">
                        {match last_event {
                            Some(e) => view! {
                                <a href=format!("/orgs/{slug}/events/{}", e.id.0)><code>{e.event.clone()}</code></a>
                                " · " <span class=format!("badge {}", e.status.as_str()) data-status=e.status.as_str()>{let st = e.status; move || super::events::status_label(i18n, st)}</span>
                                " · " <Time at=Some(e.received_at) />
                            }
                            .into_any(),
                            None => view! { <span class="muted">{t!(i18n, home.no_events)}</span> }.into_any(),
                        }}
                    </dd>
                </dl>
                <h3>{t!(i18n, home.refusals)}</h3>
                {if refusals.is_empty() {
                    view! { <p class="muted" id="no-refusals">{t!(i18n, home.no_refusals)}</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap">
                            <table class="grid" id="refusals">
                                <thead>
                                    <tr>
                                        <th>{t!(i18n, home.reason)}</th>
                                        <th>{t!(i18n, home.times)}</th>
                                        <th>{t!(i18n, home.last_at)}</th>
                                        <th>{t!(i18n, home.delivery)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {refusals
                                        .into_iter()
                                        .map(|r| {
                                            let code = r.code;
                                            view! {
                                                <tr data-code=code.as_str() data-count=r.count>
                                                    <td>{move || error_text(i18n, code)}</td>
                                                    <td>{r.count}</td>
                                                    <td><Time at=Some(r.last_at) /></td>
                                                    <td><code>{r.delivery_id.clone().unwrap_or_default()}</code></td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                    .into_any()
                }}
            </section>

            <section class="card" id="home-automation">
                <h2>{t!(i18n, automation.title)}</h2>
                <dl class="facts">
                    <dt>{t!(i18n, org_forms.mode)}</dt>
                    <dd><span id="home-mode" class=format!("badge {mode}") data-mode=mode.as_str()>{move || super::automation::mode_label(i18n, mode)}</span></dd>
                    <dt>{t!(i18n, home.workflow)}</dt>
                    <dd id="home-workflow">
                        {match n8n_view.as_ref().and_then(|n| n.v2_workflow_id.clone().map(|id| (n.base_url.clone(), id, n.v2_template_version.clone()))) {
                            Some((base, id, version)) => format!("{base} · {id}{}", version.map(|v| format!(" · v{v}")).unwrap_or_default()).into_any(),
                            None => view! { <span class="muted">{t!(i18n, home.no_workflow)}</span> }.into_any(),
                        }}
                    </dd>
                    <dt>{t!(i18n, home.last_handoff)}</dt>
                    <dd id="home-last-handoff">
                        {match last_handoff {
                            Some(h) => view! {
                                <a href=format!("/orgs/{slug}/events/{}", h.event_id.0)>{format!("#{}", h.event_id.0)}</a>
                                " · " <span class=format!("badge {}", h.outcome.as_str()) data-outcome=h.outcome.as_str()>{let o = h.outcome; move || super::events::outcome_label(i18n, o)}</span>
                                " · " <Time at=Some(h.at) />
                                " " <span class="muted">{note_text(i18n, h.detail.clone())}</span>
                            }
                            .into_any(),
                            None => view! { <span class="muted">{t!(i18n, home.no_handoff)}</span> }.into_any(),
                        }}
                    </dd>
                </dl>
                <a href=format!("/orgs/{slug}/automation")>{t!(i18n, home.open_automation)}</a>
            </section>
        </div>

        <h2>{t!(i18n, org.boards)}</h2>
        {detail
            .boards
            .into_iter()
            .map(|b| {
                view! {
                    <section class="board" data-board=b.key.clone()>
                        <h3>
                            {b.name.clone()}
                            <Show when=move || b.is_default>
                                <span class="badge">{t!(i18n, org.default_board)}</span>
                            </Show>
                        </h3>
                        <ol class="stages">
                            {b.stages.into_iter().map(|s| view! { <li data-stage=s.key.clone()>{s.label.clone()}</li> }).collect_view()}
                        </ol>
                    </section>
                }
            })
            .collect_view()}

        {operator.then(|| view! {
            <Settings slug=slug.clone() name=detail.org.name.clone() archived admin cw auto n8n=n8n_view plan waves rename archive chatwoot automation n8n_action=n8n plan_action inbox_load />
        })}
    }
}

/// The forms of the home page (operators; archiving is for administrators).
#[component]
fn Settings(
    slug: String,
    name: String,
    archived: bool,
    admin: bool,
    cw: crate::model::ChatwootConfigView,
    auto: crate::model::AutomationView,
    n8n: Option<crate::model::N8nView>,
    plan: crate::model::PlanDto,
    waves: Vec<crate::model::WaveDto>,
    rename: ServerAction<RenameOrg>,
    archive: ServerAction<ArchiveOrg>,
    chatwoot: ServerAction<SaveChatwoot>,
    automation: ServerAction<SaveAutomation>,
    n8n_action: ServerAction<SaveN8n>,
    plan_action: ServerAction<SavePlan>,
    inbox_load: InboxLoad,
) -> impl IntoView {
    let i18n = use_i18n();
    let rename_err = action_error(rename.value());
    let archive_err = action_error(archive.value());
    let archive_form = admin.then(|| {
        let slug = slug.clone();
        view! {
            <ActionForm action=archive attr:id="archive-form" attr:class="inline">
                <FormMessage err=archive_err />
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="archived" value=if archived { "false" } else { "true" } />
                <button type="submit" id="archive-submit" class=if archived { "" } else { "danger" }>
                    {move || if archived { t_string!(i18n, home.unarchive).to_string() } else { t_string!(i18n, home.archive).to_string() }}
                </button>
                <small class="muted">{t!(i18n, home.archive_help)}</small>
            </ActionForm>
        }
    });
    let (plan_slug, chatwoot_slug, automation_slug, n8n_slug) =
        (slug.clone(), slug.clone(), slug.clone(), slug.clone());
    view! {
        <h2>{t!(i18n, home.settings)}</h2>
        <details class="settings" id="edit-org">
            <summary>{t!(i18n, home.edit_org)}</summary>
            <ActionForm action=rename attr:id="rename-form" attr:class="form">
                <FormMessage err=Signal::derive(move || rename_err.get().filter(|e| e.fields.is_empty())) />
                <input type="hidden" name="slug" value=slug />
                <label>{t!(i18n, org_new.name)}<input type="text" name="name" maxlength="120" value=name /></label>
                <FieldMessage err=rename_err field="name" />
                <button type="submit" class="primary" id="rename-submit">{t!(i18n, org_forms.save)}</button>
            </ActionForm>
            {archive_form}
        </details>
        <details class="settings" id="edit-plan">
            <summary>{t!(i18n, rollout.plan)}</summary>
            <PlanForm slug=plan_slug plan waves action=plan_action />
        </details>
        <details class="settings" id="edit-chatwoot">
            <summary>{t!(i18n, home.edit_chatwoot)}</summary>
            <ChatwootForm slug=chatwoot_slug config=cw action=chatwoot load=inbox_load />
        </details>
        <details class="settings" id="edit-automation">
            <summary>{t!(i18n, home.edit_automation)}</summary>
            <AutomationForm slug=automation_slug view=auto action=automation />
            <h3>"n8n"</h3>
            <N8nForm slug=n8n_slug n8n action=n8n_action />
        </details>
    }
}
