//! The smoke tests' live mode, on the checklist page and the wizard's step 5: the operator
//! names the test phone and/or Instagram account, starts the wait, writes from them, and
//! watches a countdown while Ponte waits (polled every second while waiting, never
//! otherwise). When the run ends the page around it reloads its checklist (`on_end`).

use super::backfill::ticker;
use super::components::time::Time;
use super::components::{action_error, FieldMessage, FormMessage};
use crate::api::onboarding::{live_smoke_state, CancelLiveSmoke, StartLiveSmoke};
use crate::i18n::*;
use crate::model::{LiveSmokeDto, LiveSmokeState};
use leptos::prelude::*;
use leptos_i18n::I18nContext;

fn state_text(i18n: I18nContext<Locale>, state: LiveSmokeState) -> String {
    match state {
        LiveSmokeState::Waiting => t_string!(i18n, live.state_waiting).to_string(),
        LiveSmokeState::Passed => t_string!(i18n, live.state_passed).to_string(),
        LiveSmokeState::Failed => t_string!(i18n, live.state_failed).to_string(),
        LiveSmokeState::Expired => t_string!(i18n, live.state_expired).to_string(),
        LiveSmokeState::Cancelled => t_string!(i18n, live.state_cancelled).to_string(),
    }
}

/// `m:ss`, as a countdown reads.
pub(crate) fn countdown(seconds: i64) -> String {
    let s = seconds.max(0);
    format!("{}:{:02}", s / 60, s % 60)
}

#[component]
pub fn LiveSmoke(#[prop(into)] slug: String, operator: bool, on_end: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let start = ServerAction::<StartLiveSmoke>::new();
    let cancel = ServerAction::<CancelLiveSmoke>::new();
    let start_err = action_error(start.value());
    let cancel_err = action_error(cancel.value());
    let tick = ticker(1000);
    let waiting = RwSignal::new(false);
    let slug_for_load = slug.clone();
    let run = Resource::new(
        move || (if waiting.get() { tick.get() } else { 0 }, start.version().get(), cancel.version().get()),
        move |_| live_smoke_state(slug_for_load.clone()),
    );
    // Waiting → ended: the items' runs are new, so the page reloads its checklist once.
    Effect::new(move |was_waiting: Option<bool>| {
        let now_waiting = run.get().and_then(|r| r.ok()).flatten().is_some_and(|r| r.state == LiveSmokeState::Waiting);
        waiting.set(now_waiting);
        if was_waiting == Some(true) && !now_waiting {
            on_end.run(());
        }
        now_waiting
    });
    let slug_form = StoredValue::new(slug.clone());
    let slug_run = StoredValue::new(slug);
    view! {
        <section class="live-smoke" id="live-smoke">
            <h3>{t!(i18n, live.title)}</h3>
            <p class="muted">{t!(i18n, live.help)}</p>
            <FormMessage err=cancel_err />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match run.await {
                        Ok(Some(r)) => view! { <LiveRun run=r slug=slug_run.get_value() operator cancel /> }.into_any(),
                        _ => ().into_any(),
                    }
                })}
            </Transition>
            <Show when=move || operator && !waiting.get()>
                <ActionForm action=start attr:id="live-form" attr:class="live-form">
                    <FormMessage err=start_err />
                    <input type="hidden" name="slug" value=slug_form.get_value() />
                    <div class="form-row">
                        <label>
                            {t!(i18n, live.whatsapp)}
                            <input type="tel" name="whatsapp" id="live-whatsapp" placeholder="(11) 98765-4321" autocomplete="off" />
                            <FieldMessage err=start_err field="whatsapp" />
                        </label>
                        <label>
                            {t!(i18n, live.instagram)}
                            <input type="text" name="instagram" id="live-instagram" placeholder="@conta.de.teste" autocomplete="off" />
                            <FieldMessage err=start_err field="instagram" />
                        </label>
                        <label class="wait">
                            {t!(i18n, live.wait)}
                            <input type="number" name="wait_minutes" id="live-wait" min="1" max="30" value="5" />
                            <FieldMessage err=start_err field="wait_minutes" />
                        </label>
                    </div>
                    <button type="submit" id="live-start" class="primary" disabled=move || start.pending().get()>
                        {t!(i18n, live.start)}
                    </button>
                </ActionForm>
            </Show>
        </section>
    }
}

#[component]
fn LiveRun(run: LiveSmokeDto, slug: String, operator: bool, cancel: ServerAction<CancelLiveSmoke>) -> impl IntoView {
    let i18n = use_i18n();
    let state = run.state;
    let waiting = state == LiveSmokeState::Waiting;
    let slug_cancel = StoredValue::new(slug.clone());
    let channel = move |label: &'static str, who: Option<String>, event: Option<crate::model::EventId>| {
        who.map(|who| {
            let seen = event.map(|e| e.0);
            view! {
                <li class="live-channel" data-seen=seen.is_some().to_string()>
                    <strong>{label}</strong> " " <code>{who}</code> " — "
                    {match seen {
                        Some(id) => view! {
                            <span class="ok-text">{t!(i18n, live.seen)} " " <a href=format!("/orgs/{}/events/{id}", slug.clone())>{format!("#{id}")}</a></span>
                        }.into_any(),
                        None if waiting => view! { <span class="muted">{t!(i18n, live.not_seen_yet)}</span> }.into_any(),
                        None => view! { <span class="error-text">{t!(i18n, live.not_seen)}</span> }.into_any(),
                    }}
                </li>
            }
        })
    };
    let whatsapp = run.whatsapp.clone().map(|w| format!("+{w}"));
    view! {
        <div class=format!("live-run {state}") id="live-run" data-state=state.as_str()>
            <p class="live-head">
                <span class=format!("badge {state}")>{state_text(i18n, state)}</span>
                {waiting.then(|| view! {
                    " " <span class="countdown" id="live-countdown" aria-live="polite">{countdown(run.remaining_seconds)}</span>
                    " " <span class="muted">{t!(i18n, live.left)}</span>
                })}
                " · " {t!(i18n, live.started_by)} " " {run.started_by.clone()} " · " <Time at=Some(run.started_at) />
            </p>
            <ul class="live-channels">
                {channel("WhatsApp", whatsapp, run.whatsapp_event)}
                {channel("Instagram", run.instagram.clone(), run.instagram_event)}
            </ul>
            {waiting.then(|| view! { <p class="muted">{t!(i18n, live.write_now)}</p> })}
            {(!waiting).then(|| view! { <p class="muted">{t!(i18n, live.results_below)}</p> })}
            <Show when=move || operator && waiting>
                <ActionForm action=cancel attr:class="inline">
                    <input type="hidden" name="slug" value=slug_cancel.get_value() />
                    <button type="submit" id="live-cancel" disabled=move || cancel.pending().get()>{t!(i18n, live.cancel)}</button>
                </ActionForm>
            </Show>
        </div>
    }
}
