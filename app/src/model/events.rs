//! Webhook events as operators and scripts read them, and reprocessing.

use super::crm::Source;
use super::ids::EventId;
use super::notes::Note;
use serde::{Deserialize, Serialize};

/// The answer to an accepted webhook delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAck {
    pub event_id: EventId,
    /// True when this delivery repeats one already stored (nothing new is processed).
    pub duplicate: bool,
    /// `pending` (queued for processing) or `ignored` (an event Ponte does not act on).
    pub status: EventStatus,
}

/// One step of one processing attempt of an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventStep {
    pub attempt: i64,
    pub step: PipelineStep,
    pub outcome: StepOutcome,
    pub detail: Option<Note>,
    pub duration_us: i64,
    pub at: i64,
}

/// A stored webhook event as operators and scripts read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub id: EventId,
    pub event: String,
    pub status: EventStatus,
    pub source: Option<Source>,
    pub delivery_id: Option<String>,
    pub received_at: i64,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<Note>,
    pub steps: Vec<EventStep>,
    /// The raw payload; left out of lists unless asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReprocessResult {
    pub requeued: u64,
}

/// `POST …/events/reprocess`: every failed or dead event received in [from, to).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReprocessRange {
    /// Epoch milliseconds or RFC 3339.
    pub from: serde_json::Value,
    pub to: serde_json::Value,
}

string_enum! {
    /// A stage of an event's processing, as its steps record it (in this order).
    pub enum PipelineStep(ValueInvalid) {
        /// The delivery was stored (the event row itself, shown as the first step).
        Received = "received",
        /// Customer message or not, which channel.
        Classify = "classify",
        Identity = "identity",
        Deal = "deal",
        Conversation = "conversation",
        /// The hand-off to the org's automation.
        Forward = "forward",
    }
}

string_enum! {
    /// How a step ended.
    pub enum StepOutcome(ValueInvalid) {
        Stored = "stored",
        /// A customer message, processed further.
        Inbound = "inbound",
        Skipped = "skipped",
        Created = "created",
        /// The contact already existed.
        Resolved = "resolved",
        /// The open deal already existed.
        Ensured = "ensured",
        Linked = "linked",
        Relinked = "relinked",
        Conflict = "conflict",
        Forwarded = "forwarded",
        Failed = "failed",
    }
}

string_enum! {
    /// Where a stored webhook event is in the processing queue.
    pub enum EventStatus(StatusInvalid) {
        Pending = "pending",
        Processing = "processing",
        Done = "done",
        Ignored = "ignored",
        Failed = "failed",
        Dead = "dead",
    }
}

impl EventStatus {
    /// What an operator may put back in the queue, one at a time: never `done` (that would
    /// hand a message to the automation twice) nor an event being processed right now.
    pub const REPROCESSABLE: &'static [EventStatus] = &[EventStatus::Failed, EventStatus::Dead, EventStatus::Ignored];
    /// What "reprocess the failures of a period" puts back.
    pub const FAILURES: &'static [EventStatus] = &[EventStatus::Failed, EventStatus::Dead];

    /// Whether the event will be tried again by itself (its next attempt time matters).
    pub fn retrying(self) -> bool {
        matches!(self, EventStatus::Failed | EventStatus::Pending)
    }
}
