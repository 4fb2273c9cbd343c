//! An org's Chatwoot connection.

use super::crm::Source;
use super::ids::ChatwootAccountId;
use serde::{Deserialize, Serialize};

/// `PUT /api/v1/admin/orgs/{slug}/chatwoot`: every field optional; an omitted field keeps
/// its value, an empty secret clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatwootConfigInput {
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub account_id: Option<ChatwootAccountId>,
    #[serde(default)]
    pub webhook_secret: Option<String>,
    #[serde(default)]
    pub api_token: Option<String>,
    /// Chatwoot inbox id → `whatsapp` | `instagram`.
    #[serde(default)]
    pub inboxes: Option<std::collections::BTreeMap<String, String>>,
    /// `signature` (Chatwoot ≥ 4.11.2) or `url_token` (older installs; see `…/chatwoot/url-token`).
    #[serde(default)]
    pub auth_mode: Option<String>,
}

/// An org's Chatwoot connection as shown to operators: secrets only as "set or not".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatwootConfigView {
    pub base_url: Option<String>,
    pub account_id: Option<ChatwootAccountId>,
    pub has_webhook_secret: bool,
    pub has_api_token: bool,
    pub inboxes: std::collections::BTreeMap<String, Source>,
    /// Where Chatwoot must send this org's webhooks (path; prefix with Ponte's public URL).
    /// In `url_token` mode the token is appended (`…/{token}`); it is shown once, when made.
    pub webhook_path: String,
    pub auth_mode: AuthMode,
    pub has_url_token: bool,
    pub updated_at: Option<i64>,
}

/// A freshly made URL token: the only time it is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlTokenCreated {
    pub token: String,
    pub webhook_path: String,
}

string_enum! {
    /// How an org's Chatwoot webhooks authenticate: Chatwoot's HMAC signature, or a secret
    /// token in the URL for installs that cannot sign.
    pub enum AuthMode(AuthModeInvalid) {
        Signature = "signature",
        UrlToken = "url_token",
    }
}

impl Default for AuthMode {
    /// Chatwoot signs its webhooks since 4.11.2.
    fn default() -> Self {
        AuthMode::Signature
    }
}

/// One inbox of the org's Chatwoot, for the inbox → channel map form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxChoice {
    pub id: i64,
    pub name: String,
    /// Chatwoot's channel type without `Channel::` (`Whatsapp`, `Instagram`, `Api`, `TwilioSms`…).
    pub channel: String,
    /// The channel Ponte would map it to from its type (WhatsApp through Twilio included).
    pub proposed: Option<Source>,
    /// What the org's map says today.
    pub mapped: Option<Source>,
}

/// The inboxes Chatwoot lists for the org, or why they could not be listed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxChoices {
    pub inboxes: Vec<InboxChoice>,
    pub error: Option<super::notes::Note>,
}
