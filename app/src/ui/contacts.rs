//! `/orgs/:slug/contacts`: import a client's contact base from CSV and see past imports.
//! The upload is a plain multipart form posted to `/portal/orgs/{slug}/contacts/import`
//! (the file streams to the server; no script needed), which answers by sending the
//! browser back here with `?import=ID` or `?error=CODE`. `/orgs/:slug/contacts/:id`: one
//! contact with its identities, deals and conversations.

use super::components::time::Time;
use super::components::{
    allowed, deal_status_text, error_text, note_text, source_label, EmptyState, ErrorBox, PageHead, ReportLink,
};
use crate::api::contacts::{contact_imports, get_contact};
use crate::i18n::*;
use crate::model::{ContactDto, ContactId, ErrorCode, ImportStatus, Role};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ContactsPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let just_imported = move || query.with(|q| q.get("import")).and_then(|v| v.parse::<i64>().ok());
    let refused = move || {
        query.with(|q| q.get("error")).map(|code| {
            serde_json::from_value::<ErrorCode>(serde_json::Value::String(code))
                .map(|c| error_text(i18n, c))
                .unwrap_or_else(|_| t_string!(i18n, imports.failed).to_string())
        })
    };
    let data = Resource::new(slug, contact_imports);
    let operator = allowed(Role::Operator);
    view! {
        <PageHead title=move || t!(i18n, imports.title) />
        <p class="muted">{t!(i18n, imports.intro)}</p>
        {move || refused().map(|msg| view! { <p class="error-text" id="import-error" role="alert">{msg}</p> })}
        <Show when=move || operator>
            <form
                id="import-form"
                method="post"
                enctype="multipart/form-data"
                action=move || format!("/portal/orgs/{}/contacts/import", slug())
            >
                <label class="file-field">
                    {t!(i18n, imports.file)}
                    <input type="file" name="file" id="import-file" accept=".csv,text/csv,text/plain" required />
                </label>
                <button type="submit" class="primary" id="import-submit">{t!(i18n, imports.upload)}</button>
            </form>
        </Show>
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(imports) if imports.is_empty() => view! {
                        <h2>{t!(i18n, imports.history)}</h2>
                        <EmptyState id="no-imports" title=move || t!(i18n, imports.empty)>
                            {t!(i18n, imports.empty_help)}
                        </EmptyState>
                    }
                    .into_any(),
                    Ok(imports) => view! {
                        <h2>{t!(i18n, imports.history)}</h2>
                        <div class="table-wrap">
                        <table class="grid" id="imports">
                            <thead>
                                <tr>
                                    <th>"#"</th>
                                    <th>{t!(i18n, imports.when)}</th>
                                    <th>{t!(i18n, imports.file)}</th>
                                    <th>{t!(i18n, backfill.status)}</th>
                                    <th>{t!(i18n, imports.rows)}</th>
                                    <th>{t!(i18n, imports.created)}</th>
                                    <th>{t!(i18n, imports.updated)}</th>
                                    <th>{t!(i18n, imports.unchanged)}</th>
                                    <th>{t!(i18n, imports.rejected)}</th>
                                    <th>{t!(i18n, imports.warnings)}</th>
                                    <th>{t!(i18n, backfill.report)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {imports
                                    .into_iter()
                                    .map(|i| {
                                        let highlight = just_imported() == Some(i.id.0);
                                        let report = format!("/portal/orgs/{}/contacts/imports/{}/report.csv", slug(), i.id);
                                        view! {
                                            <tr data-import=i.id.0 class:highlight=highlight>
                                                <td>{i.id.0}</td>
                                                <td><Time at=Some(i.started_at) /></td>
                                                <td>{i.filename.clone().unwrap_or_else(|| "—".into())}</td>
                                                <td>
                                                    <span class=format!("badge {}", i.status)>
                                                        {match i.status {
                                                            ImportStatus::Done => t_string!(i18n, imports.status_done).to_string(),
                                                            ImportStatus::Failed => t_string!(i18n, imports.status_failed).to_string(),
                                                            ImportStatus::Running => t_string!(i18n, imports.status_running).to_string(),
                                                        }}
                                                    </span>
                                                    {i.error.clone().map(|e| view! { <span class="error-text">" " {note_text(i18n, Some(e))}</span> })}
                                                </td>
                                                <td class="rows">{i.rows_read}</td>
                                                <td class="created">{i.created}</td>
                                                <td class="updated">{i.updated}</td>
                                                <td class="unchanged">{i.unchanged}</td>
                                                <td class="rejected">{i.rejected}</td>
                                                <td class="warnings">{i.warnings}</td>
                                                <td><ReportLink href=report /></td>
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
        </Transition>
    }
}

/// A contact's own facts (id, phone, e-mail, id in the previous CRM) as `<dt>`/`<dd>` pairs:
/// the contact page and the reconciliation cards show the same ones.
#[component]
pub(crate) fn ContactFacts(contact: ContactDto) -> impl IntoView {
    let i18n = use_i18n();
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    view! {
        <dt>"ID"</dt>
        <dd>{contact.id.0}</dd>
        <dt>{t!(i18n, reconciliation.phone)}</dt>
        <dd>{or_dash(contact.phone)}</dd>
        <dt>"E-mail"</dt>
        <dd>{or_dash(contact.email)}</dd>
        <dt>{t!(i18n, reconciliation.external_ref)}</dt>
        <dd>{or_dash(contact.external_ref)}</dd>
    }
}

/// `/orgs/:slug/contacts/:id`: what Ponte knows of one person of the org.
#[component]
pub fn ContactPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let id = move || params.with(|p| p.get("id").and_then(|i| i.parse::<i64>().ok()).unwrap_or(0));
    let card = Resource::new(move || (slug(), id()), |(slug, id)| get_contact(slug, ContactId(id)));
    view! {
        <Suspense fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match card.await {
                    Ok(card) => {
                        let c = card.contact;
                        let title = c.name.clone().unwrap_or_else(|| format!("#{}", c.id));
                        view! {
                            <PageHead title=move || view! { {t!(i18n, contact.title)} " · " {title.clone()} } />
                            <dl class="facts" id="contact-facts" data-contact=c.id.0>
                                <ContactFacts contact=c.clone() />
                                <dt>{t!(i18n, contact.since)}</dt>
                                <dd><Time at=Some(c.created_at) /></dd>
                            </dl>
                            <h2>{t!(i18n, reconciliation.identities)}</h2>
                            {if card.identities.is_empty() {
                                view! { <EmptyState id="no-identities" title=move || t!(i18n, contact.no_identities) /> }.into_any()
                            } else {
                                view! {
                                    <ul class="plain" id="contact-identities">
                                        {card.identities.into_iter().map(|i| view! {
                                            <li data-identity=i.id.0>
                                                <strong>{source_label(i.source)}</strong> " " <code>{i.external_id.clone()}</code>
                                                <span class="muted">" · " {i.session_key.clone()}</span>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            <h2>{t!(i18n, reconciliation.deals)}</h2>
                            {if card.deals.is_empty() {
                                view! { <EmptyState id="no-deals" title=move || t!(i18n, contact.no_deals) /> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap">
                                        <table class="grid" id="contact-deals">
                                            <thead>
                                                <tr>
                                                    <th>"#"</th>
                                                    <th>{t!(i18n, contact.stage)}</th>
                                                    <th>{t!(i18n, events.status)}</th>
                                                    <th>{t!(i18n, contact.updated)}</th>
                                                </tr>
                                            </thead>
                                            <tbody>
                                                {card.deals.into_iter().map(|d| {
                                                    let status = d.status;
                                                    view! {
                                                        <tr data-deal=d.id.0 id=format!("deal-{}", d.id)>
                                                            <td>{d.id.0}</td>
                                                            <td>{d.stage_label.clone()}</td>
                                                            <td><span class=format!("badge {status}")>{move || deal_status_text(i18n, status)}</span></td>
                                                            <td><Time at=Some(d.updated_at) /></td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                }.into_any()
                            }}
                            <h2>{t!(i18n, reconciliation.conversations)}</h2>
                            {if card.conversations.is_empty() {
                                view! { <EmptyState id="no-conversations" title=move || t!(i18n, contact.no_conversations) /> }.into_any()
                            } else {
                                view! {
                                    <ul class="plain" id="contact-conversations">
                                        {card.conversations.into_iter().map(|v| view! {
                                            <li data-conversation=v.id.0>
                                                <strong>{source_label(v.source)}</strong>
                                                " · Chatwoot #" {v.chatwoot_conversation_id.0}
                                                {v.deal_id.map(|d| view! { <span class="muted">" · " {t!(i18n, contact.deal)} " #" {d.0}</span> })}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        }
                        .into_any()
                    }
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
