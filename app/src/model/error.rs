//! The error shape every edge speaks: a stable machine `code`, a person-readable `message`
//! (pt-BR) and, for forms, one error per field. The portal translates codes through
//! i18n; the JSON APIs send the message as is.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // Field validation.
    Required,
    TooShort,
    TooLong,
    TextInvalid,
    SlugInvalid,
    KeyInvalid,
    EmailInvalid,
    PasswordTooShort,
    RoleInvalid,
    StatusInvalid,
    StagesEmpty,
    StagesTooMany,
    StagesDuplicate,
    StageLabelInvalid,
    UrlInvalid,
    SourceInvalid,
    NumberInvalid,
    ModeInvalid,
    AuthModeInvalid,
    RangeInvalid,
    CursorInvalid,
    // Uniqueness.
    SlugTaken,
    KeyTaken,
    EmailTaken,
    // Authentication and authorization.
    InvalidCredentials,
    SessionMissing,
    SessionExpired,
    ApiKeyMissing,
    ApiKeyInvalid,
    Forbidden,
    SetupTokenInvalid,
    SetupDone,
    // Webhooks.
    WebhookNotConfigured,
    SignatureInvalid,
    SignatureStale,
    AccountMismatch,
    EventMissing,
    UrlTokenInvalid,
    TokenMissing,
    TokenInvalid,
    DealNotFound,
    DealClosed,
    RunStateInvalid,
    RunAlreadyActive,
    TaskResolved,
    TaskStale,
    ResolutionInvalid,
    CsvHeaderInvalid,
    CsvFileMissing,
    N8nNotConfigured,
    N8nFailed,
    V2NotInstalled,
    OpenDealExists,
    StageUnknown,
    IdempotencyKeyInvalid,
    NotReprocessable,
    // Requests.
    Validation,
    NotFound,
    InvalidJson,
    UnsupportedMediaType,
    BodyTooLarge,
    Internal,
    Unavailable,
}

impl ErrorCode {
    /// The HTTP status this code is answered with.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidCredentials | SessionMissing | SessionExpired | ApiKeyMissing | ApiKeyInvalid | SignatureInvalid
            | SignatureStale | UrlTokenInvalid | TokenMissing | TokenInvalid => 401,
            Forbidden | SetupTokenInvalid | WebhookNotConfigured | AccountMismatch => 403,
            NotFound | DealNotFound => 404,
            SlugTaken | KeyTaken | EmailTaken | SetupDone | NotReprocessable | DealClosed | OpenDealExists
            | N8nNotConfigured | V2NotInstalled | RunStateInvalid | RunAlreadyActive | TaskResolved | TaskStale => 409,
            N8nFailed => 502,
            BodyTooLarge => 413,
            UnsupportedMediaType => 415,
            InvalidJson | CursorInvalid | IdempotencyKeyInvalid => 400,
            Internal => 500,
            Unavailable => 503,
            _ => 422,
        }
    }

    /// The default pt-BR text, used by the JSON APIs and the logs.
    pub fn message(self) -> &'static str {
        use ErrorCode::*;
        match self {
            Required => "Campo obrigatório.",
            TooShort => "Valor curto demais.",
            TooLong => "Valor longo demais.",
            TextInvalid => "O texto contém caracteres não permitidos.",
            SlugInvalid => "Use só letras minúsculas sem acento, números e hífens (ex.: coronel-picanha).",
            KeyInvalid => "Use só letras minúsculas sem acento, números e hífens.",
            EmailInvalid => "E-mail inválido.",
            PasswordTooShort => "A senha precisa de pelo menos 10 caracteres.",
            RoleInvalid => "Papel inválido: use admin, operator ou viewer.",
            StatusInvalid => "Situação inválida: use onboarding, active, paused ou archived.",
            StagesEmpty => "Informe pelo menos uma etapa.",
            StagesTooMany => "No máximo 30 etapas por funil.",
            StagesDuplicate => "Há etapas repetidas.",
            StageLabelInvalid => "Nome de etapa inválido.",
            UrlInvalid => "URL inválida: use http:// ou https://.",
            SourceInvalid => "Canal inválido: use whatsapp ou instagram.",
            NumberInvalid => "Número inválido.",
            SlugTaken => "Já existe uma organização com este identificador.",
            KeyTaken => "Já existe um item com esta chave.",
            EmailTaken => "Já existe um usuário com este e-mail.",
            InvalidCredentials => "E-mail ou senha incorretos.",
            SessionMissing => "Entre para continuar.",
            SessionExpired => "Sua sessão expirou. Entre novamente.",
            ApiKeyMissing => "Envie a chave de API no cabeçalho Authorization: Bearer.",
            ApiKeyInvalid => "Chave de API inválida ou revogada.",
            Forbidden => "Você não tem permissão para esta ação.",
            SetupTokenInvalid => "Link de configuração inválido ou expirado.",
            SetupDone => "A configuração inicial já foi feita.",
            WebhookNotConfigured => "O webhook do Chatwoot desta organização ainda não foi configurado.",
            SignatureInvalid => "Assinatura do webhook ausente ou inválida.",
            SignatureStale => "Horário da assinatura fora da janela de 5 minutos.",
            AccountMismatch => "A conta do Chatwoot não corresponde a esta organização.",
            EventMissing => "O corpo não tem o campo event.",
            UrlTokenInvalid => "Token do webhook ausente ou inválido na URL.",
            TokenMissing => "Envie o token da organização no cabeçalho Authorization: Bearer.",
            TokenInvalid => "Token da organização inválido ou revogado.",
            DealNotFound => "Negócio não encontrado nesta organização.",
            DealClosed => "Este negócio está fechado (ganho ou perdido) e não muda de etapa.",
            N8nNotConfigured => "Configure primeiro o n8n desta organização (URL e chave de API).",
            N8nFailed => "O n8n não respondeu ou recusou a operação.",
            V2NotInstalled => "O workflow v2 ainda não foi instalado no n8n desta organização.",
            RunStateInvalid => "A execução não está num estado que permita esta ação.",
            RunAlreadyActive => "Esta organização já tem um backfill em andamento ou pausado: retome ou cancele-o antes.",
            TaskResolved => "Esta pendência já foi resolvida.",
            TaskStale => "Os contatos mudaram desde que a pendência foi aberta: atualize a página e decida de novo.",
            ResolutionInvalid => "Resolução inválida: use kept, linked_other ou not_same_person.",
            CsvHeaderInvalid => {
                "A primeira linha do CSV precisa nomear as colunas: nome, telefone, email e/ou id_externo (ou name, phone, email, external_id)."
            }
            CsvFileMissing => "Envie um arquivo CSV (campo file do formulário, ou o corpo como text/csv).",
            OpenDealExists => "O contato já tem um negócio aberto neste funil.",
            StageUnknown => "Etapa desconhecida neste funil; veja as etapas válidas.",
            IdempotencyKeyInvalid => "Idempotency-Key inválida: use até 200 caracteres visíveis.",
            NotReprocessable => "Só eventos com falha, esgotados ou ignorados podem ser reprocessados.",
            ModeInvalid => "Modo inválido: use v2, fallback ou paused.",
            AuthModeInvalid => "Autenticação inválida: use signature ou url_token.",
            RangeInvalid => {
                "Período inválido: informe início e fim (data ISO ou milissegundos), com o início antes do fim."
            }
            CursorInvalid => "Parâmetro de paginação ou filtro inválido.",
            Validation => "Corrija os campos indicados.",
            NotFound => "Não encontrado.",
            InvalidJson => "JSON inválido.",
            UnsupportedMediaType => "Envie o corpo como application/json.",
            BodyTooLarge => "Corpo da requisição grande demais.",
            Internal => "Erro interno. Tente novamente; se persistir, avise a equipe.",
            Unavailable => "Serviço indisponível no momento.",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
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

    /// The error of one form field, if any.
    pub fn field(&self, name: &str) -> Option<&FieldError> {
        self.fields.iter().find(|f| f.field == name)
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
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::MissingArg(detail) => AppError::with_detail(
                ErrorCode::Validation,
                format!("Dados do formulário incompletos ou inválidos: {detail}"),
            ),
            _ => AppError::new(ErrorCode::Internal),
        }
    }
}
