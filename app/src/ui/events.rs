//! "Eventos" of an org: recent webhook events with status and channel filters, one event's
//! record (payload, steps, errors), and reprocessing for operators.

use super::components::time::Time;
use super::components::{
    action_error, allowed, note_text, source_label, EmptyState, ErrorBox, FormMessage, NoteText, PageHead,
};
use crate::api::events::{get_event, list_events, ReprocessEvent, ReprocessFailed};
use crate::i18n::*;
use crate::model::{AuthMode, EventId, EventStatus, EventView, PipelineStep, Role, Source, StepOutcome};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

/// The filter's query string with only the filters set (`?status=failed`, or nothing):
/// an empty select adds no `&status=` and no stray `&=`.
pub(crate) fn filter_query(pairs: &[(&str, Option<String>)]) -> String {
    let set: Vec<String> =
        pairs.iter().filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| format!("{k}={v}"))).collect();
    if set.is_empty() {
        String::new()
    } else {
        format!("?{}", set.join("&"))
    }
}

pub(crate) fn status_label(i18n: I18nContext<Locale>, status: EventStatus) -> String {
    match status {
        EventStatus::Pending => t_string!(i18n, events.status_pending).to_string(),
        EventStatus::Processing => t_string!(i18n, events.status_processing).to_string(),
        EventStatus::Done => t_string!(i18n, events.status_done).to_string(),
        EventStatus::Ignored => t_string!(i18n, events.status_ignored).to_string(),
        EventStatus::Failed => t_string!(i18n, events.status_failed).to_string(),
        EventStatus::Dead => t_string!(i18n, events.status_dead).to_string(),
    }
}

fn step_label(i18n: I18nContext<Locale>, step: PipelineStep) -> String {
    match step {
        PipelineStep::Received => t_string!(i18n, events.step_received).to_string(),
        PipelineStep::Classify => t_string!(i18n, events.step_classify).to_string(),
        PipelineStep::Identity => t_string!(i18n, events.step_identity).to_string(),
        PipelineStep::Deal => t_string!(i18n, events.step_deal).to_string(),
        PipelineStep::Conversation => t_string!(i18n, events.step_conversation).to_string(),
        PipelineStep::Forward => t_string!(i18n, events.step_forward).to_string(),
    }
}

pub(crate) fn outcome_label(i18n: I18nContext<Locale>, outcome: StepOutcome) -> String {
    match outcome {
        StepOutcome::Stored => t_string!(i18n, events.outcome_stored).to_string(),
        StepOutcome::Inbound => t_string!(i18n, events.outcome_inbound).to_string(),
        StepOutcome::Skipped => t_string!(i18n, events.outcome_skipped).to_string(),
        StepOutcome::Created => t_string!(i18n, events.outcome_created).to_string(),
        StepOutcome::Resolved => t_string!(i18n, events.outcome_resolved).to_string(),
        StepOutcome::Ensured => t_string!(i18n, events.outcome_ensured).to_string(),
        StepOutcome::Linked => t_string!(i18n, events.outcome_linked).to_string(),
        StepOutcome::Relinked => t_string!(i18n, events.outcome_relinked).to_string(),
        StepOutcome::Conflict => t_string!(i18n, events.outcome_conflict).to_string(),
        StepOutcome::Forwarded => t_string!(i18n, events.outcome_forwarded).to_string(),
        StepOutcome::Failed => t_string!(i18n, events.outcome_failed).to_string(),
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
    // The filter is a plain GET form (it works before hydration too); once hydrated, the
    // router navigates to a query string holding only the filters that are set.
    let status_pick = RwSignal::new(filter().0.unwrap_or_default());
    let source_pick = RwSignal::new(filter().1.unwrap_or_default());
    Effect::new(move |_| {
        let (status, source, _) = filter();
        status_pick.set(status.unwrap_or_default());
        source_pick.set(source.unwrap_or_default());
    });
    let navigate = use_navigate();
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = filter_query(&[("status", Some(status_pick.get())), ("source", Some(source_pick.get()))]);
        navigate(&format!("/orgs/{}/events{q}", slug()), Default::default());
    };
    view! {
        <PageHead title=move || t!(i18n, events.title) />
        <form method="get" id="events-filter" class="filters" on:submit=apply>
            <label>
                {t!(i18n, events.filter_status)}
                <select name="status" prop:value=move || status_pick.get() on:change=move |ev| status_pick.set(event_target_value(&ev))>
                    <option value="">{t!(i18n, events.all)}</option>
                    {EventStatus::ALL
                        .iter()
                        .map(|&s| view! { <option value=s.as_str() selected=move || status_pick.get() == s.as_str()>{move || status_label(i18n, s)}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                {t!(i18n, events.filter_source)}
                <select name="source" prop:value=move || source_pick.get() on:change=move |ev| source_pick.set(event_target_value(&ev))>
                    <option value="">{t!(i18n, events.all)}</option>
                    {Source::ALL
                        .iter()
                        .map(|&s| view! { <option value=s.as_str() selected=move || source_pick.get() == s.as_str()>{source_label(s)}</option> })
                        .collect_view()}
                </select>
            </label>
            <button type="submit">{t!(i18n, events.apply)}</button>
        </form>
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(overview) => {
                        let url_token = overview.auth_mode == AuthMode::UrlToken;
                        let next = overview.page.next_before;
                        let (status, source, _) = filter();
                        let failures: i64 = overview
                            .counts
                            .iter()
                            .filter(|(s, _)| EventStatus::REPROCESSABLE.contains(s))
                            .map(|(_, n)| *n)
                            .sum();
                        let none_at_all = overview.counts.iter().all(|(_, n)| *n == 0);
                        view! {
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
                                    <button type="submit" class:primary={move || failures > 0} disabled={move || failures == 0}>
                                        {t!(i18n, events.reprocess_failed)}
                                    </button>
                                    <Show when={move || failures == 0}>
                                        <span class="muted" id="no-failures">{t!(i18n, events.no_failures)}</span>
                                    </Show>
                                    <FormMessage err=bulk_err />
                                    {move || {
                                        bulk.value().get().and_then(Result::ok).map(|r| {
                                            let none = r.requeued == 0;
                                            view! {
                                                <span class="ok" role="status" id="requeued" data-count=r.requeued>
                                                    <span class:hidden=none>{t!(i18n, events.requeued)} ": " {r.requeued}</span>
                                                    <span class:hidden=!none>{t!(i18n, events.requeued_none)}</span>
                                                </span>
                                            }
                                        })
                                    }}
                                </ActionForm>
                            </Show>
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
                                fallback=move || {
                                    if none_at_all {
                                        view! {
                                            <EmptyState id="no-events" title=move || t!(i18n, events.none_yet)>
                                                {t!(i18n, events.empty_help)}
                                            </EmptyState>
                                        }
                                        .into_any()
                                    } else {
                                        view! {
                                            <EmptyState id="no-events" title=move || t!(i18n, events.empty)>
                                                {t!(i18n, events.empty_filtered_help)}
                                            </EmptyState>
                                        }
                                        .into_any()
                                    }
                                }
                            >
                                <div class="table-wrap">
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
                                </div>
                            </Show>
                            {next.map(|before| {
                                let href = filter_query(&[("before", Some(before.to_string())), ("status", status), ("source", source)]);
                                view! { <a id="older" class="button" href=href>{t!(i18n, events.older)}</a> }
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
                <a href=format!("/orgs/{slug}/events/{}", e.id)>{e.id.0}</a>
            </td>
            <td><Time at=Some(e.received_at) /></td>
            <td>
                <code>{e.event.clone()}</code>
            </td>
            <td>{e.source.map_or("—", source_label)}</td>
            <td>
                <span class=format!("badge {}", e.status)>{move || status_label(i18n, status)}</span>
            </td>
            <td>{e.attempts}</td>
            <td class="error-text">{note_text(i18n, e.last_error.clone())}</td>
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
        <PageHead title=move || view! { {t!(i18n, events.event)} " #" {id} }>
            <a href=move || format!("/orgs/{}/events", slug())>{t!(i18n, events.back_to_list)}</a>
        </PageHead>
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
                                <dd><Time at=Some(e.received_at) /></dd>
                                <dt>{t!(i18n, events.attempts)}</dt>
                                <dd>{e.attempts}</dd>
                                {e.next_attempt_at.map(|t| view! {
                                    <dt>{t!(i18n, events.next_attempt)}</dt>
                                    <dd><Time at=Some(t) /></dd>
                                })}
                                {e.last_error.clone().map(|err| view! {
                                    <dt>{t!(i18n, events.error)}</dt>
                                    <dd class="error-text" id="event-error"><NoteText note=Some(err) slug=slug() /></dd>
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
                            <div class="table-wrap">
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
                                            <tr data-step=s.step.as_str() data-outcome=s.outcome.as_str()>
                                                <td>{s.attempt}</td>
                                                <td>{let step = s.step; move || step_label(i18n, step)}</td>
                                                <td>{let outcome = s.outcome; move || outcome_label(i18n, outcome)}</td>
                                                <td><NoteText note=s.detail.clone() slug=slug() /></td>
                                                <td>{duration_text(s.duration_us)}</td>
                                            </tr>
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            </div>
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
    use super::filter_query;

    #[test]
    fn the_filter_query_holds_only_the_filters_set() {
        assert_eq!(filter_query(&[("status", Some(String::new())), ("source", None)]), "");
        assert_eq!(
            filter_query(&[("status", Some("failed".into())), ("source", Some(String::new()))]),
            "?status=failed"
        );
        assert_eq!(
            filter_query(&[
                ("before", Some("42".into())),
                ("status", Some("dead".into())),
                ("source", Some("instagram".into()))
            ]),
            "?before=42&status=dead&source=instagram"
        );
    }
}
