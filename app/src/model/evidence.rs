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
