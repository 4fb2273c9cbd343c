//! The error shape every edge speaks: a stable machine `code`, a person-readable `message`
//! (pt-BR) and, for forms, one error per field. The portal translates codes through
//! i18n; the JSON APIs send the message as is.

use super::texts::{section, Lang};
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};
use std::collections::HashMap;
use std::fmt;

string_enum! {
    /// Every refusal Ponte can answer, as a stable machine code (its text is the i18n key
    /// `errors.<code>` and the JSON `error.code`).
    pub enum ErrorCode(ValueInvalid) {
        // Field validation.
        Required = "required",
        TooShort = "too_short",
        TooLong = "too_long",
        TextInvalid = "text_invalid",
        SlugInvalid = "slug_invalid",
        KeyInvalid = "key_invalid",
        EmailInvalid = "email_invalid",
        PasswordTooShort = "password_too_short",
        RoleInvalid = "role_invalid",
        StatusInvalid = "status_invalid",
        LifecycleInvalid = "lifecycle_invalid",
        PhaseInvalid = "phase_invalid",
        ItemInvalid = "item_invalid",
        StagesEmpty = "stages_empty",
        StagesTooMany = "stages_too_many",
        StagesDuplicate = "stages_duplicate",
        StageLabelInvalid = "stage_label_invalid",
        UrlInvalid = "url_invalid",
        SourceInvalid = "source_invalid",
        NumberInvalid = "number_invalid",
        ModeInvalid = "mode_invalid",
        AuthModeInvalid = "auth_mode_invalid",
        RangeInvalid = "range_invalid",
        ValueInvalid = "value_invalid",
        FieldUnknown = "field_unknown",
        CursorInvalid = "cursor_invalid",
        DateInvalid = "date_invalid",
        DateRangeInvalid = "date_range_invalid",
        InstantInvalid = "instant_invalid",
        InstantInFuture = "instant_in_future",
        UserUnknown = "user_unknown",
        WaveUnknown = "wave_unknown",
        // Uniqueness.
        SlugTaken = "slug_taken",
        KeyTaken = "key_taken",
        EmailTaken = "email_taken",
        NameTaken = "name_taken",
        WaveNotEmpty = "wave_not_empty",
        // Authentication and authorization.
        InvalidCredentials = "invalid_credentials",
        SessionMissing = "session_missing",
        SessionExpired = "session_expired",
        ApiKeyMissing = "api_key_missing",
        ApiKeyInvalid = "api_key_invalid",
        Forbidden = "forbidden",
        SetupTokenInvalid = "setup_token_invalid",
        SetupDone = "setup_done",
        // Webhooks.
        WebhookNotConfigured = "webhook_not_configured",
        SignatureInvalid = "signature_invalid",
        SignatureStale = "signature_stale",
        AccountMismatch = "account_mismatch",
        EventMissing = "event_missing",
        UrlTokenInvalid = "url_token_invalid",
        TokenMissing = "token_missing",
        TokenInvalid = "token_invalid",
        DealNotFound = "deal_not_found",
        DealClosed = "deal_closed",
        RunStateInvalid = "run_state_invalid",
        RunAlreadyActive = "run_already_active",
        LiveSmokeWaiting = "live_smoke_waiting",
        LiveIdentityMissing = "live_identity_missing",
        InstagramHandleInvalid = "instagram_handle_invalid",
        WaitInvalid = "wait_invalid",
        ChannelNotMapped = "channel_not_mapped",
        FileNameInvalid = "file_name_invalid",
        EvidenceEmpty = "evidence_empty",
        EvidenceTypeRefused = "evidence_type_refused",
        EvidenceMarkup = "evidence_markup",
        UploadIncomplete = "upload_incomplete",
        FormInvalid = "form_invalid",
        EvidenceStoreUnavailable = "evidence_store_unavailable",
        EvidenceLocked = "evidence_locked",
        GoLiveExists = "go_live_exists",
        TaskResolved = "task_resolved",
        TaskStale = "task_stale",
        TaskOpen = "task_open",
        ReopenStale = "reopen_stale",
        ResolutionInvalid = "resolution_invalid",
        CsvHeaderInvalid = "csv_header_invalid",
        CsvFileMissing = "csv_file_missing",
        N8nNotConfigured = "n8n_not_configured",
        N8nFailed = "n8n_failed",
        V2NotInstalled = "v2_not_installed",
        NothingToRollBack = "nothing_to_roll_back",
        OpenDealExists = "open_deal_exists",
        StageUnknown = "stage_unknown",
        IdempotencyKeyInvalid = "idempotency_key_invalid",
        NotReprocessable = "not_reprocessable",
        TransitionInvalid = "transition_invalid",
        PhaseIncomplete = "phase_incomplete",
        StepIncomplete = "step_incomplete",
        NotActivated = "not_activated",
        NoAutomaticCheck = "no_automatic_check",
        ForceNeedsAdmin = "force_needs_admin",
        // Requests.
        Validation = "validation",
        NotFound = "not_found",
        InvalidJson = "invalid_json",
        UnsupportedMediaType = "unsupported_media_type",
        BodyTooLarge = "body_too_large",
        Internal = "internal",
        Unavailable = "unavailable",
    }
}

impl ErrorCode {
    /// The HTTP status this code is answered with.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidCredentials | SessionMissing | SessionExpired | ApiKeyMissing | ApiKeyInvalid | SignatureInvalid
            | SignatureStale | UrlTokenInvalid | TokenMissing | TokenInvalid => 401,
            Forbidden | ForceNeedsAdmin | SetupTokenInvalid | WebhookNotConfigured | AccountMismatch => 403,
            NotFound | DealNotFound => 404,
            SlugTaken | KeyTaken | EmailTaken | NameTaken | WaveNotEmpty | SetupDone | NotReprocessable
            | DealClosed | OpenDealExists | N8nNotConfigured | V2NotInstalled | NothingToRollBack | RunStateInvalid
            | RunAlreadyActive | LiveSmokeWaiting | TaskResolved | TaskStale | TaskOpen | ReopenStale
            | TransitionInvalid | PhaseIncomplete | StepIncomplete | NotActivated | NoAutomaticCheck
            | EvidenceLocked | GoLiveExists => 409,
            N8nFailed => 502,
            BodyTooLarge => 413,
            UnsupportedMediaType | EvidenceTypeRefused | EvidenceMarkup => 415,
            InvalidJson | CursorInvalid | IdempotencyKeyInvalid | UploadIncomplete | FormInvalid => 400,
            Internal => 500,
            Unavailable | EvidenceStoreUnavailable => 503,
            _ => 422,
        }
    }

    /// The pt-BR text, used by the JSON APIs and the logs.
    pub fn message(self) -> &'static str {
        self.message_in(Lang::PtBr)
    }

    /// The text in `lang`, from the `errors` section of that locale's file.
    pub fn message_in(self, lang: Lang) -> &'static str {
        catalog(lang).get(self.as_str()).map(String::as_str).unwrap_or(self.as_str())
    }
}

/// The error texts of one locale: the `errors` section of `locales/<locale>.json`. A new
/// code needs its variant and one line per locale file, nothing else (a test checks that
/// every code has a text in every locale).
fn catalog(lang: Lang) -> &'static HashMap<String, String> {
    section(lang, "errors")
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub code: ErrorCode,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: ErrorCode) -> Self {
        FieldError { field: field.into(), code, message: code.message().to_string() }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// Machine-readable context of some errors (e.g. the valid stages of an unknown stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl AppError {
    pub fn new(code: ErrorCode) -> Self {
        AppError { code, message: code.message().to_string(), fields: Vec::new(), details: None }
    }

    pub fn with_detail(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError { code, message: message.into(), fields: Vec::new(), details: None }
    }

    pub fn fields(fields: Vec<FieldError>) -> Self {
        AppError { fields, ..AppError::new(ErrorCode::Validation) }
    }

    /// A deserializer's refusal of a body, query or form, given in serde's English
    /// ("missing field `name`", "invalid type: string \"x\", expected i64 at line 1 column
    /// 12"), as Ponte's error on the field it names: `required`, `field_unknown` or
    /// `value_invalid`, with a pt-BR message naming the field. `path` is where the
    /// deserializer stood (`stages[0]`; empty or `.` at the top).
    pub fn from_serde(path: &str, serde_message: &str) -> AppError {
        let path = match path.trim() {
            "." | "?" => "",
            p => p,
        };
        // The name serde quotes, under the path unless the path already ends with it.
        let named = || {
            serde_message.split('`').nth(1).map(|name| {
                if path.is_empty() || path == name || path.ends_with(&format!(".{name}")) {
                    name.to_string()
                } else {
                    format!("{path}.{name}")
                }
            })
        };
        let (field, code) = if serde_message.starts_with("missing field") {
            (named(), ErrorCode::Required)
        } else if serde_message.starts_with("unknown field") {
            (named(), ErrorCode::FieldUnknown)
        } else {
            ((!path.is_empty()).then(|| path.to_string()), ErrorCode::ValueInvalid)
        };
        let Some(field) = field else {
            return AppError::with_detail(
                ErrorCode::Validation,
                "Dados inválidos: o conteúdo enviado não tem a forma esperada.",
            );
        };
        let message = match code {
            ErrorCode::Required => format!("Campo obrigatório ausente: {field}."),
            ErrorCode::FieldUnknown => format!("Campo desconhecido: {field}."),
            _ => format!("Valor inválido no campo {field}{}.", expected_kind(serde_message)),
        };
        let fields = vec![FieldError { field, code, message: message.clone() }];
        AppError { code: ErrorCode::Validation, message, fields, details: None }
    }

    /// The error of one form field, if any.
    pub fn field(&self, name: &str) -> Option<&FieldError> {
        self.fields.iter().find(|f| f.field == name)
    }
}

/// What serde said it expected, in pt-BR (" (esperado um número inteiro)"), or nothing.
fn expected_kind(serde_message: &str) -> &'static str {
    let Some((_, expected)) = serde_message.split_once("expected ") else { return "" };
    let expected = expected.split(" at line ").next().unwrap_or_default();
    if ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize", "integer"]
        .iter()
        .any(|t| expected.trim_start_matches("a ").trim_start_matches("an ").starts_with(t))
    {
        " (esperado um número inteiro)"
    } else if expected.starts_with("f32") || expected.starts_with("f64") || expected.contains("number") {
        " (esperado um número)"
    } else if expected.contains("string") || expected.contains("char") {
        " (esperado um texto)"
    } else if expected.contains("bool") {
        " (esperado true ou false)"
    } else if expected.contains("sequence") {
        " (esperada uma lista)"
    } else if expected.contains("map") || expected.starts_with("struct") {
        " (esperado um objeto)"
    } else {
        ""
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

impl From<ErrorCode> for AppError {
    fn from(code: ErrorCode) -> Self {
        AppError::new(code)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// Transport failures (network down, a response that is not ours) become a generic
    /// error: the portal shows "unavailable" instead of a Rust debug string.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::new(ErrorCode::Unavailable),
            // serde's own words never reach the form: the field it names gets Ponte's error.
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::MissingArg(detail) => AppError::from_serde("", &detail),
            _ => AppError::new(ErrorCode::Internal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_text_in_every_locale_and_no_text_lacks_a_code() {
        for lang in [Lang::PtBr, Lang::En] {
            let texts = catalog(lang);
            for code in ErrorCode::ALL {
                assert!(texts.contains_key(code.as_str()), "{lang:?} has no text for {}", code.as_str());
            }
            for key in texts.keys() {
                assert!(key.parse::<ErrorCode>().is_ok(), "{lang:?} has a text for no code: {key}");
            }
        }
        assert_eq!(ErrorCode::SlugTaken.message(), ErrorCode::SlugTaken.message_in(Lang::PtBr));
        assert_ne!(ErrorCode::SlugTaken.message_in(Lang::PtBr), ErrorCode::SlugTaken.message_in(Lang::En));
    }

    #[test]
    fn serde_refusals_become_field_errors_in_portuguese() {
        let e = AppError::from_serde(".", "missing field `name` at line 1 column 15");
        assert_eq!(
            (e.code, e.fields[0].field.as_str(), e.fields[0].code),
            (ErrorCode::Validation, "name", ErrorCode::Required)
        );
        assert_eq!(e.message, "Campo obrigatório ausente: name.");
        let e = AppError::from_serde("", "unknown field `modo`, expected one of `mode`, `v2_url`");
        assert_eq!((e.fields[0].field.as_str(), e.fields[0].code), ("modo", ErrorCode::FieldUnknown));
        let e = AppError::from_serde("stages[0]", "invalid type: integer `1`, expected a string at line 1 column 9");
        assert_eq!(e.message, "Valor inválido no campo stages[0] (esperado um texto).");
        let e = AppError::from_serde("batch_size", "invalid type: string \"x\", expected i64 at line 1 column 12");
        assert_eq!(e.message, "Valor inválido no campo batch_size (esperado um número inteiro).");
        let e = AppError::from_serde("", "invalid digit found in string");
        assert_eq!(e.code, ErrorCode::Validation);
        for e in [e, AppError::from_serde("limit", "invalid digit found in string")] {
            assert!(!e.message.contains("expected") && !e.message.contains("invalid"), "{e}");
        }
    }

    #[test]
    fn codes_travel_as_snake_case() {
        assert_eq!(serde_json::to_string(&ErrorCode::N8nNotConfigured).unwrap(), "\"n8n_not_configured\"");
        assert_eq!(serde_json::to_string(&ErrorCode::V2NotInstalled).unwrap(), "\"v2_not_installed\"");
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str(), "serde and as_str agree");
        }
    }
}
