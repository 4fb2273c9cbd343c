//! Texts the domain builds for operators (a step's detail, an event's last error, an
//! action's report, an incident's title, a conflict's note, a run's or an import's error)
//! as a code with parameters, translated where they are shown: the code's text is the key
//! `notes.<code>` of the locale files, its `{{ name }}` placeholders filled from the
//! parameters. Stored as JSON in the text columns that once held the sentence; a row from
//! before is read as a `plain` note that shows its text as it is.

use super::texts::{section, Lang};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

string_enum! {
    /// What a note says (its text is the i18n key `notes.<code>`).
    pub enum NoteCode(ValueInvalid) {
        // A text stored before notes existed, shown as it is.
        Plain = "plain",
        // Failures whose cause is logged, never shown.
        StorageFailed = "storage_failed",
        InternalFailed = "internal_failed",
        // Event processing steps and errors.
        Delivery = "delivery",
        OrgNotFound = "org_not_found",
        PayloadUnreadable = "payload_unreadable",
        SkipNotANewMessage = "skip_not_a_new_message",
        SkipOutgoing = "skip_outgoing",
        SkipActivity = "skip_activity",
        SkipPrivate = "skip_private",
        SkipEcho = "skip_echo",
        SkipUnmappedInbox = "skip_unmapped_inbox",
        SkipChannelMismatch = "skip_channel_mismatch",
        SkipMissingIdentity = "skip_missing_identity",
        Inbound = "inbound",
        InboundOpaqueId = "inbound_opaque_id",
        InboundOffPlan = "inbound_off_plan",
        NoDefaultBoard = "no_default_board",
        Identity = "identity",
        IdentityAmbiguous = "identity_ambiguous",
        Deal = "deal",
        Conversation = "conversation",
        ConversationConflict = "conversation_conflict",
        AlreadyForwarded = "already_forwarded",
        AutomationNotConfigured = "automation_not_configured",
        AutomationPaused = "automation_paused",
        AutomationUrlMissing = "automation_url_missing",
        Forwarded = "forwarded",
        ForwardRefused = "forward_refused",
        ForwardTimeout = "forward_timeout",
        ForwardUnreachable = "forward_unreachable",
        ForwardNetwork = "forward_network",
        // Automation actions, incidents and n8n.
        WorkflowDeactivated = "workflow_deactivated",
        WorkflowActivated = "workflow_activated",
        NoV2Workflow = "no_v2_workflow",
        NoFallbackWorkflow = "no_fallback_workflow",
        ModeSetV2 = "mode_set_v2",
        ModeSetFallback = "mode_set_fallback",
        ModeSetPaused = "mode_set_paused",
        ModeUnchanged = "mode_unchanged",
        IncidentOpened = "incident_opened",
        IncidentRollback = "incident_rollback",
        N8nUnreachable = "n8n_unreachable",
        N8nUnauthorized = "n8n_unauthorized",
        N8nWorkflowNotFound = "n8n_workflow_not_found",
        N8nRejected = "n8n_rejected",
        N8nKeyUnreadable = "n8n_key_unreadable",
        // Chatwoot's REST API.
        ChatwootUnreachable = "chatwoot_unreachable",
        ChatwootTls = "chatwoot_tls",
        ChatwootTimeout = "chatwoot_timeout",
        ChatwootBadToken = "chatwoot_bad_token",
        ChatwootNotAdministrator = "chatwoot_not_administrator",
        ChatwootNotFound = "chatwoot_not_found",
        ChatwootUnprocessable = "chatwoot_unprocessable",
        ChatwootRejected = "chatwoot_rejected",
        // Identity conflicts.
        TwoContactsOneNumber = "two_contacts_one_number",
        ConversationLinkedElsewhere = "conversation_linked_elsewhere",
        PhoneOffPlan = "phone_off_plan",
        DuplicatePhone = "duplicate_phone",
        NumberTaken = "number_taken",
        OtherWhatsapp = "other_whatsapp",
        LinkedDuringRun = "linked_during_run",
        MovedByReconciliation = "moved_by_reconciliation",
        // The onboarding checklist's live checks.
        CheckChatwootNotConfigured = "check_chatwoot_not_configured",
        CheckTokenUser = "check_token_user",
        CheckAdministrator = "check_administrator",
        CheckRoleNotAdmin = "check_role_not_admin",
        CheckAccountNotInProfile = "check_account_not_in_profile",
        CheckInboxesListed = "check_inboxes_listed",
        CheckInboxMapped = "check_inbox_mapped",
        CheckInboxUnmapped = "check_inbox_unmapped",
        CheckInboxChannelMismatch = "check_inbox_channel_mismatch",
        CheckInboxMissing = "check_inbox_missing",
        CheckNoChannelInbox = "check_no_channel_inbox",
        CheckPublicUrlMissing = "check_public_url_missing",
        CheckPublicUrlPrivate = "check_public_url_private",
        CheckWebhookFound = "check_webhook_found",
        CheckWebhookRegistered = "check_webhook_registered",
        CheckWebhookUpdated = "check_webhook_updated",
        CheckWebhookNoSecret = "check_webhook_no_secret",
        CheckSecretSaved = "check_secret_saved",
        CheckUrlTokenMode = "check_url_token_mode",
        CheckWebhookMissing = "check_webhook_missing",
        CheckWebhookSubscribed = "check_webhook_subscribed",
        CheckWebhookNotSubscribed = "check_webhook_not_subscribed",
        CheckProbeStored = "check_probe_stored",
        CheckProbeRefused = "check_probe_refused",
        CheckProbeUnreachable = "check_probe_unreachable",
        CheckProbeNotStored = "check_probe_not_stored",
        CheckBoard = "check_board",
        CheckStageMissing = "check_stage_missing",
        CheckN8nNotConfigured = "check_n8n_not_configured",
        CheckN8nOk = "check_n8n_ok",
        CheckNoInstagramMapped = "check_no_instagram_mapped",
        CheckV2NotInstalled = "check_v2_not_installed",
        CheckV2Active = "check_v2_active",
        CheckV2Inactive = "check_v2_inactive",
        CheckModeNotV2 = "check_mode_not_v2",
        CheckNotLiveYet = "check_not_live_yet",
        CheckFirstDayOpen = "check_first_day_open",
        CheckNoTraffic = "check_no_traffic",
        CheckFirstDayWebhooks = "check_first_day_webhooks",
        CheckFirstDayConflicts = "check_first_day_conflicts",
        CheckFirstDayHandoffs = "check_first_day_handoffs",
        CheckFirstDayTools = "check_first_day_tools",
        // The smoke tests and the runbook step a failure points to.
        SmokeNoInbox = "smoke_no_inbox",
        SmokeNoApiInbox = "smoke_no_api_inbox",
        SmokeNeedsSignature = "smoke_needs_signature",
        SmokeWebhookAccepted = "smoke_webhook_accepted",
        SmokeWebhookRefused = "smoke_webhook_refused",
        SmokeChatwootMessage = "smoke_chatwoot_message",
        SmokeNoWebhook = "smoke_no_webhook",
        SmokeNotProcessed = "smoke_not_processed",
        SmokeProcessed = "smoke_processed",
        SmokeIdentity = "smoke_identity",
        SmokeNoIdentity = "smoke_no_identity",
        SmokeDeal = "smoke_deal",
        SmokeNoDeal = "smoke_no_deal",
        SmokeForwarded = "smoke_forwarded",
        SmokeNotForwarded = "smoke_not_forwarded",
        SmokeNoN8nToWatch = "smoke_no_n8n_to_watch",
        SmokeN8nExecution = "smoke_n8n_execution",
        SmokeN8nExecutionFailed = "smoke_n8n_execution_failed",
        SmokeN8nNoExecution = "smoke_n8n_no_execution",
        SmokeSkippedNoDeal = "smoke_skipped_no_deal",
        SmokeStageMoved = "smoke_stage_moved",
        SmokeStageNotMoved = "smoke_stage_not_moved",
        SmokeDealsClosed = "smoke_deals_closed",
        SmokeLiveMessage = "smoke_live_message",
        SmokeLiveNoMessage = "smoke_live_no_message",
        SmokeLiveRefused = "smoke_live_refused",
        SmokeLiveOtherMessages = "smoke_live_other_messages",
        RunbookNoWebhook = "runbook_no_webhook",
        RunbookNoIdentity = "runbook_no_identity",
        RunbookNoDeal = "runbook_no_deal",
        RunbookNoForward = "runbook_no_forward",
        RunbookStageNotMoved = "runbook_stage_not_moved",
        // Contact imports.
        UploadInterrupted = "upload_interrupted",
        ImportInterrupted = "import_interrupted",
    }
}

/// A piece of a note's text: words of the template, or a placeholder's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotePiece {
    Text(String),
    Param { name: String, value: String },
}

/// A note: a code and the values of its placeholders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub code: NoteCode,
    pub params: BTreeMap<String, String>,
}

impl Note {
    pub fn new(code: NoteCode) -> Self {
        Note { code, params: BTreeMap::new() }
    }

    /// The note with one more placeholder value.
    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.params.insert(name.to_string(), value.to_string());
        self
    }

    /// A text kept as it is (rows written before notes existed).
    pub fn plain(text: impl Into<String>) -> Self {
        Note::new(NoteCode::Plain).with("text", text.into())
    }

    /// The text in `lang`: the code's template with its placeholders filled.
    pub fn text_in(&self, lang: Lang) -> String {
        self.pieces_in(lang)
            .into_iter()
            .map(|p| match p {
                NotePiece::Text(t) => t,
                NotePiece::Param { value, .. } => value,
            })
            .collect()
    }

    /// The text in `lang` as pieces: the template's words and each placeholder's value by
    /// name, so a page can make a contact, deal or event in a note a link.
    pub fn pieces_in(&self, lang: Lang) -> Vec<NotePiece> {
        let Some(template) = section(lang, "notes").get(self.code.as_str()) else {
            return vec![NotePiece::Text(self.code.as_str().to_string())];
        };
        let mut out = Vec::new();
        let mut rest = template.as_str();
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                out.push(NotePiece::Text(rest[..start].to_string()));
            }
            let Some(len) = rest[start..].find("}}") else {
                rest = &rest[start..];
                break;
            };
            let name = rest[start + 2..start + len].trim();
            let value = self.params.get(name).cloned().unwrap_or_default();
            out.push(NotePiece::Param { name: name.to_string(), value });
            rest = &rest[start + len + 2..];
        }
        if !rest.is_empty() {
            out.push(NotePiece::Text(rest.to_string()));
        }
        out
    }

    /// The pt-BR text (JSON clients, logs).
    pub fn message(&self) -> String {
        self.text_in(Lang::PtBr)
    }

    /// The text stored in the database: `{"code": …, "params": {…}}`.
    pub fn to_stored(&self) -> String {
        serde_json::json!({"code": self.code, "params": self.params}).to_string()
    }

    /// A stored note; any other text (an older row) is a `plain` note of that text.
    pub fn from_stored(text: &str) -> Self {
        match serde_json::from_str::<Wire>(text) {
            Ok(Wire::Coded { code, params, .. }) if text.trim_start().starts_with('{') => match code.parse() {
                Ok(code) => Note { code, params },
                Err(_) => Note::plain(text),
            },
            _ => Note::plain(text),
        }
    }
}

/// What travels: the code and parameters, and the pt-BR `message` for clients that show
/// it as it is (scripts reading the JSON APIs).
impl Serialize for Note {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            code: NoteCode,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            params: &'a BTreeMap<String, String>,
            message: String,
        }
        Out { code: self.code, params: &self.params, message: self.message() }.serialize(serializer)
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Wire {
    Text(String),
    Coded {
        code: String,
        #[serde(default)]
        params: BTreeMap<String, String>,
        #[serde(default)]
        message: Option<String>,
    },
}

/// Reads what `Serialize` writes, and a bare string as a `plain` note; a code this build
/// does not know keeps its message.
impl<'de> Deserialize<'de> for Note {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Wire::deserialize(deserializer)? {
            Wire::Text(text) => Note::plain(text),
            Wire::Coded { code, params, message } => match code.parse() {
                Ok(code) => Note { code, params },
                Err(_) => Note::plain(message.unwrap_or(code)),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(template: &str) -> BTreeSet<String> {
        template
            .split("{{")
            .skip(1)
            .filter_map(|p| p.split_once("}}").map(|(name, _)| name.trim().to_string()))
            .collect()
    }

    #[test]
    fn every_code_has_a_text_in_every_locale_with_the_same_placeholders() {
        for lang in [Lang::PtBr, Lang::En] {
            let texts = section(lang, "notes");
            for code in NoteCode::ALL {
                assert!(texts.contains_key(code.as_str()), "{lang:?} has no text for {}", code.as_str());
            }
            for key in texts.keys() {
                assert!(key.parse::<NoteCode>().is_ok(), "{lang:?} has a text for no code: {key}");
            }
        }
        for code in NoteCode::ALL {
            let pt = &section(Lang::PtBr, "notes")[code.as_str()];
            let en = &section(Lang::En, "notes")[code.as_str()];
            assert_eq!(placeholders(pt), placeholders(en), "{}", code.as_str());
        }
    }

    #[test]
    fn a_note_renders_per_language_and_travels_with_its_pt_br_message() {
        let note = Note::new(NoteCode::ForwardTimeout).with("target", "v2").with("ms", 5000);
        assert_eq!(note.text_in(Lang::PtBr), "v2: sem resposta em 5000 ms");
        assert_eq!(note.text_in(Lang::En), "v2: no answer within 5000 ms");
        let wire = serde_json::to_value(&note).unwrap();
        assert_eq!(wire["code"], "forward_timeout");
        assert_eq!(wire["message"], "v2: sem resposta em 5000 ms");
        assert_eq!(serde_json::from_value::<Note>(wire).unwrap(), note);
        assert_eq!(Note::from_stored(&note.to_stored()), note);
    }

    #[test]
    fn old_plain_text_rows_read_as_they_were_written() {
        for old in ["banco de dados: disk full", "{não é json", "", "\"texto\"", "{\"code\": \"codigo_novo\"}"] {
            let note = Note::from_stored(old);
            assert_eq!(note.code, NoteCode::Plain);
            assert_eq!(note.text_in(Lang::En), old);
        }
        let from_json: Note = serde_json::from_str("\"workflow 7 ativado\"").unwrap();
        assert_eq!(from_json.message(), "workflow 7 ativado");
    }

    #[test]
    fn a_note_splits_into_words_and_named_values() {
        let note = Note::new(NoteCode::Deal).with("deal", 2).with("stage", "proposta").with("contact", 9);
        assert_eq!(
            note.pieces_in(Lang::PtBr),
            vec![
                NotePiece::Text("negócio ".into()),
                NotePiece::Param { name: "deal".into(), value: "2".into() },
                NotePiece::Text(" · etapa ".into()),
                NotePiece::Param { name: "stage".into(), value: "proposta".into() },
            ]
        );
        // A placeholder without a value is an empty piece; the text still reads.
        let bare = Note::new(NoteCode::Identity).with("contact", 4);
        assert_eq!(bare.text_in(Lang::PtBr), "contato 4 · ");
    }
}
