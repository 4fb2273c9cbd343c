//! Typed ids: an `OrgId` can never be passed where a `BoardId` is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! typed_id {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        /// Parsed from its decimal digits (a path segment, a CLI argument).
        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

typed_id!(
    OrgId,
    BoardId,
    StageId,
    UserId,
    ContactId,
    DealId,
    ApiKeyId,
    EventId,
    RunId,
    ConflictId,
    ImportId,
    IncidentId,
    IdentityId,
    ConversationId,
    TokenId,
    ToolCallId,
    ActionId,
    AuditId,
    CheckRunId,
    WaveId,
    // Chatwoot's own numbers, as its webhooks and API carry them.
    ChatwootAccountId,
    InboxId,
    ChatwootConversationId,
    MessageId,
    ChatwootContactId,
);
