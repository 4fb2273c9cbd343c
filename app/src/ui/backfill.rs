//! Backfill pages: the overview of every org (start a wave of orgs at once, watch each
//! org's newest run) and an org's own runs (start, pause / resume / cancel, live progress
//! with rate and ETA, history with the report to download). Both refresh every second and
//! a half by polling, so an operator watches a run without reloading. A run starts as a
//! dry run unless the operator unticks it, and a real run or wave asks for a confirmation
//! that says what it will write.

use super::components::time::Time;
use super::components::{action_error, allowed, note_text, EmptyState, ErrorBox, FormMessage, PageHead, ReportLink};
use crate::api::backfill::{backfill_overview, org_backfill, BackfillRunAction, StartBackfillWave, StartOrgBackfill};
use crate::i18n::*;
use crate::model::{BackfillRunDto, Role, RunAction, RunStatus};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::hooks::use_params_map;
use std::collections::BTreeSet;

/// A counter that goes up every `ms` in the browser (never on the server): pages key
/// their resources on it to poll.
pub(crate) fn ticker(ms: u64) -> RwSignal<u64> {
    let tick = RwSignal::new(0u64);
    Effect::new(move |_| {
        let handle =
            set_interval_with_handle(move || tick.update(|t| *t += 1), std::time::Duration::from_millis(ms)).ok();
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
        });
    });
    tick
}

fn status_text(i18n: I18nContext<Locale>, status: RunStatus) -> String {
    match status {
        RunStatus::Running => t_string!(i18n, backfill.status_running).to_string(),
        RunStatus::Paused => t_string!(i18n, backfill.status_paused).to_string(),
        RunStatus::Cancelled => t_string!(i18n, backfill.status_cancelled).to_string(),
        RunStatus::Done => t_string!(i18n, backfill.status_done).to_string(),
        RunStatus::Failed => t_string!(i18n, backfill.status_failed).to_string(),
    }
}

fn eta_text(seconds: Option<i64>) -> String {
    match seconds {
        None => "—".into(),
        Some(s) if s < 60 => format!("{s} s"),
        Some(s) if s < 3600 => format!("{} min {:02} s", s / 60, s % 60),
        Some(s) => format!("{} h {:02} min", s / 3600, s / 60 % 60),
    }
}

fn percent(r: &BackfillRunDto) -> f64 {
    if r.total <= 0 {
        if r.status == RunStatus::Done {
            100.0
        } else {
            0.0
        }
    } else {
        (r.processed as f64 * 100.0 / r.total as f64).min(100.0)
    }
}

/// A run's progress: bar, counts, rate and time left.
#[component]
pub(crate) fn RunProgress(run: BackfillRunDto) -> impl IntoView {
    let i18n = use_i18n();
    let pct = percent(&run);
    let status = run.status;
    view! {
        <div class="run-progress" data-run=run.id.0 data-status=status.as_str()>
            <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=format!("{pct:.0}")>
                <div class=format!("bar {status}") style=format!("width: {pct:.1}%")></div>
            </div>
            <p class="progress-line">
                <span class=format!("badge {status}")>{status_text(i18n, status)}</span>
                {run.dry_run.then(|| view! { <span class="badge">{t!(i18n, backfill.dry_run)}</span> })}
                " "
                <span class="processed">{format!("{} / {}", run.processed, run.total)}</span>
                {format!(" ({pct:.0}%) · ")}
                {t!(i18n, backfill.created)} " " <strong class="created">{run.created}</strong> " · "
                {t!(i18n, backfill.skipped)} " " <span class="skipped">{run.skipped}</span> " · "
                {t!(i18n, backfill.conflicts)} " " <span class="conflicts">{run.conflicts}</span> " · "
                {t!(i18n, backfill.invalid)} " " <span class="invalid">{run.invalid}</span> " · "
                {t!(i18n, backfill.empty)} " " <span class="empty">{run.empty}</span>
            </p>
            <p class="muted">
                {t!(i18n, backfill.rate)} " " {format!("{:.0}/s", run.rate)} " · "
                {t!(i18n, backfill.eta)} " " <span class="eta">{eta_text(run.eta_seconds)}</span>
            </p>
            {run.last_error.clone().filter(|_| run.failures > 0 || run.status == RunStatus::Failed).map(|e| {
                view! {
                    <p class="error-text run-error" role="alert">
                        {t!(i18n, backfill.last_error)} " (" {run.failures} "): " {note_text(i18n, Some(e))}
                    </p>
                }
            })}
        </div>
    }
}

fn batch_size(raw: &str) -> i64 {
    raw.trim().parse().unwrap_or(-1)
}

/// `/backfill`: every org with its newest run; tick orgs and start a wave.
#[component]
pub fn BackfillOverviewPage() -> impl IntoView {
    let i18n = use_i18n();
    let tick = ticker(1500);
    // Polled only while some run is going (the overview counts every org's contacts).
    let active = RwSignal::new(false);
    let wave = ServerAction::<StartBackfillWave>::new();
    let wave_err = action_error(wave.value());
    let data = Resource::new(
        move || (if active.get() { tick.get() } else { 0 }, wave.version().get()),
        |_| backfill_overview(),
    );
    let selected = RwSignal::new(BTreeSet::<String>::new());
    // A dry run unless unticked; a real wave is confirmed first.
    let dry_run = RwSignal::new(true);
    let confirming = RwSignal::new(false);
    let size = RwSignal::new("10000".to_string());
    let operator = allowed(Role::Operator);
    let dispatch = move || {
        confirming.set(false);
        let orgs = selected.with(|s| s.iter().cloned().collect::<Vec<_>>().join(","));
        wave.dispatch(StartBackfillWave { orgs, dry_run: dry_run.get(), batch_size: batch_size(&size.get()) });
    };
    let start = move |_| if dry_run.get() { dispatch() } else { confirming.set(true) };
    view! {
        <PageHead title=move || t!(i18n, backfill.overview_title) />
        <p class="muted">{t!(i18n, backfill.overview_intro)}</p>
        <Show when=move || operator>
            <section class="wave-form form-row">
                <label class="check">
                    <input type="checkbox" id="wave-dry-run" prop:checked=move || dry_run.get() on:change=move |ev| dry_run.set(event_target_checked(&ev)) />
                    <span>{t!(i18n, backfill.dry_run_label)}</span>
                </label>
                <label>
                    {t!(i18n, backfill.batch_size)}
                    <input type="number" id="wave-batch-size" min="1" max="50000" prop:value=move || size.get() on:input=move |ev| size.set(event_target_value(&ev)) />
                </label>
                <button type="button" class="primary" id="wave-start" disabled=move || selected.with(|s| s.is_empty()) on:click=start>
                    {t!(i18n, backfill.start_wave)} " (" {move || selected.with(|s| s.len())} ")"
                </button>
            </section>
            <Show when=move || confirming.get()>
                <div class="confirm" id="wave-confirm">
                    <p><strong>{t!(i18n, backfill.confirm_title)}</strong></p>
                    <p>{t!(i18n, backfill.confirm_wave)} " " <strong>{move || selected.with(|s| s.iter().cloned().collect::<Vec<_>>().join(", "))}</strong></p>
                    <div class="actions">
                        <button type="button" class="danger" id="wave-confirm-yes" on:click=move |_| dispatch()>{t!(i18n, backfill.confirm_yes)}</button>
                        <button type="button" id="wave-confirm-no" on:click=move |_| confirming.set(false)>{t!(i18n, automation.cancel)}</button>
                    </div>
                </div>
            </Show>
            <FormMessage err=wave_err />
            {move || {
                wave.value().get().and_then(Result::ok).map(|started| {
                    let refused: Vec<String> = started
                        .iter()
                        .filter_map(|w| w.error.as_ref().map(|e| format!("{}: {e}", w.slug)))
                        .collect();
                    (!refused.is_empty()).then(|| view! { <p class="error-text" id="wave-refused">{refused.join(" · ")}</p> })
                })
            }}
        </Show>
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(orgs) => {
                        active.set(orgs.iter().any(|o| o.run.as_ref().is_some_and(|r| r.status == RunStatus::Running)));
                        view! {
                        <div class="table-wrap">
                        <table class="grid" id="backfill-orgs">
                            <thead>
                                <tr>
                                    <th></th>
                                    <th>{t!(i18n, backfill.org)}</th>
                                    <th>{t!(i18n, backfill.contacts)}</th>
                                    <th>{t!(i18n, backfill.latest_run)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {orgs
                                    .into_iter()
                                    .map(|o| {
                                        let slug = o.slug.clone();
                                        let slug_check = slug.clone();
                                        let slug_toggle = slug.clone();
                                        view! {
                                            <tr data-org=slug.clone()>
                                                <td>
                                                    <input
                                                        type="checkbox"
                                                        class="wave-pick"
                                                        disabled=!operator
                                                        prop:checked=move || selected.with(|s| s.contains(&slug_check))
                                                        on:change=move |ev| {
                                                            let on = event_target_checked(&ev);
                                                            selected.update(|s| {
                                                                if on {
                                                                    s.insert(slug_toggle.clone());
                                                                } else {
                                                                    s.remove(&slug_toggle);
                                                                }
                                                            });
                                                        }
                                                    />
                                                </td>
                                                <td><a href=format!("/orgs/{slug}/backfill")>{o.name.clone()}</a></td>
                                                <td>{o.contacts}</td>
                                                <td>
                                                    {match o.run {
                                                        Some(run) => view! { <RunProgress run /> }.into_any(),
                                                        None => view! { <span class="muted">{t!(i18n, backfill.never)}</span> }.into_any(),
                                                    }}
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                        </div>
                        }
                        .into_any()
                    }
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// `/orgs/:slug/backfill`: the org's runs.
#[component]
pub fn OrgBackfillPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let tick = ticker(1500);
    let start = ServerAction::<StartOrgBackfill>::new();
    let act = ServerAction::<BackfillRunAction>::new();
    let start_err = action_error(start.value());
    let act_err = action_error(act.value());
    // Polled only while the newest run is going.
    let active = RwSignal::new(false);
    let data = Resource::new(
        move || (slug(), if active.get() { tick.get() } else { 0 }, start.version().get(), act.version().get()),
        |(slug, ..)| org_backfill(slug),
    );
    let operator = allowed(Role::Operator);
    // A dry run unless unticked; a real run is confirmed first.
    let dry_run = RwSignal::new(true);
    let confirming = RwSignal::new(false);
    let size = RwSignal::new("10000".to_string());
    let dispatch = move || {
        confirming.set(false);
        start.dispatch(StartOrgBackfill {
            slug: slug(),
            dry_run: dry_run.get().then(|| "true".to_string()),
            batch_size: batch_size(&size.get()),
        });
    };
    let begin = move |_| if dry_run.get() { dispatch() } else { confirming.set(true) };
    view! {
        <PageHead title=move || t!(i18n, backfill.title)>
            <a href="/backfill">{t!(i18n, backfill.overview_title)}</a>
        </PageHead>
        <Show when=move || operator>
            <section class="form-row" id="backfill-start-form">
                <label class="check">
                    <input type="checkbox" id="backfill-dry-run" prop:checked=move || dry_run.get() on:change=move |ev| dry_run.set(event_target_checked(&ev)) />
                    <span>{t!(i18n, backfill.dry_run_label)}</span>
                </label>
                <label>
                    {t!(i18n, backfill.batch_size)}
                    <input type="number" min="1" max="50000" id="backfill-batch-size" prop:value=move || size.get() on:input=move |ev| size.set(event_target_value(&ev)) />
                </label>
                <button type="button" class="primary" id="backfill-start" disabled=move || start.pending().get() on:click=begin>
                    {t!(i18n, backfill.start)}
                </button>
            </section>
            <Show when=move || confirming.get()>
                <div class="confirm" id="backfill-confirm">
                    <p><strong>{t!(i18n, backfill.confirm_title)}</strong></p>
                    <p>{t!(i18n, backfill.confirm_org)}</p>
                    <div class="actions">
                        <button type="button" class="danger" id="backfill-confirm-yes" on:click=move |_| dispatch()>{t!(i18n, backfill.confirm_yes)}</button>
                        <button type="button" id="backfill-confirm-no" on:click=move |_| confirming.set(false)>{t!(i18n, automation.cancel)}</button>
                    </div>
                </div>
            </Show>
            <FormMessage err=start_err />
            <FormMessage err=act_err />
        </Show>
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => {
                        let current = page.runs.first().cloned();
                        let no_runs = page.runs.is_empty();
                        active.set(current.as_ref().is_some_and(|r| r.status == RunStatus::Running));
                        view! {
                            <p id="open-tasks" data-count=page.open_tasks>
                                {t!(i18n, backfill.open_tasks)} " "
                                <a id="reconciliation-link" href=format!("/orgs/{}/reconciliation", slug())><strong>{page.open_tasks}</strong></a>
                            </p>
                            {current.map(|run| {
                                let id = run.id;
                                let status = run.status;
                                let allows = |a: RunAction| operator && a.transition().0.contains(&status);
                                let (can_pause, can_resume, can_cancel) =
                                    (allows(RunAction::Pause), allows(RunAction::Resume), allows(RunAction::Cancel));
                                let action = move |a: RunAction| {
                                    act.dispatch(BackfillRunAction { slug: slug(), id, action: a.as_str().to_string() });
                                };
                                view! {
                                    <section id="current-run">
                                        <h2>{t!(i18n, backfill.run)} " #" {id.0}</h2>
                                        <RunProgress run />
                                        <div class="actions">
                                            <Show when=move || can_pause>
                                                <button type="button" id="run-pause" on:click=move |_| action(RunAction::Pause)>{t!(i18n, backfill.pause)}</button>
                                            </Show>
                                            <Show when=move || can_resume>
                                                <button type="button" id="run-resume" on:click=move |_| action(RunAction::Resume)>{t!(i18n, backfill.resume)}</button>
                                            </Show>
                                            <Show when=move || can_cancel>
                                                <button type="button" class="danger" id="run-cancel" on:click=move |_| action(RunAction::Cancel)>{t!(i18n, backfill.cancel)}</button>
                                            </Show>
                                        </div>
                                    </section>
                                }
                            })}
                            <h2>{t!(i18n, backfill.history)}</h2>
                            <Show when=move || no_runs>
                                <EmptyState id="no-runs" title=move || t!(i18n, backfill.never)>
                                    {t!(i18n, backfill.never_help)}
                                </EmptyState>
                            </Show>
                            <div class="table-wrap" class:hidden=no_runs>
                            <table class="grid" id="backfill-history">
                                <thead>
                                    <tr>
                                        <th>"#"</th>
                                        <th>{t!(i18n, backfill.started)}</th>
                                        <th>{t!(i18n, backfill.status)}</th>
                                        <th>{t!(i18n, backfill.processed)}</th>
                                        <th>{t!(i18n, backfill.created)}</th>
                                        <th>{t!(i18n, backfill.conflicts)}</th>
                                        <th>{t!(i18n, backfill.invalid)}</th>
                                        <th>{t!(i18n, backfill.report)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {page
                                        .runs
                                        .into_iter()
                                        .map(|r| {
                                            let report = format!("/portal/orgs/{}/backfill/{}/report.csv", slug(), r.id);
                                            view! {
                                                <tr data-run=r.id.0>
                                                    <td>{r.id.0}</td>
                                                    <td><Time at=Some(r.started_at) /></td>
                                                    <td>
                                                        <span class=format!("badge {}", r.status)>{status_text(i18n, r.status)}</span>
                                                        {r.dry_run.then(|| view! { <span class="badge">{t!(i18n, backfill.dry_run)}</span> })}
                                                    </td>
                                                    <td>{format!("{} / {}", r.processed, r.total)}</td>
                                                    <td>{r.created}</td>
                                                    <td>{r.conflicts}</td>
                                                    <td>{r.invalid}</td>
                                                    <td><ReportLink href=report /></td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            </div>
                        }
                        .into_any()
                    }
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Transition>
    }
}
