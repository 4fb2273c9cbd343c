//! "Eventos" of an org: recent webhook events with status and channel filters, one event's
//! record (payload, steps, errors), and reprocessing for operators.

use super::components::{action_error, allowed, source_label, ErrorBox, FormMessage};
use super::orgs::date_text;
use crate::api::events::{get_event, list_events, ReprocessEvent, ReprocessFailed};
use crate::i18n::*;
use crate::model::{AuthMode, EventId, EventStatus, EventView, Role, Source};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Brasília time (UTC−3, no daylight saving since 2019), computed the same on server and
/// browser so hydration matches: "29/11/2026 09:15:02".
pub(crate) fn datetime_text(epoch_ms: i64) -> String {
    let local = epoch_ms - 3 * 3_600_000;
    let secs = local.div_euclid(1000).rem_euclid(86_400);
    format!("{} {:02}:{:02}:{:02}", date_text(local), secs / 3600, secs / 60 % 60, secs % 60)
}

fn status_label(i18n: I18nContext<Locale>, status: EventStatus) -> String {
    match status {
        EventStatus::Pending => t_string!(i18n, events.status_pending).to_string(),
        EventStatus::Processing => t_string!(i18n, events.status_processing).to_string(),
        EventStatus::Done => t_string!(i18n, events.status_done).to_string(),
        EventStatus::Ignored => t_string!(i18n, events.status_ignored).to_string(),
        EventStatus::Failed => t_string!(i18n, events.status_failed).to_string(),
        EventStatus::Dead => t_string!(i18n, events.status_dead).to_string(),
    }
}

fn duration_text(us: i64) -> String {
    if us >= 1000 {
        format!("{:.1} ms", us as f64 / 1000.0)
    } else {
        format!("{us} µs")
    }
}

#[component]
pub fn EventsPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let filter =
        move || query.with(|q| (q.get("status"), q.get("source"), q.get("before").and_then(|b| b.parse::<i64>().ok())));
    let bulk = ServerAction::<ReprocessFailed>::new();
    let bulk_err = action_error(bulk.value());
    let events = Resource::new(
        move || (slug(), filter(), bulk.version().get()),
        |(slug, (status, source, before), _)| list_events(slug, status, source, before),
    );
    let operator = allowed(Role::Operator);
    view! {
        <div class="page-head">
            <h1>{t!(i18n, events.title)}</h1>
            <a href=move || format!("/orgs/{}", slug())>{t!(i18n, events.back_to_org)}</a>
        </div>
        <Form method="GET" action="" attr:id="events-filter" attr:class="filters">
            <label>
                {t!(i18n, events.filter_status)}
                <select name="status" prop:value=move || filter().0.unwrap_or_default()>
                    <option value="">{t!(i18n, events.all)}</option>
                    {EventStatus::ALL
                        .iter()
                        .map(|&s| view! { <option value=s.as_str()>{move || status_label(i18n, s)}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                {t!(i18n, events.filter_source)}
                <select name="source" prop:value=move || filter().1.unwrap_or_default()>
                    <option value="">{t!(i18n, events.all)}</option>
                    {Source::ALL
                        .iter()
                        .map(|&s| view! { <option value=s.as_str()>{source_label(s)}</option> })
                        .collect_view()}
                </select>
            </label>
            <button type="submit">{t!(i18n, events.apply)}</button>
        </Form>
        <Show when=move || operator>
            <ActionForm action=bulk attr:id="reprocess-failed" attr:class="inline-form">
                <input type="hidden" name="slug" value=slug />
                <label>
                    {t!(i18n, events.reprocess_failed_of)}
                    <select name="hours">
                        <option value="1">{t!(i18n, events.last_hour)}</option>
                        <option value="24" selected>{t!(i18n, events.last_day)}</option>
                        <option value="168">{t!(i18n, events.last_week)}</option>
                    </select>
                </label>
                <button type="submit" class="primary">{t!(i18n, events.reprocess_failed)}</button>
                <FormMessage err=bulk_err />
                {move || {
                    bulk.value()
                        .get()
                        .and_then(Result::ok)
                        .map(|r| {
                            view! {
                                <span class="ok" role="status" id="requeued">
                                    {t!(i18n, events.requeued)} ": " {r.requeued}
                                </span>
                            }
                        })
                }}
            </ActionForm>
        </Show>
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(overview) => {
                        let url_token = overview.auth_mode == AuthMode::UrlToken;
                        let next = overview.page.next_before;
                        let (status, source, _) = filter();
                        view! {
                            <p class="muted" id="auth-mode" data-mode=overview.auth_mode.as_str()>
                                {t!(i18n, events.auth_mode)} ": "
                                {move || if url_token {
                                    t_string!(i18n, events.auth_url_token).to_string()
                                } else {
                                    t_string!(i18n, events.auth_signature).to_string()
                                }}
                            </p>
                            <ul class="counts" id="event-counts">
                                {overview
                                    .counts
                                    .into_iter()
                                    .map(|(s, n)| {
                                        view! {
                                            <li data-status=s.as_str()>
                                                <span class=format!("badge {s}")>{move || status_label(i18n, s)}</span>
                                                " "
                                                {n}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                            <Show
                                when={
                                    let empty = overview.page.items.is_empty();
                                    move || !empty
                                }
                                fallback=move || view! { <p class="muted" id="no-events">{t!(i18n, events.empty)}</p> }
                            >
                                <table class="grid" id="events">
                                    <thead>
                                        <tr>
                                            <th>"#"</th>
                                            <th>{t!(i18n, events.received)}</th>
                                            <th>{t!(i18n, events.event)}</th>
                                            <th>{t!(i18n, events.source)}</th>
                                            <th>{t!(i18n, events.status)}</th>
                                            <th>{t!(i18n, events.attempts)}</th>
                                            <th>{t!(i18n, events.error)}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {overview
                                            .page
                                            .items
                                            .clone()
                                            .into_iter()
                                            .map(|e| view! { <EventRow slug=slug() e /> })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </Show>
                            {next.map(|before| {
                                let mut href = format!("?before={before}");
                                if let Some(s) = status.filter(|s| !s.is_empty()) {
                                    href.push_str(&format!("&status={s}"));
                                }
                                if let Some(s) = source.filter(|s| !s.is_empty()) {
                                    href.push_str(&format!("&source={s}"));
                                }
                                view! { <a id="older" href=href>{t!(i18n, events.older)}</a> }
                            })}
                        }
                            .into_any()
                    }
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EventRow(slug: String, e: EventView) -> impl IntoView {
    let i18n = use_i18n();
    let status = e.status;
    view! {
        <tr data-event=e.id.0 data-status=e.status.as_str()>
            <td>
                <a href=format!("/orgs/{slug}/eventos/{}", e.id)>{e.id.0}</a>
            </td>
            <td>{datetime_text(e.received_at)}</td>
            <td>
                <code>{e.event.clone()}</code>
            </td>
            <td>{e.source.map_or("—", source_label)}</td>
            <td>
                <span class=format!("badge {}", e.status)>{move || status_label(i18n, status)}</span>
            </td>
            <td>{e.attempts}</td>
            <td class="error-text">{e.last_error.clone().unwrap_or_default()}</td>
        </tr>
    }
}

#[component]
pub fn EventPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let id = move || params.with(|p| p.get("id").and_then(|i| i.parse::<i64>().ok()).unwrap_or(0));
    let reprocess = ServerAction::<ReprocessEvent>::new();
    let err = action_error(reprocess.value());
    let event =
        Resource::new(move || (slug(), id(), reprocess.version().get()), |(slug, id, _)| get_event(slug, EventId(id)));
    let operator = allowed(Role::Operator);
    view! {
        <div class="page-head">
            <h1>{t!(i18n, events.event)} " #" {id}</h1>
            <a href=move || format!("/orgs/{}/eventos", slug())>{t!(i18n, events.back_to_list)}</a>
        </div>
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match event.await {
                    Ok(e) => {
                        let status = e.status;
                        let reprocessable = EventStatus::REPROCESSABLE.contains(&e.status);
                        let payload = e
                            .payload
                            .as_ref()
                            .map(|p| serde_json::to_string_pretty(p).unwrap_or_default())
                            .unwrap_or_default();
                        view! {
                            <dl class="facts" id="event-facts">
                                <dt>{t!(i18n, events.status)}</dt>
                                <dd>
                                    <span id="event-status" class=format!("badge {}", e.status) data-status=e.status.as_str()>
                                        {move || status_label(i18n, status)}
                                    </span>
                                </dd>
                                <dt>{t!(i18n, events.event)}</dt>
                                <dd><code>{e.event.clone()}</code></dd>
                                <dt>{t!(i18n, events.source)}</dt>
                                <dd>{e.source.map_or("—", source_label)}</dd>
                                <dt>{t!(i18n, events.received)}</dt>
                                <dd>{datetime_text(e.received_at)}</dd>
                                <dt>{t!(i18n, events.attempts)}</dt>
                                <dd>{e.attempts}</dd>
                                {e.next_attempt_at.map(|t| view! {
                                    <dt>{t!(i18n, events.next_attempt)}</dt>
                                    <dd>{datetime_text(t)}</dd>
                                })}
                                {e.last_error.clone().map(|err| view! {
                                    <dt>{t!(i18n, events.error)}</dt>
                                    <dd class="error-text" id="event-error">{err}</dd>
                                })}
                            </dl>
                            <Show when=move || operator && reprocessable>
                                <ActionForm action=reprocess attr:id="reprocess-event">
                                    <input type="hidden" name="slug" value=slug />
                                    <input type="hidden" name="id" value=id />
                                    <button type="submit" class="primary">{t!(i18n, events.reprocess)}</button>
                                </ActionForm>
                            </Show>
                            <FormMessage err />
                            <h2>{t!(i18n, events.steps)}</h2>
                            <table class="grid" id="steps">
                                <thead>
                                    <tr>
                                        <th>{t!(i18n, events.attempt)}</th>
                                        <th>{t!(i18n, events.step)}</th>
                                        <th>{t!(i18n, events.outcome)}</th>
                                        <th>{t!(i18n, events.detail)}</th>
                                        <th>{t!(i18n, events.duration)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {e.steps
                                        .iter()
                                        .map(|s| view! {
                                            <tr data-step=s.step.clone() data-outcome=s.outcome.clone()>
                                                <td>{s.attempt}</td>
                                                <td>{s.step.clone()}</td>
                                                <td>{s.outcome.clone()}</td>
                                                <td>{s.detail.clone().unwrap_or_default()}</td>
                                                <td>{duration_text(s.duration_us)}</td>
                                            </tr>
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            <h2>{t!(i18n, events.payload)}</h2>
                            <pre class="payload" id="payload">{payload}</pre>
                        }
                            .into_any()
                    }
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::datetime_text;

    #[test]
    fn times_are_brasilia_time() {
        // 2026-11-29T12:00:00Z is 09:00 in Brasília.
        assert_eq!(datetime_text(1_795_953_600_000), "29/11/2026 09:00:00");
        // Just after midnight UTC is still the previous day in Brasília.
        assert_eq!(datetime_text(1_795_910_400_500), "28/11/2026 21:00:00");
    }
}
