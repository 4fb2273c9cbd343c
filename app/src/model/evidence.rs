//! Go-live evidence: the kinds of file Ponte keeps, decided by their content.

string_enum! {
    /// What an evidence file is, read from its bytes (never its name or the browser's word).
    pub enum EvidenceType(ValueInvalid) {
        Png = "png",
        Jpeg = "jpeg",
        Webp = "webp",
        Gif = "gif",
        Pdf = "pdf",
        /// Plain text and logs (valid UTF-8).
        Text = "text",
        Csv = "csv",
        Json = "json",
        /// An HTTP archive (JSON with `log.entries`), as browsers export it.
        Har = "har",
    }
}

impl EvidenceType {
    /// The `Content-Type` it is served with.
    pub fn mime(self) -> &'static str {
        match self {
            EvidenceType::Png => "image/png",
            EvidenceType::Jpeg => "image/jpeg",
            EvidenceType::Webp => "image/webp",
            EvidenceType::Gif => "image/gif",
            EvidenceType::Pdf => "application/pdf",
            EvidenceType::Text => "text/plain; charset=utf-8",
            EvidenceType::Csv => "text/csv; charset=utf-8",
            EvidenceType::Json | EvidenceType::Har => "application/json",
        }
    }

    /// Shown inline as an image (thumbnail, full size on click).
    pub fn is_image(self) -> bool {
        matches!(self, EvidenceType::Png | EvidenceType::Jpeg | EvidenceType::Webp | EvidenceType::Gif)
    }

    /// Shown as text in the portal.
    pub fn is_text(self) -> bool {
        matches!(self, EvidenceType::Text | EvidenceType::Csv | EvidenceType::Json | EvidenceType::Har)
    }
}

/// One evidence file as the portal and the API show it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EvidenceDto {
    pub id: i64,
    /// The checklist item it belongs to; `None`: the org as a whole.
    pub item: Option<super::onboarding::ItemKey>,
    pub sha256: String,
    pub size: i64,
    pub kind: EvidenceType,
    /// The uploaded name, for display only.
    pub name: String,
    pub note: Option<String>,
    pub uploaded_by: String,
    /// Epoch milliseconds.
    pub uploaded_at: i64,
    /// This upload was a file the same scope already had: nothing new was stored.
    #[serde(default)]
    pub duplicate: bool,
}

/// `POST …/go-live`: "Liberar produção", the record that the org went live.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GoLiveInput {
    /// `pilot` or `active`.
    pub target: String,
    /// The e-mail of the portal user who is the technical owner.
    pub technical_owner: String,
    /// When production started, `YYYY-MM-DDTHH:MM` (Brasília) or RFC 3339; empty: now.
    #[serde(default)]
    pub live_at: Option<String>,
    /// Go live with T-2/T0 items still open (admins only; `reason` required).
    #[serde(default)]
    pub force: bool,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The go-live record of an org.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GoLiveDto {
    pub slug: String,
    /// The lifecycle the org went to (`pilot` or `active`).
    pub target: super::onboarding::Lifecycle,
    /// When production started, epoch milliseconds.
    pub live_at: i64,
    /// When the record was made, epoch milliseconds.
    pub recorded_at: i64,
    pub technical_owner: String,
    /// Who released production (the user or API key that made the record).
    pub approver: String,
    /// Set when an admin released with T-2/T0 items open.
    pub override_reason: Option<String>,
    /// "Credentials ready" → go-live, in business days, fixed at the record.
    pub lead_time_business_days: Option<i64>,
    /// The sha256 of the frozen snapshot (checklist, checks, evidence hashes).
    pub snapshot_sha256: String,
    /// The stored snapshot still hashes to `snapshot_sha256`.
    pub intact: bool,
}
