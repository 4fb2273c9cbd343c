//! `/orgs/:slug/onboarding`: the org's lifecycle state with its moves, and the activation
//! checklist phase by phase: each item's status, who set it and when, its latest check
//! with the findings and requests, "Verificar" per item or per phase, marking by hand,
//! and the check history.

use super::components::time::Time;
use super::components::{action_error, allowed, note_text, ErrorBox, FieldMessage, FormMessage, PageHead};
use super::live_smoke::LiveSmoke;
use super::orgs::status_text;
use crate::api::onboarding::{
    item_runs, onboarding_page, ChangeOrgState, MarkItem, RunItemCheck, RunPhaseChecks, RunSmokeTests,
};
use crate::i18n::*;
use crate::model::{
    CheckRunDto, ChecklistItemDto, ItemKey, ItemKind, ItemStatus, Lifecycle, LineLevel, Phase, PhaseDto, Role,
    StateChangeDto, Verdict,
};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::hooks::use_params_map;

pub(crate) fn phase_label(i18n: I18nContext<Locale>, phase: Phase) -> String {
    match phase {
        Phase::PreActivation => t_string!(i18n, checklist.phase_t_minus_2).to_string(),
        Phase::Activation => t_string!(i18n, checklist.phase_t0).to_string(),
        Phase::PostActivation => t_string!(i18n, checklist.phase_t_plus_1).to_string(),
    }
}

pub(crate) fn item_label(i18n: I18nContext<Locale>, key: ItemKey) -> String {
    use ItemKey::*;
    match key {
        ChatwootAccount => t_string!(i18n, checklist.items.chatwoot_account),
        ChatwootInboxes => t_string!(i18n, checklist.items.chatwoot_inboxes),
        ChatwootWebhook => t_string!(i18n, checklist.items.chatwoot_webhook),
        BoardStages => t_string!(i18n, checklist.items.board_stages),
        N8nCredentials => t_string!(i18n, checklist.items.n8n_credentials),
        InstagramChannel => t_string!(i18n, checklist.items.instagram_channel),
        V2Workflow => t_string!(i18n, checklist.items.v2_workflow),
        SmokeWhatsapp => t_string!(i18n, checklist.items.smoke_whatsapp),
        SmokeInstagram => t_string!(i18n, checklist.items.smoke_instagram),
        SmokeStageMove => t_string!(i18n, checklist.items.smoke_stage_move),
        FirstDayMetrics => t_string!(i18n, checklist.items.first_day_metrics),
        LogsAudited => t_string!(i18n, checklist.items.logs_audited),
        ConversationSample => t_string!(i18n, checklist.items.conversation_sample),
    }
    .to_string()
}

fn item_help(i18n: I18nContext<Locale>, key: ItemKey) -> String {
    use ItemKey::*;
    match key {
        ChatwootAccount => t_string!(i18n, checklist.help.chatwoot_account),
        ChatwootInboxes => t_string!(i18n, checklist.help.chatwoot_inboxes),
        ChatwootWebhook => t_string!(i18n, checklist.help.chatwoot_webhook),
        BoardStages => t_string!(i18n, checklist.help.board_stages),
        N8nCredentials => t_string!(i18n, checklist.help.n8n_credentials),
        InstagramChannel => t_string!(i18n, checklist.help.instagram_channel),
        V2Workflow => t_string!(i18n, checklist.help.v2_workflow),
        SmokeWhatsapp => t_string!(i18n, checklist.help.smoke_whatsapp),
        SmokeInstagram => t_string!(i18n, checklist.help.smoke_instagram),
        SmokeStageMove => t_string!(i18n, checklist.help.smoke_stage_move),
        FirstDayMetrics => t_string!(i18n, checklist.help.first_day_metrics),
        LogsAudited => t_string!(i18n, checklist.help.logs_audited),
        ConversationSample => t_string!(i18n, checklist.help.conversation_sample),
    }
    .to_string()
}

pub(crate) fn item_status_label(i18n: I18nContext<Locale>, status: ItemStatus) -> String {
    match status {
        ItemStatus::Pending => t_string!(i18n, checklist.status_pending),
        ItemStatus::Ok => t_string!(i18n, checklist.status_ok),
        ItemStatus::Failed => t_string!(i18n, checklist.status_failed),
        ItemStatus::NotApplicable => t_string!(i18n, checklist.status_not_applicable),
    }
    .to_string()
}

fn verdict_label(i18n: I18nContext<Locale>, verdict: Verdict) -> String {
    match verdict {
        Verdict::Passed => t_string!(i18n, checklist.verdict_passed),
        Verdict::Failed => t_string!(i18n, checklist.verdict_failed),
    }
    .to_string()
}

fn level_label(i18n: I18nContext<Locale>, level: LineLevel) -> String {
    match level {
        LineLevel::Ok => t_string!(i18n, checklist.level_ok),
        LineLevel::Warning => t_string!(i18n, checklist.level_warning),
        LineLevel::Failed => t_string!(i18n, checklist.level_failed),
    }
    .to_string()
}

/// What the page's forms share: the actions, so every change reloads the page once.
#[derive(Clone, Copy)]
struct Actions {
    check: ServerAction<RunItemCheck>,
    phase: ServerAction<RunPhaseChecks>,
    mark: ServerAction<MarkItem>,
    state: ServerAction<ChangeOrgState>,
    smoke: ServerAction<RunSmokeTests>,
    /// Bumped when a live smoke run ends (its runs are recorded in the background).
    live_ended: RwSignal<u64>,
}

#[component]
pub fn OnboardingPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let actions = Actions {
        check: ServerAction::<RunItemCheck>::new(),
        phase: ServerAction::<RunPhaseChecks>::new(),
        mark: ServerAction::<MarkItem>::new(),
        state: ServerAction::<ChangeOrgState>::new(),
        smoke: ServerAction::<RunSmokeTests>::new(),
        live_ended: RwSignal::new(0),
    };
    let page = Resource::new(
        move || {
            (
                slug(),
                actions.check.version().get(),
                actions.phase.version().get(),
                actions.mark.version().get(),
                actions.state.version().get(),
                actions.smoke.version().get(),
                actions.live_ended.get(),
            )
        },
        |(slug, ..)| onboarding_page(slug),
    );
    let check_err = action_error(actions.check.value());
    let phase_err = action_error(actions.phase.value());
    let smoke_err = action_error(actions.smoke.value());
    view! {
        <PageHead title=move || t!(i18n, checklist.title)>
            <span class="downloads" id="checklist-downloads">
                {t!(i18n, checklist.spreadsheet)} " "
                <a id="checklist-xlsx" download="" href=move || format!("/portal/orgs/{}/onboarding/export.xlsx", slug())>"XLSX"</a>
                " · "
                <a id="checklist-csv" download="" href=move || format!("/portal/orgs/{}/onboarding/export.csv", slug())>"CSV"</a>
            </span>
        </PageHead>
        <FormMessage err=check_err />
        <FormMessage err=phase_err />
        <FormMessage err=smoke_err />
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => {
                        let lifecycle = p.checklist.lifecycle;
                        let phases = p.checklist.phases.clone();
                        view! {
                            <StateCard
                                lifecycle
                                next=p.checklist.next.clone()
                                activated_at=p.checklist.activated_at
                                phases=phases.clone()
                                history=p.history.clone()
                                actions
                            />
                            {phases
                                .into_iter()
                                .filter(|p| p.phase != Phase::PostActivation)
                                .map(|phase| view! { <PhaseSection phase actions /> })
                                .collect_view()}
                        }
                            .into_any()
                    }
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Transition>
        // Between T0 and T+1, outside the reloading sections: a live run outlives every
        // reload of the checklist (and asks for one when it ends).
        <LiveSmoke slug=slug() operator=allowed(Role::Operator) on_end=Callback::new(move |_| actions.live_ended.update(|n| *n += 1)) />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => p
                        .checklist
                        .phases
                        .into_iter()
                        .filter(|p| p.phase == Phase::PostActivation)
                        .map(|phase| view! { <PhaseSection phase actions /> })
                        .collect_view()
                        .into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Transition>
    }
}

/// The lifecycle state, the moves from it, and the history of moves.
#[component]
fn StateCard(
    lifecycle: Lifecycle,
    next: Vec<Lifecycle>,
    activated_at: Option<i64>,
    phases: Vec<PhaseDto>,
    history: Vec<StateChangeDto>,
    actions: Actions,
) -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let operator = allowed(Role::Operator);
    let admin = allowed(Role::Admin);
    let state_err = action_error(actions.state.value());
    let no_moves = next.is_empty();
    // Copy, so the form's children (run once) and the Show around them (run again) share it.
    let next = StoredValue::new(next);
    // The items a refused move names (error.details.items), as the page labels them.
    let left = move || {
        state_err.get().and_then(|e| e.details).and_then(|d| {
            let items: Vec<ItemKey> = serde_json::from_value(d.get("items")?.clone()).ok()?;
            Some(items.into_iter().map(|k| item_label(i18n, k)).collect::<Vec<_>>().join(" · "))
        })
    };
    let progress = phases
        .iter()
        .map(|p| {
            let phase = p.phase;
            view! {
                <li data-phase=phase.as_str() data-complete=p.complete.to_string()>
                    {move || phase_label(i18n, phase)} " " <strong>{format!("{}/{}", p.done, p.total)}</strong>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card" id="lifecycle">
            <dl class="facts">
                <dt>{t!(i18n, checklist.state)}</dt>
                <dd>
                    <span id="lifecycle-state" class=format!("badge {}", lifecycle.as_str()) data-state=lifecycle.as_str()>
                        {move || status_text(i18n, lifecycle)}
                    </span>
                </dd>
                <dt>{t!(i18n, checklist.activated_at)}</dt>
                <dd><Time at=activated_at /></dd>
            </dl>
            <ul class="phase-progress" id="phase-progress">{progress}</ul>
            <Show when=move || lifecycle == Lifecycle::RolledBack>
                <p class="muted">{t!(i18n, checklist.rolled_back_help)}</p>
            </Show>
            <Show when=move || operator && !no_moves && lifecycle != Lifecycle::RolledBack>
                <ActionForm action=actions.state attr:id="state-form" attr:class="form compact">
                    <input type="hidden" name="slug" value=slug />
                    <label>
                        {t!(i18n, checklist.move_to)}
                        <select name="state" id="state-select">
                            {next
                                .get_value()
                                .into_iter()
                                .map(|s| {
                                    view! { <option value=s.as_str()>{move || status_text(i18n, s)}</option> }
                                })
                                .collect_view()}
                        </select>
                    </label>
                    <label>{t!(i18n, checklist.reason)}<textarea name="reason" rows="2"></textarea></label>
                    <FieldMessage err=state_err field="reason" />
                    <Show when=move || admin>
                        <label class="check"><input type="checkbox" name="force" value="on" id="state-force" />{t!(i18n, checklist.force)}</label>
                    </Show>
                    <FormMessage err=Signal::derive(move || state_err.get().filter(|e| e.fields.is_empty())) />
                    {move || left().map(|l| view! { <p class="error-text" id="items-left">{t!(i18n, checklist.items_left)} ": " {l}</p> })}
                    <button type="submit" id="state-submit" disabled=move || actions.state.pending().get()>
                        {t!(i18n, checklist.move_submit)}
                    </button>
                </ActionForm>
            </Show>
            <details class="history">
                <summary>{t!(i18n, checklist.states)}</summary>
                <Show when={
                    let none = history.is_empty();
                    move || none
                }>
                    <p class="muted">{t!(i18n, checklist.no_states)}</p>
                </Show>
                <ul class="plain" id="state-history">
                    {history
                        .into_iter()
                        .map(|h| {
                            let (from, to) = (h.from, h.to);
                            view! {
                                <li data-to=to.as_str()>
                                    <Time at=Some(h.at) /> " · " {move || status_text(i18n, from)} " → "
                                    {move || status_text(i18n, to)} " · " {h.actor.clone()}
                                    <Show when=move || h.forced><span class="badge warning">{t!(i18n, checklist.forced)}</span></Show>
                                    {h.reason.clone().map(|r| view! { <span class="muted">" · " {r}</span> })}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </details>
        </section>
    }
}

#[component]
fn PhaseSection(phase: PhaseDto, actions: Actions) -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let operator = allowed(Role::Operator);
    let key = phase.phase;
    let has_checks = phase.items.iter().any(|i| i.kind == ItemKind::Check);
    let running =
        move || actions.phase.pending().get() && actions.phase.input().get().is_some_and(|i| i.phase == key.as_str());
    let complete = phase.complete;
    view! {
        <section class="phase" id=format!("phase-{}", key.as_str()) data-complete=complete.to_string()>
            <header class="phase-head">
                <h2>{move || phase_label(i18n, key)}</h2>
                <span class="progress">{format!("{}/{} ", phase.done, phase.total)} {t!(i18n, checklist.done_of)}</span>
                <span class=if complete { "badge ok" } else { "badge" }>
                    {move || if complete { t_string!(i18n, checklist.complete).to_string() } else { t_string!(i18n, checklist.incomplete).to_string() }}
                </span>
                <Show when=move || operator && has_checks>
                    <ActionForm action=actions.phase attr:class="inline">
                        <input type="hidden" name="slug" value=slug />
                        <input type="hidden" name="phase" value=key.as_str() />
                        <button type="submit" class="verify-phase" disabled=move || actions.phase.pending().get()>
                            {move || if running() { t_string!(i18n, checklist.verifying).to_string() } else { t_string!(i18n, checklist.verify_phase).to_string() }}
                        </button>
                    </ActionForm>
                </Show>
            </header>
            <Show when=move || operator && key == Phase::Activation>
                <ActionForm action=actions.smoke attr:id="smoke-form" attr:class="smoke-form">
                    <input type="hidden" name="slug" value=slug />
                    <label>
                        {t!(i18n, checklist.smoke_mode)}
                        <select name="mode" id="smoke-mode">
                            <option value="synthetic">{t!(i18n, checklist.smoke_synthetic)}</option>
                            <option value="chatwoot_api">{t!(i18n, checklist.smoke_chatwoot_api)}</option>
                        </select>
                    </label>
                    <button type="submit" id="smoke-run" class="primary" disabled=move || actions.smoke.pending().get()>
                        {move || if actions.smoke.pending().get() { t_string!(i18n, checklist.smoke_running).to_string() } else { t_string!(i18n, checklist.smoke_run).to_string() }}
                    </button>
                    <small class="muted">{t!(i18n, checklist.smoke_help)}</small>
                </ActionForm>
            </Show>

            <ol class="items">
                {phase.items.into_iter().map(|item| view! { <ItemRow item actions /> }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn ItemRow(item: ChecklistItemDto, actions: Actions) -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let operator = allowed(Role::Operator);
    let key = item.key;
    let status = item.status;
    let kind = item.kind;
    let marking = RwSignal::new(false);
    let mark_err = Signal::derive(move || {
        let mine = actions.mark.input().get().is_none_or(|i| i.item == key.as_str());
        action_error(actions.mark.value()).get().filter(|_| mine)
    });
    // Close the form once the mark has answered without an error.
    Effect::new(move |_| {
        if actions.mark.value().get().is_some_and(|r| r.is_ok()) {
            marking.set(false);
        }
    });
    let checking = move || {
        (actions.check.pending().get() && actions.check.input().get().is_some_and(|i| i.item == key.as_str()))
            || (actions.phase.pending().get()
                && kind == ItemKind::Check
                && actions.phase.input().get().is_some_and(|i| i.phase == key.phase().as_str()))
    };
    let history = Action::new(move |(slug, item): &(String, String)| item_runs(slug.clone(), item.clone()));
    let verify_text = move || {
        if checking() {
            t_string!(i18n, checklist.verifying).to_string()
        } else if key.check_changes_data() {
            t_string!(i18n, checklist.verify_register).to_string()
        } else {
            t_string!(i18n, checklist.verify).to_string()
        }
    };
    let runs = item.runs;
    let note = item.note.clone();
    let updated_by = item.updated_by.clone();
    view! {
        <li class="item" data-item=key.as_str() data-status=status.as_str() id=format!("item-{}", key.as_str())>
            <div class="item-head">
                <span class=format!("badge {}", status.as_str())>{move || item_status_label(i18n, status)}</span>
                <strong class="item-title">{move || item_label(i18n, key)}</strong>
            </div>
            <p class="muted item-help">
                {move || item_help(i18n, key)}
                {match kind {
                    ItemKind::Smoke => Some(view! { " · " {t!(i18n, checklist.kind_smoke)} }.into_any()),
                    ItemKind::Review => Some(view! { " · " {t!(i18n, checklist.kind_review)} }.into_any()),
                    ItemKind::Check => None,
                }}
            </p>
            {updated_by.map(|by| view! {
                <p class="item-by muted">
                    <Time at=item.updated_at /> " · " {t!(i18n, checklist.by)} " " {by}
                    {note.clone().map(|n| view! { <span class="item-note">" · " {n}</span> })}
                </p>
            })}
            {match item.last_run.clone() {
                Some(run) => view! { <RunView run /> }.into_any(),
                None if kind == ItemKind::Check => view! { <p class="muted never-run">{t!(i18n, checklist.never_run)}</p> }.into_any(),
                None => ().into_any(),
            }}
            <Show when=move || operator>
                <div class="item-actions">
                    <Show when=move || kind == ItemKind::Check>
                        <ActionForm action=actions.check attr:class="inline">
                            <input type="hidden" name="slug" value=slug />
                            <input type="hidden" name="item" value=key.as_str() />
                            <button type="submit" class="verify" disabled=move || actions.check.pending().get() || actions.phase.pending().get()>
                                {verify_text}
                            </button>
                        </ActionForm>
                    </Show>
                    <button type="button" class="link mark-open" on:click=move |_| marking.update(|m| *m = !*m)>
                        {t!(i18n, checklist.mark)}
                    </button>
                    <Show when=move || { runs > 1 }>
                        <button type="button" class="link history-open" on:click=move |_| { history.dispatch((slug(), key.as_str().to_string())); }>
                            {t!(i18n, checklist.history_load)} {format!(" ({runs})")}
                        </button>
                    </Show>
                </div>
            </Show>
            <Show when=move || marking.get()>
                <ActionForm action=actions.mark attr:class="form compact mark-form">
                    <input type="hidden" name="slug" value=slug />
                    <input type="hidden" name="item" value=key.as_str() />
                    <label>
                        {t!(i18n, checklist.mark_status)}
                        <select name="status">
                            {ItemStatus::ALL
                                .iter()
                                .map(|s| {
                                    let s = *s;
                                    view! { <option value=s.as_str() selected=s == status>{move || item_status_label(i18n, s)}</option> }
                                })
                                .collect_view()}
                        </select>
                    </label>
                    <label>
                        {t!(i18n, checklist.note)}
                        <textarea name="note" rows="2"></textarea>
                        <small class="muted">{t!(i18n, checklist.note_help)}</small>
                    </label>
                    <FieldMessage err=mark_err field="note" />
                    <FieldMessage err=mark_err field="status" />
                    <div class="actions">
                        <button type="submit" class="primary mark-save">{t!(i18n, checklist.save)}</button>
                        <button type="button" on:click=move |_| marking.set(false)>{t!(i18n, checklist.cancel)}</button>
                    </div>
                </ActionForm>
            </Show>
            {move || {
                history.value().get().map(|r| match r {
                    Ok(runs) => view! {
                        <div class="history">
                            <h4>{t!(i18n, checklist.history)}</h4>
                            {runs.into_iter().map(|run| view! { <RunView run /> }).collect_view()}
                        </div>
                    }
                    .into_any(),
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                })
            }}
        </li>
    }
}

/// One run: verdict, when, how long, the findings, and (folded) the requests it made.
#[component]
pub(crate) fn RunView(run: CheckRunDto) -> impl IntoView {
    let i18n = use_i18n();
    let verdict = run.verdict;
    let calls = run.calls.clone();
    view! {
        <div class="run" data-verdict=verdict.as_str() data-run=run.id.0>
            <p class="run-head">
                <span class=format!("badge {}", verdict.as_str())>{move || verdict_label(i18n, verdict)}</span>
                " " <Time at=Some(run.started_at) /> {format!(" · {} ms · ", run.duration_ms)} {run.actor.clone()}
            </p>
            <ul class="findings">
                {run
                    .lines
                    .into_iter()
                    .map(|l| {
                        let level = l.level;
                        view! {
                            <li class=format!("finding {}", level.as_str()) data-level=level.as_str() data-code=l.note.code.as_str()>
                                <span class="sr-only">{move || level_label(i18n, level)} ": "</span>
                                {note_text(i18n, Some(l.note.clone()))}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <Show when={
                let some = !calls.is_empty();
                move || some
            }>
                <details class="calls">
                    <summary>{t!(i18n, checklist.requests)} {format!(" ({})", calls.len())}</summary>
                    <ul class="plain mono">
                        {calls
                            .iter()
                            .map(|c| {
                                let status = c.status;
                                view! {
                                    <li>
                                        {format!("{} {} {} → ", c.target, c.method, c.path)}
                                        {move || status.map(|s| s.to_string()).unwrap_or_else(|| t_string!(i18n, checklist.no_answer).to_string())}
                                        {format!(" · {} ms", c.ms)}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </details>
            </Show>
        </div>
    }
}
