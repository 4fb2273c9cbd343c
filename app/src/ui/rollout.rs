//! `/rollout`, the rollout board: every org with its wave, lifecycle state, checklist
//! progress per phase, blockers, technical owner, "credentials ready" date and activation
//! lead time against the plan's ≤ 1 business day; filtered by wave and state and sorted by
//! any column through the URL (so a filtered board can be linked). Below it, the waves.

use super::components::time::Time;
use super::components::{action_error, allowed, EmptyState, ErrorBox, FieldMessage, FormMessage, PageHead};
use super::onboarding::item_label;
use super::orgs::status_text;
use crate::api::rollout::{get_rollout_board, DeleteWave, SaveWave};
use crate::i18n::*;
use crate::model::{BoardRow, BoardSort, LeadTime, Lifecycle, Role, RolloutBoard, WaveDto, LEAD_TIME_TARGET_DAYS};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::hooks::use_query_map;

/// "1 dia útil" / "3 dias úteis".
pub(crate) fn business_days_text(i18n: I18nContext<Locale>, n: i64) -> String {
    if n == 1 {
        format!("{n} {}", t_string!(i18n, rollout.business_day))
    } else {
        format!("{n} {}", t_string!(i18n, rollout.business_days))
    }
}

/// A wave's planned dates as one line (`14/12 → 18/12/2026`, or what there is).
fn planned_text(w: &WaveDto) -> String {
    let br = |d: &str| {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default()
    };
    match (w.planned_start.as_deref(), w.planned_end.as_deref()) {
        (Some(s), Some(e)) => format!("{} → {}", br(s), br(e)),
        (Some(s), None) => format!("{} →", br(s)),
        (None, Some(e)) => format!("→ {}", br(e)),
        (None, None) => "—".into(),
    }
}

#[component]
pub(crate) fn LeadTimeCell(lead: Option<LeadTime>) -> impl IntoView {
    let i18n = use_i18n();
    match lead {
        None => view! { <span class="muted">"—"</span> }.into_any(),
        Some(l) => {
            let class = if l.on_target { "badge ok" } else { "badge failed" };
            let days = l.business_days;
            view! {
                <span class=class data-days=days data-on-target=l.on_target.to_string() data-running=l.running.to_string()>
                    {move || business_days_text(i18n, days)}
                </span>
                {l.running.then(|| view! { " " <small class="muted">{t!(i18n, rollout.running)}</small> })}
            }
            .into_any()
        }
    }
}

#[component]
pub fn RolloutPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let get = move |k: &str| query.with(|q| q.get(k).filter(|v| !v.is_empty()));
    let refresh = RwSignal::new(0usize);
    let delete = ServerAction::<DeleteWave>::new();
    let board = Resource::new(
        move || (get("wave"), get("state"), get("sort"), refresh.get(), delete.version().get()),
        |(wave, state, sort, ..)| get_rollout_board(wave, state, sort),
    );
    let operator = allowed(Role::Operator);
    view! {
        <PageHead title=move || t!(i18n, rollout.title)>
            {move || {
                // The board's own filters and order.
                let q = ["wave", "state", "sort"]
                    .iter()
                    .filter_map(|k| get(k).map(|v| format!("{k}={}", v.replace(['&', '#', ' '], ""))))
                    .collect::<Vec<_>>()
                    .join("&");
                let q = if q.is_empty() { String::new() } else { format!("?{q}") };
                view! {
                    <span class="downloads" id="board-downloads">
                        {t!(i18n, checklist.spreadsheet)} " "
                        <a id="board-xlsx" download="" href=format!("/portal/rollout/export.xlsx{q}")>"XLSX"</a>
                        " · "
                        <a id="board-csv" download="" href=format!("/portal/rollout/export.csv{q}")>"CSV"</a>
                    </span>
                }
            }}
        </PageHead>
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(b) => view! {
                        <Board board=b.clone() wave=get("wave") state=get("state") sort=get("sort") />
                        <Waves waves=b.waves operator refresh delete />
                    }
                    .into_any(),
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The query string of the board with one parameter changed.
fn board_href(wave: &Option<String>, state: &Option<String>, sort: Option<String>) -> String {
    let pairs: Vec<String> = [("wave", wave.clone()), ("state", state.clone()), ("sort", sort)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
        .collect();
    if pairs.is_empty() {
        "/rollout".into()
    } else {
        format!("/rollout?{}", pairs.join("&"))
    }
}

#[component]
fn Board(board: RolloutBoard, wave: Option<String>, state: Option<String>, sort: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let RolloutBoard { waves, rows, on_target, measured } = board;
    let filtered = wave.is_some() || state.is_some();
    // A header sorts by its column; the current one flips direction.
    let header = {
        let (wave, state, sort) = (wave.clone(), state.clone(), sort.clone());
        move |key: BoardSort, label: String| {
            let current = sort.clone().unwrap_or_else(|| BoardSort::Wave.as_str().to_string());
            let (next, mark) = if current == key.as_str() {
                (format!("-{}", key.as_str()), " ↑")
            } else if current == format!("-{}", key.as_str()) {
                (key.as_str().to_string(), " ↓")
            } else {
                (key.as_str().to_string(), "")
            };
            let href = board_href(&wave, &state, Some(next));
            view! { <th data-sort=key.as_str()><a href=href>{label}{mark}</a></th> }
        }
    };
    let h = header.clone();
    let col = move |key: BoardSort, label: String| h(key, label);
    view! {
        <form method="get" action="/rollout" class="filters" id="board-filters">
            <label>
                {t!(i18n, rollout.wave)}
                <select name="wave" id="filter-wave">
                    <option value="" selected=wave.is_none()>{t!(i18n, rollout.all_waves)}</option>
                    <option value="none" selected=wave.as_deref() == Some("none")>{t!(i18n, rollout.no_wave)}</option>
                    {waves
                        .iter()
                        .map(|w| {
                            let id = w.id.0.to_string();
                            let selected = wave.as_deref() == Some(id.as_str());
                            view! { <option value=id selected=selected>{w.name.clone()}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                {t!(i18n, rollout.state)}
                <select name="state" id="filter-state">
                    <option value="" selected=state.is_none()>{t!(i18n, rollout.all_states)}</option>
                    {Lifecycle::ALL
                        .iter()
                        .map(|&l| {
                            let selected = state.as_deref() == Some(l.as_str());
                            view! { <option value=l.as_str() selected=selected>{move || status_text(i18n, l)}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            {sort.clone().map(|s| view! { <input type="hidden" name="sort" value=s /> })}
            <button type="submit" id="filter-submit">{t!(i18n, rollout.filter)}</button>
            {filtered.then(|| view! { <a href="/rollout" id="filter-clear">{t!(i18n, rollout.clear)}</a> })}
        </form>
        <p id="lead-time-summary" data-on-target=on_target data-measured=measured>
            {t!(i18n, rollout.lead_time_target)} " "
            {move || business_days_text(i18n, LEAD_TIME_TARGET_DAYS)} ": "
            <strong>{format!("{on_target}/{measured}")}</strong> " " {t!(i18n, rollout.in_production_on_target)}
        </p>
        {if rows.is_empty() {
            view! {
                <EmptyState id="board-empty" title=move || t!(i18n, rollout.empty)>
                    {if filtered { t!(i18n, rollout.empty_filtered).into_any() } else { t!(i18n, rollout.empty_help).into_any() }}
                </EmptyState>
            }
            .into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="grid" id="rollout-board">
                        <thead>
                            <tr>
                                {col(BoardSort::Name, t_string!(i18n, rollout.org).to_string())}
                                {col(BoardSort::Wave, t_string!(i18n, rollout.wave).to_string())}
                                {col(BoardSort::State, t_string!(i18n, rollout.state).to_string())}
                                {col(BoardSort::Progress, t_string!(i18n, rollout.progress).to_string())}
                                {col(BoardSort::Blockers, t_string!(i18n, rollout.blockers).to_string())}
                                {col(BoardSort::Owner, t_string!(i18n, rollout.owner).to_string())}
                                {col(BoardSort::CredentialsReady, t_string!(i18n, rollout.credentials_ready).to_string())}
                                {col(BoardSort::LeadTime, t_string!(i18n, rollout.lead_time).to_string())}
                            </tr>
                        </thead>
                        <tbody>{rows.into_iter().map(|r| view! { <Row row=r /> }).collect_view()}</tbody>
                    </table>
                </div>
            }
            .into_any()
        }}
    }
}

#[component]
fn Row(row: BoardRow) -> impl IntoView {
    let i18n = use_i18n();
    let state = row.lifecycle;
    let (done, total) = row.done_total();
    let slug = row.slug.clone();
    view! {
        <tr data-slug=row.slug.clone() data-done=done data-total=total>
            <td><a href=format!("/orgs/{slug}")>{row.name.clone()}</a></td>
            <td>
                {match &row.wave {
                    Some(w) => view! { <span data-wave=w.id.0>{w.name.clone()}</span> }.into_any(),
                    None => view! { <span class="muted">"—"</span> }.into_any(),
                }}
            </td>
            <td><span class=format!("badge {}", state.as_str()) data-state=state.as_str()>{move || status_text(i18n, state)}</span></td>
            <td>
                <ul class="phase-counts">
                    {row
                        .phases
                        .iter()
                        .map(|p| {
                            let class = if p.done == p.total { "complete" } else { "" };
                            view! {
                                <li class=class data-phase=p.phase.as_str()>
                                    <a href=format!("/orgs/{slug}/onboarding")>{format!("{} {}/{}", phase_short(p.phase), p.done, p.total)}</a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </td>
            <td class="blockers">
                {row
                    .blockers
                    .iter()
                    .map(|&k| view! { <span class="badge failed" data-item=k.as_str()>{move || item_label(i18n, k)}</span> " " })
                    .collect_view()}
            </td>
            <td>{row.technical_owner.clone().unwrap_or_else(|| "—".into())}</td>
            <td><Time at=row.credentials_ready_at /></td>
            <td><LeadTimeCell lead=row.lead_time.clone() /></td>
        </tr>
    }
}

/// The phases' short names, the same in both languages (the plan's words).
fn phase_short(p: crate::model::Phase) -> &'static str {
    match p {
        crate::model::Phase::PreActivation => "T-2",
        crate::model::Phase::Activation => "T0",
        crate::model::Phase::PostActivation => "T+1",
    }
}

/// The waves: each with its planned dates and org count, editable by operators; a new one
/// at the end; an empty one can be deleted, after a confirmation.
#[component]
fn Waves(
    waves: Vec<WaveDto>,
    operator: bool,
    refresh: RwSignal<usize>,
    delete: ServerAction<DeleteWave>,
) -> impl IntoView {
    let i18n = use_i18n();
    let delete_err = action_error(delete.value());
    view! {
        <h2>{t!(i18n, rollout.waves)}</h2>
        <FormMessage err=delete_err />
        {if waves.is_empty() {
            view! { <p class="muted" id="no-waves">{t!(i18n, rollout.no_waves)}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="grid" id="waves">
                        <thead>
                            <tr>
                                <th>{t!(i18n, rollout.wave)}</th>
                                <th>{t!(i18n, rollout.planned)}</th>
                                <th>{t!(i18n, rollout.orgs)}</th>
                                {operator.then(|| view! { <th></th> })}
                            </tr>
                        </thead>
                        <tbody>
                            {waves
                                .into_iter()
                                .map(|w| {
                                    let id = w.id.0.to_string();
                                    view! {
                                        <tr data-wave=id.clone()>
                                            <td>{w.name.clone()}</td>
                                            <td>{planned_text(&w)}</td>
                                            <td>{w.orgs}</td>
                                            {operator.then(|| view! {
                                                <td>
                                                    <details class="settings">
                                                        <summary>{t!(i18n, rollout.edit)}</summary>
                                                        <WaveForm wave=Some(w.clone()) refresh />
                                                        {(w.orgs == 0).then(|| view! { <DeleteWaveButton id=id.clone() delete /> })}
                                                    </details>
                                                </td>
                                            })}
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
        {operator.then(|| view! {
            <details class="settings" id="new-wave">
                <summary>{t!(i18n, rollout.new_wave)}</summary>
                <WaveForm wave=None refresh />
            </details>
        })}
    }
}

#[component]
fn DeleteWaveButton(id: String, delete: ServerAction<DeleteWave>) -> impl IntoView {
    let i18n = use_i18n();
    let confirming = RwSignal::new(false);
    let id = StoredValue::new(id);
    view! {
        <Show
            when=move || confirming.get()
            fallback=move || view! {
                <button type="button" class="danger" on:click=move |_| confirming.set(true)>{t!(i18n, rollout.delete)}</button>
            }
        >
            <ActionForm action=delete attr:class="confirm">
                <p>{t!(i18n, rollout.delete_confirm)}</p>
                <input type="hidden" name="id" value=id.get_value() />
                <div class="actions">
                    <button type="submit" class="danger" data-delete-wave=id.get_value()>{t!(i18n, rollout.delete)}</button>
                    <button type="button" on:click=move |_| confirming.set(false)>{t!(i18n, automation.cancel)}</button>
                </div>
            </ActionForm>
        </Show>
    }
}

/// One wave's form (or a new wave's), with its own action so its errors stay beside it; a
/// save that went through refreshes the board.
#[component]
fn WaveForm(wave: Option<WaveDto>, refresh: RwSignal<usize>) -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SaveWave>::new();
    let err = action_error(save.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            refresh.update(|n| *n += 1);
        }
    });
    let id = wave.as_ref().map(|w| w.id.0.to_string()).unwrap_or_default();
    let form_id = if wave.is_some() { format!("wave-form-{id}") } else { "wave-form-new".into() };
    view! {
        <ActionForm action=save attr:class="form" attr:id=form_id>
            <FormMessage err=Signal::derive(move || err.get().filter(|e| e.fields.is_empty())) />
            <input type="hidden" name="id" value=id />
            <label>{t!(i18n, rollout.wave_name)}<input type="text" name="name" maxlength="60" value=wave.as_ref().map(|w| w.name.clone()) /></label>
            <FieldMessage err field="name" />
            <label>{t!(i18n, rollout.planned_start)}<input type="date" name="planned_start" value=wave.as_ref().and_then(|w| w.planned_start.clone()) /></label>
            <FieldMessage err field="planned_start" />
            <label>{t!(i18n, rollout.planned_end)}<input type="date" name="planned_end" value=wave.as_ref().and_then(|w| w.planned_end.clone()) /></label>
            <FieldMessage err field="planned_end" />
            <button type="submit" class="primary">{t!(i18n, org_forms.save)}</button>
        </ActionForm>
    }
}
