//! Widgets shared by the portal's pages: the page head, empty states, error display and
//! form field errors, domain notes, times (`time`).

pub mod time;

use crate::i18n::*;
use crate::model::{AppError, CurrentUser, DealStatus, ErrorCode, Lang, Note, NotePiece, Role, Source};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::components::Redirect;

/// The person-readable text of an error code in the current language (the `errors`
/// section of the locale files, through `ErrorCode::message_in`).
pub fn error_text(i18n: I18nContext<Locale>, code: ErrorCode) -> String {
    code.message_in(lang(i18n)).to_string()
}

/// A note of the domain (a step's detail, an error, an action's report…) in the current
/// language, following language switches (the `notes` section of the locale files,
/// through `Note::text_in`); empty without a note.
pub fn note_text(i18n: I18nContext<Locale>, note: Option<Note>) -> impl Fn() -> String + Clone + Send + Sync + 'static {
    move || note.as_ref().map(|n| n.text_in(lang(i18n))).unwrap_or_default()
}

/// A note as a page shows it: its text in the current language, with the contact, deal and
/// event it names as links within the org `slug`, and a channel by its name.
#[component]
pub fn NoteText(note: Option<Note>, #[prop(into)] slug: String) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let Some(note) = note.clone() else { return ().into_any() };
        let slug = slug.clone();
        let contact = note.params.get("contact").filter(|c| c.parse::<i64>().is_ok()).cloned();
        note.pieces_in(lang(i18n))
            .into_iter()
            .map(|piece| match piece {
                NotePiece::Text(text) => text.into_any(),
                NotePiece::Param { name, value } => {
                    let numeric = value.parse::<i64>().is_ok();
                    let href = match name.as_str() {
                        "contact" if numeric => Some(format!("/orgs/{slug}/contacts/{value}")),
                        "deal" if numeric => {
                            contact.as_ref().map(|c| format!("/orgs/{slug}/contacts/{c}#deal-{value}"))
                        }
                        "event" if numeric => Some(format!("/orgs/{slug}/events/{value}")),
                        _ => None,
                    };
                    let text = match (name.as_str(), value.parse::<Source>()) {
                        ("source", Ok(source)) => source_label(source).to_string(),
                        _ => value,
                    };
                    match href {
                        Some(href) => view! { <a href=href data-param=name>{text}</a> }.into_any(),
                        None => text.into_any(),
                    }
                }
            })
            .collect_view()
            .into_any()
    }
}

/// A channel's name as people write it (a brand: the same in every language).
pub fn source_label(source: Source) -> &'static str {
    source.label()
}

/// A deal's status in the current language.
pub fn deal_status_text(i18n: I18nContext<Locale>, status: DealStatus) -> String {
    match status {
        DealStatus::Open => t_string!(i18n, deal.open).to_string(),
        DealStatus::Won => t_string!(i18n, deal.won).to_string(),
        DealStatus::Lost => t_string!(i18n, deal.lost).to_string(),
    }
}

/// The portal's current language, for texts read outside leptos_i18n's macros.
pub fn lang(i18n: I18nContext<Locale>) -> Lang {
    match i18n.get_locale() {
        Locale::pt_BR => Lang::PtBr,
        Locale::en => Lang::En,
    }
}

/// A page-level error. A lost session sends the person back to the login page.
#[component]
pub fn ErrorBox(err: AppError) -> impl IntoView {
    let i18n = use_i18n();
    let code = err.code;
    if matches!(code, ErrorCode::SessionMissing | ErrorCode::SessionExpired) {
        return view! { <Redirect path="/login" /> }.into_any();
    }
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::from_u16(code.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR));
    }
    // Something that is not there (an org, an event, a run): say so and offer a way back.
    let back = (code.status() == 404).then(|| view! { <a class="back" href="/orgs">{t!(i18n, back_to_orgs)}</a> });
    view! {
        <div class="error-box" role="alert" data-code=format!("{code:?}")>
            {move || error_text(i18n, code)}
            {back}
        </div>
    }
    .into_any()
}

/// The head of every page: its title, and the page's main actions on the right.
#[component]
pub fn PageHead(#[prop(into)] title: ViewFn, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    view! {
        <div class="page-head">
            <h1>{title.run()}</h1>
            {children.map(|c| view! { <div class="page-actions">{c()}</div> })}
        </div>
    }
}

/// What a page shows instead of an empty table: what is missing and what to do about it.
#[component]
pub fn EmptyState(
    id: &'static str,
    #[prop(into)] title: ViewFn,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty-state" id=id>
            <p class="empty-title">{title.run()}</p>
            {children.map(|c| view! { <p class="muted">{c()}</p> })}
        </div>
    }
}

/// The error of the last submission of a form, as a signal.
pub fn action_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.get().and_then(|r| r.err()))
}

/// The message under one form field, when the last submission rejected it.
#[component]
pub fn FieldMessage(err: Signal<Option<AppError>>, field: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        err.get().and_then(|e| e.field(field).map(|f| f.code)).map(|code| {
            view! {
                <p class="field-error" data-field=field>
                    {error_text(i18n, code)}
                </p>
            }
        })
    }
}

/// The form-wide message (credentials, permissions, conflicts without a field…).
#[component]
pub fn FormMessage(err: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        err.get().map(|e| {
            view! {
                <div class="error-box" role="alert" data-code=format!("{:?}", e.code)>
                    {error_text(i18n, e.code)}
                </div>
            }
        })
    }
}

/// Marks `<body data-hydrated="true">` once this part of the page runs in the browser
/// (effects never run on the server), so browser tests know clicks will be handled.
#[component]
pub fn HydrationMark() -> impl IntoView {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// Whether the logged-in user's role allows `role` (to show an action; the server checks
/// again on every call).
pub fn allowed(role: Role) -> bool {
    use_context::<CurrentUser>().is_some_and(|m| m.role.allows(role))
}

/// A report to download (backfill runs, contact imports). Reports carry phone numbers:
/// only operators and admins get the link (the download route checks the role too).
#[component]
pub fn ReportLink(href: String) -> impl IntoView {
    let i18n = use_i18n();
    allowed(Role::Operator)
        .then(|| view! { <a class="report-link" href=href download="">{t!(i18n, backfill.download)}</a> })
}

/// A settings form's submit button: "Salvar", "Salvando…" while the save runs, and
/// "Salvo." under it once the last save succeeded. Every form that saves uses it.
#[component]
pub fn SaveButton(
    id: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] saved: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <button type="submit" class="primary" id=id disabled=move || pending.get()>
            {move || if pending.get() { t_string!(i18n, saving).to_string() } else { t_string!(i18n, org_forms.save).to_string() }}
        </button>
        <Show when=move || saved.get()>
            <p class="saved" role="status">{t!(i18n, org_forms.saved)}</p>
        </Show>
    }
}
