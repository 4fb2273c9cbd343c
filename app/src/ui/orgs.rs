//! Organizations: the list, the "new organization" installer form and the overview.

use super::components::{action_error, ErrorBox, FieldMessage, FormMessage};
use crate::api::orgs::{get_org, list_orgs, stage_template, CreateOrg};
use crate::i18n::*;
use crate::model::{CurrentUser, OrgStatus, Role};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::hooks::{use_navigate, use_params_map};

/// The org status in the current language.
fn status_text(i18n: I18nContext<Locale>, status: OrgStatus) -> String {
    match status {
        OrgStatus::Onboarding => t_string!(i18n, status.onboarding).to_string(),
        OrgStatus::Active => t_string!(i18n, status.active).to_string(),
        OrgStatus::Paused => t_string!(i18n, status.paused).to_string(),
        OrgStatus::Archived => t_string!(i18n, status.archived).to_string(),
    }
}

/// Dates as the operators read them (dd/mm/aaaa), in UTC to render the same on server and
/// browser.
pub(crate) fn date_text(epoch_ms: i64) -> String {
    let days = epoch_ms.div_euclid(86_400_000);
    // Civil-from-days (Howard Hinnant), so the browser bundle needs no date library.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{d:02}/{m:02}/{y}")
}

#[component]
pub fn OrgListPage() -> impl IntoView {
    let i18n = use_i18n();
    let me = use_context::<CurrentUser>();
    let can_create = me.map(|m| m.role.allows(Role::Admin)).unwrap_or(false);
    let orgs = Resource::new(|| (), |_| list_orgs());
    view! {
        <div class="page-head">
            <h1>{t!(i18n, orgs.title)}</h1>
            <Show when=move || can_create>
                <a class="button primary" href="/orgs/new" id="new-org">{t!(i18n, orgs.new)}</a>
            </Show>
        </div>
        <Suspense fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match orgs.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted">{t!(i18n, orgs.empty)}</p> }.into_any(),
                    Ok(list) => view! {
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
                                        let status = o.status;
                                        view! {
                                            <tr data-slug=o.slug.clone()>
                                                <td><a href=format!("/orgs/{}", o.slug)>{o.name.clone()}</a></td>
                                                <td><code>{o.slug.clone()}</code></td>
                                                <td><span class=format!("badge {}", status.as_str())>{move || status_text(i18n, status)}</span></td>
                                                <td>{date_text(o.created_at)}</td>
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
            navigate(&format!("/orgs/{}", org.slug), Default::default());
        }
    });
    view! {
        <h1>{t!(i18n, org_new.title)}</h1>
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

#[component]
pub fn OrgPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let org = Resource::new(slug, get_org);
    view! {
        <Suspense fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match org.await {
                    Ok(detail) => {
                        let status = detail.org.status;
                        view! {
                            <div class="page-head">
                                <h1 id="org-name">{detail.org.name.clone()}</h1>
                                <span class=format!("badge {}", status.as_str())>{move || status_text(i18n, status)}</span>
                            </div>
                            <p class="muted">
                                <code id="org-slug">{detail.org.slug.clone()}</code>
                                " · "
                                {t!(i18n, orgs.created)}
                                " "
                                {date_text(detail.org.created_at)}
                            </p>
                            <nav class="subnav">
                                <a id="org-events-link" href=format!("/orgs/{}/eventos", detail.org.slug)>
                                    {t!(i18n, events.title)}
                                </a>
                                <a id="org-automation-link" href=format!("/orgs/{}/automacao", detail.org.slug)>
                                    {t!(i18n, automation.title)}
                                </a>
                                <a id="org-contacts-link" href=format!("/orgs/{}/contatos", detail.org.slug)>
                                    {t!(i18n, imports.title)}
                                </a>
                                <a id="org-backfill-link" href=format!("/orgs/{}/backfill", detail.org.slug)>
                                    {t!(i18n, backfill.title)}
                                </a>
                                <a id="org-reconciliation-link" href=format!("/orgs/{}/reconciliacao", detail.org.slug)>
                                    {t!(i18n, reconciliation.title)}
                                </a>
                            </nav>
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
                                                {b.stages
                                                    .into_iter()
                                                    .map(|s| view! { <li data-stage=s.key.clone()>{s.label.clone()}</li> })
                                                    .collect_view()}
                                            </ol>
                                        </section>
                                    }
                                })
                                .collect_view()}
                        }
                            .into_any()
                    }
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::date_text;

    #[test]
    fn dates_are_day_month_year() {
        assert_eq!(date_text(0), "01/01/1970");
        // 2026-11-29T12:00:00Z
        assert_eq!(date_text(1_795_953_600_000), "29/11/2026");
        // 2024-02-29 (leap day)
        assert_eq!(date_text(1_709_164_800_000), "29/02/2024");
    }
}
