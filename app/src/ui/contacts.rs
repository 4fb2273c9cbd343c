//! `/orgs/:slug/contatos`: import a client's contact base from CSV and see past imports.
//! The upload is a plain multipart form posted to `/portal/orgs/{slug}/contacts/import`
//! (the file streams to the server; no script needed), which answers by sending the
//! browser back here with `?importacao=ID` or `?erro=CODE`.

use super::components::{allowed, error_text, ErrorBox, ReportLink};
use super::events::datetime_text;
use crate::api::contacts::contact_imports;
use crate::i18n::*;
use crate::model::{ErrorCode, ImportStatus, Role};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ContactsPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let just_imported = move || query.with(|q| q.get("importacao")).and_then(|v| v.parse::<i64>().ok());
    let refused = move || {
        query.with(|q| q.get("erro")).map(|code| {
            serde_json::from_value::<ErrorCode>(serde_json::Value::String(code))
                .map(|c| error_text(i18n, c))
                .unwrap_or_else(|_| t_string!(i18n, imports.failed).to_string())
        })
    };
    let data = Resource::new(slug, contact_imports);
    let operator = allowed(Role::Operator);
    view! {
        <div class="page-head">
            <h1>{t!(i18n, imports.title)}</h1>
            <a href=move || format!("/orgs/{}", slug())>{t!(i18n, events.back_to_org)}</a>
        </div>
        <p class="muted">{t!(i18n, imports.intro)}</p>
        {move || refused().map(|msg| view! { <p class="error-text" id="import-error" role="alert">{msg}</p> })}
        <Show when=move || operator>
            <form
                id="import-form"
                method="post"
                enctype="multipart/form-data"
                action=move || format!("/portal/orgs/{}/contacts/import", slug())
            >
                <label>
                    {t!(i18n, imports.file)} " "
                    <input type="file" name="file" id="import-file" accept=".csv,text/csv,text/plain" required />
                </label>
                <button type="submit" id="import-submit">{t!(i18n, imports.upload)}</button>
            </form>
        </Show>
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(imports) => view! {
                        <h2>{t!(i18n, imports.history)}</h2>
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
                                                <td>{datetime_text(i.started_at)}</td>
                                                <td>{i.filename.clone().unwrap_or_else(|| "—".into())}</td>
                                                <td>
                                                    <span class=format!("badge {}", i.status)>
                                                        {match i.status {
                                                            ImportStatus::Done => t_string!(i18n, imports.status_done).to_string(),
                                                            ImportStatus::Failed => t_string!(i18n, imports.status_failed).to_string(),
                                                            ImportStatus::Running => t_string!(i18n, imports.status_running).to_string(),
                                                        }}
                                                    </span>
                                                    {i.error.clone().map(|e| view! { <span class="error-text">{format!(" {e}")}</span> })}
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
                    }
                    .into_any(),
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Transition>
    }
}
