//! Onboarding: the org's lifecycle, the activation checklist (T-2 / T0 / T+1), its items'
//! statuses and the runs of their automatic checks.

use super::ids::CheckRunId;
use super::notes::Note;
use serde::{Deserialize, Serialize};

string_enum! {
    /// Where an org is in its rollout. `rolled_back` is entered only by a rollback and left
    /// by a roll-forward (back to the state it was rolled back from).
    pub enum Lifecycle(LifecycleInvalid) {
        Draft = "draft",
        PreActivation = "pre_activation",
        Activation = "activation",
        Pilot = "pilot",
        Active = "active",
        RolledBack = "rolled_back",
    }
}

impl Lifecycle {
    /// The moves an operator can ask for from this state (rollback and roll-forward are the
    /// automation's and not listed). Forward moves past a phase need that phase complete.
    pub fn next(self) -> &'static [Lifecycle] {
        use Lifecycle::*;
        match self {
            Draft => &[PreActivation],
            PreActivation => &[Activation, Draft],
            Activation => &[Pilot, Active, PreActivation],
            Pilot => &[Active],
            Active => &[],
            RolledBack => &[],
        }
    }

    /// The phase that must be complete before entering this state, if any.
    pub fn requires(self) -> Option<Phase> {
        match self {
            Lifecycle::Activation => Some(Phase::PreActivation),
            Lifecycle::Pilot | Lifecycle::Active => Some(Phase::Activation),
            _ => None,
        }
    }

    /// Whether the org takes production traffic in this state (a rollback applies).
    pub fn is_live(self) -> bool {
        matches!(self, Lifecycle::Activation | Lifecycle::Pilot | Lifecycle::Active)
    }
}

string_enum! {
    /// The checklist's three phases, named as the rollout plan names them.
    pub enum Phase(PhaseInvalid) {
        /// T-2, pré-ativação.
        PreActivation = "t_minus_2",
        /// T0, ativação.
        Activation = "t0",
        /// T+1, pós-ativação.
        PostActivation = "t_plus_1",
    }
}

string_enum! {
    /// The plan's checklist items. Their order here is the order on the page.
    pub enum ItemKey(ItemInvalid) {
        ChatwootAccount = "chatwoot_account",
        ChatwootInboxes = "chatwoot_inboxes",
        ChatwootWebhook = "chatwoot_webhook",
        BoardStages = "board_stages",
        N8nCredentials = "n8n_credentials",
        InstagramChannel = "instagram_channel",
        V2Workflow = "v2_workflow",
        SmokeWhatsapp = "smoke_whatsapp",
        SmokeInstagram = "smoke_instagram",
        SmokeStageMove = "smoke_stage_move",
        FirstDayMetrics = "first_day_metrics",
        LogsAudited = "logs_audited",
        ConversationSample = "conversation_sample",
    }
}

/// How an item gets its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A live check ("Verificar") sets it; an operator may still mark it by hand.
    Check,
    /// A smoke test through the real pipeline sets it.
    Smoke,
    /// An operator reviews and marks it.
    Review,
}

impl ItemKey {
    pub fn phase(self) -> Phase {
        use ItemKey::*;
        match self {
            ChatwootAccount | ChatwootInboxes | ChatwootWebhook | BoardStages | N8nCredentials => Phase::PreActivation,
            InstagramChannel | V2Workflow | SmokeWhatsapp | SmokeInstagram | SmokeStageMove => Phase::Activation,
            FirstDayMetrics | LogsAudited | ConversationSample => Phase::PostActivation,
        }
    }

    pub fn kind(self) -> ItemKind {
        use ItemKey::*;
        match self {
            SmokeWhatsapp | SmokeInstagram | SmokeStageMove => ItemKind::Smoke,
            LogsAudited | ConversationSample => ItemKind::Review,
            _ => ItemKind::Check,
        }
    }

    /// Whether its check writes anything outside Ponte's own records (the button says so).
    pub fn check_changes_data(self) -> bool {
        matches!(self, ItemKey::ChatwootWebhook)
    }

    pub fn of_phase(phase: Phase) -> impl Iterator<Item = ItemKey> {
        ItemKey::ALL.iter().copied().filter(move |k| k.phase() == phase)
    }
}

string_enum! {
    pub enum ItemStatus(StatusInvalid) {
        Pending = "pending",
        Ok = "ok",
        Failed = "failed",
        NotApplicable = "not_applicable",
    }
}

impl ItemStatus {
    /// Counts toward a complete phase.
    pub fn is_done(self) -> bool {
        matches!(self, ItemStatus::Ok | ItemStatus::NotApplicable)
    }
}

string_enum! {
    pub enum Verdict(ValueInvalid) {
        Passed = "passed",
        Failed = "failed",
    }
}

string_enum! {
    /// One finding of a check: what passed, what failed, what deserves a look.
    pub enum LineLevel(ValueInvalid) {
        Ok = "ok",
        Warning = "warning",
        Failed = "failed",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckLine {
    pub level: LineLevel,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub note: Note,
}

/// A request a check made, as its history shows it (never a secret: paths only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckCall {
    /// `chatwoot`, `n8n` or `ponte`.
    pub target: String,
    pub method: String,
    pub path: String,
    /// The HTTP status answered; `None` when nothing answered (refused, timed out).
    pub status: Option<u16>,
    pub ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckRunDto {
    pub id: CheckRunId,
    pub item: ItemKey,
    pub actor: String,
    pub verdict: Verdict,
    /// Epoch milliseconds.
    pub started_at: i64,
    pub duration_ms: i64,
    pub lines: Vec<CheckLine>,
    pub calls: Vec<CheckCall>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChecklistItemDto {
    pub key: ItemKey,
    pub phase: Phase,
    pub kind: ItemKind,
    /// Whether "Verificar" writes outside Ponte (the webhook registration).
    pub check_changes_data: bool,
    pub status: ItemStatus,
    pub note: Option<String>,
    /// Who set the status last (a user, an API key, or the check that ran).
    pub updated_by: Option<String>,
    pub updated_at: Option<i64>,
    pub last_run: Option<CheckRunDto>,
    /// Runs kept for this item, the last one included.
    pub runs: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PhaseDto {
    pub phase: Phase,
    /// Every item ok or not applicable.
    pub complete: bool,
    pub done: usize,
    pub total: usize,
    pub items: Vec<ChecklistItemDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChecklistDto {
    pub lifecycle: Lifecycle,
    /// States an operator can move the org to now.
    pub next: Vec<Lifecycle>,
    /// When the org first went live (pilot or active), epoch milliseconds.
    pub activated_at: Option<i64>,
    pub phases: Vec<PhaseDto>,
}

/// `PUT …/onboarding/items/{item}`: an operator marks an item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ItemUpdate {
    /// `pending`, `ok`, `failed` or `not_applicable`.
    pub status: String,
    /// Required for `not_applicable`, and for `ok` on an item whose check has not passed.
    #[serde(default)]
    pub note: Option<String>,
}

/// `PUT …/onboarding/state`: moves the org along its lifecycle.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StateChange {
    pub state: String,
    #[serde(default)]
    pub reason: Option<String>,
    /// Admins only: move although the required phase is not complete (the reason is then required).
    #[serde(default)]
    pub force: bool,
}

/// One change of an org's lifecycle, from the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StateChangeDto {
    pub from: Lifecycle,
    pub to: Lifecycle,
    pub actor: String,
    pub reason: Option<String>,
    pub forced: bool,
    pub at: i64,
}

string_enum! {
    /// How a smoke run sends its messages.
    pub enum SmokeMode(ModeInvalid) {
        /// Ponte signs payloads shaped like the org's inboxes and posts them to its public URL.
        Synthetic = "synthetic",
        /// Ponte creates the incoming message in the org's API-channel inbox through Chatwoot's
        /// API, and Chatwoot sends the webhook itself (with its own secret).
        ChatwootApi = "chatwoot_api",
    }
}

/// `POST …/onboarding/smoke`: the three smoke tests of T0.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SmokeInput {
    /// `synthetic` (default) or `chatwoot_api`.
    #[serde(default)]
    pub mode: Option<String>,
    /// The stage the third test moves the deal to (key or label); default: the board's
    /// third stage, or its second when the deal is already there.
    #[serde(default)]
    pub stage: Option<String>,
}

string_enum! {
    /// Where a live smoke run stands. `waiting` lasts until every awaited message has been
    /// seen and followed through the pipeline, or the deadline passes.
    pub enum LiveSmokeState(StatusInvalid) {
        Waiting = "waiting",
        /// Every message arrived and every test passed.
        Passed = "passed",
        /// Every message arrived; a test failed at a step (its run says which).
        Failed = "failed",
        /// The deadline passed before a message arrived (or the process waiting for it stopped).
        Expired = "expired",
        Cancelled = "cancelled",
    }
}

/// `POST …/onboarding/smoke/live`: the operator will write from a real test phone and/or
/// Instagram account; Ponte waits for those identities' messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LiveSmokeInput {
    /// The test phone, any Brazilian spelling (`(11) 98765-4321`, `+55 11 98765-4321`).
    #[serde(default)]
    pub whatsapp: Option<String>,
    /// The test Instagram account: `@user` or its Instagram-scoped numeric id.
    #[serde(default)]
    pub instagram: Option<String>,
    /// How long to wait for the messages, 1–30 minutes; default 5.
    #[serde(default)]
    pub wait_minutes: Option<u32>,
    /// The stage the stage-move test moves the deal to (key or label); default as in `SmokeInput`.
    #[serde(default)]
    pub stage: Option<String>,
}

/// A live smoke run: whom it waits for, until when, and what it has seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LiveSmokeDto {
    pub id: i64,
    pub state: LiveSmokeState,
    /// The phone as Ponte keys it (E.164 digits, ninth digit restored).
    pub whatsapp: Option<String>,
    /// `@user` (lower case) or the numeric id, as given.
    pub instagram: Option<String>,
    pub started_by: String,
    /// Epoch milliseconds.
    pub started_at: i64,
    pub deadline_at: i64,
    pub finished_at: Option<i64>,
    /// Seconds left before the deadline while waiting (0 otherwise): the portal's countdown.
    pub remaining_seconds: i64,
    /// The events the awaited messages were stored as, once seen.
    pub whatsapp_event: Option<super::ids::EventId>,
    pub instagram_event: Option<super::ids::EventId>,
}

string_enum! {
    /// The new-client wizard's six steps, the plan's order. An existing org starts at
    /// `chatwoot` (its creation is done).
    pub enum WizardStep(ValueInvalid) {
        CreateOrg = "create_org",
        Chatwoot = "chatwoot",
        Webhook = "webhook",
        Workflow = "workflow",
        Smoke = "smoke",
        Release = "release",
    }
}

impl WizardStep {
    /// The checklist items a step settles: the step is done when every one is ok or n/a.
    pub fn items(self) -> &'static [ItemKey] {
        use ItemKey::*;
        match self {
            WizardStep::CreateOrg | WizardStep::Release => &[],
            WizardStep::Chatwoot => &[ChatwootAccount, ChatwootInboxes],
            WizardStep::Webhook => &[ChatwootWebhook, BoardStages, InstagramChannel],
            WizardStep::Workflow => &[N8nCredentials, V2Workflow],
            WizardStep::Smoke => &[SmokeWhatsapp, SmokeInstagram, SmokeStageMove],
        }
    }

    /// 1-based, as the screen numbers it.
    pub fn number(self) -> usize {
        WizardStep::ALL.iter().position(|&s| s == self).map_or(0, |i| i + 1)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WizardStepDto {
    pub step: WizardStep,
    pub done: bool,
    /// The step's items with their status and latest run.
    pub items: Vec<ChecklistItemDto>,
}

/// Where an org stands in the wizard: every step with its items, and the first one not
/// done (where "continue" resumes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WizardDto {
    pub slug: String,
    pub name: String,
    pub lifecycle: Lifecycle,
    pub steps: Vec<WizardStepDto>,
    pub current: WizardStep,
}

/// `POST …/onboarding/wizard/{step}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WizardAdvanceInput {
    /// On the `release` step: `pilot` or `active`.
    #[serde(default)]
    pub target: Option<String>,
    /// On the `release` step: the technical owner's e-mail (a portal user).
    #[serde(default)]
    pub technical_owner: Option<String>,
    /// On the `release` step: when production started; empty: now.
    #[serde(default)]
    pub live_at: Option<String>,
    /// On the `release` step: release with T-2/T0 items open (admins, with `reason`).
    #[serde(default)]
    pub force: bool,
    #[serde(default)]
    pub reason: Option<String>,
}

string_enum! {
    /// What a T+1 review entry is about.
    pub enum ReviewKind(ValueInvalid) {
        /// An identity conflict since go-live (logs audited).
        Conflict = "conflict",
        /// A stage move through the tool that failed since go-live (logs audited).
        StageMove = "stage_move",
        /// A real conversation drawn for the sample.
        Conversation = "conversation",
    }
}

string_enum! {
    pub enum ReviewVerdict(ValueInvalid) {
        Pending = "pending",
        Ok = "ok",
        Problem = "problem",
    }
}

/// An operator's verdict on one entry (its fields, the same for each kind).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Review {
    pub verdict: Option<ReviewVerdict>,
    pub note: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
}

/// One line of "logs audited": a conflict or a failed stage move, with what it links to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LogEntry {
    pub kind: ReviewKind,
    pub ref_id: i64,
    pub at: i64,
    /// The conflict's kind (`two_contacts_one_number`…) or the tool's error code.
    pub code: Option<String>,
    pub contact_id: Option<super::ids::ContactId>,
    pub deal_id: Option<super::ids::DealId>,
    pub event_id: Option<super::ids::EventId>,
    #[serde(flatten)]
    pub review: Review,
}

/// "Logs audited" of an org: every entry since go-live and its review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LogsReview {
    /// Go-live, epoch milliseconds (`None`: not live yet, nothing to audit).
    pub since: Option<i64>,
    /// The end of the first 24 h: the item cannot be ok before (more entries may still come).
    pub window_ends_at: Option<i64>,
    pub entries: Vec<LogEntry>,
}

/// One stage move of a sampled conversation's deal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SampleMove {
    pub from: Option<String>,
    pub to: String,
    pub actor: String,
    pub at: i64,
}

/// One of Ponte's events of a sampled conversation (its messages as received and processed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SampleEvent {
    pub id: super::ids::EventId,
    pub event: String,
    pub status: super::events::EventStatus,
    pub received_at: i64,
}

/// One conversation of the T+1 sample: its contact, deal, stage moves and events, and its review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SampleConversation {
    pub conversation_id: super::ids::ConversationId,
    pub chatwoot_conversation_id: super::ids::ChatwootConversationId,
    pub source: super::crm::Source,
    pub contact_id: super::ids::ContactId,
    pub contact_name: Option<String>,
    pub deal_id: Option<super::ids::DealId>,
    pub stage: Option<String>,
    pub moves: Vec<SampleMove>,
    /// Its latest events in Ponte, newest first (up to 20).
    pub events: Vec<SampleEvent>,
    /// The conversation in the org's Chatwoot, where the operator reads it.
    pub chatwoot_url: Option<String>,
    pub drawn_at: i64,
    #[serde(flatten)]
    pub review: Review,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SampleDto {
    pub since: Option<i64>,
    /// Real (not synthetic) conversations since go-live to draw from.
    pub available: i64,
    pub conversations: Vec<SampleConversation>,
}

/// `PUT …/onboarding/reviews/{kind}/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// `ok` or `problem` (a problem needs a note); `pending` takes the verdict back.
    pub verdict: String,
    #[serde(default)]
    pub note: Option<String>,
}
