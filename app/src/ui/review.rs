//! `/orgs/:slug/review`, the T+1 review: "logs audited" (the identity conflicts and failed
//! stage moves since go-live, each linked to what it is about and marked reviewed) and the
//! sample of 10 real conversations (drawn here, each shown with its contact, deal, stage
//! moves and Ponte's events, and a link to the conversation in Chatwoot, marked ok or problem).

use super::components::time::Time;
use super::components::{action_error, allowed, error_text, source_label, EmptyState, ErrorBox, FormMessage, PageHead};
use super::events::status_label;
use crate::api::onboarding::{review_page, DrawSample, MarkReview};
use crate::i18n::*;
use crate::model::{LogEntry, Review, ReviewKind, ReviewVerdict, Role, SampleConversation};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::hooks::use_params_map;

fn verdict_label(i18n: I18nContext<Locale>, v: Option<ReviewVerdict>) -> String {
    match v.unwrap_or(ReviewVerdict::Pending) {
        ReviewVerdict::Pending => t_string!(i18n, review.pending).to_string(),
        ReviewVerdict::Ok => t_string!(i18n, review.ok).to_string(),
        ReviewVerdict::Problem => t_string!(i18n, review.problem).to_string(),
    }
}

fn kind_label(i18n: I18nContext<Locale>, kind: ReviewKind) -> String {
    match kind {
        ReviewKind::Conflict => t_string!(i18n, review.kind_conflict).to_string(),
        ReviewKind::StageMove => t_string!(i18n, review.kind_stage_move).to_string(),
        ReviewKind::Conversation => t_string!(i18n, review.kind_conversation).to_string(),
    }
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let mark = ServerAction::<MarkReview>::new();
    let draw = ServerAction::<DrawSample>::new();
    let draw_err = action_error(draw.value());
    let mark_err = action_error(mark.value());
    let page =
        Resource::new(move || (slug(), mark.version().get(), draw.version().get()), |(slug, ..)| review_page(slug));
    let operator = allowed(Role::Operator);
    view! {
        <PageHead title=move || t!(i18n, review.title) />
        // A refusal names its field's problem (a problem without a note), not just "fix the fields".
        {move || mark_err.get().map(|e| {
            let code = e.fields.first().map_or(e.code, |f| f.code);
            view! { <p class="error-box" id="mark-error" role="alert">{move || error_text(i18n, code)}</p> }
        })}
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Ok(p) => p,
                    Err(err) => return view! { <ErrorBox err /> }.into_any(),
                };
                if p.logs.since.is_none() {
                    return view! {
                        <EmptyState id="review-not-live" title=move || t!(i18n, review.not_live)>
                            {t!(i18n, review.not_live_help)}
                        </EmptyState>
                    }
                    .into_any();
                }
                let slug = slug();
                let entries = p.logs.entries.clone();
                let sample = p.sample.clone();
                let drawn = !sample.conversations.is_empty();
                let draw_slug = slug.clone();
                view! {
                    <p class="muted">{t!(i18n, review.since)} " " <Time at=p.logs.since /></p>
                    {p.logs.window_ends_at.filter(|end| *end > p.now).map(|end| view! {
                        <p class="muted" id="log-window">{t!(i18n, review.window_open)} " " <Time at=Some(end) /></p>
                    })}
                    <h2>{t!(i18n, review.logs)}</h2>
                    {if entries.is_empty() {
                        view! { <p class="muted" id="no-log-entries">{t!(i18n, review.no_logs)}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="review-list" id="log-entries">
                                {entries.into_iter().map(|e| view! { <LogLine entry=e slug=slug.clone() operator mark /> }).collect_view()}
                            </ul>
                        }
                        .into_any()
                    }}
                    <h2>{t!(i18n, review.sample)}</h2>
                    <p class="muted" id="sample-available" data-available=sample.available>
                        {format!("{} ", sample.available)} {t!(i18n, review.available)}
                    </p>
                    {operator.then(|| view! {
                        <ActionForm action=draw attr:class="inline" attr:id="draw-form">
                            <FormMessage err=draw_err />
                            <input type="hidden" name="slug" value=draw_slug />
                            <button type="submit" class="primary" id="draw-sample" disabled=move || draw.pending().get()>
                                {if drawn { t!(i18n, review.redraw).into_any() } else { t!(i18n, review.draw).into_any() }}
                            </button>
                        </ActionForm>
                    })}
                    <ul class="review-list" id="sample">
                        {sample
                            .conversations
                            .into_iter()
                            .map(|c| view! { <SampleLine conversation=c slug=slug.clone() operator mark /> })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            })}
        </Transition>
    }
}

#[component]
fn LogLine(entry: LogEntry, slug: String, operator: bool, mark: ServerAction<MarkReview>) -> impl IntoView {
    let i18n = use_i18n();
    let kind = entry.kind;
    let link = match (entry.contact_id, entry.event_id, entry.deal_id) {
        (Some(c), _, _) => {
            Some((format!("/orgs/{slug}/contacts/{}", c.0), t_string!(i18n, review.open_contact).to_string()))
        }
        (None, Some(e), _) => {
            Some((format!("/orgs/{slug}/events/{}", e.0), t_string!(i18n, review.open_event).to_string()))
        }
        (None, None, Some(d)) => Some((format!("/orgs/{slug}/automation"), format!("deal {}", d.0))),
        _ => None,
    };
    view! {
        <li data-kind=kind.as_str() data-ref=entry.ref_id data-verdict=entry.review.verdict.unwrap_or(ReviewVerdict::Pending).as_str()>
            <p class="review-head">
                <strong>{move || kind_label(i18n, kind)}</strong> " · " <Time at=Some(entry.at) />
                {entry.code.clone().map(|c| view! { " · " <code>{c}</code> })}
                {link.map(|(href, text)| view! { " · " <a href=href>{text}</a> })}
            </p>
            <Verdict review=entry.review.clone() />
            {operator.then(|| view! { <MarkForm slug kind=kind.as_str() ref_id=entry.ref_id mark /> })}
        </li>
    }
}

#[component]
fn SampleLine(
    conversation: SampleConversation,
    slug: String,
    operator: bool,
    mark: ServerAction<MarkReview>,
) -> impl IntoView {
    let i18n = use_i18n();
    let c = conversation;
    let verdict = c.review.verdict.unwrap_or(ReviewVerdict::Pending);
    view! {
        <li data-kind="conversation" data-ref=c.conversation_id.0 data-verdict=verdict.as_str()>
            <p class="review-head">
                <strong>{source_label(c.source)}</strong> " · "
                <a href=format!("/orgs/{slug}/contacts/{}", c.contact_id.0)>{c.contact_name.clone().unwrap_or_else(|| format!("#{}", c.contact_id.0))}</a>
                " · " {t!(i18n, review.stage)} " " {c.stage.clone().unwrap_or_else(|| "—".into())}
                {c.chatwoot_url.clone().map(|u| view! { " · " <a href=u target="_blank" rel="noopener">{t!(i18n, review.open_chatwoot)}</a> })}
            </p>
            {(!c.moves.is_empty()).then(|| view! {
                <ul class="moves">
                    {c.moves.iter().map(|m| view! {
                        <li>{format!("{} → {}", m.from.clone().unwrap_or_else(|| "—".into()), m.to)} " · " <Time at=Some(m.at) /></li>
                    }).collect_view()}
                </ul>
            })}
            {(!c.events.is_empty()).then(|| {
                let slug = slug.clone();
                view! {
                    <p class="events-line muted">
                        {t!(i18n, review.events)} " "
                        {c.events.iter().map(|e| view! {
                            <a href=format!("/orgs/{slug}/events/{}", e.id.0) class=format!("event-link {}", e.status) title=status_label(i18n, e.status)>
                                {format!("#{}", e.id.0)}
                            </a> " "
                        }).collect_view()}
                    </p>
                }
            })}
            <Verdict review=c.review.clone() />
            {operator.then(|| view! { <MarkForm slug kind="conversation" ref_id=c.conversation_id.0 mark /> })}
        </li>
    }
}

#[component]
fn Verdict(review: Review) -> impl IntoView {
    let i18n = use_i18n();
    let v = review.verdict;
    let class = format!(
        "badge {}",
        match v.unwrap_or(ReviewVerdict::Pending) {
            ReviewVerdict::Pending => "pending",
            ReviewVerdict::Ok => "ok",
            ReviewVerdict::Problem => "failed",
        }
    );
    view! {
        <p class="review-verdict">
            <span class=class>{move || verdict_label(i18n, v)}</span>
            {review.note.clone().map(|n| view! { " " <span>{n}</span> })}
            {review.reviewed_by.clone().map(|b| view! { " · " <small class="muted">{b}</small> })}
        </p>
    }
}

/// Ok / problem with a note, for one entry (the page reloads through `mark`'s version and
/// shows a refusal above the lists).
#[component]
fn MarkForm(slug: String, kind: &'static str, ref_id: i64, mark: ServerAction<MarkReview>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ActionForm action=mark attr:class="inline-form mark-review">
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="kind" value=kind />
            <input type="hidden" name="ref_id" value=ref_id.to_string() />
            <label>
                {t!(i18n, review.verdict)}
                <select name="verdict">
                    <option value="ok">{t!(i18n, review.ok)}</option>
                    <option value="problem">{t!(i18n, review.problem)}</option>
                </select>
            </label>
            <label>{t!(i18n, review.note)}<input type="text" name="note" maxlength="500" /></label>
            <button type="submit">{t!(i18n, review.save)}</button>
        </ActionForm>
    }
}
