//! Widgets shared by the portal's pages: error display and form field errors.

use crate::i18n::*;
use crate::model::{AppError, CurrentUser, ErrorCode, Role};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::components::Redirect;

/// The person-readable text of an error code in the current language.
pub fn error_text(i18n: I18nContext<Locale>, code: ErrorCode) -> String {
    use ErrorCode::*;
    match code {
        Required => t_string!(i18n, errors.required).to_string(),
        TooShort => t_string!(i18n, errors.too_short).to_string(),
        TooLong => t_string!(i18n, errors.too_long).to_string(),
        TextInvalid => t_string!(i18n, errors.text_invalid).to_string(),
        SlugInvalid => t_string!(i18n, errors.slug_invalid).to_string(),
        KeyInvalid => t_string!(i18n, errors.key_invalid).to_string(),
        EmailInvalid => t_string!(i18n, errors.email_invalid).to_string(),
        PasswordTooShort => t_string!(i18n, errors.password_too_short).to_string(),
        RoleInvalid => t_string!(i18n, errors.role_invalid).to_string(),
        StatusInvalid => t_string!(i18n, errors.status_invalid).to_string(),
        StagesEmpty => t_string!(i18n, errors.stages_empty).to_string(),
        StagesTooMany => t_string!(i18n, errors.stages_too_many).to_string(),
        StagesDuplicate => t_string!(i18n, errors.stages_duplicate).to_string(),
        StageLabelInvalid => t_string!(i18n, errors.stage_label_invalid).to_string(),
        SlugTaken => t_string!(i18n, errors.slug_taken).to_string(),
        KeyTaken => t_string!(i18n, errors.key_taken).to_string(),
        EmailTaken => t_string!(i18n, errors.email_taken).to_string(),
        InvalidCredentials => t_string!(i18n, errors.invalid_credentials).to_string(),
        SessionMissing => t_string!(i18n, errors.session_missing).to_string(),
        SessionExpired => t_string!(i18n, errors.session_expired).to_string(),
        ApiKeyMissing => t_string!(i18n, errors.api_key_missing).to_string(),
        ApiKeyInvalid => t_string!(i18n, errors.api_key_invalid).to_string(),
        Forbidden => t_string!(i18n, errors.forbidden).to_string(),
        SetupTokenInvalid => t_string!(i18n, errors.setup_token_invalid).to_string(),
        SetupDone => t_string!(i18n, errors.setup_done).to_string(),
        UrlInvalid => t_string!(i18n, errors.url_invalid).to_string(),
        SourceInvalid => t_string!(i18n, errors.source_invalid).to_string(),
        NumberInvalid => t_string!(i18n, errors.number_invalid).to_string(),
        WebhookNotConfigured => t_string!(i18n, errors.webhook_not_configured).to_string(),
        SignatureInvalid => t_string!(i18n, errors.signature_invalid).to_string(),
        SignatureStale => t_string!(i18n, errors.signature_stale).to_string(),
        UrlTokenInvalid => t_string!(i18n, errors.url_token_invalid).to_string(),
        TokenMissing => t_string!(i18n, errors.token_missing).to_string(),
        TokenInvalid => t_string!(i18n, errors.token_invalid).to_string(),
        DealNotFound => t_string!(i18n, errors.deal_not_found).to_string(),
        DealClosed => t_string!(i18n, errors.deal_closed).to_string(),
        RunStateInvalid => t_string!(i18n, errors.run_state_invalid).to_string(),
        RunAlreadyActive => t_string!(i18n, errors.run_already_active).to_string(),
        TaskResolved => t_string!(i18n, errors.task_resolved).to_string(),
        TaskStale => t_string!(i18n, errors.task_stale).to_string(),
        ResolutionInvalid => t_string!(i18n, errors.resolution_invalid).to_string(),
        CsvHeaderInvalid => t_string!(i18n, errors.csv_header_invalid).to_string(),
        CsvFileMissing => t_string!(i18n, errors.csv_file_missing).to_string(),
        N8nNotConfigured => t_string!(i18n, errors.n8n_not_configured).to_string(),
        N8nFailed => t_string!(i18n, errors.n8n_failed).to_string(),
        V2NotInstalled => t_string!(i18n, errors.v2_not_installed).to_string(),
        OpenDealExists => t_string!(i18n, errors.open_deal_exists).to_string(),
        StageUnknown => t_string!(i18n, errors.stage_unknown).to_string(),
        IdempotencyKeyInvalid => t_string!(i18n, errors.idempotency_key_invalid).to_string(),
        NotReprocessable => t_string!(i18n, errors.not_reprocessable).to_string(),
        ModeInvalid => t_string!(i18n, errors.mode_invalid).to_string(),
        AuthModeInvalid => t_string!(i18n, errors.auth_mode_invalid).to_string(),
        RangeInvalid => t_string!(i18n, errors.range_invalid).to_string(),
        CursorInvalid => t_string!(i18n, errors.cursor_invalid).to_string(),
        AccountMismatch => t_string!(i18n, errors.account_mismatch).to_string(),
        EventMissing => t_string!(i18n, errors.event_missing).to_string(),
        Validation => t_string!(i18n, errors.validation).to_string(),
        NotFound => t_string!(i18n, errors.not_found).to_string(),
        InvalidJson => t_string!(i18n, errors.invalid_json).to_string(),
        UnsupportedMediaType => t_string!(i18n, errors.unsupported_media_type).to_string(),
        BodyTooLarge => t_string!(i18n, errors.body_too_large).to_string(),
        Internal => t_string!(i18n, errors.internal).to_string(),
        Unavailable => t_string!(i18n, errors.unavailable).to_string(),
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
    view! {
        <div class="error-box" role="alert" data-code=format!("{code:?}")>
            {move || error_text(i18n, code)}
        </div>
    }
    .into_any()
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
